import RealModule
// The overlap losses of the segmentation family: dice, jaccard, tversky (one kernel, three
// ways of combining its sums; see Segmentation.swift for the layout).
//
// The overlap losses reduce each class over batch and space to three sums, computed in one pass:
//
//     Σo = Σ p        Σt = Σ t        D = Σ |p − t|
//
// (p the probabilities, t the one-hot or mask target; ignored positions count as p = t = 0).
// smp 0.6 takes the intersection from these as I = (Σo + Σt − D)/2 = Σ min(p, t), and dice,
// jaccard and tversky differ only in how I, the false positives Σo − I and the false negatives
// Σt − I combine (``OverlapWeights``). The gradient pass then needs only two numbers per class:
// ∂L/∂p = A_c + B_c·sign(p − t).

/// How intersection, false positives and false negatives combine into an overlap loss: the
/// Tversky index (I + smooth) / (I + α·FP + β·FN + smooth), then the aggregate raised to γ.
/// Dice is α = β = ½, Jaccard (IoU) α = β = 1, both with γ = 1.
@usableFromInline
struct OverlapWeights<T: LossScalar>: Sendable {
    @usableFromInline let alpha: T
    @usableFromInline let beta: T
    @usableFromInline let gamma: T

    @inlinable
    init(alpha: T, beta: T, gamma: T = 1) { self.alpha = alpha; self.beta = beta; self.gamma = gamma }

    @inlinable static var dice: OverlapWeights { OverlapWeights(alpha: 0.5, beta: 0.5) }
    @inlinable static var jaccard: OverlapWeights { OverlapWeights(alpha: 1, beta: 1) }
}

/// The options the three overlap losses share.
@usableFromInline
struct OverlapOptions<T: LossScalar>: Sendable {
    @usableFromInline let mode: SegmentationMode
    @usableFromInline let fromLogits: Bool
    @usableFromInline let smooth: T
    @usableFromInline let eps: T
    @usableFromInline let ignoreIndex: Int?
    @usableFromInline let logLoss: Bool
    @usableFromInline let weights: OverlapWeights<T>
    @usableFromInline let reduction: Reduction

    @inlinable
    init(
        mode: SegmentationMode, fromLogits: Bool, smooth: T, eps: T, ignoreIndex: Int?, logLoss: Bool,
        weights: OverlapWeights<T>, reduction: Reduction
    ) {
        self.mode = mode; self.fromLogits = fromLogits; self.smooth = smooth; self.eps = eps
        self.ignoreIndex = ignoreIndex; self.logLoss = logLoss; self.weights = weights; self.reduction = reduction
    }

    @inlinable
    func validate() throws(LossError) {
        try reduction.validate()
        try checkOption("smooth", smooth, expected: "a finite number ≥ 0") { $0 >= 0 && $0.isFinite }
        try checkOption("eps", eps, expected: "a finite number ≥ 0") { $0 >= 0 && $0.isFinite }
        try checkOption("alpha", weights.alpha, expected: "a finite number ≥ 0") { $0 >= 0 && $0.isFinite }
        try checkOption("beta", weights.beta, expected: "a finite number ≥ 0") { $0 >= 0 && $0.isFinite }
        try checkOption("gamma", weights.gamma, expected: "a finite number > 0") { $0 > 0 && $0.isFinite }
    }
}

// MARK: - The overlap kernel

/// The per-class sums of an overlap loss: Σp, Σt and Σ|p − t| over batch and space.
@usableFromInline
struct OverlapSums<T: LossScalar> {
    @usableFromInline var predicted: [T]
    @usableFromInline var target: [T]
    @usableFromInline var difference: [T]

    @inlinable
    init(classes: Int) {
        predicted = [T](repeating: 0, count: classes)
        target = predicted
        difference = predicted
    }
}

/// The one kernel of dice, jaccard and tversky: the sums pass, the per-class scores, and the
/// gradient pass. `T` the scalar, `L` the label type of multiclass targets.
@usableFromInline
struct OverlapKernel<T: LossScalar, L: BinaryInteger> {
    @usableFromInline let layout: ClassLayout
    @usableFromInline let options: OverlapOptions<T>
    @usableFromInline let input: UnsafePointer<T>
    /// Class indices (multiclass) or nil.
    @usableFromInline let labels: UnsafePointer<L>?
    /// The mask (binary, multilabel) or nil.
    @usableFromInline let mask: UnsafePointer<T>?

