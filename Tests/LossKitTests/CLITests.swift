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
        // Never skip: a missing binary is a failure, with how to build it. (`swift test` builds
        // every product of the package, the `losskit` executable included, into the same
        // directory as the test bundle, so this only fires when the bundle was built alone.)
        let message = "losskit executable not found next to the test bundle \(CommandLine.arguments[0]); "
            + "build it with `swift build --product losskit` (same configuration as the tests) and rerun"
        XCTFail(message)
        throw MissingExecutable(message: message)
    }

    struct MissingExecutable: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
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

    func testJSDivFromLogitsTakesTwoLogitFiles() throws {
        // Issue 8 §5a: with from-logits both files are logits (negative entries included), as
        // kl-div's from-logits; the result is the plain js-div of log_softmax(input), softmax(target).
        let logits: [Double] = [-1.28, 0.4, 2.0, 0.3, -0.7, 1.1], other: [Double] = [0.5, -2.0, 1.0, -0.1, 0.9, -1.5]
        let x = try write("x.npy", .float64(shape: [2, 3], scalars: logits))
        let t = try write("t.npy", .float64(shape: [2, 3], scalars: other))
        let r = try run(["eval", "js-div", "--input", "input=\(x)", "--input", "target=\(t)", "--set", "from-logits=true",
                         "--out", "out"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let expected = try jensenShannonDivergence(
            input: logSoftmax(Tensor(shape: [2, 3], scalars: logits), axis: 1), target: softmax(Tensor(shape: [2, 3], scalars: other), axis: 1))
        XCTAssertEqual(try XCTUnwrap(json["value"] as? Double), expected.scalar!, accuracy: 1e-15)
        let files = try XCTUnwrap(json["files"] as? [String: String])
        XCTAssertEqual(Set(files.keys), ["loss", "grad.input", "grad.target"])
        guard case let .float64(shape, g) = try NPY.read(contentsOf: scratch.appendingPathComponent("out/grad.target.npy").path) else {
            return XCTFail("grad.target is not float64")
        }
        XCTAssertEqual(shape, [2, 3])
        // Gradients with respect to logits sum to 0 over each row.
        XCTAssertEqual(g[0..<3].reduce(0, +), 0, accuracy: 1e-15)
        XCTAssertEqual(g[3..<6].reduce(0, +), 0, accuracy: 1e-15)
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

    func testRepeatConvertsInputsOnceAndGivesTheResultOfOneRun() throws {
        // Issue 8 §5b: the timed runs reuse the inputs converted in the warm-up; the result and
        // the written files are those of a single run, bit for bit.
        let converted = ConvertedInputs()
        var conversions = 0
        for _ in 0..<3 {
            let v = try converted.value(for: "target", as: Tensor<Int>.self) { conversions += 1; return Tensor([1, 2]) }
            XCTAssertEqual(v.scalars, [1, 2])
        }
        _ = try converted.value(for: "target", as: Tensor<Float>.self) { conversions += 1; return Tensor([1, 2] as [Float]) }
        XCTAssertEqual(conversions, 2, "one conversion per name and type")

        let x = try write("x.npy", .float32(shape: [3, 4], scalars: (0..<12).map { Float($0) * 0.37 - 2 }))
        let y = try write("y.npy", .int32(shape: [3], scalars: [3, 0, 2]))
        var outputs: [[String: Any]] = []
        for repeats in ["1", "5"] {
            let r = try run(["eval", "cross-entropy", "--input", "input=\(x)", "--input", "target=\(y)", "--set", "ignore-index=2",
                             "--out", "out\(repeats)", "--repeat", repeats])
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let timing = try XCTUnwrap(json["timing"] as? [String: Any])
            XCTAssertEqual(timing["repeat"] as? Int, Int(repeats))
            let median = try XCTUnwrap(timing["median_seconds"] as? Double), least = try XCTUnwrap(timing["min_seconds"] as? Double)
            XCTAssertTrue(least > 0 && least <= median, "\(least) ≤ \(median)")
            outputs.append(json)
        }
        XCTAssertEqual(outputs[0]["value"] as? Double, outputs[1]["value"] as? Double)
        for file in ["loss.npy", "grad.input.npy"] {
            XCTAssertEqual(try NPY.read(contentsOf: scratch.appendingPathComponent("out1/\(file)").path),
                           try NPY.read(contentsOf: scratch.appendingPathComponent("out5/\(file)").path), file)
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
