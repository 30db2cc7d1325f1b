import RealModule
// The one place argument checks live, so every family reports problems the same way.

/// Throws unless `actual` equals `expected`, naming `argument` and both shapes.
@inlinable
func checkShape(_ argument: String, _ actual: [Int], equals expected: [Int]) throws(LossError) {
    guard actual == expected else { throw .shapeMismatch(argument: argument, expected: expected, actual: actual) }
}

/// Throws unless `shape` has a rank in `ranks`.
@inlinable
func checkRank(_ argument: String, _ shape: [Int], in ranks: ClosedRange<Int>) throws(LossError) {
    guard ranks.contains(shape.count) else {
        let want = ranks.lowerBound == ranks.upperBound ? "\(ranks.lowerBound)" : "\(ranks.lowerBound)...\(ranks.upperBound)"
        throw .invalidShape(argument: argument, shape: shape, reason: "expected rank \(want), got rank \(shape.count)")
    }
}

/// Throws unless `value` satisfies `isValid`; `expected` says what was expected (e.g. "> 0").
@inlinable
func checkOption<V: CustomStringConvertible>(
    _ name: String, _ value: V, expected: String, _ isValid: (V) -> Bool
) throws(LossError) {
    guard isValid(value) else { throw .invalidOption(name: name, value: value.description, expected: expected) }
}

/// Throws on the first element of `tensor` outside `isValid`, naming its index and value.
@inlinable
func checkValues<T: LossScalar>(
    _ argument: String, _ tensor: Tensor<T>, expected: String, _ isValid: (T) -> Bool
) throws(LossError) {
    let bad: (Int, T)? = tensor.withUnsafeBufferPointer { b in
        for i in b.indices where !isValid(b[i]) { return (i, b[i]) }
        return nil
    }
    if let (i, v) = bad { throw .valueOutOfRange(argument: argument, value: Double(v), index: i, expected: expected) }
}

/// Throws on the first label that is neither in `0..<classCount` nor `ignoreIndex`.
@inlinable
func checkLabels<L: BinaryInteger>(
    _ argument: String, _ labels: Tensor<L>, classCount: Int, ignoreIndex: Int?
) throws(LossError) {
    let bad: (Int, L)? = labels.withUnsafeBufferPointer { b in
        for i in b.indices {
            let l = b[i]
            if l >= 0 && l < classCount { continue }
            if let ig = ignoreIndex, l == ig { continue }
            return (i, l)
        }
        return nil
    }
    if let (i, l) = bad {
        throw .labelOutOfRange(argument: argument, label: Int(clamping: l), classCount: classCount, index: i)
    }
}

/// The extent of the last (class) dimension of `input`, checked to be ≥ 1 and the rank in `ranks`.
@inlinable
func classDimension<T>(of input: Tensor<T>, ranks: ClosedRange<Int>) throws(LossError) -> Int {
    try classDimension(ofShape: input.shape, ranks: ranks)
}

/// ``classDimension(of:ranks:)`` for an input known by its shape.
@inlinable
func classDimension(ofShape shape: [Int], ranks: ClosedRange<Int>) throws(LossError) -> Int {
    try checkRank("input", shape, in: ranks)
    guard let classes = shape.last, classes > 0 else {
        throw .invalidShape(argument: "input", shape: shape, reason: "the class dimension is empty")
    }
    return classes
}

/// The index of the first element of `tensor` outside [lower, upper] (NaN counts as outside).
@inlinable
func firstIndex<T: LossScalar>(outside lower: T, _ upper: T, in tensor: Tensor<T>) -> Int? {
    tensor.withUnsafeBufferPointer { b -> Int? in
        let p = base(b), n = b.count
        var i = 0
        // Eight lanes per comparison; the scalar loop below finds the exact index.
        while i + 8 <= n {
            let v = load8(p + i)
            if !all((v .>= lower) .& (v .<= upper)) { break }
            i += 8
        }
        while i < n {
            if !(p[i] >= lower && p[i] <= upper) { return i }
            i += 1
        }
        return nil
    }
}

/// Throws ``LossError/valueOutOfRange(argument:value:index:expected:)`` for the first element
/// outside [0, 1] (or NaN).
@inlinable
func checkUnitInterval<T: LossScalar>(_ argument: String, _ tensor: Tensor<T>) throws(LossError) {
    if let i = firstIndex(outside: 0, 1, in: tensor) {
        let v = tensor.withUnsafeBufferPointer { $0[i] }
        throw .valueOutOfRange(argument: argument, value: Double(v), index: i, expected: "a value in [0, 1]")
    }
}

/// Checks hinge labels: each ±1, or (with `allowZeroOne`) all from {0, 1} instead, not mixing 0 and −1.
@inlinable
func checkSignLabels<T: LossScalar>(_ argument: String, _ t: Tensor<T>, allowZeroOne: Bool) throws(LossError) {
    let expected = allowZeroOne ? "−1 or 1 (or all targets 0 or 1)" : "−1 or 1"
    let bad: (Int, T, String)? = t.withUnsafeBufferPointer { b in
        var sawZero = false, sawMinusOne = false
        for i in b.indices {
            let v = b[i]
            if v == 1 { continue }
            if v == -1 {
                if sawZero { return (i, v, "labels of one convention, {−1, 1} or {0, 1}, not both 0 and −1") }
                sawMinusOne = true
            } else if v == 0 && allowZeroOne {
                if sawMinusOne { return (i, v, "labels of one convention, {−1, 1} or {0, 1}, not both 0 and −1") }
                sawZero = true
            } else {
                return (i, v, expected)
            }
        }
        return nil
    }
    if let (i, v, why) = bad { throw .valueOutOfRange(argument: argument, value: Double(v), index: i, expected: why) }
}

/// The class index a kernel compares labels with, after ``checkLabels(_:_:classCount:ignoreIndex:)``
/// has passed: `ignoreIndex` itself, or for `nil` (no ignored label) `Int.min`, which no label
/// can equal once every label has been checked to lie in `0..<classCount`.
@inlinable
func comparableIgnoreIndex(_ ignoreIndex: Int?) -> Int { ignoreIndex ?? Int.min }
