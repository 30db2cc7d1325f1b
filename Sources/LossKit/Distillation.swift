import RealModule
// Family C of LOSSES.md: knowledge distillation (Hinton et al. 2015).

/// Knowledge-distillation loss: the temperature-softened KL divergence from the teacher to the
/// student, blended with cross-entropy on the true labels.
///
/// ```
/// p^T = softmax(input/T)      q^T = softmax(target/T)      (student, teacher; per row)
/// ℓᵢ = α·T²·KL(q^T ‖ p^T) + (1 − α)·CE(inputᵢ, labelsᵢ)
///    = α·T²·Σ_c q^T_c·(log q^T_c − log p^T_c) + (1 − α)·(−log softmax(inputᵢ)_y)
/// batchmean = mean = Σᵢ ℓᵢ / N | sum = Σᵢ ℓᵢ | none = ℓ, shape [N]
/// ```
/// The T² keeps the soft term's gradient on the scale of the hard term's as T changes.
/// `mean` is defined as `batchmean` (KL summed over classes, divided by N; the cross-entropy term
/// is then PyTorch's default `mean` over N), which is the KL divergence proper;
/// a per-element mean over N·C would shrink the soft term by C.
///
/// Gradient (only the student logits are differentiable; the teacher is a given target):
/// ```
/// ∂ℓᵢ/∂input_c = α·T·(p^T_c − q^T_c) + (1 − α)·(softmax(inputᵢ)_c − [c = y])
/// ```
/// divided by N for `batchmean`/`mean`.
///
/// - Parameters:
///   - input: student logits `[N, C]`.
///   - target: teacher logits `[N, C]` (not differentiated).
///   - labels: class indices `[N]` in `0..<C`; required when α < 1 (checked but unused when α = 1).
///   - temperature: T > 0 (default 1).
///   - alpha: α ∈ [0, 1], the weight of the distillation term (default 1).
///   - reduction: `.batchmean` (default), `.mean` (the same), `.sum` or `.none`.
///   - wrt: `[.input]` (default) or `[]`.
/// - Returns: the loss and, if requested, ∂loss/∂input.
/// - Throws: ``LossError/missingArgument(name:reason:)`` when α < 1 and `labels` is nil;
///   ``LossError/invalidOption(name:value:expected:)`` for T ≤ 0 (or not finite) and α outside
///   [0, 1]; ``LossError/invalidShape(argument:shape:reason:)`` unless `input` is `[N, C]` with
///   C ≥ 1; ``LossError/shapeMismatch(argument:expected:actual:)`` for `target` or `labels`;
///   ``LossError/labelOutOfRange(argument:label:classCount:index:)``.
///
/// Edge cases: a term whose weight is 0 is not computed (α = 1 ignores `labels`, α = 0 ignores
/// `target`). Teacher classes of probability 0 contribute 0 (0·log 0 = 0), also when the student
/// gives them probability 0; a student probability of 0 where the teacher's is positive gives
/// +inf. Logits of ±inf follow the limits of
/// ``crossEntropy(input:target:weight:ignoreIndex:labelSmoothing:reduction:wrt:)``. The `mean`
/// of an empty batch is NaN.
///
/// Reference: `α·T²·F.kl_div(F.log_softmax(input/T, 1), F.softmax(target/T, 1),
/// reduction="batchmean") + (1 − α)·F.cross_entropy(input, labels)` in PyTorch.
///
/// ```swift
/// let s = try Tensor(shape: [1, 3], scalars: [2, 1, 0] as [Double])
/// let t = try Tensor(shape: [1, 3], scalars: [0, 1, 2] as [Double])
/// let r = try distillationLoss(input: s, target: t, labels: Tensor([0] as [Int]), temperature: 2, alpha: 0.5)
/// r.scalar              // 0.844116317881803
/// r.gradients[.input]   // [0.15278, 0.12236, -0.27514]
/// ```
@inlinable
public func distillationLoss<T: LossScalar, L: BinaryInteger>(
    input: Tensor<T>, target: Tensor<T>, labels: Tensor<L>?, temperature: T = 1, alpha: T = 1,
    reduction: Reduction = .batchmean, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate(allowed: [.none, .mean, .sum, .batchmean])
    try checkOption("temperature", temperature, expected: "a finite number > 0") { $0 > 0 && $0.isFinite }
    try checkOption("alpha", alpha, expected: "a number in [0, 1]") { $0 >= 0 && $0 <= 1 }
    try checkRank("input", input.shape, in: 2...2)
    let (n, c) = (input.shape[0], input.shape[1])
    guard c > 0 else { throw LossError.invalidShape(argument: "input", shape: input.shape, reason: "the class dimension is empty") }
    try checkShape("target", target.shape, equals: input.shape)
    let usesLabels = alpha < 1
    if let labels {
        try checkShape("labels", labels.shape, equals: [n])
        try checkLabels("labels", labels, classCount: c, ignoreIndex: nil)
    } else if usesLabels {
        throw LossError.missingArgument(name: "labels", reason: "required when alpha < 1 (alpha = \(alpha))")
    }
    let plan = ReductionPlan<T>(reduction, count: n, batchSize: n)
    let scale = plan.gradientScale
    let kernel = DistillationKernel(classes: c, temperature: temperature, alpha: alpha)
    var sum: T = 0
    let out = withLossOutputs(
        positions: n, wantsLosses: reduction == .none, gradientCount: input.count, wantsGradient: wrt.contains(.input)
    ) { (losses: UnsafeMutablePointer<T>?, gradient: UnsafeMutablePointer<T>?) in
        input.withUnsafeBufferPointer { xb in
            target.withUnsafeBufferPointer { tb in
                let body = { (labels: UnsafePointer<L>?) in
                    sum = blockedSum(count: n, blockSize: rowsPerBlock(rowLength: c)) { rows in
                        var total: T = 0
                        for i in rows {
                            let l = kernel.row(
                                base(xb) + i * c, teacher: base(tb) + i * c,
                                label: usesLabels ? labels.map { Int(truncatingIfNeeded: $0[i]) } : nil,
                                scale: scale, gradient: gradient.map { $0 + i * c })
                            losses?[i] = l
                            total += l
                        }
                        return total
                    }
                }
                if let labels { labels.withUnsafeBufferPointer { body(base($0)) } } else { body(nil) }
            }
        }
    }
    var result = LossResult<T>(
        value: out.losses.map { Tensor(uncheckedShape: [n], scalars: $0) } ?? Tensor(plan.value(fromSum: sum)))
    if let g = out.gradient { result.gradients[.input] = Tensor(uncheckedShape: input.shape, scalars: g) }
    return result
}

