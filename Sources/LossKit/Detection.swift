import RealModule
// Family D of LOSSES.md, box regression: box-iou, giou, diou, ciou.
//
// The four losses are 1 − IoU plus a penalty term, so they share one kernel (`BoxKernel.box`)
// that computes the IoU of a pair of boxes, adds the penalty of the variant and back-propagates
// by hand to the eight coordinates. The arithmetic follows torchvision's graph operation by
// operation (`_loss_inter_union`, then `generalized_box_iou_loss`, `_diou_iou_loss`,
// `complete_box_iou_loss`), so values agree to rounding, and the gradients are the ones its
// autograd gives, including its sub-gradient conventions:
// - `torch.max`/`torch.min` of two equal coordinates send half the gradient to each box;
// - the intersection is 0, with gradient 0, unless both overlaps are strictly positive.

/// The penalty a box loss adds to 1 − IoU.
@usableFromInline
enum BoxPenalty: Sendable {
    /// None: the plain IoU loss.
    case none
    /// GIoU: (|C| − |A ∪ B|) / (|C| + eps), C the smallest enclosing box.
    case enclosingArea
    /// DIoU: ρ²(centers) / (diag(C)² + eps).
    case centerDistance
    /// CIoU: DIoU + α·v, v the aspect-ratio term, α = v / (1 − IoU + v + eps) without gradient.
    case centerDistanceAndAspectRatio
}

/// 1 − IoU loss of axis-aligned boxes: the part every box loss shares.
///
/// ```
/// I = max(0, min(x₂, x̂₂) − max(x₁, x̂₁)) · max(0, min(y₂, ŷ₂) − max(y₁, ŷ₁))   (0 unless both > 0)
/// U = (x₂ − x₁)(y₂ − y₁) + (x̂₂ − x̂₁)(ŷ₂ − ŷ₁) − I
/// ℓₙ = 1 − I / (U + eps)
/// loss = ℓ (none, default; shape [N]) | mean ℓ | Σ ℓ
/// ```
/// Boxes are (x₁, y₁, x₂, y₂) corners, `input` the predicted box, `target` (hatted) the
/// reference box.
///
/// Shapes: `input` `[N, 4]` (any `[..., 4]`), `target` the same; `none` returns `[N]` (the
/// input's shape without its last dimension).
///
/// Gradient (both inputs; below for the predicted box, the target's is symmetric):
/// ```
/// ∂ℓ/∂I = −1/(U + eps) − I/(U + eps)²        ∂ℓ/∂area(input) = I/(U + eps)²
/// ∂I/∂x₂ = h_I where x₂ < x̂₂ (½h_I where x₂ = x̂₂), ∂I/∂x₁ = −h_I where x₁ > x̂₁ (½ at a tie), …
/// ```
/// with h_I, w_I the intersection's height and width (the terms vanish when the boxes do not
/// overlap). With `mean` every gradient is divided by N.
///
/// - Parameters:
///   - input: predicted boxes `[N, 4]`, (x₁, y₁, x₂, y₂) with x₁ ≤ x₂, y₁ ≤ y₂ expected.
///   - target: reference boxes, same shape.
///   - eps: added to the union (default 1e-7, ≥ 0).
///   - reduction: `.none` (default, as torchvision), `.mean` or `.sum`.
///   - wrt: the arguments to return gradients for (default both).
/// - Returns: the loss and the requested gradients.
/// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` unless `input` is `[..., 4]`;
///   ``LossError/shapeMismatch(argument:expected:actual:)`` if `target` differs;
///   ``LossError/invalidOption(name:value:expected:)`` for a negative or non-finite `eps` or `batchmean`.
///
/// Edge cases, as the reference: boxes that only touch or do not overlap have I = 0 (loss 1,
/// gradient 0); two identical zero-area boxes give 1 − 0/eps = 1; the mean of an empty batch is
/// 0 (torchvision returns `0 · sum`), not NaN. Inverted boxes (x₂ < x₁) are not rejected:
/// their areas are negative, as in the reference.
///
/// Reference: torchvision's `_loss_inter_union` and `iou = inter / (union + eps)` (the IoU part
/// of `generalized_box_iou_loss`), 1 − iou written in PyTorch; the IoU loss of UnitBox
/// (Yu et al. 2016) in its linear form.
///
/// ```swift
/// let a = try Tensor(shape: [1, 4], scalars: [0, 0, 2, 2] as [Double])
/// let b = try Tensor(shape: [1, 4], scalars: [1, 1, 3, 3] as [Double])
/// let r = try boxIoULoss(input: a, target: b)
/// r.value                            // [0.857142857…]   (1 − 1/7)
/// r.gradients[.input]?.scalars       // [-0.0408…, -0.0408…, -0.1224…, -0.1224…]
/// ```
@inlinable
public func boxIoULoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, eps: T = 1e-7, reduction: Reduction = .none,
    wrt: Set<LossArgument> = [.input, .target]
) throws(LossError) -> LossResult<T> {
    try BoxKernel.evaluate(input: input, target: target, penalty: .none, eps: eps, reduction: reduction, wrt: wrt)
}

