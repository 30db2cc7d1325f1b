import RealModule
// The Lovász losses of the segmentation family (Lovász hinge and Lovász-softmax; see
// Segmentation.swift for the layout).

// MARK: - Lovász

/// The Lovász extension of the Jaccard loss over one set of `count` errors (Berman et al. 2018,
/// Alg. 1): sorts the errors in decreasing order, and with the foreground values `fg` in that
/// order forms J_k = 1 − (Σfg − cumΣfg_k)/(Σfg + cumΣ(1 − fg)_k) and g_k = J_k − J_{k−1}.
///
/// Returns Σ_k f(e_k)·g_k with f = relu (`hinge`) or the identity, and writes
/// `slope[i]` = g_rank(i)·f′(e_i) when `slope` is given. Ties are ordered by increasing index
/// (a stable sort, like `torch.sort(stable=True)`); the value does not depend on the order of
/// tied errors, the sub-gradient does. NaN errors sort first.
@inlinable
func lovaszExtension<T: LossScalar>(
    errors e: UnsafePointer<T>, foreground fg: UnsafePointer<T>, count: Int, hinge: Bool,
    order: UnsafeMutablePointer<Int>, slope: UnsafeMutablePointer<T>?
) -> T {
    guard count > 0 else { return 0 }
    var ranks = UnsafeMutableBufferPointer(start: order, count: count)
    for i in 0..<count { ranks[i] = i }
    ranks.sort { i, j in
        let a = e[i].isNaN ? T.infinity : e[i], b = e[j].isNaN ? T.infinity : e[j]
        return a > b || (a == b && i < j)
    }
    var total: T = 0
    for i in 0..<count { total += fg[i] }
    var cumulativeForeground: T = 0, cumulativeBackground: T = 0, previous: T = 0, loss: T = 0
    for k in 0..<count {
        let i = ranks[k]
        cumulativeForeground += fg[i]
        cumulativeBackground += 1 - fg[i]
        let jaccard = 1 - (total - cumulativeForeground) / (total + cumulativeBackground)
        let g = jaccard - previous
        previous = jaccard
        let active = !hinge || e[i] > 0
        if active { loss += e[i] * g }
        slope?[i] = active ? g : 0
    }
    return loss
}

/// Scratch of the Lovász losses: the errors, foreground values and positions of one problem
/// (a whole batch or one image), its sort order and slopes.
@usableFromInline
struct LovaszScratch<T: LossScalar> {
    @usableFromInline var errors: [T]
    @usableFromInline var foreground: [T]
    @usableFromInline var slope: [T]
    @usableFromInline var position: [Int]
    @usableFromInline var order: [Int]

    @inlinable
    init(capacity: Int) {
        errors = [T](repeating: 0, count: capacity)
        foreground = errors
        slope = errors
        position = [Int](repeating: 0, count: capacity)
        order = position
    }

    /// The Lovász extension of the first `count` gathered errors; slopes when `gradient`.
    @inlinable
    mutating func evaluate(count: Int, hinge: Bool, gradient: Bool) -> T {
        errors.withUnsafeBufferPointer { e in
            foreground.withUnsafeBufferPointer { fg in
                order.withUnsafeMutableBufferPointer { o in
                    slope.withUnsafeMutableBufferPointer { s in
                        lovaszExtension(errors: base(e), foreground: base(fg), count: count, hinge: hinge,
                                        order: base(o),
                                        slope: gradient ? s.baseAddress : nil)
                    }
                }
            }
        }
    }
}

/// The mask value that marks ignored positions: the ignore index, or NaN (equal to nothing).
@inlinable
func maskValue<T: LossScalar>(ignoring ignoreIndex: Int?) -> T { ignoreIndex.map { T($0) } ?? .nan }

/// The Lovász hinge (logits) or Lovász-sigmoid (probabilities) of binary and multilabel masks:
/// one problem per image (`perImage`) or one over the whole batch, every element of it in the
/// problem (smp flattens the channels too). Returns the per-problem losses; writes the gradient
/// times `scale`.
@inlinable
func lovaszMaskLosses<T: LossScalar>(
    input x: UnsafePointer<T>, mask t: UnsafePointer<T>, problems: Int, problemSize: Int,
    ignoreIndex: Int?, fromLogits: Bool, scale: T, gradient g: UnsafeMutablePointer<T>?
) -> [T] {
    let ignored: T = maskValue(ignoring: ignoreIndex)
    var scratch = LovaszScratch<T>(capacity: problemSize)
    var losses = [T](repeating: 0, count: problems)
    for q in 0..<problems {
        var count = 0
        for i in q * problemSize ..< (q + 1) * problemSize where t[i] != ignored {
            // Hinge: e = 1 − x·(2t − 1); probabilities: e = |t − p|.
            scratch.errors[count] = fromLogits ? 1 - x[i] * (2 * t[i] - 1) : (t[i] - x[i]).magnitude
            scratch.foreground[count] = t[i]
            scratch.position[count] = i
            count += 1
        }
        losses[q] = scratch.evaluate(count: count, hinge: fromLogits, gradient: g != nil)
        guard let g else { continue }
        for k in 0..<count {
            let i = scratch.position[k]
            let de = fromLogits ? -(2 * t[i] - 1) : signum(x[i] - t[i])
            g[i] = scale * scratch.slope[k] * de
        }
    }
    return losses
}

