#if canImport(_Differentiation)
import _Differentiation
import LossKit
import LossKitDifferentiation

// `eval --autodiff` for the binary classification losses (BinaryClassification+Differentiable).

extension BCEEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (weight, r): (Tensor<T>?, Reduction) = (try a.optionalTensor("weight"), try a.reduction())
        return try a.differentiating("input", "target", loss: { input, target in
            Losses.binaryCrossEntropy(input: input, target: target, weight: weight, reduction: r)
        }, firstOnly: { input, target in
            Losses.binaryCrossEntropy(input: input, target: target, weight: weight, reduction: r)
        })
    }
}

extension BCEWithLogitsEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (weight, posWeight, r): (Tensor<T>?, Tensor<T>?, Reduction) =
            (try a.optionalTensor("weight"), try a.optionalTensor("pos_weight"), try a.reduction())
        return try a.differentiating("input", "target", loss: { input, target in
            Losses.binaryCrossEntropyWithLogits(input: input, target: target, weight: weight, posWeight: posWeight, reduction: r)
        }, firstOnly: { input, target in
            Losses.binaryCrossEntropyWithLogits(input: input, target: target, weight: weight, posWeight: posWeight, reduction: r)
        })
    }
}

extension SigmoidFocalEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (alpha, gamma, r): (T, T, Reduction) = (try a.number("alpha"), try a.number("gamma"), try a.reduction())
        return try a.differentiating("input", "target", loss: { input, target in
            Losses.sigmoidFocalLoss(input: input, target: target, alpha: alpha < 0 ? nil : alpha, gamma: gamma, reduction: r)
        }, firstOnly: { input, target in
            Losses.sigmoidFocalLoss(input: input, target: target, alpha: alpha < 0 ? nil : alpha, gamma: gamma, reduction: r)
        })
    }
}

extension SoftMarginEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, r): (Tensor<T>, Reduction) = (try a.tensor("target"), try a.reduction())
        return try a.differentiating("input") { input in Losses.softMarginLoss(input: input, target: target, reduction: r) }
    }
}

extension MultilabelSoftMarginEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, weight, r): (Tensor<T>, Tensor<T>?, Reduction) =
            (try a.tensor("target"), try a.optionalTensor("weight"), try a.reduction())
        return try a.differentiating("input") { input in
            Losses.multilabelSoftMarginLoss(input: input, target: target, weight: weight, reduction: r)
        }
    }
}
#endif