/// ``distillationLoss(input:target:labels:temperature:alpha:reduction:wrt:)`` without labels
/// (pure distillation; α must be 1).
@inlinable
public func distillationLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, temperature: T = 1, alpha: T = 1,
    reduction: Reduction = .batchmean, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try distillationLoss(
        input: input, target: target, labels: Tensor<Int>?.none, temperature: temperature, alpha: alpha,
        reduction: reduction, wrt: wrt)
}

/// One row of the distillation loss: the label term through the cross-entropy row kernel, then
/// one pass for the two tempered softmaxes and the KL divergence, then the gradient pass.
@usableFromInline
struct DistillationKernel<T: LossScalar> {
    @usableFromInline let classes: Int
    @usableFromInline let inverseTemperature: T
    @usableFromInline let temperature: T
    @usableFromInline let alpha: T

    @inlinable
    init(classes: Int, temperature: T, alpha: T) {
        self.classes = classes; self.temperature = temperature
        self.inverseTemperature = 1 / temperature; self.alpha = alpha
    }

    /// Returns ℓᵢ and writes ∂ℓᵢ/∂input·scale to `gradient` when given. `label` is nil when the
    /// label term is not used (α = 1).
    @inlinable
    func row(
        _ x: UnsafePointer<T>, teacher t: UnsafePointer<T>, label: Int?, scale: T, gradient g: UnsafeMutablePointer<T>?
    ) -> T {
        let n = classes
        var loss: T = 0
        var accumulate = false
        if let y = label {
            // The hard term (1 − α)·CE: the cross-entropy row kernel writes its gradient first.
            let ce = SoftmaxLabelKernel<T>(classes: n, weights: nil)
                .contiguousRow(x, label: y, scale: (1 - alpha) * scale, gradient: g, terms: crossEntropyTerms)
            loss = (1 - alpha) * ce
            accumulate = true
        }
        guard alpha > 0 else { return loss }

        // The soft term. With m the row maxima (monotone under division by T > 0), shifted values
        // x/T − m/T use the limit 0 where both are +inf, so +inf logits take the probability mass.
        let ms = rowMax(x, n) * inverseTemperature, mt = rowMax(t, n) * inverseTemperature
        if ms == -.infinity || mt == -.infinity {
            if let g { for c in 0..<n { g[c] = .nan } }
            return .nan
        }
        let it = SIMD8<T>(repeating: inverseTemperature)
        let msv = SIMD8<T>(repeating: ms), mtv = SIMD8<T>(repeating: mt)
        @inline(__always) func shifted(_ v: SIMD8<T>, _ m: SIMD8<T>) -> SIMD8<T> {
            let s = v * it
            return zeroWhere(s - m, s .== m)
        }
        @inline(__always) func lanes(_ p: UnsafePointer<T>, _ i: Int, _ k: Int) -> SIMD8<T> {
            k == 8 ? load8(p + i) : loadPartial(p + i, k, pad: -.infinity)
        }
        var ss = SIMD8<T>.zero, st = SIMD8<T>.zero, cross = SIMD8<T>.zero
        var i = 0
        while i < n {
            let k = min(8, n - i)
            let ds = shifted(lanes(x, i, k), msv), dt = shifted(lanes(t, i, k), mtv)
            let es = T.vexp(ds), et = T.vexp(dt)
            ss += es
            st += et
            // q·(log q − log p) up to the normalizers; zero where the teacher's probability is 0.
            cross += zeroWhere(et * (dt - ds), et .== 0)
            i += k
        }
        let sumS = ss.laneSum(), sumT = st.laneSum()
        let kl = cross.laneSum() / sumT - T.log(sumT) + T.log(sumS)
        loss += alpha * temperature * temperature * kl
        if let g {
            // α·T·(p − q)·scale, added to the hard term's gradient.
            let f = alpha * temperature * scale
            let a = SIMD8<T>(repeating: f / sumS), b = SIMD8<T>(repeating: f / sumT)
            var i = 0
            while i < n {
                let k = min(8, n - i)
                var v = T.vexp(shifted(lanes(x, i, k), msv)) * a - T.vexp(shifted(lanes(t, i, k), mtv)) * b
                if accumulate { v += k == 8 ? load8(g + i) : loadPartial(g + i, k, pad: 0) }
                if k == 8 { store8(v, g + i) } else { storePartial(v, g + i, k) }
                i += k
            }
        }
        return loss
    }
}
