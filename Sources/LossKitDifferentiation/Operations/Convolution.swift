#if canImport(_Differentiation)
import _Differentiation

/// The geometry of a 2-D convolution or pooling window over an NCHW input.
@usableFromInline
struct Window2D {
    @usableFromInline let n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow: Int

    @inlinable
    init(_ shape: [Int], kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), operation: String) {
        precondition(shape.count == 4, "\(operation): expected an NCHW input, got shape \(shape)")
        precondition(kernel.0 > 0 && kernel.1 > 0 && stride.0 > 0 && stride.1 > 0 && dilation.0 > 0 && dilation.1 > 0
                     && padding.0 >= 0 && padding.1 >= 0,
                     "\(operation): kernel \(kernel), stride \(stride) and dilation \(dilation) must be positive, padding \(padding) ≥ 0")
        (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        (kh, kw, sh, sw, ph, pw, dh, dw) = (kernel.0, kernel.1, stride.0, stride.1, padding.0, padding.1, dilation.0, dilation.1)
        oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1
        ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1
        precondition(h + 2 * ph >= dh * (kh - 1) + 1 && w + 2 * pw >= dw * (kw - 1) + 1,
                     "\(operation): the \(kernel) window (dilation \(dilation)) does not fit the \(h)×\(w) input with padding \(padding)")
    }

    /// Calls `body(column, offset)` for each of the kh·kw taps of output position (oh, ow) of
    /// channel plane `plane` (`offset` into the input, nil where the tap falls in the padding).
    @inlinable @inline(__always)
    func forEachTap(plane: Int, y: Int, x: Int, _ body: (Int, Int?) -> Void) {
        for i in 0..<kh {
            let iy = y * sh - ph + i * dh
            for j in 0..<kw {
                let ix = x * sw - pw + j * dw
                body(i * kw + j, iy >= 0 && iy < h && ix >= 0 && ix < w ? (plane * h + iy) * w + ix : nil)
            }
        }
    }
}

/// The 2-D convolution (cross-correlation, as PyTorch's `conv2d`) of an NCHW `input` with
/// `filter` [O, C, kH, kW]: out[n, o, y, x] = Σ_{c,i,j} filter[o, c, i, j]·input[n, c, y·sₕ − pₕ + i·dₕ,
/// x·s_w − p_w + j·d_w] (zero padding), shape [N, O, OH, OW] with OH = ⌊(H + 2pₕ − dₕ(kH − 1) − 1)/sₕ⌋ + 1.
/// Add a bias with broadcasting: `conv2d(x, filter: k) + b.reshaped(to: [1, O, 1, 1])`.
///
/// Differentiable with respect to `input` and `filter` (pullbacks: the transposed convolution of
/// the cotangent, and its correlation with the input). Computed as im2col and LossKit's blocked,
/// parallel matrix product. Stops (precondition) on shapes that do not fit, naming them.
///
/// ```swift
/// let y = conv2d(images, filter: kernels, stride: (2, 2), padding: (1, 1))
/// ```
@inlinable
@differentiable(reverse)
public func conv2d<T: LossScalar>(
    _ input: Tensor<T>, filter: Tensor<T>, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)
) -> Tensor<T> {
    Convolution2D(input, filter: filter, stride: stride, padding: padding, dilation: dilation).value
}

@inlinable
@derivative(of: conv2d)
func _vjpConv2d<T: LossScalar>(
    _ input: Tensor<T>, filter: Tensor<T>, stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)
) -> (value: Tensor<T>, pullback: (Tensor<T>) -> (Tensor<T>, Tensor<T>)) {
    let conv = Convolution2D(input, filter: filter, stride: stride, padding: padding, dilation: dilation)
    return (conv.value, { v in conv.pullback(v.expanded(to: conv.value.shape)) })
}

