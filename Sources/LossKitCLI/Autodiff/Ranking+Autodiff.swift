#if canImport(_Differentiation)
import _Differentiation
import LossKit
import LossKitDifferentiation

// `eval --autodiff` for the ranking losses (Ranking+Differentiable).

extension MarginRankingEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, margin, r): (Tensor<T>, T, Reduction) = (try a.tensor("target"), try a.number("margin"), try a.reduction())
        return try a.differentiating("input1", "input2", loss: { input1, input2 in
            Losses.marginRankingLoss(input1: input1, input2: input2, target: target, margin: margin, reduction: r)
        }, firstOnly: { input1, input2 in
            Losses.marginRankingLoss(input1: input1, input2: input2, target: target, margin: margin, reduction: r)
        })
    }
}

extension PairwiseRankingEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, margin, r): (Tensor<T>, T, Reduction) = (try a.tensor("target"), try a.number("margin"), try a.reduction())
        return try a.differentiating("input") { input in Losses.pairwiseRankingLoss(input: input, target: target, margin: margin, reduction: r) }
    }
}

extension ListwiseRankingEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, mask, r): (Tensor<T>, Tensor<T>?, Reduction) = (try a.tensor("target"), try a.optionalTensor("mask"), try a.reduction())
        return try a.differentiating("input") { input in Losses.listwiseRankingLoss(input: input, target: target, mask: mask, reduction: r) }
    }
}
#endif
