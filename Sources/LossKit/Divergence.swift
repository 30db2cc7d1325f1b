import RealModule
// Family C of LOSSES.md: divergences between distributions (KL, Jensen–Shannon) and the VAE
// latent regularizer. (`distillation` lives with its own family file.)
//
// Conventions shared by the three losses:
// - A zero probability contributes exactly 0 (0·log 0 = 0, the `xlogy` convention), whatever the
//   other operand is, even −inf. PyTorch computes 0·(−inf) = NaN in several of these places; the
//   doc comments say where LossKit's finite answer differs.
// - The derivative with respect to a probability that is exactly 0 is the one-sided derivative
//   of the loss there. For KL and JS that is −inf (d/dq [q log q] = log q + 1 → −inf): LossKit
//   returns −inf rather than PyTorch's NaN, so an optimizer sees the direction of the infinity.

// MARK: - KL divergence

/// Kullback–Leibler divergence KL(target ‖ exp(input)) with PyTorch's `kl_div` conventions: the
/// input is log-probabilities, the target probabilities (or log-probabilities, or both logits).
///
/// ```
/// ℓᵢ = targetᵢ · (log targetᵢ − inputᵢ)                    (logTarget = false; 0 where targetᵢ = 0)
/// ℓᵢ = exp(targetᵢ) · (targetᵢ − inputᵢ)                   (logTarget = true;  0 where targetᵢ = −inf)
/// ℓ = q · (log q − log p),  log p = logSoftmax(input), log q = logSoftmax(target)   (fromLogits, along dim 1)
/// loss = Σ ℓ / N (batchmean, default) | Σ ℓ / count (mean) | Σ ℓ (sum) | ℓ (none, input's shape)
/// ```
/// `N` is the size of dimension 0 (1 for a 0-d input). Only `batchmean` (for `[N, C, ...]`
/// inputs whose rows are distributions) gives the KL divergence per sample; `mean` divides by
/// every element, as PyTorch does.
///
/// Shapes: `target` has the shape of `input`. Plain and `logTarget` modes accept any shape;
/// `fromLogits` needs `[N, C, ...]` (rank ≥ 2, C ≥ 1) and normalizes along dimension 1.
///
/// Gradients (of the sum, then divided by the reduction's denominator):
/// ```
/// ∂ℓᵢ/∂inputᵢ  = −targetᵢ                   ∂ℓᵢ/∂targetᵢ = log targetᵢ + 1 − inputᵢ   (plain)
/// ∂ℓᵢ/∂inputᵢ  = −exp(targetᵢ)               ∂ℓᵢ/∂targetᵢ = exp(targetᵢ)·(targetᵢ − inputᵢ + 1)   (logTarget)
/// ∂L/∂inputⱼ   = pⱼ − qⱼ                     ∂L/∂targetⱼ  = qⱼ·(log qⱼ − log pⱼ − L)   (fromLogits, per row, L = Σ ℓ of the row)
/// ```
/// With `fromLogits` both gradients are with respect to the logits; the log-softmax of either
/// input is never stored (each row is normalized on the fly).
///
/// - Parameters:
///   - input: log-probabilities (logits with `fromLogits`), e.g. `[N, C]` or `[N, C, d1, ...]`.
///   - target: probabilities (log-probabilities with `logTarget`, logits with `fromLogits`),
///     the shape of `input`.
///   - logTarget: the target holds log-probabilities (default `false`). Has no effect with
///     `fromLogits`, since log-probabilities are valid logits.
///   - fromLogits: both inputs are unnormalized logits; log-softmax is applied to each along
///     dimension 1 inside (default `false`).
///   - reduction: `.batchmean` (default), `.mean`, `.sum` or `.none`.
///   - wrt: the arguments to return gradients for (default both; `[]` computes the value only).
/// - Returns: the loss and the requested gradients.
/// - Throws: ``LossError/shapeMismatch(argument:expected:actual:)`` if the shapes differ;
///   ``LossError/invalidShape(argument:shape:reason:)`` with `fromLogits` for a rank below 2 or
///   an empty class dimension; ``LossError/valueOutOfRange(argument:value:index:expected:)`` for
///   a negative probability target (plain mode).
///
/// Edge cases:
/// - A zero target (plain) or a −inf log-target contributes 0 to the value, even where `input`
///   is −inf; PyTorch returns NaN for `input = −inf` at a zero target and for a −inf log-target
///   (0·(−inf)). The `logTarget` gradients there are 0 (PyTorch: NaN).
/// - ∂/∂target at a plain target of exactly 0 is −inf, the one-sided derivative of
///   t·(log t − x) at 0 (PyTorch: NaN, from 0/0 in `xlogy`'s backward); NaN where `input` is
///   −inf as well (the loss jumps from 0 to +inf there).
/// - With `fromLogits`, classes whose target probability underflows to 0 contribute 0; ±1e4
///   logits give finite values and gradients; a −inf logit in `input` where the target has mass
///   gives +inf, as the mathematics does.
/// - An empty batch gives NaN for `batchmean` and `mean` (0/0) and 0 for `sum`, like PyTorch.
///
/// Matches `torch.nn.functional.kl_div(input, target, reduction, log_target)`; with
/// `fromLogits`, `kl_div(log_softmax(input, 1), log_softmax(target, 1), log_target=True)` with
/// the gradient flowing through both log-softmaxes.
///
/// ```swift
/// let logP = try Tensor(shape: [1, 2], scalars: [Double.log(0.25), Double.log(0.75)])
/// let q = try Tensor(shape: [1, 2], scalars: [0.5, 0.5] as [Double])
/// let r = try klDivergence(input: logP, target: q)
/// r.scalar                // 0.14384103622589045  (½ log(0.5/0.25) + ½ log(0.5/0.75) = ½ log(4/3))
/// r.gradients[.input]     // [-0.5, -0.5]
///
/// // Policy-to-policy KL from logits (PPO/TRPO style); the gradient is w.r.t. the input logits.
/// let x = try Tensor(shape: [1, 3], scalars: [1, 2, 3] as [Double])
/// let t = try Tensor(shape: [1, 3], scalars: [3, 2, 1] as [Double])
/// let k = try klDivergence(input: x, target: t, fromLogits: true)
/// k.scalar                // 1.1504207652088827
/// k.gradients[.input]     // [-0.5752103826044414, 0.0, 0.5752103826044414]
/// ```
@inlinable
public func klDivergence<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, logTarget: Bool = false, fromLogits: Bool = false,
    reduction: Reduction = .batchmean, wrt: Set<LossArgument> = [.input, .target]
) throws(LossError) -> LossResult<T> {
    try reduction.validate(allowed: [.none, .mean, .sum, .batchmean])
    try checkShape("target", target.shape, equals: input.shape)
    let batch = T(input.shape.first ?? 1)
    if fromLogits {
        let (outer, classes, inner) = try DivergenceKernels.classLayout(input.shape)
        return DivergenceKernels.evaluateRows(
            input, target, outer: outer, classes: classes, inner: inner, wrt: wrt,
            reduction: reduction, perElement: true,
            denominator: reduction == .batchmean ? batch : T(input.count)
        ) { x, t, n, scale, out in
            DivergenceKernels.klLogitsRow(x, t, n, scale: scale, out)
        }
    }
    let denominator: T? = reduction == .batchmean ? batch : nil
    if logTarget {
        return evaluateElementwise(
            [(input, .input), (target, .target)], wrt: wrt, reduction: reduction,
            denominator: denominator, pads: (0, 0, 0)
        ) { x, t, _ in
            let zero = t .== SIMD8<T>(repeating: -.infinity)
            let q = T.vexp(t)
            let d = t - x
            return LaneTerms(
                loss: (q * d).replacing(with: 0, where: zero), d0: -q,
                d1: (q * (d + 1)).replacing(with: 0, where: zero))
        }
    }
    // A negative target makes t·log t NaN. Rather than a separate validation pass over the
    // target (another full read of it, on the benchmark's hot path), reduced losses are checked
    // only when the result is NaN; `none` is checked first.
    let nonNegative = "a probability ≥ 0 (log-probabilities need the log-target option)"
    if reduction == .none { try checkValues("target", target, expected: nonNegative) { !($0 < 0) } }
    // A local always-inline function rather than a closure literal: inlined into the lane loop
    // on every path (see evaluateElementwise's codegen note).
    @inline(__always) func kernel(_ x: SIMD8<T>, _ t: SIMD8<T>, _: SIMD8<T>) -> LaneTerms<T> {
        // Compares take a vector operand: `t .== 0` (vector vs scalar) still picks the standard
        // library's per-lane loop, which made this kernel 3× slower.
        let d = T.vlog(t) - x
        return LaneTerms(loss: (t * d).replacing(with: 0, where: t .== SIMD8<T>.zero), d0: -t, d1: d + 1)
    }
    let result = evaluateElementwise(
        [(input, .input), (target, .target)], wrt: wrt, reduction: reduction,
        denominator: denominator, pads: (0, 1, 0), kernel: kernel)
    if reduction != .none, result.value.scalar?.isNaN == true {
        try checkValues("target", target, expected: nonNegative) { !($0 < 0) }
    }
    return result
}

