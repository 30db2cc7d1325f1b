// NumPy `.npy` reader and writer.
//
// Format reference: numpy/lib/format.py ("NEP 1"). A file is
//   magic "\x93NUMPY", major, minor version bytes,
//   header length (UInt16 LE for 1.0, UInt32 LE for 2.0/3.0),
//   header: a Python dict literal, space padded, terminated by "\n",
//   raw array data in C order.
//
// The reader is meant for untrusted input: it never traps, and it validates the
// header and checks that the data size matches the shape exactly before it
// allocates anything proportional to the shape.

import Foundation

/// The element types LossKit reads and writes. Raw values are the canonical
/// numpy `descr` strings.
enum NPYDType: String, Sendable {
    case float32 = "<f4"
    case float64 = "<f8"
    case int32 = "<i4"
    case int64 = "<i8"
    case bool = "|b1"

    /// Bytes per element.
    var itemSize: Int {
        switch self {
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        case .bool: return 1
        }
    }
}

/// A decoded array: shape plus typed scalars in C (row-major) order.
enum NPYArray: Equatable, Sendable {
    case float32(shape: [Int], scalars: [Float])
    case float64(shape: [Int], scalars: [Double])
    case int32(shape: [Int], scalars: [Int32])
    case int64(shape: [Int], scalars: [Int64])
    case bool(shape: [Int], scalars: [Bool])

    var shape: [Int] {
        switch self {
        case .float32(let shape, _), .float64(let shape, _), .int32(let shape, _),
             .int64(let shape, _), .bool(let shape, _):
            return shape
        }
    }

    var dtype: NPYDType {
        switch self {
        case .float32: return .float32
        case .float64: return .float64
        case .int32: return .int32
        case .int64: return .int64
        case .bool: return .bool
        }
    }

    /// Number of scalars stored (not derived from `shape`).
    var scalarCount: Int {
        switch self {
        case .float32(_, let s): return s.count
        case .float64(_, let s): return s.count
        case .int32(_, let s): return s.count
        case .int64(_, let s): return s.count
        case .bool(_, let s): return s.count
        }
    }
}

/// An error reading or writing a `.npy` file. `description` is "<path>: <reason>".
struct NPYError: Error, CustomStringConvertible, Equatable {
    let path: String
    let reason: String

    init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    var description: String { "\(path): \(reason)" }
}

enum NPY {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"
    /// numpy aligns the start of the data to this many bytes.
    static let headerAlignment = 64

    // MARK: Reading

