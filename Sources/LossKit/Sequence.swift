import RealModule
// Family F of LOSSES.md: connectionist temporal classification (CTC).
//
// The forward–backward algorithm in log space over the 2S + 1 states of the blank-extended
// target, eight states at a time. Each sequence of the batch is one unit of work (one thread
// computes its loss and writes every gradient row of that sequence), so results do not depend on
// the thread count.

/// Connectionist temporal classification loss: the negative log-likelihood of a target label
/// sequence summed over every alignment of it to the input frames.
///
/// ```
/// l′ = (blank, l₁, blank, l₂, …, l_S, blank)             (the extended target, 2S + 1 states)
/// p(l | x) = Σ over paths π ∈ B⁻¹(l) Π_t exp(x[t, π_t])  (B removes repeats, then blanks)
/// ℓₙ = −log p(lₙ | xₙ)                                    (frames t < input_lengthsₙ only)
/// mean = (1/N) Σₙ ℓₙ / max(target_lengthsₙ, 1) (default) | sum = Σₙ ℓₙ | none = ℓ, shape [N]
/// ```
/// computed with the forward variables α and the backward variables β (both in log space,
/// β without the emission of its own frame):
/// ```
/// α_t(s) = x[t, l′_s] + log(e^α_{t−1}(s) + e^α_{t−1}(s−1) + [l′_s ≠ blank, l′_s ≠ l′_{s−2}]·e^α_{t−1}(s−2))
/// β_t(s) = log Σ over the successors s′ ∈ {s, s+1, s+2 (same rule)} of e^(x[t+1, l′_s′] + β_{t+1}(s′))
/// ℓ = −log(e^α_{T−1}(2S) + e^α_{T−1}(2S−1))
/// ```
/// Shapes: `input` `[T, N, C]` (time-major) or unbatched `[T, C]` (N = 1); `target` padded
/// `[N, S]` (entries past a target's length are ignored, whatever they hold) or concatenated
/// `[Σ target_lengths]` (a rank-1 target is always the concatenated form, also unbatched, as in
/// PyTorch); `input_lengths` and `target_lengths` `[N]` (unbatched: 0-d or `[1]`). The value is
/// 0-d, or `[N]` (0-d when unbatched) for `none`.
///
/// Gradient (γ the state occupancy, wₙ the reduction's factor: 1, or 1/(N·max(target_lengthsₙ, 1))
/// for `mean`):
/// ```
/// γ_t(s) = exp(α_t(s) + β_t(s) + ℓ)              (Σ_s γ_t(s) = 1 on every frame t < input_lengthsₙ)
/// ∂ℓ/∂input[t, n, c] = −wₙ Σ_{s: l′_s = c} γ_t(s)                      (log-probability input)
/// ∂ℓ/∂input[t, n, c] = wₙ (softmax(input[t, n])_c − Σ_{s: l′_s = c} γ_t(s))   (fromLogits)
/// ```
/// and 0 for frames t ≥ input_lengthsₙ.
///
/// - Parameters:
///   - input: log-probabilities (any real numbers: the loss is evaluated on them as given), or
///     logits when `fromLogits` is true.
///   - target: label sequences, class indices in `0..<C` other than `blank`.
///   - inputLengths: frames used per sequence, each in `0...T`.
///   - targetLengths: labels per sequence, each in `0...S` (padded target); their sum is the
///     length of a concatenated target.
///   - blank: the blank class index (default 0).
///   - zeroInfinity: replace an infinite loss (no feasible alignment) by 0 with a zero gradient.
///   - fromLogits: `input` holds logits; log-softmax over the class dimension is applied inside,
///     fused (never stored), and the gradient is with respect to the logits.
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: `[.input]` (default) or `[]` for the value only.
/// - Returns: the loss and, if requested, ∂loss/∂input (shaped like `input`).
/// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` for an input of rank other than 2
///   or 3, an empty class dimension or a target of the wrong rank;
///   ``LossError/shapeMismatch(argument:expected:actual:)`` for lengths that are not `[N]`, a
///   padded target that is not `[N, S]`, or a concatenated target whose length is not the sum of
///   `target_lengths`; ``LossError/valueOutOfRange(argument:value:index:expected:)`` for a length
///   out of range or a label equal to `blank`; ``LossError/labelOutOfRange(argument:label:classCount:index:)``
///   for a label outside `0..<C`; ``LossError/invalidOption(name:value:expected:)`` for `blank`
///   outside `0..<C` or `batchmean`.
///
/// Edge cases: an empty target is allowed (the only path is all blanks: ℓ = −Σ_t x[t, blank]);
/// an input length of 0 gives 0 for an empty target and +inf otherwise. A target that needs more
/// frames than it has (its length plus its repeated neighbours, which need a blank between them)
/// gives +inf and, as in PyTorch, a NaN gradient on that sequence's frames, or 0 and a zero
/// gradient with `zeroInfinity`; so does a target whose every alignment passes through a
/// log-probability of −inf. A log-probability of −inf elsewhere is fine: its gradient is the true
/// partial derivative 0 (PyTorch returns NaN there). NaN in a used input gives a NaN loss and a NaN
/// gradient on the sequence's frames. Long inputs keep their precision: α and β are rescaled by
/// their maximum at every frame (the scales summed in Double) and γ is normalized per frame, so
/// Float over 3000 frames agrees with Double to a few parts in 10⁶ in the loss. An empty batch
/// gives NaN for `mean` and 0 for `sum` (PyTorch rejects an empty input).
///
/// Matches `torch.nn.functional.ctc_loss` (value; `reduction`, `blank`, `zero_infinity` as
/// there). Gradient convention: with log-probability input LossKit returns the true partial
/// derivative −wₙ·γ. PyTorch returns wₙ(exp(input) − γ) there, which is the gradient with respect
/// to the logits *assuming* `input = log_softmax(logits)`; the two agree once pulled back through
/// log-softmax (γ sums to 1 over the classes of a frame). With `fromLogits` the gradient equals
/// PyTorch's gradient through `log_softmax`.
///
/// ```swift
/// // T = 2 frames, N = 1, C = 2 (blank 0), both classes equally likely; target [1].
/// let x = try Tensor(shape: [2, 1, 2], repeating: -Float.log(2))
/// let r = try ctcLoss(
///     input: x, target: Tensor(shape: [1, 1], scalars: [1] as [Int32]),
///     inputLengths: Tensor([2] as [Int32]), targetLengths: Tensor([1] as [Int32]))
/// r.scalar               // 0.2876821    (−log ¾: the paths 11, 01, 10, each of probability ¼)
/// r.gradients[.input]    // [-0.33333334, -0.6666667, -0.33333334, -0.6666667]   (−γ)
/// // PyTorch's gradient here is exp(x) − γ = [0.16667, -0.16667, 0.16667, -0.16667].
/// ```
@inlinable
public func ctcLoss<T: LossScalar, L: BinaryInteger, I: BinaryInteger>(
    input: Tensor<T>, target: Tensor<L>, inputLengths: Tensor<I>, targetLengths: Tensor<I>,
    blank: Int = 0, zeroInfinity: Bool = false, fromLogits: Bool = false,
    reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    let problem = try CTCProblem(
        inputShape: input.shape, target: target, inputLengths: inputLengths, targetLengths: targetLengths,
        blank: blank)
    return problem.evaluate(
        input, zeroInfinity: zeroInfinity, fromLogits: fromLogits, reduction: reduction,
        wantsGradient: wrt.contains(.input))
}

