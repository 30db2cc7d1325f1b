// The linear-cross-entropy rows (issue 4, family I of LOSSES.md) and the peak-memory measurement.
//
// Two cases on the same problem, N = 512 hidden states of D = 1024 over a vocabulary of
// V = 32000, value + gradients of `input` and `weight`:
//   "linear-cross-entropy 512x1024x32000"               the chunked kernel (default chunk size)
//   "linear-cross-entropy materialized 512x1024x32000"  the same call with one chunk spanning the
//                                                       vocabulary: the [N, V] logits exist at once
//
// --memory CASE-SUBSTRING runs each matching case once in this process and prints its working
// memory: the peak resident set during the call (VmHWM, reset through /proc/self/clear_refs
// just before, after malloc_trim) minus the resident set before it and minus the bytes of the
// results it returns.
// It also compares the chunked case's value and gradients with the materialized case's.
import LossKit
#if canImport(Glibc)
import Glibc
#endif

let lceShape = (n: 512, d: 1024, v: 32000)

/// Adds the two cases through `makeCases`'s `add`; both share one set of inputs.
func addLinearCrossEntropyCases(_ add: (String, () -> () throws -> LossResult<Float>) -> Void) {
    let (n, d, v) = lceShape
    var inputs: (x: Tensor<Float>, w: Tensor<Float>, y: Tensor<Int32>)?
    func shared() -> (x: Tensor<Float>, w: Tensor<Float>, y: Tensor<Int32>) {
        if let inputs { return inputs }
        // Weights at the scale of a trained unembedding (1/√D), so the logits are O(1).
        let made = (
            tensor([n, d], normal(n * d)), tensor([v, d], normal(v * d, scale: 1 / 32)),
            Tensor((0..<n).map { _ in Int32.random(in: 0..<Int32(v), using: &rng) }))
        inputs = made
        return made
    }
    add("linear-cross-entropy \(n)x\(d)x\(v)") {
        let (x, w, y) = shared()
        return { try linearCrossEntropy(input: x, weight: w, target: y, wrt: [.input, .weight]) }
    }
    add("linear-cross-entropy materialized \(n)x\(d)x\(v)") {
        let (x, w, y) = shared()
        return { try linearCrossEntropy(input: x, weight: w, target: y, chunkSize: v, wrt: [.input, .weight]) }
    }
}

/// glibc's malloc_trim (not in the Glibc module's headers).
@_silgen_name("malloc_trim") func mallocTrim(_ pad: Int) -> Int32

/// (VmRSS, VmHWM) of this process in bytes.
func residentSet() -> (current: Int, peak: Int) {
    guard let f = fopen("/proc/self/status", "r") else { return (0, 0) }
    defer { fclose(f) }
    var current = 0, peak = 0
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), f) != nil {
        let s = line.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let kib = Int(s.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).dropFirst().first ?? "") ?? 0
        if s.hasPrefix("VmRSS:") { current = kib * 1024 }
        if s.hasPrefix("VmHWM:") { peak = kib * 1024 }
    }
    return (current, peak)
}

/// Resets VmHWM to the current resident set (Linux ≥ 4.0).
func resetPeakResidentSet() -> Bool {
    guard let f = fopen("/proc/self/clear_refs", "w") else { return false }
    defer { fclose(f) }
    return fputs("5", f) >= 0
}

func resultBytes(_ r: LossResult<Float>) -> Int {
    (r.value.count + r.gradients.values.reduce(0) { $0 + $1.count }) * MemoryLayout<Float>.stride
}

/// Largest |a − b| over the largest |b|.
func relativeDifference(_ a: Tensor<Float>, _ b: Tensor<Float>) -> Double {
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            var diff = 0.0, scale = 0.0
            for i in 0..<min(pa.count, pb.count) {
                diff = max(diff, Double(abs(pa[i] - pb[i])))
                scale = max(scale, Double(abs(pb[i])))
            }
            return scale > 0 ? diff / scale : diff
        }
    }
}

func measureMemory(_ cases: [Case]) throws {
    var results: [String: LossResult<Float>] = [:]
    for c in cases {
        // Freed heap memory that malloc keeps resident would hide allocations from the count.
        _ = mallocTrim(0)
        let before = residentSet().current
        guard resetPeakResidentSet() else {
            print("{\"case\": \"\(c.name)\", \"error\": \"cannot reset VmHWM through /proc/self/clear_refs\"}")
            continue
        }
        let r = try c.run()
        let peak = residentSet().peak
        let returned = resultBytes(r)
        print("{\"case\": \"\(c.name)\", \"peak_extra_bytes\": \(peak - before), \"result_bytes\": \(returned), "
            + "\"working_bytes\": \(max(0, peak - before - returned))}")
        results[c.name] = r
    }
    let (n, d, v) = lceShape
    if let chunked = results["linear-cross-entropy \(n)x\(d)x\(v)"],
        let full = results["linear-cross-entropy materialized \(n)x\(d)x\(v)"]
    {
        print("{\"compare\": \"linear-cross-entropy chunked vs materialized\", "
            + "\"value\": \(relativeDifference(chunked.value, full.value)), "
            + "\"input\": \(relativeDifference(chunked.gradients[.input]!, full.gradients[.input]!)), "
            + "\"weight\": \(relativeDifference(chunked.gradients[.weight]!, full.gradients[.weight]!))}")
    }
}
