// Times LossKit's value+gradient computations for the benchmark table.
//
//   losskit-bench [--repeat N] [--filter SUBSTRING] [--threads N] [--all-times] [--no-reuse]
//   losskit-bench --stream [--repeat N] [--threads N]
//   losskit-bench --memory SUBSTRING [--threads N]
//
// Cases: prints one JSON object per case: {"case": ..., "median_seconds": ..., "min_seconds": ...,
// "repeat": N, "threads": T, "checksum": ..., "value_bits": ..., "gradient_hash": ...}. Inputs are
// built before timing; each timed run computes the loss value and the gradient with respect to the
// input (and frees them), exactly like PyTorch's forward + backward in scripts/benchmark.py. The
// checksum (value + the first gradient element) keeps results alive and lets the script compare
// both sides. After timing, one more run gives `value_bits` (the value's Float.bitPattern) and
// `gradient_hash` (FNV-1a over the bit patterns of every gradient element), which must not depend
// on the thread count. --all-times adds "times": every timed run in milliseconds, in order.
// --no-reuse sets ResultMemory.reuseLimit = 0, so results of 4 MiB or more are fresh memory
// on every run (as PyTorch's are): it shows what the reuse saves.
//
// --stream: the machine's memory bandwidth, measured like STREAM's triad a[i] = b[i] + s·c[i] on
// Float arrays of 2^25 elements (128 MiB each, 384 MiB in all, far larger than the last-level
// cache), split over the threads in contiguous parts, pages touched before timing; best of
// --repeat runs. GB/s counts 12 bytes per element (read b and c, write a: 3 arrays × 4 bytes),
// not the extra read a write-allocate cache does for `a`; prints one JSON object.
//
// --memory: the working memory of the matching cases (see LinearCrossEntropyRows.swift).
import Dispatch
import LossKit

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// One generator for the whole (single-threaded) case set-up.
nonisolated(unsafe) var rng = SplitMix64(state: 42)
func normal(_ n: Int, scale: Float = 1) -> [Float] {
    (0..<n).map { _ in
        // Box–Muller; quality is irrelevant, only the value range matters.
        let u = Float.random(in: Float.ulpOfOne..<1, using: &rng), v = Float.random(in: 0..<1, using: &rng)
        return scale * (-2 * Float.log(u)).squareRoot() * Float.cos(2 * .pi * v)
    }
}
func uniform(_ n: Int) -> [Float] { (0..<n).map { _ in Float.random(in: 0..<1, using: &rng) } }

struct Case {
    let name: String
    /// The value and the gradient with respect to the input.
    let run: () throws -> LossResult<Float>
}

func tensor(_ shape: [Int], _ s: [Float]) -> Tensor<Float> { try! Tensor(shape: shape, scalars: s) }

func logSoftmaxRows(_ x: [Float], cols: Int) -> [Float] {
    try! logSoftmax(tensor([x.count / cols, cols], x), axis: 1).scalars
}

/// The generator of a case's inputs: seeded by its name (FNV-1a).
func seededGenerator(_ name: String) -> SplitMix64 {
    SplitMix64(state: name.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 })
}

