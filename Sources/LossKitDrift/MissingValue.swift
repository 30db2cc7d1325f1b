/// Missing-value rules of DRIFT.md ("Inputs").
///
/// A text field is missing when it is empty or, ignoring case, one of `NA`, `NaN`, `null`,
/// `None`. A Double is missing when it is NaN (±inf are values: they fall in the outer bins).
///
/// ```swift
/// MissingValue.isMissing("nULL")    // true
/// MissingValue.isMissing(Double.nan) // true
/// ```
public enum MissingValue {
    /// Whether a text field denotes a missing value.
    @inlinable
    public static func isMissing<S: StringProtocol>(_ field: S) -> Bool {
        let u = field.utf8
        switch u.count {
        case 0: return true
        case 2, 3, 4:
            var lower: [UInt8] = []
            lower.reserveCapacity(4)
            for b in u { lower.append(b >= 65 && b <= 90 ? b + 32 : b) }
            return lower == Array("na".utf8) || lower == Array("nan".utf8)
                || lower == Array("null".utf8) || lower == Array("none".utf8)
        default: return false
        }
    }

    /// Whether a number denotes a missing value (NaN).
    @inlinable
    public static func isMissing(_ value: Double) -> Bool { value.isNaN }
}
