import Foundation

/// How zero proportions are handled by the smoothed metrics (`psi`, `kl`).
public enum Smoothing: Equatable, Sendable {
    /// Jeffreys-style pseudo-counts: `p'_b = (r_b + a) / (R + a·B')` (default `a = 0.5`).
    case pseudoCount(Double)
    /// Zero proportions replaced by `eps` (default `1e-4`), others unchanged.
    case epsilon(Double)
    /// The default, `pseudoCount(0.5)`.
    public static let jeffreys = Smoothing.pseudoCount(0.5)
}

/// Bin-based drift metrics of DRIFT.md ("Metrics") on reference counts `r_b` and current
/// counts `c_b` over the same `B'` bins (missing/unseen bins included by the caller).
public enum BinMetrics {
    /// Proportions after `smoothing`.
    public static func smoothed(_ c: [Int], _ smoothing: Smoothing) -> [Double] {
        let n = Double(c.reduce(0, +))
        switch smoothing {
        case .pseudoCount(let a):
            let d = n + a * Double(c.count)
            return c.map { (Double($0) + a) / d }
        case .epsilon(let eps):
            return c.map { $0 == 0 ? eps : Double($0) / n }
        }
    }

    /// Per-bin PSI contributions `(q'_b − p'_b)·ln(q'_b / p'_b)`.
    public static func psiContributions(
        reference r: [Int], current c: [Int], smoothing: Smoothing = .jeffreys
    ) throws(DriftError) -> [Double] {
        try check(r, c)
        let p = smoothed(r, smoothing), q = smoothed(c, smoothing)
        return (0..<p.count).map { (q[$0] - p[$0]) * log(q[$0] / p[$0]) }
    }

    /// Population stability index `Σ_b (q'_b − p'_b)·ln(q'_b / p'_b)`.
    ///
    /// ```swift
    /// try BinMetrics.psi(reference: [10, 20], current: [20, 10])
    /// ```
    public static func psi(
        reference r: [Int], current c: [Int], smoothing: Smoothing = .jeffreys
    ) throws(DriftError) -> Double {
        try psiContributions(reference: r, current: c, smoothing: smoothing).reduce(0, +)
    }

    /// `KL(reference ‖ current) = Σ p'_b ln(p'_b / q'_b)`; `currentFirst` gives KL(current ‖ reference).
    public static func kl(
        reference r: [Int], current c: [Int], smoothing: Smoothing = .jeffreys, currentFirst: Bool = false
    ) throws(DriftError) -> Double {
        try check(r, c)
        var p = smoothed(r, smoothing), q = smoothed(c, smoothing)
        if currentFirst { swap(&p, &q) }
        var s = 0.0
        for b in p.indices where p[b] > 0 { s += p[b] * log(p[b] / q[b]) }
        return s
    }

    /// Jensen–Shannon distance, base 2, unsmoothed:
    /// `√(½Σ p log₂(p/m) + ½Σ q log₂(q/m))`, `m = ½(p+q)`; in [0, 1].
    public static func js(reference r: [Int], current c: [Int]) throws(DriftError) -> Double {
        try check(r, c)
        let p = smoothed(r, .pseudoCount(0)), q = smoothed(c, .pseudoCount(0))
        var s = 0.0
        for b in p.indices {
            let m = 0.5 * (p[b] + q[b])
            if p[b] > 0 { s += 0.5 * p[b] * log(p[b] / m) }
            if q[b] > 0 { s += 0.5 * q[b] * log(q[b] / m) }
        }
        return (max(s, 0) / log(2)).squareRoot()
    }

    /// Hellinger distance `√(1 − Σ √(p_b q_b))`, unsmoothed; in [0, 1].
    public static func hellinger(reference r: [Int], current c: [Int]) throws(DriftError) -> Double {
        try check(r, c)
        let p = smoothed(r, .pseudoCount(0)), q = smoothed(c, .pseudoCount(0))
        var bc = 0.0
        for b in p.indices { bc += (p[b] * q[b]).squareRoot() }
        return max(1 - bc, 0).squareRoot()
    }

    static func check(_ r: [Int], _ c: [Int]) throws(DriftError) {
        guard r.count == c.count else { throw .mismatchedBins(expected: r.count, got: c.count) }
        if r.reduce(0, +) == 0 { throw .emptySample(side: "reference") }
        if c.reduce(0, +) == 0 { throw .emptySample(side: "current") }
    }
}