// MARK: - Jensen–Shannon divergence

/// Jensen–Shannon divergence between P = exp(input) and Q = target, per sample: the symmetric,
/// bounded divergence ½KL(P ‖ M) + ½KL(Q ‖ M) against the mixture M = ½(P + Q).
///
/// ```
/// Mᵢ = ½(Pᵢ + Qᵢ),  Pᵢ = exp(inputᵢ), Qᵢ = targetᵢ
///                   (P = softmax(input), Q = softmax(target) along dim 1 with fromLogits)
/// JSₙ = ½ Σ_c [P log(P/M) + Q log(Q/M)]          (natural log; 0·log 0 = 0; 0 ≤ JSₙ ≤ log 2)
/// loss = Σₙ JSₙ / N (batchmean, default) | mean over [N, ...] | Σ (sum) | JS (none, [N, d1, ...])
/// ```
///
/// Shapes: `input` and `target` are `[N, C, d1, ...]` (rank ≥ 2); the sum runs over dimension
/// 1, so `none` returns `[N, d1, ...]` and `mean` divides by N·d1·…, `batchmean` by N.
///
/// Gradients:
/// ```
/// ∂JS/∂Pᵢ = ½ log(Pᵢ/Mᵢ)   ⇒   ∂JS/∂inputᵢ = ½ Pᵢ log(Pᵢ/Mᵢ)              (plain)
/// ∂JS/∂inputⱼ = gⱼ − Pⱼ Σ_c g_c,   g = ½ P log(P/M)                         (fromLogits)
/// ∂JS/∂targetᵢ = ½ log(Qᵢ/Mᵢ)                                               (plain)
/// ∂JS/∂targetⱼ = hⱼ − Qⱼ Σ_c h_c,  h = ½ Q log(Q/M)                          (fromLogits)
/// ```
///
/// - Parameters:
///   - input: log-probabilities (logits with `fromLogits`).
///   - target: probabilities ≥ 0, the shape of `input` (logits with `fromLogits`).
///   - fromLogits: both `input` and `target` hold logits (as ``klDivergence(input:target:logTarget:fromLogits:reduction:wrt:)``'s
///     `fromLogits`); softmax is applied to each along dimension 1 inside and both gradients are
///     with respect to the logits (default `false`).
///   - reduction: `.batchmean` (default), `.mean`, `.sum` or `.none`.
///   - wrt: the arguments to return gradients for (default both).
/// - Returns: the loss and the requested gradients.
/// - Throws: ``LossError/shapeMismatch(argument:expected:actual:)`` if the shapes differ;
///   ``LossError/invalidShape(argument:shape:reason:)`` for a rank below 2 (or an empty class
///   dimension with `fromLogits`); ``LossError/valueOutOfRange(argument:value:index:expected:)``
///   for a negative target (without `fromLogits`).
///
/// Edge cases: entries where P = 0 (input −inf, or a logit that underflows) or Q = 0 contribute
/// 0, and the value and the input gradient stay finite for logits of ±1e4. ∂/∂target is −inf
/// where Q = 0 < P (the one-sided derivative) and ½ log 2 where P = 0 (the exact derivative:
/// JS = ½ Q log 2 along P = 0). A PyTorch formula with `xlogy` gives NaN in both places. With
/// `fromLogits`, a −inf logit is a class of probability 0 and its gradient is 0.
///
/// There is no PyTorch function; the reference is the formula above written in PyTorch
/// (`xlogy` for the zero entries), with its autograd gradients.
///
/// ```swift
/// let logP = try Tensor(shape: [1, 2], scalars: [0, -Double.infinity])   // P = [1, 0]
/// let q = try Tensor(shape: [1, 2], scalars: [0, 1] as [Double])         // disjoint support
/// try jensenShannonDivergence(input: logP, target: q).scalar             // 0.6931471805599453 (log 2)
/// ```
@inlinable
public func jensenShannonDivergence<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, fromLogits: Bool = false,
    reduction: Reduction = .batchmean, wrt: Set<LossArgument> = [.input, .target]
) throws(LossError) -> LossResult<T> {
    try reduction.validate(allowed: [.none, .mean, .sum, .batchmean])
    try checkShape("target", target.shape, equals: input.shape)
    let (outer, classes, inner) = try DivergenceKernels.classLayout(input.shape, requireClasses: fromLogits)
    if !fromLogits { try checkValues("target", target, expected: "a probability ≥ 0") { !($0 < 0) } }
    return DivergenceKernels.evaluateRows(
        input, target, outer: outer, classes: classes, inner: inner, wrt: wrt,
        reduction: reduction, perElement: false,
        denominator: reduction == .batchmean ? T(outer) : T(outer * inner)
    ) { x, t, n, scale, out in
        DivergenceKernels.jensenShannonRow(x, t, n, fromLogits: fromLogits, scale: scale, out)
    }
}

