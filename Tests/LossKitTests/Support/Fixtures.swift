import Foundation
import XCTest
@testable import LossKit
@testable import LossKitCLI

/// One reference case written by scripts/generate_fixtures.py.
struct FixtureCase {
    let name: String
    let loss: String
    let dtype: String
    let inputs: [String: DynamicTensor]
    let options: [String: String]
    let grad: [String]?
    let value: DynamicTensor
    let grads: [String: DynamicTensor]
    let rtol: Double?
}

enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The cases of `Fixtures/<family>.json`, with the generator's provenance.
    static func load(_ family: String) throws -> (torch: String, cases: [FixtureCase]) {
        let data = try Data(contentsOf: directory.appendingPathComponent("\(family).json"))
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let raw = try XCTUnwrap(doc["cases"] as? [[String: Any]])
        return (doc["torch"] as? String ?? "?", try raw.map(decodeCase))
    }

    static func decodeCase(_ c: [String: Any]) throws -> FixtureCase {
        let inputs = try XCTUnwrap(c["inputs"] as? [String: Any]).mapValues(decodeTensor)
        let grads = try (c["grads"] as? [String: Any] ?? [:]).mapValues(decodeTensor)
        let tol = (c["tolerance"] as? [String: Any])?["rtol"] as? Double
        return FixtureCase(
            name: try XCTUnwrap(c["name"] as? String), loss: try XCTUnwrap(c["loss"] as? String),
            dtype: try XCTUnwrap(c["dtype"] as? String), inputs: inputs,
            options: c["options"] as? [String: String] ?? [:], grad: c["grad"] as? [String],
            value: try decodeTensor(try XCTUnwrap(c["value"])), grads: grads, rtol: tol)
    }

    static func number(_ v: Any) throws -> Double {
        if let d = v as? Double { return d }
        if let n = v as? NSNumber { return n.doubleValue }
        switch v as? String {
        case "nan": return .nan
        case "inf": return .infinity
        case "-inf": return -.infinity
        default: throw FixtureError("not a number: \(v)")
        }
    }

    static func decodeTensor(_ any: Any) throws -> DynamicTensor {
        let d = try XCTUnwrap(any as? [String: Any])
        let shape = try XCTUnwrap(d["shape"] as? [Int])
        let data = try XCTUnwrap(d["data"] as? [Any])
        switch d["dtype"] as? String {
        case "float32": return .float32(try Tensor(shape: shape, scalars: data.map { Float(try number($0)) }))
        case "float64": return .float64(try Tensor(shape: shape, scalars: data.map(number)))
        case "int32": return .int32(try Tensor(shape: shape, scalars: data.map { Int32(try number($0)) }))
        case "int64": return .int64(try Tensor(shape: shape, scalars: data.map { Int64(try number($0)) }))
        case "bool": return .bool(try Tensor(shape: shape, scalars: data.map { ($0 as? Bool) ?? false }))
        default: throw FixtureError("unknown dtype \(String(describing: d["dtype"]))")
        }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

extension DynamicTensor {
    /// The elements as Double, for comparisons.
    var doubles: [Double] {
        switch self {
        case .float32(let t): t.scalars.map(Double.init)
        case .float64(let t): t.scalars
        case .int32(let t): t.scalars.map(Double.init)
        case .int64(let t): t.scalars.map(Double.init)
        case .bool(let t): t.scalars.map { $0 ? 1 : 0 }
        }
    }
}

/// Tolerances of the reference comparisons. Relative tolerance as the issue sets it (1e-5 for
/// float32, 1e-10 for float64), plus an absolute floor scaled by the tensor's largest magnitude:
/// an element that is a cancellation of larger terms (a softmax gradient near 0) can only agree
/// to the precision of those terms, in the reference as in LossKit.
func referenceTolerance(dtype: String, override: Double?) -> (rtol: Double, atolScale: Double) {
    if let o = override { return (o, o / 10) }
    return dtype == "float32" ? (1e-5, 1e-6) : (1e-10, 1e-12)
}

/// Replays every case of a fixture family through the `losskit eval` code path and compares the
/// value and every gradient with the reference. Returns the number of cases compared.
@discardableResult
func replayFixtures(_ family: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
    let (_, cases) = try Fixtures.load(family)
    XCTAssertFalse(cases.isEmpty, "no cases in \(family).json", file: file, line: line)
    // Every case through both paths of `losskit eval`: the direct call and `--autodiff`
    // (valueWithPullback over the differentiable form), each against the reference.
    for c in cases {
        var directNames: [String]?
        for autodiff in autodiffPaths {
        let path = autodiff ? " (--autodiff)" : ""
        let output: EvaluationOutput
        do {
            output = try Evaluator.evaluate(id: c.loss, inputs: c.inputs, options: c.options, gradients: c.grad, autodiff: autodiff)
        } catch {
            XCTFail("\(c.name)\(path): threw \(error)", file: file, line: line)
            continue
        }
        let tol = referenceTolerance(dtype: c.dtype, override: c.rtol)
        assertClose(output.value, c.value, rtol: tol.rtol, atolScale: tol.atolScale, "\(c.name)\(path) value", file: file, line: line)
        let got = Dictionary(uniqueKeysWithValues: output.gradients.map { ($0.name, $0.tensor) })
        if let names = directNames {
            XCTAssertEqual(output.gradients.map(\.name), names, "\(c.name)\(path): the gradients of both paths", file: file, line: line)
        }
        directNames = output.gradients.map(\.name)
        for (name, expected) in c.grads {
            guard let g = got[name] else {
                XCTFail("\(c.name)\(path): no gradient for \(name)", file: file, line: line)
                continue
            }
            assertClose(g, expected, rtol: tol.rtol, atolScale: tol.atolScale, "\(c.name)\(path) grad.\(name)", file: file, line: line)
        }
        }
    }
    return cases.count
}

/// The `eval` paths every fixture case runs through: `--autodiff` exists where Swift's
/// _Differentiation module does.
#if canImport(_Differentiation)
let autodiffPaths = [false, true]
#else
let autodiffPaths = [false]
#endif

/// Central finite differences in Double of every float64 fixture case of `family`: for each
/// differentiable input element, (f(x + h) − f(x − h)) / 2h of the summed output must match the
/// analytic gradient. Elements at a kink (one-sided differences disagree) are skipped.
@discardableResult
func checkFiniteDifferences(
    _ family: String, excluding excluded: Set<String> = [], file: StaticString = #filePath, line: UInt = #line
) throws -> Int {
    let (_, cases) = try Fixtures.load(family)
    var checked = 0
    for c in cases where c.dtype == "float64" && !excluded.contains(c.loss) {
        guard let out = try? Evaluator.evaluate(id: c.loss, inputs: c.inputs, options: c.options, gradients: c.grad) else {
            continue  // reported by the replay test
        }
        func f(_ inputs: [String: DynamicTensor]) -> Double {
            guard let o = try? Evaluator.evaluate(id: c.loss, inputs: inputs, options: c.options, gradients: ["none"]) else { return .nan }
            return o.value.doubles.reduce(0, +)
        }
        for (name, grad) in out.gradients {
            guard case .float64(let x) = c.inputs[name] else { continue }
            let g = grad.doubles
            for i in 0..<x.count {
                let xi = x.scalars[i]
                guard xi.isFinite else { continue }
                let h = 1e-6 * max(1, abs(xi))
                func at(_ v: Double) -> Double {
                    var s = x.scalars; s[i] = v
                    var inputs = c.inputs; inputs[name] = .float64(try! Tensor(shape: x.shape, scalars: s))
                    return f(inputs)
                }
                let fp = at(xi + h), fm = at(xi - h), f0 = at(xi)
                guard fp.isFinite, fm.isFinite, f0.isFinite else { continue }
                let right = (fp - f0) / h, left = (f0 - fm) / h
                let scale = max(1, abs(right), abs(left))
                if abs(right - left) > 1e-3 * scale { continue }  // a kink: the derivative is one-sided
                let fd = (fp - fm) / (2 * h)
                checked += 1
                if abs(fd - g[i]) > 1e-5 * max(1, abs(fd)) {
                    XCTFail("\(c.name) grad.\(name)[\(i)]: analytic \(g[i]) vs finite difference \(fd)", file: file, line: line)
                }
            }
        }
    }
    return checked
}
