#if canImport(_Differentiation)
import _Differentiation
import Foundation
import XCTest
import LossKitDifferentiation

/// matmul, conv2d, pooling and softmax against PyTorch float64: values and the gradients of
/// sum(w ⊙ op(inputs)), from Fixtures/operations.json (scripts/generate_operation_fixtures.py).
final class OperationFixtureTests: XCTestCase {
    struct Case {
        let name: String, op: String, params: [String: Any]
        let inputs: [Tensor<Double>], weight: Tensor<Double>, value: Tensor<Double>, grads: [Tensor<Double>]
    }

    static func tensor(_ json: Any) throws -> Tensor<Double> {
        let d = try XCTUnwrap(json as? [String: Any])
        return try Tensor(shape: try XCTUnwrap(d["shape"] as? [Int]), scalars: try XCTUnwrap(d["data"] as? [Double]))
    }

    static func load() throws -> [Case] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/operations.json")
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        return try XCTUnwrap(root["cases"] as? [[String: Any]]).map { c in
            Case(name: try XCTUnwrap(c["name"] as? String), op: try XCTUnwrap(c["op"] as? String),
                 params: c["params"] as? [String: Any] ?? [:],
                 inputs: try XCTUnwrap(c["inputs"] as? [Any]).map(tensor), weight: try tensor(c["weight"]!),
                 value: try tensor(c["value"]!), grads: try XCTUnwrap(c["grads"] as? [Any]).map(tensor))
        }
    }

    static func pair(_ p: [String: Any], _ key: String) -> (Int, Int) {
        let v = p[key] as! [Int]
        return (v[0], v[1])
    }

    func assertClose(_ a: Tensor<Double>, _ b: Tensor<Double>, _ what: String) {
        XCTAssertEqual(a.shape, b.shape, what)
        for (i, (x, y)) in zip(a.scalars, b.scalars).enumerated() {
            XCTAssertEqual(x, y, accuracy: 1e-12 * max(1, abs(y)), "\(what)[\(i)]")
        }
    }

    func testOperationsMatchPyTorch() throws {
        let cases = try Self.load()
        XCTAssertEqual(Set(cases.map(\.op)), ["matmul", "conv2d", "maxPool2d", "avgPool2d", "softmax", "logSoftmax"])
        XCTAssertGreaterThanOrEqual(cases.count, 20)
        for c in cases {
            let w = c.weight, p = c.params
            let value: Tensor<Double>, grads: [Tensor<Double>]
            switch c.op {
            case "matmul", "conv2d":
                let f: @differentiable(reverse) (Tensor<Double>, Tensor<Double>) -> Tensor<Double>
                if c.op == "matmul" {
                    f = { a, b in a.matmul(b) }
                } else {
                    let (s, pad, d) = (Self.pair(p, "stride"), Self.pair(p, "padding"), Self.pair(p, "dilation"))
                    f = { a, b in conv2d(a, filter: b, stride: s, padding: pad, dilation: d) }
                }
                value = f(c.inputs[0], c.inputs[1])
                let (_, pullback) = valueWithPullback(at: c.inputs[0], c.inputs[1]) { a, b in (f(a, b) * w).sum() }
                let (ga, gb) = pullback(Tensor(1))
                grads = [ga, gb]
            default:
                let f: @differentiable(reverse) (Tensor<Double>) -> Tensor<Double>
                switch c.op {
                case "maxPool2d":
                    let (k, s, pad) = (Self.pair(p, "kernel"), Self.pair(p, "stride"), Self.pair(p, "padding"))
                    f = { maxPool2d($0, kernel: k, stride: s, padding: pad) }
                case "avgPool2d":
                    let (k, s, pad) = (Self.pair(p, "kernel"), Self.pair(p, "stride"), Self.pair(p, "padding"))
                    f = { avgPool2d($0, kernel: k, stride: s, padding: pad) }
                case "softmax":
                    let axis = p["axis"] as! Int
                    f = { softmax($0, alongAxis: axis) }
                default:
                    let axis = p["axis"] as! Int
                    f = { logSoftmax($0, alongAxis: axis) }
                }
                value = f(c.inputs[0])
                grads = [gradient(at: c.inputs[0]) { x in (f(x) * w).sum() }]
            }
            assertClose(value, c.value, "\(c.name) value")
            for (i, (g, e)) in zip(grads, c.grads).enumerated() { assertClose(g, e, "\(c.name) grad \(i)") }
        }
    }
}
#endif