    @inlinable
    init(layout: ClassLayout, options: OverlapOptions<T>, input: UnsafePointer<T>, labels: UnsafePointer<L>?, mask: UnsafePointer<T>?) {
        self.layout = layout; self.options = options; self.input = input; self.labels = labels; self.mask = mask
    }

    @inlinable var classes: Int { layout.classes }
    @inlinable var spatial: Int { layout.inner }
    /// The mask value that marks ignored positions; NaN (equal to nothing) without ignore-index.
    @inlinable var ignoredMaskValue: T { maskValue(ignoring: options.ignoreIndex) }

    @inlinable
    var blocks: DenseBlocks {
        labels != nil
            ? DenseBlocks(outer: layout.batch, spatial: spatial, elementsPerPosition: classes)
            : DenseBlocks(outer: layout.batch * classes, spatial: spatial, elementsPerPosition: 1)
    }

    // MARK: Pass 1

    /// Σp, Σt, Σ|p − t| per class, summed per block and then over blocks in order.
    @inlinable
    func sums() -> OverlapSums<T> {
        let blocks = self.blocks
        let perBlock = labels != nil ? classes : 1
        var partial = [T](repeating: 0, count: blocks.count * 3 * perBlock)
        partial.withUnsafeMutableBufferPointer { pb in
            let out = pb.baseAddress
            blocks.forEach(work: blocks.chunk * perBlock, scratchVectors: labels != nil ? 4 * classes : 0) { b, scratch in
                let (o, range) = blocks.block(b)
                let slot = out! + b * 3 * perBlock
                if labels != nil {
                    multiclassSums(sample: o, range, into: slot, scratch: scratch)
                } else {
                    maskSums(row: o, range, into: slot)
                }
            }
        }
        var sums = OverlapSums<T>(classes: classes)
        for b in 0..<blocks.count {
            let first = labels != nil ? 0 : blocks.block(b).outer % classes
            for j in 0..<perBlock {
                sums.predicted[first + j] += partial[b * 3 * perBlock + j]
                sums.target[first + j] += partial[b * 3 * perBlock + perBlock + j]
                sums.difference[first + j] += partial[b * 3 * perBlock + 2 * perBlock + j]
            }
        }
        return sums
    }

    @inlinable
    func multiclassSums(
        sample n: Int, _ range: Range<Int>, into out: UnsafeMutablePointer<T>, scratch p: UnsafeMutablePointer<SIMD8<T>>
    ) {
        let C = classes, S = spatial
        let acc = p + C
        acc.initialize(repeating: .zero, count: 3 * C)
        var j = range.lowerBound
        while j < range.upperBound {
            let lanes = min(8, range.upperBound - j)
            let x = input + n * C * S + j
            let y: SIMD8<T> = labelLanes(labels! + n * S + j, lanes: lanes, ignoreIndex: options.ignoreIndex)
            let ignored = y .< 0
            if options.fromLogits {
                softmaxLanes(x, stride: S, classes: C, lanes: lanes, into: p)
            } else {
                for c in 0..<C { p[c] = loadLanes(x + c * S, lanes) }
            }
            for c in 0..<C {
                let pc = zeroWhere(p[c], ignored)
                let t = SIMD8<T>.zero.replacing(with: 1, where: y .== T(c))
                acc[c] += pc
                acc[C + c] += t
                acc[2 * C + c] += (pc - t).magnitudeLanes
            }
            j += lanes
        }
        for k in 0..<(3 * C) { out[k] = acc[k].laneSum() }
    }

