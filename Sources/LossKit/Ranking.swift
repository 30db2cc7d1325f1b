import RealModule
// Family E of LOSSES.md, ranking losses: margin-ranking, pairwise-ranking, listwise-ranking.

/// The margin ranking loss: for target 1, input1 should rank above input2 by at least `margin`
/// (for target −1, below).
///
/// ```
/// ℓᵢ = max(0, −tᵢ·(input1ᵢ − input2ᵢ) + margin)          t = target ∈ {−1, 1}
/// loss = mean ℓ (default) | Σ ℓ | ℓ (none, the inputs' shape)
/// ```
/// Shapes: `input1`, `input2` and `target` all of one shape (usually `[N]`).
///
/// Gradient, where −tᵢ·(input1ᵢ − input2ᵢ) + margin > 0 (0 elsewhere, including at 0, as the
/// reference's `clamp_min_`):
/// ```
/// ∂ℓᵢ/∂input1ᵢ = −tᵢ        ∂ℓᵢ/∂input2ᵢ = tᵢ
/// ```
/// divided by the element count for `mean`.
///
/// - Parameters:
///   - input1: scores of the first items, any shape.
///   - input2: scores of the second items, same shape.
///   - target: 1 where input1 should rank higher, −1 where input2 should; same shape.
///   - margin: the required gap (default 0).
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: the arguments to return gradients for (default `.input1`, `.input2`).
/// - Returns: the loss and the requested gradients.
/// - Throws: ``LossError/shapeMismatch(argument:expected:actual:)`` if `input2` or `target` is
///   not shaped like `input1` (PyTorch also broadcasts); ``LossError/valueOutOfRange(argument:value:index:expected:)``
///   for a target other than ±1 (PyTorch accepts any value); ``LossError/invalidOption(name:value:expected:)``
///   for a non-finite margin or `batchmean`.
///
/// Edge cases: the mean of an empty input is NaN (as in PyTorch); a NaN score gives a NaN loss.
///
/// Matches `torch.nn.functional.margin_ranking_loss`.
///
/// ```swift
/// let r = try marginRankingLoss(
///     input1: Tensor([0.2, 0.9] as [Double]), input2: Tensor([0.5, 0.1]), target: Tensor([1, 1]), margin: 0.1)
/// r.scalar                    // 0.2   ((0.4 + 0) / 2)
/// r.gradients[.input1]?.scalars  // [-0.5, 0.0]
/// ```
@inlinable
public func marginRankingLoss<T: LossScalar>(
    input1: Tensor<T>, input2: Tensor<T>, target: Tensor<T>, margin: T = 0,
    reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input1, .input2]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkOption("margin", margin, expected: "a finite number") { $0.isFinite }
    try checkShape("input2", input2.shape, equals: input1.shape)
    try checkShape("target", target.shape, equals: input1.shape)
    try checkSignLabels("target", target, allowZeroOne: false)
    let m = SIMD8<T>(repeating: margin)
    return evaluateElementwise(
        [(input1, .input1), (input2, .input2), (target, nil)], wrt: wrt, reduction: reduction, pads: (0, 0, 1)
    ) { x1, x2, t in
        let z = m - t * (x1 - x2)
        let inactive = .!(z .> 0)
        return LaneTerms(loss: z.positivePart, d0: zeroWhere(-t, inactive), d1: zeroWhere(t, inactive))
    }
}

// MARK: - Score-ranking losses over lists: pairwise-ranking, listwise-ranking

