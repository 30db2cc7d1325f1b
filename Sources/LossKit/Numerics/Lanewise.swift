import RealModule

/// Elementwise maps and sums over 8 SIMD lanes, for LossKit's companion modules (the
/// differentiable tensor operations of `LossKitDifferentiation`): the same drivers, lane
/// functions and vector compares the loss kernels use.
///
/// A kernel sees 8 consecutive elements at a time; the last, partial group is padded with 0 and
/// only its valid lanes are stored, so a kernel must be lane-wise (no lane reads another).
/// Above ``Parallelism/grain`` elements the work is split over threads in blocks whose size
/// depends only on the count: every element is written once and block sums are added in block
/// order, so results never depend on the number of threads.
///
/// ```swift
/// Lanewise.map(count: n, x, into: y) { Lanewise.sigmoid($0) }
/// let total = Lanewise.sum(count: n, x)
/// ```
///
/// Codegen: pass a closure literal that captures nothing (or only constants); the pointers travel
/// as arguments, so the optimizer inlines the kernel into the lane loop the threads run (as in the
/// driver of the elementwise losses).
public enum Lanewise {
    /// `out[i] = kernel(a[i])` for i in 0..<count, 8 lanes at a time. `out` may be `a`.
    @inlinable
    public static func map<T: LossScalar>(
        count: Int, _ a: UnsafePointer<T>, into out: UnsafeMutablePointer<T>, _ kernel: (SIMD8<T>) -> SIMD8<T>
    ) {
        map(count: count, a, a, a, into: out) { x, _, _ in kernel(x) }
    }

    /// `out[i] = kernel(a[i], b[i])`, 8 lanes at a time. `out` may be `a` or `b`.
    @inlinable
    public static func map<T: LossScalar>(
        count: Int, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, into out: UnsafeMutablePointer<T>,
        _ kernel: (SIMD8<T>, SIMD8<T>) -> SIMD8<T>
    ) {
        map(count: count, a, b, b, into: out) { x, y, _ in kernel(x, y) }
    }

    /// `out[i] = kernel(a[i], b[i], c[i])`, 8 lanes at a time. `out` may be one of the inputs.
    @inlinable
    public static func map<T: LossScalar>(
        count: Int, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafePointer<T>,
        into out: UnsafeMutablePointer<T>, _ kernel: (SIMD8<T>, SIMD8<T>, SIMD8<T>) -> SIMD8<T>
    ) {
        let block = LaneMapBlock(a: a, b: b, c: c, out: out)
        _ = blockedSum(count: count, blockSize: Parallelism.grain, context: block) { block, range in
            block.run(range, kernel)
            return T(0)
        }
    }

    /// `out[i] = kernel(a[i], s)`: a scalar operand broadcast to every lane. `out` may be `a`.
    @inlinable
    public static func map<T: LossScalar>(
        count: Int, _ a: UnsafePointer<T>, broadcasting s: T, into out: UnsafeMutablePointer<T>,
        _ kernel: (SIMD8<T>, SIMD8<T>) -> SIMD8<T>
    ) {
        let block = LaneSplatBlock(a: a, s: SIMD8(repeating: s), out: out)
        _ = blockedSum(count: count, blockSize: Parallelism.grain, context: block) { block, range in
            block.run(range, kernel)
            return T(0)
        }
    }

    /// Σ a[i]·b[i] over `0..<count`, in the blocks and order of ``sum(count:_:)``.
    @inlinable
    public static func dot<T: LossScalar>(count: Int, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>) -> T {
        blockedSum(count: count, blockSize: Parallelism.grain, context: (a, b)) { p, range in
            var acc = SIMD8<T>.zero
            var i = range.lowerBound
            while i + 8 <= range.upperBound { acc += load8(p.0 + i) * load8(p.1 + i); i += 8 }
            let n = range.upperBound - i
            if n > 0 { acc += loadPartial(p.0 + i, n, pad: 0) * loadPartial(p.1 + i, n, pad: 0) }
            return acc.laneSum()
        }
    }

