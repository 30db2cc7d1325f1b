#if canImport(_Differentiation)
import _Differentiation
import LossKit
import LossKitDifferentiation

// `eval --autodiff` for the divergences (Divergence+Differentiable).

extension KLDivergenceEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (logTarget, fromLogits, r) = (try a.flag("log-target"), try a.flag("from-logits"), try a.reduction())
        return try a.differentiating("input", "target", loss: { (input: Tensor<T>, target: Tensor<T>) in
            Losses.klDivergence(input: input, target: target, logTarget: logTarget, fromLogits: fromLogits, reduction: r)
        }, firstOnly: { (input: Tensor<T>, target: Tensor<T>) in
            Losses.klDivergence(input: input, target: target, logTarget: logTarget, fromLogits: fromLogits, reduction: r)
        })
    }
}

extension JensenShannonEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (fromLogits, r) = (try a.flag("from-logits"), try a.reduction())
        return try a.differentiating("input", "target", loss: { (input: Tensor<T>, target: Tensor<T>) in
            Losses.jensenShannonDivergence(input: input, target: target, fromLogits: fromLogits, reduction: r)
        }, firstOnly: { (input: Tensor<T>, target: Tensor<T>) in
            Losses.jensenShannonDivergence(input: input, target: target, fromLogits: fromLogits, reduction: r)
        })
    }
}

extension VAEKLEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let r = try a.reduction()
        return try a.differentiating("mean", "logvar", loss: { (mean: Tensor<T>, logVariance: Tensor<T>) in
            Losses.vaeKLDivergence(mean: mean, logVariance: logVariance, reduction: r)
        }, firstOnly: { (mean: Tensor<T>, logVariance: Tensor<T>) in
            Losses.vaeKLDivergence(mean: mean, logVariance: logVariance, reduction: r)
        })
    }
}
#endif
