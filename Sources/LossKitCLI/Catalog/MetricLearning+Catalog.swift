import LossKit

extension Catalog {
    /// Metric learning (family E of LOSSES.md); library `Sources/LossKit/MetricLearning.swift`.
    static let metricLearning: [any CatalogEntry.Type] = [
        TripletEntry.self, ContrastiveEntry.self, CosineEmbeddingEntry.self,
    ]
}

/// The two same-shaped embedding inputs of the pair losses.
private let embeddingPair = [
    InputSpec("input1", .differentiable, "embeddings [N, D] (or [D] for one pair)"),
    InputSpec("input2", .differentiable, "embeddings, same shape as input1"),
]

enum TripletEntry: CatalogEntry {
    static let id = "triplet"
    static let summary = "Triplet margin loss (F.triplet_margin_loss; cosine distance via TripletMarginWithDistanceLoss)"
    static let formula = "ℓₙ = max(0, margin + d(aₙ, pₙ) − d(aₙ, nₙ)), d(x, y) = ‖x − y + eps‖ₚ (distance=pairwise) or 1 − x·y/(max(‖x‖, eps)·max(‖y‖, eps)) (distance=cosine); swap: d(aₙ, nₙ) → min(d(aₙ, nₙ), d(pₙ, nₙ)); mean over N (default), sum or none → [N]"
    static let gradient = "where ℓₙ > 0: ∂ℓ/∂d(a,p) = 1, ∂ℓ/∂d(a,n) = −1 (shared ½/½ with d(p,n) at a swap tie); pairwise, v = x − y + eps: ∂d/∂x = sign(v)(|v|/d)^(p−1) = v/d for p = 2, ∂d/∂y = −∂d/∂x (0 where d = 0); cosine: ∂cos/∂x = y/(x̂ŷ) − cos·x/(x̂‖x‖) (norm clamp passed straight through); divided by N for mean"
    static let notes = "Metric learning from (anchor, positive, negative) triplets: face recognition (FaceNet), person re-identification, image retrieval, local descriptors (swap = the distance swap of Balntas et al. 2016). margin > 0; p > 0 (inf = max norm) for pairwise; eps ≥ 0 is added to each difference (pairwise) or floors each norm (cosine; F.cosine_similarity's own default is 1e-8). Inputs [N, D] or [D], all one shape. Reference: torch.nn.functional.triplet_margin_loss; distance=cosine: triplet_margin_with_distance_loss with 1 − F.cosine_similarity(x, y, eps=eps)."
    static let inputs = [
        InputSpec("anchor", .differentiable, "anchor embeddings [N, D] (or [D] for one triplet)"),
        InputSpec("positive", .differentiable, "embeddings of the same identity, shape of anchor"),
        InputSpec("negative", .differentiable, "embeddings of another identity, shape of anchor"),
    ]
    static let options = [
        OptionSpec("margin", default: "1.0", "the required gap between the negative and the positive distance (> 0)"),
        OptionSpec("p", default: "2.0", "the exponent of the pairwise norm (> 0; inf = max norm)"),
        OptionSpec("eps", default: "1e-06", "added to each difference (pairwise) or the floor of each norm (cosine), ≥ 0"),
        OptionSpec("swap", default: "false", "use min(d(a, n), d(p, n)) as the negative distance"),
        OptionSpec("distance", default: "pairwise", "pairwise | cosine"),
        OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try tripletMarginLoss(
            anchor: a.tensor("anchor"), positive: a.tensor("positive"), negative: a.tensor("negative"),
            margin: a.number("margin"), p: a.number("p"), eps: a.number("eps"), swap: a.flag("swap"),
            distance: a.choice("distance", as: TripletDistance.self), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum ContrastiveEntry: CatalogEntry {
    static let id = "contrastive"
    static let summary = "Contrastive loss for similar/dissimilar pairs (Hadsell, Chopra & LeCun 2006)"
    static let formula = "dₙ = ‖input1ₙ − input2ₙ + 1e-6‖₂ (F.pairwise_distance); ℓₙ = ½[yₙ·dₙ² + (1 − yₙ)·max(0, margin − dₙ)²], y = target ∈ {0, 1} (1 = similar); mean over N (default), sum or none → [N]"
    static let gradient = "v = input1 − input2 + 1e-6: ∂ℓₙ/∂input1 = [y·d − (1 − y)·max(0, margin − d)]·v/d; ∂ℓₙ/∂input2 = −∂ℓₙ/∂input1; divided by N for mean"
    static let notes = "Siamese networks: signature and face verification, dimensionality reduction (DrLIM); mean is the 1/(2N) Σ form. Targets other than 0 and 1 are an error. Reference: the formula written in PyTorch on F.pairwise_distance(input1, input2)."
    static let inputs = embeddingPair + [
        InputSpec("target", .constant, "1 for a similar pair, 0 for a dissimilar one: [N] (0-d for [D] inputs)"),
    ]
    static let options = [
        OptionSpec("margin", default: "1.0", "the distance beyond which dissimilar pairs cost nothing"),
        OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try contrastiveLoss(
            input1: a.tensor("input1"), input2: a.tensor("input2"), target: a.tensor("target"),
            margin: a.number("margin"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum CosineEmbeddingEntry: CatalogEntry {
    static let id = "cosine-embedding"
    static let summary = "Cosine embedding loss for ±1 pairs (F.cosine_embedding_loss)"
    static let formula = "cosₙ = Σ x₁x₂ / √((Σx₁² + 1e-12)(Σx₂² + 1e-12)); ℓₙ = 1 − cosₙ if target = 1, max(0, cosₙ − margin) if target = −1; mean over N (default), sum or none → [N]"
    static let gradient = "mᵢ = Σxᵢ² + 1e-12: ∂cos/∂x₁ = x₂/√(m₁m₂) − cos·x₁/m₁, ∂cos/∂x₂ = x₁/√(m₁m₂) − cos·x₂/m₂; ∂ℓ = −∂cos (target 1), ∂cos where cos > margin (target −1), else 0; divided by N for mean"
    static let notes = "Learning embeddings compared by angle: semantic similarity of sentences or images, cross-modal retrieval. margin in [−1, 1] (0 to 0.5 is usual). Targets other than ±1 are an error (PyTorch gives them loss 0). Inputs [N, D] with target [N], or [D] with a 0-d target. Reference: torch.nn.functional.cosine_embedding_loss."
    static let inputs = embeddingPair + [
        InputSpec("target", .constant, "1 for a similar pair, −1 for a dissimilar one: [N] (0-d for [D] inputs)"),
    ]
    static let options = [
        OptionSpec("margin", default: "0.0", "the cosine below which dissimilar pairs cost nothing"),
        OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try cosineEmbeddingLoss(
            input1: a.tensor("input1"), input2: a.tensor("input2"), target: a.tensor("target"),
            margin: a.number("margin"), reduction: a.reduction(), wrt: a.wrt)
    }
}
