import LossKit

extension Catalog {
    /// RL and alignment (family H of LOSSES.md): ppo-clip, kl-penalty; library
    /// `Sources/LossKit/Reinforcement.swift`.
    static let reinforcement: [any CatalogEntry.Type] = [PPOClipEntry.self, KLPenaltyEntry.self]
}

enum PPOClipEntry: CatalogEntry {
    static let id = "ppo-clip"
    static let summary = "PPO clipped surrogate objective, negated (Schulman et al. 2017)"
    static let formula = "r = exp(input − old); ℓᵢ = −min(r·A, clamp(r, 1 − ε, 1 + ε)·A), reduced by mean (default), sum or none"
    static let gradient = "∂ℓᵢ/∂input = −(w₁ + w₂·[1−ε < r < 1+ε])·A·r with (w₁, w₂) = (1, 0) where r·A is the smaller term, (0, 1) where the clipped term is, (½, ½) on a tie (torch.min / torch.clamp autograd); 0 where r overflows on the clipped side; divided by the count for mean"
    static let notes = "Policy-gradient training with a trust region by clipping (PPO; also the policy loss of RLHF/GRPO with per-token ratios): the ratio is kept in [1 − ε, 1 + ε] on the side that would increase the objective. old and advantages are data (no gradient). Reference: the formula written in PyTorch, value and autograd gradient; finite where autograd gives 0·inf = NaN."
    static let inputs = [
        InputSpec("input", .differentiable, "log π_θ(a|s) of the taken actions, [N] (any shape)"),
        InputSpec("old", .constant, "log π_old(a|s) under the data-collecting policy, same shape"),
        InputSpec("advantages", .constant, "advantage estimates, same shape"),
    ]
    static let options = [
        OptionSpec("clip", default: "0.2", "ε ≥ 0: the ratio's clip range [1 − ε, 1 + ε]"),
        OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try ppoClipLoss(
            input: a.tensor("input"), old: a.tensor("old"), advantages: a.tensor("advantages"),
            clip: a.number("clip"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum KLPenaltyEntry: CatalogEntry {
    static let id = "kl-penalty"
    static let summary = "Per-token KL penalty to a frozen reference model (RLHF; k1/k2/k3 estimators)"
    static let formula = "d = input − reference; k1 = d, k2 = ½d², k3 = e^(−d) − 1 + d; loss = β·Σ mask·k / Σ mask (mean, default), β·Σ mask·k (sum) or β·mask·k (none)"
    static let gradient = "∂k1/∂d = 1, ∂k2/∂d = d, ∂k3/∂d = 1 − e^(−d); ∂loss/∂input = β·mask·∂k/∂d, divided by Σ mask for mean; 0 at masked tokens"
    static let notes = "The KL constraint that keeps an RLHF-tuned policy near its pretrained reference (PPO-RLHF uses k1 or k2, GRPO k3); input and reference are the log-probabilities of the sampled tokens. A fully masked batch gives NaN with mean (a mean over no tokens, like TRL's masked_mean) and zero gradients; masked tokens are excluded even if they hold −inf. Reference: TRL's per-token penalties and masked_mean, written in PyTorch."
    static let inputs = [
        InputSpec("input", .differentiable, "log π_θ of the sampled tokens, [N, T]"),
        InputSpec("reference", .constant, "log π_ref of the same tokens under the frozen model, [N, T]"),
        InputSpec("mask", .constant, required: false, "0/1 (float or bool) token mask, [N, T]; absent = every token"),
    ]
    static let options = [
        OptionSpec("estimator", default: "k1", "k1 | k2 | k3"),
        OptionSpec("beta", default: "1.0", "β ≥ 0, the penalty coefficient"),
        OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try klPenalty(
            input: a.tensor("input"), reference: a.tensor("reference"), mask: a.optionalTensor("mask"),
            estimator: a.choice("estimator", as: KLEstimator.self), beta: a.number("beta"),
            reduction: a.reduction(), wrt: a.wrt)
    }
}