/// One convolution's column matrix and result, kept for its pullback.
///
/// The columns are Caffe's im2col layout, [C·kH·kW, N·OH·OW]: row (c, i, j) holds tap (i, j) of
/// channel c at every output position, so along an output row it is a contiguous (stride 1) or
/// evenly strided run of an input row. Then filter [O, K] · columns is [O, N·OH·OW], whose
/// rows of OH·OW elements are copied to [N, O, OH, OW]. im2col and col2im are split over the
/// (image, channel) planes, each writing only its own: results do not depend on the split.
@usableFromInline
struct Convolution2D<T: LossScalar> {
    @usableFromInline let window: Window2D
    @usableFromInline let filter: Tensor<T>
    /// [C·kH·kW, N·OH·OW]
    @usableFromInline let columns: Tensor<T>
    @usableFromInline let value: Tensor<T>

    @inlinable
    init(_ input: Tensor<T>, filter: Tensor<T>, stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)) {
        precondition(filter.rank == 4 && input.rank == 4 && filter.shape[1] == input.shape[1],
                     "conv2d: filter \(filter.shape) must be [O, C, kH, kW] with C = \(input.rank == 4 ? input.shape[1] : -1) of input \(input.shape)")
        let g = Window2D(input.shape, kernel: (filter.shape[2], filter.shape[3]), stride: stride, padding: padding,
                         dilation: dilation, operation: "conv2d")
        let k = g.c * g.kh * g.kw, o = filter.shape[0]
        columns = input.withUnsafeBufferPointer { p in
            Tensor<T>(validShape: [k, g.n * g.oh * g.ow]) { out in
                Parallelism.forEachRange(g.n * g.c, workPerItem: g.kh * g.kw * g.oh * g.ow) { planes in
                    for plane in planes { g.forEachRun(plane: plane) { run, input, x, count in
                        let dst = out + run
                        if let input {
                            if g.sw == 1 {
                                dst.initialize(repeating: 0, count: x.lowerBound)
                                (dst + x.lowerBound).initialize(from: p.baseAddress! + input, count: x.count)
                                (dst + x.upperBound).initialize(repeating: 0, count: count - x.upperBound)
                            } else {
                                for t in 0..<count { dst[t] = x.contains(t) ? p[input + (t - x.lowerBound) * g.sw] : 0 }
                            }
                        } else {
                            dst.initialize(repeating: 0, count: count)
                        }
                    } }
                }
            }
        }
        let product: Tensor<T>
        do { product = try LossKit.matmul(filter.reshaped(to: [o, k]), columns) }  // [O, N·OH·OW]
        catch { preconditionFailure("conv2d: \(error)") }
        value = swappingLeadingAxes(product, [o, g.n, g.oh * g.ow]).reshaped(to: [g.n, o, g.oh, g.ow])
        (window, self.filter) = (g, filter)
    }

    @inlinable
    func pullback(_ v: Tensor<T>) -> (Tensor<T>, Tensor<T>) {
        let g = window, o = filter.shape[0], k = g.c * g.kh * g.kw
        let rows = swappingLeadingAxes(v, [g.n, o, g.oh * g.ow]).reshaped(to: [o, g.n * g.oh * g.ow])
        let dFilter: Tensor<T>, dColumns: Tensor<T>
        do {
            dFilter = try LossKit.matmul(rows, columns, transposeB: true)             // [O, K]
            dColumns = try LossKit.matmul(filter.reshaped(to: [o, k]), rows, transposeA: true)  // [K, N·OH·OW]
        } catch { preconditionFailure("conv2d pullback: \(error)") }
        let dInput = dColumns.withUnsafeBufferPointer { pc in
            Tensor<T>(validShape: [g.n, g.c, g.h, g.w]) { out in
                Parallelism.forEachRange(g.n * g.c, workPerItem: g.kh * g.kw * g.oh * g.ow) { planes in
                    for plane in planes {
                        (out + plane * g.h * g.w).initialize(repeating: 0, count: g.h * g.w)
                        // Taps in a fixed order (i, j, y), each adding a run into one input row.
                        g.forEachRun(plane: plane) { run, input, x, _ in
                            guard let input, !x.isEmpty else { return }
                            let src = pc.baseAddress! + run + x.lowerBound
                            if g.sw == 1 {
                                Lanewise.map(count: x.count, out + input, src, into: out + input) { $0 + $1 }
                            } else {
                                for t in 0..<x.count { out[input + t * g.sw] += src[t] }
                            }
                        }
                    }
                }
            }
        }
        return (dInput, dFilter.reshaped(to: filter.shape))
    }
}

