import RealModule
// Operands broadcast to an input's shape (NumPy rules) without expanding them, and the elementwise
// driver that reads them: used by every loss with a broadcastable weight (bce, bce-with-logits).

/// How an operand broadcast to the input's shape maps a linear input index to its own storage.
/// Dimensions of extent 1 are dropped and neighbouring dimensions merged, so the common cases
/// reduce to one of three fast forms.
@usableFromInline
struct BroadcastLayout: Sendable {
    @usableFromInline
    enum Kind: Sendable {
        /// One value for every element.
        case scalar
        /// The operand has the input's shape.
        case dense
        /// Element i reads operand[i % period] (e.g. `pos_weight` `[C]` for input `[N, C]`).
        case periodic(Int)
        /// Anything else: an odometer over the merged dimensions.
        case general
    }
    @usableFromInline let kind: Kind
    /// The merged dimensions, outermost first, and the operand's stride in each (0 = broadcast).
    @usableFromInline let extents: [Int]
    @usableFromInline let strides: [Int]

    @inlinable
    init(kind: Kind, extents: [Int], strides: [Int]) {
        self.kind = kind; self.extents = extents; self.strides = strides
    }
}

/// The layout of an operand of shape `operand` broadcast (NumPy rules, aligned on the last
/// dimension) to exactly `shape`.
///
/// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` unless every dimension of
///   `operand` is 1 or equal to the aligned dimension of `shape`, and its rank is not larger.
@inlinable
func broadcastLayout(of operand: [Int], to shape: [Int], argument: String) throws(LossError) -> BroadcastLayout {
    let fail = LossError.invalidShape(
        argument: argument, shape: operand, reason: "does not broadcast to the input's shape \(describe(shape: shape))")
    guard operand.count <= shape.count else { throw fail }
    let aligned = [Int](repeating: 1, count: shape.count - operand.count) + operand
    var strides = [Int](repeating: 0, count: shape.count)
    var stride = 1
    for d in shape.indices.reversed() {
        guard aligned[d] == shape[d] || aligned[d] == 1 else { throw fail }
        strides[d] = aligned[d] == 1 ? 0 : stride
        stride *= aligned[d]
    }
    var extents: [Int] = [], merged: [Int] = []
    for d in shape.indices where shape[d] != 1 {
        if let outer = merged.last {
            let bothBroadcast = outer == 0 && strides[d] == 0
            let contiguous = outer != 0 && strides[d] != 0 && outer == strides[d] * shape[d]
            if bothBroadcast || contiguous {
                extents[extents.count - 1] *= shape[d]
                merged[merged.count - 1] = strides[d]
                continue
            }
        }
        extents.append(shape[d])
        merged.append(strides[d])
    }
    let kind: BroadcastLayout.Kind
    if merged.allSatisfy({ $0 == 0 }) {
        kind = .scalar
    } else if merged.count == 1 {
        kind = .dense
    } else if merged.count == 2 && merged[0] == 0 {
        kind = .periodic(extents[1])
    } else {
        kind = .general
    }
    return BroadcastLayout(kind: kind, extents: extents, strides: merged)
}

extension BroadcastLayout {
    /// Calls `body(i, j)` for every element i of the broadcast shape, in order, with j the
    /// operand's element that i reads.
    @inlinable
    func forEachIndex(_ body: (Int, Int) -> Void) {
        let count = extents.reduce(1, *)
        guard count > 0 else { return }
        var digits = [Int](repeating: 0, count: extents.count)
        var offset = 0
        for i in 0..<count {
            body(i, offset)
            var d = extents.count - 1
            while d >= 0 {
                digits[d] += 1
                offset += strides[d]
                if digits[d] < extents[d] { break }
                offset -= strides[d] * extents[d]
                digits[d] = 0
                d -= 1
            }
        }
    }

    /// The operand's scalars expanded to the broadcast shape (`count` elements), for the losses
    /// whose broadcast operand is differentiable: a tensor of the input's size, not a view.
    @inlinable
    func expand<T>(_ operand: UnsafeBufferPointer<T>, count: Int) -> [T] {
        [T](unsafeUninitializedCapacity: count) { out, initialized in
            forEachIndex { i, j in (out.baseAddress! + i).initialize(to: operand[j]) }
            initialized = count
        }
    }

