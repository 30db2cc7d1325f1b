#if canImport(_Differentiation)
import _Differentiation
import LossKit
import LossKitDifferentiation

// `eval --autodiff` for the segmentation losses (Segmentation+Differentiable).

/// dice, jaccard and tversky through the differentiable Tversky form (as `evaluateOverlap`).
private func overlapAutodiff<T: LossScalar>(_ a: Arguments, alpha: T, beta: T, gamma: T) throws -> LossResult<T> {
    let mode = try a.choice("mode", as: SegmentationMode.self)
    let (fromLogits, smooth, eps): (Bool, T, T) = (try a.flag("from-logits"), try a.number("smooth"), try a.number("eps"))
    let (ignoreIndex, logLoss, r) = (try a.optionalInteger("ignore-index"), try a.flag("log-loss"), try a.reduction())
    if mode == .multiclass {
        let target = try a.labels("target")
        return try a.differentiating("input") { (input: Tensor<T>) in
            Losses.tverskyLoss(
                input: input, target: target, mode: mode, fromLogits: fromLogits, smooth: smooth, eps: eps,
                ignoreIndex: ignoreIndex, logLoss: logLoss, alpha: alpha, beta: beta, gamma: gamma, reduction: r)
        }
    }
    let target: Tensor<T> = try a.tensor("target")
    return try a.differentiating("input") { input in
        Losses.tverskyLoss(
            input: input, target: target, mode: mode, fromLogits: fromLogits, smooth: smooth, eps: eps,
            ignoreIndex: ignoreIndex, logLoss: logLoss, alpha: alpha, beta: beta, gamma: gamma, reduction: r)
    }
}

extension DiceEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> { try overlapAutodiff(a, alpha: 0.5, beta: 0.5, gamma: 1) }
}

extension JaccardEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> { try overlapAutodiff(a, alpha: 1, beta: 1, gamma: 1) }
}

extension TverskyEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> { try overlapAutodiff(a, alpha: a.number("alpha"), beta: a.number("beta"), gamma: a.number("gamma") as T) }
}

extension LovaszEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let mode = try a.choice("mode", as: SegmentationMode.self)
        let (perImage, ignoreIndex) = (try a.flag("per-image"), try a.optionalInteger("ignore-index"))
        let (fromLogits, r) = (try a.flag("from-logits"), try a.reduction())
        if mode == .multiclass {
            let target = try a.labels("target")
            return try a.differentiating("input") { (input: Tensor<T>) in
                Losses.lovaszLoss(
                    input: input, target: target, mode: mode, fromLogits: fromLogits, perImage: perImage, ignoreIndex: ignoreIndex,
                    reduction: r)
            }
        }
        let target: Tensor<T> = try a.tensor("target")
        return try a.differentiating("input") { input in
            Losses.lovaszLoss(
                input: input, target: target, mode: mode, fromLogits: fromLogits, perImage: perImage, ignoreIndex: ignoreIndex,
                reduction: r)
        }
    }
}
#endif