/// The Lovász-softmax of class indices: per problem (image or batch) and per class present in
/// it, the Lovász extension of the errors |fg − p_c| over the non-ignored pixels; the problem's
/// loss is the mean over its present classes. Returns the per-problem losses and per-class
/// losses (summed over problems); writes ∂/∂p times `scale` (divided by the number of present
/// classes when `averageClasses`) into `g` (which must be zero), then, from logits, takes it
/// through the softmax.
@inlinable
func lovaszSoftmaxLosses<T: LossScalar, L: BinaryInteger>(
    input x: UnsafePointer<T>, labels: UnsafePointer<L>, layout: ClassLayout, perImage: Bool,
    ignoreIndex: Int?, fromLogits: Bool, scale: T, averageClasses: Bool, gradient g: UnsafeMutablePointer<T>?
) -> (problems: [T], classes: [T]) {
    let C = layout.classes, S = layout.inner, N = layout.batch
    let problems = perImage ? N : 1, imagesPerProblem = perImage ? 1 : N
    let pixels = imagesPerProblem * S
    var scratch = LovaszScratch<T>(capacity: pixels)
    // Per valid pixel: its softmax shift m and 1/Σexp (probabilities p_c = exp(x_c − m)/Σ).
    var shift = [T](repeating: 0, count: fromLogits ? pixels : 0), inverse = shift
    var labelOf = [Int](repeating: 0, count: pixels)
    var problemLosses = [T](repeating: 0, count: problems), classLosses = [T](repeating: 0, count: C)
    func offset(_ pixel: Int, _ c: Int) -> Int {
        let (n, s) = pixel.quotientAndRemainder(dividingBy: S)
        return (n * C + c) * S + s
    }
    func probability(_ k: Int, _ c: Int) -> T {
        let v = x[offset(scratch.position[k], c)]
        return fromLogits ? T.exp(v == shift[k] ? 0 : v - shift[k]) * inverse[k] : v
    }
    for q in 0..<problems {
        var count = 0
        var present = [Int](repeating: 0, count: C)
        for pixel in q * pixels ..< (q + 1) * pixels {
            let y = Int(truncatingIfNeeded: labels[pixel])
            if y == ignoreIndex { continue }
            scratch.position[count] = pixel
            labelOf[count] = y
            present[y] += 1
            if fromLogits {
                var m = -T.infinity
                for c in 0..<C { m = Swift.max(m, x[offset(pixel, c)]) }
                var s: T = 0
                for c in 0..<C { let v = x[offset(pixel, c)]; s += T.exp(v == m ? 0 : v - m) }
                shift[count] = m
                inverse[count] = 1 / s
            }
            count += 1
        }
        let presentCount = present.filter { $0 > 0 }.count
        guard presentCount > 0 else { continue }
        let weight = averageClasses ? scale / T(presentCount) : scale
        var total: T = 0
        for c in 0..<C where present[c] > 0 {
            for k in 0..<count {
                let fg: T = labelOf[k] == c ? 1 : 0
                scratch.foreground[k] = fg
                scratch.errors[k] = (fg - probability(k, c)).magnitude
            }
            let l = scratch.evaluate(count: count, hinge: false, gradient: g != nil)
            total += l
            classLosses[c] += l
            guard let g else { continue }
            for k in 0..<count {
                let p = probability(k, c)
                g[offset(scratch.position[k], c)] = weight * scratch.slope[k] * signum(p - scratch.foreground[k])
            }
        }
        problemLosses[q] = total / T(presentCount)
        // Through the softmax: ∂x_c = p_c·(∂p_c − Σ_j p_j ∂p_j).
        guard fromLogits, let g else { continue }
        for k in 0..<count {
            var dot: T = 0
            for c in 0..<C { dot += probability(k, c) * g[offset(scratch.position[k], c)] }
            for c in 0..<C {
                let o = offset(scratch.position[k], c)
                g[o] = probability(k, c) * (g[o] - dot)
            }
        }
    }
    return (problemLosses, classLosses)
}

