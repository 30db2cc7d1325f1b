import ArgumentParser
import Foundation
import LossKit

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a loss and its gradients on .npy files.",
        discussion: """
            Writes DIR/loss.npy and DIR/grad.NAME.npy and prints one JSON object on stdout.
            Example: losskit eval cross-entropy --input input=logits.npy --input target=labels.npy --set label-smoothing=0.1
            """)

    @Argument(help: "The loss id (see `losskit list`).")
    var id: String

    @Option(name: .customLong("input"), help: ArgumentHelp("An input as NAME=PATH to a .npy file (repeatable).", valueName: "NAME=PATH"))
    var inputs: [String] = []

    @Option(name: .customLong("set"), help: ArgumentHelp("An option as KEY=VALUE (repeatable), e.g. reduction=sum.", valueName: "KEY=VALUE"))
    var settings: [String] = []

    @Option(help: ArgumentHelp("Comma-separated inputs to differentiate, or 'none' (default: every differentiable input given).", valueName: "NAME[,NAME...]"))
    var grad: String?

    @Option(help: "Directory for loss.npy and grad.NAME.npy.")
    var out: String = "."

    @Option(name: .customLong("repeat"), help: "Timed runs after one warm-up (inputs are converted once, in the warm-up: the timing is the library call only).")
    var repeats: Int = 1

    @Flag(help: "Take the value and gradients from Swift's automatic differentiation (valueWithPullback over the loss's differentiable form, cotangent 1, or ones for reduction=none) instead of the direct call; same output.")
    var autodiff = false

    func validate() throws {
        guard repeats >= 1 else { throw UsageError("--repeat must be at least 1, got \(repeats)") }
    }

    func run() throws {
        var tensors: [String: DynamicTensor] = [:]
        for spec in inputs {
            let (name, path) = try Self.split(spec, flag: "--input")
            guard tensors[name] == nil else { throw UsageError("--input \(name) is given twice") }
            tensors[name] = try Self.tensor(from: NPY.read(contentsOf: path), name: name)
        }
        var options: [String: String] = [:]
        for spec in settings {
            let (key, value) = try Self.split(spec, flag: "--set")
            options[key] = value
        }
        let names = grad.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        let output = try Evaluator.evaluate(id: id, inputs: tensors, options: options, gradients: names, repeats: repeats, autodiff: autodiff)

        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var files: [(String, String)] = []
        let lossPath = (out as NSString).appendingPathComponent("loss.npy")
        try NPY.write(Self.array(output.value), to: lossPath)
        files.append(("loss", lossPath))
        for g in output.gradients {
            let path = (out as NSString).appendingPathComponent("grad.\(g.name).npy")
            try NPY.write(Self.array(g.tensor), to: path)
            files.append(("grad.\(g.name)", path))
        }
        print(Self.json(id: Catalog.entry(named: id)!.id, output: output, files: files, repeats: repeats))
    }

    static func split(_ spec: String, flag: String) throws -> (String, String) {
        guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex, spec.index(after: eq) != spec.endIndex else {
            throw UsageError("\(flag) '\(spec)': expected \(flag == "--set" ? "KEY=VALUE" : "NAME=PATH")")
        }
        return (String(spec[..<eq]), String(spec[spec.index(after: eq)...]))
    }

    static func tensor(from a: NPYArray, name: String) throws -> DynamicTensor {
        switch a {
        case let .float32(shape, s): return .float32(try Tensor(shape: shape, scalars: s))
        case let .float64(shape, s): return .float64(try Tensor(shape: shape, scalars: s))
        case let .int32(shape, s): return .int32(try Tensor(shape: shape, scalars: s))
        case let .int64(shape, s): return .int64(try Tensor(shape: shape, scalars: s))
        case let .bool(shape, s): return .bool(try Tensor(shape: shape, scalars: s))
        }
    }

    static func array(_ t: DynamicTensor) -> NPYArray {
        switch t {
        case .float32(let t): .float32(shape: t.shape, scalars: t.scalars)
        case .float64(let t): .float64(shape: t.shape, scalars: t.scalars)
        case .int32(let t): .int32(shape: t.shape, scalars: t.scalars)
        case .int64(let t): .int64(shape: t.shape, scalars: t.scalars)
        case .bool(let t): .bool(shape: t.shape, scalars: t.scalars)
        }
    }

    static func jsonNumber<T: LossScalar>(_ v: T) -> String {
        if v.isNaN { return "\"nan\"" }
        if v.isInfinite { return v > 0 ? "\"inf\"" : "\"-inf\"" }
        return "\(v)"
    }

    static func jsonString(_ s: String) -> String {
        var r = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": r += "\\\""
            case "\\": r += "\\\\"
            case _ where c.value < 0x20: r += String(format: "\\u%04x", c.value)
            default: r.unicodeScalars.append(c)
            }
        }
        return r + "\""
    }

    static func json(id: String, output: EvaluationOutput, files: [(String, String)], repeats: Int) -> String {
        let value: String
        switch output.value {
        case .float32(let t) where t.shape.isEmpty: value = jsonNumber(t.scalar!)
        case .float64(let t) where t.shape.isEmpty: value = jsonNumber(t.scalar!)
        default: value = "null"
        }
        let shape = "[" + output.value.shape.map(String.init).joined(separator: ", ") + "]"
        let fileList = files.map { "\(jsonString($0.0)): \(jsonString($0.1))" }.joined(separator: ", ")
        let sorted = output.seconds.sorted()
        let median = sorted.isEmpty ? 0 : (sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2)
        return """
            {"loss": \(jsonString(id)), "value": \(value), "shape": \(shape), "dtype": \(jsonString(output.value.dtype)), \
            "files": {\(fileList)}, "timing": {"repeat": \(repeats), "median_seconds": \(median), "min_seconds": \(sorted.first ?? 0)}}
            """
    }
}