/// The cases whose names `wanted` accepts. Only those build their inputs (the large rows take
/// seconds to fill), each from a generator seeded by its name, so a case's data does not depend
/// on which other cases run.
func makeCases(_ wanted: (String) -> Bool) -> [Case] {
    var cases: [Case] = []
    func add(_ name: String, _ make: () -> () throws -> LossResult<Float>) {
        guard wanted(name) else { return }
        // An autodiff row draws the same data as the direct row it is compared with.
        rng = seededGenerator(name.hasSuffix(" autodiff") ? String(name.dropLast(" autodiff".count)) : name)
        cases.append(Case(name: name, run: make()))
    }
    for (n, c) in [(4096, 1000), (1024, 32000)] {
        add("cross-entropy \(n)x\(c)") {
            let x = tensor([n, c], normal(n * c))
            let y = Tensor((0..<n).map { _ in Int32.random(in: 0..<Int32(c), using: &rng) })
            return { try crossEntropy(input: x, target: y, wrt: [.input]) }
        }
    }
    let m = 4 << 20
    func logitsAndLabels() -> (Tensor<Float>, Tensor<Float>) {
        (tensor([m], normal(m)), tensor([m], uniform(m).map { $0 < 0.5 ? 0 : 1 }))
    }
    add("bce-with-logits 4M") {
        let (x, t) = logitsAndLabels()
        return { try binaryCrossEntropyWithLogits(input: x, target: t, wrt: [.input]) }
    }
    add("sigmoid-focal 4M") {
        let (x, t) = logitsAndLabels()
        return { try sigmoidFocalLoss(input: x, target: t, reduction: .mean, wrt: [.input]) }
    }
    add("mse 4M") {
        let x = tensor([m], normal(m)), t = tensor([m], normal(m))
        return { try meanSquaredError(input: x, target: t, wrt: [.input]) }
    }
    add("kl-div batchmean 4096x1000") {
        let (n, c) = (4096, 1000)
        let input = tensor([n, c], logSoftmaxRows(normal(n * c), cols: c))
        let target = tensor([n, c], try! softmax(tensor([n, c], normal(n * c)), axis: 1).scalars)
        return { try klDivergence(input: input, target: target, reduction: .batchmean, wrt: [.input]) }
    }
    add("triplet 4096x256") {
        let (n, d) = (4096, 256)
        let a = tensor([n, d], normal(n * d)), p = tensor([n, d], normal(n * d)), neg = tensor([n, d], normal(n * d))
        return {
            // The anchor's gradient, as the PyTorch row differentiates its first argument only.
            var r = try tripletMarginLoss(anchor: a, positive: p, negative: neg, wrt: [.anchor])
            r.gradients[.input] = r.gradients[.anchor]
            return r
        }
    }
    add("clip 2048x512") {
        let (n, d) = (2048, 512)
        let x1 = tensor([n, d], normal(n * d)), x2 = tensor([n, d], normal(n * d))
        return {
            // Both gradients, as the PyTorch row differentiates the stacked [x1; x2].
            var r = try clipLoss(input1: x1, input2: x2)
            r.gradients[.input] = r.gradients[.input1]
            return r
        }
    }
    for (t, n, c, s) in [(200, 32, 30, 50), (500, 32, 5000, 100)] {
        add("ctc T=\(t) N=\(n) C=\(c) S=\(s)") {
            // Log-probabilities [T, N, C]; padded targets [N, S] of labels 1..<C; every input length T;
            // target lengths from S down to S/2 (the same formula as scripts/benchmark.py).
            let x = tensor([t, n, c], logSoftmaxRows(normal(t * n * c), cols: c))
            let y = try! Tensor(shape: [n, s], scalars: (0..<n * s).map { _ in Int32.random(in: 1..<Int32(c), using: &rng) })
            let inputLengths = Tensor([Int32](repeating: Int32(t), count: n))
            let targetLengths = Tensor((0..<n).map { Int32(s - $0 * s / (2 * n)) })
            return { try ctcLoss(input: x, target: y, inputLengths: inputLengths, targetLengths: targetLengths, wrt: [.input]) }
        }
    }
    addLinearCrossEntropyCases(add)
    addAutodiffCases(add)
    return cases
}

/// value + the first gradient element, read in place (`scalars` would copy the gradient).
func checksum(_ r: LossResult<Float>) -> Float {
    r.scalar! + r.gradients[.input]!.withUnsafeBufferPointer { $0[0] }
}

