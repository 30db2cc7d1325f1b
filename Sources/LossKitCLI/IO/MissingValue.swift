/// The missing-value tokens of DRIFT.md: an empty field, `NA`, `NaN`, `null`, `None` (any
/// case), after trimming surrounding spaces and tabs. A number that parses to NaN (`nan(1)`,
/// `snan`) is missing too.
enum MissingValue {
    /// `field` without leading and trailing ASCII spaces and tabs.
    @inline(__always)
    static func trimmed(_ field: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        guard let base = field.baseAddress else { return field }
        var start = 0, end = field.count
        while start < end, base[start] == 0x20 || base[start] == 0x09 { start += 1 }
        while end > start, base[end - 1] == 0x20 || base[end - 1] == 0x09 { end -= 1 }
        return UnsafeBufferPointer(start: base + start, count: end - start)
    }

    /// Whether an already trimmed field is one of the missing-value tokens.
    @inline(__always)
    static func isToken(_ field: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = field.count
        if n == 0 { return true }
        guard n <= 4, let p = field.baseAddress else { return false }
        // Lowercase ASCII letters; other bytes never match the tokens below.
        func lower(_ i: Int) -> UInt8 { p[i] | 0x20 }
        switch n {
        case 2: return lower(0) == UInt8(ascii: "n") && lower(1) == UInt8(ascii: "a")
        case 3: return lower(0) == UInt8(ascii: "n") && lower(1) == UInt8(ascii: "a") && lower(2) == UInt8(ascii: "n")
        case 4:
            return (lower(0) == UInt8(ascii: "n") && lower(1) == UInt8(ascii: "u") && lower(2) == UInt8(ascii: "l") && lower(3) == UInt8(ascii: "l"))
                || (lower(0) == UInt8(ascii: "n") && lower(1) == UInt8(ascii: "o") && lower(2) == UInt8(ascii: "n") && lower(3) == UInt8(ascii: "e"))
        default: return false
        }
    }

    /// Whether `text` is a missing-value token (trimmed first).
    static func isToken(_ text: String) -> Bool {
        var copy = text
        return copy.withUTF8 { isToken(trimmed($0)) }
    }
}

extension CSVBatch {
    /// Appends the values of `column` to `values`, missing ones as NaN, and returns nil; or
    /// stops at the first field that is neither a number nor missing and returns its row
    /// (the values of the rows before it are appended).
    public func appendNumbers(column: Int, to values: inout [Double]) -> Int? {
        var failure: Int?
        values.reserveCapacity(values.count + rowCount)
        forEachField(column: column) { row, field in
            guard failure == nil else { return }
            let text = MissingValue.trimmed(field)
            if MissingValue.isToken(text) {
                values.append(.nan)
            } else if let value = DecimalParser.parse(text.baseAddress!, count: text.count) {
                values.append(value)
            } else {
                failure = row
            }
        }
        return failure
    }
}
