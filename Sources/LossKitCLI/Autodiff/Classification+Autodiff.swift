#if canImport(_Differentiation)
import _Differentiation
import LossKit
import LossKitDifferentiation

// `eval --autodiff` for the classification losses (Classification+Differentiable).

extension CrossEntropyEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (weight, smoothing): (Tensor<T>?, T) = (try a.optionalTensor("weight"), try a.number("label-smoothing"))
        let (ignoreIndex, r) = (try a.integer("ignore-index"), try a.reduction())
        if a.isInteger("target") {
            let target = try a.labels("target")
            return try a.differentiating("input") { (input: Tensor<T>) in
                Losses.crossEntropy(
                    input: input, target: target, weight: weight, ignoreIndex: ignoreIndex, labelSmoothing: smoothing, reduction: r)
            }
        }
        return try a.differentiating("input", "target", loss: { (input: Tensor<T>, target: Tensor<T>) in
            Losses.crossEntropy(
                input: input, target: target, weight: weight, ignoreIndex: ignoreIndex, labelSmoothing: smoothing, reduction: r)
        }, firstOnly: { (input: Tensor<T>, target: Tensor<T>) in
            Losses.crossEntropy(
                input: input, target: target, weight: weight, ignoreIndex: ignoreIndex, labelSmoothing: smoothing, reduction: r)
        })
    }
}

extension NLLEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, weight): (Tensor<Int>, Tensor<T>?) = (try a.labels("target"), try a.optionalTensor("weight"))
        let (ignoreIndex, r) = (try a.integer("ignore-index"), try a.reduction())
        return try a.differentiating("input") { input in
            Losses.negativeLogLikelihood(input: input, target: target, weight: weight, ignoreIndex: ignoreIndex, reduction: r)
        }
    }
}

extension FocalEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let alpha: FocalAlpha<T>? = try Self.alpha(a)
        let (target, gamma, ignoreIndex, r): (Tensor<Int>, T, Int, Reduction) =
            (try a.labels("target"), try a.number("gamma"), try a.integer("ignore-index"), try a.reduction())
        return try a.differentiating("input") { input in
            Losses.focalLoss(input: input, target: target, alpha: alpha, gamma: gamma, ignoreIndex: ignoreIndex, reduction: r)
        }
    }
}

extension Poly1Entry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, weight, epsilon): (Tensor<Int>, Tensor<T>?, T) =
            (try a.labels("target"), try a.optionalTensor("weight"), try a.number("epsilon"))
        let (ignoreIndex, r) = (try a.integer("ignore-index"), try a.reduction())
        return try a.differentiating("input") { input in
            Losses.poly1CrossEntropy(
                input: input, target: target, weight: weight, epsilon: epsilon, ignoreIndex: ignoreIndex, reduction: r)
        }
    }
}
#endif