/// A validated CTC call: the layout of `input` and the target label sequences.
@usableFromInline
struct CTCProblem: Sendable {
    /// Frames, batch size, classes.
    @usableFromInline let frames: Int
    @usableFromInline let batch: Int
    @usableFromInline let classes: Int
    @usableFromInline let blank: Int
    /// Whether the input had a batch dimension (`[T, N, C]`); the `none` value is then `[N]`.
    @usableFromInline let batched: Bool
    @usableFromInline let inputLengths: [Int]
    /// The labels of every target, concatenated; sequence n's are `labels[offsets[n] ..< offsets[n + 1]]`.
    @usableFromInline let labels: [Int]
    @usableFromInline let offsets: [Int]

    @inlinable
    init<L: BinaryInteger, I: BinaryInteger>(
        inputShape: [Int], target: Tensor<L>, inputLengths: Tensor<I>, targetLengths: Tensor<I>, blank: Int
    ) throws(LossError) {
        let classes = try classDimension(ofShape: inputShape, ranks: 2...3)
        let batched = inputShape.count == 3
        let frames = inputShape[0]
        let batch = batched ? inputShape[1] : 1
        try checkOption("blank", blank, expected: "a class index in 0..<\(classes)") { (0..<classes).contains($0) }

        // Lengths: [N], or 0-d / [1] for an unbatched input.
        func lengths(_ name: String, _ t: Tensor<I>) throws(LossError) -> [Int] {
            let ok = batched ? t.shape == [batch] : (t.shape == [] || t.shape == [1])
            guard ok else { throw .shapeMismatch(argument: name, expected: batched ? [batch] : [], actual: t.shape) }
            return t.scalars.map { Int(clamping: $0) }
        }
        let inputLengths = try lengths("input_lengths", inputLengths)
        let targetLengths = try lengths("target_lengths", targetLengths)
        for (i, v) in inputLengths.enumerated() where !(0...frames).contains(v) {
            throw .valueOutOfRange(argument: "input_lengths", value: Double(v), index: i, expected: "a length in 0...\(frames) (T)")
        }

        // Where each target starts in `target`'s elements.
        var starts: [Int] = []
        starts.reserveCapacity(batch)
        if target.rank == 2 {
            guard target.shape[0] == batch else {
                throw .shapeMismatch(argument: "target", expected: [batch, target.shape[1]], actual: target.shape)
            }
            let width = target.shape[1]
            for (i, v) in targetLengths.enumerated() {
                guard (0...width).contains(v) else {
                    throw .valueOutOfRange(
                        argument: "target_lengths", value: Double(v), index: i,
                        expected: "a length in 0...\(width) (S, the padded target's width)")
                }
                starts.append(i * width)
            }
        } else {
            guard target.rank == 1 else {
                throw .invalidShape(argument: "target", shape: target.shape, reason: "expected [N, S] (padded) or [Σ target_lengths] (concatenated)")
            }
            var total = 0
            for (i, v) in targetLengths.enumerated() {
                guard v >= 0 else {
                    throw .valueOutOfRange(argument: "target_lengths", value: Double(v), index: i, expected: "a length ≥ 0")
                }
                starts.append(total)
                total += v
            }
            try checkShape("target", target.shape, equals: [total])
        }

        // The labels in use: in 0..<C and never the blank.
        var labels: [Int] = []
        labels.reserveCapacity(targetLengths.reduce(0, +))
        var offsets = [0]
        offsets.reserveCapacity(batch + 1)
        let problem: LossError? = target.withUnsafeBufferPointer { b in
            for n in 0..<targetLengths.count {
                for i in starts[n] ..< starts[n] + targetLengths[n] {
                    let l = b[i]
                    guard l >= 0 && l < classes else {
                        return .labelOutOfRange(argument: "target", label: Int(clamping: l), classCount: classes, index: i)
                    }
                    guard Int(l) != blank else {
                        return .valueOutOfRange(
                            argument: "target", value: Double(Int(l)), index: i,
                            expected: "a class index other than blank (\(blank))")
                    }
                    labels.append(Int(l))
                }
                offsets.append(labels.count)
            }
            return nil
        }
        if let problem { throw problem }
        self.frames = frames; self.batch = batch; self.classes = classes; self.blank = blank
        self.batched = batched; self.inputLengths = inputLengths; self.labels = labels; self.offsets = offsets
    }