    /// The sum of `a[0..<count]`: 8 lane sums per block of ``Parallelism/grain`` elements, the
    /// blocks added in order (the same bits on any number of threads).
    @inlinable
    public static func sum<T: LossScalar>(count: Int, _ a: UnsafePointer<T>) -> T {
        blockedSum(count: count, blockSize: Parallelism.grain, context: a) { a, range in
            var acc = SIMD8<T>.zero
            var i = range.lowerBound
            while i + 8 <= range.upperBound { acc += load8(a + i); i += 8 }
            if i < range.upperBound { acc += loadPartial(a + i, range.upperBound - i, pad: 0) }
            return acc.laneSum()
        }
    }

    /// σ(x) = 1/(1 + e⁻ˣ), overflow-free for both signs (the lanes of ``sigmoid(_:)``).
    @inlinable @inline(__always)
    public static func sigmoid<T: LossScalar>(_ x: SIMD8<T>) -> SIMD8<T> { vsigmoid(x) }

    /// tanh x, accurate relative to itself for tiny |x| (no 2σ(2x) − 1 cancellation).
    @inlinable @inline(__always)
    public static func tanh<T: LossScalar>(_ x: SIMD8<T>) -> SIMD8<T> { HyperbolicLanes(x).tanh }

    /// max(x, 0); NaN stays NaN.
    @inlinable @inline(__always)
    public static func relu<T: LossScalar>(_ x: SIMD8<T>) -> SIMD8<T> { x.positivePart }

    /// `ifPositive` in the lanes where x > 0, `otherwise` elsewhere (NaN lanes of x included).
    @inlinable @inline(__always)
    public static func selecting<T: LossScalar>(
        _ ifPositive: SIMD8<T>, where x: SIMD8<T>, otherwise: SIMD8<T>
    ) -> SIMD8<T> {
        otherwise.replacing(with: ifPositive, where: x .> 0)
    }
}

/// The pointers of one ``Lanewise/map(count:_:_:_:into:_:)``, handed to each block as an argument.
@usableFromInline
struct LaneMapBlock<T: LossScalar> {
    @usableFromInline let a: UnsafePointer<T>
    @usableFromInline let b: UnsafePointer<T>
    @usableFromInline let c: UnsafePointer<T>
    @usableFromInline let out: UnsafeMutablePointer<T>

    @inlinable
    init(a: UnsafePointer<T>, b: UnsafePointer<T>, c: UnsafePointer<T>, out: UnsafeMutablePointer<T>) {
        self.a = a; self.b = b; self.c = c; self.out = out
    }

    @inlinable @inline(__always)
    func run(_ range: Range<Int>, _ kernel: (SIMD8<T>, SIMD8<T>, SIMD8<T>) -> SIMD8<T>) {
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            store8(kernel(load8(a + i), load8(b + i), load8(c + i)), out + i)
            i += 8
        }
        let n = range.upperBound - i
        if n > 0 {
            storePartial(kernel(loadPartial(a + i, n, pad: 0), loadPartial(b + i, n, pad: 0), loadPartial(c + i, n, pad: 0)), out + i, n)
        }
    }
}

/// The pointers and the broadcast scalar of one ``Lanewise/map(count:_:broadcasting:into:_:)``.
@usableFromInline
struct LaneSplatBlock<T: LossScalar> {
    @usableFromInline let a: UnsafePointer<T>
    @usableFromInline let s: SIMD8<T>
    @usableFromInline let out: UnsafeMutablePointer<T>

    @inlinable
    init(a: UnsafePointer<T>, s: SIMD8<T>, out: UnsafeMutablePointer<T>) { self.a = a; self.s = s; self.out = out }

    @inlinable @inline(__always)
    func run(_ range: Range<Int>, _ kernel: (SIMD8<T>, SIMD8<T>) -> SIMD8<T>) {
        var i = range.lowerBound
        while i + 8 <= range.upperBound { store8(kernel(load8(a + i), s), out + i); i += 8 }
        let n = range.upperBound - i
        if n > 0 { storePartial(kernel(loadPartial(a + i, n, pad: 0), s), out + i, n) }
    }
}