    /// Decodes an in-memory `.npy` file. `path` is only used in error messages.
    static func decode(_ data: Data, path: String) throws(NPYError) -> NPYArray {
        let result: Result<NPYArray, NPYError> = data.withUnsafeBytes { raw in
            do throws(NPYError) {
                return .success(try decode(raw, path: path))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Reads and decodes the `.npy` file at `path`.
    static func read(contentsOf path: String) throws(NPYError) -> NPYArray {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw NPYError(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw NPYError(path: path, reason: "is a directory, not a .npy file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw NPYError(path: path, reason: "cannot read file (\(error.localizedDescription))")
        }
        return try decode(data, path: path)
    }

    private static func decode(_ raw: UnsafeRawBufferPointer, path: String) throws(NPYError) -> NPYArray {
        func fail(_ reason: String) -> NPYError { NPYError(path: path, reason: reason) }
        let size = raw.count

        // Magic.
        let magicPrefix = min(size, magic.count)
        for i in 0..<magicPrefix where raw[i] != magic[i] {
            throw fail("not a .npy file (bad magic bytes)")
        }
        guard size >= magic.count else {
            throw fail(size == 0 ? "empty file" : "truncated magic: file is only \(size) bytes")
        }

        // Version and header length.
        guard size >= 8 else { throw fail("truncated: missing format version") }
        let major = raw[6], minor = raw[7]
        let lengthFieldSize: Int
        switch (major, minor) {
        case (1, 0): lengthFieldSize = 2
        case (2, 0), (3, 0): lengthFieldSize = 4
        default: throw fail("unsupported format version \(major).\(minor)")
        }
        let headerStart = 8 + lengthFieldSize
        guard size >= headerStart else { throw fail("truncated: missing header length") }
        var headerLength = 0
        for i in 0..<lengthFieldSize {
            headerLength |= Int(raw[8 + i]) << (8 * i)
        }
        // headerLength < 2^32 and size <= Int.max, so this cannot overflow on 64-bit;
        // check anyway to stay safe on 32-bit platforms.
        let (dataStart, overflow) = headerStart.addingReportingOverflow(headerLength)
        guard !overflow, dataStart <= size else {
            throw fail("header length \(headerLength) runs past end of file (file is \(size) bytes)")
        }

        // Header dictionary.
        let headerBytes = Array(raw[headerStart..<dataStart])
        let header = try HeaderParser.parse(headerBytes, fail: fail)

        // Data.
        let count = header.count
        let (byteCount, byteOverflow) = count.multipliedReportingOverflow(by: header.dtype.itemSize)
        guard !byteOverflow else {
            throw fail("shape \(header.shapeText) has too many elements (byte count overflows)")
        }
        let available = size - dataStart
        if available < byteCount {
            throw fail("truncated: expected \(byteCount) bytes of data, found \(available)")
        }
        if available > byteCount {
            throw fail("trailing bytes: expected \(byteCount) bytes of data, found \(available)")
        }

        let shape = header.shape
        switch header.dtype {
        case .float32:
            #if _endian(little)
            return .float32(shape: shape, scalars: copyScalars(raw, at: dataStart, count: count))
            #else
            let bits: [UInt32] = copyScalars(raw, at: dataStart, count: count)
            return .float32(shape: shape, scalars: bits.map { Float(bitPattern: UInt32(littleEndian: $0)) })
            #endif
        case .float64:
            #if _endian(little)
            return .float64(shape: shape, scalars: copyScalars(raw, at: dataStart, count: count))
            #else
            let bits: [UInt64] = copyScalars(raw, at: dataStart, count: count)
            return .float64(shape: shape, scalars: bits.map { Double(bitPattern: UInt64(littleEndian: $0)) })
            #endif
        case .int32:
            let values: [Int32] = copyScalars(raw, at: dataStart, count: count)
            #if _endian(little)
            return .int32(shape: shape, scalars: values)
            #else
            return .int32(shape: shape, scalars: values.map { Int32(littleEndian: $0) })
            #endif
        case .int64:
            let values: [Int64] = copyScalars(raw, at: dataStart, count: count)
            #if _endian(little)
            return .int64(shape: shape, scalars: values)
            #else
            return .int64(shape: shape, scalars: values.map { Int64(littleEndian: $0) })
            #endif
        case .bool:
            var values = [Bool]()
            values.reserveCapacity(count)
            for i in 0..<count {
                switch raw[dataStart + i] {
                case 0: values.append(false)
                case 1: values.append(true)
                case let byte:
                    throw fail("invalid bool byte \(hexByte(byte)) at element \(i)")
                }
            }
            return .bool(shape: shape, scalars: values)
        }
    }

    /// Copies `count` trivial scalars starting at byte `offset` (bounds already checked).
    private static func copyScalars<T>(_ raw: UnsafeRawBufferPointer, at offset: Int, count: Int) -> [T] {
        [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0, let source = raw.baseAddress, let destination = buffer.baseAddress {
                UnsafeMutableRawPointer(destination).copyMemory(
                    from: source + offset, byteCount: count * MemoryLayout<T>.stride)
            }
            initialized = count
        }
    }

    // MARK: Writing

    /// Encodes `array` as a `.npy` file (format version 1.0; 2.0 only if the header
    /// would not fit in 65535 bytes, which needs thousands of dimensions).
    /// Precondition: the product of `array.shape` equals the number of scalars.
    static func encode(_ array: NPYArray) -> Data {
        let shape = array.shape
        precondition(shapeMatches(array), "NPY.encode: shape \(formatShape(shape.map(String.init))) does not match \(array.scalarCount) scalars")

        let dict = "{'descr': '\(array.dtype.rawValue)', 'fortran_order': False, 'shape': \(formatShape(shape.map(String.init))), }"
        var dictBytes = Array(dict.utf8)
        var lengthFieldSize = 2
        var unpadded = magic.count + 2 + lengthFieldSize + dictBytes.count + 1
        var padding = (headerAlignment - unpadded % headerAlignment) % headerAlignment
        if dictBytes.count + padding + 1 > Int(UInt16.max) {
            lengthFieldSize = 4
            unpadded = magic.count + 2 + lengthFieldSize + dictBytes.count + 1
            padding = (headerAlignment - unpadded % headerAlignment) % headerAlignment
        }
        dictBytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding))
        dictBytes.append(UInt8(ascii: "\n"))
        let headerLength = dictBytes.count

        var out = Data()
        out.reserveCapacity(magic.count + 2 + lengthFieldSize + headerLength + array.scalarCount * array.dtype.itemSize)
        out.append(contentsOf: magic)
        out.append(contentsOf: [lengthFieldSize == 2 ? 1 : 2, 0])
        for i in 0..<lengthFieldSize {
            out.append(UInt8(truncatingIfNeeded: headerLength >> (8 * i)))
        }
        out.append(contentsOf: dictBytes)

        switch array {
        case .float32(_, let s): appendLittleEndian(s.map(\.bitPattern), to: &out)
        case .float64(_, let s): appendLittleEndian(s.map(\.bitPattern), to: &out)
        case .int32(_, let s): appendLittleEndian(s, to: &out)
        case .int64(_, let s): appendLittleEndian(s, to: &out)
        case .bool(_, let s): out.append(contentsOf: s.map { $0 ? UInt8(1) : UInt8(0) })
        }
        return out
    }

    /// Encodes `array` and writes it to `path` (atomically).
    static func write(_ array: NPYArray, to path: String) throws(NPYError) {
        guard shapeMatches(array) else {
            throw NPYError(path: path, reason: "shape \(formatShape(array.shape.map(String.init))) does not match \(array.scalarCount) scalars")
        }
        let data = encode(array)
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw NPYError(path: path, reason: "cannot write file (\(error.localizedDescription))")
        }
    }

    private static func shapeMatches(_ array: NPYArray) -> Bool {
        var product = 1
        for dim in array.shape {
            guard dim >= 0 else { return false }
            let (p, overflow) = product.multipliedReportingOverflow(by: dim)
            guard !overflow else { return false }
            product = p
        }
        return product == array.scalarCount
    }

    private static func appendLittleEndian<T: FixedWidthInteger>(_ values: [T], to out: inout Data) {
        #if _endian(little)
        values.withUnsafeBytes { out.append(contentsOf: $0) }
        #else
        values.map(\.littleEndian).withUnsafeBytes { out.append(contentsOf: $0) }
        #endif
    }

    // MARK: Helpers

    /// Formats a shape the way Python prints a tuple: `()`, `(5,)`, `(2, 3)`.
    static func formatShape(_ dims: [String]) -> String {
        switch dims.count {
        case 0: return "()"
        case 1: return "(\(dims[0]),)"
        default: return "(" + dims.joined(separator: ", ") + ")"
        }
    }

    static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return "0x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
    }

