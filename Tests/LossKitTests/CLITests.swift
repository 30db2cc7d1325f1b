import Foundation
import XCTest
@testable import LossKit
@testable import LossKitCLI

/// End-to-end tests of the built `losskit` binary: output format, files and exit codes.
final class CLITests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("losskit-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// The `losskit` executable built next to the test bundle.
    func binary() throws -> URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("losskit")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw XCTSkip("losskit executable not built next to the tests (run `swift build` first)")
    }

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = try binary()
        p.arguments = arguments
        p.currentDirectoryURL = scratch
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func write(_ name: String, _ array: NPYArray) throws -> String {
        let path = scratch.appendingPathComponent(name).path
        try NPY.write(array, to: path)
        return path
    }

    func assertUsageError(_ arguments: [String], mentions needle: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try run(arguments)
        XCTAssertEqual(r.status, 2, "exit status for \(arguments)", file: file, line: line)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "one stderr line, got: \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("error: "), r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains(needle), "'\(r.stderr)' should mention '\(needle)'", file: file, line: line)
    }

    func testListPrintsEveryCatalogIdOnItsOwnLine() throws {
        let r = try run(["list"])
        XCTAssertEqual(r.status, 0)
        let ids = r.stdout.split(separator: "\n").map { String($0.split(separator: " ")[0]) }
        XCTAssertEqual(ids, Catalog.entries.map { $0.id })
    }

    func testDescribeShowsFormulaInputsOptionsAndGradient() throws {
        let r = try run(["describe", "mse"])
        XCTAssertEqual(r.status, 0)
        for section in ["formula:", "inputs:", "options:", "gradient:", "uses:", "reduction = mean"] {
            XCTAssertTrue(r.stdout.contains(section), "missing \(section) in \(r.stdout)")
        }
    }

    func testEvalWritesLossAndGradientsAndPrintsJSON() throws {
        let x = try write("x.npy", .float64(shape: [2, 2], scalars: [1, 2, 3, 4]))
        let y = try write("y.npy", .float64(shape: [2, 2], scalars: [0, 0, 0, 0]))
        let r = try run(["eval", "mse", "--input", "input=\(x)", "--input", "target=\(y)", "--out", "out", "--repeat", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["loss"] as? String, "mse")
        XCTAssertEqual(json["value"] as? Double, 7.5)  // (1 + 4 + 9 + 16) / 4
        XCTAssertEqual(json["shape"] as? [Int], [])
        XCTAssertEqual(json["dtype"] as? String, "float64")
        let files = try XCTUnwrap(json["files"] as? [String: String])
        XCTAssertEqual(Set(files.keys), ["loss", "grad.input", "grad.target"])
        let timing = try XCTUnwrap(json["timing"] as? [String: Any])
        XCTAssertEqual(timing["repeat"] as? Int, 3)
        XCTAssertNotNil(timing["median_seconds"] as? Double)
        XCTAssertNotNil(timing["min_seconds"] as? Double)
        let grad = try NPY.read(contentsOf: scratch.appendingPathComponent("out/grad.input.npy").path)
        XCTAssertEqual(grad, .float64(shape: [2, 2], scalars: [0.5, 1, 1.5, 2]))  // 2(x − y)/4
        let loss = try NPY.read(contentsOf: scratch.appendingPathComponent("out/loss.npy").path)
        XCTAssertEqual(loss, .float64(shape: [], scalars: [7.5]))
    }

    func testEvalGradRestrictsAndNoneSkipsGradients() throws {
        let x = try write("x.npy", .float32(shape: [3], scalars: [1, 2, 3]))
        let r = try run(["eval", "mse", "--input", "input=\(x)", "--input", "target=\(x)", "--grad", "target"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("grad.target") && !r.stdout.contains("grad.input"), r.stdout)
        let n = try run(["eval", "mse", "--input", "input=\(x)", "--input", "target=\(x)", "--grad", "none", "--out", "v"])
        XCTAssertEqual(n.status, 0, n.stderr)
        XCTAssertFalse(n.stdout.contains("grad."), n.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("v/grad.input.npy").path))
    }

    func testUnreducedLossHasNullValueAndItsShape() throws {
        let x = try write("x.npy", .float32(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
        let r = try run(["eval", "mse", "--input", "input=\(x)", "--input", "target=\(x)", "--set", "reduction=none"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertTrue(json["value"] is NSNull)
        XCTAssertEqual(json["shape"] as? [Int], [2, 3])
    }

    func testInvalidCallsExitTwoWithOneErrorLine() throws {
        let x = try write("x.npy", .float32(shape: [3], scalars: [1, 2, 3]))
        let y = try write("y.npy", .float32(shape: [4], scalars: [1, 2, 3, 4]))
        let d = try write("d.npy", .float64(shape: [3], scalars: [1, 2, 3]))
        let bad = scratch.appendingPathComponent("bad.npy").path
        try Data("not a numpy file".utf8).write(to: URL(fileURLWithPath: bad))
        try assertUsageError(["eval", "no-such-loss", "--input", "input=\(x)"], mentions: "no-such-loss")
        try assertUsageError(["eval", "mse", "--input", "input=\(x)"], mentions: "target")
        try assertUsageError(["eval", "mse", "--input", "input=\(x)", "--input", "target=\(y)"], mentions: "[4]")
        try assertUsageError(["eval", "mse", "--input", "input=\(x)", "--input", "target=\(d)"], mentions: "float64")
        try assertUsageError(["eval", "mse", "--input", "input=\(x)", "--input", "target=\(x)", "--set", "bogus=1"], mentions: "bogus")
        try assertUsageError(["eval", "mse", "--input", "input=\(x)", "--input", "target=\(x)", "--set", "reduction=batchmean"], mentions: "reduction")
        try assertUsageError(["eval", "mse", "--input", "input=\(x)", "--input", "target=\(x)", "--set", "reduction"], mentions: "KEY=VALUE")
        try assertUsageError(["eval", "mse", "--input", "input=\(bad)", "--input", "target=\(x)"], mentions: "bad.npy")
        try assertUsageError(["eval", "mse", "--input", "input=/no/such/file.npy", "--input", "target=\(x)"], mentions: "file.npy")
        try assertUsageError(["eval", "mse", "--input", "weight=\(x)", "--input", "input=\(x)", "--input", "target=\(x)"], mentions: "weight")
        try assertUsageError(["eval", "mse", "--input", "input=\(x)", "--input", "target=\(x)", "--grad", "bogus"], mentions: "bogus")
        // Probability targets with a class ignore-index: PyTorch raises, so must we (issue 13).
        let logits = try write("logits.npy", .float32(shape: [1, 3], scalars: [2, 1, 0]))
        let probs = try write("probs.npy", .float32(shape: [1, 3], scalars: [0.5, 0.5, 0]))
        try assertUsageError(["eval", "cross-entropy", "--input", "input=\(logits)", "--input", "target=\(probs)",
                              "--set", "ignore-index=1"], mentions: "ignore-index")
        try assertUsageError(["eval"], mentions: "<id>")
        try assertUsageError(["frobnicate"], mentions: "frobnicate")
    }
}
