import RealModule
/// The per-element terms an elementwise loss kernel returns for 8 lanes: the loss and its
/// partial derivatives with respect to up to three inputs (unused ones are ignored and the
/// optimizer removes their computation).
public struct LaneTerms<T: LossScalar> {
    public var loss: SIMD8<T>
    public var d0: SIMD8<T>
    public var d1: SIMD8<T>
    public var d2: SIMD8<T>

    @inlinable @inline(__always)
    public init(loss: SIMD8<T>, d0: SIMD8<T> = .zero, d1: SIMD8<T> = .zero, d2: SIMD8<T> = .zero) {
        self.loss = loss; self.d0 = d0; self.d1 = d1; self.d2 = d2
    }
}

/// Where an elementwise loss writes: the unreduced losses (for `none`) and the gradients that
/// were asked for. `nil` skips the store, and with it the work.
@usableFromInline
struct ElementwiseOutputs<T: LossScalar> {
    @usableFromInline var losses: UnsafeMutablePointer<T>?
    @usableFromInline var g0: UnsafeMutablePointer<T>?
    @usableFromInline var g1: UnsafeMutablePointer<T>?
    @usableFromInline var g2: UnsafeMutablePointer<T>?

    @inlinable
    init(losses: UnsafeMutablePointer<T>?, g0: UnsafeMutablePointer<T>?, g1: UnsafeMutablePointer<T>? = nil, g2: UnsafeMutablePointer<T>? = nil) {
        self.losses = losses; self.g0 = g0; self.g1 = g1; self.g2 = g2
    }
}

/// The one driver of elementwise losses: runs `kernel` over three same-length inputs, 8 lanes at a
/// time (the tail padded with `pads`), multiplies the derivatives by `scale` (the reduction's
/// gradient factor), stores what `outputs` asks for and returns the sum of the losses over the
/// valid lanes. Large inputs are split over threads deterministically (see ``blockedSum(count:blockSize:context:_:)``).
///
/// Two-input losses pass the same buffer as the third input and ignore it.
///
/// Codegen: the closure handed to the threads captures `kernel` and nothing else; pointers and
/// factors travel in the ``ElementwiseBlock`` argument. When `kernel` is a closure literal that
/// captures nothing (most losses), the optimizer can then give that closure a copy of its own
/// with the kernel inlined into the lane loop (capture propagation). Had it also captured the
/// pointers, the threads would call the kernel indirectly per 8 lanes, its four result vectors
/// passed through memory: mse 4M on 2 threads took 2.7 ms that way, 0.9 ms this way (the 1-thread
/// path, called directly, was always specialized: 1.6 ms). A larger closure literal (bce, kl-div)
/// is then still called once per 8 lanes, its four result vectors passed through memory and
/// every derivative computed whether wanted or not; passing a local `@inline(__always)` function
/// instead gets it inlined (bce-with-logits 4M 4.6 → 4.1 ms, kl-div 4096×1000 1.66 → 1.41 ms on
/// 2 threads). A kernel that captures values (sigmoid-focal's parameters) must stay a closure
/// literal: as a capturing local function it ran 10× slower, called through its context.
@inlinable
func elementwiseLoss<T: LossScalar>(
    count: Int,
    _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafePointer<T>,
    pads: (T, T, T) = (0, 0, 0),
    scale: T,
    outputs: ElementwiseOutputs<T>,
    kernel: (SIMD8<T>, SIMD8<T>, SIMD8<T>) -> LaneTerms<T>
) -> T {
    let block = ElementwiseBlock(a: a, b: b, c: c, pads: pads, scale: scale, outputs: outputs)
    return blockedSum(count: count, blockSize: Parallelism.grain, context: block) { block, range in
        block.run(range, kernel)
    }
}

/// The data of an elementwise loss: its inputs, tail pads, gradient factor and outputs, handed to
/// each block of ``elementwiseLoss(count:_:_:_:pads:scale:outputs:kernel:)`` as an argument.
@usableFromInline
struct ElementwiseBlock<T: LossScalar> {
    @usableFromInline let a: UnsafePointer<T>
    @usableFromInline let b: UnsafePointer<T>
    @usableFromInline let c: UnsafePointer<T>
    @usableFromInline let pads: (T, T, T)
    @usableFromInline let scale: T
    @usableFromInline let outputs: ElementwiseOutputs<T>

    @inlinable
    init(
        a: UnsafePointer<T>, b: UnsafePointer<T>, c: UnsafePointer<T>, pads: (T, T, T), scale: T,
        outputs: ElementwiseOutputs<T>
    ) {
        self.a = a; self.b = b; self.c = c; self.pads = pads; self.scale = scale; self.outputs = outputs
    }

    /// Runs `kernel` over `range` and returns the sum of its losses.
    @inlinable @inline(__always)
    func run(_ range: Range<Int>, _ kernel: (SIMD8<T>, SIMD8<T>, SIMD8<T>) -> LaneTerms<T>) -> T {
        var acc = SIMD8<T>.zero
        var i = range.lowerBound
        let end = range.upperBound
        let s = SIMD8<T>(repeating: scale)
        while i + 8 <= end {
            let t = kernel(load8(a + i), load8(b + i), load8(c + i))
            acc += t.loss
            if let o = outputs.losses { store8(t.loss, o + i) }
            if let g = outputs.g0 { store8(t.d0 * s, g + i) }
            if let g = outputs.g1 { store8(t.d1 * s, g + i) }
            if let g = outputs.g2 { store8(t.d2 * s, g + i) }
            i += 8
        }
        let n = end - i
        if n > 0 {
            let t = kernel(
                loadPartial(a + i, n, pad: pads.0), loadPartial(b + i, n, pad: pads.1),
                loadPartial(c + i, n, pad: pads.2))
            acc += t.loss.keepingFirstLanes(n)
            if let o = outputs.losses { storePartial(t.loss, o + i, n) }
            if let g = outputs.g0 { storePartial(t.d0 * s, g + i, n) }
            if let g = outputs.g1 { storePartial(t.d1 * s, g + i, n) }
            if let g = outputs.g2 { storePartial(t.d2 * s, g + i, n) }
        }
        return acc.laneSum()
    }
}

