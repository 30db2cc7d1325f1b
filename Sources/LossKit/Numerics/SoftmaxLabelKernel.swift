import RealModule
// The fused softmax row kernel for class-index targets, shared by the classification losses
// (cross-entropy, nll, focal, poly-1) and distillation: one pass per row computes the shifted
// exponentials, the loss terms and the gradient.

// MARK: - The softmax kernel for class-index targets

/// What the softmax over one position's classes says about its target class `y`, handed to a
/// loss's per-row terms. `log p` comes from log-softmax, never from log(softmax).
@usableFromInline
struct LabelRow<T: LossScalar> {
    /// The target class y.
    @usableFromInline var label: Int
    /// w_y (1 without class weights).
    @usableFromInline var weight: T
    /// log p_y.
    @usableFromInline var logProbability: T
    /// p_y.
    @usableFromInline var probability: T
    /// 1 − p_y; accurate near p_y = 1 (as Σ_{c≠y} p_c) when the kernel was asked for it.
    @usableFromInline var complement: T
    /// Σ_c w_c·log p_c (Σ_c log p_c without weights), when the kernel was asked for it.
    @usableFromInline var weightedLogProbabilitySum: T

    @inlinable
    init(label: Int, weight: T, logProbability: T, probability: T, complement: T, weightedLogProbabilitySum: T) {
        self.label = label; self.weight = weight; self.logProbability = logProbability
        self.probability = probability; self.complement = complement
        self.weightedLogProbabilitySum = weightedLogProbabilitySum
    }
}

/// A row's loss and the coefficients of its gradient with respect to the logits:
///
/// ```
/// ∂ℓ/∂x_j = probabilityCoefficient·p_j − targetCoefficient·[j = y] − uniformCoefficient·w_j
/// ```
/// (w_j = 1 without class weights). Every softmax loss with a class-index target has this form.
/// `targetDerivative`, when given, replaces the formula at j = y: a loss that knows 1 − p_y
/// accurately avoids the cancellation of a·p_y − b as p_y → 1.
@usableFromInline
struct LabelRowTerms<T: LossScalar> {
    @usableFromInline var loss: T
    @usableFromInline var probabilityCoefficient: T
    @usableFromInline var targetCoefficient: T
    @usableFromInline var uniformCoefficient: T
    @usableFromInline var targetDerivative: T?

    @inlinable
    init(loss: T, probabilityCoefficient: T, targetCoefficient: T, uniformCoefficient: T = 0, targetDerivative: T? = nil) {
        self.loss = loss; self.probabilityCoefficient = probabilityCoefficient
        self.targetCoefficient = targetCoefficient; self.uniformCoefficient = uniformCoefficient
        self.targetDerivative = targetDerivative
    }

    /// ∂ℓ/∂x_y·scale, given the value the generic formula left at y.
    @inlinable @inline(__always)
    func targetGradient(replacing generic: T, scale: T) -> T {
        targetDerivative.map { $0 * scale } ?? generic - targetCoefficient * scale
    }
}

/// The one fused softmax kernel behind cross-entropy, focal, poly-1 and the label term of
/// distillation: per position it finds the maximum, the sum of exponentials (storing each
/// exponential in the gradient row when a gradient is wanted) and the target's log-probability,
/// asks the loss for its terms, then turns the stored exponentials into the gradient in place.
/// Probabilities and log-probabilities are never stored separately.
///
/// Non-finite rows take a scalar path with the limits: a +inf logit gets all the probability
/// (shared among several +inf), −inf logits get none, and a row that is NaN or entirely −inf
/// gives NaN.
@usableFromInline
struct SoftmaxLabelKernel<T: LossScalar> {
    @usableFromInline let classes: Int
    @usableFromInline let weights: UnsafePointer<T>?
    /// Σ_c w_c (C without weights).
    @usableFromInline let weightTotal: T
    /// Whether rows need Σ_c w_c log p_c (label smoothing).
    @usableFromInline let needsLogProbabilitySum: Bool
    /// Whether rows need 1 − p_y accurately (focal).
    @usableFromInline let needsComplement: Bool

