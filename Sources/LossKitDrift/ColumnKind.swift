/// The kind of a drift-monitored column, decided on the reference (DRIFT.md, "Inputs").
///
/// - `numeric`: every non-missing value is a number and there are more than `discreteMax`
///   (default 20) distinct values; binned by reference quantiles.
/// - `discrete`: numeric with at most `discreteMax` distinct values; one bin per value.
/// - `categorical`: anything else, or forced by the caller; one bin per exact string.
///
/// ```swift
/// let kind = ColumnKind.decide(allNumeric: true, distinctCount: 7) // .discrete
/// ```
public enum ColumnKind: String, Codable, Sendable, CaseIterable {
    case numeric, discrete, categorical

    /// The default `discreteMax`: at most this many distinct numbers makes a column `discrete`.
    public static let defaultDiscreteMax = 20

    /// Decides the kind from what the reference showed.
    /// - Parameters:
    ///   - allNumeric: every non-missing value parsed as a number (±inf allowed).
    ///   - distinctCount: number of distinct non-missing values.
    ///   - discreteMax: threshold; `distinctCount <= discreteMax` gives `.discrete`.
    ///   - forcedCategorical: the caller named the column categorical.
    public static func decide(
        allNumeric: Bool, distinctCount: Int,
        discreteMax: Int = defaultDiscreteMax, forcedCategorical: Bool = false
    ) -> ColumnKind {
        if forcedCategorical || !allNumeric { return .categorical }
        return distinctCount > discreteMax ? .numeric : .discrete
    }
}