    /// Runs the forward–backward algorithm on every sequence and packages the result.
    @inlinable
    func evaluate<T: LossScalar>(
        _ input: Tensor<T>, zeroInfinity: Bool, fromLogits: Bool, reduction: Reduction, wantsGradient: Bool
    ) -> LossResult<T> {
        let n = batch
        let plan = ReductionPlan<T>(reduction, count: n)
        let gradient = wantsGradient ? TensorBuffer<T>(uninitializedCount: input.count) : nil
        let losses = TensorBuffer<T>(uninitializedCount: n)
        // Element operations, to decide whether threads pay: the gradient rows, plus about 32 per
        // state and frame (two passes of a log-sum-exp of three).
        var work = wantsGradient ? frames * batch * classes : 0
        for s in 0..<n { work += 32 * inputLengths[s] * (2 * (offsets[s + 1] - offsets[s]) + 1) }
        let sum: T = input.withUnsafeBufferPointer { xb in
            labels.withUnsafeBufferPointer { lb in
                let kernel = CTCKernel<T>(
                    input: base(xb), frames: frames, batch: batch, classes: classes, blank: blank,
                    labels: base(lb), fromLogits: fromLogits, zeroInfinity: zeroInfinity,
                    gradient: gradient?.base, losses: losses.base)
                // One sequence per block: its loss and gradient rows come from one thread, and the
                // block sums are added in sequence order, whatever the thread count.
                return blockedSum(count: n, blockSize: work < Parallelism.grain ? n : 1) { range in
                    var total: T = 0
                    for s in range {
                        let targetLength = offsets[s + 1] - offsets[s]
                        // mean: each loss over its target length (at least 1), then over N (the plan
                        // scales by 1 for none and sum).
                        let weight: T = reduction == .mean ? 1 / T(max(targetLength, 1)) : 1
                        let scale = weight * plan.gradientScale
                        let loss = kernel.sequence(
                            s, frameCount: inputLengths[s], labelOffset: offsets[s], targetLength: targetLength,
                            gradientScale: scale)
                        total += weight * loss
                    }
                    return total
                }
            }
        }
        let value = reduction == .none
            ? Tensor(uncheckedShape: batched ? [n] : [], scalars: losses)
            : Tensor(plan.value(fromSum: sum))
        var result = LossResult<T>(value: value)
        if let gradient { result.gradients[.input] = Tensor(uncheckedShape: input.shape, scalars: gradient) }
        return result
    }
}

