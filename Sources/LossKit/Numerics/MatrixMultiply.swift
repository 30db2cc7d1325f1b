import Dispatch
import RealModule

// A blocked matrix multiply for the losses that contain one (linear cross-entropy's
// `input · weightᵀ` and its two backward products):
//
//     C[m × n] (+)= A[m × k] · B[k × n]
//
// A and B are read through strides, so every transposition is the same call
// (`MatrixOperand.transposed`), or come pre-packed (`packPanelsA`, `packPanelsB`) when one
// operand is reused by many multiplies. The structure is Goto's / BLIS's: B is packed in panels
// of `kc × nc` (shared by the threads), A in blocks of `mc × kc` (one per thread), and a
// register tile of 8 rows × 2 vectors (8 × 32 for Float, 8 × 16 for Double: two 512-bit
// vectors) accumulates `kc` rank-1 updates in registers before it touches C.
//
// Determinism: every element of C is the sum over the same `kc`-slices of k, each accumulated in
// the same order, whatever the number of threads and however the rows and columns of C are
// split between them, so results are bitwise identical for any `Parallelism.maximumThreads`.

/// A matrix operand of ``matrixMultiply(m:n:k:_:_:into:ldc:accumulate:workspace:parallel:)``.
///
/// Either strided, element (i, j) at `base[i·rowStride + j·columnStride]`, or pre-packed in the
/// multiply's panel layout (`packed` non-nil; see ``packPanelsA(_:rows:depth:into:)``).
@usableFromInline
struct MatrixOperand<T> {
    @usableFromInline let base: UnsafePointer<T>
    @usableFromInline let rowStride: Int
    @usableFromInline let columnStride: Int
    @usableFromInline let packed: PackedLayout?

    @inlinable
    init(_ base: UnsafePointer<T>, rowStride: Int, columnStride: Int, packed: PackedLayout? = nil) {
        self.base = base; self.rowStride = rowStride; self.columnStride = columnStride; self.packed = packed
    }

    /// A row-major (C order) matrix whose rows are `columns` elements long.
    @inlinable
    static func rowMajor(_ base: UnsafePointer<T>, columns: Int) -> MatrixOperand {
        MatrixOperand(base, rowStride: columns, columnStride: 1)
    }

    /// The same storage read as the transposed matrix (strided operands only).
    @inlinable
    var transposed: MatrixOperand { MatrixOperand(base, rowStride: columnStride, columnStride: rowStride) }

    /// The operand without its first `count` rows, used as A (a multiple of the register tile's
    /// rows when pre-packed).
    @inlinable
    func droppingRows(_ count: Int) -> MatrixOperand {
        if let p = packed { return MatrixOperand(base, rowStride: 0, columnStride: 0, packed: p.advanced(by: count)) }
        return MatrixOperand(base + count * rowStride, rowStride: rowStride, columnStride: columnStride)
    }

    /// The operand without its first `count` columns, used as B (a multiple of the register
    /// tile's columns when pre-packed).
    @inlinable
    func droppingColumns(_ count: Int) -> MatrixOperand {
        if let p = packed { return MatrixOperand(base, rowStride: 0, columnStride: 0, packed: p.advanced(by: count)) }
        return MatrixOperand(base + count * columnStride, rowStride: rowStride, columnStride: columnStride)
    }

    /// The packed panels of rows `index ..< index + ·` (A) or columns (B) for the kc-slice that
    /// starts at `pc` and is `kcur` deep.
    @inlinable @inline(__always)
    func packedBlock(at index: Int, slice pc: Int, depth kcur: Int) -> UnsafePointer<T> {
        let p = packed!
        return base + pc * p.paddedExtent + (p.offset + index) / p.panel * kcur * p.panel
    }
}