/// Pairwise ranking loss: a hinge on every pair of items whose reference scores differ, so that
/// the predicted scores keep the reference order by at least `margin`.
///
/// ```
/// sᵢⱼ = sign(tᵢ − tⱼ)                                   (pairs with tᵢ = tⱼ are skipped)
/// ℓₙ = Σ_{i<j, sᵢⱼ≠0} max(0, θ − (xᵢ − xⱼ)·sᵢⱼ)          (per row n, over its K items)
/// loss = Σₙ ℓₙ / #pairs (mean, default) | Σₙ ℓₙ (sum) | ℓ (none, shape [N])
/// ```
/// `#pairs` counts the pairs with tᵢ ≠ tⱼ over the whole batch.
///
/// Shapes: `input` `[N, K]` (any `[..., K]`: rows over the last dimension), `target` the same;
/// `none` returns `[N]` (the input's shape without its last dimension).
///
/// Gradient, for each counted pair with θ − (xᵢ − xⱼ)·sᵢⱼ > 0 (0 at exactly 0, as
/// `torch.clamp_min`'s autograd):
/// ```
/// ∂ℓ/∂xᵢ −= sᵢⱼ        ∂ℓ/∂xⱼ += sᵢⱼ
/// ```
/// divided by #pairs for `mean`. `target` holds reference scores and gets no gradient.
///
/// - Parameters:
///   - input: predicted scores `[N, K]`.
///   - target: reference scores `[N, K]`; only their order within a row matters.
///   - margin: θ, the required gap between the scores of a pair (default 0; any finite value).
///   - reduction: `.mean` over the counted pairs (default), `.sum` or `.none` (per-row sums).
///   - wrt: the arguments to return gradients for (default `.input`).
/// - Returns: the loss and the requested gradient.
/// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` for a 0-d `input`;
///   ``LossError/shapeMismatch(argument:expected:actual:)`` if `target` differs;
///   ``LossError/valueOutOfRange(argument:value:index:expected:)`` for a NaN target (it has no
///   order); ``LossError/invalidOption(name:value:expected:)`` for a non-finite margin or `batchmean`.
///
/// Edge cases: with no counted pair (all targets tied, K < 2, an empty batch) the mean is NaN
/// (0/0, as the reference formula) and the gradient 0; infinite targets order like any other
/// value (two equal infinities are a tie). Cost O(N·K²) with eight pairs per vector step and
/// no sorting.
///
/// Reference: the order-preserving ranking loss of post-training quantization for vision
/// transformers (Liu et al. 2021), written in PyTorch with autograd (scripts/fixtures/ranking.py).
///
/// ```swift
/// let x = try Tensor(shape: [1, 3], scalars: [0.5, 1, 0] as [Double])
/// let t = try Tensor(shape: [1, 3], scalars: [3, 2, 1] as [Double])
/// let r = try pairwiseRankingLoss(input: x, target: t, margin: 0.25, reduction: .sum)
/// r.scalar                        // 0.75   (pair (0,1): 0.25 + 0.5; (0,2): 0; (1,2): 0)
/// r.gradients[.input]?.scalars    // [-1.0, 1.0, 0.0]
/// ```
@inlinable
public func pairwiseRankingLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, margin: T = 0, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkOption("margin", margin, expected: "a finite number") { $0.isFinite }
    try RankingRows.checkShapes(input: input, target: target, mask: nil)
    try checkValues("target", target, expected: "a score that is not NaN") { !$0.isNaN }
    let k = input.shape.last!
    return RankingRows.evaluate(
        input: input, target: target, mask: nil, wrt: wrt, reduction: reduction, denominator: nil,
        meanOfNothing: .nan, workPerRow: k * k / 2
    ) { x, t, _, g, _ in
        RankingRows.pairwiseRow(x, t, k, margin: margin, gradient: g)
    }
}

