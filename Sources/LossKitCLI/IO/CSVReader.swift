// Streaming RFC 4180 reader.
//
// The file is read in chunks (4 MiB to start); each chunk's complete records become one
// `CSVBatch`, whose fields are byte ranges into the chunk (no per-field allocation), and the
// incomplete record at the end of a chunk is carried into the next one. Memory is one chunk
// plus its field offsets, whatever the number of rows; a single record larger than the chunk
// grows it.
//
// Dialect: fields separated by `delimiter` (default ','), records by LF, CRLF or a lone CR;
// a field that starts with '"' is quoted, may hold delimiters, quotes doubled ("") and line
// breaks, and must end at a delimiter or a record end; a '"' inside an unquoted field is a
// literal character. A UTF-8 byte-order mark at the start is skipped. Blank lines are skipped
// (as pandas does). Line numbers count every line of the file, line breaks inside quoted
// fields included.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How a CSV file is laid out.
public struct CSVFormat: Sendable, Equatable {
    /// The field separator (one ASCII byte).
    public var delimiter: UInt8
    /// Whether the first record names the columns. Without one, columns are `c0`, `c1`, ….
    public var hasHeader: Bool

    public init(delimiter: UInt8 = UInt8(ascii: ","), hasHeader: Bool = true) {
        self.delimiter = delimiter
        self.hasHeader = hasHeader
    }
}

/// The complete records of one chunk, field by field. Valid on its own (it holds its bytes).
public struct CSVBatch: Sendable {
    /// The chunk's bytes; fields are ranges into it.
    let bytes: [UInt8]
    /// Number of fields per record.
    public let columnCount: Int
    /// Field `f = row * columnCount + column` spans `starts[f] ..< ends[f] & lengthMask`;
    /// the top bit of `ends[f]` marks a quoted field with doubled quotes to undo.
    let starts: [UInt32]
    let ends: [UInt32]
    /// The line on which each record starts.
    public let lines: [Int]

    static let escapedFlag: UInt32 = 1 << 31
    static let lengthMask: UInt32 = ~escapedFlag

    public var rowCount: Int { lines.count }

    /// The text of a field, quotes undone.
    public func string(row: Int, column: Int) -> String {
        let f = row * columnCount + column
        let start = Int(starts[f]), end = Int(ends[f] & CSVBatch.lengthMask)
        let escaped = ends[f] & CSVBatch.escapedFlag != 0
        return bytes.withUnsafeBufferPointer { buffer in
            let field = UnsafeBufferPointer(rebasing: buffer[start..<end])
            return escaped ? CSVBatch.unescape(field) : String(decoding: field, as: UTF8.self)
        }
    }

