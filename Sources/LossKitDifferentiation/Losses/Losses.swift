#if canImport(_Differentiation)
import _Differentiation

/// LossKit's losses as differentiable, non-throwing functions: `Losses.crossEntropy(...)`
/// is ``LossKit/crossEntropy(input:target:weight:ignoreIndex:labelSmoothing:reduction:wrt:)``
/// for use inside `gradient(at:of:)`.
///
/// Each form takes the core function's arguments and options with the same names and defaults
/// (without `wrt`: the compiler chooses the registered derivative for what it differentiates)
/// and returns the loss as a tensor (0-d when reduced). Its registered derivatives run the core
/// function's fused kernel once, for the value and the gradients of exactly the arguments being
/// differentiated, and scale those gradients by the incoming cotangent.
///
/// The forms do not throw (throwing differentiable functions are not reliable in Swift 6.3): on
/// invalid arguments they stop with the core function's `LossError` message. Validate untrusted
/// input with the throwing function first.
///
/// ```swift
/// let g = gradient(at: w) { w in Losses.meanSquaredError(input: x.matmul(w), target: y) }
/// ```
public enum Losses {}

/// How a `.none` loss's elements depend on its arguments, which decides how a full cotangent
/// scales the fused kernel's gradient (the gradient of the sum of the elements).
@usableFromInline
enum LossElements {
    /// Element i depends only on element i of each argument (the shapes are equal).
    case elementwise
    /// Element n (of shape [N, ...]) depends only on sample n of each argument (`[N, ...]`).
    case perSample
    /// Elements are the argument's positions without the class dimension 1 (`[N, C, d…]` → `[N, d…]`).
    case perPosition
    /// Elements share arguments: only a reduced value (or `.none` with a cotangent of ones) can
    /// be differentiated.
    case coupled
}

/// The value of a core loss called with `wrt: []`; stops with the error's message.
@inlinable
func lossValue<T: LossScalar>(_ name: String, _ body: () throws(LossError) -> LossResult<T>) -> Tensor<T> {
    do { return try body().value } catch { preconditionFailure("Losses.\(name): \(error)") }
}

/// The value and the gradients of `arguments` (in that order) of a core loss, and the function
/// that turns a cotangent of the value into the cotangents of the arguments.
@inlinable
func lossPullback<T: LossScalar>(
    _ name: String, _ arguments: [LossArgument], elements: LossElements,
    _ body: (Set<LossArgument>) throws(LossError) -> LossResult<T>
) -> (value: Tensor<T>, pullback: (Tensor<T>) -> [Tensor<T>]) {
    let result: LossResult<T>
    do { result = try body(Set(arguments)) } catch { preconditionFailure("Losses.\(name): \(error)") }
    let gradients = arguments.map { a in
        guard let g = result.gradients[a] else { preconditionFailure("Losses.\(name): no gradient for \(a.rawValue)") }
        return g
    }
    let valueShape = result.value.shape
    return (result.value, { v in
        gradients.map { scaleGradient($0, by: v, valueShape: valueShape, elements: elements, name: name) }
    })
}

/// The gradient of Σᵢ vᵢ·ℓᵢ from the gradient `g` of Σᵢ ℓᵢ.
@inlinable
func scaleGradient<T: LossScalar>(
    _ g: Tensor<T>, by v: Tensor<T>, valueShape: [Int], elements: LossElements, name: String
) -> Tensor<T> {
    if v.rank == 0 || v.count == 1 && valueShape.reduce(1, *) == 1 {
        // A cotangent of 1 (every gradient(at:of:) of a reduced loss) leaves the fused gradient
        // as it is: no second pass over it.
        let c = v.scalar ?? 0
        return c == 1 ? g : g * Tensor(c)
    }
    precondition(v.shape == valueShape, "Losses.\(name): cotangent of shape \(v.shape) for a value of shape \(valueShape)")
    switch elements {
    case .elementwise:
        if g.shape == valueShape { return g * v }
        // An argument that broadcasts (a variance [N, 1] for a value [N, D]) has a gradient summed
        // over the broadcast elements, which a cotangent that varies cannot scale afterwards; one
        // value for every element can (ones: the gradient of the sum, as `losskit eval` asks).
        let first = v.scalars.first ?? 1
        let uniform = v.withUnsafeBufferPointer { $0.allSatisfy { $0 == first } }
        precondition(uniform, "Losses.\(name): an argument of shape \(g.shape) broadcasts to the value's shape \(valueShape), so only a cotangent with one value for every element can be pulled back; expand the argument or use .sum or .mean")
        return first == 1 ? g : g * Tensor(first)
    case .perSample:
        let n = max(1, valueShape.reduce(1, *))
        return perBlock(g, v, inner: g.count / n)
    case .perPosition:
        // [N, C, d…] scaled by v[N, d…]: class c of position (n, d) takes v[n, d].
        guard g.rank >= 2 else { return g * v }
        let n = g.shape[0], c = g.shape[1], inner = g.count / max(1, n * c)
        let scaled: [T] = g.withUnsafeBufferPointer { pg in v.withUnsafeBufferPointer { pv in
            var out = [T](repeating: 0, count: pg.count)
            for i in 0..<n { for k in 0..<c { for d in 0..<inner {
                let j = (i * c + k) * inner + d
                out[j] = pg[j] * pv[i * inner + d]
            } } }
            return out
        } }
        return Tensor(validShape: g.shape, scaled)
    case .coupled:
        let ones = v.withUnsafeBufferPointer { $0.allSatisfy { $0 == 1 } }
        precondition(ones, "Losses.\(name): the elements of reduction .none share their arguments, so only a cotangent of ones (the gradient of their sum) can be pulled back; use .sum or .mean")
        return g
    }
}

/// `g` with each consecutive block of `inner` elements scaled by the matching element of `v`.
@inlinable
func perBlock<T: LossScalar>(_ g: Tensor<T>, _ v: Tensor<T>, inner: Int) -> Tensor<T> {
    precondition(inner * v.count == g.count, "cotangent of \(v.count) elements for a gradient of shape \(g.shape)")
    let scaled: [T] = g.withUnsafeBufferPointer { pg in v.withUnsafeBufferPointer { pv in
        var out = [T](repeating: 0, count: pg.count)
        for b in 0..<pv.count { for j in 0..<inner { out[b * inner + j] = pg[b * inner + j] * pv[b] } }
        return out
    } }
    return Tensor(validShape: g.shape, scaled)
}
#endif
