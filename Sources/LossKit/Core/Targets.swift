import RealModule
// One-hot encoding and label smoothing of targets: the public building blocks (family J of
// LOSSES.md) that the classification losses' smoothed targets are defined by.

// MARK: - One-hot and label smoothing (building blocks)

/// One-hot encoding of class indices: 1 at each label's class, 0 elsewhere.
///
/// ```
/// oneHot(y)[..., c] = [c = y]        (the class axis inserted at `axis`, default last)
/// ```
/// Shapes: `labels` any shape S; the result has S with `classCount` inserted at `axis`
/// (−1 = last, as `torch.nn.functional.one_hot`; 1 gives the `[N, C, ...]` layout of the losses).
///
/// - Parameters:
///   - labels: class indices in `0..<classCount` (or `ignoreIndex`, which gives an all-zero row).
///   - classCount: C ≥ 1.
///   - ignoreIndex: an optional label encoded as all zeros (default none).
///   - axis: where the class axis goes, in −(rank+1)...rank (default −1).
///   - as: the element type, when the context does not give it (`as: Float.self`).
/// - Returns: a tensor of 0 and 1.
/// - Throws: ``LossError/labelOutOfRange(argument:label:classCount:index:)``;
///   ``LossError/invalidOption(name:value:expected:)`` for classCount < 1 or a bad axis.
///
/// ```swift
/// let h: Tensor<Float> = try oneHot(labels: Tensor([2, 0] as [Int]), classCount: 3)
/// h.shape     // [2, 3]
/// h.scalars   // [0, 0, 1, 1, 0, 0]
/// ```
@inlinable
public func oneHot<T: LossScalar, L: BinaryInteger>(
    labels: Tensor<L>, classCount: Int, ignoreIndex: Int? = nil, axis: Int = -1, as _: T.Type = T.self
) throws(LossError) -> Tensor<T> {
    try smoothedTargets(labels: labels, classCount: classCount, smoothing: 0, ignoreIndex: ignoreIndex, axis: axis)
}

/// Smoothed one-hot targets: (1 − ε)·onehot(y) + ε/C, the targets label smoothing trains against
/// (Szegedy et al. 2016).
///
/// ```
/// t[..., c] = (1 − ε)·[c = y] + ε/C       (all zeros where y = ignoreIndex)
/// ```
/// `crossEntropy(input: x, target: smoothedTargets(labels: y, classCount: C, smoothing: ε, axis: 1))`
/// equals `crossEntropy(input: x, target: y, labelSmoothing: ε)` when there are no weights and no
/// ignored labels (for `mean`, the probability form divides by the number of positions).
///
/// - Parameters:
///   - labels: class indices in `0..<classCount` (or `ignoreIndex`).
///   - classCount: C ≥ 1.
///   - smoothing: ε ∈ [0, 1].
///   - ignoreIndex: an optional label encoded as all zeros.
///   - axis: where the class axis goes (default −1, last; 1 for `[N, C, ...]`).
/// - Returns: the targets, shape of `labels` with C inserted at `axis`.
/// - Throws: as ``oneHot(labels:classCount:ignoreIndex:axis:as:)``, and `invalidOption("smoothing")`.
///
/// ```swift
/// let t: Tensor<Double> = try smoothedTargets(labels: Tensor([1] as [Int]), classCount: 4, smoothing: 0.2)
/// t.scalars   // [0.05, 0.85, 0.05, 0.05]
/// ```
@inlinable
public func smoothedTargets<T: LossScalar, L: BinaryInteger>(
    labels: Tensor<L>, classCount: Int, smoothing: T, ignoreIndex: Int? = nil, axis: Int = -1
) throws(LossError) -> Tensor<T> {
    try checkOption("classCount", classCount, expected: "≥ 1") { $0 >= 1 }
    try checkOption("smoothing", smoothing, expected: "a number in [0, 1]") { $0 >= 0 && $0 <= 1 }
    let rank = labels.rank
    try checkOption("axis", axis, expected: "in \(-(rank + 1))...\(rank)") { $0 >= -(rank + 1) && $0 <= rank }
    try checkLabels("labels", labels, classCount: classCount, ignoreIndex: ignoreIndex)
    let a = axis < 0 ? axis + rank + 1 : axis
    var shape = labels.shape
    shape.insert(classCount, at: a)
    let outer = labels.shape[..<a].reduce(1, *), inner = labels.shape[a...].reduce(1, *)
    let off = smoothing / T(classCount), on = 1 - smoothing + off
    let scalars = labels.withUnsafeBufferPointer { yb in
        makeArray(count: outer * classCount * inner) { (p: UnsafeMutablePointer<T>) in
            for o in 0..<outer {
                for j in 0..<inner {
                    let y = Int(truncatingIfNeeded: yb[o * inner + j])
                    let ignored = ignoreIndex == y
                    for c in 0..<classCount {
                        p[(o * classCount + c) * inner + j] = ignored ? 0 : (c == y ? on : off)
                    }
                }
            }
        }
    }
    return Tensor(uncheckedShape: shape, scalars: scalars)
}

/// Label smoothing applied to probability targets: (1 − ε)·t + ε/C along the class axis.
///
/// ```
/// t'[..., c, ...] = (1 − ε)·t[..., c, ...] + ε/C       (C = the extent of `axis`)
/// ```
/// This is the smoothing ``crossEntropy(input:target:weight:ignoreIndex:labelSmoothing:reduction:wrt:)``
/// applies to probability targets.
///
/// - Parameters:
///   - probabilities: targets of any shape of rank ≥ 1.
///   - smoothing: ε ∈ [0, 1].
///   - axis: the class axis (default 1, the losses' layout; use 0 for an unbatched `[C]`).
/// - Returns: the smoothed targets, same shape.
/// - Throws: `invalidOption("smoothing")`; `invalidShape` for an axis out of range.
///
/// ```swift
/// let t = try smoothedTargets(probabilities: Tensor(shape: [1, 2], scalars: [1, 0] as [Float]), smoothing: 0.1)
/// t.scalars   // [0.95, 0.05]
/// ```
@inlinable
public func smoothedTargets<T: LossScalar>(probabilities: Tensor<T>, smoothing: T, axis: Int = 1) throws(LossError) -> Tensor<T> {
    try checkOption("smoothing", smoothing, expected: "a number in [0, 1]") { $0 >= 0 && $0 <= 1 }
    let a = try normalizedAxis(axis, rank: probabilities.rank, argument: "probabilities", shape: probabilities.shape)
    let c = probabilities.shape[a]
    let keep = 1 - smoothing, off = c > 0 ? smoothing / T(c) : 0
    let scalars = probabilities.withUnsafeBufferPointer { b in
        makeArray(count: b.count) { (p: UnsafeMutablePointer<T>) in
            for i in b.indices { p[i] = keep * b[i] + off }
        }
    }
    return Tensor(uncheckedShape: probabilities.shape, scalars: scalars)
}