    @inlinable
    init(classes: Int, weights: UnsafePointer<T>?, needsLogProbabilitySum: Bool = false, needsComplement: Bool = false) {
        self.classes = classes
        self.weights = weights
        var total: T = 0
        if let w = weights { for c in 0..<classes { total += w[c] } } else { total = T(classes) }
        self.weightTotal = total
        self.needsLogProbabilitySum = needsLogProbabilitySum
        self.needsComplement = needsComplement
    }

    @inlinable @inline(__always)
    func weight(_ c: Int) -> T { weights.map { $0[c] } ?? 1 }

    /// The loss's terms for one position from its softmax sums: S = Σ e^(x−m) (`expSum`), the
    /// target's x_y − m, and D = Σ w·(x − m) (label smoothing). `others` returns Σ_{c≠y} e^(x_c − m);
    /// it is summed only where the loss needs 1 − p_y and p_y > ½: summed directly, 1 − p_y keeps
    /// its relative precision where 1 − p would cancel, and log p_y = −log1p(others / e_y) likewise.
    @inlinable @inline(__always)
    func rowTerms(
        label y: Int, expSum s: T, shiftedTarget dy: T, weightedShiftSum d: T,
        terms: (LabelRow<T>) -> LabelRowTerms<T>, others: () -> T
    ) -> LabelRowTerms<T> {
        let logS = T.log(s)
        let ey = T.exp(dy)
        var logP = dy - logS
        let p = ey / s
        var complement = 1 - p
        if needsComplement && p > 0.5 {
            let o = others()
            complement = o / s
            logP = -T.log(onePlus: o / ey)
        }
        return terms(LabelRow(
            label: y, weight: weight(y), logProbability: logP, probability: p, complement: complement,
            weightedLogProbabilitySum: d - weightTotal * logS))
    }

    // MARK: Contiguous rows

    /// One contiguous row with a (non-ignored) label; returns the row's loss. `gradient`, when
    /// given, receives ∂ℓ/∂x·scale for the row's C elements.
    @inlinable
    func contiguousRow(
        _ x: UnsafePointer<T>, label y: Int, scale: T, gradient g: UnsafeMutablePointer<T>?,
        terms: (LabelRow<T>) -> LabelRowTerms<T>
    ) -> T {
        let n = classes
        let m = rowMax(x, n)
        guard m.isFinite else { return stridedRow(x, stride: 1, label: y, scale: scale, gradient: g, terms: terms) }
        // Pass 2: S = Σ e^(x−m), each e^(x−m) stored in the gradient row when there is one;
        // D = Σ w·(x − m) when label smoothing needs it.
        var s: T, d: T = 0
        if needsLogProbabilitySum {
            (s, d) = shiftedExpSums(x, n, shift: m, weights: weights, store: g)
        } else if let g {
            s = expSumStoring(x, n, shift: m, into: g)
        } else {
            s = rowSumExp(x, n, shift: m)
        }
        let t = rowTerms(label: y, expSum: s, shiftedTarget: x[y] - m, weightedShiftSum: d, terms: terms) {
            rowSumExp(x, y, shift: m) + rowSumExp(x + y + 1, n - y - 1, shift: m)
        }
        if let g {
            // Pass 3: g_j = e_j·(a/S) − c·w_j in place, then the target's −b.
            scaleRowSubtractingWeights(g, n, by: t.probabilityCoefficient * scale / s, minus: t.uniformCoefficient * scale, weights: weights)
            g[y] = t.targetGradient(replacing: g[y], scale: scale)
        }
        return t.loss
    }

    // MARK: Any stride, any values