/// The per-sequence forward–backward kernel.
///
/// States live in rows of `stride` scalars, state s at `row + front + s`, with −inf around them
/// (eight before state 0 and eight past the last vector), so the s−1, s−2, s+1, s+2 neighbours
/// are plain unaligned loads. Each row is stored minus the maximum of the row before it, so its
/// values stay near 0 (full precision over thousands of frames); the loss adds the scales back
/// (in Double), and the occupancies are normalized per frame, which cancels them. At frame t only
/// states that are reachable from the start and can still reach the end are computed:
/// ```
/// lo_t = max(0, 2S − 1 − 2(T′ − 1 − t))     hi_t = min(2S, 2t + 1)
/// ```
/// (T′ the input length), rounded out to whole vectors with the lanes outside [lo_t, hi_t] set to
/// −inf. The bounds move by at most two states per frame, so every value a kept state reads was
/// computed (or is −inf) in the neighbouring frame's row.
@usableFromInline
struct CTCKernel<T: LossScalar> {
    @usableFromInline let input: UnsafePointer<T>
    @usableFromInline let frames: Int
    @usableFromInline let batch: Int
    @usableFromInline let classes: Int
    @usableFromInline let blank: Int
    @usableFromInline let labels: UnsafePointer<Int>
    @usableFromInline let fromLogits: Bool
    @usableFromInline let zeroInfinity: Bool
    @usableFromInline let gradient: UnsafeMutablePointer<T>?
    @usableFromInline let losses: UnsafeMutablePointer<T>

    /// States before state 0 in a row (eight keeps the vectors of a row aligned with its start).
    @usableFromInline static var front: Int { 8 }