/// Listwise ranking loss (softmax cross-entropy over a list, ListNet): the cross-entropy of the
/// softmax of the scores against the relevance labels, as they are (not normalized per row).
///
/// ```
/// ℓₙ = −Σₖ tₖ·log_softmax(x)ₖ = Σₖ tₖ·(logΣⱼ e^(xⱼ) − xₖ)      (per row n)
/// loss = mean ℓ over the rows (default) | Σ ℓ | ℓ (none, shape [N])
/// ```
/// With a `mask`, items with mask 0 are left out of the softmax and of the sum (optax's
/// `where`), and rows without any valid item are left out of the mean (their `none` value is 0).
///
/// Shapes: `input` `[N, K]` (any `[..., K]`), `target` and `mask` the same; `none` returns `[N]`.
///
/// Gradient (valid items; 0 for masked ones):
/// ```
/// ∂ℓₙ/∂xₖ = (Σⱼ tⱼ)·softmax(x)ₖ − tₖ
/// ```
/// divided by the number of rows counted in the mean. `target` gets no gradient.
///
/// - Parameters:
///   - input: scores (logits) `[N, K]`.
///   - target: relevance labels ≥ 0, `[N, K]`; not normalized, so a row's loss scales with its
///     total relevance, and a row of zero relevance has loss 0 (still counted in the mean).
///   - mask: optional 0/1 validity of each item, `[N, K]` (`nil`: every item is valid).
///   - reduction: `.mean` over the rows (default), `.sum` or `.none`.
///   - wrt: the arguments to return gradients for (default `.input`).
/// - Returns: the loss and the requested gradient.
/// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` for a 0-d `input`;
///   ``LossError/shapeMismatch(argument:expected:actual:)`` if `target` or `mask` differs;
///   ``LossError/valueOutOfRange(argument:value:index:expected:)`` for a negative or non-finite
///   relevance or a mask value other than 0 and 1; ``LossError/invalidOption(name:value:expected:)``
///   for `batchmean`.
///
/// Edge cases, as the reference: the mean over no rows (an empty batch, or every row masked) is
/// 0, not NaN; log-softmax comes from a log-sum-exp, so scores of ±1e4 stay finite. One
/// deviation: a score of −inf with relevance 0 contributes 0 (the limit t·log p → 0), where
/// optax's 0·(−inf) gives NaN; with positive relevance the loss is +inf. A row whose valid
/// scores are all −inf has no softmax: NaN, as the reference.
///
/// LOSSES.md writes the loss as −Σ t·log_softmax(x) per row, which is what
/// `optax.losses.ranking_softmax_loss` (optax 0.2.8) computes; this function matches it,
/// including its default `reduce_fn=jnp.mean` over rows and its `where` mask. Its `weights`
/// argument (per-item label weights) is not offered: multiply them into `target`.
///
/// ```swift
/// let x = try Tensor(shape: [1, 3], scalars: [2, 1, 3] as [Double])
/// let t = try Tensor(shape: [1, 3], scalars: [1, 0, 0] as [Double])
/// let r = try listwiseRankingLoss(input: x, target: t)
/// r.scalar                        // 1.4076059644443801   (optax's docstring: 1.408)
/// r.gradients[.input]?.scalars    // [-0.755…, 0.0900…, 0.665…]
/// ```
@inlinable
public func listwiseRankingLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, mask: Tensor<T>? = nil, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try RankingRows.checkShapes(input: input, target: target, mask: mask)
    try checkValues("target", target, expected: "a finite relevance ≥ 0") { $0 >= 0 && $0.isFinite }
    let k = input.shape.last!
    var rows = input.count / Swift.max(k, 1)
    if let mask {
        try checkValues("mask", mask, expected: "0 or 1") { $0 == 0 || $0 == 1 }
        rows = RankingRows.rowsWithAValidItem(mask, rowLength: k)
    }
    return RankingRows.evaluate(
        input: input, target: target, mask: mask, wrt: wrt, reduction: reduction, denominator: rows,
        meanOfNothing: 0, workPerRow: 4 * k
    ) { x, t, m, g, scale in
        RankingRows.listwiseRow(x, t, m, k, gradient: g, scale: scale)
    }
}

/// The row driver and row kernels of the list-ranking losses.
@usableFromInline
enum RankingRows {
    @inlinable
    static func checkShapes<T: LossScalar>(input: Tensor<T>, target: Tensor<T>, mask: Tensor<T>?) throws(LossError) {
        guard input.rank >= 1 else {
            throw .invalidShape(argument: "input", shape: input.shape, reason: "expected scores [N, K], got rank 0")
        }
        try checkShape("target", target.shape, equals: input.shape)
        if let mask { try checkShape("mask", mask.shape, equals: input.shape) }
    }

    /// The number of rows of `mask` with at least one 1.
    @inlinable
    static func rowsWithAValidItem<T: LossScalar>(_ mask: Tensor<T>, rowLength k: Int) -> Int {
        guard k > 0 else { return 0 }
        return mask.withUnsafeBufferPointer { m in
            (0..<(m.count / k)).reduce(0) { n, row in n + (m[row * k ..< (row + 1) * k].contains(1) ? 1 : 0) }
        }
    }