    /// Shortens untrusted text quoted in error messages.
    static func clip(_ text: String, limit: Int = 40) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "..."
    }
}

// MARK: - Header parsing

/// The validated contents of a header dictionary.
private struct NPYHeader {
    var dtype: NPYDType
    var shape: [Int]
    var shapeText: String
    var count: Int
}

/// A tokenizer and recursive-descent parser for the Python dict-literal subset
/// numpy writes: string keys; values that are strings, True/False, integers,
/// or tuples of integers.
private struct HeaderParser {
    enum Token: Equatable {
        case punct(UInt8)  // { } ( ) [ ] : ,
        case string(String)
        case integer(String)
        case name(String)
        case end

        var text: String {
            switch self {
            case .punct(let c): return "'\(Character(Unicode.Scalar(c)))'"
            case .string(let s): return "string '\(NPY.clip(s))'"
            case .integer(let s): return "integer \(NPY.clip(s))"
            case .name(let s): return "'\(NPY.clip(s))'"
            case .end: return "end of header"
            }
        }
    }

    enum Value {
        case string(String)
        case bool(Bool)
        case integer(String)
        case tuple([String])

        var kind: String {
            switch self {
            case .string(let s): return "string '\(NPY.clip(s))'"
            case .bool(let b): return b ? "True" : "False"
            case .integer(let s): return "integer \(NPY.clip(s))"
            case .tuple(let t): return "tuple \(NPY.clip(NPY.formatShape(t)))"
            }
        }
    }

    let bytes: [UInt8]
    let fail: (String) -> NPYError
    var position = 0

