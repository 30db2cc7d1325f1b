import Foundation
import XCTest
@testable import LossKitDrift

/// Bins, counts and bin metrics against Fixtures/bin_metrics.json
/// (scripts/drift/generate_fixtures.py: NumPy quantile/searchsorted, SciPy jensenshannon).
final class BinMetricsTests: XCTestCase {
    struct Case: Decodable {
        let name: String, reference: [String], current: [String], bins: Int, edges: [Double]
        let reference_counts: [Int], current_counts: [Int]
        let psi: Double, psi_contributions: [Double], psi_eps: Double
        let kl: Double, kl_current: Double, js: Double, hellinger: Double
    }
    struct File: Decodable { let cases: [Case] }

    func loadCases() throws -> [Case] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/bin_metrics.json")
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
    }

    func assertRel(_ a: Double, _ b: Double, _ what: String, tol: Double = 1e-9) {
        XCTAssertLessThanOrEqual(abs(a - b), tol * max(abs(b), 1e-12) + 1e-15, "\(what): \(a) vs \(b)")
    }

    func counts(_ values: [Double], edges: [Double]) -> BinCounts {
        var c = BinCounts(binCount: edges.count + 1)
        c.add(values: values, edges: edges)
        return c
    }

    func testFixtures() throws {
        let cases = try loadCases()
        XCTAssertEqual(cases.count, 7)
        for k in cases {
            let ref = k.reference.map { Double($0)! }, cur = k.current.map { Double($0)! }
            let sorted = ref.filter { $0.isFinite }.sorted()
            let edges = QuantileEdges.edges(sortedFinite: sorted, bins: k.bins)
            XCTAssertEqual(edges.count, k.edges.count, k.name)
            for (a, b) in zip(edges, k.edges) { assertRel(a, b, "\(k.name) edge") }
            let rc = counts(ref, edges: edges), cc = counts(cur, edges: edges)
            var r = rc.counts, c = cc.counts
            if rc.missing + cc.missing > 0 { r.append(rc.missing); c.append(cc.missing) }
            XCTAssertEqual(r, k.reference_counts, k.name)
            XCTAssertEqual(c, k.current_counts, k.name)
            assertRel(try BinMetrics.psi(reference: r, current: c), k.psi, "\(k.name) psi")
            for (a, b) in zip(try BinMetrics.psiContributions(reference: r, current: c), k.psi_contributions) {
                assertRel(a, b, "\(k.name) psi bin")
            }
            assertRel(try BinMetrics.psi(reference: r, current: c, smoothing: .epsilon(1e-4)), k.psi_eps, "\(k.name) psi eps")
            assertRel(try BinMetrics.kl(reference: r, current: c), k.kl, "\(k.name) kl")
            assertRel(try BinMetrics.kl(reference: r, current: c, currentFirst: true), k.kl_current, "\(k.name) kl cur")
            assertRel(try BinMetrics.js(reference: r, current: c), k.js, "\(k.name) js")
            assertRel(try BinMetrics.hellinger(reference: r, current: c), k.hellinger, "\(k.name) hellinger")
        }
    }

    /// Merge of any partition equals the one-shot counts exactly (random data and partitions, drawn
    /// anew each run; a failure prints the trial's values and cut points, so it can be replayed).
    func testMergeOfRandomPartitionsEqualsOneShot() throws {
        var g = SystemRandomNumberGenerator()
        for trial in 0..<50 {
            let n = Int.random(in: 0...500, using: &g)
            let values = (0..<n).map { _ in Double.random(in: 0..<1, using: &g) < 0.05 ? .nan : Double.random(in: -3...3, using: &g) }
            let edges = QuantileEdges.edges(sortedFinite: values.filter { $0.isFinite }.sorted(), bins: 10)
            let whole = counts(values, edges: edges)
            var merged = BinCounts(binCount: edges.count + 1)
            var i = 0
            var cuts: [Int] = []
            while i < n {
                let j = min(n, i + Int.random(in: 1...60, using: &g))
                merged = try merged.merged(with: counts(Array(values[i..<j]), edges: edges))
                cuts.append(j)
                i = j
            }
            XCTAssertEqual(merged, whole, "trial \(trial): values \(values), cuts \(cuts)")
            XCTAssertEqual(whole.total, n)
        }
    }

    func testErrorsNameTheProblem() {
        XCTAssertThrowsError(try BinCounts(binCount: 2).merged(with: BinCounts(binCount: 3))) {
            XCTAssertEqual($0 as? DriftError, .mismatchedBins(expected: 2, got: 3))
        }
        XCTAssertThrowsError(try BinMetrics.psi(reference: [0, 0], current: [1, 2])) {
            XCTAssertEqual($0 as? DriftError, .emptySample(side: "reference"))
        }
        XCTAssertEqual(try BinMetrics.psi(reference: [5], current: [9]), 0) // constant column: 0, not NaN
    }

    func testMissingAndKinds() {
        for s in ["", "NA", "na", "NaN", "nan", "NULL", "null", "None", "nOnE"] { XCTAssertTrue(MissingValue.isMissing(s), s) }
        for s in ["0", "N", "nul", "nonee", "inf", " NA"] { XCTAssertFalse(MissingValue.isMissing(s), s) }
        XCTAssertEqual(ColumnKind.decide(allNumeric: true, distinctCount: 20), .discrete)
        XCTAssertEqual(ColumnKind.decide(allNumeric: true, distinctCount: 21), .numeric)
        XCTAssertEqual(ColumnKind.decide(allNumeric: false, distinctCount: 2), .categorical)
        XCTAssertEqual(ColumnKind.decide(allNumeric: true, distinctCount: 99, forcedCategorical: true), .categorical)
    }
}
