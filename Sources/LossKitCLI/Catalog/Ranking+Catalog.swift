import LossKit

extension Catalog {
    /// Ranking (family E of LOSSES.md): margin-ranking, pairwise-ranking, listwise-ranking; library
    /// `Sources/LossKit/Ranking.swift`.
    static let ranking: [any CatalogEntry.Type] = [
        MarginRankingEntry.self, PairwiseRankingEntry.self, ListwiseRankingEntry.self,
    ]
}

enum MarginRankingEntry: CatalogEntry {
    static let id = "margin-ranking"
    static let summary = "Margin ranking loss for ordered pairs of scores (F.margin_ranking_loss)"
    static let formula = "ℓᵢ = max(0, −tᵢ·(input1ᵢ − input2ᵢ) + margin), t = target ∈ {−1, 1}; mean (default), sum or none"
    static let gradient = "where −t·(input1 − input2) + margin > 0: ∂ℓᵢ/∂input1 = −t, ∂ℓᵢ/∂input2 = t (0 elsewhere, also at 0); divided by the count for mean"
    static let notes = "Pairwise learning to rank (RankNet-style pairs with a hinge), preference and reward models, ordinal regression. All three inputs one shape; targets other than ±1 are an error. Reference: torch.nn.functional.margin_ranking_loss."
    static let inputs = [
        InputSpec("input1", .differentiable, "scores of the first items, any shape"),
        InputSpec("input2", .differentiable, "scores of the second items, same shape"),
        InputSpec("target", .constant, "1 where input1 should rank higher, −1 where input2 should; same shape"),
    ]
    static let options = [
        OptionSpec("margin", default: "0.0", "the required gap between the two scores"),
        OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try marginRankingLoss(
            input1: a.tensor("input1"), input2: a.tensor("input2"), target: a.tensor("target"),
            margin: a.number("margin"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum PairwiseRankingEntry: CatalogEntry {
    static let id = "pairwise-ranking"
    static let summary = "Pairwise ranking (order-preservation) loss over lists of scores"
    static let formula = "per row: ℓₙ = Σ_{i<j, tᵢ≠tⱼ} max(0, θ − (xᵢ − xⱼ)·sign(tᵢ − tⱼ)); mean divides Σₙ ℓₙ by the number of counted pairs over the batch (default), sum, or none → [N]"
    static let gradient = "for each counted pair with θ − (xᵢ − xⱼ)·sᵢⱼ > 0: ∂/∂xᵢ −= sᵢⱼ, ∂/∂xⱼ += sᵢⱼ (0 at the kink, as clamp_min); divided by the pair count for mean; target gets no gradient"
    static let notes = "Keeps the order of a reference (e.g. the full-precision model's attention or similarity scores) in post-training quantization of vision transformers (Liu et al. 2021); a RankNet-style hinge for learning to rank. Tied targets are skipped; with no counted pair the mean is NaN (0/0) with zero gradient. O(N·K²), no sorting. Reference: the formula written in PyTorch (autograd)."
    static let inputs = [
        InputSpec("input", .differentiable, "predicted scores [N, K] (rows over the last dimension)"),
        InputSpec("target", .constant, "reference scores [N, K]; only their order in a row matters"),
    ]
    static let options = [
        OptionSpec("margin", default: "0.0", "θ, the required score gap of an ordered pair (finite)"),
        OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try pairwiseRankingLoss(
            input: a.tensor("input"), target: a.tensor("target"), margin: a.number("margin"),
            reduction: a.reduction(), wrt: a.wrt)
    }
}

enum ListwiseRankingEntry: CatalogEntry {
    static let id = "listwise-ranking"
    static let summary = "Listwise softmax ranking loss (ListNet; optax.losses.ranking_softmax_loss)"
    static let formula = "per row: ℓₙ = −Σₖ tₖ·log_softmax(x)ₖ over the valid items (labels not normalized); mean over the rows with a valid item (default), sum, or none → [N]"
    static let gradient = "∂ℓₙ/∂xₖ = (Σⱼ tⱼ)·softmax(x)ₖ − tₖ on valid items, 0 on masked ones; divided by the number of counted rows for mean; target gets no gradient"
    static let notes = "Learning to rank (search, recommendation): the softmax of the scores should put its mass where the relevance is. As the reference, relevance is used as given (a row of zero relevance has loss 0 and still counts in the mean), masked items leave the softmax, fully masked rows leave the mean, and the mean over no rows is 0. Finite where optax's 0·(−inf) gives NaN (score −inf with relevance 0). Reference: optax.losses.ranking_softmax_loss (optax 0.2.8; where = mask)."
    static let inputs = [
        InputSpec("input", .differentiable, "scores (logits) [N, K]"),
        InputSpec("target", .constant, "relevance labels ≥ 0, [N, K]"),
        InputSpec("mask", .constant, required: false, "0/1 (float or bool) validity of each item, [N, K]; absent = every item (optax's where)"),
    ]
    static let options = [OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try listwiseRankingLoss(
            input: a.tensor("input"), target: a.tensor("target"), mask: a.optionalTensor("mask"),
            reduction: a.reduction(), wrt: a.wrt)
    }
}