/// Generalized IoU loss (GIoU): 1 − IoU plus the share of the enclosing box the two boxes leave empty.
///
/// ```
/// C = (max(x₂, x̂₂) − min(x₁, x̂₁)) · (max(y₂, ŷ₂) − min(y₁, ŷ₁))   (the smallest enclosing box)
/// ℓₙ = 1 − I/(U + eps) + (C − U)/(C + eps)
/// loss = ℓ (none, default; shape [N]) | mean ℓ | Σ ℓ
/// ```
/// I and U as in ``boxIoULoss(input:target:eps:reduction:wrt:)``. Shapes: `input` `[N, 4]`
/// (any `[..., 4]`) of (x₁, y₁, x₂, y₂) boxes, `target` the same; `none` returns `[N]`.
///
/// Gradient: that of 1 − IoU plus
/// ```
/// ∂/∂C = (U + eps)/(C + eps)²        ∂/∂U = −1/(C + eps)
/// ∂C/∂x₂ = h_C where x₂ > x̂₂ (½h_C at a tie), ∂C/∂x₁ = −h_C where x₁ < x̂₁ (½ at a tie), …
/// ```
/// for both boxes; divided by N for `mean`.
///
/// - Parameters:
///   - input: predicted boxes `[N, 4]`, (x₁, y₁, x₂, y₂).
///   - target: reference boxes, same shape.
///   - eps: added to the union and to the enclosing area (default 1e-7, ≥ 0).
///   - reduction: `.none` (default, as torchvision), `.mean` or `.sum`.
///   - wrt: the arguments to return gradients for (default both).
/// - Returns: the loss (in [0, 2) for valid boxes) and the requested gradients.
/// - Throws: as ``boxIoULoss(input:target:eps:reduction:wrt:)``.
///
/// Unlike 1 − IoU, the loss keeps a gradient for boxes that do not overlap (the penalty pulls
/// them together). Two identical degenerate boxes (zero enclosing area) give loss 1 and finite
/// gradients; the mean of an empty batch is 0, as the reference.
///
/// Matches `torchvision.ops.generalized_box_iou_loss` (Rezatofighi et al. 2019).
///
/// ```swift
/// let a = try Tensor(shape: [1, 4], scalars: [0, 0, 1, 1] as [Double])
/// let b = try Tensor(shape: [1, 4], scalars: [2, 0, 3, 1] as [Double])
/// try generalizedBoxIoULoss(input: a, target: b).value   // [1.333333…]   (1 − 0 + (3 − 2)/3)
/// ```
@inlinable
public func generalizedBoxIoULoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, eps: T = 1e-7, reduction: Reduction = .none,
    wrt: Set<LossArgument> = [.input, .target]
) throws(LossError) -> LossResult<T> {
    try BoxKernel.evaluate(input: input, target: target, penalty: .enclosingArea, eps: eps, reduction: reduction, wrt: wrt)
}