/// Where a pre-packed operand's panels are: `panel` rows (A) or columns (B) per panel, the
/// extent rounded up to whole panels, and the first row or column this view starts at. For each
/// kc-slice of k (starting at pc), the slice holds `paddedExtent × kcur` scalars from
/// `pc · paddedExtent` on, panel after panel, each panel `kcur × panel` scalars.
@usableFromInline
struct PackedLayout {
    @usableFromInline let panel: Int
    @usableFromInline let paddedExtent: Int
    @usableFromInline let offset: Int

    @inlinable
    init(panel: Int, paddedExtent: Int, offset: Int = 0) {
        self.panel = panel; self.paddedExtent = paddedExtent; self.offset = offset
    }

    @inlinable
    func advanced(by count: Int) -> PackedLayout {
        PackedLayout(panel: panel, paddedExtent: paddedExtent, offset: offset + count)
    }
}

/// Block sizes of the multiply. The register tile is `mr × nr` with `nr` two vectors of
/// `V.scalarCount` lanes; `kc` keeps a `kc × nr` panel of B in L1, `mc` an `mc × kc` block of A
/// in L2, `nc` a `kc × nc` panel of B in L3.
@usableFromInline
enum MatrixMultiplyBlocking {
    @usableFromInline static let mr = 8
    @usableFromInline static let kc = 256
    @usableFromInline static let mc = 128
    @usableFromInline static let nc = 2048
    /// Up to this many bytes, a parallel multiply packs B for all of k at once (one parallel
    /// region for the packing and one for the products, instead of two per `kc` slice).
    @usableFromInline static let wholePanelBytes = 1 << 22

    /// The register tile's width for `T`: two 64-byte vectors.
    @inlinable static func nr<T>(_: T.Type) -> Int { 2 * (64 / MemoryLayout<T>.stride) }

    /// The scalars `packPanelsA` writes for an m × k operand.
    @inlinable static func packedCountA(rows m: Int, depth k: Int) -> Int { (m + mr - 1) / mr * mr * k }

    /// The scalars `packPanelsB` writes for a k × n operand of `T`.
    @inlinable static func packedCountB<T>(depth k: Int, columns n: Int, _: T.Type) -> Int {
        let nr = nr(T.self)
        return (n + nr - 1) / nr * nr * k
    }
}

/// Scratch memory for ``matrixMultiply(m:n:k:_:_:into:ldc:accumulate:workspace:parallel:)``: the
/// packed panel of B (grown on demand, at most `max(kc × nc, 4 MiB)`) and one packed block of A
/// per thread, 64-byte aligned. Allocate one for a series of multiplies; multiplies that run at
/// the same time need one each.
@usableFromInline
final class MatrixMultiplyWorkspace<T: LossScalar> {
    @usableFromInline var packedB: UnsafeMutablePointer<T>
    @usableFromInline var packedBCapacity: Int
    @usableFromInline let packedA: [UnsafeMutablePointer<T>]
    @usableFromInline let edge: [UnsafeMutablePointer<T>]
    @usableFromInline let threads: Int

    /// The number of bytes this workspace holds now.
    @usableFromInline var byteCount: Int {
        typealias B = MatrixMultiplyBlocking
        return (packedBCapacity + threads * (B.mc * B.kc + B.mr * B.nr(T.self))) * MemoryLayout<T>.stride
    }

    @inlinable
    init(threads: Int = Parallelism.threadCount) {
        typealias B = MatrixMultiplyBlocking
        self.threads = max(1, threads)
        packedBCapacity = 0
        packedB = MatrixMultiplyWorkspace.allocate(0)
        packedA = (0..<max(1, threads)).map { _ in MatrixMultiplyWorkspace.allocate(B.mc * B.kc) }
        edge = (0..<max(1, threads)).map { _ in MatrixMultiplyWorkspace.allocate(B.mr * B.nr(T.self)) }
    }

    /// Makes `packedB` hold at least `count` elements (its contents are not kept).
    @inlinable
    func reservePackedB(_ count: Int) {
        guard count > packedBCapacity else { return }
        packedB.deallocate()
        packedB = MatrixMultiplyWorkspace.allocate(count)
        packedBCapacity = count
    }