    @inlinable
    func maskSums(row r: Int, _ range: Range<Int>, into out: UnsafeMutablePointer<T>) {
        let x = input + r * spatial, m = mask! + r * spatial
        let ignoredValue = ignoredMaskValue
        var sp = SIMD8<T>.zero, st = SIMD8<T>.zero, sd = SIMD8<T>.zero
        var j = range.lowerBound
        while j < range.upperBound {
            let lanes = min(8, range.upperBound - j)
            let v = loadLanes(x + j, lanes), t0 = loadLanes(m + j, lanes)
            let ignored = (t0 .== ignoredValue) .| (.!firstLanes(lanes, of: T.self))
            let p = zeroWhere(options.fromLogits ? vsigmoid(v) : v, ignored)
            let t = zeroWhere(t0, ignored)
            sp += p
            st += t
            sd += (p - t).magnitudeLanes
            j += lanes
        }
        out[0] = sp.laneSum()
        out[1] = st.laneSum()
        out[2] = sd.laneSum()
    }

    // MARK: Scores

    /// The value of the loss and, per class, the coefficients of ∂L/∂p = A_c + B_c·sign(p − t).
    @inlinable
    func scores(_ sums: OverlapSums<T>) -> (value: Tensor<T>, a: [T], b: [T]) {
        let C = classes, w = options.weights, eps = options.eps, smooth = options.smooth
        var losses = [T](repeating: 0, count: C)
        // ∂ℓ_c/∂Σp and ∂ℓ_c/∂D.
        var dPredicted = [T](repeating: 0, count: C), dDifference = dPredicted
        var present = [Bool](repeating: false, count: C)
        for c in 0..<C {
            // smp zeroes the loss of a class without target pixels (and its gradient).
            guard sums.target[c] > 0 else { continue }
            present[c] = true
            let sp = sums.predicted[c], st = sums.target[c], d = sums.difference[c]
            let i = (sp + st - d) / 2
            let raw = i + w.alpha * (sp - i) + w.beta * (st - i) + smooth
            let den = Swift.max(raw, eps)
            let score = (i + smooth) / den
            // clamp_min passes the gradient where raw ≥ eps (PyTorch's convention).
            let passes: T = raw >= eps ? 1 : 0
            let dScoreDI = 1 / den - score / den * (1 - w.alpha - w.beta) * passes
            let dScoreDP = -score / den * w.alpha * passes
            let dLossDScore: T
            if options.logLoss {
                losses[c] = -T.log(Swift.max(score, eps))
                dLossDScore = score >= eps ? -1 / score : 0
            } else {
                losses[c] = 1 - score
                dLossDScore = -1
            }
            dPredicted[c] = dLossDScore * (dScoreDI / 2 + dScoreDP)
            dDifference[c] = dLossDScore * (-dScoreDI / 2)
        }
        // γ acts on the aggregate (smp's `loss.mean() ** gamma`); `none` raises each class.
        let gamma = w.gamma
        func power(_ x: T) -> T { gamma == 1 ? x : T.pow(x, gamma) }
        func powerDerivative(_ x: T) -> T { gamma == 1 ? 1 : gamma * T.pow(x, gamma - 1) }
        var factors = [T](repeating: 0, count: C)
        let value: Tensor<T>
        switch options.reduction {
        case .none:
            for c in 0..<C where present[c] { factors[c] = powerDerivative(losses[c]) }
            value = Tensor(uncheckedShape: [C], scalars: losses.map(power))
        default:
            var total: T = 0
            for l in losses { total += l }
            let count: T = options.reduction == .mean ? T(C) : 1
            let aggregate = total / count
            let f = powerDerivative(aggregate) / count
            for c in 0..<C where present[c] { factors[c] = f }
            value = Tensor(power(aggregate))
        }
        return (value, (0..<C).map { dPredicted[$0] * factors[$0] }, (0..<C).map { dDifference[$0] * factors[$0] })
    }

    // MARK: Pass 2

    /// Writes ∂L/∂input for every element: (A_c + B_c·sign(p − t)) through the softmax or sigmoid
    /// (or as is for probabilities), 0 at ignored positions.
    @inlinable
    func gradient(a: [T], b: [T], into g: UnsafeMutablePointer<T>) {
        let blocks = self.blocks
        a.withUnsafeBufferPointer { ab in
            b.withUnsafeBufferPointer { bb in
                let (ap, bp) = (base(ab), base(bb))
                let multiclass = labels != nil
                blocks.forEach(work: blocks.chunk * (multiclass ? classes : 1), scratchVectors: multiclass ? 2 * classes : 0) {
                    k, scratch in
                    let (o, range) = blocks.block(k)
                    if multiclass {
                        multiclassGradient(sample: o, range, a: ap, b: bp, into: g, scratch: scratch)
                    } else {
                        let c = o % classes
                        maskGradient(row: o, range, a: ap[c], b: bp[c], into: g)
                    }
                }
            }
        }
    }

