// libFuzzer harness for the drift CLI's CSV reader (scripts/fuzz.sh builds and runs it).
// Each input is written to a temporary file and read with a small chunk size, so records
// cross chunk boundaries; every field is converted as a number and as a string. Typed errors
// are expected; a crash, a trap or a sanitizer report is a bug.
import Foundation

let path = "/tmp/losskit-fuzz-csv-\(getpid()).csv"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    guard FileManager.default.createFile(atPath: path, contents: bytes) else { return 0 }
    let delimiter: UInt8 = size > 0 && data[0] & 1 == 1 ? UInt8(ascii: ";") : UInt8(ascii: ",")
    let hasHeader = size > 0 && data[0] & 2 == 0
    do {
        let reader = try CSVReader(path: path, format: CSVFormat(delimiter: delimiter, hasHeader: hasHeader), chunkSize: 64)
        var values = [Double]()
        while let batch = try reader.next() {
            precondition(batch.columnCount == reader.columnCount)
            for column in 0..<batch.columnCount {
                values.removeAll(keepingCapacity: true)
                if let row = batch.appendNumbers(column: column, to: &values) {
                    _ = batch.string(row: row, column: column)
                }
                for row in 0..<batch.rowCount {
                    let text = batch.string(row: row, column: column)
                    let a = DecimalParser.parse(text), b = text.contains("\0") ? nil : Double(text)
                    precondition(a?.bitPattern == b?.bitPattern || (a?.isNaN == true && b?.isNaN == true), "parse mismatch on \(text.debugDescription)")
                }
            }
        }
    } catch {
        _ = error.description
    }
    return 0
}
