import LossKit

extension Catalog {
    /// Binary and multi-label classification (family B of LOSSES.md); library
    /// `Sources/LossKit/BinaryClassification.swift`.
    static let binaryClassification: [any CatalogEntry.Type] = [
        BCEEntry.self, BCEWithLogitsEntry.self, SigmoidFocalEntry.self, SoftMarginEntry.self,
        MultilabelSoftMarginEntry.self,
    ]
}

enum BCEEntry: CatalogEntry {
    static let id = "bce"
    static let summary = "Binary cross-entropy on probabilities (F.binary_cross_entropy)"
    static let formula = "ℓᵢ = −wᵢ·[tᵢ·max(log pᵢ, −100) + (1 − tᵢ)·max(log(1 − pᵢ), −100)], p = input ∈ [0, 1], t = target ∈ [0, 1]; mean (default), sum or none"
    static let gradient = "∂ℓᵢ/∂input = wᵢ·(p − t)/max((1 − p)·p, 1e-12) (PyTorch's ε); ∂ℓᵢ/∂target = wᵢ·[max(log(1 − p), −100) − max(log p, −100)]; divided by the count for mean"
    static let notes = "Binary and multi-label classification when the model already outputs probabilities (prefer bce-with-logits on logits). weight broadcasts to the input's shape and does not change the mean's denominator. Input or target outside [0, 1] is an error. The target gradient is the derivative of the clamped value (±100 at p = 0 or 1, where PyTorch gives ±inf). Reference: torch.nn.functional.binary_cross_entropy."
    static let inputs = [
        InputSpec("input", .differentiable, "probabilities in [0, 1], any shape"),
        InputSpec("target", .differentiable, "probabilities in [0, 1], same shape as input"),
        InputSpec("weight", .constant, required: false, "rescaling weight broadcastable to the input's shape"),
    ]
    static let options = [OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try binaryCrossEntropy(
            input: a.tensor("input"), target: a.tensor("target"), weight: a.optionalTensor("weight"),
            reduction: a.reduction(), wrt: a.wrt)
    }
}