// MARK: - VAE KL

/// The KL divergence of a diagonal Gaussian posterior N(mean, e^logvar) from the standard normal
/// prior, per sample: the latent regularizer of a variational autoencoder.
///
/// ```
/// KLₙ = −½ Σ_d (1 + logvarₙd − meanₙd² − exp(logvarₙd))  = KL(N(μ, σ²) ‖ N(0, I))
/// loss = Σₙ KLₙ / N (mean, default) | Σₙ KLₙ (sum) | KL (none, [N])
/// ```
///
/// Shapes: `mean` and `logvar` are `[N, D]`; higher ranks `[N, d1, ...]` sum over every
/// non-batch dimension.
///
/// Gradients:
/// ```
/// ∂KLₙ/∂meanₙd = meanₙd          ∂KLₙ/∂logvarₙd = ½ (exp(logvarₙd) − 1)
/// ```
///
/// - Parameters:
///   - mean: the posterior means μ.
///   - logVariance: the posterior log-variances log σ², the shape of `mean` (input `logvar`).
///   - reduction: `.mean` (over N, default), `.sum` or `.none`.
///   - wrt: the arguments to return gradients for (default both).
/// - Returns: the loss and the requested gradients.
/// - Throws: ``LossError/shapeMismatch(argument:expected:actual:)`` if the shapes differ;
///   ``LossError/invalidShape(argument:shape:reason:)`` for a rank below 2;
///   ``LossError/invalidOption(name:value:expected:)`` for `batchmean` (`mean` already divides by N).
///
/// Edge cases: logvar = −1e4 (σ² underflowing to 0) gives the finite value ½(1e4 − 1 + μ²) per
/// element and gradient −½; logvar = +1e4 gives +inf (e^1e4 overflows, and so does the
/// mathematics); an empty batch gives NaN with `mean`.
///
/// Matches the formula of Kingma & Welling (2014), appendix B, as written in PyTorch VAE code
/// (`-0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)`).
///
/// ```swift
/// let mu = try Tensor(shape: [1, 2], scalars: [1, 0] as [Double])
/// let logvar = try Tensor(shape: [1, 2], scalars: [0, 0] as [Double])
/// let r = try vaeKLDivergence(mean: mu, logVariance: logvar)
/// r.scalar                  // 0.5
/// r.gradients[.mean]        // [1, 0]
/// ```
@inlinable
public func vaeKLDivergence<T: LossScalar>(
    mean: Tensor<T>, logVariance: Tensor<T>, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.mean, .logVariance]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkShape("logvar", logVariance.shape, equals: mean.shape)
    guard mean.rank >= 2 else {
        throw LossError.invalidShape(argument: "mean", shape: mean.shape, reason: "expected rank ≥ 2 ([N, D]), got rank \(mean.rank)")
    }
    let batch = mean.shape[0]
    return DivergenceKernels.evaluateRows(
        mean, logVariance, outer: batch, classes: batch == 0 ? 0 : mean.count / batch, inner: 1,
        wrt: wrt, reduction: reduction, perElement: false, denominator: T(batch),
        arguments: (.mean, .logVariance), rowShape: [batch]
    ) { mu, lv, n, scale, out in
        DivergenceKernels.vaeKLRow(mu, lv, n, scale: scale, out)
    }
}

