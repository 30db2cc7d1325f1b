#if canImport(_Differentiation)
import _Differentiation
import LossKit
import LossKitDifferentiation

// `eval --autodiff` for the margin classification losses (MarginClassification+Differentiable).

extension MultiMarginEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, p, margin): (Tensor<Int>, T, T) = (try a.labels("target"), try a.number("p"), try a.number("margin"))
        let (weight, r): (Tensor<T>?, Reduction) = (try a.optionalTensor("weight"), try a.reduction())
        return try a.differentiating("input") { input in
            Losses.multiMarginLoss(input: input, target: target, p: p, margin: margin, weight: weight, reduction: r)
        }
    }
}

extension MultilabelMarginEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, r) = (try a.labels("target"), try a.reduction())
        return try a.differentiating("input") { (input: Tensor<T>) in Losses.multilabelMarginLoss(input: input, target: target, reduction: r) }
    }
}

extension HingeEmbeddingEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, margin, r): (Tensor<T>, T, Reduction) = (try a.tensor("target"), try a.number("margin"), try a.reduction())
        return try a.differentiating("input") { input in Losses.hingeEmbeddingLoss(input: input, target: target, margin: margin, reduction: r) }
    }
}

extension HingeEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, r): (Tensor<T>, Reduction) = (try a.tensor("target"), try a.reduction())
        return try a.differentiating("input") { input in Losses.hingeLoss(input: input, target: target, reduction: r) }
    }
}

extension SquaredHingeEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, r): (Tensor<T>, Reduction) = (try a.tensor("target"), try a.reduction())
        return try a.differentiating("input") { input in Losses.squaredHingeLoss(input: input, target: target, reduction: r) }
    }
}

extension CategoricalHingeEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, r): (Tensor<T>, Reduction) = (try a.tensor("target"), try a.reduction())
        return try a.differentiating("input") { input in Losses.categoricalHingeLoss(input: input, target: target, reduction: r) }
    }
}
#endif
