// Reads the `.npy` resources this target ships. They are trusted files written by
// scripts/extract_datasets.py, described in datasets.json: this reader does not parse
// arbitrary headers (LossKitCLI's NPY.swift does that for user files); it checks that the
// header states exactly the manifest's dtype and shape, and that the payload size matches.

import Foundation

/// One array's manifest entry.
struct ArrayEntry: Decodable, Sendable {
    let file: String
    let dtype: String
    let shape: [Int]
    let fnv1a64: String
}

struct DatasetEntry: Decodable, Sendable {
    let name: String
    let rows: Int
    let columns: Int
    let feature_names: [String]
    let target_names: [String]?
    let features: ArrayEntry
    let target: ArrayEntry
    let split: ArrayEntry
}

struct Manifest: Decodable, Sendable {
    let datasets: [DatasetEntry]

    static func shared() throws(DatasetError) -> Manifest {
        let data = try ResourceArray.bytes(of: "datasets.json")
        do { return try JSONDecoder().decode(Manifest.self, from: data) }
        catch { throw DatasetError(file: "datasets.json", reason: "invalid manifest (\(error))") }
    }
}

/// The payload of one resource `.npy`, validated against its manifest entry.
struct ResourceArray {
    let entry: ArrayEntry
    let payload: [UInt8]

    static func bytes(of file: String) throws(DatasetError) -> Data {
        guard let url = Bundle.module.url(forResource: file, withExtension: nil, subdirectory: "Resources")
        else { throw DatasetError(file: file, reason: "resource not found in the LossKitDatasets bundle") }
        do { return try Data(contentsOf: url) }
        catch { throw DatasetError(file: file, reason: "cannot read (\(error.localizedDescription))") }
    }

    static func load(_ entry: ArrayEntry) throws(DatasetError) -> ResourceArray {
        let raw = [UInt8](try bytes(of: entry.file))
        func fail(_ reason: String) -> DatasetError { DatasetError(file: entry.file, reason: reason) }
        guard raw.count >= 10, raw[0] == 0x93, raw[1...5].elementsEqual("NUMPY".utf8), raw[6] == 1
        else { throw fail("not a version 1 .npy file") }
        let headerLength = Int(raw[8]) | Int(raw[9]) << 8
        guard 10 + headerLength <= raw.count else { throw fail("truncated header") }
        let header = String(decoding: raw[10..<(10 + headerLength)], as: UTF8.self)
        let shapeText = entry.shape.count == 1 ? "(\(entry.shape[0]),)"
            : "(" + entry.shape.map(String.init).joined(separator: ", ") + ")"
        let expected = "{'descr': '\(entry.dtype)', 'fortran_order': False, 'shape': \(shapeText), }"
        guard header.trimmingCharacters(in: .whitespacesAndNewlines) == expected
        else { throw fail("header \(header) does not match the manifest (\(expected))") }
        let payload = Array(raw[(10 + headerLength)...])
        let count = entry.shape.reduce(1, *)
        guard payload.count == count * itemSize(entry.dtype)
        else { throw fail("payload is \(payload.count) bytes, expected \(count) × \(entry.dtype)") }
        return ResourceArray(entry: entry, payload: payload)
    }

    static func itemSize(_ dtype: String) -> Int { dtype == "<f4" ? 4 : 1 }

    /// The scalars as `Float` (`|u1` and `<f4` are the only dtypes the script writes).
    var floats: [Float] {
        if entry.dtype == "<f4" {
            return stride(from: 0, to: payload.count, by: 4).map { i in
                Float(bitPattern: UInt32(payload[i]) | UInt32(payload[i + 1]) << 8
                      | UInt32(payload[i + 2]) << 16 | UInt32(payload[i + 3]) << 24)
            }
        }
        return payload.map { Float($0) }
    }

    /// FNV-1a 64 of the payload, as the script computes it.
    var fnv1a64: String {
        var h: UInt64 = 0xCBF29CE484222325
        for b in payload { h = (h ^ UInt64(b)) &* 0x100000001B3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
