import RealModule
// The one place argument checks live, so every family reports problems the same way.

/// Throws unless `actual` equals `expected`, naming `argument` and both shapes.
@inlinable
public func checkShape(_ argument: String, _ actual: [Int], equals expected: [Int]) throws(LossError) {
    guard actual == expected else { throw .shapeMismatch(argument: argument, expected: expected, actual: actual) }
}

/// Throws unless `shape` has a rank in `ranks`.
@inlinable
public func checkRank(_ argument: String, _ shape: [Int], in ranks: ClosedRange<Int>) throws(LossError) {
    guard ranks.contains(shape.count) else {
        let want = ranks.lowerBound == ranks.upperBound ? "\(ranks.lowerBound)" : "\(ranks.lowerBound)...\(ranks.upperBound)"
        throw .invalidShape(argument: argument, shape: shape, reason: "expected rank \(want), got rank \(shape.count)")
    }
}

/// Throws unless `value` satisfies `isValid`; `expected` says what was expected (e.g. "> 0").
@inlinable
public func checkOption<V: CustomStringConvertible>(
    _ name: String, _ value: V, expected: String, _ isValid: (V) -> Bool
) throws(LossError) {
    guard isValid(value) else { throw .invalidOption(name: name, value: value.description, expected: expected) }
}

/// Throws on the first element of `tensor` outside `isValid`, naming its index and value.
@inlinable
public func checkValues<T: LossScalar>(
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
public func checkLabels<L: BinaryInteger>(
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
