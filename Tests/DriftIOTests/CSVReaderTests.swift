import Foundation
import XCTest
@testable import LossKitCLI

/// The streaming RFC 4180 reader: dialect, chunk boundaries, line numbers and typed errors.
final class CSVReaderTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("losskit-csv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func write(_ text: String, name: String = "t.csv") throws -> String {
        try write(Data(text.utf8), name: name)
    }

    func write(_ data: Data, name: String = "t.csv") throws -> String {
        let path = scratch.appendingPathComponent(name).path
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Every record of `path` as strings, with its starting line.
    func readAll(_ path: String, format: CSVFormat = CSVFormat(), chunkSize: Int = 1 << 22) throws -> (header: [String], rows: [[String]], lines: [Int]) {
        let reader = try CSVReader(path: path, format: format, chunkSize: chunkSize)
        var rows = [[String]](), lines = [Int]()
        while let batch = try reader.next() {
            for r in 0..<batch.rowCount {
                rows.append((0..<batch.columnCount).map { batch.string(row: r, column: $0) })
                lines.append(batch.lines[r])
            }
        }
        return (reader.header, rows, lines)
    }

    func error(_ body: () throws -> Void) -> CSVError? {
        do { try body() } catch let e as CSVError { return e } catch { XCTFail("unexpected \(error)") }
        return nil
    }

    func testQuotedFieldsWithDelimitersQuotesAndLineBreaks() throws {
        let text = "a,\"b,c\",d\r\n1,\"say \"\"hi\"\"\",\"two\nlines\"\r\n\"\",x,\"\"\"\"\n3,4,5"
        let (header, rows, lines) = try readAll(try write(text))
        XCTAssertEqual(header, ["a", "b,c", "d"])
        XCTAssertEqual(rows, [["1", "say \"hi\"", "two\nlines"], ["", "x", "\""], ["3", "4", "5"]])
        XCTAssertEqual(lines, [2, 4, 5])
    }

    func testByteOrderMarkDelimiterAndNoHeader() throws {
        var data = Data([0xEF, 0xBB, 0xBF])
        data.append(Data("x;y\n1;2\n".utf8))
        let (header, rows, _) = try readAll(try write(data), format: CSVFormat(delimiter: UInt8(ascii: ";")))
        XCTAssertEqual(header, ["x", "y"])
        XCTAssertEqual(rows, [["1", "2"]])
        let (h2, r2, l2) = try readAll(try write("1\t2\n3\t4\n", name: "n.tsv"), format: CSVFormat(delimiter: 9, hasHeader: false))
        XCTAssertEqual(h2, ["c0", "c1"])
        XCTAssertEqual(r2, [["1", "2"], ["3", "4"]])
        XCTAssertEqual(l2, [1, 2])
    }

    func testBlankLinesAreSkippedAndCountedAndLoneCRIsALineEnd() throws {
        let (_, rows, lines) = try readAll(try write("a,b\n\n1,2\r\n\r\n3,4\r5,6\n\n"))
        XCTAssertEqual(rows, [["1", "2"], ["3", "4"], ["5", "6"]])
        XCTAssertEqual(lines, [3, 5, 6])
    }

    func testTrailingDelimiterIsAnEmptyField() throws {
        let (_, rows, _) = try readAll(try write("a,b\n1,\n,2\n"))
        XCTAssertEqual(rows, [["1", ""], ["", "2"]])
    }

    /// Any chunk size gives the same records: records cut at every possible byte.
    func testEveryChunkBoundaryGivesTheSameRecords() throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [String] = ["a", "b", "1", ".", ",", "\"", "\n", "\r\n", " ", "é", "-"]
        var table = [[String]]()
        for _ in 0..<60 {
            table.append((0..<4).map { _ in
                (0..<Int.random(in: 0...6, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }.joined()
            })
        }
        table[0] = ["h1", "h2", "h3", "h4"]
        func quoted(_ field: String) -> String {
            field.unicodeScalars.contains(where: { ",\"\r\n".unicodeScalars.contains($0) }) || field.isEmpty
                ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
        }
        let text = table.map { $0.map(quoted).joined(separator: ",") }.joined(separator: "\r\n")
        let path = try write(text)
        let expected = try readAll(path)
        XCTAssertEqual(expected.rows, Array(table.dropFirst()))
        for chunk in [64, 65, 66, 67, 70, 77, 100, 128, 255] {
            let got = try readAll(path, chunkSize: chunk)
            XCTAssertEqual(got.rows, expected.rows, "chunk \(chunk)")
            XCTAssertEqual(got.lines, expected.lines, "chunk \(chunk)")
        }
    }

    func testCRLFSplitAcrossChunksIsOneLineEnd() throws {
        // 64 bytes: the header, 61 x, then "\r\n": the CR ends one chunk and the LF starts the next.
        let first = "h\n" + String(repeating: "x", count: 61) + "\r\n"
        let text = first + "y\r\nz\n"
        for chunk in [64, 65, 66] {
            let (_, rows, lines) = try readAll(try write(text), chunkSize: chunk)
            XCTAssertEqual(rows, [[String(repeating: "x", count: 61)], ["y"], ["z"]], "chunk \(chunk)")
            XCTAssertEqual(lines, [2, 3, 4], "chunk \(chunk)")
        }
    }

    func testRecordLongerThanTheChunkGrowsIt() throws {
        let long = String(repeating: "7", count: 1000)
        let (_, rows, _) = try readAll(try write("a,b\n\(long),\"\(long)\n\(long)\"\n1,2\n"), chunkSize: 64)
        XCTAssertEqual(rows, [[long, long + "\n" + long], ["1", "2"]])
    }

    func testRaggedRowNamesFileLineAndCounts() throws {
        let path = try write("a,b,c\n1,2,3\n\"x\ny\",2\n")
        let e = error { _ = try readAll(path) }
        XCTAssertEqual(e?.reason, .raggedRow(expected: 3, found: 2))
        XCTAssertEqual(e?.line, 3)
        XCTAssertEqual(e?.description, "\(path), line 3: ragged row: 2 fields, the header has 3")
        let wide = error { _ = try readAll(try write("a,b\n1,2\n1,2,3,\"4,5\"\n", name: "w.csv")) }
        XCTAssertEqual(wide?.reason, .raggedRow(expected: 2, found: 4))
        XCTAssertEqual(wide?.line, 3)
    }

    func testUnterminatedQuoteAndTextAfterClosingQuote() throws {
        let e = error { _ = try readAll(try write("a,b\n1,\"open\n2,3\n")) }
        XCTAssertEqual(e?.reason, .unterminatedQuote)
        XCTAssertEqual(e?.line, 2)
        XCTAssertEqual(e?.column, 2)
        let after = error { _ = try readAll(try write("a,b\n1,\"x\"y\n", name: "q.csv")) }
        XCTAssertEqual(after?.reason, .characterAfterClosingQuote("y"))
        XCTAssertEqual(after?.line, 2)
        XCTAssertEqual(after?.column, 2)
    }

    func testDuplicateHeaderAndEmptyFiles() throws {
        let e = error { _ = try readAll(try write("a,b,a\n1,2,3\n")) }
        XCTAssertEqual(e?.reason, .duplicateHeader(name: "a", firstColumn: 1))
        XCTAssertEqual(e?.column, 3)
        XCTAssertEqual(e?.line, 1)
        for (name, data) in [("empty.csv", Data()), ("bom.csv", Data([0xEF, 0xBB, 0xBF])), ("blank.csv", Data("\n\r\n\n".utf8))] {
            let empty = error { _ = try readAll(try write(data, name: name)) }
            XCTAssertEqual(empty?.reason, .emptyFile, name)
        }
        // A header and no rows is a valid 0-row file.
        let (header, rows, _) = try readAll(try write("a,b\n", name: "zero.csv"))
        XCTAssertEqual(header, ["a", "b"])
        XCTAssertEqual(rows, [])
        let missing = error { _ = try CSVReader(path: scratch.appendingPathComponent("nope.csv").path) }
        XCTAssertEqual(missing?.reason, .cannotOpen("No such file or directory"))
        let directory = error { _ = try CSVReader(path: scratch.path) }
        XCTAssertEqual(directory?.reason, .cannotOpen("is a directory"))
    }

    func testNumbersMissingTokensAndFirstTextField() throws {
        let path = try write("x,y\n1.5,a\n NA ,b\n,c\nnull,d\nNONE,e\nnan,f\n-inf,g\n\"2e3\",h\nabc,i\n7,j\n")
        let reader = try CSVReader(path: path)
        let batch = try XCTUnwrap(try reader.next())
        var values = [Double]()
        let failure = batch.appendNumbers(column: 0, to: &values)
        XCTAssertEqual(failure, 8)
        XCTAssertEqual(batch.lines[8], 10)
        XCTAssertEqual(values.count, 8)
        XCTAssertEqual(values[0], 1.5)
        XCTAssertTrue(values[1...5].allSatisfy(\.isNaN))
        XCTAssertEqual(values[6], -.infinity)
        XCTAssertEqual(values[7], 2000)
        var text = [Double]()
        XCTAssertEqual(batch.appendNumbers(column: 1, to: &text), 0)
        XCTAssertTrue(MissingValue.isToken("  None\t"))
        XCTAssertFalse(MissingValue.isToken("nan1"))
        XCTAssertFalse(MissingValue.isToken("N/A"))
    }

    func testQuotedFieldWithEscapedQuotesIsUnescapedForNumbers() throws {
        let path = try write("x\n\"1\"\"\"\n\"12\"\n")
        let batch = try XCTUnwrap(try CSVReader(path: path).next())
        var values = [Double]()
        XCTAssertEqual(batch.appendNumbers(column: 0, to: &values), 0)  // 1" is text
        XCTAssertEqual(batch.string(row: 0, column: 0), "1\"")
        values = []
        let second = try XCTUnwrap(try CSVReader(path: try write("x\n\"12\"\n", name: "b.csv")).next())
        XCTAssertNil(second.appendNumbers(column: 0, to: &values))
        XCTAssertEqual(values, [12])
    }
}