    @inlinable
    init(
        input: UnsafePointer<T>, frames: Int, batch: Int, classes: Int, blank: Int, labels: UnsafePointer<Int>,
        fromLogits: Bool, zeroInfinity: Bool, gradient: UnsafeMutablePointer<T>?, losses: UnsafeMutablePointer<T>
    ) {
        self.input = input; self.frames = frames; self.batch = batch; self.classes = classes; self.blank = blank
        self.labels = labels; self.fromLogits = fromLogits; self.zeroInfinity = zeroInfinity
        self.gradient = gradient; self.losses = losses
    }

    /// The input row of frame t of sequence n.
    @inlinable @inline(__always)
    func row(_ t: Int, _ n: Int) -> Int { (t * batch + n) * classes }

    /// Computes sequence n's loss (stored in `losses[n]`, after `zeroInfinity`) and, when a
    /// gradient is wanted, writes all T of its gradient rows, scaled by `gradientScale`.
    @inlinable
    func sequence(_ n: Int, frameCount: Int, labelOffset: Int, targetLength: Int, gradientScale: T) -> T {
        let states = 2 * targetLength + 1
        let label = labels + labelOffset
        var repeats = 0
        for i in stride(from: 1, to: targetLength, by: 1) where label[i] == label[i - 1] { repeats += 1 }

        // No frames, or fewer than the target needs: the loss is known without any work.
        if frameCount == 0 || targetLength + repeats > frameCount {
            return finish(n, loss: targetLength + repeats <= frameCount ? 0 : .infinity, frameCount: frameCount)
        }

        let front = Self.front
        let width = (states + 7) / 8 * 8          // the states rounded up to whole vectors
        let stride = front + width + 8            // a row: front pad, states, back pad
        let storing = gradient != nil
        // Scratch rows: skip mask, emissions (one per frame, or one), α (one per frame, or two),
        // two of β, the occupancies of one frame, the input values of the classes in use and
        // their occupancies; then the log-sum-exp of each frame's logits.
        let emissionRows = storing ? frameCount : 1
        let alphaRows = storing ? frameCount : 2
        let rowCount = 1 + emissionRows + alphaRows + 2 + 3
        let scratch = UnsafeMutablePointer<T>.allocate(capacity: stride * rowCount + frameCount)
        defer { scratch.deallocate() }
        scratch.initialize(repeating: -.infinity, count: stride * rowCount)
        let skip = scratch + front
        let emissions = skip + stride
        let alpha = emissions + emissionRows * stride
        let beta = alpha + alphaRows * stride
        let occupancy = beta + 2 * stride
        let classValues = occupancy + stride
        let classOccupancy = classValues + stride
        let rowShift = scratch + stride * rowCount

        // The classes in use (blank and the labels), ascending, so that reading them from a row
        // of the input walks forward through memory; `slot[s]` is state s's class among them.
        var classList = [blank] + (0..<targetLength).map { label[$0] }
        classList.sort()
        classList = classList.enumerated().filter { $0.offset == 0 || $0.element != classList[$0.offset - 1] }.map(\.element)
        let used = classList.count
        let slot = (0..<states).map { s in classSlot(of: s & 1 == 0 ? blank : label[s >> 1], in: classList) }
        // The s−2 transition: into a label state whose label differs from the previous label.
        for s in Swift.stride(from: 3, to: states, by: 2) where slot[s] != slot[s - 2] { skip[s] = 0 }

        // Forward. Row t holds α_t minus the maxima of the rows before it (logScale), so its
        // values stay near 0 and keep full precision over thousands of frames.
        var logScale: Double = 0
        var previousMax: T = 0
        for t in 0..<frameCount {
            let e = emissions + (storing ? t * stride : 0)
            let x = input + row(t, n)
            var shift: T = 0
            if fromLogits {
                shift = stridedLogSumExp(x, classes, stride: 1).lse
                rowShift[t] = shift
            }
            var sawNaN = false
            for k in 0..<used {
                let v = x[classList[k]] - shift
                sawNaN = sawNaN || v.isNaN
                classValues[k] = v
            }
            for s in 0..<states { e[s] = classValues[slot[s]] }
            // Every state −inf (a needed label of probability 0) or NaN: no path.
            if sawNaN || previousMax == -.infinity { return finish(n, loss: sawNaN ? .nan : .infinity, frameCount: frameCount) }
            let (lo, hi) = bounds(t, frameCount: frameCount, states: states)
            let a = alpha + (storing ? t : t & 1) * stride
            let low = SIMD8<T>(repeating: T(lo))
            var rowMax = SIMD8<T>(repeating: -.infinity)
            var s = lo & ~7
            if t == 0 {
                // Paths start in the first blank or the first label.
                let high = SIMD8<T>(repeating: T(min(hi, 1)))
                while s <= hi {
                    let v = load8(e + s).replacing(with: -.infinity, where: outsideLanes(s, low, high))
                    store8(v, a + s)
                    rowMax = rowMax.lanesMax(v)
                    s += 8
                }
            } else {
                let p = alpha + (storing ? t - 1 : (t - 1) & 1) * stride
                let high = SIMD8<T>(repeating: T(hi)), scale = SIMD8<T>(repeating: previousMax)
                logScale += Double(previousMax)
                while s <= hi {
                    let v = (load8(e + s) - scale + logSumExp3(load8(p + s), load8(p + s - 1), load8(p + s - 2) + load8(skip + s)))
                        .replacing(with: -.infinity, where: outsideLanes(s, low, high))
                    store8(v, a + s)
                    rowMax = rowMax.lanesMax(v)
                    s += 8
                }
            }
            previousMax = rowMax.laneMax()
        }
        let last = alpha + (storing ? frameCount - 1 : (frameCount - 1) & 1) * stride
        let end = targetLength == 0 ? last[0] : logSumExp2(last[states - 1], last[states - 2])
        let loss = -T(logScale + Double(end))
        guard let gradient, loss < .infinity else { return finish(n, loss: loss, frameCount: frameCount) }

        // Backward, from the last frame. Row c_t = x[t, l′] + β_t (shifted by its maximum like α)
        // is what frame t − 1 reads; the occupancies γ_t = exp(α_t + β_t) are normalized per frame,
        // which removes every shift: Σ_s γ_t(s) = 1.
        var nextMax: T = 0
        for t in Swift.stride(from: frameCount - 1, through: 0, by: -1) {
            let (lo, hi) = bounds(t, frameCount: frameCount, states: states)
            let a = alpha + t * stride
            let e = emissions + t * stride
            let next = beta + (t & 1) * stride          // c_{t+1}, written by the previous step
            let c = beta + ((t + 1) & 1) * stride       // c_t
            let low = SIMD8<T>(repeating: T(lo)), high = SIMD8<T>(repeating: T(hi))
            let scale = SIMD8<T>(repeating: nextMax)
            var cMax = SIMD8<T>(repeating: -.infinity), vMax = cMax
            var s = lo & ~7
            while s <= hi {
                let outside = outsideLanes(s, low, high)
                // Paths end in the last label or the last blank: β = log 1 there at the last frame.
                let b = (t == frameCount - 1
                    ? SIMD8<T>.zero
                    : logSumExp3(load8(next + s), load8(next + s + 1), load8(next + s + 2) + load8(skip + s + 2)) - scale
                ).replacing(with: -.infinity, where: outside)
                let cv = (load8(e + s) + b).replacing(with: -.infinity, where: outside)
                store8(cv, c + s)
                cMax = cMax.lanesMax(cv)
                let v = (load8(a + s) + b).replacing(with: -.infinity, where: outside)
                store8(v, occupancy + s)
                vMax = vMax.lanesMax(v)
                s += 8
            }
            nextMax = cMax.laneMax()
            if nextMax == -.infinity { nextMax = 0 }
            let m = SIMD8<T>(repeating: vMax.laneMax())
            var sum = SIMD8<T>.zero
            s = lo & ~7
            // Occupancies below e⁻⁸⁰ of the largest are 0 (kept off the slow subnormal path).
            let floor = SIMD8<T>(repeating: -80)
            while s <= hi {
                let d = load8(occupancy + s) - m
                let g = T.vexp(d.lanesMax(floor)).replacing(with: 0, where: d .< floor)
                store8(g, occupancy + s)
                sum += g
                s += 8
            }
            // The gradient row: 0 (or the softmax), minus the occupancies of the states per class.
            let g = gradient + row(t, n)
            if fromLogits {
                scaledSoftmax(input + row(t, n), shift: rowShift[t], scale: gradientScale, into: g)
            } else {
                g.update(repeating: 0, count: classes)
            }
            let w = gradientScale / sum.laneSum()
            classOccupancy.update(repeating: 0, count: used)
            for s in lo...hi { classOccupancy[slot[s]] += occupancy[s] }
            for k in 0..<used { g[classList[k]] -= w * classOccupancy[k] }
        }
        fillGradient(n, from: frameCount, to: frames, with: 0)
        losses[n] = loss
        return loss
    }