    /// The gradient of a broadcast operand: `gradient` (of the broadcast shape) summed, in
    /// element order, into the `operandCount` elements each broadcast element reads.
    @inlinable
    func reduce<T: LossScalar>(_ gradient: UnsafeBufferPointer<T>, operandCount: Int) -> [T] {
        var out = [T](repeating: 0, count: operandCount)
        out.withUnsafeMutableBufferPointer { o in forEachIndex { i, j in o[j] += gradient[i] } }
        return out
    }
}

/// An operand tensor with its checked layout.
@usableFromInline
struct BroadcastOperandSource<T: LossScalar> {
    @usableFromInline let tensor: Tensor<T>
    @usableFromInline let layout: BroadcastLayout

    @inlinable
    init(_ tensor: Tensor<T>, _ layout: BroadcastLayout) { self.tensor = tensor; self.layout = layout }
}

/// Reads a broadcast operand 8 consecutive input elements at a time, without expanding it.
@usableFromInline
struct BroadcastReader<T: LossScalar> {
    @usableFromInline
    enum Kind {
        case constant(T)
        case dense
        case periodic(Int)
        case general
    }
    @usableFromInline let kind: Kind
    /// The operand's storage; for `periodic`, a tile of period + 8 elements (tile[k] = operand[k % period]).
    @usableFromInline let pointer: UnsafePointer<T>
    @usableFromInline let extents: [Int]
    @usableFromInline let strides: [Int]

    /// The position of a block's reads: the input index (dense), the phase in the period
    /// (periodic) or the operand offset with the odometer's digits (general).
    @usableFromInline
    struct Cursor {
        @usableFromInline var position: Int
        @usableFromInline var digits: [Int]

        @inlinable init(position: Int, digits: [Int]) { self.position = position; self.digits = digits }
    }

    @inlinable
    init(kind: Kind, pointer: UnsafePointer<T>, extents: [Int] = [], strides: [Int] = []) {
        self.kind = kind; self.pointer = pointer; self.extents = extents; self.strides = strides
    }

    @inlinable
    func cursor(at index: Int) -> Cursor {
        switch kind {
        case .constant: return Cursor(position: 0, digits: [])
        case .dense: return Cursor(position: index, digits: [])
        case .periodic(let period): return Cursor(position: index % period, digits: [])
        case .general:
            var digits = [Int](repeating: 0, count: extents.count)
            var rest = index, offset = 0
            for d in extents.indices.reversed() {
                digits[d] = rest % extents[d]
                rest /= extents[d]
                offset += digits[d] * strides[d]
            }
            return Cursor(position: offset, digits: digits)
        }
    }

    /// The operand's values for the next `n` (≤ 8) input elements; lanes past `n` are 1.
    @inlinable @inline(__always)
    func next(_ c: inout Cursor, lanes n: Int) -> SIMD8<T> {
        switch kind {
        case .constant(let v):
            return SIMD8(repeating: v)
        case .dense:
            defer { c.position += n }
            return n == 8 ? load8(pointer + c.position) : loadPartial(pointer + c.position, n, pad: 1)
        case .periodic(let period):
            let v = load8(pointer + c.position)
            c.position += n
            if c.position >= period { c.position %= period }
            return v
        case .general:
            var v = SIMD8<T>(repeating: 1)
            let last = extents.count - 1
            for k in 0..<n {
                v[k] = pointer[c.position]
                var d = last
                c.digits[d] += 1
                c.position += strides[d]
                while c.digits[d] == extents[d] && d > 0 {
                    c.position -= strides[d] * extents[d]
                    c.digits[d] = 0
                    d -= 1
                    c.digits[d] += 1
                    c.position += strides[d]
                }
            }
            return v
        }
    }
}