// MARK: - Kernels

/// The row kernels of the divergence family and the driver that runs them over `[N, C, ...]`.
/// (A namespace, so the helpers cannot collide with other families' internal names.)
@usableFromInline
enum DivergenceKernels {
    /// Where a row kernel writes: contiguous rows of length C (into the outputs directly when the
    /// class axis is contiguous, into per-block scratch otherwise). `nil` skips the work.
    @usableFromInline
    struct RowOutputs<T: LossScalar> {
        /// Per-element losses (only for losses whose `none` output is elementwise).
        @usableFromInline var losses: UnsafeMutablePointer<T>?
        @usableFromInline var gx: UnsafeMutablePointer<T>?
        @usableFromInline var gt: UnsafeMutablePointer<T>?
        /// Two rows (2·C elements) of per-block working memory the kernel may use freely.
        @usableFromInline var scratch: UnsafeMutablePointer<T>

        @inlinable
        init(losses: UnsafeMutablePointer<T>?, gx: UnsafeMutablePointer<T>?, gt: UnsafeMutablePointer<T>?, scratch: UnsafeMutablePointer<T>) {
            self.losses = losses; self.gx = gx; self.gt = gt; self.scratch = scratch
        }
    }

    /// `(outer, classes, inner)` of an `[N, C, d1, ...]` shape; throws for rank < 2 and, when
    /// `requireClasses`, for C = 0 (a softmax over no classes).
    @inlinable
    static func classLayout(_ shape: [Int], requireClasses: Bool = true) throws(LossError) -> (Int, Int, Int) {
        guard shape.count >= 2 else {
            throw .invalidShape(argument: "input", shape: shape, reason: "expected rank ≥ 2 ([N, C, ...]) with classes along dimension 1, got rank \(shape.count)")
        }
        if requireClasses && shape[1] == 0 {
            throw .invalidShape(argument: "input", shape: shape, reason: "the class dimension 1 is empty (softmax over no classes)")
        }
        let (outer, classes, inner) = splitShape(shape, axis: 1)
        return (outer, classes, inner)
    }