    @inlinable
    func multiclassGradient(
        sample n: Int, _ range: Range<Int>, a: UnsafePointer<T>, b: UnsafePointer<T>, into g: UnsafeMutablePointer<T>,
        scratch p: UnsafeMutablePointer<SIMD8<T>>
    ) {
        let C = classes, S = spatial
        let dp = p + C
        var j = range.lowerBound
        while j < range.upperBound {
            let lanes = min(8, range.upperBound - j)
            let offset = n * C * S + j
            let y: SIMD8<T> = labelLanes(labels! + n * S + j, lanes: lanes, ignoreIndex: options.ignoreIndex)
            let ignored = y .< 0
            if options.fromLogits {
                softmaxLanes(input + offset, stride: S, classes: C, lanes: lanes, into: p)
            } else {
                for c in 0..<C { p[c] = loadLanes(input + offset + c * S, lanes) }
            }
            var dot = SIMD8<T>.zero
            for c in 0..<C {
                let t = SIMD8<T>.zero.replacing(with: 1, where: y .== T(c))
                let d = SIMD8(repeating: a[c]) + SIMD8(repeating: b[c]) * (p[c] - t).signLanes
                dp[c] = d
                dot += p[c] * d
            }
            for c in 0..<C {
                let d = options.fromLogits ? p[c] * (dp[c] - dot) : dp[c]
                storeLanes(zeroWhere(d, ignored), g + offset + c * S, lanes)
            }
            j += lanes
        }
    }

    @inlinable
    func maskGradient(row r: Int, _ range: Range<Int>, a: T, b: T, into g: UnsafeMutablePointer<T>) {
        let x = input + r * spatial, m = mask! + r * spatial, out = g + r * spatial
        let ignoredValue = ignoredMaskValue
        let av = SIMD8(repeating: a), bv = SIMD8(repeating: b)
        var j = range.lowerBound
        while j < range.upperBound {
            let lanes = min(8, range.upperBound - j)
            let v = loadLanes(x + j, lanes), t = loadLanes(m + j, lanes)
            let ignored = t .== ignoredValue
            var d: SIMD8<T>
            if options.fromLogits {
                let logistic = LogisticLanes(v)
                d = (av + bv * (logistic.sigmoid - t).signLanes) * (logistic.r * logistic.s)
            } else {
                d = av + bv * (v - t).signLanes
            }
            storeLanes(zeroWhere(d, ignored), out + j, lanes)
            j += lanes
        }
    }
}

/// Dice, jaccard and tversky end to end: validation, the sums pass, the scores, the gradient pass.
@inlinable
func overlapLoss<T: LossScalar, L: BinaryInteger>(
    _ input: Tensor<T>, _ target: DenseTarget<T, L>, _ mode: SegmentationMode, _ fromLogits: Bool, _ smooth: T, _ eps: T,
    _ ignoreIndex: Int?, _ logLoss: Bool, _ weights: OverlapWeights<T>, _ reduction: Reduction, _ wrt: Set<LossArgument>
) throws(LossError) -> LossResult<T> {
    let options = OverlapOptions(
        mode: mode, fromLogits: fromLogits, smooth: smooth, eps: eps, ignoreIndex: ignoreIndex, logLoss: logLoss,
        weights: weights, reduction: reduction)
    try options.validate()
    let (layout, target) = try denseLayout(input: input, target: target, mode: options.mode, ignoreIndex: options.ignoreIndex)
    func run(_ labels: UnsafePointer<L>?, _ mask: UnsafePointer<T>?) -> LossResult<T> {
        input.withUnsafeBufferPointer { xb in
            let kernel = OverlapKernel(layout: layout, options: options, input: base(xb), labels: labels, mask: mask)
            let (value, a, b) = kernel.scores(kernel.sums())
            var result = LossResult(value: value)
            if wrt.contains(.input) {
                let g = TensorBuffer<T>(uninitializedCount: input.count)
                kernel.gradient(a: a, b: b, into: g.base)
                result.gradients[.input] = Tensor(uncheckedShape: input.shape, scalars: g)
            }
            return result
        }
    }
    switch target {
    case .labels(let labels): return labels.withUnsafeBufferPointer { run(base($0), nil) }
    case .mask(let mask): return mask.withUnsafeBufferPointer { run(nil, base($0)) }
    }
}