/// Lovász loss of dense predictions against integer class indices: the Lovász-softmax
/// (multiclass) or the Lovász hinge (binary, multilabel), a convex surrogate of the Jaccard
/// (IoU) loss (Berman, Rannen Triki & Blaschko 2018; smp's `LovaszLoss`).
///
/// ```
/// Lovász extension of a set of errors e (one problem):
///   sort e decreasingly; with the foreground fg in that order,
///   J_k = 1 − (Σfg − Σ_{i≤k} fg_i) / (Σfg + Σ_{i≤k}(1 − fg_i)),  g_k = J_k − J_{k−1}
///   lovász(e) = Σ_k f(e_k)·g_k
/// multiclass: p = softmax(input) (input itself with fromLogits = false);
///   per class c present in the problem: e = |fg_c − p_c| over the non-ignored pixels, f = id;
///   problem loss = mean over its present classes
/// binary, multilabel (every element of [N, C, ...] flattened into the problem):
///   logits: e = 1 − x·(2t − 1), f = relu (hinge);  fromLogits = false: e = |t − p|, f = id
/// problems: the whole batch (perImage = false) or each image (perImage = true)
/// loss = mean over the problems (default) | sum | none
/// ```
/// `none` is `[N]` with `perImage`; without it the per-class losses `[C]` for multiclass (0 for
/// absent classes; `mean` divides their sum by the number of present classes) and `[1]` for
/// binary and multilabel.
///
/// Shapes: `input` `[N, C, d1, ...]`; `target` class indices `[N, d1, ...]` for `.multiclass`
/// (read as a mask for `.binary`/`.multilabel`, see the mask overload).
///
/// Gradient: the sub-gradient autograd gives through smp's implementation: ∂/∂e_i = g_rank(i)
/// (times [e_i > 0] for the hinge), ∂e/∂x = −(2t − 1) for the hinge, sign(p − fg) for
/// probabilities, then through the softmax; 0 at ignored positions.
///
/// - Parameters:
///   - input: logits (or probabilities with `fromLogits: false`) `[N, C, d1, ...]`.
///   - target: class indices `[N, d1, ...]`.
///   - mode: `.multiclass` (default), `.binary` or `.multilabel`.
///   - perImage: one Lovász problem per image, averaged (default false: one over the batch).
///   - ignoreIndex: target value whose positions are left out (default none).
///   - fromLogits: softmax the input (multiclass) / use the hinge on logits (default true).
///     smp's `LovaszLoss` accepts and ignores this option; LossKit gives it its natural meaning:
///     false takes probabilities, the Lovász-softmax without the softmax, and for binary masks
///     the Lovász extension of |t − p| (Berman's Lovász-sigmoid).
///   - reduction: `.mean` (default, smp's value), `.sum` or `.none`.
///   - wrt: `[.input]` (default) or `[]`.
/// - Returns: the loss and ∂loss/∂input.
/// - Throws: as `diceLoss(input:target:mode:fromLogits:smooth:eps:ignoreIndex:logLoss:reduction:wrt:)`.
///
/// Edge cases: a problem whose pixels are all ignored has loss 0 and zero gradient and still
/// counts in the per-image mean (smp returns an empty tensor for multiclass there); an empty
/// batch gives 0. Ties between errors are ordered by increasing flattened index (a stable sort;
/// smp's `torch.sort` leaves their order unspecified): the value does not depend on it, the
/// sub-gradient does, so reference comparisons use inputs without ties. C = 1 multiclass is
/// allowed, and dimension 1 is always the class dimension (smp raises for C = 1, and reads a
/// rank-3 multiclass input `[N, C, L]` as single-channel `[B, H, W]`).
///
/// Matches `segmentation_models_pytorch.losses.LovaszLoss` 0.6.
///
/// ```swift
/// let x = try Tensor(shape: [1, 2, 1, 2], scalars: [2, -1, 0, 1] as [Float])
/// let y = try Tensor(shape: [1, 1, 2], scalars: [0, 1] as [Int32])
/// try lovaszLoss(input: x, target: y).scalar   // 0.11920297
/// ```
@inlinable
public func lovaszLoss<T: LossScalar, L: BinaryInteger>(
    input: Tensor<T>, target: Tensor<L>, mode: SegmentationMode = .multiclass, fromLogits: Bool = true,
    perImage: Bool = false, ignoreIndex: Int? = nil, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try lovasz(input: input, target: .labels(target), mode: mode, perImage: perImage, ignoreIndex: ignoreIndex,
               fromLogits: fromLogits, reduction: reduction, wrt: wrt)
}

