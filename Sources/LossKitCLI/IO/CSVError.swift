import Foundation

/// An invalid or unreadable CSV file. `description` names the file, and where they are known
/// the line (1-based, counting every line of the file, the header's included), the column
/// (1-based) and the column's header name.
public struct CSVError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Reason: Equatable, Sendable {
        case cannotOpen(String)
        case cannotRead(String)
        /// No bytes, or only a byte-order mark.
        case emptyFile
        case duplicateHeader(name: String, firstColumn: Int)
        /// A record whose number of fields differs from the header's.
        case raggedRow(expected: Int, found: Int)
        case unterminatedQuote
        case characterAfterClosingQuote(String)
        /// A record larger than the reader can hold (2 GiB).
        case recordTooLong
        /// A field that is neither a number nor a missing-value token, in a numeric column.
        case notNumeric(String)
    }

    public var path: String
    public var line: Int?
    public var column: Int?
    public var columnName: String?
    public var reason: Reason

    public init(path: String, line: Int? = nil, column: Int? = nil, columnName: String? = nil, reason: Reason) {
        self.path = path
        self.line = line
        self.column = column
        self.columnName = columnName
        self.reason = reason
    }

    public var description: String {
        var place = path == "-" ? "<stdin>" : path
        if let line { place += ", line \(line)" }
        if let column {
            place += ", column \(column)"
            if let columnName { place += " ('\(CSVError.clip(columnName))')" }
        }
        return place + ": " + reasonText
    }

    var reasonText: String {
        switch reason {
        case .cannotOpen(let why): return "cannot open (\(why))"
        case .cannotRead(let why): return "cannot read (\(why))"
        case .emptyFile: return "empty file (no header row)"
        case .duplicateHeader(let name, let first):
            return "duplicate header name '\(CSVError.clip(name))' (also column \(first))"
        case .raggedRow(let expected, let found):
            return "ragged row: \(found) field\(found == 1 ? "" : "s"), the header has \(expected)"
        case .unterminatedQuote: return "unterminated quoted field (no closing '\"' before the end of the file)"
        case .characterAfterClosingQuote(let c):
            return "unexpected '\(c)' after a closing quote (a quoted field must end at a delimiter or a line end)"
        case .recordTooLong: return "record longer than 2 GiB"
        case .notNumeric(let text): return "text '\(CSVError.clip(text))' in a numeric column"
        }
    }

    /// Shortens untrusted text quoted in messages and keeps it on one line.
    static func clip(_ text: String, limit: Int = 40) -> String {
        var s = text.count <= limit ? text : String(text.prefix(limit)) + "..."
        s = s.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
        return s
    }
}
