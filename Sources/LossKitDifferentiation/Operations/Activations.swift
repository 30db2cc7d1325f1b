#if canImport(_Differentiation)
import _Differentiation
import RealModule

/// An elementwise function on 8 SIMD lanes with its derivative, written from the input x and
/// the value y = f(x) (whichever is cheaper). A type rather than a pair of closures: the pullback
/// must outlive the call, and an escaping closure would be called per 8 lanes through memory
/// (perf showed relu's pullback so, 37% of a bias + relu step); a generic parameter specializes
/// and inlines into the lane loop.
@usableFromInline
protocol LaneActivation {
    associatedtype Scalar: LossScalar
    func value(_ x: SIMD8<Scalar>) -> SIMD8<Scalar>
    func derivative(x: SIMD8<Scalar>, y: SIMD8<Scalar>) -> SIMD8<Scalar>
}

extension Tensor where Scalar: LossScalar {
    /// `a` elementwise, with the pullback `v ↦ v ⊙ a′(x, y)`, both 8 SIMD lanes at a time
    /// (``Lanewise``) and over threads above the grain.
    @inlinable
    func applying<A: LaneActivation>(_ a: A) -> Tensor where A.Scalar == Scalar {
        withUnsafeBufferPointer { p in Tensor(validShape: shape) { Lanewise.map(count: p.count, p.baseAddress!, into: $0) { a.value($0) } } }
    }

    @inlinable
    func applyingWithPullback<A: LaneActivation>(_ a: A) -> (value: Tensor, pullback: (Tensor) -> Tensor) where A.Scalar == Scalar {
        let x = self, y = applying(a)
        return (y, { v in
            let v = v.expanded(to: x.shape)
            return x.withUnsafeBufferPointer { px in y.withUnsafeBufferPointer { py in v.withUnsafeBufferPointer { pv in
                Tensor(validShape: x.shape) {
                    Lanewise.map(count: px.count, pv.baseAddress!, px.baseAddress!, py.baseAddress!, into: $0) { v, x, y in
                        v * a.derivative(x: x, y: y)
                    }
                }
            } } }
        })
    }
}

@usableFromInline
struct ReluLanes<Scalar: LossScalar>: LaneActivation {
    @inlinable init() {}
    @inlinable @inline(__always) func value(_ x: SIMD8<Scalar>) -> SIMD8<Scalar> { Lanewise.relu(x) }
    @inlinable @inline(__always) func derivative(x: SIMD8<Scalar>, y: SIMD8<Scalar>) -> SIMD8<Scalar> {
        Lanewise.selecting(SIMD8(repeating: 1), where: x, otherwise: .zero)
    }
}

@usableFromInline
struct LeakyReluLanes<Scalar: LossScalar>: LaneActivation {
    @usableFromInline let slope: Scalar
    @inlinable init(slope: Scalar) { self.slope = slope }
    @inlinable @inline(__always) func value(_ x: SIMD8<Scalar>) -> SIMD8<Scalar> { Lanewise.selecting(x, where: x, otherwise: slope * x) }
    @inlinable @inline(__always) func derivative(x: SIMD8<Scalar>, y: SIMD8<Scalar>) -> SIMD8<Scalar> {
        Lanewise.selecting(SIMD8(repeating: 1), where: x, otherwise: SIMD8(repeating: slope))
    }
}

@usableFromInline
struct TanhLanes<Scalar: LossScalar>: LaneActivation {
    @inlinable init() {}
    @inlinable @inline(__always) func value(_ x: SIMD8<Scalar>) -> SIMD8<Scalar> { Lanewise.tanh(x) }
    @inlinable @inline(__always) func derivative(x: SIMD8<Scalar>, y: SIMD8<Scalar>) -> SIMD8<Scalar> { 1 - y * y }
}

@usableFromInline
struct SigmoidLanes<Scalar: LossScalar>: LaneActivation {
    @inlinable init() {}
    @inlinable @inline(__always) func value(_ x: SIMD8<Scalar>) -> SIMD8<Scalar> { Lanewise.sigmoid(x) }
    @inlinable @inline(__always) func derivative(x: SIMD8<Scalar>, y: SIMD8<Scalar>) -> SIMD8<Scalar> { y * (1 - y) }
}

