#if canImport(_Differentiation)
import _Differentiation
import LossKit
import LossKitDifferentiation

// `eval --autodiff` for the contrastive losses (Contrastive+Differentiable).

extension InfoNCEEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (temperature, normalize, r): (T, Bool, Reduction) = (try a.number("temperature"), try a.flag("normalize"), try a.reduction())
        if a.has("negatives") {
            return try a.differentiating("query", "positive", "negatives", loss: { query, positive, negatives in
                Losses.infoNCELoss(
                    query: query, positive: positive, negatives: negatives, temperature: temperature, normalize: normalize, reduction: r)
            }, firstOnly: { query, positive, negatives in
                Losses.infoNCELoss(
                    query: query, positive: positive, negatives: negatives, temperature: temperature, normalize: normalize, reduction: r)
            })
        }
        return try a.differentiating("query", "positive", loss: { query, positive in
            Losses.infoNCELoss(query: query, positive: positive, temperature: temperature, normalize: normalize, reduction: r)
        }, firstOnly: { query, positive in
            Losses.infoNCELoss(query: query, positive: positive, temperature: temperature, normalize: normalize, reduction: r)
        })
    }
}

extension NTXentEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (temperature, r): (T, Reduction) = (try a.number("temperature"), try a.reduction())
        return try a.differentiating("input") { input in Losses.ntXentLoss(input: input, temperature: temperature, reduction: r) }
    }
}

extension CLIPEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (temperature, normalize, r): (T, Bool, Reduction) = (try a.number("temperature"), try a.flag("normalize"), try a.reduction())
        return try a.differentiating("input1", "input2", loss: { input1, input2 in
            Losses.clipLoss(input1: input1, input2: input2, temperature: temperature, normalize: normalize, reduction: r)
        }, firstOnly: { input1, input2 in
            Losses.clipLoss(input1: input1, input2: input2, temperature: temperature, normalize: normalize, reduction: r)
        })
    }
}

extension SupConEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, temperature, r): (Tensor<Int>, T, Reduction) = (try a.labels("target"), try a.number("temperature"), try a.reduction())
        return try a.differentiating("input") { input in
            Losses.supervisedContrastiveLoss(input: input, target: target, temperature: temperature, reduction: r)
        }
    }
}
#endif
