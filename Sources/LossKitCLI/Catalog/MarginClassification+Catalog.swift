import LossKit

extension Catalog {
    /// Margin classification (family B of LOSSES.md); library
    /// `Sources/LossKit/MarginClassification.swift`.
    static let marginClassification: [any CatalogEntry.Type] = [
        MultiMarginEntry.self, MultilabelMarginEntry.self, HingeEmbeddingEntry.self, HingeEntry.self,
        SquaredHingeEntry.self, CategoricalHingeEntry.self,
    ]
}

enum MultiMarginEntry: CatalogEntry {
    static let id = "multi-margin"
    static let summary = "Multi-class hinge loss (F.multi_margin_loss)"
    static let formula = "ℓₙ = (1/C) Σ_{c ≠ y} w_y·max(0, margin − x_y + x_c)^p, p ∈ {1, 2}; mean over N (default), sum, or none → [N]"
    static let gradient = "for c ≠ y with z_c = margin − x_y + x_c > 0: ∂ℓₙ/∂x_c = w_y·(p = 1 ? 1 : 2z_c)/C, ∂ℓₙ/∂x_y = −Σ of those; 0 at z_c = 0; divided by N for mean"
    static let notes = "Multi-class SVM (Weston–Watkins) objective on class scores; p = 2 is the squared hinge. weight [C] scales each sample by its target class's weight. Reference: torch.nn.functional.multi_margin_loss."
    static let inputs = [
        InputSpec("input", .differentiable, "scores [N, C] (or [C], or 0-d: one class)"),
        InputSpec("target", .labels, "class indices [N] in 0..<C"),
        InputSpec("weight", .constant, required: false, "class weights [C]"),
    ]
    static let options = [
        OptionSpec("p", default: "1", "exponent of the hinge: 1 or 2"),
        OptionSpec("margin", default: "1.0", "the margin"),
        OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try multiMarginLoss(
            input: a.tensor("input") as Tensor<T>, target: a.labels("target"), p: a.number("p"), margin: a.number("margin"),
            weight: a.optionalTensor("weight"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum MultilabelMarginEntry: CatalogEntry {
    static let id = "multilabel-margin"
    static let summary = "Multi-label hinge loss over target/non-target pairs (F.multilabel_margin_loss)"
    static let formula = "Y = labels of row n before the first −1; ℓₙ = (1/C) Σ_{j ∈ Y} Σ_{i ∉ Y} max(0, 1 − (x_j − x_i)); mean over N (default), sum, or none → [N]"
    static let gradient = "each pair with 1 − x_j + x_i > 0 adds −1/C to ∂ℓ/∂x_j and +1/C to ∂ℓ/∂x_i; divided by N for mean"
    static let notes = "Multi-label ranking: every target class should score 1 above every other class. Target values must lie in −1..<C. Reference: torch.nn.functional.multilabel_margin_loss."
    static let inputs = [
        InputSpec("input", .differentiable, "scores [N, C] (or [C], or 0-d: one class)"),
        InputSpec("target", .labels, "class indices [N, C], padded with −1"),
    ]
    static let options = [OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try multilabelMarginLoss(input: a.tensor("input") as Tensor<T>, target: a.labels("target"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum HingeEmbeddingEntry: CatalogEntry {
    static let id = "hinge-embedding"
    static let summary = "Hinge embedding loss for ±1 pair labels (F.hinge_embedding_loss)"
    static let formula = "ℓᵢ = xᵢ if tᵢ = 1, max(0, margin − xᵢ) if tᵢ = −1; mean (default), sum or none"
    static let gradient = "∂ℓᵢ/∂input = 1 if t = 1; −1 if t = −1 and margin − x ≥ 0 (the reference's clamp_min); else 0; divided by the count for mean"
    static let notes = "Learning embeddings or semi-supervised similarity from distances (e.g. L1 distance of a pair): pull similar pairs together, push dissimilar ones beyond the margin. Targets other than ±1 are an error. Reference: torch.nn.functional.hinge_embedding_loss."
    static let inputs = [
        InputSpec("input", .differentiable, "distances or scores, any shape"),
        InputSpec("target", .constant, "labels −1 or 1, same shape as input"),
    ]
    static let options = [OptionSpec("margin", default: "1.0", "the margin for dissimilar pairs"), OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try hingeEmbeddingLoss(
            input: a.tensor("input"), target: a.tensor("target"), margin: a.number("margin"),
            reduction: a.reduction(), wrt: a.wrt)
    }
}

enum HingeEntry: CatalogEntry {
    static let id = "hinge"
    static let summary = "Binary hinge loss of SVMs, elementwise (Keras hinge)"
    static let formula = "s = target with 0 → −1; ℓᵢ = max(0, 1 − sᵢ·xᵢ); mean (default), sum or none"
    static let gradient = "∂ℓᵢ/∂input = −sᵢ where 1 − s·x > 0, else 0 (no gradient at the kink); divided by the count for mean"
    static let notes = "Maximum-margin binary classification (linear SVM objective). Targets all in {−1, 1} or all in {0, 1}. Reference: keras.losses.hinge, written as relu(1 − s·x) in PyTorch."
    static let inputs = [
        InputSpec("input", .differentiable, "decision values, any shape"),
        InputSpec("target", .constant, "labels in {−1, 1} or {0, 1}, same shape as input"),
    ]
    static let options = [OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try hingeLoss(input: a.tensor("input"), target: a.tensor("target"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum SquaredHingeEntry: CatalogEntry {
    static let id = "squared-hinge"
    static let summary = "Squared hinge loss, elementwise (Keras squared_hinge)"
    static let formula = "s = target with 0 → −1; ℓᵢ = max(0, 1 − sᵢ·xᵢ)²; mean (default), sum or none"
    static let gradient = "∂ℓᵢ/∂input = −2sᵢ·max(0, 1 − sᵢ·xᵢ); divided by the count for mean"
    static let notes = "L2-SVM objective: a differentiable hinge that penalizes large violations more. Squares each element before the mean (Keras), not the mean itself (Swift for TensorFlow's defect). Targets all in {−1, 1} or all in {0, 1}. Reference: keras.losses.squared_hinge, written in PyTorch."
    static let inputs = HingeEntry.inputs
    static let options = [OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try squaredHingeLoss(input: a.tensor("input"), target: a.tensor("target"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum CategoricalHingeEntry: CatalogEntry {
    static let id = "categorical-hinge"
    static let summary = "Multi-class hinge on one-hot targets (Keras categorical_hinge)"
    static let formula = "pos = Σ_c t_c·x_c, neg = max_c (1 − t_c)·x_c; ℓₙ = max(0, 1 + neg − pos); mean (default), sum, or none → input shape without the last dim"
    static let gradient = "where 1 + neg − pos > 0: ∂ℓₙ/∂x_c = −t_c + (1 − t_c)·[c = argmax] (first maximum); else 0; divided by the row count for mean"
    static let notes = "Crammer–Singer multi-class SVM on one-hot targets: the best wrong class should score 1 below the true one. Reference: keras.losses.categorical_hinge, written in PyTorch."
    static let inputs = [
        InputSpec("input", .differentiable, "scores [N, C] (class dimension last)"),
        InputSpec("target", .constant, "one-hot targets, same shape as input"),
    ]
    static let options = [OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try categoricalHingeLoss(input: a.tensor("input"), target: a.tensor("target"), reduction: a.reduction(), wrt: a.wrt)
    }
}
