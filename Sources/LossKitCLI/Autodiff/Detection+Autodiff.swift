#if canImport(_Differentiation)
import _Differentiation
import LossKit
import LossKitDifferentiation

// `eval --autodiff` for the box losses (Detection+Differentiable).

extension BoxIoUEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (eps, r): (T, Reduction) = (try a.number("eps"), try a.reduction())
        return try a.differentiating("input", "target", loss: { input, target in Losses.boxIoULoss(input: input, target: target, eps: eps, reduction: r) }, firstOnly: { input, target in Losses.boxIoULoss(input: input, target: target, eps: eps, reduction: r) })
    }
}

extension GIoUEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (eps, r): (T, Reduction) = (try a.number("eps"), try a.reduction())
        return try a.differentiating("input", "target", loss: { input, target in
            Losses.generalizedBoxIoULoss(input: input, target: target, eps: eps, reduction: r)
        }, firstOnly: { input, target in
            Losses.generalizedBoxIoULoss(input: input, target: target, eps: eps, reduction: r)
        })
    }
}

extension DIoUEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (eps, r): (T, Reduction) = (try a.number("eps"), try a.reduction())
        return try a.differentiating("input", "target", loss: { input, target in
            Losses.distanceBoxIoULoss(input: input, target: target, eps: eps, reduction: r)
        }, firstOnly: { input, target in
            Losses.distanceBoxIoULoss(input: input, target: target, eps: eps, reduction: r)
        })
    }
}

extension CIoUEntry: DifferentiableEntry {
    static func evaluateAutodiff<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let (eps, r): (T, Reduction) = (try a.number("eps"), try a.reduction())
        return try a.differentiating("input", "target", loss: { input, target in
            Losses.completeBoxIoULoss(input: input, target: target, eps: eps, reduction: r)
        }, firstOnly: { input, target in
            Losses.completeBoxIoULoss(input: input, target: target, eps: eps, reduction: r)
        })
    }
}
#endif