@usableFromInline
struct ExpLanes<Scalar: LossScalar>: LaneActivation {
    @inlinable init() {}
    @inlinable @inline(__always) func value(_ x: SIMD8<Scalar>) -> SIMD8<Scalar> { Scalar.vexp(x) }
    @inlinable @inline(__always) func derivative(x: SIMD8<Scalar>, y: SIMD8<Scalar>) -> SIMD8<Scalar> { y }
}

@usableFromInline
struct LogLanes<Scalar: LossScalar>: LaneActivation {
    @inlinable init() {}
    @inlinable @inline(__always) func value(_ x: SIMD8<Scalar>) -> SIMD8<Scalar> { Scalar.vlog(x) }
    @inlinable @inline(__always) func derivative(x: SIMD8<Scalar>, y: SIMD8<Scalar>) -> SIMD8<Scalar> { 1 / x }
}

/// max(x, 0) elementwise; the derivative at 0 is 0 (as PyTorch); NaN stays NaN.
@inlinable
@differentiable(reverse)
public func relu<T: LossScalar>(_ x: Tensor<T>) -> Tensor<T> { x.applying(ReluLanes()) }

@inlinable
@derivative(of: relu)
func _vjpRelu<T: LossScalar>(_ x: Tensor<T>) -> (value: Tensor<T>, pullback: (Tensor<T>) -> Tensor<T>) {
    x.applyingWithPullback(ReluLanes())
}

/// x for x > 0, `slope`·x otherwise.
@inlinable
@differentiable(reverse, wrt: x)
public func leakyRelu<T: LossScalar>(_ x: Tensor<T>, slope: T = 0.01) -> Tensor<T> { x.applying(LeakyReluLanes(slope: slope)) }

@inlinable
@derivative(of: leakyRelu, wrt: x)
func _vjpLeakyRelu<T: LossScalar>(_ x: Tensor<T>, slope: T) -> (value: Tensor<T>, pullback: (Tensor<T>) -> Tensor<T>) {
    x.applyingWithPullback(LeakyReluLanes(slope: slope))
}

/// tanh elementwise, accurate relative to itself for tiny |x| (``Lanewise/tanh(_:)``).
@inlinable
@differentiable(reverse)
public func tanh<T: LossScalar>(_ x: Tensor<T>) -> Tensor<T> { x.applying(TanhLanes()) }

@inlinable
@derivative(of: tanh)
func _vjpTanh<T: LossScalar>(_ x: Tensor<T>) -> (value: Tensor<T>, pullback: (Tensor<T>) -> Tensor<T>) {
    x.applyingWithPullback(TanhLanes())
}

/// The logistic sigmoid elementwise, overflow-free for both signs (``Lanewise/sigmoid(_:)``).
@inlinable
@differentiable(reverse)
public func sigmoid<T: LossScalar>(_ x: Tensor<T>) -> Tensor<T> { x.applying(SigmoidLanes()) }

@inlinable
@derivative(of: sigmoid)
func _vjpSigmoid<T: LossScalar>(_ x: Tensor<T>) -> (value: Tensor<T>, pullback: (Tensor<T>) -> Tensor<T>) {
    x.applyingWithPullback(SigmoidLanes())
}

/// eˣ elementwise.
@inlinable
@differentiable(reverse)
public func exp<T: LossScalar>(_ x: Tensor<T>) -> Tensor<T> { x.applying(ExpLanes()) }

@inlinable
@derivative(of: exp)
func _vjpExp<T: LossScalar>(_ x: Tensor<T>) -> (value: Tensor<T>, pullback: (Tensor<T>) -> Tensor<T>) {
    x.applyingWithPullback(ExpLanes())
}

/// The natural logarithm elementwise.
@inlinable
@differentiable(reverse)
public func log<T: LossScalar>(_ x: Tensor<T>) -> Tensor<T> { x.applying(LogLanes()) }

@inlinable
@derivative(of: log)
func _vjpLog<T: LossScalar>(_ x: Tensor<T>) -> (value: Tensor<T>, pullback: (Tensor<T>) -> Tensor<T>) {
    x.applyingWithPullback(LogLanes())
}
#endif
