import LossKit

extension Catalog {
    /// Family D of LOSSES.md, dense overlap losses: dice, jaccard, tversky, lovasz.
    static let segmentation: [any CatalogEntry.Type] = [
        DiceEntry.self, JaccardEntry.self, TverskyEntry.self, LovaszEntry.self,
    ]
}

// The target is integer class indices in multiclass mode and a float mask in binary and
// multilabel modes; it is never differentiated (`.labelsOrConstant`); `mode` decides how it is read.

/// The dense input and target every segmentation loss takes.
private let denseInputs = [
    InputSpec("input", .differentiable, "logits (probabilities with from-logits=false) [N, C, d1, ...]"),
    InputSpec("target", .labelsOrConstant, "multiclass: int class indices [N, d1, ...]; binary: float mask [N, 1, d1, ...] or [N, d1, ...]; multilabel: float mask [N, C, d1, ...]"),
]

private let modeOption = OptionSpec("mode", default: "multiclass", "multiclass | binary | multilabel")
private let ignoreIndexOption = OptionSpec("ignore-index", default: nil, "target value whose positions are left out (default: none)")

/// The options of dice and jaccard (tversky adds alpha, beta, gamma).
private let overlapOptions = [
    modeOption,
    OptionSpec("from-logits", default: "true", "apply softmax (multiclass) or sigmoid to the input first"),
    OptionSpec("smooth", default: "0.0", "added to numerator and denominator (≥ 0)"),
    OptionSpec("eps", default: "1e-07", "lower clamp of the denominator (and of the score with log-loss)"),
    ignoreIndexOption,
    OptionSpec("log-loss", default: "false", "−log(score) instead of 1 − score"),
    OptionSpec.reduction(),
]

/// The gradient of dice and jaccard (tversky adds the factor of γ).
private let overlapGradient = """
    ∂L/∂p = A_c + B_c·sign(p − t) with A_c = ∂L/∂Σp_c, B_c = −½·∂L/∂I_c; then through the softmax \
    (p_k(g_k − Σp_j g_j)) or the sigmoid (·σ(x)σ(−x)); 0 at ignored positions and for empty-target classes
    """

private let overlapNotes = """
    Reductions: mean is smp's value (the mean over the C per-class losses, classes without target \
    pixels counting as 0); sum is their sum; none returns the per-class losses [C]. \
    Positions whose target is ignore-index count as p = t = 0.
    """

/// Reads the options the overlap losses share and evaluates the Tversky form with the given
/// weights: dice is α = β = ½, jaccard α = β = 1, both with γ = 1 (the library's `diceLoss` and
/// `jaccardLoss` are exactly these calls).
private func evaluateOverlap<T: LossScalar>(_ a: Arguments, alpha: T, beta: T, gamma: T) throws -> LossResult<T> {
    let mode = try a.choice("mode", as: SegmentationMode.self)
    let input: Tensor<T> = try a.tensor("input")
    let (fromLogits, smooth, eps): (Bool, T, T) = (try a.flag("from-logits"), try a.number("smooth"), try a.number("eps"))
    let (ignoreIndex, logLoss, reduction) = (try a.optionalInteger("ignore-index"), try a.flag("log-loss"), try a.reduction())
    if mode == .multiclass {
        return try tverskyLoss(
            input: input, target: a.labels("target"), mode: mode, fromLogits: fromLogits, smooth: smooth, eps: eps,
            ignoreIndex: ignoreIndex, logLoss: logLoss, alpha: alpha, beta: beta, gamma: gamma, reduction: reduction,
            wrt: a.wrt)
    }
    return try tverskyLoss(
        input: input, target: a.tensor("target") as Tensor<T>, mode: mode, fromLogits: fromLogits, smooth: smooth,
        eps: eps, ignoreIndex: ignoreIndex, logLoss: logLoss, alpha: alpha, beta: beta, gamma: gamma,
        reduction: reduction, wrt: a.wrt)
}

enum DiceEntry: CatalogEntry {
    static let id = "dice"
    static let summary = "Soft Dice loss of dense predictions (smp DiceLoss)"
    static let formula = """
        p = softmax(input) along dim 1 (multiclass) | σ(input) (binary, multilabel) | input (from-logits=false); \
        per class c over batch and space: I = (Σp + Σt − Σ|p − t|)/2, \
        dice_c = (I + smooth)/max(½Σp + ½Σt + smooth, eps), ℓ_c = 1 − dice_c (−log max(dice_c, eps) with log-loss), \
        ℓ_c = 0 when Σt = 0; mean over C (default), sum, or none ([C])
        """
    static let gradient = overlapGradient
    static let notes = """
        Semantic and medical image segmentation with imbalanced classes (small foreground objects). \
        \(overlapNotes) Reference: segmentation_models_pytorch.losses.DiceLoss 0.6.
        """
    static let inputs = denseInputs
    static let options = overlapOptions
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try evaluateOverlap(a, alpha: 0.5, beta: 0.5, gamma: 1)
    }
}