    /// One position whose C logits are `stride` apart, handling ±inf and NaN by their limits.
    @inlinable
    func stridedRow(
        _ x: UnsafePointer<T>, stride: Int, label y: Int, scale: T, gradient g: UnsafeMutablePointer<T>?,
        terms: (LabelRow<T>) -> LabelRowTerms<T>
    ) -> T {
        let n = classes
        guard let m = finiteRowShift(x, n, stride: stride, nanFilling: g) else { return .nan }
        // x − m with the limit 0 for x = m = +inf (that logit takes the probability mass).
        @inline(__always) func shifted(_ v: T) -> T { v == m ? 0 : v - m }
        var s: T = 0, d: T = 0
        for c in 0..<n {
            let sc = shifted(x[c * stride])
            s += T.exp(sc)
            if needsLogProbabilitySum {
                let w = weight(c)
                if w != 0 { d += w * sc }  // a zero weight contributes 0 even where log p = −inf
            }
        }
        let t = rowTerms(label: y, expSum: s, shiftedTarget: shifted(x[y * stride]), weightedShiftSum: d, terms: terms) {
            var others: T = 0
            for c in 0..<n where c != y { others += T.exp(shifted(x[c * stride])) }
            return others
        }
        if let g {
            let a = t.probabilityCoefficient * scale / s, u = t.uniformCoefficient * scale
            for c in 0..<n {
                let e = T.exp(shifted(x[c * stride]))
                g[c * stride] = u == 0 ? e * a : e * a - u * weight(c)
            }
            g[y * stride] = t.targetGradient(replacing: g[y * stride], scale: scale)
        }
        return t.loss
    }

    // MARK: Eight positions at once (K-dimensional inputs)

    /// Eight neighbouring positions of one sample, vectorized across the positions: `x` points at
    /// class 0 of the first, classes are `stride` apart. Writes the eight losses to `losses` (when
    /// given) and returns their sum. Chunks with a non-finite value fall back to ``stridedRow``.
    @inlinable
    func chunk<L: BinaryInteger>(
        _ x: UnsafePointer<T>, stride: Int, labels: UnsafePointer<L>, ignoreIndex: Int, scale: T,
        losses: UnsafeMutablePointer<T>?, gradient g: UnsafeMutablePointer<T>?,
        terms: (LabelRow<T>) -> LabelRowTerms<T>
    ) -> T {
        let n = classes
        var m = SIMD8<T>(repeating: -.infinity)
        for c in 0..<n { m = m.lanesMax(load8(x + c * stride)) }
        // ±inf maxima take the scalar path; NaN logits reach the losses through exp.
        if !all(m.magnitudeLanes .< .infinity) {
            var total: T = 0
            for k in 0..<8 {
                let l = position(x + k, stride: stride, label: labels[k], ignoreIndex: ignoreIndex, scale: scale,
                                 gradient: g.map { $0 + k }, terms: terms)
                losses?[k] = l
                total += l
            }
            return total
        }
        var s = SIMD8<T>.zero, d = SIMD8<T>.zero
        for c in 0..<n {
            let v = load8(x + c * stride)
            let e = T.vexp(v - m)
            s += e
            if let g { store8(e, g + c * stride) }
            if needsLogProbabilitySum {
                let w = weight(c)
                if w != 0 { d += w * (v - m) }
            }
        }
        var a = SIMD8<T>.zero, u = SIMD8<T>.zero
        var total: T = 0
        // Per lane: the term subtracted at y, or the loss's own derivative there (bit set in `overrides`).
        var targetTerms = SIMD8<T>.zero
        var active: UInt8 = 0, overrides: UInt8 = 0
        for k in 0..<8 {
            let y = Int(truncatingIfNeeded: labels[k])
            if y == ignoreIndex { losses?[k] = 0; continue }
            let sk = s[k], mk = m[k]
            let t = rowTerms(label: y, expSum: sk, shiftedTarget: x[y * stride + k] - mk, weightedShiftSum: d[k], terms: terms) {
                var others: T = 0
                for c in 0..<n where c != y { others += T.exp(x[c * stride + k] - mk) }
                return others
            }
            losses?[k] = t.loss
            total += t.loss
            a[k] = t.probabilityCoefficient * scale / sk
            u[k] = t.uniformCoefficient * scale
            active |= 1 << k
            if let td = t.targetDerivative {
                overrides |= 1 << k
                targetTerms[k] = td * scale
            } else {
                targetTerms[k] = t.targetCoefficient * scale
            }
        }
        if let g {
            // Ignored lanes have a = u = 0 and stored exponentials in [0, 1]: they get exact zeros.
            for c in 0..<n {
                let p = g + c * stride
                store8(load8(p) * a - u * weight(c), p)
            }
            for k in 0..<8 where active & (1 << k) != 0 {
                let at = Int(truncatingIfNeeded: labels[k]) * stride + k
                g[at] = overrides & (1 << k) != 0 ? targetTerms[k] : g[at] - targetTerms[k]
            }
        }
        return total
    }