    /// `count` uninitialized scalars, 64-byte aligned; release with `deallocate()`.
    @inlinable
    static func allocate(_ count: Int) -> UnsafeMutablePointer<T> {
        UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<T>.stride, alignment: 64)
            .bindMemory(to: T.self, capacity: max(1, count))
    }

    deinit {
        packedB.deallocate()
        for p in packedA { p.deallocate() }
        for p in edge { p.deallocate() }
    }
}

/// C[m × n] = A[m × k] · B[k × n], or C += A · B when `accumulate`.
///
/// `c` is row-major with rows `ldc` apart. A and B are read through their strides (use
/// ``MatrixOperand/transposed`` for Aᵀ or Bᵀ) or are pre-packed. With `parallel`, rows of C
/// (and columns, when there are fewer row blocks than threads) are split over threads; without,
/// the multiply runs on the calling thread (for callers that split the work themselves, each
/// with its own workspace). The result does not depend on either. `k == 0` leaves C unchanged
/// when accumulating and zeroes it otherwise.
@inlinable
func matrixMultiply<T: LossScalar>(
    m: Int, n: Int, k: Int,
    _ a: MatrixOperand<T>, _ b: MatrixOperand<T>,
    into c: UnsafeMutablePointer<T>, ldc: Int,
    accumulate: Bool,
    workspace: MatrixMultiplyWorkspace<T>? = nil,
    parallel: Bool = true
) {
    guard m > 0, n > 0 else { return }
    let ws = workspace ?? MatrixMultiplyWorkspace<T>(threads: parallel ? Parallelism.threadCount : 1)
    if MemoryLayout<T>.stride == 4 {
        blockedMultiply(m: m, n: n, k: k, a, b, c, ldc, accumulate, ws, parallel, vector: SIMD16<T>.self)
    } else {
        blockedMultiply(m: m, n: n, k: k, a, b, c, ldc, accumulate, ws, parallel, vector: SIMD8<T>.self)
    }
}