// MARK: - Dice

/// Dice loss of dense predictions against a segmentation target with integer class indices
/// (smp's `DiceLoss`).
///
/// ```
/// p = softmax(input) along dim 1 (multiclass) | σ(input) (binary, multilabel) | input (fromLogits = false)
/// per class c, summed over batch and space (ignored positions count as p = t = 0):
///   I_c = (Σp + Σt − Σ|p − t|)/2  (= Σ min(p, t))
///   dice_c = (I_c + smooth) / max(Σp/2 + Σt/2 + smooth, eps)      (= 2I/(Σp + Σt) without smooth)
///   ℓ_c = 1 − dice_c,  or −log max(dice_c, eps) with logLoss;  ℓ_c = 0 when Σt = 0
/// loss = (1/C)·Σ_c ℓ_c (mean, default) | Σ_c ℓ_c (sum) | [ℓ_c] (none, shape [C])
/// ```
/// Shapes: `input` `[N, C, d1, ...]`; `target` `[N, d1, ...]` class indices in `0..<C` (or
/// `ignoreIndex`) for `.multiclass`. With `.binary` or `.multilabel` the integers are read as a
/// mask (see the mask overload).
///
/// Gradient: per element ∂L/∂p = A_c + B_c·sign(p − t) with
/// A_c = ∂L/∂Σp_c (through I and the denominator), B_c = −½·∂L/∂I_c; then through the softmax
/// (∂x_k = p_k·(g_k − Σ_j p_j g_j)) or the sigmoid (·σ(x)σ(−x)); 0 at ignored positions and for
/// classes without target pixels.
///
/// - Parameters:
///   - input: logits (or probabilities with `fromLogits: false`) `[N, C, d1, ...]`.
///   - target: class indices `[N, d1, ...]`.
///   - mode: `.multiclass` (default), `.binary` or `.multilabel`.
///   - fromLogits: apply softmax / sigmoid to `input` first (default true).
///   - smooth: added to numerator and denominator (default 0).
///   - eps: lower clamp of the denominator and, with `logLoss`, of the score (default 1e-7).
///   - ignoreIndex: target value whose positions are left out (default none).
///   - logLoss: use −log(dice) instead of 1 − dice.
///   - reduction: `.mean` (default, smp's value), `.sum`, or `.none` (per-class losses `[C]`).
///   - wrt: `[.input]` (default) or `[]`.
/// - Returns: the loss and ∂loss/∂input.
/// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` for an input of rank < 2 or an
///   empty class dimension; ``LossError/shapeMismatch(argument:expected:actual:)`` for a target
///   of the wrong shape; ``LossError/labelOutOfRange(argument:label:classCount:index:)``;
///   ``LossError/invalidOption(name:value:expected:)`` for a negative smooth or eps, or
///   `batchmean`.
///
/// Edge cases: a class without target pixels contributes 0 but still counts in the mean (smp);
/// an empty batch or an all-ignored target therefore gives 0 with a zero gradient (also with
/// eps = 0, where smp's 0·NaN gives NaN). +inf logits
/// share their class's probability (PyTorch: NaN). The gradient of |p − t| at p = t is 0 (the
/// sub-gradient PyTorch uses).
///
/// Matches `segmentation_models_pytorch.losses.DiceLoss` 0.6 (without `classes` and
/// `class_weights`).
///
/// ```swift
/// let x = try Tensor(shape: [1, 2, 2], scalars: [2, -1, 0, 1] as [Float])
/// let y = try Tensor(shape: [1, 2], scalars: [0, 1] as [Int32])
/// try diceLoss(input: x, target: y).scalar   // 0.11920292
/// ```
@inlinable
public func diceLoss<T: LossScalar, L: BinaryInteger>(
    input: Tensor<T>, target: Tensor<L>, mode: SegmentationMode = .multiclass, fromLogits: Bool = true,
    smooth: T = 0, eps: T = 1e-7, ignoreIndex: Int? = nil, logLoss: Bool = false, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try overlapLoss(input, .labels(target), mode, fromLogits, smooth, eps, ignoreIndex, logLoss, .dice, reduction, wrt)
}

