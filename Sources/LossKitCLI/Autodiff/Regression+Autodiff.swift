#if canImport(_Differentiation)
import _Differentiation
import LossKit
import LossKitDifferentiation

// `eval --autodiff` for the regression losses: the differentiable forms of Regression+Differentiable.

extension MSEEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let r = try a.reduction()
        return try a.differentiating("input", "target", loss: { input, target in Losses.meanSquaredError(input: input, target: target, reduction: r) }, firstOnly: { input, target in Losses.meanSquaredError(input: input, target: target, reduction: r) })
    }
}

extension L1Entry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let r = try a.reduction()
        return try a.differentiating("input", "target", loss: { input, target in Losses.meanAbsoluteError(input: input, target: target, reduction: r) }, firstOnly: { input, target in Losses.meanAbsoluteError(input: input, target: target, reduction: r) })
    }
}

extension EuclideanEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let r = try a.reduction()
        return try a.differentiating("input", "target", loss: { input, target in Losses.euclideanLoss(input: input, target: target, reduction: r) }, firstOnly: { input, target in Losses.euclideanLoss(input: input, target: target, reduction: r) })
    }
}

extension HuberEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (delta, r): (T, Reduction) = (try a.number("delta"), try a.reduction())
        return try a.differentiating("input", "target", loss: { input, target in Losses.huberLoss(input: input, target: target, delta: delta, reduction: r) }, firstOnly: { input, target in Losses.huberLoss(input: input, target: target, delta: delta, reduction: r) })
    }
}

extension SmoothL1Entry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (beta, r): (T, Reduction) = (try a.number("beta"), try a.reduction())
        return try a.differentiating("input", "target", loss: { input, target in Losses.smoothL1Loss(input: input, target: target, beta: beta, reduction: r) }, firstOnly: { input, target in Losses.smoothL1Loss(input: input, target: target, beta: beta, reduction: r) })
    }
}

extension LogCoshEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let r = try a.reduction()
        return try a.differentiating("input", "target", loss: { input, target in Losses.logCoshLoss(input: input, target: target, reduction: r) }, firstOnly: { input, target in Losses.logCoshLoss(input: input, target: target, reduction: r) })
    }
}

extension MSLEEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let r = try a.reduction()
        return try a.differentiating("input", "target", loss: { input, target in
            Losses.meanSquaredLogarithmicError(input: input, target: target, reduction: r)
        }, firstOnly: { input, target in
            Losses.meanSquaredLogarithmicError(input: input, target: target, reduction: r)
        })
    }
}

extension MAPEEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, r): (Tensor<T>, Reduction) = (try a.tensor("target"), try a.reduction())
        return try a.differentiating("input") { input in Losses.meanAbsolutePercentageError(input: input, target: target, reduction: r) }
    }
}

extension GaussianNLLEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (logVariance, full, eps, r): (Bool, Bool, T, Reduction) =
            (try a.flag("log-var"), try a.flag("full"), try a.number("eps"), try a.reduction())
        return try a.differentiating("input", "target", "var", loss: { input, target, variance in
            Losses.gaussianNegativeLogLikelihood(
                input: input, target: target, variance: variance, logVariance: logVariance, full: full, eps: eps, reduction: r)
        }, firstOnly: { input, target, variance in
            Losses.gaussianNegativeLogLikelihood(
                input: input, target: target, variance: variance, logVariance: logVariance, full: full, eps: eps, reduction: r)
        })
    }
}

extension LaplaceNLLEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (logScale, full, eps, r): (Bool, Bool, T, Reduction) =
            (try a.flag("log-scale"), try a.flag("full"), try a.number("eps"), try a.reduction())
        return try a.differentiating("input", "target", "scale", loss: { input, target, scale in
            Losses.laplaceNegativeLogLikelihood(
                input: input, target: target, scale: scale, logScale: logScale, full: full, eps: eps, reduction: r)
        }, firstOnly: { input, target, scale in
            Losses.laplaceNegativeLogLikelihood(
                input: input, target: target, scale: scale, logScale: logScale, full: full, eps: eps, reduction: r)
        })
    }
}

extension PoissonNLLEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (logInput, full, eps, r): (Bool, Bool, T, Reduction) =
            (try a.flag("log-input"), try a.flag("full"), try a.number("eps"), try a.reduction())
        return try a.differentiating("input", "target", loss: { input, target in
            Losses.poissonNegativeLogLikelihood(input: input, target: target, logInput: logInput, full: full, eps: eps, reduction: r)
        }, firstOnly: { input, target in
            Losses.poissonNegativeLogLikelihood(input: input, target: target, logInput: logInput, full: full, eps: eps, reduction: r)
        })
    }
}
#endif