    /// One position with its raw label: zero loss and gradient when ignored.
    @inlinable
    func position<L: BinaryInteger>(
        _ x: UnsafePointer<T>, stride: Int, label: L, ignoreIndex: Int, scale: T,
        gradient g: UnsafeMutablePointer<T>?, terms: (LabelRow<T>) -> LabelRowTerms<T>
    ) -> T {
        let y = Int(truncatingIfNeeded: label)
        if y == ignoreIndex {
            if let g { for c in 0..<classes { g[c * stride] = 0 } }
            return 0
        }
        return stride == 1
            ? contiguousRow(x, label: y, scale: scale, gradient: g, terms: terms)
            : stridedRow(x, stride: stride, label: y, scale: scale, gradient: g, terms: terms)
    }

    // MARK: Driver

    /// Runs the kernel over every position of `layout`, split over threads, writing the per-position
    /// losses and the gradient (times `scale`) where given; returns the sum of the losses.
    @inlinable
    func run<L: BinaryInteger>(
        _ layout: ClassLayout, input: UnsafePointer<T>, labels: UnsafePointer<L>, ignoreIndex: Int, scale: T,
        losses: UnsafeMutablePointer<T>?, gradient: UnsafeMutablePointer<T>?,
        terms: (LabelRow<T>) -> LabelRowTerms<T>
    ) -> T {
        let n = classes, inner = layout.inner
        if inner == 1 {
            return blockedSum(count: layout.batch, blockSize: rowsPerBlock(rowLength: n)) { rows in
                var total: T = 0
                for i in rows {
                    let l = position(input + i * n, stride: 1, label: labels[i], ignoreIndex: ignoreIndex, scale: scale,
                                     gradient: gradient.map { $0 + i * n }, terms: terms)
                    losses?[i] = l
                    total += l
                }
                return total
            }
        }
        // K-dimensional: per sample, ⌊inner/8⌋ vectorized chunks, then the remaining positions one by one.
        let chunks = inner / 8
        let units = chunks + inner % 8
        return blockedSum(count: layout.batch * units, blockSize: max(1, Parallelism.grain / (8 * n))) { range in
            var total: T = 0
            for unit in range {
                let (sample, r) = unit.quotientAndRemainder(dividingBy: units)
                let j = r < chunks ? 8 * r : 8 * chunks + (r - chunks)
                let offset = sample * n * inner + j, labelOffset = sample * inner + j
                if r < chunks {
                    total += chunk(input + offset, stride: inner, labels: labels + labelOffset, ignoreIndex: ignoreIndex,
                                   scale: scale, losses: losses.map { $0 + labelOffset },
                                   gradient: gradient.map { $0 + offset }, terms: terms)
                } else {
                    let l = position(input + offset, stride: inner, label: labels[labelOffset], ignoreIndex: ignoreIndex,
                                     scale: scale, gradient: gradient.map { $0 + offset }, terms: terms)
                    losses?[labelOffset] = l
                    total += l
                }
            }
            return total
        }
    }
}

/// Evaluates a softmax loss with class-index targets end to end: allocates the outputs, runs
/// ``SoftmaxLabelKernel`` and packages the reduced value and the input gradient.
///
/// - Parameter denominator: what `mean` divides by.
@inlinable
func evaluateSoftmaxLabelLoss<T: LossScalar, L: BinaryInteger>(
    input: Tensor<T>, target: Tensor<L>, layout: ClassLayout, weights: Tensor<T>?, ignoreIndex: Int,
    reduction: Reduction, denominator: T, wantsGradient: Bool,
    needsLogProbabilitySum: Bool = false, needsComplement: Bool = false,
    terms: (LabelRow<T>) -> LabelRowTerms<T>
) -> LossResult<T> {
    let plan = ReductionPlan<T>(reduction, denominator: denominator)
    let scale = plan.gradientScale
    var sum: T = 0
    let out = withLossOutputs(
        positions: layout.positions, wantsLosses: reduction == .none,
        gradientCount: input.count, wantsGradient: wantsGradient
    ) { (losses: UnsafeMutablePointer<T>?, gradient: UnsafeMutablePointer<T>?) in
        input.withUnsafeBufferPointer { xb in
            target.withUnsafeBufferPointer { yb in
                withOptionalPointer(weights) { w in
                    let kernel = SoftmaxLabelKernel<T>(
                        classes: layout.classes, weights: w,
                        needsLogProbabilitySum: needsLogProbabilitySum, needsComplement: needsComplement)
                    sum = kernel.run(layout, input: base(xb), labels: base(yb), ignoreIndex: ignoreIndex, scale: scale,
                                     losses: losses, gradient: gradient, terms: terms)
                }
            }
        }
    }
    var result = LossResult<T>(
        value: out.losses.map { Tensor(uncheckedShape: layout.targetShape, scalars: $0) } ?? Tensor(plan.value(fromSum: sum)))
    if let g = out.gradient { result.gradients[.input] = Tensor(uncheckedShape: input.shape, scalars: g) }
    return result
}