/// Dice loss of dense predictions against a floating-point mask (binary and multilabel modes).
///
/// ```
/// p = σ(input) (or input with fromLogits = false); t the mask, with positions where
/// t = ignoreIndex left out; per class: dice_c = (I_c + smooth)/max(Σp/2 + Σt/2 + smooth, eps),
/// I_c = (Σp + Σt − Σ|p − t|)/2; ℓ_c = 1 − dice_c (or −log max(dice_c, eps)), 0 when Σt = 0
/// ```
/// Shapes: `.binary`: `input` `[N, 1, d1, ...]`, `target` `[N, 1, d1, ...]` or `[N, d1, ...]`;
/// `.multilabel`: `input` and `target` `[N, C, d1, ...]`. Soft targets in [0, 1] are allowed.
///
/// Gradient: ∂L/∂x = (A_c + B_c·sign(p − t))·σ(x)σ(−x), 0 where ignored (see the class-index
/// overload for A and B).
///
/// - Parameters: as the class-index overload; `mode` is `.binary` or `.multilabel`.
/// - Returns: the loss (0-d, or `[C]` for `none`) and ∂loss/∂input.
/// - Throws: as the class-index overload, and ``LossError/invalidOption(name:value:expected:)``
///   for `.multiclass` (which takes integer class indices).
///
/// Matches `segmentation_models_pytorch.losses.DiceLoss(mode="binary" | "multilabel")` 0.6.
///
/// ```swift
/// let x = try Tensor(shape: [1, 1, 2], scalars: [2, -1] as [Float])
/// let t = try Tensor(shape: [1, 1, 2], scalars: [1, 0] as [Float])
/// try diceLoss(input: x, target: t, mode: .binary).scalar   // 0.18055421
/// ```
@inlinable
public func diceLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, mode: SegmentationMode, fromLogits: Bool = true,
    smooth: T = 0, eps: T = 1e-7, ignoreIndex: Int? = nil, logLoss: Bool = false, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try overlapLoss(
        input, DenseTarget<T, Int>.mask(target), mode, fromLogits, smooth, eps, ignoreIndex, logLoss, .dice, reduction, wrt)
}

// MARK: - Jaccard

/// Jaccard (soft IoU) loss of dense predictions against integer class indices (smp's
/// `JaccardLoss`).
///
/// ```
/// per class c, summed over batch and space:  I_c = (Σp + Σt − Σ|p − t|)/2
///   iou_c = (I_c + smooth) / max(Σp + Σt − I_c + smooth, eps)      (union = Σp + Σt − I)
///   ℓ_c = 1 − iou_c,  or −log max(iou_c, eps) with logLoss;  ℓ_c = 0 when Σt = 0
/// loss = (1/C)·Σ_c ℓ_c (mean, default) | Σ_c ℓ_c (sum) | [ℓ_c] (none, shape [C])
/// ```
/// p as in `diceLoss(input:target:mode:fromLogits:smooth:eps:ignoreIndex:logLoss:reduction:wrt:)`.
/// Shapes: `input` `[N, C, d1, ...]`, `target` `[N, d1, ...]`.
///
/// Gradient: ∂L/∂p = A_c + B_c·sign(p − t) (A_c = ∂L/∂Σp_c, B_c = −½·∂L/∂I_c), then through
/// the softmax or sigmoid; 0 at ignored positions and for classes without target pixels.
///
/// - Parameters: as `diceLoss`.
/// - Returns: the loss and ∂loss/∂input.
/// - Throws: as `diceLoss`.
///
/// Edge cases as `diceLoss`: empty-target classes count as 0 in the mean; all ignored gives 0.
///
/// Matches `segmentation_models_pytorch.losses.JaccardLoss` 0.6 (the IoU loss).
///
/// ```swift
/// let x = try Tensor(shape: [1, 2, 2], scalars: [2, -1, 0, 1] as [Float])
/// let y = try Tensor(shape: [1, 2], scalars: [0, 1] as [Int32])
/// try jaccardLoss(input: x, target: y).scalar   // 0.21301396
/// ```
@inlinable
public func jaccardLoss<T: LossScalar, L: BinaryInteger>(
    input: Tensor<T>, target: Tensor<L>, mode: SegmentationMode = .multiclass, fromLogits: Bool = true,
    smooth: T = 0, eps: T = 1e-7, ignoreIndex: Int? = nil, logLoss: Bool = false, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try overlapLoss(input, .labels(target), mode, fromLogits, smooth, eps, ignoreIndex, logLoss, .jaccard, reduction, wrt)
}