    /// Stores sequence n's loss when it needs no backward pass (or no gradient is wanted) and
    /// writes its gradient rows: +inf (no alignment) or NaN gives 0 with `zeroInfinity`, else a NaN
    /// gradient on the sequence's frames as in PyTorch; frames past the input length get 0.
    @inlinable
    func finish(_ n: Int, loss: T, frameCount: Int) -> T {
        let undefined = !(loss < .infinity)
        let value: T = undefined && zeroInfinity && loss == .infinity ? 0 : loss
        losses[n] = value
        if gradient != nil {
            fillGradient(n, from: 0, to: frameCount, with: undefined && value != 0 ? .nan : 0)
            fillGradient(n, from: frameCount, to: frames, with: 0)
        }
        return value
    }

    /// The states of frame t that can lie on a complete path (see the type's documentation).
    @inlinable @inline(__always)
    func bounds(_ t: Int, frameCount: Int, states: Int) -> (Int, Int) {
        (max(0, states - 2 - 2 * (frameCount - 1 - t)), min(states - 1, 2 * t + 1))
    }

    /// Writes `value` into sequence n's gradient rows of frames `from..<to`.
    @inlinable
    func fillGradient(_ n: Int, from: Int, to: Int, with value: T) {
        guard let gradient, from < to else { return }
        for t in from..<to { (gradient + row(t, n)).update(repeating: value, count: classes) }
    }