    static func unescape(_ field: UnsafeBufferPointer<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(field.count)
        var i = 0
        while i < field.count {
            out.append(field[i])
            i += field[i] == UInt8(ascii: "\"") ? 2 : 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Calls `body` with each field of `column` (raw bytes; a field with doubled quotes is
    /// passed unescaped through a temporary copy), row by row.
    @inline(__always)
    public func forEachField(column: Int, _ body: (_ row: Int, _ field: UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        try bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else {
                for row in 0..<rowCount { try body(row, UnsafeBufferPointer(start: nil, count: 0)) }
                return
            }
            var f = column
            for row in 0..<rowCount {
                let start = Int(starts[f]), end = ends[f]
                if end & CSVBatch.escapedFlag == 0 {
                    try body(row, UnsafeBufferPointer(start: base + start, count: Int(end) - start))
                } else {
                    var text = string(row: row, column: column)
                    try text.withUTF8 { try body(row, $0) }
                }
                f += columnCount
            }
        }
    }
}

/// Reads a CSV file (or standard input, path `-`) batch by batch.
public final class CSVReader {
    public let path: String
    public let format: CSVFormat
    /// Column names: the header row, or `c0`, `c1`, … without one.
    public private(set) var header: [String] = []
    /// Bytes read so far and the file's size (nil for a pipe), for progress reports.
    public private(set) var bytesRead = 0
    public let fileSize: Int?

    private let descriptor: Int32
    private var buffer: [UInt8]
    private var filled = 0          // bytes of `buffer` holding data
    private var consumed = 0        // bytes of `buffer` already parsed into batches
    private var endOfFile = false
    private var line = 1            // line number at `buffer[consumed]`
    private var skipLineFeed = false  // the previous chunk ended in CR: a leading LF is its CRLF
    private var firstRecord: CSVBatch?  // without a header, the first batch (already read)
    private var finished = false

    /// Opens `path` and reads its header. Throws `emptyFile` for a file without a single
    /// record (the header), `duplicateHeader` for a name given twice.
    public init(path: String, format: CSVFormat = CSVFormat(), chunkSize: Int = 1 << 22) throws(CSVError) {
        self.path = path
        self.format = format
        if path == "-" {
            descriptor = 0
            fileSize = nil
        } else {
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else {
                throw CSVError(path: path, reason: .cannotOpen(String(cString: strerror(errno))))
            }
            var info = stat()
            if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
                close(fd)
                throw CSVError(path: path, reason: .cannotOpen("is a directory"))
            }
            descriptor = fd
            fileSize = info.st_mode & S_IFMT == S_IFREG ? Int(info.st_size) : nil
        }
        buffer = [UInt8](repeating: 0, count: max(chunkSize, 64))
        do {
            try readHeader()
        } catch {
            if descriptor != 0 { close(descriptor) }
            throw error
        }
    }

    deinit {
        if descriptor != 0 { close(descriptor) }
    }

    public var columnCount: Int { header.count }

    private func readHeader() throws(CSVError) {
        try fill()
        // Byte-order mark.
        if filled - consumed >= 3, buffer[consumed] == 0xEF, buffer[consumed + 1] == 0xBB, buffer[consumed + 2] == 0xBF {
            consumed += 3
        }
        guard let first = try nextBatch(expectedColumns: nil, limit: 1) else {
            throw CSVError(path: path, reason: .emptyFile)
        }
        let count = first.columnCount
        if format.hasHeader {
            var names = [String]()
            var seen = [String: Int]()
            for column in 0..<count {
                let name = first.string(row: 0, column: column)
                if let previous = seen[name] {
                    throw CSVError(path: path, line: first.lines[0], column: column + 1, columnName: name,
                                   reason: .duplicateHeader(name: name, firstColumn: previous + 1))
                }
                seen[name] = column
                names.append(name)
            }
            header = names
        } else {
            header = (0..<count).map { "c\($0)" }
            firstRecord = first
        }
    }

    /// The next batch of records, or nil at the end of the file.
    public func next() throws(CSVError) -> CSVBatch? {
        if let first = firstRecord {
            firstRecord = nil
            return first
        }
        return try nextBatch(expectedColumns: header.count, limit: Int.max)
    }

    /// Reads until the buffer holds at least one complete record (or the file ends), then
    /// parses up to `limit` records.
    private func nextBatch(expectedColumns: Int?, limit: Int) throws(CSVError) -> CSVBatch? {
        while true {
            if finished { return nil }
            if !endOfFile && filled - consumed < buffer.count / 2 || consumed == filled {
                try fill()
            }
            if consumed == filled && endOfFile {
                finished = true
                return nil
            }
            if let batch = try scan(expectedColumns: expectedColumns, limit: limit) {
                return batch
            }
            if endOfFile {
                // Only blank lines were left.
                if consumed == filled { finished = true; return nil }
                continue
            }
            // Not one complete record in the buffer: grow it.
            if consumed == 0 && filled == buffer.count {
                guard buffer.count < Int(CSVBatch.lengthMask) else {
                    throw CSVError(path: path, line: line, reason: .recordTooLong)
                }
                buffer.append(contentsOf: repeatElement(0, count: min(buffer.count, Int(CSVBatch.lengthMask) - buffer.count)))
            }
            try fill()
        }
    }

    /// Moves unparsed bytes to the front and reads until the buffer is full or the file ends.
    private func fill() throws(CSVError) {
        if consumed > 0 {
            let remaining = filled - consumed
            if remaining > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    let base = raw.baseAddress!
                    memmove(base, base + consumed, remaining)
                }
            }
            filled = remaining
            consumed = 0
        }
        while !endOfFile && filled < buffer.count {
            let n = buffer.withUnsafeMutableBytes { raw in
                read(descriptor, raw.baseAddress! + filled, raw.count - filled)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw CSVError(path: path, reason: .cannotRead(String(cString: strerror(errno))))
            }
            if n == 0 { endOfFile = true } else { filled += n; bytesRead += n }
        }
    }

