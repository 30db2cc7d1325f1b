// Times LossKit's value+gradient computations for the benchmark table.
//
//   losskit-bench [--repeat N] [--filter SUBSTRING] [--threads N]
//
// Prints one JSON object per case: {"case": ..., "median_seconds": ..., "min_seconds": ...,
// "repeat": N, "checksum": ...}. Inputs are built before timing; each timed run computes the loss
// value and the gradient with respect to the input, exactly like PyTorch's forward + backward in
// scripts/benchmark.py. The checksum (value + a gradient element) keeps results alive and lets the
// script compare both sides.
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

var rng = SplitMix64(state: 42)
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
    let run: () throws -> Float
}

func tensor(_ shape: [Int], _ s: [Float]) -> Tensor<Float> { try! Tensor(shape: shape, scalars: s) }

func logSoftmaxRows(_ x: [Float], cols: Int) -> [Float] {
    try! logSoftmax(tensor([x.count / cols, cols], x), axis: 1).scalars
}

func makeCases() -> [Case] {
    var cases: [Case] = []
    for (n, c) in [(4096, 1000), (1024, 32000)] {
        let x = tensor([n, c], normal(n * c))
        let y = Tensor((0..<n).map { _ in Int32.random(in: 0..<Int32(c), using: &rng) })
        cases.append(Case(name: "cross-entropy \(n)x\(c)") {
            let r = try crossEntropy(input: x, target: y, wrt: [.input])
            return r.scalar! + r.gradients[.input]!.scalars[0]
        })
    }
    let m = 4 << 20
    do {
        let x = tensor([m], normal(m)), t = tensor([m], uniform(m).map { $0 < 0.5 ? 0 : 1 })
        cases.append(Case(name: "bce-with-logits 4M") {
            let r = try binaryCrossEntropyWithLogits(input: x, target: t, wrt: [.input])
            return r.scalar! + r.gradients[.input]!.scalars[0]
        })
        cases.append(Case(name: "sigmoid-focal 4M") {
            let r = try sigmoidFocalLoss(input: x, target: t, reduction: .mean, wrt: [.input])
            return r.scalar! + r.gradients[.input]!.scalars[0]
        })
    }
    do {
        let x = tensor([m], normal(m)), t = tensor([m], normal(m))
        cases.append(Case(name: "mse 4M") {
            let r = try meanSquaredError(input: x, target: t, wrt: [.input])
            return r.scalar! + r.gradients[.input]!.scalars[0]
        })
    }
    do {
        let (n, c) = (4096, 1000)
        let input = tensor([n, c], logSoftmaxRows(normal(n * c), cols: c))
        let target = tensor([n, c], try! softmax(tensor([n, c], normal(n * c)), axis: 1).scalars)
        cases.append(Case(name: "kl-div batchmean 4096x1000") {
            let r = try klDivergence(input: input, target: target, reduction: .batchmean, wrt: [.input])
            return r.scalar! + r.gradients[.input]!.scalars[0]
        })
    }
    return cases
}

var repeats = 15
var filter: String?
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--repeat": repeats = Int(args.popFirst() ?? "") ?? repeats
    case "--filter": filter = args.popFirst()
    case "--threads": Parallelism.maximumThreads = Int(args.popFirst() ?? "") ?? 0
    default: print("usage: losskit-bench [--repeat N] [--filter SUBSTRING] [--threads N]"); exit(2)
    }
}

let clock = ContinuousClock()
for c in makeCases() where filter.map({ c.name.contains($0) }) ?? true {
    var checksum = try c.run()  // warm-up
    var times: [Double] = []
    for _ in 0..<repeats {
        let d = try clock.measure { checksum = try c.run() }
        times.append(Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
    }
    times.sort()
    print("{\"case\": \"\(c.name)\", \"median_seconds\": \(times[times.count / 2]), \"min_seconds\": \(times[0]), \"repeat\": \(repeats), \"checksum\": \(checksum)}")
}

#if canImport(Glibc)
import Glibc
#endif