/// Distance IoU loss (DIoU): 1 − IoU plus the squared distance of the box centers over the
/// squared diagonal of the enclosing box.
///
/// ```
/// ρ² = ((x₁ + x₂)/2 − (x̂₁ + x̂₂)/2)² + ((y₁ + y₂)/2 − (ŷ₁ + ŷ₂)/2)²
/// c² = (max(x₂, x̂₂) − min(x₁, x̂₁))² + (max(y₂, ŷ₂) − min(y₁, ŷ₁))² + eps
/// ℓₙ = 1 − I/(U + eps) + ρ²/c²
/// loss = ℓ (none, default; shape [N]) | mean ℓ | Σ ℓ
/// ```
/// I and U as in ``boxIoULoss(input:target:eps:reduction:wrt:)``. Shapes: `input` `[N, 4]`
/// (any `[..., 4]`) of (x₁, y₁, x₂, y₂) boxes, `target` the same; `none` returns `[N]`.
///
/// Gradient: that of 1 − IoU plus
/// ```
/// ∂/∂x₁ = ∂/∂x₂ = ((x₁ + x₂)/2 − (x̂₁ + x̂₂)/2)/c²   (centers; the target's with the opposite sign)
/// ∂/∂w_C = −2w_C·ρ²/c⁴, ∂/∂h_C = −2h_C·ρ²/c⁴        (enclosing box, ties split in half)
/// ```
/// divided by N for `mean`.
///
/// - Parameters:
///   - input: predicted boxes `[N, 4]`, (x₁, y₁, x₂, y₂).
///   - target: reference boxes, same shape.
///   - eps: added to the union and to c² (default 1e-7, ≥ 0).
///   - reduction: `.none` (default, as torchvision), `.mean` or `.sum`.
///   - wrt: the arguments to return gradients for (default both).
/// - Returns: the loss and the requested gradients.
/// - Throws: as ``boxIoULoss(input:target:eps:reduction:wrt:)``.
///
/// Identical boxes give 0; two identical points give 1 (ρ² = 0, c² = eps). The mean of an
/// empty batch is 0, as the reference.
///
/// Matches `torchvision.ops.distance_box_iou_loss` (Zheng et al. 2020).
///
/// ```swift
/// let a = try Tensor(shape: [1, 4], scalars: [0, 0, 1, 1] as [Double])
/// let b = try Tensor(shape: [1, 4], scalars: [2, 0, 3, 1] as [Double])
/// try distanceBoxIoULoss(input: a, target: b).value   // [1.4]   (1 − 0 + 4/(10 + eps))
/// ```
@inlinable
public func distanceBoxIoULoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, eps: T = 1e-7, reduction: Reduction = .none,
    wrt: Set<LossArgument> = [.input, .target]
) throws(LossError) -> LossResult<T> {
    try BoxKernel.evaluate(input: input, target: target, penalty: .centerDistance, eps: eps, reduction: reduction, wrt: wrt)
}

/// Complete IoU loss (CIoU): DIoU plus a term for the difference of the aspect ratios.
///
/// ```
/// v = (4/π²)·(atan(ŵ/ĥ) − atan(w/h))²        (w = x₂ − x₁, h = y₂ − y₁)
/// α = v / (1 − IoU + v + eps)                  (a constant for the gradient)
/// ℓₙ = DIoU loss with eps = 1e-7 + α·v
/// loss = ℓ (none, default; shape [N]) | mean ℓ | Σ ℓ
/// ```
/// Shapes: `input` `[N, 4]` (any `[..., 4]`) of (x₁, y₁, x₂, y₂) boxes, `target` the same;
/// `none` returns `[N]`.
///
/// Gradient: that of ``distanceBoxIoULoss(input:target:eps:reduction:wrt:)`` plus α·∂v, with
/// ```
/// ∂v/∂w = −(8/π²)·Δ·h/(w² + h²)      ∂v/∂h = (8/π²)·Δ·w/(w² + h²)      Δ = atan(ŵ/ĥ) − atan(w/h)
/// ```
/// (the target's with the opposite sign); α is not differentiated (as the reference, which
/// computes it under `no_grad`). Divided by N for `mean`.
///
/// - Parameters:
///   - input: predicted boxes `[N, 4]`, (x₁, y₁, x₂, y₂).
///   - target: reference boxes, same shape.
///   - eps: used in α only (default 1e-7, ≥ 0): the reference computes the IoU and c² with
///     its default eps 1e-7 whatever `eps` is, and LossKit does the same.
///   - reduction: `.none` (default, as torchvision), `.mean` or `.sum`.
///   - wrt: the arguments to return gradients for (default both).
/// - Returns: the loss and the requested gradients.
/// - Throws: as ``boxIoULoss(input:target:eps:reduction:wrt:)``.
///
/// Edge cases: a box of zero height and non-zero width has aspect angle atan(±∞) = ±π/2, as
/// in the reference, but where the reference's gradient is NaN there (its chain rule divides
/// 0 by 0), LossKit returns the finite one-sided derivative h/(w² + h²) = 0 and −w/(w² + h²) = −1/w
/// (the limit from boxes of positive height). A box with zero width and zero height has no
/// aspect ratio: the loss is NaN, as in the reference. The mean of an empty batch is 0.
///
/// Matches `torchvision.ops.complete_box_iou_loss` (Zheng et al. 2020).
///
/// ```swift
/// let a = try Tensor(shape: [1, 4], scalars: [0, 0, 2, 1] as [Double])
/// let b = try Tensor(shape: [1, 4], scalars: [0, 0, 1, 1] as [Double])
/// try completeBoxIoULoss(input: a, target: b).value   // [0.55324…]   (1 − ½ + 0.05 + α·v; v = 0.04197…, α = v/(½ + v))
/// ```
@inlinable
public func completeBoxIoULoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, eps: T = 1e-7, reduction: Reduction = .none,
    wrt: Set<LossArgument> = [.input, .target]
) throws(LossError) -> LossResult<T> {
    try BoxKernel.evaluate(
        input: input, target: target, penalty: .centerDistanceAndAspectRatio, eps: eps, reduction: reduction, wrt: wrt)
}