extension Window2D {
    /// Calls `body(run, input, x, count)` for each tap (i, j) and output row y of `plane` (image n,
    /// channel c), in that order: the run of `count` = OW column entries starting at `run` (row
    /// (c, i, j), column (n, y, 0) of the [C·kH·kW, N·OH·OW] matrix); `x` the outputs whose tap falls
    /// inside the input row, the first of them reading the input at offset `input` (then every
    /// `sw`-th element); `input` nil when the whole row is padding.
    @inlinable @inline(__always)
    func forEachRun(plane: Int, _ body: (Int, Int?, Range<Int>, Int) -> Void) {
        let (image, channel) = plane.quotientAndRemainder(dividingBy: c)
        let columns = n * oh * ow
        for i in 0..<kh { for j in 0..<kw {
            // ix = x·sw − pw + j·dw lies in 0..<w for x in lo..<hi.
            let start = j * dw - pw
            let lo = min(ow, max(0, ceilingDivision(-start, sw)))
            let hi = max(lo, min(ow, ceilingDivision(w - start, sw)))
            let row = ((channel * kh + i) * kw + j) * columns + image * oh * ow
            for y in 0..<oh {
                let iy = y * sh - ph + i * dh
                let inside = iy >= 0 && iy < h
                body(row + y * ow, inside ? (plane * h + iy) * w + lo * sw + start : nil, lo..<hi, ow)
            }
        } }
    }
}

/// ⌈a / b⌉ for b > 0 and any sign of a.
@inlinable @inline(__always)
func ceilingDivision(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }

/// `x` of shape [A, B, R] (R-element rows) as [B, A, R]: row (a, b) moves to (b, a), a copy per row.
@inlinable
func swappingLeadingAxes<T: LossScalar>(_ x: Tensor<T>, _ shape: [Int]) -> Tensor<T> {
    let (a, b, r) = (shape[0], shape[1], shape[2])
    return x.withUnsafeBufferPointer { p in
        Tensor<T>(validShape: [b, a, r]) { out in
            Parallelism.forEachRange(b, workPerItem: a * r) { bs in
                for j in bs { for i in 0..<a { (out + (j * a + i) * r).initialize(from: p.baseAddress! + (i * b + j) * r, count: r) } }
            }
        }
    }
}

/// The maximum of each `kernel` window of an NCHW input (PyTorch's `max_pool2d`; padding is −inf,
/// `stride` defaults to the kernel). Differentiable: the pullback routes each cotangent to the
/// first maximum of its window. Stops on a window that does not fit.
///
/// ```swift
/// let pooled = maxPool2d(features, kernel: (2, 2))   // [N, C, H, W] → [N, C, H/2, W/2]
/// ```
@inlinable
@differentiable(reverse)
public func maxPool2d<T: LossScalar>(_ input: Tensor<T>, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) -> Tensor<T> {
    _vjpMaxPool2d(input, kernel: kernel, stride: stride, padding: padding).value
}

