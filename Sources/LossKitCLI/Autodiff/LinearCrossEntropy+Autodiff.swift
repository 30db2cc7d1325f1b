#if canImport(_Differentiation)
import _Differentiation
import LossKit
import LossKitDifferentiation

// `eval --autodiff` for the fused linear cross-entropy (LinearCrossEntropy+Differentiable).

extension LinearCrossEntropyEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (classWeight, ignoreIndex, smoothing): (Tensor<T>?, Int, T) =
            (try a.optionalTensor("class-weight"), try a.integer("ignore-index"), try a.number("label-smoothing"))
        let (r, chunkSize) = (try a.reduction(), try a.optionalInteger("chunk-size"))
        switch (a.isInteger("target"), a.has("bias")) {
        case (true, false):
            let target = try a.labels("target")
            return try a.differentiating("input", "weight", loss: { (input: Tensor<T>, weight: Tensor<T>) in
                Losses.linearCrossEntropy(
                    input: input, weight: weight, target: target, classWeight: classWeight, ignoreIndex: ignoreIndex,
                    labelSmoothing: smoothing, reduction: r, chunkSize: chunkSize)
            }, firstOnly: { (input: Tensor<T>, weight: Tensor<T>) in
                Losses.linearCrossEntropy(
                    input: input, weight: weight, target: target, classWeight: classWeight, ignoreIndex: ignoreIndex,
                    labelSmoothing: smoothing, reduction: r, chunkSize: chunkSize)
            })
        case (true, true):
            let target = try a.labels("target")
            return try a.differentiating("input", "weight", "bias", loss: { (input: Tensor<T>, weight: Tensor<T>, bias: Tensor<T>) in
                Losses.linearCrossEntropy(
                    input: input, weight: weight, target: target, bias: bias, classWeight: classWeight, ignoreIndex: ignoreIndex,
                    labelSmoothing: smoothing, reduction: r, chunkSize: chunkSize)
            }, firstOnly: { (input: Tensor<T>, weight: Tensor<T>, bias: Tensor<T>) in
                Losses.linearCrossEntropy(
                    input: input, weight: weight, target: target, bias: bias, classWeight: classWeight, ignoreIndex: ignoreIndex,
                    labelSmoothing: smoothing, reduction: r, chunkSize: chunkSize)
            })
        case (false, false):
            return try a.differentiating("input", "weight", "target", loss: { (input: Tensor<T>, weight: Tensor<T>, target: Tensor<T>) in
                Losses.linearCrossEntropy(
                    input: input, weight: weight, target: target, classWeight: classWeight, ignoreIndex: ignoreIndex,
                    labelSmoothing: smoothing, reduction: r, chunkSize: chunkSize)
            }, firstOnly: { (input: Tensor<T>, weight: Tensor<T>, target: Tensor<T>) in
                Losses.linearCrossEntropy(
                    input: input, weight: weight, target: target, classWeight: classWeight, ignoreIndex: ignoreIndex,
                    labelSmoothing: smoothing, reduction: r, chunkSize: chunkSize)
            })
        case (false, true):
            return try a.differentiating("input", "weight", "target", "bias") { (x: TensorQuadruple<T>) in
                Losses.linearCrossEntropy(
                    input: x.first, weight: x.second, target: x.third, bias: x.fourth, classWeight: classWeight,
                    ignoreIndex: ignoreIndex, labelSmoothing: smoothing, reduction: r, chunkSize: chunkSize)
            }
        }
    }
}
#endif