// MARK: - Row loops

/// The maximum of one position's `n` logits `stride` apart (+inf when one is +inf), or nil for a
/// row that is NaN or entirely −inf, after filling the given gradients' row with NaN.
@inlinable
func finiteRowShift<T: LossScalar>(
    _ x: UnsafePointer<T>, _ n: Int, stride: Int,
    nanFilling g0: UnsafeMutablePointer<T>?, _ g1: UnsafeMutablePointer<T>? = nil
) -> T? {
    let m = stridedMax(x, n, stride: stride)
    if m > -.infinity { return m }
    for c in 0..<n { g0?[c * stride] = .nan; g1?[c * stride] = .nan }
    return nil
}

/// Σ e^(x−shift) over a contiguous row, storing every e^(x−shift) in `out`.
@inlinable
func expSumStoring<T: LossScalar>(_ p: UnsafePointer<T>, _ n: Int, shift: T, into out: UnsafeMutablePointer<T>) -> T {
    var acc = SIMD8<T>.zero
    let m = SIMD8<T>(repeating: shift)
    var i = 0
    while i + 8 <= n {
        let e = T.vexp(load8(p + i) - m)
        store8(e, out + i)
        acc += e
        i += 8
    }
    if i < n {
        let e = T.vexp(loadPartial(p + i, n - i, pad: -.infinity) - m)
        storePartial(e, out + i, n - i)
        acc += e
    }
    return acc.laneSum()
}

/// Σ e^(x−shift) and Σ w·(x − shift) (zero weights skipped) over a contiguous row, storing the
/// exponentials in `store` when given.
@inlinable
func shiftedExpSums<T: LossScalar>(
    _ p: UnsafePointer<T>, _ n: Int, shift: T, weights: UnsafePointer<T>?, store: UnsafeMutablePointer<T>?
) -> (T, T) {
    var acc = SIMD8<T>.zero, dacc = SIMD8<T>.zero
    let m = SIMD8<T>(repeating: shift)
    var i = 0
    while i < n {
        let k = min(8, n - i)
        let v = k == 8 ? load8(p + i) : loadPartial(p + i, k, pad: -.infinity)
        let e = T.vexp(v - m)
        if let store { if k == 8 { store8(e, store + i) } else { storePartial(e, store + i, k) } }
        acc += e
        var d = v - m
        if let w = weights {
            let wv = k == 8 ? load8(w + i) : loadPartial(w + i, k, pad: 0)
            d = zeroWhere(wv * d, wv .== 0)
        } else if k < 8 {
            d = d.keepingFirstLanes(k)
        }
        dacc += d
        i += k
    }
    return (acc.laneSum(), dacc.laneSum())
}

/// g ← g·a − u·w (or − u without weights) over a contiguous row.
@inlinable
func scaleRowSubtractingWeights<T: LossScalar>(_ g: UnsafeMutablePointer<T>, _ n: Int, by a: T, minus u: T, weights: UnsafePointer<T>?) {
    let av = SIMD8<T>(repeating: a), uv = SIMD8<T>(repeating: u)
    var i = 0
    if let w = weights, u != 0 {
        while i + 8 <= n { store8(load8(g + i) * av - uv * load8(w + i), g + i); i += 8 }
        while i < n { g[i] = g[i] * a - u * w[i]; i += 1 }
    } else {
        while i + 8 <= n { store8(load8(g + i) * av - uv, g + i); i += 8 }
        while i < n { g[i] = g[i] * a - u; i += 1 }
    }
}
