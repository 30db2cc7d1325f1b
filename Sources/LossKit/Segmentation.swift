import RealModule
// Family D of LOSSES.md: dense losses for segmentation (dice, jaccard, tversky, lovasz), matching
// `segmentation_models_pytorch.losses` 0.6. This file holds what they share (the mode, the dense
// layout, the block decomposition and lane helpers); the overlap losses are in
// Segmentation+Overlap.swift, the Lovász losses in Segmentation+Lovasz.swift.
//
// Layout: `input` is `[N, C, d1, ...]`; the C values of a position are S = d1·d2·… elements
// apart.

// MARK: - Public options

/// How a dense segmentation target is read (the `mode` of segmentation_models_pytorch).
///
/// - `binary`: one channel, `input` `[N, 1, ...]`, a float mask target `[N, 1, ...]` or `[N, ...]`;
///   sigmoid probabilities.
/// - `multilabel`: C independent channels, a float mask target `[N, C, ...]`; sigmoid probabilities.
/// - `multiclass`: C exclusive classes, integer class indices `[N, ...]`; softmax probabilities
///   along dimension 1.
public enum SegmentationMode: String, CaseIterable, Sendable {
    case binary, multilabel, multiclass
}

// MARK: - Layout and validation

/// A dense target as given: integer class indices or a floating-point mask.
@usableFromInline
enum DenseTarget<T: LossScalar, L: BinaryInteger> {
    case labels(Tensor<L>)
    case mask(Tensor<T>)
}

/// Checks `input` and `target` against `mode` and returns the `[N, C, S]` layout with the target
/// in the form the kernels read: class indices for `multiclass`, a mask otherwise (integer masks
/// converted, so a binary target of 0/1 integers works too).
@inlinable
func denseLayout<T: LossScalar, L: BinaryInteger>(
    input: Tensor<T>, target: DenseTarget<T, L>, mode: SegmentationMode, ignoreIndex: Int?
) throws(LossError) -> (ClassLayout, DenseTarget<T, L>) {
    guard input.rank >= 2 else {
        throw .invalidShape(argument: "input", shape: input.shape, reason: "expected [N, C, ...] (rank ≥ 2), got rank \(input.rank)")
    }
    let layout = try ClassLayout(input: input.shape)
    if mode == .binary && layout.classes != 1 {
        throw .invalidShape(argument: "input", shape: input.shape, reason: "binary mode takes one channel, [N, 1, ...]")
    }
    switch (mode, target) {
    case (.multiclass, .labels(let labels)):
        try checkShape("target", labels.shape, equals: layout.targetShape)
        try checkLabels("target", labels, classCount: layout.classes, ignoreIndex: ignoreIndex)
        return (layout, target)
    case (.multiclass, .mask):
        throw .invalidOption(
            name: "mode", value: mode.rawValue,
            expected: "binary or multilabel for a floating-point mask target (multiclass takes integer class indices)")
    case (_, .labels(let labels)):
        let mask = Tensor<T>(uncheckedShape: labels.shape, scalars: labels.scalars.map { T($0) })
        return try denseLayout(input: input, target: .mask(mask), mode: mode, ignoreIndex: ignoreIndex)
    case (_, .mask(let mask)):
        if !(mode == .binary && mask.shape == layout.targetShape) {
            try checkShape("target", mask.shape, equals: input.shape)
        }
        return (layout, target)
    }
}

// MARK: - Block decomposition

/// How the overlap kernels cut `[N, C, S]` into independent blocks: `outer` units (samples for
/// multiclass, (sample, class) rows otherwise) times chunks of `chunk` positions. Block sizes
/// depend only on the shape, and per-block sums are added in block order, so results do not
/// depend on the number of threads.
@usableFromInline
struct DenseBlocks: Sendable {
    @usableFromInline let outer: Int
    @usableFromInline let spatial: Int
    @usableFromInline let chunk: Int
    @usableFromInline let chunksPerOuter: Int

    @inlinable
    init(outer: Int, spatial: Int, elementsPerPosition: Int) {
        self.outer = outer
        self.spatial = spatial
        chunk = max(8, (Parallelism.grain / max(1, elementsPerPosition)) & ~7)
        chunksPerOuter = max(1, (spatial + chunk - 1) / chunk)
    }

    @inlinable var count: Int { spatial == 0 ? 0 : outer * chunksPerOuter }

    /// The outer unit and the positions of block `b`.
    @inlinable
    func block(_ b: Int) -> (outer: Int, positions: Range<Int>) {
        let (o, k) = b.quotientAndRemainder(dividingBy: chunksPerOuter)
        return (o, k * chunk ..< min(spatial, (k + 1) * chunk))
    }

    /// Runs `body(block, scratch)` on every block, split over threads; `scratch` holds
    /// `scratchVectors` vectors of eight lanes, one allocation per thread.
    @inlinable
    func forEach<T: LossScalar>(work: Int, scratchVectors: Int, _ body: (Int, UnsafeMutablePointer<SIMD8<T>>) -> Void) {
        forEachRange(count, workPerItem: work, limit: Int.max) { _, range in
            let scratch = UnsafeMutablePointer<SIMD8<T>>.allocate(capacity: max(1, scratchVectors))
            defer { scratch.deallocate() }
            for b in range { body(b, scratch) }
        }
    }
}

// MARK: - Lane helpers

/// sign(x): ±1, and 0 for ±0 and NaN (PyTorch's sub-gradient of |x| at 0).
@inlinable @inline(__always)
func signum<T: LossScalar>(_ x: T) -> T { x > 0 ? 1 : (x < 0 ? -1 : 0) }

/// The lanes of eight positions' labels as scalars, −1 where ignored or past `lanes`.
@inlinable @inline(__always)
func labelLanes<T: LossScalar, L: BinaryInteger>(_ l: UnsafePointer<L>, lanes: Int, ignoreIndex: Int?) -> SIMD8<T> {
    var v = SIMD8<T>(repeating: -1)
    for i in 0..<lanes {
        let y = Int(truncatingIfNeeded: l[i])
        if y != ignoreIndex { v[i] = T(y) }
    }
    return v
}

/// The softmax of eight positions' C logits (`stride` apart) into `p[0..<C]`, as
/// exp(x − m)/Σ exp(x − m) with m the maximum. An x equal to m is shifted to exactly 0, so +inf
/// logits share the probability mass (the limit) instead of giving inf − inf = NaN.
@inlinable @inline(__always)
func softmaxLanes<T: LossScalar>(
    _ x: UnsafePointer<T>, stride: Int, classes: Int, lanes: Int, into p: UnsafeMutablePointer<SIMD8<T>>
) {
    var m = SIMD8<T>(repeating: -.infinity)
    for c in 0..<classes { m = m.lanesMax(loadLanes(x + c * stride, lanes)) }
    var s = SIMD8<T>.zero
    for c in 0..<classes {
        let v = loadLanes(x + c * stride, lanes)
        let e = T.vexp((v - m).replacing(with: 0, where: v .== m))
        p[c] = e
        s += e
    }
    let r = 1 / s
    for c in 0..<classes { p[c] *= r }
}
