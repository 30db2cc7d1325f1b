#if canImport(_Differentiation)
import _Differentiation
import LossKit
import LossKitDifferentiation

// `eval --autodiff` for distillation (Distillation+Differentiable).

extension DistillationEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, temperature, alpha, r): (Tensor<T>, T, T, Reduction) =
            (try a.tensor("target"), try a.number("temperature"), try a.number("alpha"), try a.reduction())
        if let labels = try a.optionalLabels("labels") {
            return try a.differentiating("input") { input in
                Losses.distillationLoss(input: input, target: target, labels: labels, temperature: temperature, alpha: alpha, reduction: r)
            }
        }
        return try a.differentiating("input") { input in
            Losses.distillationLoss(input: input, target: target, temperature: temperature, alpha: alpha, reduction: r)
        }
    }
}
#endif
