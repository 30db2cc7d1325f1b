// XML escaping and number formatting shared by every chart.

/// Escapes `text` for XML character data and attribute values (`& < > " '`).
public func xmlEscaped(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for c in text.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default:
            // Control characters other than tab/newline are not allowed in XML 1.0.
            if c.value < 0x20 && c != "\t" && c != "\n" { out += "\u{FFFD}" } else { out.unicodeScalars.append(c) }
        }
    }
    return out
}

/// A coordinate with two decimals, deterministic and locale independent.
func coordinate(_ value: Double) -> String {
    guard value.isFinite else { return "0" }
    let scaled = (value * 100).rounded()
    let text = String(Int(scaled))
    if Int(scaled) % 100 == 0 { return String(Int(scaled) / 100) }
    let negative = scaled < 0
    var digits = negative ? String(text.dropFirst()) : text
    while digits.count < 3 { digits = "0" + digits }
    var result = String(digits.dropLast(2)) + "." + digits.suffix(2)
    while result.hasSuffix("0") { result.removeLast() }
    return (negative ? "-" : "") + result
}