/// The shared kernel and driver of the box losses.
@usableFromInline
enum BoxKernel {
    /// max(a, b) (`larger`) or min(a, b) with the share of the gradient each argument receives:
    /// all of it for the strict winner, half each at a tie (`torch.maximum`/`torch.minimum`).
    @inlinable @inline(__always)
    static func extremum<T: LossScalar>(_ a: T, _ b: T, larger: Bool) -> (value: T, wa: T, wb: T) {
        if a == b { return (a, 0.5, 0.5) }
        if a.isNaN || b.isNaN { return (.nan, 0.5, 0.5) }
        return (a > b) == larger ? (a, 1, 0) : (b, 0, 1)
    }

    /// The loss of one pair of boxes `p` (predicted) and `g` (reference), each (x₁, y₁, x₂, y₂),
    /// and its gradient with respect to both, in the order of torchvision's computation.
    @inlinable @inline(__always)
    static func box<T: LossScalar>(
        _ p: SIMD4<T>, _ g: SIMD4<T>, penalty: BoxPenalty, eps: T
    ) -> (loss: T, dp: SIMD4<T>, dg: SIMD4<T>) {
        // CIoU: torchvision's complete_box_iou_loss calls _diou_iou_loss with its default eps.
        let iouEps: T = penalty == .centerDistanceAndAspectRatio ? 1e-7 : eps
        var dp = SIMD4<T>.zero, dg = SIMD4<T>.zero

        // Intersection (_loss_inter_union): corners, then the area where both extents are > 0.
        let ix1 = extremum(p[0], g[0], larger: true), iy1 = extremum(p[1], g[1], larger: true)
        let ix2 = extremum(p[2], g[2], larger: false), iy2 = extremum(p[3], g[3], larger: false)
        let iw = ix2.value - ix1.value, ih = iy2.value - iy1.value
        let overlaps = iw > 0 && ih > 0
        let inter = overlaps ? iw * ih : 0
        let pw = p[2] - p[0], ph = p[3] - p[1], gw = g[2] - g[0], gh = g[3] - g[1]
        let union = pw * ph + gw * gh - inter
        let u = union + iouEps
        let iou = inter / u
        var loss = 1 - iou
        // Adjoints of the loss with respect to the intersection and the union (U = areas − I).
        var dInter = -1 / u
        var dUnion = iou / u

        // Enclosing box (GIoU, DIoU, CIoU).
        let cx1 = extremum(p[0], g[0], larger: false), cy1 = extremum(p[1], g[1], larger: false)
        let cx2 = extremum(p[2], g[2], larger: true), cy2 = extremum(p[3], g[3], larger: true)
        let cw = cx2.value - cx1.value, ch = cy2.value - cy1.value
        var dcw: T = 0, dch: T = 0

        switch penalty {
        case .none:
            break
        case .enclosingArea:
            let c = cw * ch
            let ce = c + eps
            let term = (c - union) / ce
            loss += term
            let dc = (1 - term) / ce  // ∂[(C − U)/(C + eps)]/∂C = (U + eps)/(C + eps)²
            dUnion -= 1 / ce
            dcw = dc * ch
            dch = dc * cw
        case .centerDistance, .centerDistanceAndAspectRatio:
            let diagonal = cw * cw + ch * ch + iouEps
            let dx = (p[2] + p[0]) / 2 - (g[0] + g[2]) / 2
            let dy = (p[3] + p[1]) / 2 - (g[1] + g[3]) / 2
            let distance = dx * dx + dy * dy
            let term = distance / diagonal
            loss += term
            let dDiagonal = -term / diagonal
            dcw = dDiagonal * 2 * cw
            dch = dDiagonal * 2 * ch
            // ∂(ρ²/c²)/∂(center x) = 2·dx/c², and each center is the mean of two corners.
            let ddx = dx / diagonal, ddy = dy / diagonal
            dp += SIMD4(ddx, ddy, ddx, ddy)
            dg -= SIMD4(ddx, ddy, ddx, ddy)
            if penalty == .centerDistanceAndAspectRatio {
                let delta = T.atan(gw / gh) - T.atan(pw / ph)
                let scale = 4 / (T.pi * T.pi)
                let v = scale * delta * delta
                let alpha = v / (1 - iou + v + eps)
                loss += alpha * v
                // d atan(w/h) = (h·dw − w·dh)/(w² + h²): finite also at h = 0 (see the doc comment).
                let dDelta = alpha * scale * 2 * delta
                let rp = dDelta / (pw * pw + ph * ph), rg = dDelta / (gw * gw + gh * gh)
                let dpw = -rp * ph, dph = rp * pw, dgw = rg * gh, dgh = -rg * gw
                dp += SIMD4(-dpw, -dph, dpw, dph)
                dg += SIMD4(-dgw, -dgh, dgw, dgh)
            }
        }

        // Union = area(p) + area(g) − I.
        dInter -= dUnion
        dp += dUnion * SIMD4(-ph, -pw, ph, pw)
        dg += dUnion * SIMD4(-gh, -gw, gh, gw)
        if overlaps {
            let diw = dInter * ih, dih = dInter * iw
            dp += SIMD4(-diw * ix1.wa, -dih * iy1.wa, diw * ix2.wa, dih * iy2.wa)
            dg += SIMD4(-diw * ix1.wb, -dih * iy1.wb, diw * ix2.wb, dih * iy2.wb)
        }
        if dcw != 0 || dch != 0 {
            dp += SIMD4(-dcw * cx1.wa, -dch * cy1.wa, dcw * cx2.wa, dch * cy2.wa)
            dg += SIMD4(-dcw * cx1.wb, -dch * cy1.wb, dcw * cx2.wb, dch * cy2.wb)
        }
        return (loss, dp, dg)
    }