    /// g = scale · exp(x − shift) over one row of logits (shift = the row's log-sum-exp).
    @inlinable @inline(__always)
    func scaledSoftmax(_ x: UnsafePointer<T>, shift: T, scale: T, into g: UnsafeMutablePointer<T>) {
        let m = SIMD8<T>(repeating: shift), w = SIMD8<T>(repeating: scale)
        var i = 0
        while i + 8 <= classes {
            store8(T.vexp(load8(x + i) - m) * w, g + i)
            i += 8
        }
        if i < classes { storePartial(T.vexp(loadPartial(x + i, classes - i, pad: -.infinity) - m) * w, g + i, classes - i) }
    }
}

/// The index of `c` in the ascending list `classes`, which holds it.
@inlinable
func classSlot(of c: Int, in classes: [Int]) -> Int {
    var low = 0, high = classes.count - 1
    while low < high {
        let mid = (low + high) / 2
        if classes[mid] < c { low = mid + 1 } else { high = mid }
    }
    return low
}

/// The lanes of the vector of states s…s+7 outside low…high.
@inlinable @inline(__always)
func outsideLanes<T: LossScalar>(_ s: Int, _ low: SIMD8<T>, _ high: SIMD8<T>) -> SIMDMask<SIMD8<T.SIMDMaskScalar>> {
    let index = laneIndices(T.self) + T(s)
    return (index .< low) .| (index .> high)
}