    /// Evaluates a row loss: `row(x, t, C, gradientScale, outputs)` returns the loss of one class
    /// row (the sum of its elements) and writes the requested per-element outputs.
    ///
    /// `perElement` chooses the `none` output: the per-element losses (shape of the input) or
    /// one value per row (`rowShape`; by default the input's shape without dimension 1).
    /// `denominator` is what `mean`/`batchmean` divide by.
    @inlinable
    static func evaluateRows<T: LossScalar>(
        _ x: Tensor<T>, _ t: Tensor<T>, outer: Int, classes: Int, inner: Int,
        wrt: Set<LossArgument>, reduction: Reduction, perElement: Bool, denominator: T,
        arguments: (LossArgument, LossArgument) = (.input, .target), rowShape: [Int]? = nil,
        row: (UnsafePointer<T>, UnsafePointer<T>, Int, T, RowOutputs<T>) -> T
    ) -> LossResult<T> {
        let plan = ReductionPlan<T>(reduction, denominator: denominator)
        let scale = plan.gradientScale
        let count = x.count
        let rowShape = rowShape ?? Array(x.shape[..<1] + x.shape.dropFirst(2))
        let wantRows = reduction == .none && !perElement
        let wantElements = reduction == .none && perElement
        var sum: T = 0
        var rowLosses: TensorBuffer<T>?
        let arrays = makeBuffers(count: count, wanted: [wantElements, wrt.contains(arguments.0), wrt.contains(arguments.1)]) { out in
            rowLosses = makeBuffers(count: outer * inner, wanted: [wantRows]) { rows in
                x.withUnsafeBufferPointer { xb in
                    t.withUnsafeBufferPointer { tb in
                        sum = runRows(
                            base(xb), base(tb), outer: outer, classes: classes, inner: inner, scale: scale,
                            elementLosses: out[0], rowLosses: rows[0], gx: out[1], gt: out[2], row: row)
                    }
                }
            }[0]
        }
        let value: Tensor<T>
        if let e = arrays[0] { value = Tensor(uncheckedShape: x.shape, scalars: e) }
        else if let r = rowLosses { value = Tensor(uncheckedShape: rowShape, scalars: r) }
        else { value = Tensor(plan.value(fromSum: sum)) }
        var result = LossResult<T>(value: value)
        if let g = arrays[1] { result.gradients[arguments.0] = Tensor(uncheckedShape: x.shape, scalars: g) }
        if let g = arrays[2] { result.gradients[arguments.1] = Tensor(uncheckedShape: x.shape, scalars: g) }
        return result
    }

