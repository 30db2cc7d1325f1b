/// An invalid argument to a LossKit function. LossKit never traps on user input: every
/// shape, dtype, range or option problem is thrown as one of these cases, and its
/// `description` names the argument and the offending shapes or values.
public enum LossError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `argument` must have the shape `expected` (e.g. the same shape as `input`).
    case shapeMismatch(argument: String, expected: [Int], actual: [Int])
    /// `argument` has a shape that is invalid on its own (wrong rank, empty class dimension, ...).
    case invalidShape(argument: String, shape: [Int], reason: String)
    /// A class label outside `0..<classCount` that is not the ignore index.
    case labelOutOfRange(argument: String, label: Int, classCount: Int, index: Int)
    /// A value outside the range the loss is defined on (probability outside [0, 1], negative variance, ...).
    case valueOutOfRange(argument: String, value: Double, index: Int?, expected: String)
    /// An option with an invalid value.
    case invalidOption(name: String, value: String, expected: String)
    /// A required argument is missing, or an argument was given where it is not allowed.
    case missingArgument(name: String, reason: String)
    /// The element types of the arguments do not fit together.
    case dtypeMismatch(argument: String, expected: String, actual: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(argument, expected, actual):
            return "\(argument): expected shape \(describe(shape: expected)), got \(describe(shape: actual))"
        case let .invalidShape(argument, shape, reason):
            return "\(argument): invalid shape \(describe(shape: shape)): \(reason)"
        case let .labelOutOfRange(argument, label, classCount, index):
            return "\(argument): label \(label) at index \(index) is out of range 0..<\(classCount) and is not the ignore index"
        case let .valueOutOfRange(argument, value, index, expected):
            let at = index.map { " at index \($0)" } ?? ""
            return "\(argument): value \(value)\(at) is out of range: expected \(expected)"
        case let .invalidOption(name, value, expected):
            return "option \(name)=\(value) is invalid: expected \(expected)"
        case let .missingArgument(name, reason):
            return "\(name): \(reason)"
        case let .dtypeMismatch(argument, expected, actual):
            return "\(argument): expected dtype \(expected), got \(actual)"
        }
    }
}
