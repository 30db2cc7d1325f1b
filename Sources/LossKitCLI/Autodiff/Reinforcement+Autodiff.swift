#if canImport(_Differentiation)
import _Differentiation
import LossKit
import LossKitDifferentiation

// `eval --autodiff` for the policy-optimization losses (Reinforcement+Differentiable).

extension PPOClipEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (old, advantages, clip, r): (Tensor<T>, Tensor<T>, T, Reduction) =
            (try a.tensor("old"), try a.tensor("advantages"), try a.number("clip"), try a.reduction())
        return try a.differentiating("input") { input in
            Losses.ppoClipLoss(input: input, old: old, advantages: advantages, clip: clip, reduction: r)
        }
    }
}

extension KLPenaltyEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (reference, mask, beta): (Tensor<T>, Tensor<T>?, T) = (try a.tensor("reference"), try a.optionalTensor("mask"), try a.number("beta"))
        let (estimator, r) = (try a.choice("estimator", as: KLEstimator.self), try a.reduction())
        return try a.differentiating("input") { input in
            Losses.klPenalty(input: input, reference: reference, mask: mask, estimator: estimator, beta: beta, reduction: r)
        }
    }
}
#endif
