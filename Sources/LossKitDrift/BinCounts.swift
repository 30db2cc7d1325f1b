/// Integer counts of one column over its bins, plus the missing count
/// (`"losskit-drift-counts": 1` payload per column). Counts add exactly, so merging any
/// partition of the data gives the one-shot counts bit for bit.
///
/// ```swift
/// var a = BinCounts(binCount: 3); a.add(bin: 1); a.addMissing()
/// let all = try a.merged(with: BinCounts(binCount: 3))
/// ```
public struct BinCounts: Codable, Equatable, Sendable {
    /// Count per bin.
    public internal(set) var counts: [Int]
    /// Count of missing values.
    public internal(set) var missing: Int

    /// Zero counts over `binCount` bins.
    public init(binCount: Int) {
        precondition(binCount >= 0)
        counts = Array(repeating: 0, count: binCount)
        missing = 0
    }

    /// Rows counted: every bin plus missing.
    public var total: Int { counts.reduce(missing, +) }

    /// Adds one value to `bin`.
    public mutating func add(bin: Int) { counts[bin] += 1 }
    /// Adds one missing value.
    public mutating func addMissing() { missing += 1 }

    /// Counts `values` against right-closed `edges` (NaN counted as missing).
    public mutating func add(values: some Sequence<Double>, edges: [Double]) {
        precondition(counts.count == edges.count + 1, "counts do not match edges")
        for v in values {
            if v.isNaN { missing += 1 } else { counts[QuantileEdges.binIndex(of: v, edges: edges)] += 1 }
        }
    }

    /// Elementwise sum; throws when the bin layouts differ.
    public func merged(with other: BinCounts) throws(DriftError) -> BinCounts {
        guard counts.count == other.counts.count else {
            throw .mismatchedBins(expected: counts.count, got: other.counts.count)
        }
        var r = self
        for i in r.counts.indices { r.counts[i] += other.counts[i] }
        r.missing += other.missing
        return r
    }
}