@inlinable
func blockedMultiply<T: LossScalar, V: SIMD>(
    m: Int, n: Int, k: Int,
    _ a: MatrixOperand<T>, _ b: MatrixOperand<T>,
    _ c: UnsafeMutablePointer<T>, _ ldc: Int, _ accumulate: Bool,
    _ ws: MatrixMultiplyWorkspace<T>, _ parallel: Bool, vector: V.Type
) where V.Scalar == T {
    typealias B = MatrixMultiplyBlocking
    let mr = B.mr, nr = 2 * V.scalarCount
    if k == 0 {
        if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
        return
    }
    let threads = parallel ? min(ws.threads, Parallelism.threadCount) : 1
    let mBlocks = (m + B.mc - 1) / B.mc
    // B for all of k at once when it is pre-packed, or small enough and shared by threads;
    // else one kc-slice at a time.
    let widest = (min(n, B.nc) + nr - 1) / nr * nr
    let wholeK = b.packed != nil || (threads > 1 && k * widest * MemoryLayout<T>.stride <= B.wholePanelBytes)
    let kStep = wholeK ? k : B.kc
    if b.packed == nil { ws.reservePackedB(kStep * widest) }
    let packedB = ws.packedB
    var jc = 0
    while jc < n {
        let ncur = min(B.nc, n - jc)
        let panels = (ncur + nr - 1) / nr
        let sliceSize = panels * nr
        // Work items: mc-blocks of rows, each cut into `split` ranges of B panels when there are
        // fewer row blocks than threads. Which thread computes an element never changes its value.
        let split = mBlocks >= threads ? 1 : min(panels, (threads + mBlocks - 1) / mBlocks)
        let items = mBlocks * split
        let workers = min(threads, items, max(1, m * ncur * k / (Parallelism.grain * 8)))
        var p0 = 0
        while p0 < k {
            let pEnd = min(k, p0 + kStep)
            if b.packed == nil {
                // Pack B[p0 ..< pEnd, jc ..< jc + ncur] as consecutive kc-slices of `sliceSize`.
                let slices = (pEnd - p0 + B.kc - 1) / B.kc
                let packers = min(workers, slices * panels, max(1, ncur * (pEnd - p0) / Parallelism.grain))
                let pack = { (t: Int) in
                    let total = slices * panels
                    for unit in t * total / packers ..< (t + 1) * total / packers {
                        let slice = unit / panels, panel = unit % panels
                        let pc = p0 + slice * B.kc
                        packB(b, rows: pc, min(B.kc, k - pc), columns: jc, ncur, into: packedB + slice * B.kc * sliceSize,
                              nr: nr, panels: panel ..< panel + 1)
                    }
                }
                if packers <= 1 { pack(0) } else { concurrentPerform(iterations: packers, pack) }
            }
            let work = { (t: Int) in
                let packedA = ws.packedA[t], edge = ws.edge[t]
                var packed = (block: -1, pc: -1)
                for item in t * items / workers ..< (t + 1) * items / workers {
                    let blk = item / split, part = item % split
                    let ic = blk * B.mc
                    let mcur = min(B.mc, m - ic)
                    let j0 = part * panels / split * nr, j1 = min(ncur, (part + 1) * panels / split * nr)
                    var pc = p0
                    while pc < pEnd {
                        let kcur = min(B.kc, k - pc)
                        let ap: UnsafePointer<T>
                        if a.packed != nil {
                            ap = a.packedBlock(at: ic, slice: pc, depth: kcur)
                        } else {
                            if packed != (blk, pc) {
                                packA(a, rows: ic, mcur, columns: pc, kcur, into: packedA, mr: mr)
                                packed = (blk, pc)
                            }
                            ap = UnsafePointer(packedA)
                        }
                        let bp = b.packed != nil
                            ? b.packedBlock(at: jc, slice: pc, depth: kcur) : UnsafePointer(packedB + (pc - p0) * sliceSize)
                        macroKernel(
                            mcur, j0, j1, kcur, ap, bp, c + ic * ldc + jc, ldc, accumulate || pc > 0, edge, vector: V.self)
                        pc += kcur
                    }
                }
            }
            if workers <= 1 { work(0) } else { concurrentPerform(iterations: workers, work) }
            p0 = pEnd
        }
        jc += ncur
    }
}

/// Packs all of A[m × k] (strided) into `dst` in the multiply's panel layout, for reuse by many
/// multiplies; `dst` holds `MatrixMultiplyBlocking.packedCountA(rows: m, depth: k)` scalars and
/// must outlive the returned operand.
@inlinable
func packPanelsA<T: LossScalar>(
    _ a: MatrixOperand<T>, rows m: Int, depth k: Int, into dst: UnsafeMutablePointer<T>
) -> MatrixOperand<T> {
    typealias B = MatrixMultiplyBlocking
    let padded = (m + B.mr - 1) / B.mr * B.mr
    var pc = 0
    while pc < k {
        packA(a, rows: 0, m, columns: pc, min(B.kc, k - pc), into: dst + pc * padded, mr: B.mr)
        pc += B.kc
    }
    return MatrixOperand(UnsafePointer(dst), rowStride: 0, columnStride: 0, packed: PackedLayout(panel: B.mr, paddedExtent: padded))
}

/// The pre-packed operand for B[k × n] in `dst` (`MatrixMultiplyBlocking.packedCountB` scalars),
/// with no slice packed yet: fill it with ``packSliceB(_:slice:depth:columns:into:)`` (threads
/// may pack different slices at once) or use ``packPanelsB(_:depth:columns:into:)``.
@inlinable
func packedOperandB<T: LossScalar>(columns n: Int, into dst: UnsafeMutablePointer<T>) -> MatrixOperand<T> {
    let nr = MatrixMultiplyBlocking.nr(T.self)
    return MatrixOperand(UnsafePointer(dst), rowStride: 0, columnStride: 0, packed: PackedLayout(panel: nr, paddedExtent: (n + nr - 1) / nr * nr))
}