    static func parse(_ bytes: [UInt8], fail: @escaping (String) -> NPYError) throws(NPYError) -> NPYHeader {
        guard bytes.last == UInt8(ascii: "\n") else {
            throw fail(bytes.isEmpty ? "empty header" : "header is not terminated by a newline")
        }
        for (offset, byte) in bytes.enumerated() {
            if byte >= 0x80 {
                throw fail("non-ascii byte \(NPY.hexByte(byte)) in header at offset \(offset)")
            }
            if byte < 0x20 && !isWhitespace(byte) || byte == 0x7F {
                throw fail("control byte \(NPY.hexByte(byte)) in header at offset \(offset)")
            }
        }
        var parser = HeaderParser(bytes: bytes, fail: fail)
        let entries = try parser.parseDictionary()
        return try validate(entries, fail: fail)
    }

    private static func isWhitespace(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0B || c == 0x0C
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    private static func isNameByte(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || isDigit(c)
    }

    // MARK: Tokenizer

    private mutating func nextToken() throws(NPYError) -> Token {
        while position < bytes.count, Self.isWhitespace(bytes[position]) { position += 1 }
        guard position < bytes.count else { return .end }
        let c = bytes[position]
        switch c {
        case UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: ":"), UInt8(ascii: ","):
            position += 1
            return .punct(c)
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            let start = position + 1
            var i = start
            while i < bytes.count, bytes[i] != c {
                if bytes[i] == UInt8(ascii: "\\") {
                    throw fail("escape sequences in header strings are not supported")
                }
                if bytes[i] == UInt8(ascii: "\n") { break }
                i += 1
            }
            guard i < bytes.count, bytes[i] == c else { throw fail("unterminated string in header") }
            position = i + 1
            return .string(String(decoding: bytes[start..<i], as: UTF8.self))
        case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = position
            var i = position
            if c == UInt8(ascii: "-") || c == UInt8(ascii: "+") { i += 1 }
            let digitsStart = i
            while i < bytes.count, Self.isDigit(bytes[i]) { i += 1 }
            guard i > digitsStart else { throw fail("expected digits after '\(Character(Unicode.Scalar(c)))' in header") }
            position = i
            return .integer(String(decoding: bytes[start..<i], as: UTF8.self))
        default:
            if Self.isNameByte(c) {
                let start = position
                while position < bytes.count, Self.isNameByte(bytes[position]) { position += 1 }
                return .name(String(decoding: bytes[start..<position], as: UTF8.self))
            }
            throw fail("unexpected character '\(Character(Unicode.Scalar(c)))' in header")
        }
    }

    // MARK: Grammar

    private mutating func parseDictionary() throws(NPYError) -> [(key: String, value: Value)] {
        let first = try nextToken()
        guard first == .punct(UInt8(ascii: "{")) else {
            throw fail("header is not a dictionary: expected '{', found \(first.text)")
        }
        var entries: [(key: String, value: Value)] = []
        var token = try nextToken()
        while token != .punct(UInt8(ascii: "}")) {
            guard case .string(let key) = token else {
                throw fail("expected a string key or '}' in header, found \(token.text)")
            }
            let colon = try nextToken()
            guard colon == .punct(UInt8(ascii: ":")) else {
                throw fail("expected ':' after key '\(NPY.clip(key))', found \(colon.text)")
            }
            let value = try parseValue(key: key)
            if entries.contains(where: { $0.key == key }) {
                throw fail("duplicate key '\(NPY.clip(key))' in header")
            }
            entries.append((key, value))
            token = try nextToken()
            if token == .punct(UInt8(ascii: ",")) {
                token = try nextToken()
            } else if token != .punct(UInt8(ascii: "}")) {
                throw fail("expected ',' or '}' after value of '\(NPY.clip(key))', found \(token.text)")
            }
        }
        let rest = try nextToken()
        guard rest == .end else {
            throw fail("unexpected \(rest.text) after header dictionary")
        }
        return entries
    }