    /// Validates the arguments and runs ``box(_:_:penalty:eps:)`` over every pair of boxes.
    @inlinable
    static func evaluate<T: LossScalar>(
        input: Tensor<T>, target: Tensor<T>, penalty: BoxPenalty, eps: T, reduction: Reduction,
        wrt: Set<LossArgument>
    ) throws(LossError) -> LossResult<T> {
        try reduction.validate()
        try checkOption("eps", eps, expected: "a finite number ≥ 0") { $0 >= 0 && $0.isFinite }
        guard input.rank >= 1, input.shape.last == 4 else {
            throw LossError.invalidShape(
                argument: "input", shape: input.shape, reason: "expected boxes [N, 4] of (x1, y1, x2, y2)")
        }
        try checkShape("target", target.shape, equals: input.shape)
        let boxes = input.count / 4
        // torchvision's mean of an empty batch is 0 · sum = 0 (and so its gradient).
        let plan = ReductionPlan<T>(reduction, denominator: T(Swift.max(boxes, 1)))
        let scale = plan.gradientScale
        var losses = [T](repeating: 0, count: reduction == .none ? boxes : 0)
        var sum: T = 0
        let grads = makeBuffers(count: input.count, wanted: [wrt.contains(.input), wrt.contains(.target)]) {
            (g: [UnsafeMutablePointer<T>?]) in
            withPointers([input, target]) { pointers in
                let p = pointers[0], q = pointers[1]
                losses.withUnsafeMutableBufferPointer { lb in
                    let out = reduction == .none ? lb.baseAddress : nil
                    sum = blockedSum(count: boxes, blockSize: rowsPerBlock(rowLength: 64)) { range in
                        var total: T = 0
                        for n in range {
                            let o = 4 * n
                            let r = box(
                                SIMD4(p[o], p[o + 1], p[o + 2], p[o + 3]), SIMD4(q[o], q[o + 1], q[o + 2], q[o + 3]),
                                penalty: penalty, eps: eps)
                            total += r.loss
                            out?[n] = r.loss
                            if let gi = g[0] { store4(r.dp * scale, gi + o) }
                            if let gt = g[1] { store4(r.dg * scale, gt + o) }
                        }
                        return total
                    }
                }
            }
        }
        var result = LossResult<T>(
            value: reduction == .none
                ? Tensor(uncheckedShape: Array(input.shape.dropLast()), scalars: losses)
                : Tensor(plan.value(fromSum: sum)))
        if let g = grads[0] { result.gradients[.input] = Tensor(uncheckedShape: input.shape, scalars: g) }
        if let g = grads[1] { result.gradients[.target] = Tensor(uncheckedShape: input.shape, scalars: g) }
        return result
    }

    @inlinable @inline(__always)
    static func store4<T: LossScalar>(_ v: SIMD4<T>, _ p: UnsafeMutablePointer<T>) {
        p[0] = v[0]; p[1] = v[1]; p[2] = v[2]; p[3] = v[3]
    }
}
