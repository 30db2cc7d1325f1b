import RealModule
// Family E of LOSSES.md, ranking losses: margin-ranking.

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
) throws -> LossResult<T> {
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
