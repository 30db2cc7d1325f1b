import LossKit

extension Catalog {
    /// Family E of LOSSES.md, score-ranking losses: pairwise-ranking, listwise-ranking.
    static let ranking: [any CatalogEntry.Type] = [PairwiseRankingEntry.self, ListwiseRankingEntry.self]
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
