#if canImport(_Differentiation)
/// A tensor seen as `outer × count × inner` around one axis: element (o, i, d) is at
/// `(o·count + i)·inner + d`. The layout the along-an-axis operations loop over.
@usableFromInline
struct AxisLayout {
    @usableFromInline let outer: Int, count: Int, inner: Int

    /// The layout of `shape` around `axis` (negative counts from the end); stops with a message
    /// naming `operation` when the axis is out of range.
    @inlinable
    init(_ shape: [Int], axis: Int, operation: String) {
        let a = normalizedAxis(axis, rank: shape.count, operation: operation)
        outer = shape[..<a].reduce(1, *)
        count = shape[a]
        inner = shape[(a + 1)...].reduce(1, *)
    }
}

/// `axis` in 0..<rank (negative counts from the end); stops with a message naming `operation`.
@inlinable
func normalizedAxis(_ axis: Int, rank: Int, operation: String) -> Int {
    let a = axis < 0 ? axis + rank : axis
    precondition(a >= 0 && a < rank, "\(operation): axis \(axis) is out of range for rank \(rank)")
    return a
}
#endif
