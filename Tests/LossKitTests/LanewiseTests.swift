import XCTest
import LossKit

/// The public lane drivers companion modules build on: every tail length, aliasing, the scalar
/// operand, sums and dot products bitwise independent of the thread count, and the lane
/// functions against the scalar ones.
final class LanewiseTests: XCTestCase {
    func testMapsHandleEveryTailLengthAndAliasing() {
        for n in 0...19 {
            let a = (0..<n).map { Double($0) - 4 }, b = (0..<n).map { Double($0 % 5) + 1 }
            var out = [Double](repeating: .nan, count: n)
            a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in out.withUnsafeMutableBufferPointer { o in
                guard n > 0 else { return }
                Lanewise.map(count: n, pa.baseAddress!, pb.baseAddress!, into: o.baseAddress!) { $0 * $1 }
                XCTAssertEqual(Array(o), zip(a, b).map { $0 * $1 }, "a·b, n = \(n)")
                Lanewise.map(count: n, o.baseAddress!, broadcasting: 0.5, into: o.baseAddress!) { $0 - $1 }  // in place
                XCTAssertEqual(Array(o), zip(a, b).map { $0 * $1 - 0.5 }, "in place, n = \(n)")
                Lanewise.map(count: n, pa.baseAddress!, pb.baseAddress!, pa.baseAddress!, into: o.baseAddress!) { x, y, z in x + y * z }
                XCTAssertEqual(Array(o), zip(a, b).map { $0 + $1 * $0 }, "three inputs, n = \(n)")
                XCTAssertEqual(Lanewise.sum(count: n, pb.baseAddress!), b.reduce(0, +), "sum, n = \(n)")
                XCTAssertEqual(Lanewise.dot(count: n, pa.baseAddress!, pb.baseAddress!), zip(a, b).map { $0 * $1 }.reduce(0, +), "dot, n = \(n)")
            } } }
        }
    }

    func testSumsAndMapsAreBitwiseIndependentOfTheThreadCount() {
        var rng = SplitMix64(state: 7)
        let n = 5 * Parallelism.grain + 3
        let a = (0..<n).map { _ in Float(rng.unit() * 6 - 3) }, b = (0..<n).map { _ in Float(rng.unit()) }
        func run() -> (Float, Float, [Float]) {
            a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
                var out = [Float](repeating: 0, count: n)
                out.withUnsafeMutableBufferPointer { o in
                    Lanewise.map(count: n, pa.baseAddress!, pb.baseAddress!, into: o.baseAddress!) { Lanewise.tanh($0) * $1 }
                }
                return (Lanewise.sum(count: n, pa.baseAddress!), Lanewise.dot(count: n, pa.baseAddress!, pb.baseAddress!), out)
            } }
        }
        defer { Parallelism.maximumThreads = 0 }
        Parallelism.maximumThreads = 1
        let one = run()
        Parallelism.maximumThreads = 2
        let two = run()
        XCTAssertEqual(one.0.bitPattern, two.0.bitPattern)
        XCTAssertEqual(one.1.bitPattern, two.1.bitPattern)
        XCTAssertEqual(one.2.map(\.bitPattern), two.2.map(\.bitPattern))
    }

    func testLaneFunctionsMatchTheScalarOnes() {
        // References: Foundation's tanh and LossKit's scalar sigmoid, in Double.
        let xs: [Double] = [-1000, -40, -3, -1, -0.5, -1e-9, -1e-300, 0, 1e-300, 1e-9, 0.25, 0.999, 1, 2, 19, 40, 1000]
        for chunk in stride(from: 0, to: xs.count, by: 8) {
            var lanes = SIMD8<Double>(repeating: 0)
            for i in 0..<min(8, xs.count - chunk) { lanes[i] = xs[chunk + i] }
            let t = Lanewise.tanh(lanes), s = Lanewise.sigmoid(lanes), r = Lanewise.relu(lanes)
            let pick = Lanewise.selecting(SIMD8(repeating: 1), where: lanes, otherwise: SIMD8(repeating: -1))
            for i in 0..<min(8, xs.count - chunk) {
                let x = xs[chunk + i]
                XCTAssertEqual(t[i], Foundation.tanh(x), accuracy: 4 * Foundation.tanh(x).magnitude.ulp, "tanh(\(x))")
                XCTAssertEqual(s[i], sigmoid(x), accuracy: 4 * sigmoid(x).ulp, "sigmoid(\(x))")
                XCTAssertEqual(r[i], max(x, 0))
                XCTAssertEqual(pick[i], x > 0 ? 1 : -1)
            }
        }
        XCTAssertTrue(Lanewise.relu(SIMD8<Double>(repeating: .nan))[0].isNaN)
        XCTAssertEqual(Lanewise.selecting(SIMD8(repeating: 1), where: SIMD8<Double>(repeating: .nan), otherwise: .zero)[0], 0)
    }

    func testTensorInitializingWithWritesLossKitsOwnStorage() throws {
        let x: [Float] = [-2, 0, 3]
        let y = try x.withUnsafeBufferPointer { p in
            try Tensor<Float>(shape: [3], initializingWith: { out in
                Lanewise.map(count: 3, p.baseAddress!, into: out.baseAddress!) { Lanewise.sigmoid($0) }
            })
        }
        for (a, b) in zip(y.scalars, x.map { sigmoid($0) }) { XCTAssertEqual(a, b, accuracy: 2 * b.ulp) }  // lanes: within 2 ulp
        XCTAssertThrowsError(try Tensor<Float>(shape: [-1], initializingWith: { _ in }))
    }
}