enum BCEWithLogitsEntry: CatalogEntry {
    static let id = "bce-with-logits"
    static let summary = "Binary cross-entropy on logits, sigmoid fused (F.binary_cross_entropy_with_logits)"
    static let formula = "ℓᵢ = wᵢ·[(1 − tᵢ)·xᵢ + (1 + (pwᵢ − 1)·tᵢ)·softplus(−xᵢ)], x = input (logits), t = target, w = weight, pw = pos_weight (both broadcast; default 1); mean (default), sum or none"
    static let gradient = "∂ℓᵢ/∂input = wᵢ·[(1 − t) − (1 + (pw − 1)·t)·σ(−x)] (= w·(σ(x) − t) without pos_weight); ∂ℓᵢ/∂target = wᵢ·[−x + (pw − 1)·softplus(−x)]; divided by the count for mean"
    static let notes = "Binary and multi-label classification (one sigmoid per class), GAN discriminators; pos_weight [C] trades recall for precision per class. One exponential and one logarithm per element, fused with the gradient. Finite at x = ±inf where the limit is (x = +inf, t = 1 gives 0 where PyTorch gives NaN). Reference: torch.nn.functional.binary_cross_entropy_with_logits."
    static let inputs = [
        InputSpec("input", .differentiable, "logits, any shape"),
        InputSpec("target", .differentiable, "targets (usually in [0, 1]), same shape as input"),
        InputSpec("weight", .constant, required: false, "rescaling weight broadcastable to the input's shape"),
        InputSpec("pos_weight", .constant, required: false, "weight of the positive term, broadcastable to the input's shape (usually [C] for input [..., C])"),
    ]
    static let options = [OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try binaryCrossEntropyWithLogits(
            input: a.tensor("input"), target: a.tensor("target"), weight: a.optionalTensor("weight"),
            posWeight: a.optionalTensor("pos_weight"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum SigmoidFocalEntry: CatalogEntry {
    static let id = "sigmoid-focal"
    static let summary = "Sigmoid focal loss of RetinaNet (torchvision.ops.sigmoid_focal_loss)"
    static let formula = "p = σ(x), p_t = p·t + (1 − p)·(1 − t), α_t = α·t + (1 − α)·(1 − t) (1 when α < 0); ℓᵢ = α_t·bce-with-logits(x, t)·(1 − p_t)^γ; none (default), mean or sum"
    static let gradient = "a = 1 − p_t, CE = bce-with-logits: ∂ℓ/∂input = α_t·a^γ·[(p − t) + γ·(CE/a)·p(1 − p)(1 − 2t)]; ∂ℓ/∂target = α_t·a^γ·[−x + γ·(CE/a)·(1 − 2p)] + (2α − 1)·CE·a^γ (last term when α ≥ 0); divided by the count for mean"
    static let notes = "Dense object detection with extreme foreground/background imbalance (RetinaNet, DETR-style matchers): down-weights easy examples. Computed in log space (optax form), so it stays finite where the reference gives NaN (x = +inf with t = 1; gradients for γ < 1 at saturation). target in [0, 1] (soft targets allowed); alpha ≤ 1, negative disables; gamma ≥ 0. Reference: torchvision.ops.sigmoid_focal_loss."
    static let inputs = [
        InputSpec("input", .differentiable, "logits, any shape"),
        InputSpec("target", .differentiable, "targets in [0, 1], same shape as input"),
    ]
    static let options = [
        OptionSpec("alpha", default: "0.25", "weight of the positive class in [0, 1]; negative disables the α weighting"),
        OptionSpec("gamma", default: "2.0", "focusing exponent ≥ 0 (0 = α-weighted bce-with-logits)"),
        OptionSpec.reduction(.none),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        // torchvision's convention: a negative alpha disables the weighting (the library's nil).
        let alpha: T = try a.number("alpha")
        return try sigmoidFocalLoss(
            input: a.tensor("input"), target: a.tensor("target"), alpha: alpha < 0 ? nil : alpha, gamma: a.number("gamma"),
            reduction: a.reduction(), wrt: a.wrt)
    }
}

enum SoftMarginEntry: CatalogEntry {
    static let id = "soft-margin"
    static let summary = "Two-class logistic loss on ±1 targets (F.soft_margin_loss)"
    static let formula = "ℓᵢ = log(1 + exp(−tᵢ·xᵢ)), computed as softplus(−t·x); mean (default), sum or none"
    static let gradient = "∂ℓᵢ/∂input = −tᵢ·σ(−tᵢ·xᵢ); divided by the count for mean"
    static let notes = "Logistic regression / binary classification with ±1 labels. Finite for any finite margin (PyTorch overflows to inf for t·x < −88 in float32). Reference: torch.nn.functional.soft_margin_loss."
    static let inputs = [
        InputSpec("input", .differentiable, "scores, any shape"),
        InputSpec("target", .constant, "labels −1 or 1, same shape as input"),
    ]
    static let options = [OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try softMarginLoss(input: a.tensor("input"), target: a.tensor("target"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum MultilabelSoftMarginEntry: CatalogEntry {
    static let id = "multilabel-soft-margin"
    static let summary = "Multi-label one-versus-all logistic loss (F.multilabel_soft_margin_loss)"
    static let formula = "ℓₙ = (1/C) Σ_c w_c·[−t_nc·log σ(x_nc) − (1 − t_nc)·log σ(−x_nc)]; mean over N (default), sum, or none → [N]"
    static let gradient = "∂ℓₙ/∂input_nc = w_c·(σ(x_nc) − t_nc)/C; divided by N for mean"
    static let notes = "Multi-label classification (tagging: each class present or not), the mean over classes of bce-with-logits. Reference: torch.nn.functional.multilabel_soft_margin_loss."
    static let inputs = [
        InputSpec("input", .differentiable, "logits [N, C] (or [C])"),
        InputSpec("target", .constant, "labels 0 or 1, same shape as input"),
        InputSpec("weight", .constant, required: false, "class weights [C]"),
    ]
    static let options = [OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try multilabelSoftMarginLoss(
            input: a.tensor("input"), target: a.tensor("target"), weight: a.optionalTensor("weight"),
            reduction: a.reduction(), wrt: a.wrt)
    }
}