    /// Runs `row` over every class row of `[outer, classes, inner]` data and returns the sum of
    /// the row losses. Rows are split over threads in blocks of about ``Parallelism/grain``
    /// elements (deterministic). With `inner > 1` a row's elements are `inner` apart: they are
    /// gathered into contiguous scratch, and the outputs scattered back.
    @inlinable
    static func runRows<T: LossScalar>(
        _ x: UnsafePointer<T>, _ t: UnsafePointer<T>, outer: Int, classes: Int, inner: Int, scale: T,
        elementLosses: UnsafeMutablePointer<T>?, rowLosses: UnsafeMutablePointer<T>?,
        gx: UnsafeMutablePointer<T>?, gt: UnsafeMutablePointer<T>?,
        row: (UnsafePointer<T>, UnsafePointer<T>, Int, T, RowOutputs<T>) -> T
    ) -> T {
        blockedSum(count: outer * inner, blockSize: rowsPerBlock(rowLength: classes)) { range in
            var total: T = 0
            // Per block: two rows for the kernel, plus five for gathering strided rows.
            let scratch = UnsafeMutablePointer<T>.allocate(capacity: (inner == 1 ? 2 : 7) * classes)
            defer { scratch.deallocate() }
            if inner == 1 {
                for r in range {
                    let at = r * classes
                    let out = RowOutputs(
                        losses: elementLosses.map { $0 + at }, gx: gx.map { $0 + at }, gt: gt.map { $0 + at }, scratch: scratch)
                    let l = row(x + at, t + at, classes, scale, out)
                    rowLosses?[r] = l
                    total += l
                }
                return total
            }
            let xs = scratch + 2 * classes, ts = scratch + 3 * classes
            let out = RowOutputs(
                losses: elementLosses == nil ? nil : scratch + 4 * classes,
                gx: gx == nil ? nil : scratch + 5 * classes, gt: gt == nil ? nil : scratch + 6 * classes,
                scratch: scratch)
            for r in range {
                let start = (r / inner) * classes * inner + r % inner
                for c in 0..<classes { xs[c] = x[start + c * inner]; ts[c] = t[start + c * inner] }
                let l = row(xs, ts, classes, scale, out)
                if let o = elementLosses, let s = out.losses { for c in 0..<classes { o[start + c * inner] = s[c] } }
                if let o = gx, let s = out.gx { for c in 0..<classes { o[start + c * inner] = s[c] } }
                if let o = gt, let s = out.gt { for c in 0..<classes { o[start + c * inner] = s[c] } }
                rowLosses?[r] = l
                total += l
            }
            return total
        }
    }

    // MARK: Lane helpers

    /// Calls `body(i, k)` for consecutive lane groups of a row of `n`: k = 8, then one tail k < 8.
    @inlinable @inline(__always)
    static func forEachLaneGroup(_ n: Int, _ body: (Int, Int) -> Void) {
        var i = 0
        while i + 8 <= n { body(i, 8); i += 8 }
        if i < n { body(i, n - i) }
    }

    @inlinable @inline(__always)
    static func load<T: LossScalar>(_ p: UnsafePointer<T>, _ k: Int, pad: T) -> SIMD8<T> {
        k == 8 ? load8(p) : loadPartial(p, k, pad: pad)
    }

    @inlinable @inline(__always)
    static func store<T: LossScalar>(_ v: SIMD8<T>, _ p: UnsafeMutablePointer<T>, _ k: Int) {
        if k == 8 { store8(v, p) } else { storePartial(v, p, k) }
    }

    /// `v` with the lanes from `k` on set to 0 (the padding of a tail group).
    @inlinable @inline(__always)
    static func valid<T: LossScalar>(_ v: SIMD8<T>, _ k: Int) -> SIMD8<T> {
        k == 8 ? v : v.replacing(with: 0, where: .!firstLanes(k, of: T.self))
    }