/// Packs the kc-slice of B (strided, k × n) that starts at row `pc` into the pre-packed `dst`.
@inlinable
func packSliceB<T: LossScalar>(
    _ b: MatrixOperand<T>, slice pc: Int, depth k: Int, columns n: Int, into dst: MatrixOperand<T>
) {
    let layout = dst.packed!
    packB(b, rows: pc, min(MatrixMultiplyBlocking.kc, k - pc), columns: 0, n,
          into: UnsafeMutablePointer(mutating: dst.base) + pc * layout.paddedExtent, nr: layout.panel)
}

/// Packs all of B[k × n] (strided) into `dst` in the multiply's panel layout, for reuse by many
/// multiplies; `dst` holds `MatrixMultiplyBlocking.packedCountB(depth: k, columns: n, T.self)`
/// scalars and must outlive the returned operand.
@inlinable
func packPanelsB<T: LossScalar>(
    _ b: MatrixOperand<T>, depth k: Int, columns n: Int, into dst: UnsafeMutablePointer<T>
) -> MatrixOperand<T> {
    let packed = packedOperandB(columns: n, into: dst)
    var pc = 0
    while pc < k {
        packSliceB(b, slice: pc, depth: k, columns: n, into: packed)
        pc += MatrixMultiplyBlocking.kc
    }
    return packed
}

/// Runs the register tile over one packed block of A (mc × kc) and columns `j0 ..< j1` of one
/// packed panel of B (kc × nc): panels of B outside (one stays in L1), panels of A inside.
@inlinable
func macroKernel<T: LossScalar, V: SIMD>(
    _ m: Int, _ j0: Int, _ j1: Int, _ k: Int,
    _ packedA: UnsafePointer<T>, _ packedB: UnsafePointer<T>,
    _ c: UnsafeMutablePointer<T>, _ ldc: Int, _ accumulate: Bool,
    _ edge: UnsafeMutablePointer<T>, vector: V.Type
) where V.Scalar == T {
    let mr = MatrixMultiplyBlocking.mr, nr = 2 * V.scalarCount
    var j = j0
    while j < j1 {
        let nrCur = min(nr, j1 - j)
        let bp = packedB + j * k
        var i = 0
        while i < m {
            let mrCur = min(mr, m - i)
            let ap = packedA + i * k
            if mrCur == mr && nrCur == nr {
                microKernel(k, ap, bp, c + i * ldc + j, ldc, accumulate, vector: V.self)
            } else {
                // A partial tile: compute the full tile into `edge`, then add/copy its valid part.
                microKernel(k, ap, bp, edge, nr, false, vector: V.self)
                for r in 0..<mrCur {
                    let dst = c + (i + r) * ldc + j, src = edge + r * nr
                    if accumulate {
                        for q in 0..<nrCur { dst[q] += src[q] }
                    } else {
                        dst.update(from: src, count: nrCur)
                    }
                }
            }
            i += mr
        }
        j += nr
    }
}