    /// Parses complete records from `buffer[consumed..<filled]` (all of them at the end of
    /// the file). Returns nil if there was none.
    private func scan(expectedColumns: Int?, limit: Int) throws(CSVError) -> CSVBatch? {
        let delimiter = format.delimiter
        let final = endOfFile
        let quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        var starts = [UInt32](), ends = [UInt32](), lines = [Int]()
        var columns = expectedColumns ?? -1
        if let c = expectedColumns {
            let estimate = max(16, (filled - consumed) / max(1, 4 * c))
            starts.reserveCapacity(estimate * c)
            ends.reserveCapacity(estimate * c)
            lines.reserveCapacity(estimate)
        }
        var records = 0
        var position = consumed
        var currentLine = line
        let path = self.path

        let outcome: Result<Void, CSVError> = buffer.withUnsafeBufferPointer { buffer in
            let p = buffer.baseAddress!
            let n = filled
            if skipLineFeed, position < n {
                if p[position] == lf { position += 1 }
                skipLineFeed = false
            }
            records: while records < limit && position < n {
                let recordStart = position
                let recordLine = currentLine
                var lineCursor = currentLine
                // Blank line: skip it.
                if p[position] == lf || p[position] == cr {
                    if p[position] == cr {
                        if position + 1 < n {
                            if p[position + 1] == lf { position += 1 }
                        } else if !final {
                            skipLineFeed = true
                        }
                    }
                    position += 1
                    currentLine += 1
                    consumed = position
                    line = currentLine
                    continue
                }
                let fieldsBefore = starts.count
                var fields = 0
                var complete = false
                fields: while true {
                    var start: Int, end: Int, escaped = false
                    if position < n && p[position] == quote {
                        position += 1
                        start = position
                        var closed = false
                        while position < n {
                            let c = p[position]
                            if c == quote {
                                if position + 1 < n {
                                    if p[position + 1] == quote { escaped = true; position += 2; continue }
                                    closed = true
                                    break
                                } else if final {
                                    closed = true
                                    break
                                } else {
                                    break  // cannot tell "" from " yet
                                }
                            }
                            if c == lf { lineCursor += 1 } else if c == cr, position + 1 < n, p[position + 1] != lf { lineCursor += 1 }
                            position += 1
                        }
                        if !closed {
                            if final {
                                return .failure(CSVError(path: path, line: recordLine, column: fields + 1, reason: .unterminatedQuote))
                            }
                            break fields
                        }
                        end = position
                        position += 1  // closing quote
                        if position < n {
                            let c = p[position]
                            if c != delimiter && c != lf && c != cr {
                                let text = String(decoding: UnsafeBufferPointer(start: p + position, count: 1), as: UTF8.self)
                                return .failure(CSVError(path: path, line: lineCursor, column: fields + 1, reason: .characterAfterClosingQuote(text)))
                            }
                        }
                    } else {
                        start = position
                        while position < n {
                            let c = p[position]
                            if c == delimiter || c == lf || c == cr { break }
                            position += 1
                        }
                        end = position
                    }
                    if position == n && !final { break fields }
                    starts.append(UInt32(truncatingIfNeeded: start))
                    ends.append(UInt32(truncatingIfNeeded: end) | (escaped ? CSVBatch.escapedFlag : 0))
                    fields += 1
                    if columns >= 0 && fields > columns {
                        // Count the rest of the record for the message.
                        var found = fields
                        var q = position
                        var inQuotes = false
                        while q < n {
                            let c = p[q]
                            if c == quote { inQuotes.toggle() } else if !inQuotes && (c == lf || c == cr) { break } else if !inQuotes && c == delimiter { found += 1 }
                            q += 1
                        }
                        return .failure(CSVError(path: path, line: recordLine, reason: .raggedRow(expected: columns, found: found)))
                    }
                    if position == n {  // end of file ends the record
                        complete = true
                        break fields
                    }
                    let c = p[position]
                    if c == delimiter {
                        position += 1
                        continue fields
                    }
                    // Record end: LF, CRLF or lone CR.
                    if c == cr {
                        if position + 1 < n {
                            if p[position + 1] == lf { position += 1 }
                        } else if !final {
                            skipLineFeed = true
                        }
                    }
                    position += 1
                    lineCursor += 1
                    complete = true
                    break fields
                }
                if !complete {
                    // Incomplete record at the end of the chunk: keep it for the next one.
                    starts.removeSubrange(fieldsBefore...)
                    ends.removeSubrange(fieldsBefore...)
                    position = recordStart
                    skipLineFeed = false
                    break records
                }
                if columns < 0 { columns = fields }
                if fields != columns {
                    return .failure(CSVError(path: path, line: recordLine, reason: .raggedRow(expected: columns, found: fields)))
                }
                lines.append(recordLine)
                records += 1
                currentLine = lineCursor
                consumed = position
                line = currentLine
            }
            return .success(())
        }
        try outcome.get()
        guard records > 0 else { return nil }
        return CSVBatch(bytes: buffer, columnCount: columns, starts: starts, ends: ends, lines: lines)
    }
}