@inlinable
@derivative(of: maxPool2d)
func _vjpMaxPool2d<T: LossScalar>(
    _ input: Tensor<T>, kernel: (Int, Int), stride: (Int, Int)?, padding: (Int, Int)
) -> (value: Tensor<T>, pullback: (Tensor<T>) -> Tensor<T>) {
    let g = Window2D(input.shape, kernel: kernel, stride: stride ?? kernel, padding: padding, dilation: (1, 1), operation: "maxPool2d")
    let count = g.n * g.c * g.oh * g.ow
    var out = [T](repeating: 0, count: count), argmax = [Int](repeating: -1, count: count)
    input.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { out in argmax.withUnsafeMutableBufferPointer { argmax in
        Parallelism.forEachRange(g.n * g.c, workPerItem: g.oh * g.ow * g.kh * g.kw) { planes in
            for plane in planes { for y in 0..<g.oh { for x in 0..<g.ow {
                var best = -T.infinity, at = -1
                g.forEachTap(plane: plane, y: y, x: x) { _, offset in
                    if let offset, at < 0 || p[offset] > best || p[offset].isNaN && !best.isNaN { best = p[offset]; at = offset }
                }
                let j = (plane * g.oh + y) * g.ow + x
                (out[j], argmax[j]) = (best, at)
            } } }
        }
    } } }
    let shape = input.shape, outShape = [g.n, g.c, g.oh, g.ow]
    return (Tensor(validShape: outShape, out), { v in
        let v = v.expanded(to: outShape)
        var d = [T](repeating: 0, count: shape.reduce(1, *))
        v.withUnsafeBufferPointer { pv in for j in 0..<count where argmax[j] >= 0 { d[argmax[j]] += pv[j] } }
        return Tensor(validShape: shape, d)
    })
}

/// The mean of each `kernel` window of an NCHW input (PyTorch's `avg_pool2d` with its defaults:
/// zero padding counted in the mean, `stride` = kernel). Differentiable: each cotangent is spread
/// evenly over its window. Stops on a window that does not fit.
@inlinable
@differentiable(reverse)
public func avgPool2d<T: LossScalar>(_ input: Tensor<T>, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) -> Tensor<T> {
    _vjpAvgPool2d(input, kernel: kernel, stride: stride, padding: padding).value
}

@inlinable
@derivative(of: avgPool2d)
func _vjpAvgPool2d<T: LossScalar>(
    _ input: Tensor<T>, kernel: (Int, Int), stride: (Int, Int)?, padding: (Int, Int)
) -> (value: Tensor<T>, pullback: (Tensor<T>) -> Tensor<T>) {
    let g = Window2D(input.shape, kernel: kernel, stride: stride ?? kernel, padding: padding, dilation: (1, 1), operation: "avgPool2d")
    let scale = 1 / T(g.kh * g.kw), count = g.n * g.c * g.oh * g.ow
    var out = [T](repeating: 0, count: count)
    input.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { out in
        Parallelism.forEachRange(g.n * g.c, workPerItem: g.oh * g.ow * g.kh * g.kw) { planes in
            for plane in planes { for y in 0..<g.oh { for x in 0..<g.ow {
                var s: T = 0
                g.forEachTap(plane: plane, y: y, x: x) { _, offset in if let offset { s += p[offset] } }
                out[(plane * g.oh + y) * g.ow + x] = s * scale
            } } }
        }
    } }
    let shape = input.shape, outShape = [g.n, g.c, g.oh, g.ow]
    return (Tensor(validShape: outShape, out), { v in
        let v = v.expanded(to: outShape)
        var d = [T](repeating: 0, count: shape.reduce(1, *))
        v.withUnsafeBufferPointer { pv in d.withUnsafeMutableBufferPointer { d in
            Parallelism.forEachRange(g.n * g.c, workPerItem: g.oh * g.ow * g.kh * g.kw) { planes in
                for plane in planes { for y in 0..<g.oh { for x in 0..<g.ow {
                    let c = pv[(plane * g.oh + y) * g.ow + x] * scale
                    g.forEachTap(plane: plane, y: y, x: x) { _, offset in if let offset { d[offset] += c } }
                } } }
            }
        } }
        return Tensor(validShape: shape, d)
    })
}
#endif