    /// Writes e = exp(x − m) of a contiguous row to `e` (m the row maximum) and returns m and
    /// Σ e, so that softmax(x) = e / Σ e and logSoftmax(x) = (x − m) − log Σ e need no second
    /// exponential. Subtracting m and log Σ separately (as PyTorch's log_softmax does) keeps the
    /// log-probabilities accurate to their own size rather than to that of m + log Σ.
    /// A row of −inf, or with +inf or NaN, gives NaN.
    @inlinable @inline(__always)
    static func stageExp<T: LossScalar>(
        _ x: UnsafePointer<T>, _ n: Int, into e: UnsafeMutablePointer<T>
    ) -> (max: SIMD8<T>, sum: T) {
        let m = SIMD8<T>(repeating: rowMax(x, n))
        var acc = SIMD8<T>.zero
        forEachLaneGroup(n) { i, k in
            let v = T.vexp(load(x + i, k, pad: -.infinity) - m)
            acc += valid(v, k)
            store(v, e + i, k)
        }
        return (m, acc.laneSum())
    }

    // MARK: Row kernels

    /// One row of KL(softmax(t) ‖ softmax(x)) from logits; returns the row's KL.
    ///
    /// Passes: the maxima; exp(x − mx) and exp(t − mt) staged in scratch with their sums (the
    /// only exponentials); per element log p, log q, q, the loss term and ∂/∂x = p − q; and, only
    /// for ∂/∂t (which needs the row's KL L), a last pass q·(log q − log p − L).
    @inlinable
    static func klLogitsRow<T: LossScalar>(
        _ x: UnsafePointer<T>, _ t: UnsafePointer<T>, _ n: Int, scale: T, _ out: RowOutputs<T>
    ) -> T {
        let ex = out.scratch, et = out.scratch + n
        let (mx, sumX) = stageExp(x, n, into: ex)
        let (mt, sumT) = stageExp(t, n, into: et)
        let lsx = SIMD8<T>(repeating: T.log(sumX)), lst = SIMD8<T>(repeating: T.log(sumT))
        let invX = SIMD8<T>(repeating: 1 / sumX), invT = SIMD8<T>(repeating: 1 / sumT)
        let s = SIMD8<T>(repeating: scale)
        var acc = SIMD8<T>.zero
        forEachLaneGroup(n) { i, k in
            let logP = (load(x + i, k, pad: 0) - mx) - lsx
            let logQ = (load(t + i, k, pad: 0) - mt) - lst
            let q = load(UnsafePointer(et + i), k, pad: 0) * invT
            let term = (q * (logQ - logP)).replacing(with: 0, where: q .== SIMD8<T>.zero)
            acc += valid(term, k)
            if let o = out.losses { store(term, o + i, k) }
            if let g = out.gx { store((load(UnsafePointer(ex + i), k, pad: 0) * invX - q) * s, g + i, k) }
        }
        let rowKL = acc.laneSum()
        if let g = out.gt {
            let l = SIMD8<T>(repeating: rowKL)
            forEachLaneGroup(n) { i, k in
                let q = load(UnsafePointer(et + i), k, pad: 0) * invT
                let a = ((load(t + i, k, pad: 0) - mt) - lst) - ((load(x + i, k, pad: 0) - mx) - lsx)
                store((q * (a - l)).replacing(with: 0, where: q .== SIMD8<T>.zero) * s, g + i, k)
            }
        }
        return rowKL
    }

