#if canImport(_Differentiation)
import _Differentiation
import LossKit
import LossKitDifferentiation

// `eval --autodiff` for the attention-target loss (AttentionTarget+Differentiable).

extension AttentionTargetEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, logLoss, r): (Tensor<T>, Bool, Reduction) = (try a.tensor("target"), try a.flag("log"), try a.reduction())
        return try a.differentiating("input") { input in Losses.attentionTargetLoss(input: input, target: target, logLoss: logLoss, reduction: r) }
    }
}
#endif