/// Jaccard (soft IoU) loss of dense predictions against a floating-point mask (binary and
/// multilabel modes).
///
/// ```
/// iou_c = (I_c + smooth) / max(Σp + Σt − I_c + smooth, eps),  I_c = (Σp + Σt − Σ|p − t|)/2
/// ℓ_c = 1 − iou_c (or −log max(iou_c, eps)), 0 when Σt = 0; p = σ(input) or input
/// ```
/// Shapes: as the mask overload of `diceLoss`.
///
/// Gradient: ∂L/∂x = (A_c + B_c·sign(p − t))·σ(x)σ(−x) (or without the sigmoid factor for
/// probabilities), 0 where ignored.
///
/// - Parameters: as the mask overload of `diceLoss`.
/// - Returns: the loss and ∂loss/∂input.
/// - Throws: as the mask overload of `diceLoss`.
///
/// Matches `segmentation_models_pytorch.losses.JaccardLoss(mode="binary" | "multilabel")` 0.6.
///
/// ```swift
/// let x = try Tensor(shape: [1, 1, 2], scalars: [2, -1] as [Float])
/// let t = try Tensor(shape: [1, 1, 2], scalars: [1, 0] as [Float])
/// try jaccardLoss(input: x, target: t, mode: .binary).scalar   // 0.30588043
/// ```
@inlinable
public func jaccardLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, mode: SegmentationMode, fromLogits: Bool = true,
    smooth: T = 0, eps: T = 1e-7, ignoreIndex: Int? = nil, logLoss: Bool = false, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try overlapLoss(
        input, DenseTarget<T, Int>.mask(target), mode, fromLogits, smooth, eps, ignoreIndex, logLoss, .jaccard, reduction, wrt)
}

// MARK: - Tversky