/// A non-null base address for a possibly empty buffer (never dereferenced when empty).
@inlinable @inline(__always)
func base<T>(_ b: UnsafeBufferPointer<T>) -> UnsafePointer<T> {
    b.baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<T>.alignment)!
}

/// A non-null base address for a possibly empty mutable buffer (never dereferenced when empty).
@inlinable @inline(__always)
func base<T>(_ b: UnsafeMutableBufferPointer<T>) -> UnsafeMutablePointer<T> {
    b.baseAddress ?? UnsafeMutablePointer(bitPattern: MemoryLayout<T>.alignment)!
}

/// Allocates an array of `count` elements and lets `body` initialize every one of them.
@inlinable
func makeArray<T: LossScalar>(count: Int, _ body: (UnsafeMutablePointer<T>) -> Void) -> [T] {
    [T](unsafeUninitializedCapacity: count) { buffer, initialized in
        if count > 0 { body(buffer.baseAddress!) }
        initialized = count
    }
}

/// Evaluates an elementwise loss over same-shaped tensors and packages the result: the reduced
/// value (or the `none` tensor of the inputs' shape) and the gradients requested in `wrt`.
///
/// - Parameters:
///   - inputs: up to three same-shaped tensors, each with the argument its gradient belongs to
///     (`nil` for an input that is not differentiable).
///   - denominator: what `mean` divides by (defaults to the element count).
///
/// Written without helper closures on purpose: the outputs are ``TensorBuffer``s whose pointers
/// are at hand, and the inputs are opened by a fixed three-level nesting the optimizer inlines,
/// so `kernel` reaches ``elementwiseLoss(count:_:_:_:pads:scale:outputs:kernel:)`` as the
/// caller's closure literal (see there for how it then gets inlined into the lane loop).
@inlinable
func evaluateElementwise<T: LossScalar>(
    _ inputs: [(tensor: Tensor<T>, argument: LossArgument?)],
    wrt: Set<LossArgument>,
    reduction: Reduction,
    denominator: T? = nil,
    pads: (T, T, T) = (0, 0, 0),
    kernel: (SIMD8<T>, SIMD8<T>, SIMD8<T>) -> LaneTerms<T>
) -> LossResult<T> {
    precondition((1...3).contains(inputs.count), "elementwise losses take one to three inputs")
    let shape = inputs[0].tensor.shape
    let count = inputs[0].tensor.count
    let plan = ReductionPlan<T>(reduction, denominator: denominator ?? T(count))
    let scale = plan.gradientScale
    // The `none` losses and the requested gradients, uninitialized; the kernel writes every
    // element of each exactly once.
    func output(_ wanted: Bool) -> TensorBuffer<T>? { wanted ? TensorBuffer(uninitializedCount: count) : nil }
    func gradient(_ i: Int) -> TensorBuffer<T>? {
        output(i < inputs.count && inputs[i].argument.map(wrt.contains) == true)
    }
    let losses = output(reduction == .none)
    let g0 = gradient(0), g1 = gradient(1), g2 = gradient(2)
    let outputs = ElementwiseOutputs(losses: losses?.base, g0: g0?.base, g1: g1?.base, g2: g2?.base)
    let a = inputs[0].tensor, b = inputs[min(1, inputs.count - 1)].tensor, c = inputs[min(2, inputs.count - 1)].tensor
    let sum = a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeBufferPointer { pc in
                elementwiseLoss(
                    count: count, base(pa), base(pb), base(pc), pads: pads, scale: scale, outputs: outputs,
                    kernel: kernel)
            }
        }
    }
    var result = LossResult<T>(
        value: losses.map { Tensor(uncheckedShape: shape, scalars: $0) } ?? Tensor(plan.value(fromSum: sum)))
    for (i, g) in [g0, g1, g2].enumerated() {
        if let g, let arg = inputs[i].argument { result.gradients[arg] = Tensor(uncheckedShape: shape, scalars: g) }
    }
    return result
}

/// Allocates one uninitialized ``TensorBuffer`` of `count` elements per `true` in `wanted`,
/// calls `body` once with their base addresses (`nil` where not wanted) and returns them;
/// `body` must initialize every element of every buffer it is given. Wrap a result with
/// `Tensor(uncheckedShape:scalars:)`.
@inlinable
func makeBuffers<T>(
    count: Int, wanted: [Bool], _ body: ([UnsafeMutablePointer<T>?]) -> Void
) -> [TensorBuffer<T>?] {
    let buffers = wanted.map { $0 ? TensorBuffer<T>(uninitializedCount: count) : nil }
    body(buffers.map { $0?.base })
    return buffers
}

/// Calls `body` with the base addresses of up to three tensors' contiguous storage.
@inlinable
func withPointers<T: LossScalar, R>(_ tensors: [Tensor<T>], _ body: ([UnsafePointer<T>]) -> R) -> R {
    func go(_ i: Int, _ acc: [UnsafePointer<T>]) -> R {
        if i == tensors.count { return body(acc) }
        return tensors[i].withUnsafeBufferPointer { go(i + 1, acc + [base($0)]) }
    }
    return go(0, [])
}