/// The 8 × (2 vectors) register tile: C[8 × nr] (+)= Ã[8 × k] · B̃[k × nr] from packed panels
/// (Ã: 8 values per k; B̃: nr values per k).
@inlinable @inline(__always)
func microKernel<T: LossScalar, V: SIMD>(
    _ k: Int, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>,
    _ c: UnsafeMutablePointer<T>, _ ldc: Int, _ accumulate: Bool, vector: V.Type
) where V.Scalar == T {
    let w = V.scalarCount
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V()
    var c40 = V(), c41 = V(), c50 = V(), c51 = V(), c60 = V(), c61 = V(), c70 = V(), c71 = V()
    var ap = a, bp = UnsafeRawPointer(b)
    let step = 2 * w * MemoryLayout<T>.stride
    for _ in 0..<k {
        let b0 = bp.loadUnaligned(as: V.self)
        let b1 = bp.loadUnaligned(fromByteOffset: w * MemoryLayout<T>.stride, as: V.self)
        var x = V(repeating: ap[0]); c00 = multiplyAdd(x, b0, c00); c01 = multiplyAdd(x, b1, c01)
        x = V(repeating: ap[1]); c10 = multiplyAdd(x, b0, c10); c11 = multiplyAdd(x, b1, c11)
        x = V(repeating: ap[2]); c20 = multiplyAdd(x, b0, c20); c21 = multiplyAdd(x, b1, c21)
        x = V(repeating: ap[3]); c30 = multiplyAdd(x, b0, c30); c31 = multiplyAdd(x, b1, c31)
        x = V(repeating: ap[4]); c40 = multiplyAdd(x, b0, c40); c41 = multiplyAdd(x, b1, c41)
        x = V(repeating: ap[5]); c50 = multiplyAdd(x, b0, c50); c51 = multiplyAdd(x, b1, c51)
        x = V(repeating: ap[6]); c60 = multiplyAdd(x, b0, c60); c61 = multiplyAdd(x, b1, c61)
        x = V(repeating: ap[7]); c70 = multiplyAdd(x, b0, c70); c71 = multiplyAdd(x, b1, c71)
        ap += 8
        bp += step
    }
    @inline(__always) func store(_ v0: V, _ v1: V, _ row: Int) {
        let p = UnsafeMutableRawPointer(c + row * ldc)
        let o = w * MemoryLayout<T>.stride
        if accumulate {
            p.storeBytes(of: p.loadUnaligned(as: V.self) + v0, as: V.self)
            p.storeBytes(of: p.loadUnaligned(fromByteOffset: o, as: V.self) + v1, toByteOffset: o, as: V.self)
        } else {
            p.storeBytes(of: v0, as: V.self)
            p.storeBytes(of: v1, toByteOffset: o, as: V.self)
        }
    }
    store(c00, c01, 0); store(c10, c11, 1); store(c20, c21, 2); store(c30, c31, 3)
    store(c40, c41, 4); store(c50, c51, 5); store(c60, c61, 6); store(c70, c71, 7)
}

/// a·b + c lane-wise, with licence to fuse: one FMA instruction per vector when the target has
/// FMA (`-target-cpu`), a multiply and an add otherwise. (`SIMD.addingProduct` would call `fma`
/// once per lane on targets without FMA.)
@inlinable @inline(__always)
func multiplyAdd<V: SIMD>(_ a: V, _ b: V, _ c: V) -> V where V.Scalar: LossScalar {
    var r = c
    for i in r.indices { r[i] = Relaxed.multiplyAdd(a[i], b[i], c[i]) }
    return r
}

/// Packs rows `r0 ..< r0 + mCount`, columns `k0 ..< k0 + kCount` of A into panels of `mr` rows:
/// panel p holds, for each column, its `mr` values (zero past the last row).
@inlinable @inline(never)
func packA<T: LossScalar>(
    _ a: MatrixOperand<T>, rows r0: Int, _ mCount: Int, columns k0: Int, _ kCount: Int,
    into dst: UnsafeMutablePointer<T>, mr: Int
) {
    var panel = 0
    while panel < mCount {
        let rows = min(mr, mCount - panel)
        let out = dst + panel * kCount
        let src = a.base + (r0 + panel) * a.rowStride + k0 * a.columnStride
        if rows == 8 && mr == 8 && a.rowStride == 1 {
            // Aᵀ stored row-major: the 8 values of one column are contiguous.
            for p in 0..<kCount { store8(load8(src + p * a.columnStride), out + p * 8) }
        } else if rows == 8 && mr == 8 && a.columnStride == 1 {
            // Row-major A: transpose 8 × 8 blocks.
            var p = 0
            while p + 8 <= kCount {
                transpose8x8(src + p, rowStride: a.rowStride, into: out + p * 8, rowStride: 8)
                p += 8
            }
            while p < kCount {
                for r in 0..<8 { out[p * 8 + r] = src[r * a.rowStride + p] }
                p += 1
            }
        } else {
            for r in 0..<rows {
                let row = src + r * a.rowStride
                for p in 0..<kCount { out[p * mr + r] = row[p * a.columnStride] }
            }
            if rows < mr { for p in 0..<kCount { for r in rows..<mr { out[p * mr + r] = 0 } } }
        }
        panel += mr
    }
}