    private mutating func parseValue(key: String) throws(NPYError) -> Value {
        let token = try nextToken()
        switch token {
        case .string(let s):
            return .string(s)
        case .integer(let s):
            return .integer(s)
        case .name("True"):
            return .bool(true)
        case .name("False"):
            return .bool(false)
        case .punct(UInt8(ascii: "(")):
            return try parseTuple()
        case .punct(UInt8(ascii: "[")):
            throw fail("list value for '\(NPY.clip(key))' is not supported (structured dtypes are not supported)")
        default:
            throw fail("expected a value for '\(NPY.clip(key))', found \(token.text)")
        }
    }

    /// Parses after the opening '('. `(5)` is a parenthesized integer, as in Python.
    private mutating func parseTuple() throws(NPYError) -> Value {
        var items: [String] = []
        var token = try nextToken()
        if token == .punct(UInt8(ascii: ")")) { return .tuple([]) }
        var sawComma = false
        while true {
            guard case .integer(let item) = token else {
                throw fail("expected an integer in tuple, found \(token.text)")
            }
            items.append(item)
            token = try nextToken()
            if token == .punct(UInt8(ascii: ")")) {
                return items.count == 1 && !sawComma ? .integer(item) : .tuple(items)
            }
            guard token == .punct(UInt8(ascii: ",")) else {
                throw fail("expected ',' or ')' in tuple, found \(token.text)")
            }
            sawComma = true
            token = try nextToken()
            if token == .punct(UInt8(ascii: ")")) { return .tuple(items) }
        }
    }

    // MARK: Validation

    private static func validate(_ entries: [(key: String, value: Value)], fail: (String) -> NPYError) throws(NPYError) -> NPYHeader {
        var descr: Value?
        var fortranOrder: Value?
        var shapeValue: Value?
        for (key, value) in entries {
            switch key {
            case "descr": descr = value
            case "fortran_order": fortranOrder = value
            case "shape": shapeValue = value
            default: throw fail("unknown key '\(NPY.clip(key))' in header")
            }
        }
        guard let descr else { throw fail("missing key 'descr' in header") }
        guard let fortranOrder else { throw fail("missing key 'fortran_order' in header") }
        guard let shapeValue else { throw fail("missing key 'shape' in header") }

        // descr
        guard case .string(let descrText) = descr else {
            throw fail("'descr' must be a string, found \(descr.kind)")
        }
        let dtype: NPYDType
        switch descrText {
        case "<f4": dtype = .float32
        case "<f8": dtype = .float64
        case "<i4": dtype = .int32
        case "<i8": dtype = .int64
        case "|b1", "<b1", "b1", "?", "|?": dtype = .bool
        default:
            if descrText.hasPrefix(">") || descrText.hasPrefix("!") {
                throw fail("unsupported dtype '\(NPY.clip(descrText))' (big-endian)")
            }
            throw fail("unsupported dtype '\(NPY.clip(descrText))'")
        }

        // fortran_order
        guard case .bool(let isFortran) = fortranOrder else {
            throw fail("'fortran_order' must be True or False, found \(fortranOrder.kind)")
        }
        if isFortran {
            throw fail("fortran_order=True is not supported (Fortran-ordered arrays)")
        }

        // shape
        guard case .tuple(let dimTexts) = shapeValue else {
            throw fail("'shape' must be a tuple, found \(shapeValue.kind)")
        }
        let shapeText = NPY.clip(NPY.formatShape(dimTexts), limit: 80)
        var shape: [Int] = []
        shape.reserveCapacity(dimTexts.count)
        for text in dimTexts {
            var digits = Substring(text)
            var negative = false
            if digits.first == "-" { negative = true; digits = digits.dropFirst() }
            else if digits.first == "+" { digits = digits.dropFirst() }
            guard let magnitude = Int(digits) else {
                // Only digits reach here, so the value does not fit in Int.
                throw fail("dimension \(NPY.clip(text)) in shape \(shapeText) is too large")
            }
            if negative && magnitude != 0 {
                throw fail("negative dimension \(NPY.clip(text)) in shape \(shapeText)")
            }
            shape.append(magnitude)
        }

        // Element count. Overflow is checked on the product of the non-zero
        // dimensions so that the verdict does not depend on where a zero sits.
        var product = 1
        var hasZero = false
        for dim in shape {
            if dim == 0 { hasZero = true; continue }
            let (p, overflow) = product.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw fail("shape \(shapeText) has too many elements") }
            product = p
        }
        return NPYHeader(dtype: dtype, shape: shape, shapeText: shapeText, count: hasZero ? 0 : product)
    }
}
