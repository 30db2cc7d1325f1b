#if canImport(_Differentiation)
import _Differentiation
import LossKit
import LossKitDifferentiation

/// A catalog entry that `losskit eval --autodiff` can run through Swift's automatic
/// differentiation: `valueWithPullback` over the entry's differentiable form (`Losses.NAME`),
/// with respect to every differentiable input of the call. Every entry conforms (a test checks it).
protocol DifferentiableEntry: CatalogEntry {
    static func evaluateAutodiff<T: LossScalar>(_ arguments: Arguments, as: T.Type) throws -> LossResult<T>
    /// `evaluateAutodiff` for Float and Double (requirements, so that a call through
    /// `any DifferentiableEntry.Type` runs a witness specialized for the entry).
    static func evaluateAutodiffFloat(_ arguments: Arguments) throws -> LossResult<Float>
    static func evaluateAutodiffDouble(_ arguments: Arguments) throws -> LossResult<Double>
}

extension DifferentiableEntry {
    static func evaluateAutodiffFloat(_ arguments: Arguments) throws -> LossResult<Float> {
        try evaluateAutodiff(arguments, as: Float.self)
    }

    static func evaluateAutodiffDouble(_ arguments: Arguments) throws -> LossResult<Double> {
        try evaluateAutodiff(arguments, as: Double.self)
    }
}

/// Four tensors as one differentiable value (`valueWithPullback` takes at most three arguments).
struct TensorQuadruple<T: LossScalar>: Differentiable {
    var first, second, third, fourth: Tensor<T>
}

extension Arguments {
    /// The cotangent that seeds the pullback: 1 for a reduced loss, ones for `none` (so the
    /// gradients are those of the value's sum, as `eval` reports them).
    private func seed<T: LossScalar>(for value: Tensor<T>) throws -> Tensor<T> {
        value.rank == 0 ? Tensor(T(1)) : try Tensor(shape: value.shape, repeating: T(1))
    }

    /// The value and the gradients in `wrt` of inputs `names` with cotangents `cotangents`
    /// (a 0-d zero, for an input the loss does not reach, becomes zeros of the input's shape).
    private func result<T: LossScalar>(
        _ value: Tensor<T>, _ names: [String], _ inputs: [Tensor<T>], _ cotangents: [Tensor<T>]
    ) throws -> LossResult<T> {
        var gradients: [LossArgument: Tensor<T>] = [:]
        for (i, name) in names.enumerated() {
            guard let argument = LossArgument(rawValue: name), wrt.contains(argument) else { continue }
            let g = cotangents[i]
            gradients[argument] = g.shape == inputs[i].shape ? g : try Tensor(shape: inputs[i].shape, repeating: g.scalar ?? 0)
        }
        return LossResult(value: value, gradients: gradients)
    }

    /// `valueWithPullback` of `loss` at input `name` (converted like ``tensor(_:)``).
    func differentiating<T: LossScalar>(
        _ name: String, loss: @differentiable(reverse) (Tensor<T>) -> Tensor<T>
    ) throws -> LossResult<T> {
        let x: Tensor<T> = try tensor(name)
        let (value, pullback) = valueWithPullback(at: x, of: loss)
        return try result(value, [name], [x], [pullback(try seed(for: value))])
    }

    /// Whether only the first input's gradient is wanted: the call then differentiates `firstOnly`,
    /// the same loss with the other inputs `@noDerivative`, so the compiler picks the form's
    /// derivative with respect to the first input alone and no other gradient is computed.
    private func wantsFirstOnly(_ first: String) -> Bool {
        wrt.isSubset(of: LossArgument(rawValue: first).map { [$0] } ?? [])
    }

    /// `valueWithPullback` of `loss` at inputs `name1`, `name2` (of `firstOnly` at `name1`
    /// when only its gradient is wanted).
    func differentiating<T: LossScalar>(
        _ name1: String, _ name2: String, loss: @differentiable(reverse) (Tensor<T>, Tensor<T>) -> Tensor<T>,
        firstOnly: @differentiable(reverse) (Tensor<T>, @noDerivative Tensor<T>) -> Tensor<T>
    ) throws -> LossResult<T> {
        let (x1, x2): (Tensor<T>, Tensor<T>) = (try tensor(name1), try tensor(name2))
        if wantsFirstOnly(name1) {
            let (value, pullback) = valueWithPullback(at: x1) { x in firstOnly(x, x2) }
            return try result(value, [name1], [x1], [pullback(try seed(for: value))])
        }
        let (value, pullback) = valueWithPullback(at: x1, x2, of: loss)
        let (g1, g2) = pullback(try seed(for: value))
        return try result(value, [name1, name2], [x1, x2], [g1, g2])
    }

    /// `valueWithPullback` of `loss` at inputs `name1`, `name2`, `name3` (of `firstOnly` at
    /// `name1` when only its gradient is wanted).
    func differentiating<T: LossScalar>(
        _ name1: String, _ name2: String, _ name3: String,
        loss: @differentiable(reverse) (Tensor<T>, Tensor<T>, Tensor<T>) -> Tensor<T>,
        firstOnly: @differentiable(reverse) (Tensor<T>, @noDerivative Tensor<T>, @noDerivative Tensor<T>) -> Tensor<T>
    ) throws -> LossResult<T> {
        let (x1, x2, x3): (Tensor<T>, Tensor<T>, Tensor<T>) = (try tensor(name1), try tensor(name2), try tensor(name3))
        if wantsFirstOnly(name1) {
            let (value, pullback) = valueWithPullback(at: x1) { x in firstOnly(x, x2, x3) }
            return try result(value, [name1], [x1], [pullback(try seed(for: value))])
        }
        let (value, pullback) = valueWithPullback(at: x1, x2, x3, of: loss)
        let (g1, g2, g3) = pullback(try seed(for: value))
        return try result(value, [name1, name2, name3], [x1, x2, x3], [g1, g2, g3])
    }

    /// `valueWithPullback` of `loss` at four inputs, passed as one ``TensorQuadruple``.
    func differentiating<T: LossScalar>(
        _ name1: String, _ name2: String, _ name3: String, _ name4: String,
        loss: @differentiable(reverse) (TensorQuadruple<T>) -> Tensor<T>
    ) throws -> LossResult<T> {
        let x = TensorQuadruple<T>(first: try tensor(name1), second: try tensor(name2), third: try tensor(name3), fourth: try tensor(name4))
        let (value, pullback) = valueWithPullback(at: x, of: loss)
        let g = pullback(try seed(for: value))
        return try result(
            value, [name1, name2, name3, name4], [x.first, x.second, x.third, x.fourth], [g.first, g.second, g.third, g.fourth])
    }
}
#endif
