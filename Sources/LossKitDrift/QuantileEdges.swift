/// Quantile bin edges of the reference (DRIFT.md, "Bins").
///
/// `e_k = quantile(x, k/B)` for `k = 1 … B−1`, with NumPy's default linear interpolation:
/// with `x` sorted, `h = (n − 1)·k/B`, `e_k = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋])`;
/// duplicate edges are removed. Bins are `(−inf, e_1], (e_1, e_2], …, (e_last, +inf)`.
///
/// ```swift
/// QuantileEdges.edges(sortedFinite: [1, 2, 3, 4, 5], bins: 4) // [2, 3, 4]
/// ```
public enum QuantileEdges {
    /// Linear-interpolated quantile `q ∈ [0, 1]` of sorted, non-empty finite values.
    @inlinable
    public static func quantile(sorted x: [Double], _ q: Double) -> Double {
        precondition(!x.isEmpty, "quantile of an empty sample")
        let h = Double(x.count - 1) * q
        let lo = Int(h.rounded(.down))
        if lo >= x.count - 1 { return x[x.count - 1] }
        let t = h - Double(lo)
        let a = x[lo], b = x[lo + 1]
        // NumPy's _lerp: a + t·(b − a), and b − (b − a)·(1 − t) for t ≥ 0.5.
        let d = b - a
        return t >= 0.5 ? b - d * (1 - t) : a + d * t
    }

    /// The `B − 1` interior edges (duplicates removed) of sorted finite values.
    /// Empty when `sortedFinite` is empty or `bins < 2`.
    public static func edges(sortedFinite x: [Double], bins: Int) -> [Double] {
        guard !x.isEmpty, bins >= 2 else { return [] }
        var out: [Double] = []
        out.reserveCapacity(bins - 1)
        for k in 1..<bins {
            let e = quantile(sorted: x, Double(k) / Double(bins))
            if out.last != e { out.append(e) }
        }
        return out
    }

    /// Index of the right-closed bin holding `value` among `edges.count + 1` bins:
    /// the number of edges strictly below `value` (binary search). `value` must not be NaN.
    @inlinable
    public static func binIndex(of value: Double, edges: [Double]) -> Int {
        var lo = 0, hi = edges.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if edges[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
