import LossKit

extension Catalog {
    static let divergence: [any CatalogEntry.Type] = [KLDivergenceEntry.self, JensenShannonEntry.self, VAEKLEntry.self]
}

enum KLDivergenceEntry: CatalogEntry {
    static let id = "kl-div"
    static let summary = "Kullback–Leibler divergence KL(target ‖ exp(input)) (F.kl_div)"
    static let formula = """
        ℓᵢ = targetᵢ·(log targetᵢ − inputᵢ), 0 where targetᵢ = 0; log-target: exp(targetᵢ)·(targetᵢ − inputᵢ); \
        from-logits: q·(log q − log p) with log p, log q = log_softmax(input), log_softmax(target) along dim 1. \
        Reduced by batchmean (Σ/N, default), mean (Σ/count), sum, or none (input's shape)
        """
    static let gradient = """
        ∂/∂input = −target, ∂/∂target = log target + 1 − input (−inf at target = 0); log-target: −exp(t) and \
        exp(t)·(t − input + 1); from-logits (w.r.t. the logits, per row with KL L): p − q and q·(log q − log p − L)
        """
    static let notes = """
        Distribution matching: knowledge distillation, policy-to-policy KL in TRPO/PPO (from-logits=true), \
        fitting soft labels. batchmean is the per-sample KL; mean divides by every element. Zero targets \
        contribute 0 even where input is −inf (PyTorch: NaN). Reference: torch.nn.functional.kl_div; \
        from-logits: kl_div(log_softmax(input, 1), log_softmax(target, 1), log_target=True).
        """
    static let inputs = [
        InputSpec("input", .differentiable, "log-probabilities [N, C, ...] (logits with from-logits)"),
        InputSpec("target", .differentiable, "probabilities ≥ 0 (log-probabilities with log-target, logits with from-logits), shape of input"),
    ]
    static let options = [
        OptionSpec("log-target", default: "false", "target holds log-probabilities"),
        OptionSpec("from-logits", default: "false", "both inputs are logits; log-softmax along dim 1 inside"),
        OptionSpec.reduction(.batchmean, allowed: [.none, .mean, .sum, .batchmean]),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try klDivergence(
            input: a.tensor("input"), target: a.tensor("target"), logTarget: a.flag("log-target"),
            fromLogits: a.flag("from-logits"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum JensenShannonEntry: CatalogEntry {
    static let id = "js-div"
    static let summary = "Jensen–Shannon divergence of exp(input) and target, per sample"
    static let formula = """
        JSₙ = ½ Σ_c [P log(P/M) + Q log(Q/M)], M = ½(P + Q), P = exp(input), Q = target \
        (from-logits: P = softmax(input), Q = softmax(target) along dim 1); natural log, 0 ≤ JSₙ ≤ log 2. Reduced by batchmean (Σ/N, default), mean (over [N, ...]), \
        sum, or none ([N, d1, ...])
        """
    static let gradient = """
        ∂/∂input = ½ P log(P/M) (from-logits: g − P·Σ_c g with g = ½ P log(P/M)); ∂/∂target = ½ log(Q/M) \
        (−inf where Q = 0 < P, ½ log 2 where P = 0; from-logits: h − Q·Σ_c h with h = ½ Q log(Q/M))
        """
    static let notes = """
        A symmetric, bounded divergence: comparing predicted and reference distributions, GAN theory, \
        consistency regularization. from-logits means both input and target are logits, as kl-div's \
        (JS is symmetric). Reference: the formula written in PyTorch with xlogy for zero entries.
        """
    static let inputs = [
        InputSpec("input", .differentiable, "log-probabilities [N, C, ...] (logits with from-logits)"),
        InputSpec("target", .differentiable, "probabilities ≥ 0, shape of input (logits with from-logits)"),
    ]
    static let options = [
        OptionSpec("from-logits", default: "false", "input and target hold logits; log-softmax of each along dim 1 inside"),
        OptionSpec.reduction(.batchmean, allowed: [.none, .mean, .sum, .batchmean]),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try jensenShannonDivergence(
            input: a.tensor("input"), target: a.tensor("target"), fromLogits: a.flag("from-logits"),
            reduction: a.reduction(), wrt: a.wrt)
    }
}

enum VAEKLEntry: CatalogEntry {
    static let id = "vae-kl"
    static let summary = "KL(N(mean, e^logvar) ‖ N(0, I)), the VAE latent regularizer"
    static let formula = "KLₙ = −½ Σ_d (1 + logvar − mean² − e^logvar); reduced by mean over N (default), sum, or none ([N])"
    static let gradient = "∂/∂mean = mean; ∂/∂logvar = ½(e^logvar − 1); divided by N for mean"
    static let notes = """
        The KL term of the VAE evidence lower bound (Kingma & Welling 2014) for a diagonal Gaussian \
        encoder; finite for logvar = −1e4. Reference: -0.5 * torch.sum(1 + logvar - mean**2 - logvar.exp(), dim=1).
        """
    static let inputs = [
        InputSpec("mean", .differentiable, "posterior means [N, D]"),
        InputSpec("logvar", .differentiable, "posterior log-variances [N, D]"),
    ]
    static let options = [OptionSpec.reduction(.mean)]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try vaeKLDivergence(mean: a.tensor("mean"), logVariance: a.tensor("logvar"), reduction: a.reduction(), wrt: a.wrt)
    }
}