    /// One row of the Jensen–Shannon divergence; returns the row's JS.
    ///
    /// log M is computed as log(P + Q) − log 2, except log P − log 2 where Q = 0 and log Q − log 2
    /// where P = 0, so that log(P/M) is exactly log 2 there even when P or Q is denormal.
    @inlinable
    static func jensenShannonRow<T: LossScalar>(
        _ x: UnsafePointer<T>, _ t: UnsafePointer<T>, _ n: Int, fromLogits: Bool, scale: T, _ out: RowOutputs<T>
    ) -> T {
        // With logits, P = exp(x − m)/Σ and Q = exp(t − mt)/Σt are staged in scratch; plain
        // input has P = exp(x), and Q is the target itself.
        let staged = out.scratch, stagedT = out.scratch + n
        let (m, sum) = fromLogits ? stageExp(x, n, into: staged) : (.zero, 1)
        let (mt, sumT) = fromLogits ? stageExp(t, n, into: stagedT) : (.zero, 1)
        let ls = SIMD8<T>(repeating: T.log(sum)), inv = SIMD8<T>(repeating: 1 / sum)
        let lst = SIMD8<T>(repeating: T.log(sumT)), invT = SIMD8<T>(repeating: 1 / sumT)
        let half = SIMD8<T>(repeating: 0.5)
        let log2 = SIMD8<T>(repeating: T.log(2))
        // With logits the gradients need Σ_c g_c (Σ_c h_c) first: store g (h) unscaled, fix up below.
        let s = SIMD8<T>(repeating: fromLogits ? 1 : scale)
        let st = SIMD8<T>(repeating: scale)
        var acc = SIMD8<T>.zero
        var gsum = SIMD8<T>.zero, hsum = SIMD8<T>.zero
        forEachLaneGroup(n) { i, k in
            let logP = (load(x + i, k, pad: -.infinity) - m) - ls
            let p = fromLogits ? load(UnsafePointer(staged + i), k, pad: 0) * inv : T.vexp(logP)
            let q = fromLogits ? load(UnsafePointer(stagedT + i), k, pad: 0) * invT : load(t + i, k, pad: 0)
            let logQ = fromLogits ? (load(t + i, k, pad: -.infinity) - mt) - lst : T.vlog(q)
            let logM = (T.vlog(p + q) - log2)
                .replacing(with: logP - log2, where: q .== SIMD8<T>.zero)
                .replacing(with: logQ - log2, where: p .== SIMD8<T>.zero)
            let pTerm = (p * (logP - logM)).replacing(with: 0, where: p .== SIMD8<T>.zero)
            let qTerm = (q * (logQ - logM)).replacing(with: 0, where: q .== SIMD8<T>.zero)
            acc += valid(half * (pTerm + qTerm), k)
            if let g = out.gx {
                let gp = half * pTerm
                gsum += gp  // padded lanes have P = 0, so gp = 0 there
                store(gp * s, g + i, k)
            }
            if let g = out.gt {
                if fromLogits {
                    let h = half * qTerm  // padded lanes have Q = 0, so h = 0 there
                    hsum += h
                    store(h, g + i, k)
                } else {
                    let d = (half * (logQ - logM)).replacing(with: half * log2, where: p .== SIMD8<T>.zero)
                    store(d * st, g + i, k)
                }
            }
        }
        if fromLogits, let g = out.gx {
            let total = SIMD8<T>(repeating: gsum.laneSum())
            forEachLaneGroup(n) { i, k in
                let p = load(UnsafePointer(staged + i), k, pad: 0) * inv
                store((load(UnsafePointer(g + i), k, pad: 0) - p * total) * st, g + i, k)
            }
        }
        if fromLogits, let g = out.gt {
            let total = SIMD8<T>(repeating: hsum.laneSum())
            forEachLaneGroup(n) { i, k in
                let q = load(UnsafePointer(stagedT + i), k, pad: 0) * invT
                store((load(UnsafePointer(g + i), k, pad: 0) - q * total) * st, g + i, k)
            }
        }
        return acc.laneSum()
    }

    /// One sample of the VAE KL term: ½ Σ (μ² + e^logvar − 1 − logvar); returns its value.
    @inlinable
    static func vaeKLRow<T: LossScalar>(
        _ mu: UnsafePointer<T>, _ logvar: UnsafePointer<T>, _ n: Int, scale: T, _ out: RowOutputs<T>
    ) -> T {
        let half = SIMD8<T>(repeating: 0.5)
        let s = SIMD8<T>(repeating: scale)
        var acc = SIMD8<T>.zero
        forEachLaneGroup(n) { i, k in
            let m = load(mu + i, k, pad: 0)
            let lv = load(logvar + i, k, pad: 0)
            let e = T.vexp(lv)
            acc += valid(half * (m * m + (e - 1) - lv), k)
            if let g = out.gx { store(m * s, g + i, k) }
            if let g = out.gt { store(half * (e - 1) * s, g + i, k) }
        }
        return acc.laneSum()
    }
}
