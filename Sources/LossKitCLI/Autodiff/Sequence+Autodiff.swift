#if canImport(_Differentiation)
import _Differentiation
import LossKit
import LossKitDifferentiation

// `eval --autodiff` for CTC (Sequence+Differentiable).

extension CTCEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, inputLengths, targetLengths) = (try a.labels("target"), try a.labels("input_lengths"), try a.labels("target_lengths"))
        let (blank, zeroInfinity, fromLogits, r) =
            (try a.integer("blank"), try a.flag("zero-infinity"), try a.flag("from-logits"), try a.reduction())
        return try a.differentiating("input") { (input: Tensor<T>) in
            Losses.ctcLoss(
                input: input, target: target, inputLengths: inputLengths, targetLengths: targetLengths, blank: blank,
                zeroInfinity: zeroInfinity, fromLogits: fromLogits, reduction: r)
        }
    }
}
#endif
