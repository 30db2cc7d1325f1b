/// Errors of the drift library, each naming what was wrong.
public enum DriftError: Error, Equatable, Sendable {
    /// Two count sets with different bin layouts were combined.
    case mismatchedBins(expected: Int, got: Int)
    /// A side of the comparison has no rows.
    case emptySample(side: String)
}
