#if canImport(_Differentiation)
import _Differentiation
import LossKit
import LossKitDifferentiation

// `eval --autodiff` for the metric learning losses (MetricLearning+Differentiable).

extension TripletEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (margin, p, eps, swap): (T, T, T, Bool) = (try a.number("margin"), try a.number("p"), try a.number("eps"), try a.flag("swap"))
        let (distance, r) = (try a.choice("distance", as: TripletDistance.self), try a.reduction())
        return try a.differentiating("anchor", "positive", "negative", loss: { anchor, positive, negative in
            Losses.tripletMarginLoss(
                anchor: anchor, positive: positive, negative: negative, margin: margin, p: p, eps: eps, swap: swap,
                distance: distance, reduction: r)
        }, firstOnly: { anchor, positive, negative in
            Losses.tripletMarginLoss(
                anchor: anchor, positive: positive, negative: negative, margin: margin, p: p, eps: eps, swap: swap,
                distance: distance, reduction: r)
        })
    }
}

extension ContrastiveEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, margin, r): (Tensor<T>, T, Reduction) = (try a.tensor("target"), try a.number("margin"), try a.reduction())
        return try a.differentiating("input1", "input2", loss: { input1, input2 in
            Losses.contrastiveLoss(input1: input1, input2: input2, target: target, margin: margin, reduction: r)
        }, firstOnly: { input1, input2 in
            Losses.contrastiveLoss(input1: input1, input2: input2, target: target, margin: margin, reduction: r)
        })
    }
}

extension CosineEmbeddingEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, margin, r): (Tensor<T>, T, Reduction) = (try a.tensor("target"), try a.number("margin"), try a.reduction())
        return try a.differentiating("input1", "input2", loss: { input1, input2 in
            Losses.cosineEmbeddingLoss(input1: input1, input2: input2, target: target, margin: margin, reduction: r)
        }, firstOnly: { input1, input2 in
            Losses.cosineEmbeddingLoss(input1: input1, input2: input2, target: target, margin: margin, reduction: r)
        })
    }
}
#endif