/// FNV-1a over the bit patterns of every element.
func bitHash(_ t: Tensor<Float>) -> UInt64 {
    t.withUnsafeBufferPointer { b in
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for v in b { h = (h ^ UInt64(v.bitPattern)) &* 0x0000_0100_0000_01B3 }
        return h
    }
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// The triad a[i] = b[i] + s·c[i]; see the header.
func stream(threads: Int, repeats: Int) {
    let n = 1 << 25
    // The threads write disjoint parts of these buffers.
    nonisolated(unsafe) let a = UnsafeMutablePointer<Float>.allocate(capacity: n)
    nonisolated(unsafe) let b = UnsafeMutablePointer<Float>.allocate(capacity: n)
    nonisolated(unsafe) let c = UnsafeMutablePointer<Float>.allocate(capacity: n)
    defer { a.deallocate(); b.deallocate(); c.deallocate() }
    let parts = max(1, threads)
    @Sendable func part(_ t: Int) -> Range<Int> { (n / parts * t) ..< (t == parts - 1 ? n : n / parts * (t + 1)) }
    // Each thread first touches the pages it later streams.
    DispatchQueue.concurrentPerform(iterations: parts) { t in
        for i in part(t) { a[i] = 0; b[i] = 1; c[i] = Float(i & 7) }
    }
    let s: Float = 3
    let clock = ContinuousClock()
    var best = Double.infinity
    for _ in 0..<max(1, repeats) {
        let d = clock.measure {
            DispatchQueue.concurrentPerform(iterations: parts) { t in
                for i in part(t) { a[i] = b[i] + s * c[i] }
            }
        }
        best = min(best, seconds(d))
    }
    precondition(a[n - 1] == 1 + s * Float((n - 1) & 7))  // keeps the stores alive
    let bytes = Double(3 * MemoryLayout<Float>.size * n)
    print("{\"stream\": \"triad\", \"threads\": \(parts), \"elements\": \(n), \"bytes_per_element\": 12, "
        + "\"best_seconds\": \(best), \"gb_per_s\": \(bytes / best / 1e9)}")
}

var repeats = 15
var filter: String?
var streamMode = false
var threads = 0
var allTimes = false
var memoryFilter: String?
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--repeat": repeats = Int(args.popFirst() ?? "") ?? repeats
    case "--filter": filter = args.popFirst()
    case "--threads": threads = max(0, Int(args.popFirst() ?? "") ?? 0)
    case "--stream": streamMode = true
    case "--all-times": allTimes = true
    case "--no-reuse": ResultMemory.reuseLimit = 0
    case "--memory": memoryFilter = args.popFirst() ?? ""
    default:
        print("usage: losskit-bench [--repeat N] [--filter SUBSTRING] [--threads N] [--all-times] [--no-reuse] | --stream [--repeat N] [--threads N] | --memory SUBSTRING [--threads N]")
        exit(2)
    }
}
Parallelism.maximumThreads = threads
let activeThreads = threads > 0 ? threads : Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))

if streamMode {
    stream(threads: activeThreads, repeats: max(repeats, 10))
    exit(0)
}

if let memoryFilter {
    try measureMemory(makeCases { $0.contains(memoryFilter) })
    exit(0)
}

let clock = ContinuousClock()
for c in makeCases({ name in filter.map { name.contains($0) } ?? true }) {
    var sum = checksum(try c.run())  // warm-up
    var times: [Double] = []
    for _ in 0..<repeats {
        let d = try clock.measure { sum = checksum(try c.run()) }
        times.append(seconds(d))
    }
    let inOrder = times.map { "\(($0 * 1e5).rounded() / 100)" }.joined(separator: ", ")
    times.sort()
    let r = try c.run()
    print("{\"case\": \"\(c.name)\", \"median_seconds\": \(times[times.count / 2]), \"min_seconds\": \(times[0]), "
        + "\"repeat\": \(repeats), \"threads\": \(activeThreads), \"checksum\": \(sum), "
        + "\"value_bits\": \(r.scalar!.bitPattern), \"gradient_hash\": \(bitHash(r.gradients[.input]!))"
        + (allTimes ? ", \"times\": [\(inOrder)]}" : "}"))
}

#if canImport(Glibc)
import Glibc
#endif
