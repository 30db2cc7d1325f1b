#if canImport(_Differentiation)
import _Differentiation
import LossKit
import LossKitDifferentiation

// `eval --autodiff` for the generative-model losses (Generative+Differentiable).

extension GANEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (objective, side, r) = (try a.choice("objective", as: GANObjective.self), try a.choice("side", as: GANSide.self), try a.reduction())
        if a.has("real") {
            return try a.differentiating("input", "real", loss: { (input: Tensor<T>, real: Tensor<T>) in
                Losses.ganLoss(input: input, real: real, objective: objective, side: side, reduction: r)
            }, firstOnly: { (input: Tensor<T>, real: Tensor<T>) in
                Losses.ganLoss(input: input, real: real, objective: objective, side: side, reduction: r)
            })
        }
        return try a.differentiating("input") { (input: Tensor<T>) in Losses.ganLoss(input: input, objective: objective, side: side, reduction: r) }
    }
}

extension GradientPenaltyEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (kind, weight, r): (GradientPenaltyKind, T, Reduction) =
            (try a.choice("kind", as: GradientPenaltyKind.self), try a.number("weight"), try a.reduction())
        return try a.differentiating("input") { input in Losses.gradientPenalty(input: input, kind: kind, weight: weight, reduction: r) }
    }
}

extension PerceptualEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, weight, normalize): (Tensor<T>, Tensor<T>?, Bool) =
            (try a.tensor("target"), try a.optionalTensor("weight"), try a.flag("normalize"))
        let (distance, r) = (try a.choice("distance", as: PerceptualDistance.self), try a.reduction())
        return try a.differentiating("input") { input in
            Losses.perceptualLoss(input: input, target: target, weight: weight, normalize: normalize, distance: distance, reduction: r)
        }
    }
}

extension StyleEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (target, r): (Tensor<T>, Reduction) = (try a.tensor("target"), try a.reduction())
        return try a.differentiating("input") { input in Losses.styleLoss(input: input, target: target, reduction: r) }
    }
}

extension TotalVariationEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let r = try a.reduction()
        return try a.differentiating("input") { (input: Tensor<T>) in Losses.totalVariationLoss(input: input, reduction: r) }
    }
}
#endif