    /// Runs `body(x, t, mask, gradient, scale)` on every row of K items (the last dimension);
    /// the body returns the row's loss and the number of terms it counts for `mean`, and writes
    /// every element of the row's gradient, multiplied by `scale`, when `gradient` is non-nil.
    ///
    /// `denominator`: what `mean` divides by when it is known before the rows run (then `scale`
    /// is the reduction's factor); `nil` makes it the sum of the rows' counts, and the gradient
    /// is then written unscaled and rescaled afterwards. `meanOfNothing` is the mean when the
    /// denominator is 0 (the gradient is then 0).
    @inlinable
    static func evaluate<T: LossScalar>(
        input: Tensor<T>, target: Tensor<T>, mask: Tensor<T>?, wrt: Set<LossArgument>, reduction: Reduction,
        denominator: Int?, meanOfNothing: T, workPerRow: Int,
        _ body: (UnsafePointer<T>, UnsafePointer<T>, UnsafePointer<T>?, UnsafeMutablePointer<T>?, T) -> (loss: T, count: Int)
    ) -> LossResult<T> {
        let k = input.shape.last!
        let rows = k == 0 ? input.shape.dropLast().reduce(1, *) : input.count / k
        let known = denominator.map { reduction == .mean && $0 > 0 ? 1 / T($0) : 1 } ?? 1
        var losses = [T](repeating: 0, count: rows)
        var counts = [Int](repeating: 0, count: rows)
        let grads = makeBuffers(count: input.count, wanted: [wrt.contains(.input)]) { (g: [UnsafeMutablePointer<T>?]) in
            withPointers([input, target, mask ?? target]) { p in
                let m = mask == nil ? nil : p[2]
                losses.withUnsafeMutableBufferPointer { lb in
                    counts.withUnsafeMutableBufferPointer { cb in
                        let lp = lb.baseAddress, cp = cb.baseAddress
                        // Rows are independent and their losses are summed below in order.
                        forEachRange(rows, workPerItem: Swift.max(workPerRow, 1), limit: Parallelism.threadCount) { _, range in
                            for row in range {
                                let o = row * k
                                let r = body(p[0] + o, p[1] + o, m.map { $0 + o }, g[0].map { $0 + o }, known)
                                lp![row] = r.loss
                                cp![row] = r.count
                            }
                        }
                    }
                }
            }
        }
        var sum: T = 0
        for v in losses { sum += v }
        let count = denominator ?? counts.reduce(0, +)
        if reduction == .mean, denominator == nil, let g = grads[0] {
            let s = count > 0 ? 1 / T(count) : 0
            for i in 0..<input.count { g.base[i] *= s }
        }
        var result = LossResult<T>(
            value: reduction == .none
                ? Tensor(uncheckedShape: Array(input.shape.dropLast()), scalars: losses)
                : Tensor(reduction == .sum ? sum : count > 0 ? sum / T(count) : meanOfNothing))
        if let g = grads[0] { result.gradients[.input] = Tensor(uncheckedShape: input.shape, scalars: g) }
        return result
    }

    /// Up to eight consecutive elements of a row from `i` on: a full vector load when `lanes` is 8,
    /// else the first `lanes` elements and `pad` in the others.
    @inlinable @inline(__always)
    static func lanes<T: LossScalar>(_ p: UnsafePointer<T>, _ i: Int, _ lanes: Int, pad: T) -> SIMD8<T> {
        lanes == 8 ? load8(p + i) : loadPartial(p + i, lanes, pad: pad)
    }

    /// One row of ``pairwiseRankingLoss(input:target:margin:reduction:wrt:)``: Σ over i < j of the
    /// hinge, eight j at a time; the unscaled gradient (if asked) and the number of counted pairs.
    @inlinable
    static func pairwiseRow<T: LossScalar>(
        _ x: UnsafePointer<T>, _ t: UnsafePointer<T>, _ k: Int, margin: T, gradient g: UnsafeMutablePointer<T>?
    ) -> (loss: T, count: Int) {
        g?.initialize(repeating: 0, count: k)
        let theta = SIMD8<T>(repeating: margin)
        var loss = SIMD8<T>.zero, pairs = SIMD8<T>.zero
        for i in 0..<k {
            let xi = SIMD8<T>(repeating: x[i]), ti = SIMD8<T>(repeating: t[i])
            var gi = SIMD8<T>.zero
            var j = i + 1
            while j < k {
                let n = Swift.min(8, k - j)
                let xj = lanes(x, j, n, pad: 0), tj = lanes(t, j, n, pad: 0)
                // sign(tᵢ − tⱼ) by comparison (exact for infinities); 0 for ties and padding lanes
                let s = SIMD8<T>.zero.replacing(with: 1, where: ti .> tj).replacing(with: -1, where: ti .< tj)
                    .keepingFirstLanes(n)
                let counted = s .!= 0
                let z = theta - (xi - xj) * s
                // max(0, z) over the counted pairs; NaN stays NaN (it is not < 0)
                loss += z.replacing(with: 0, where: (z .< 0) .| .!counted)
                pairs += SIMD8<T>.zero.replacing(with: 1, where: counted)
                if let g {
                    let a = zeroWhere(s, .!(z .> 0))  // clamp_min's gradient: 0 at the kink
                    gi -= a
                    if n == 8 { store8(load8(g + j) + a, g + j) } else { storePartial(loadPartial(g + j, n, pad: 0) + a, g + j, n) }
                }
                j += 8
            }
            g?[i] += gi.laneSum()
        }
        var count = 0
        for l in 0..<8 { count += Int(pairs[l]) }  // each lane ≤ K²/16: exact
        return (loss.laneSum(), count)
    }