/// Lovász loss of dense predictions against a floating-point mask: the Lovász hinge of logits
/// (binary and multilabel modes, smp's `LovaszLoss`), or the Lovász extension of |t − p| for
/// probabilities.
///
/// ```
/// e = 1 − x·(2t − 1) (logits) | |t − p| (fromLogits = false), over every non-ignored element
/// of the batch (or of each image with perImage); sorted decreasingly:
/// loss = Σ_k f(e_k)·g_k,  g_k = J_k − J_{k−1},  J_k = 1 − (Σt − cumΣt_k)/(Σt + cumΣ(1 − t)_k)
/// f = relu for the hinge, identity for probabilities
/// ```
/// Shapes: `.binary`: `input` `[N, 1, ...]`, `target` `[N, 1, ...]` or `[N, ...]`;
/// `.multilabel`: both `[N, C, ...]` (all channels form one problem, as in smp).
///
/// Gradient: ∂L/∂x_i = −(2t_i − 1)·g_rank(i)·[e_i > 0] (hinge), g_rank(i)·sign(p_i − t_i)
/// (probabilities); 0 where ignored.
///
/// - Parameters: as the class-index overload; `mode` is `.binary` or `.multilabel`.
/// - Returns: the loss (0-d; `none`: `[N]` with `perImage`, else `[1]`) and ∂loss/∂input.
/// - Throws: as the class-index overload.
///
/// Matches `segmentation_models_pytorch.losses.LovaszLoss(mode="binary" | "multilabel")` 0.6.
///
/// ```swift
/// let x = try Tensor(shape: [1, 1, 2], scalars: [0.5, -1] as [Float])
/// let t = try Tensor(shape: [1, 1, 2], scalars: [1, 0] as [Float])
/// try lovaszLoss(input: x, target: t, mode: .binary).scalar   // 0.5 (the hinge error of 0.5)
/// ```
@inlinable
public func lovaszLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, mode: SegmentationMode, fromLogits: Bool = true,
    perImage: Bool = false, ignoreIndex: Int? = nil, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try lovasz(input: input, target: DenseTarget<T, Int>.mask(target), mode: mode, perImage: perImage,
               ignoreIndex: ignoreIndex, fromLogits: fromLogits, reduction: reduction, wrt: wrt)
}

/// Both Lovász losses end to end: validation, the per-problem losses, the reduction.
@inlinable
func lovasz<T: LossScalar, L: BinaryInteger>(
    input: Tensor<T>, target: DenseTarget<T, L>, mode: SegmentationMode, perImage: Bool, ignoreIndex: Int?,
    fromLogits: Bool, reduction: Reduction, wrt: Set<LossArgument>
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    let (layout, target) = try denseLayout(input: input, target: target, mode: mode, ignoreIndex: ignoreIndex)
    let N = layout.batch
    let problems = perImage ? N : 1
    // The mean over images divides by N; a batch-wide multiclass mean divides by the present classes (inside).
    let scale: T = perImage && reduction == .mean && N > 0 ? 1 / T(N) : 1
    let gradient = wrt.contains(.input) ? TensorBuffer<T>(uninitializedCount: input.count) : nil
    if let g = gradient { g.base.initialize(repeating: 0, count: input.count) }
    let losses: [T], perClass: [T]?
    switch target {
    case .labels(let labels):
        (losses, perClass) = input.withUnsafeBufferPointer { xb in
            labels.withUnsafeBufferPointer { lb in
                let r = lovaszSoftmaxLosses(
                    input: base(xb), labels: base(lb), layout: layout, perImage: perImage, ignoreIndex: ignoreIndex,
                    fromLogits: fromLogits, scale: scale, averageClasses: perImage || reduction == .mean,
                    gradient: gradient?.base)
                return (r.problems, r.classes)
            }
        }
    case .mask(let mask):
        losses = input.withUnsafeBufferPointer { xb in
            mask.withUnsafeBufferPointer { mb in
                lovaszMaskLosses(
                    input: base(xb), mask: base(mb), problems: problems,
                    problemSize: problems == 0 ? 0 : input.count / problems, ignoreIndex: ignoreIndex,
                    fromLogits: fromLogits, scale: scale, gradient: gradient?.base)
            }
        }
        perClass = nil
    }
    var total: T = 0
    for l in losses { total += l }
    let value: Tensor<T>
    switch reduction {
    case .none where perImage: value = Tensor(uncheckedShape: [N], scalars: losses)
    case .none: value = Tensor(uncheckedShape: [perClass?.count ?? 1], scalars: perClass ?? losses)
    case .sum where !perImage && perClass != nil: value = Tensor(perClass!.reduce(0, +))
    case .mean where perImage: value = Tensor(N > 0 ? total / T(N) : 0)
    default: value = Tensor(total)
    }
    var result = LossResult(value: value)
    if let g = gradient { result.gradients[.input] = Tensor(uncheckedShape: input.shape, scalars: g) }
    return result
}
