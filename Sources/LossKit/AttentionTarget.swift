import RealModule
// Family E of LOSSES.md: the attention-target loss of Trojan attacks on vision transformers.

/// Attention-target loss: the negated attention mass that each query puts on a set of target
/// tokens (or the negated log of that mass).
///
/// ```
/// S[n,h,q] = Σ_k target[n,k]·A[n,h,q,k]          (attention on the target tokens, in [0, 1])
/// ℓ[n,h,q] = −S[n,h,q]          (logLoss = false, default)
///          = −log S[n,h,q]      (logLoss = true)
/// loss = mean ℓ over N·H·Q (default) | Σ ℓ | ℓ (none, shape [N, H, Q])
/// ```
/// Shapes: `input` attention probabilities `[N, H, Q, K]` (every row over K sums to 1; any
/// `[N, ..., K]` of rank ≥ 2 is accepted, with `none` of shape `[N, ...]`); `target` a 0/1 mask
/// of the target (trigger) tokens, `[K]` for every sample or `[N, K]` per sample.
///
/// Gradient:
/// ```
/// ∂ℓ[n,h,q]/∂A[n,h,q,k] = −target[n,k]                (logLoss = false)
///                       = −target[n,k] / S[n,h,q]     (logLoss = true)
/// ```
/// divided by N·H·Q for `mean`.
///
/// - Parameters:
///   - input: attention probabilities (after the softmax), `[N, H, Q, K]`.
///   - target: the 0/1 mask of target tokens, `[K]` or `[N, K]` (not differentiated).
///   - logLoss: use −log S instead of −S (default false; the `log` option).
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: `[.input]` (default) or `[]`.
/// - Returns: the loss and, if requested, ∂loss/∂input.
/// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` for an `input` of rank < 2 or
///   with K = 0; ``LossError/shapeMismatch(argument:expected:actual:)`` for a `target` that is
///   neither `[K]` nor `[N, K]`; ``LossError/valueOutOfRange(argument:value:index:expected:)``
///   for attention outside [0, 1] and for a mask entry other than 0 or 1;
///   ``LossError/invalidOption(name:value:expected:)`` for `batchmean`.
///
/// Edge cases: with `logLoss`, a query that puts no attention on the targets (S = 0, or an empty
/// target set) gives +inf with gradient −inf on the target tokens (the limit of −log S);
/// non-target tokens always have gradient 0. The plain loss is bounded in [−1, 0] per query.
/// The `mean` of an empty batch is NaN.
///
/// The loss drives attention onto the target tokens: it is the auxiliary term TrojViT adds to
/// the cross-entropy of the attacked label (Zheng et al., "TrojViT: Trojan Insertion in Vision
/// Transformers", CVPR 2023), and measures how far attention is hijacked by a patch.
/// Combine it with a cross-entropy through ``LossComposition``.
///
/// Reference: the formula above written in PyTorch (`-(A * mask).sum(-1)`, or its `log`), value
/// and autograd gradient.
///
/// ```swift
/// let a = try Tensor(shape: [1, 1, 2, 3], scalars: [0.5, 0.25, 0.25, 0.1, 0.1, 0.8] as [Double])
/// let r = try attentionTargetLoss(input: a, target: Tensor([0, 0, 1] as [Double]), reduction: .none)
/// r.value               // [-0.25, -0.8]   shape [1, 1, 2]
/// r.gradients[.input]   // [0, 0, -1, 0, 0, -1]
/// ```
@inlinable
public func attentionTargetLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, logLoss: Bool = false, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    guard input.rank >= 2 else {
        throw LossError.invalidShape(argument: "input", shape: input.shape, reason: "expected rank ≥ 2 ([N, H, Q, K]), got rank \(input.rank)")
    }
    let batch = input.shape[0], keys = input.shape[input.rank - 1]
    guard keys > 0 else {
        throw LossError.invalidShape(argument: "input", shape: input.shape, reason: "the key dimension K is empty")
    }
    let perSample = target.rank == 2
    if target.shape != [keys] { try checkShape("target", target.shape, equals: [batch, keys]) }
    try checkUnitInterval("input", input)
    try checkValues("target", target, expected: "0 or 1") { $0 == 0 || $0 == 1 }
    let rows = input.count / keys
    let rowsPerSample = batch == 0 ? 1 : rows / batch
    return target.withUnsafeBufferPointer { tb in
        let mask = base(tb)
        return evaluateRows(input, rowLength: keys, valueShape: Array(input.shape.dropLast()), wrt: wrt, reduction: reduction) {
            row, a, g, scale in
            let t = perSample ? mask + (row / rowsPerSample) * keys : mask
            return AttentionTargetKernel.row(a, t, keys: keys, log: logLoss, gradient: g, scale: scale)
        }
    }
}

/// One row of ``attentionTargetLoss(input:target:logLoss:reduction:wrt:)``.
@usableFromInline
enum AttentionTargetKernel {
    /// Returns the row's loss and writes its gradient (times `scale`) when `gradient` is non-nil.
    @inlinable @inline(__always)
    static func row<T: LossScalar>(
        _ a: UnsafePointer<T>, _ t: UnsafePointer<T>, keys: Int, log: Bool,
        gradient: UnsafeMutablePointer<T>?, scale: T
    ) -> T {
        var acc = SIMD8<T>.zero
        var k = 0
        while k + 8 <= keys { acc += load8(a + k) * load8(t + k); k += 8 }
        if k < keys { acc += loadPartial(a + k, keys - k, pad: 0) * loadPartial(t + k, keys - k, pad: 0) }
        let mass = acc.laneSum()
        guard let g = gradient else { return log ? -T.log(mass) : -mass }
        // Non-target tokens get 0 (not 0·(1/S), which is NaN when S = 0).
        let onTarget = SIMD8<T>(repeating: log ? -scale / mass : -scale)
        k = 0
        while k + 8 <= keys {
            store8(zeroWhere(onTarget, load8(t + k) .== 0), g + k)
            k += 8
        }
        if k < keys {
            storePartial(zeroWhere(onTarget, loadPartial(t + k, keys - k, pad: 0) .== 0), g + k, keys - k)
        }
        return log ? -T.log(mass) : -mass
    }
}
