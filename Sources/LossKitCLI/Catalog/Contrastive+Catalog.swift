import LossKit

extension Catalog {
    /// Family E of LOSSES.md, similarity-matrix losses: info-nce, nt-xent, clip, supcon.
    static let contrastive: [any CatalogEntry.Type] = [
        InfoNCEEntry.self, NTXentEntry.self, CLIPEntry.self, SupConEntry.self,
    ]
}

private let normalizeOption = OptionSpec(
    "normalize", default: "true", "L2-normalize the rows first (F.normalize, eps 1e-12), so similarities are cosines")

private let normalizationGradient =
    "through x̂ = x / max(‖x‖, 1e-12): ∂/∂x = (∂/∂x̂ − x̂(x̂·∂/∂x̂)) / ‖x‖, or ∂/∂x̂ / 1e-12 for rows shorter than 1e-12"

enum InfoNCEEntry: CatalogEntry {
    static let id = "info-nce"
    static let summary = "InfoNCE: cross-entropy of each query's positive among negatives (explicit or in-batch)"
    static let formula = "sᵢⱼ = q̂ᵢ·k̂ⱼ/τ; with negatives ℓᵢ = −log e^{q̂ᵢ·p̂ᵢ/τ} / (e^{q̂ᵢ·p̂ᵢ/τ} + Σₘ e^{q̂ᵢ·n̂ₘ/τ}); without, ℓᵢ = −log e^{q̂ᵢ·p̂ᵢ/τ} / Σⱼ e^{q̂ᵢ·p̂ⱼ/τ} (cross-entropy of q̂·p̂ᵀ/τ with diagonal targets); x̂ = x/max(‖x‖, 1e-12) when normalize; mean over N (default), sum or none → [N]"
    static let gradient = "dSᵢⱼ = w(softmax(sᵢ)ⱼ − [j = i's positive]), w = 1/N for mean; ∂/∂q̂ = dS·K̂/τ, ∂/∂k̂ = dSᵀ·Q̂/τ over the keys (positives and/or negatives); then " + normalizationGradient
    static let notes = "Contrastive representation learning (CPC, MoCo with a queue of negatives, dense retrieval with in-batch negatives). negatives [M, D] are shared by every query; without them the other rows of positive are the negatives. Reference: the formula written in PyTorch with F.normalize and F.cross_entropy (the info-nce-pytorch package's unpaired mode)."
    static let inputs = [
        InputSpec("query", .differentiable, "queries [N, D]"),
        InputSpec("positive", .differentiable, "the positive key of each query [N, D]"),
        InputSpec("negatives", .differentiable, required: false, "negative keys shared by all queries [M, D]"),
    ]
    static let options = [
        OptionSpec("temperature", default: "0.1", "τ, finite and > 0"), normalizeOption, OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try infoNCELoss(
            query: a.tensor("query"), positive: a.tensor("positive"), negatives: a.optionalTensor("negatives"),
            temperature: a.number("temperature"), normalize: a.flag("normalize"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum NTXentEntry: CatalogEntry {
    static let id = "nt-xent"
    static let summary = "NT-Xent, SimCLR's normalized temperature-scaled cross-entropy over two views"
    static let formula = "sᵢₖ = ẑᵢ·ẑₖ/τ (cosine); ℓᵢ = −log e^{sᵢⱼ} / Σ_{k≠i} e^{sᵢₖ} with j = (i + N) mod 2N, rows i and i + N the two views; mean over the 2N rows (default), sum or none → [2N]"
    static let gradient = "dSᵢₖ = w(softmax_{k≠i}(sᵢ)ₖ − [k = j]), 0 on the diagonal, w = 1/2N for mean; ∂/∂ẑ = (dS + dSᵀ)·Ẑ/τ; then " + normalizationGradient
    static let notes = "Self-supervised learning from two augmentations of each image (SimCLR, Chen et al. 2020). Self-similarity is excluded from the denominators; the row count must be even. Reference: the formula written in PyTorch, F.cross_entropy of the masked F.normalize(z) @ F.normalize(z).T / τ."
    static let inputs = [InputSpec("input", .differentiable, "both views stacked [2N, D]: rows i and i + N are one sample")]
    static let options = [OptionSpec("temperature", default: "0.5", "τ, finite and > 0"), OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try ntXentLoss(input: a.tensor("input"), temperature: a.number("temperature"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum CLIPEntry: CatalogEntry {
    static let id = "clip"
    static let summary = "CLIP's symmetric contrastive loss over the image–text similarity matrix"
    static let formula = "S = x̂₁x̂₂ᵀ/τ; ℓᵢ = ½[(logΣⱼ e^{Sᵢⱼ} − Sᵢᵢ) + (logΣⱼ e^{Sⱼᵢ} − Sᵢᵢ)]; mean = ½[CE(S, diag) + CE(Sᵀ, diag)] (default), sum, or none → [N] per pair"
    static let gradient = "dS = ½w(softmax_rows(S) + softmax_columns(S) − 2I), w = 1/N for mean; ∂/∂x̂₁ = dS·X̂₂/τ, ∂/∂x̂₂ = dSᵀ·X̂₁/τ; then " + normalizationGradient
    static let notes = "Contrastive language–image pre-training (Radford et al. 2021) and other two-tower retrieval models: row i of input1 and input2 is a matching pair. reduction is LossKit's addition to LOSSES.md's row (none gives the per-pair ½(row + column) values whose mean is the loss). Reference: (F.cross_entropy(S, arange(N)) + F.cross_entropy(S.T, arange(N))) / 2 in PyTorch."
    static let inputs = [
        InputSpec("input1", .differentiable, "first modality's embeddings [N, D] (e.g. images)"),
        InputSpec("input2", .differentiable, "second modality's embeddings [N, D] (e.g. texts)"),
    ]
    static let options = [
        OptionSpec("temperature", default: "0.07", "τ, finite and > 0"), normalizeOption, OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try clipLoss(
            input1: a.tensor("input1"), input2: a.tensor("input2"), temperature: a.number("temperature"),
            normalize: a.flag("normalize"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum SupConEntry: CatalogEntry {
    static let id = "supcon"
    static let summary = "Supervised contrastive loss (Khosla et al. 2020, L_out)"
    static let formula = "sᵢₐ = zᵢ·zₐ/τ (no normalization); P(i) = {p ≠ i : targetₚ = targetᵢ}; ℓᵢ = −(1/|P(i)|) Σ_{p∈P(i)} log e^{sᵢₚ} / Σ_{a≠i} e^{sᵢₐ}, 0 when P(i) = ∅; mean over the anchors with positives (default; 0 if none), sum, or none → [N]"
    static let gradient = "dSᵢₐ = w(softmax_{a≠i}(sᵢ)ₐ − [a ∈ P(i)]/|P(i)|) for anchors with positives, else 0; w = 1/#anchors with positives for mean; ∂/∂z = (dS + dSᵀ)·Z/τ"
    static let notes = "Supervised representation learning: every other sample of the anchor's class is a positive (stack all views along the batch). Labels may be any integers. Pass L2-normalized features, as the reference expects. Reference: HobbitLong/SupContrast SupConLoss (contrast_mode='all', base_temperature = temperature) on input.unsqueeze(1), per-anchor losses reduced over the anchors with positives (pytorch-metric-learning's AvgNonZeroReducer convention)."
    static let inputs = [
        InputSpec("input", .differentiable, "features [N, D]"),
        InputSpec("target", .labels, "integer labels [N] (any values)"),
    ]
    static let options = [OptionSpec("temperature", default: "0.1", "τ, finite and > 0"), OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try supervisedContrastiveLoss(
            input: a.tensor("input"), target: a.labels("target"), temperature: a.number("temperature"),
            reduction: a.reduction(), wrt: a.wrt)
    }
}