/// Packs rows `k0 ..< k0 + kCount`, columns `c0 ..< c0 + nCount` of B into panels of `nr`
/// columns: panel p holds, for each row, its `nr` values (zero past the last column).
/// `panels` selects which panels to pack (so threads can share the work).
@inlinable @inline(never)
func packB<T: LossScalar>(
    _ b: MatrixOperand<T>, rows k0: Int, _ kCount: Int, columns c0: Int, _ nCount: Int,
    into dst: UnsafeMutablePointer<T>, nr: Int, panels: Range<Int>? = nil
) {
    let all = 0..<((nCount + nr - 1) / nr)
    for index in panels ?? all {
        let panel = index * nr
        let cols = min(nr, nCount - panel)
        let out = dst + panel * kCount
        let src = b.base + k0 * b.rowStride + (c0 + panel) * b.columnStride
        if b.columnStride == 1 {
            for p in 0..<kCount {
                let from = src + p * b.rowStride, to = out + p * nr
                var q = 0
                while q + 8 <= cols { store8(load8(from + q), to + q); q += 8 }
                while q < cols { to[q] = from[q]; q += 1 }
                while q < nr { to[q] = 0; q += 1 }
            }
        } else if b.rowStride == 1 {
            // Bᵀ stored row-major (e.g. a weight matrix [n, k]): each column is a contiguous
            // row; transpose 8 × 8 blocks of it.
            var q = 0
            while q + 8 <= cols {
                let col = src + q * b.columnStride
                var p = 0
                while p + 8 <= kCount {
                    transpose8x8(col + p, rowStride: b.columnStride, into: out + p * nr + q, rowStride: nr)
                    p += 8
                }
                while p < kCount {
                    for j in 0..<8 { out[p * nr + q + j] = col[j * b.columnStride + p] }
                    p += 1
                }
                q += 8
            }
            while q < cols {
                let col = src + q * b.columnStride
                for p in 0..<kCount { out[p * nr + q] = col[p] }
                q += 1
            }
            if cols < nr { for p in 0..<kCount { (out + p * nr + cols).update(repeating: 0, count: nr - cols) } }
        } else {
            for q in 0..<cols {
                let col = src + q * b.columnStride
                for p in 0..<kCount { out[p * nr + q] = col[p * b.rowStride] }
            }
            if cols < nr { for p in 0..<kCount { (out + p * nr + cols).update(repeating: 0, count: nr - cols) } }
        }
    }
}

/// dst[j·dstStride + i] = src[i·srcStride + j] for i, j < 8: one 8 × 8 block transposed in
/// registers.
@inlinable @inline(__always)
func transpose8x8<T: LossScalar>(
    _ src: UnsafePointer<T>, rowStride s: Int, into dst: UnsafeMutablePointer<T>, rowStride t: Int
) {
    let r0 = load8(src), r1 = load8(src + s), r2 = load8(src + 2 * s), r3 = load8(src + 3 * s)
    let r4 = load8(src + 4 * s), r5 = load8(src + 5 * s), r6 = load8(src + 6 * s), r7 = load8(src + 7 * s)
    for j in 0..<8 {
        store8(SIMD8(r0[j], r1[j], r2[j], r3[j], r4[j], r5[j], r6[j], r7[j]), dst + j * t)
    }
}