enum JaccardEntry: CatalogEntry {
    static let id = "jaccard"
    static let summary = "Soft Jaccard (IoU) loss of dense predictions (smp JaccardLoss)"
    static let formula = """
        p as in dice; per class c: I = (Σp + Σt − Σ|p − t|)/2, iou_c = (I + smooth)/max(Σp + Σt − I + smooth, eps), \
        ℓ_c = 1 − iou_c (−log max(iou_c, eps) with log-loss), ℓ_c = 0 when Σt = 0; mean over C (default), sum, or none ([C])
        """
    static let gradient = overlapGradient
    static let notes = """
        Segmentation trained directly on the IoU metric (the "IoU loss"). \(overlapNotes) \
        Reference: segmentation_models_pytorch.losses.JaccardLoss 0.6.
        """
    static let inputs = denseInputs
    static let options = overlapOptions
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try evaluateOverlap(a, alpha: 1, beta: 1, gamma: 1)
    }
}

enum TverskyEntry: CatalogEntry {
    static let id = "tversky"
    static let summary = "Tversky loss: overlap with weighted false positives and negatives, focal exponent (smp TverskyLoss)"
    static let formula = """
        p as in dice; per class c: I = (Σp + Σt − Σ|p − t|)/2, FP = Σp − I, FN = Σt − I, \
        tversky_c = (I + smooth)/max(I + α·FP + β·FN + smooth, eps), ℓ_c = 1 − tversky_c (−log max(·, eps) with \
        log-loss), 0 when Σt = 0; mean: (mean_c ℓ_c)^γ (default), sum: (Σ_c ℓ_c)^γ, none: [ℓ_c^γ]
        """
    static let gradient = """
        ∂L/∂p = A_c + B_c·sign(p − t) with A_c = ∂L/∂Σp_c, B_c = −½·∂L/∂I_c, ∂L/∂ℓ_c = γ·aggregate^(γ−1)/count; \
        then through the softmax or sigmoid; 0 at ignored positions and for empty-target classes
        """
    static let notes = """
        Imbalanced segmentation (lesions, small structures): β > α penalizes missed foreground more; \
        γ > 1 is the focal Tversky loss. α = β = ½ is dice, α = β = 1 jaccard. γ acts on the aggregate as \
        in smp, so for γ ≠ 1 sum is not the sum of the none elements. \(overlapNotes) \
        Reference: segmentation_models_pytorch.losses.TverskyLoss 0.6.
        """
    static let inputs = denseInputs
    static let options: [OptionSpec] = Array(overlapOptions.dropLast()) + [
        OptionSpec("alpha", default: "0.5", "weight of the false positives (≥ 0)"),
        OptionSpec("beta", default: "0.5", "weight of the false negatives (≥ 0)"),
        OptionSpec("gamma", default: "1.0", "exponent of the aggregated loss (> 0)"),
        OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try evaluateOverlap(a, alpha: a.number("alpha"), beta: a.number("beta"), gamma: a.number("gamma") as T)
    }
}

enum LovaszEntry: CatalogEntry {
    static let id = "lovasz"
    static let summary = "Lovász-softmax / Lovász hinge: convex surrogate of the IoU loss (smp LovaszLoss)"
    static let formula = """
        per problem (the batch, or each image with per-image): sort the errors e decreasingly, \
        J_k = 1 − (Σfg − cumΣfg_k)/(Σfg + cumΣ(1 − fg)_k), g_k = J_k − J_{k−1}, loss = Σ_k f(e_k)·g_k. \
        multiclass: e = |fg_c − softmax(input)_c| per class present, f = id, mean over present classes; \
        binary/multilabel (all elements flattened): e = 1 − x·(2t − 1), f = relu (hinge), or e = |t − p| with \
        from-logits=false. mean over problems (default), sum, or none ([N] per image; else [C] multiclass, [1] binary)
        """
    static let gradient = """
        the sub-gradient of smp's autograd: ∂L/∂e_i = g_rank(i) (·[e_i > 0] for the hinge); ∂e/∂x = −(2t − 1) \
        (hinge), sign(p − fg) (probabilities), then through the softmax; 0 at ignored positions
        """
    static let notes = """
        Segmentation optimizing the mean IoU directly (Berman et al. 2018), often fine-tuning after \
        cross-entropy. Ties between errors are ordered by increasing index (a stable sort; the value does not \
        depend on it, the sub-gradient does). smp's LovaszLoss ignores from-logits; here false means the input \
        holds probabilities (no softmax; Lovász extension of |t − p| for masks). An all-ignored problem gives 0. \
        Reference: segmentation_models_pytorch.losses.LovaszLoss 0.6.
        """
    static let inputs = denseInputs
    static let options = [
        modeOption,
        OptionSpec("per-image", default: "false", "one Lovász problem per image, averaged over the batch"),
        ignoreIndexOption,
        OptionSpec("from-logits", default: "true", "input holds logits (softmax / hinge); false: probabilities"),
        OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let mode = try a.choice("mode", as: SegmentationMode.self)
        let input: Tensor<T> = try a.tensor("input")
        let (perImage, ignoreIndex) = (try a.flag("per-image"), try a.optionalInteger("ignore-index"))
        let (fromLogits, reduction) = (try a.flag("from-logits"), try a.reduction())
        if mode == .multiclass {
            return try lovaszLoss(
                input: input, target: a.labels("target"), mode: mode, fromLogits: fromLogits, perImage: perImage,
                ignoreIndex: ignoreIndex, reduction: reduction, wrt: a.wrt)
        }
        return try lovaszLoss(
            input: input, target: a.tensor("target") as Tensor<T>, mode: mode, fromLogits: fromLogits,
            perImage: perImage, ignoreIndex: ignoreIndex, reduction: reduction, wrt: a.wrt)
    }
}