/// Calls `body` with a reader for `source` (a constant 1 when absent), valid inside `body` only.
@inlinable
func withBroadcastReader<T: LossScalar, R>(_ source: BroadcastOperandSource<T>?, _ body: (BroadcastReader<T>) -> R) -> R {
    guard let source else {
        return withUnsafePointer(to: T(1)) { body(BroadcastReader(kind: .constant(1), pointer: $0)) }
    }
    let layout = source.layout
    return source.tensor.withUnsafeBufferPointer { b in
        let p = base(b)
        switch layout.kind {
        case .scalar:
            return body(BroadcastReader(kind: .constant(b.isEmpty ? 1 : b[0]), pointer: p))
        case .dense:
            return body(BroadcastReader(kind: .dense, pointer: p))
        case .periodic(let period):
            let tile = (0..<(period + 8)).map { b[$0 % period] }
            return tile.withUnsafeBufferPointer { body(BroadcastReader(kind: .periodic(period), pointer: base($0))) }
        case .general:
            return body(BroadcastReader(kind: .general, pointer: p, extents: layout.extents, strides: layout.strides))
        }
    }
}

/// The elementwise driver for two same-shaped inputs and up to two broadcast operands (weights):
/// one pass, 8 lanes at a time, writing the `none` losses and the requested gradients of `input`
/// and `target` (the kernel's d0 and d1), split over threads like ``elementwiseLoss``.
@inlinable
func evaluateBroadcastElementwise<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, targetArgument: LossArgument?,
    operands: (BroadcastOperandSource<T>?, BroadcastOperandSource<T>?),
    wrt: Set<LossArgument>, reduction: Reduction,
    kernel: (SIMD8<T>, SIMD8<T>, SIMD8<T>, SIMD8<T>) -> LaneTerms<T>
) -> LossResult<T> {
    let shape = input.shape, count = input.count
    let plan = ReductionPlan<T>(reduction, count: count)
    let scale = SIMD8<T>(repeating: plan.gradientScale)
    let wantTarget = targetArgument.map(wrt.contains) ?? false
    var sum: T = 0
    let arrays: [TensorBuffer<T>?] = makeBuffers(count: count, wanted: [reduction == .none, wrt.contains(.input), wantTarget]) { (out: [UnsafeMutablePointer<T>?]) in
        guard count > 0 else { return }
        withPointers([input, target]) { p in
            withBroadcastReader(operands.0) { w in
                withBroadcastReader(operands.1) { v in
                    sum = blockedSum(count: count, blockSize: Parallelism.grain) { range in
                        var wc = w.cursor(at: range.lowerBound), vc = v.cursor(at: range.lowerBound)
                        var acc = SIMD8<T>.zero
                        var i = range.lowerBound
                        while i < range.upperBound {
                            let n = min(8, range.upperBound - i)
                            if n == 8 {
                                let r = kernel(load8(p[0] + i), load8(p[1] + i), w.next(&wc, lanes: 8), v.next(&vc, lanes: 8))
                                acc += r.loss
                                if let o = out[0] { store8(r.loss, o + i) }
                                if let g = out[1] { store8(r.d0 * scale, g + i) }
                                if let g = out[2] { store8(r.d1 * scale, g + i) }
                            } else {
                                let r = kernel(
                                    loadPartial(p[0] + i, n, pad: 0), loadPartial(p[1] + i, n, pad: 0),
                                    w.next(&wc, lanes: n), v.next(&vc, lanes: n))
                                acc += r.loss.keepingFirstLanes(n)
                                if let o = out[0] { storePartial(r.loss, o + i, n) }
                                if let g = out[1] { storePartial(r.d0 * scale, g + i, n) }
                                if let g = out[2] { storePartial(r.d1 * scale, g + i, n) }
                            }
                            i += 8
                        }
                        return acc.laneSum()
                    }
                }
            }
        }
    }
    var result = LossResult<T>(value: arrays[0].map { Tensor(uncheckedShape: shape, scalars: $0) } ?? Tensor(plan.value(fromSum: sum)))
    if let g = arrays[1] { result.gradients[.input] = Tensor(uncheckedShape: shape, scalars: g) }
    if let g = arrays[2], let arg = targetArgument { result.gradients[arg] = Tensor(uncheckedShape: shape, scalars: g) }
    return result
}