/// Tversky loss of dense predictions against integer class indices (smp's `TverskyLoss`): the
/// overlap score with false positives weighted by α and false negatives by β, the aggregate
/// raised to γ (focal Tversky).
///
/// ```
/// per class c:  I_c = (Σp + Σt − Σ|p − t|)/2,  FP_c = Σp − I_c,  FN_c = Σt − I_c
///   tversky_c = (I_c + smooth) / max(I_c + α·FP_c + β·FN_c + smooth, eps)
///   ℓ_c = 1 − tversky_c,  or −log max(tversky_c, eps) with logLoss;  ℓ_c = 0 when Σt = 0
/// loss = ((1/C)·Σ_c ℓ_c)^γ (mean, default) | (Σ_c ℓ_c)^γ (sum) | [ℓ_c^γ] (none, shape [C])
/// ```
/// α = β = ½ is the dice loss, α = β = 1 the jaccard loss. γ acts on the aggregate as in smp,
/// so for γ ≠ 1 the `sum` is not the sum of the `none` elements (for one class all three agree).
/// Shapes: `input` `[N, C, d1, ...]`, `target` `[N, d1, ...]`.
///
/// Gradient: ∂L/∂p = A_c + B_c·sign(p − t) with A_c = ∂L/∂Σp_c, B_c = −½·∂L/∂I_c and
/// ∂L/∂ℓ_c = γ·aggregate^(γ−1)/count; then through the softmax or sigmoid; 0 at ignored
/// positions and for classes without target pixels.
///
/// - Parameters:
///   - input: logits (or probabilities with `fromLogits: false`) `[N, C, d1, ...]`.
///   - target: class indices `[N, d1, ...]`.
///   - mode: `.multiclass` (default), `.binary` or `.multilabel`.
///   - fromLogits: apply softmax / sigmoid to `input` first (default true).
///   - smooth: added to numerator and denominator (default 0).
///   - eps: lower clamp of the denominator and, with `logLoss`, of the score (default 1e-7).
///   - ignoreIndex: target value whose positions are left out (default none).
///   - logLoss: use −log(tversky) instead of 1 − tversky.
///   - alpha: weight of the false positives (≥ 0, default 0.5).
///   - beta: weight of the false negatives (≥ 0, default 0.5).
///   - gamma: exponent of the aggregate (> 0, default 1).
///   - reduction: `.mean` (default, smp's value), `.sum`, or `.none` (`[C]`); see above for γ.
///   - wrt: `[.input]` (default) or `[]`.
/// - Returns: the loss and ∂loss/∂input.
/// - Throws: as `diceLoss`; ``LossError/invalidOption(name:value:expected:)`` for a negative
///   alpha or beta or a gamma ≤ 0.
///
/// Edge cases as `diceLoss`. With γ < 1 and a zero loss the derivative of the power is infinite
/// (as in the reference).
///
/// Matches `segmentation_models_pytorch.losses.TverskyLoss` 0.6.
///
/// ```swift
/// let x = try Tensor(shape: [1, 2, 2], scalars: [2, -1, 0, 1] as [Float])
/// let y = try Tensor(shape: [1, 2], scalars: [0, 1] as [Int32])
/// try tverskyLoss(input: x, target: y, alpha: 0.3, beta: 0.7, gamma: 2).scalar   // 0.014209337
/// ```
@inlinable
public func tverskyLoss<T: LossScalar, L: BinaryInteger>(
    input: Tensor<T>, target: Tensor<L>, mode: SegmentationMode = .multiclass, fromLogits: Bool = true,
    smooth: T = 0, eps: T = 1e-7, ignoreIndex: Int? = nil, logLoss: Bool = false,
    alpha: T = 0.5, beta: T = 0.5, gamma: T = 1, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try overlapLoss(
        input, .labels(target), mode, fromLogits, smooth, eps, ignoreIndex, logLoss,
        OverlapWeights(alpha: alpha, beta: beta, gamma: gamma), reduction, wrt)
}

/// Tversky loss of dense predictions against a floating-point mask (binary and multilabel modes).
///
/// ```
/// tversky_c = (I_c + smooth) / max(I_c + α·FP_c + β·FN_c + smooth, eps)
/// ℓ_c = 1 − tversky_c (or −log max(tversky_c, eps)), 0 when Σt = 0
/// loss = (mean_c ℓ_c)^γ | (Σ_c ℓ_c)^γ | [ℓ_c^γ]
/// ```
/// Shapes: as the mask overload of `diceLoss`.
///
/// Gradient: ∂L/∂x = (A_c + B_c·sign(p − t))·σ(x)σ(−x) (without the sigmoid factor for
/// probabilities), 0 where ignored.
///
/// - Parameters: as the class-index overload; `mode` is `.binary` or `.multilabel`.
/// - Returns: the loss and ∂loss/∂input.
/// - Throws: as the class-index overload.
///
/// Matches `segmentation_models_pytorch.losses.TverskyLoss(mode="binary" | "multilabel")` 0.6.
///
/// ```swift
/// let x = try Tensor(shape: [1, 1, 2], scalars: [2, -1] as [Float])
/// let t = try Tensor(shape: [1, 1, 2], scalars: [1, 0] as [Float])
/// try tverskyLoss(input: x, target: t, mode: .binary, alpha: 0.7, beta: 0.3).scalar   // 0.2027665
/// ```
@inlinable
public func tverskyLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, mode: SegmentationMode, fromLogits: Bool = true,
    smooth: T = 0, eps: T = 1e-7, ignoreIndex: Int? = nil, logLoss: Bool = false,
    alpha: T = 0.5, beta: T = 0.5, gamma: T = 1, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try overlapLoss(
        input, DenseTarget<T, Int>.mask(target), mode, fromLogits, smooth, eps, ignoreIndex, logLoss,
        OverlapWeights(alpha: alpha, beta: beta, gamma: gamma), reduction, wrt)
}