    /// The scores of a list with masked items at −inf, its relevance with masked items at 0, and
    /// the masked lanes, for up to eight items from `i` on (padding lanes count as masked).
    @_transparent @usableFromInline
    static func listLanes<T: LossScalar>(
        _ x: UnsafePointer<T>, _ t: UnsafePointer<T>, _ mask: UnsafePointer<T>?, _ i: Int, _ n: Int
    ) -> (x: SIMD8<T>, t: SIMD8<T>, masked: SIMD8<T>.ComparisonMask) {
        var xv = lanes(x, i, n, pad: -.infinity), tv = lanes(t, i, n, pad: 0)
        guard let mask else { return (xv, tv, .!firstLanes(n, of: T.self)) }
        let masked = lanes(mask, i, n, pad: 0) .== 0
        xv = xv.replacing(with: -.infinity, where: masked)
        tv = tv.replacing(with: 0, where: masked)
        return (xv, tv, masked)
    }

    /// One row of ``listwiseRankingLoss(input:target:mask:reduction:wrt:)``: three passes (the
    /// maximum; Σ e^(x − max) and Σ t; then loss and gradient), masked items as score −inf and
    /// relevance 0. Returns count 1 for a row with a valid item (or without a mask), else 0.
    @inlinable
    static func listwiseRow<T: LossScalar>(
        _ x: UnsafePointer<T>, _ t: UnsafePointer<T>, _ mask: UnsafePointer<T>?, _ k: Int,
        gradient g: UnsafeMutablePointer<T>?, scale: T
    ) -> (loss: T, count: Int) {
        if let mask, !UnsafeBufferPointer(start: mask, count: k).contains(1) {
            g?.initialize(repeating: 0, count: k)
            return (0, 0)
        }
        var top = SIMD8<T>(repeating: -.infinity)
        var i = 0
        while i < k {
            top = top.lanesMax(listLanes(x, t, mask, i, Swift.min(8, k - i)).x)
            i += 8
        }
        let m = top.laneMax()
        // Shifted by the largest valid score (0 if that is infinite, so that NaN arises only
        // where the softmax itself is undefined); a NaN score propagates through the sum.
        let shift = SIMD8<T>(repeating: m.isFinite ? m : 0)
        var sumExp = SIMD8<T>.zero, total = SIMD8<T>.zero
        i = 0
        while i < k {
            let v = listLanes(x, t, mask, i, Swift.min(8, k - i))
            sumExp += T.vexp(v.x - shift)
            total += v.t
            i += 8
        }
        // log_softmax(x)ₖ = (xₖ − shift) − log Σ e^(x − shift), as optax (jax.nn.log_softmax) forms it.
        let logSum = SIMD8<T>(repeating: T.log(sumExp.laneSum()))
        let relevance = SIMD8<T>(repeating: total.laneSum())
        let s = SIMD8<T>(repeating: scale)
        var loss = SIMD8<T>.zero
        i = 0
        while i < k {
            let n = Swift.min(8, k - i)
            let v = listLanes(x, t, mask, i, n)
            let logP = (v.x - shift) - logSum
            // −t·log p, 0 where t = 0 (also at x = −inf: the limit of t·log p)
            loss -= zeroWhere(v.t * logP, v.t .== 0)
            if let g {
                let d = zeroWhere((relevance * T.vexp(logP) - v.t) * s, v.masked)
                if n == 8 { store8(d, g + i) } else { storePartial(d, g + i, n) }
            }
            i += 8
        }
        return (loss.laneSum(), 1)
    }
}
