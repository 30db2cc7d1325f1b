import Foundation
import XCTest

@testable import LossKitCLI

final class NPYTests: XCTestCase {
    // MARK: Helpers

    /// Builds a `.npy` file by hand. `header` is the dictionary text (a newline is
    /// appended unless `terminate` is false); `headerLength` overrides the length field.
    private func npyFile(
        _ header: String, major: UInt8 = 1, minor: UInt8 = 0, data: [UInt8] = [],
        terminate: Bool = true, headerLength: Int? = nil
    ) -> Data {
        var headerBytes = Array(header.utf8)
        if terminate { headerBytes.append(UInt8(ascii: "\n")) }
        let length = headerLength ?? headerBytes.count
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, major, minor]
        let fieldSize = major == 1 ? 2 : 4
        for i in 0..<fieldSize { bytes.append(UInt8(truncatingIfNeeded: length >> (8 * i))) }
        bytes += headerBytes
        bytes += data
        return Data(bytes)
    }

    private func header(descr: String = "<f4", fortran: String = "False", shape: String) -> String {
        "{'descr': '\(descr)', 'fortran_order': \(fortran), 'shape': \(shape), }"
    }

    private func assertRejects(
        _ data: Data, mentioning fragments: String..., file: StaticString = #filePath, line: UInt = #line
    ) {
        do {
            let array = try NPY.decode(data, path: "x.npy")
            XCTFail("decoded unexpectedly: \(array)", file: file, line: line)
        } catch {
            XCTAssertEqual(error.path, "x.npy", file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue(
                    error.reason.contains(fragment),
                    "reason '\(error.reason)' does not mention '\(fragment)'", file: file, line: line)
            }
        }
    }

    private func roundTrip(_ array: NPYArray, file: StaticString = #filePath, line: UInt = #line) throws {
        let data = NPY.encode(array)
        let headerEnd = Int(data[8]) | Int(data[9]) << 8
        XCTAssertEqual((10 + headerEnd) % 64, 0, "header not 64-byte aligned", file: file, line: line)
        XCTAssertEqual(data[6], 1, "expected version 1.0", file: file, line: line)
        XCTAssertEqual(data[10 + headerEnd - 1], UInt8(ascii: "\n"), file: file, line: line)
        let decoded = try NPY.decode(data, path: "mem")
        XCTAssertEqual(decoded, array, file: file, line: line)
        XCTAssertEqual(decoded.shape, array.shape, file: file, line: line)
        XCTAssertEqual(decoded.dtype, array.dtype, file: file, line: line)
    }

    // MARK: Round trips

    func testRoundTripEveryDType() throws {
        try roundTrip(.float32(shape: [2, 3], scalars: [1, -2.5, 0, .infinity, -.greatestFiniteMagnitude, .leastNonzeroMagnitude]))
        try roundTrip(.float64(shape: [3], scalars: [.pi, -0.0, 1e300]))
        try roundTrip(.int32(shape: [2, 2], scalars: [.min, -1, 0, .max]))
        try roundTrip(.int64(shape: [1, 3, 1], scalars: [.min, 42, .max]))
        try roundTrip(.bool(shape: [4], scalars: [true, false, false, true]))
    }

    func testRoundTripZeroDimensional() throws {
        try roundTrip(.float32(shape: [], scalars: [3.5]))
        try roundTrip(.float64(shape: [], scalars: [-1]))
        try roundTrip(.int32(shape: [], scalars: [7]))
        try roundTrip(.int64(shape: [], scalars: [-7]))
        try roundTrip(.bool(shape: [], scalars: [true]))
    }

    func testRoundTripEmpty() throws {
        try roundTrip(.float32(shape: [0], scalars: []))
        try roundTrip(.float64(shape: [2, 0], scalars: []))
        try roundTrip(.int32(shape: [0, 5], scalars: []))
        try roundTrip(.int64(shape: [3, 0, 2], scalars: []))
        try roundTrip(.bool(shape: [0], scalars: []))
    }

    func testRoundTripNaNBitPattern() throws {
        let nan = Float(bitPattern: 0x7FC0_1234)
        guard case .float32(_, let scalars) = try NPY.decode(NPY.encode(.float32(shape: [1], scalars: [nan])), path: "m")
        else { return XCTFail("wrong dtype") }
        XCTAssertEqual(scalars[0].bitPattern, 0x7FC0_1234)
    }

    func testEncodedHeaderMatchesNumpyLayout() {
        let data = NPY.encode(.float32(shape: [2, 3], scalars: [0, 0, 0, 0, 0, 0]))
        XCTAssertEqual(Array(data[0..<10]), [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 118, 0])
        let header = String(decoding: data[10..<128], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }   "))
        XCTAssertTrue(header.hasSuffix(" \n"))
        XCTAssertEqual(data.count, 128 + 24)
        let one = String(decoding: NPY.encode(.int64(shape: [5], scalars: [1, 2, 3, 4, 5]))[10..<64], as: UTF8.self)
        XCTAssertTrue(one.contains("'shape': (5,)"))
        let zero = String(decoding: NPY.encode(.bool(shape: [], scalars: [false]))[10..<64], as: UTF8.self)
        XCTAssertTrue(zero.contains("'descr': '|b1'") && zero.contains("'shape': ()"))
    }

    func testEncodeFallsBackToVersion2ForHugeHeaders() throws {
        // numpy does the same: a header over 65535 bytes needs the 4-byte length field.
        let array = NPYArray.int32(shape: Array(repeating: 1, count: 25_000), scalars: [3])
        let data = NPY.encode(array)
        XCTAssertEqual(data[6], 2)
        let headerLength = Int(data[8]) | Int(data[9]) << 8 | Int(data[10]) << 16 | Int(data[11]) << 24
        XCTAssertEqual((12 + headerLength) % 64, 0)
        XCTAssertEqual(try NPY.decode(data, path: "big"), array)
    }

    func testWriteAndReadFile() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("npytest-\(UUID().uuidString).npy").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let array = NPYArray.float64(shape: [2, 2], scalars: [1, 2, 3, 4])
        try NPY.write(array, to: path)
        XCTAssertEqual(try NPY.read(contentsOf: path), array)
    }

    func testReadMissingFile() {
        let path = "/nonexistent-dir-\(UUID().uuidString)/a.npy"
        XCTAssertThrowsError(try NPY.read(contentsOf: path)) { error in
            guard let error = error as? NPYError else { return XCTFail("not an NPYError") }
            XCTAssertEqual(error.path, path)
            XCTAssertTrue(error.reason.contains("no such file"), error.reason)
            XCTAssertEqual(error.description, "\(path): \(error.reason)")
        }
    }

    func testWriteRejectsMismatchedShape() {
        XCTAssertThrowsError(try NPY.write(.int32(shape: [2, 2], scalars: [1, 2, 3]), to: "/tmp/never-written.npy")) { error in
            XCTAssertTrue((error as? NPYError)?.reason.contains("does not match 3 scalars") == true, "\(error)")
        }
    }

    // MARK: Decoding files written by numpy and by hand

    func testDecodeNumpyWrittenFiles() throws {
        // Generated with numpy 2.4: np.save / numpy.lib.format.write_array(version=...).
        let v1f4 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMA/AAAAwAAAQEAAAIA+"
        let v2i8 = "k05VTVBZAgB0AAAAeydkZXNjcic6ICc8aTgnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMywpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAAAAAAAAP7/////////AwAAAAAAAAA="
        let v3b1 = "k05VTVBZAwB0AAAAeydkZXNjcic6ICd8YjEnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAA=="
        let zeroD = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAEQA=="
        func load(_ base64: String) throws -> NPYArray { try NPY.decode(Data(base64Encoded: base64)!, path: "np") }
        XCTAssertEqual(try load(v1f4), .float32(shape: [2, 2], scalars: [1.5, -2, 3, 0.25]))
        XCTAssertEqual(try load(v2i8), .int64(shape: [3], scalars: [1, -2, 3]))
        XCTAssertEqual(try load(v3b1), .bool(shape: [2], scalars: [true, false]))
        XCTAssertEqual(try load(zeroD), .float64(shape: [], scalars: [2.5]))
        // And our encoder reproduces numpy's bytes exactly for the version 1.0 files.
        XCTAssertEqual(NPY.encode(try load(v1f4)), Data(base64Encoded: v1f4))
        XCTAssertEqual(NPY.encode(try load(zeroD)), Data(base64Encoded: zeroD))
    }

    func testDecodeHandBuiltVersions() throws {
        let data: [UInt8] = [1, 0, 0, 0, 2, 0, 0, 0]
        for major: UInt8 in [1, 2, 3] {
            let file = npyFile(header(descr: "<i4", shape: "(2,)"), major: major, data: data)
            XCTAssertEqual(try NPY.decode(file, path: "v\(major)"), .int32(shape: [2], scalars: [1, 2]))
        }
    }

    func testHeaderSyntaxVariants() throws {
        let eight: [UInt8] = Array(repeating: 0, count: 8)
        let variants = [
            "{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"<f4\"}",  // double quotes, other order, no trailing comma
            "  {  'fortran_order':False,'shape':( 2 , ),'descr':'<f4' ,  }   ",  // odd whitespace
            "{'descr': '<f4',\n 'fortran_order': False,\t'shape': (2,)}",
        ]
        for text in variants {
            XCTAssertEqual(try NPY.decode(npyFile(text, data: eight), path: "v"), .float32(shape: [2], scalars: [0, 0]), text)
        }
        let bool = npyFile(header(descr: "?", shape: "(1, 1)"), data: [1])
        XCTAssertEqual(try NPY.decode(bool, path: "b"), .bool(shape: [1, 1], scalars: [true]))
        let scalar = npyFile(header(descr: "<i8", shape: "()"), data: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        XCTAssertEqual(try NPY.decode(scalar, path: "s"), .int64(shape: [], scalars: [-1]))
        let empty = npyFile(header(descr: "<f8", shape: "(3, 0)"))
        XCTAssertEqual(try NPY.decode(empty, path: "e"), .float64(shape: [3, 0], scalars: []))
    }

    func testDecodeFromDataSlice() throws {
        let full = Data([0xAA, 0xBB]) + NPY.encode(.int32(shape: [1], scalars: [9]))
        XCTAssertEqual(try NPY.decode(full.dropFirst(2), path: "slice"), .int32(shape: [1], scalars: [9]))
    }

    // MARK: Rejections

    func testRejectsTruncatedMagic() {
        assertRejects(Data([0x93, 0x4E, 0x55]), mentioning: "truncated magic")
        assertRejects(Data(), mentioning: "empty file")
        assertRejects(Data("PK\u{3}\u{4} not numpy".utf8), mentioning: "bad magic")
    }

    func testRejectsBadVersion() {
        assertRejects(npyFile(header(shape: "()"), major: 4, data: [0, 0, 0, 0]), mentioning: "unsupported format version 4.0")
        assertRejects(npyFile(header(shape: "()"), major: 1, minor: 1, data: [0, 0, 0, 0]), mentioning: "version 1.1")
        assertRejects(Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1]), mentioning: "missing format version")
        assertRejects(Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0, 10, 0]), mentioning: "missing header length")
    }

    func testRejectsHeaderLengthBeyondFile() {
        let file = npyFile(header(shape: "()"), data: [0, 0, 0, 0], headerLength: 5000)
        assertRejects(file, mentioning: "header length 5000", "past end of file")
        let v2 = npyFile(header(shape: "()"), major: 2, headerLength: 0xFFFF_FFFF)
        assertRejects(v2, mentioning: "header length 4294967295")
    }

    func testRejectsUnterminatedHeader() {
        assertRejects(npyFile(header(shape: "()"), terminate: false), mentioning: "not terminated by a newline")
        assertRejects(npyFile("", terminate: false), mentioning: "empty header")
    }

    func testRejectsNonASCIIHeader() {
        assertRejects(npyFile("{'descr': '<f4\u{E9}', 'fortran_order': False, 'shape': (), }"), mentioning: "non-ascii byte 0xc3")
        assertRejects(npyFile("{'descr': '<f4\u{0}', 'fortran_order': False, 'shape': (), }"), mentioning: "control byte 0x00")
    }

    func testRejectsBadDictSyntax() {
        assertRejects(npyFile("'descr': '<f4'"), mentioning: "expected '{'")
        assertRejects(npyFile("{'descr' '<f4'}"), mentioning: "expected ':' after key 'descr'")
        assertRejects(npyFile("{'descr': '<f4' 'shape': ()}"), mentioning: "expected ',' or '}'")
        assertRejects(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,, 3)}"), mentioning: "expected an integer in tuple")
        assertRejects(npyFile("{'descr': '<f4, 'shape': ()}"), mentioning: "found 'shape'")
        assertRejects(npyFile("{'descr': '<f4\\n'}"), mentioning: "escape sequences")
        assertRejects(npyFile("{'descr: '<f4'}"), mentioning: "unexpected character '<'")
        assertRejects(npyFile("{'descr': '<f4}"), mentioning: "unterminated string")
        assertRejects(npyFile("{'descr': '<f4', 'fortran_order': false, 'shape': ()}"), mentioning: "'false'")
        assertRejects(npyFile("{,}"), mentioning: "expected a string key")
        assertRejects(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': ()} x"), mentioning: "after header dictionary")
        assertRejects(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': ((2,),)}"), mentioning: "expected an integer in tuple")
        assertRejects(npyFile("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': ()}"), mentioning: "structured")
        assertRejects(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': 5}"), mentioning: "'shape' must be a tuple")
        assertRejects(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (5)}"), mentioning: "'shape' must be a tuple")
        assertRejects(npyFile("{'descr': '<f4', 'fortran_order': 0, 'shape': ()}"), mentioning: "'fortran_order' must be True or False")
        assertRejects(npyFile("{'descr': 4, 'fortran_order': False, 'shape': ()}"), mentioning: "'descr' must be a string")
        assertRejects(npyFile("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': ()}"), mentioning: "duplicate key 'descr'")
    }

    func testRejectsMissingAndUnknownKeys() {
        assertRejects(npyFile("{'descr': '<f4', 'fortran_order': False}"), mentioning: "missing key 'shape'")
        assertRejects(npyFile("{'descr': '<f4', 'shape': ()}"), mentioning: "missing key 'fortran_order'")
        assertRejects(npyFile("{'fortran_order': False, 'shape': ()}"), mentioning: "missing key 'descr'")
        assertRejects(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'extra': 1}"), mentioning: "unknown key 'extra'")
    }

    func testRejectsUnknownDType() {
        assertRejects(npyFile(header(descr: "<u2", shape: "()"), data: [0, 0]), mentioning: "unsupported dtype '<u2'")
        assertRejects(npyFile(header(descr: "=f4", shape: "()"), data: [0, 0, 0, 0]), mentioning: "unsupported dtype '=f4'")
        assertRejects(npyFile(header(descr: "<c16", shape: "()")), mentioning: "'<c16'")
    }

    func testRejectsBigEndian() {
        assertRejects(npyFile(header(descr: ">f4", shape: "()"), data: [0, 0, 0, 0]), mentioning: "unsupported dtype '>f4' (big-endian)")
        assertRejects(npyFile(header(descr: ">i8", shape: "()")), mentioning: "'>i8'", "big-endian")
    }

    func testRejectsFortranOrder() {
        assertRejects(npyFile(header(fortran: "True", shape: "(2, 2)"), data: Array(repeating: 0, count: 16)),
                      mentioning: "fortran_order=True is not supported")
    }

    func testRejectsNegativeDimension() {
        assertRejects(npyFile(header(shape: "(2, -1)")), mentioning: "negative dimension -1 in shape (2, -1)")
    }

    func testRejectsHugeDimension() {
        assertRejects(npyFile(header(shape: "(99999999999999999999,)")), mentioning: "dimension 99999999999999999999", "too large")
    }

    func testRejectsOverflowingShape() {
        assertRejects(npyFile(header(shape: "(4294967296, 4294967296)")),
                      mentioning: "shape (4294967296, 4294967296) has too many elements")
        // Fits in Int as an element count, but not as a byte count.
        assertRejects(npyFile(header(descr: "<f8", shape: "(4611686018427387904,)")),
                      mentioning: "shape (4611686018427387904,) has too many elements")
        // A zero dimension does not hide an overflowing product.
        assertRejects(npyFile(header(shape: "(4294967296, 4294967296, 0)")), mentioning: "too many elements")
        assertRejects(npyFile(header(shape: "(0, 4294967296, 4294967296)")), mentioning: "too many elements")
    }

    func testRejectsShapeLargerThanData() {
        assertRejects(npyFile(header(shape: "(3, 4)"), data: Array(repeating: 0, count: 40)),
                      mentioning: "truncated: expected 48 bytes of data, found 40")
        // A huge (but non-overflowing) shape must be rejected before allocating.
        assertRejects(npyFile(header(shape: "(1000000000000,)"), data: [0, 0, 0, 0]),
                      mentioning: "truncated: expected 4000000000000 bytes of data, found 4")
    }

    func testRejectsTrailingData() {
        assertRejects(npyFile(header(shape: "(2,)"), data: Array(repeating: 0, count: 9)),
                      mentioning: "trailing bytes: expected 8 bytes of data, found 9")
    }

    func testRejectsBadBoolByte() {
        assertRejects(npyFile(header(descr: "|b1", shape: "(3,)"), data: [1, 0, 2]),
                      mentioning: "invalid bool byte 0x02 at element 2")
    }

    // MARK: Fuzzing

    func testFuzzedInputsNeverCrash() {
        var rng = SplitMix64(state: 0x5EED_1234)
        let seeds: [[UInt8]] = [
            Array(NPY.encode(.float32(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))),
            Array(NPY.encode(.bool(shape: [4], scalars: [true, false, true, true]))),
            Array(NPY.encode(.int64(shape: [], scalars: [5]))),
            Array(npyFile(header(descr: "<i4", shape: "(1,)"), major: 3, data: [1, 0, 0, 0])),
        ]
        let interesting: [UInt8] = Array("{}():,'\" \n-0123456789TrueFalse<>|?fib".utf8) + [0, 0x80, 0xFF]
        var successes = 0, failures = 0
        for iteration in 0..<4000 {
            var bytes = seeds[iteration % seeds.count]
            let mutations = Int.random(in: 1...4, using: &rng)
            for _ in 0..<mutations {
                guard !bytes.isEmpty else { break }
                // Bias edits toward the preamble and header, where the parsing happens.
                let limit = Bool.random(using: &rng) ? min(bytes.count, 80) : bytes.count
                let index = Int.random(in: 0..<limit, using: &rng)
                switch Int.random(in: 0..<6, using: &rng) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes[index] = interesting.randomElement(using: &rng)!
                case 2: bytes.removeSubrange(index...)  // truncate
                case 3: bytes.insert(interesting.randomElement(using: &rng)!, at: index)
                case 4: bytes.remove(at: index)
                default: bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                }
            }
            do {
                let array = try NPY.decode(Data(bytes), path: "fuzz")
                XCTAssertEqual(array.shape.reduce(1, *), array.scalarCount)
                successes += 1
            } catch {
                // Typed throws: `error` is statically an NPYError.
                XCTAssertFalse(error.reason.isEmpty)
                failures += 1
            }
        }
        XCTAssertEqual(successes + failures, 4000)
        XCTAssertGreaterThan(failures, 0)
        XCTAssertGreaterThan(successes, 0)
    }
}
