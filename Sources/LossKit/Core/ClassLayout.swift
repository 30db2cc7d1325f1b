// The shape of a classification input, shared by every family with a class dimension
// (classification, segmentation, distillation).

/// The shape of a classification input: batch, classes, and the product of the spatial dims.
@usableFromInline
struct ClassLayout: Sendable {
    @usableFromInline let batch: Int
    @usableFromInline let classes: Int
    /// The product of the dimensions after the class dimension (1 when there are none).
    @usableFromInline let inner: Int
    /// The shape of integer targets and of a `none` result: the input's shape without dimension 1
    /// (`[]` for an unbatched `[C]` input).
    @usableFromInline let targetShape: [Int]

    @inlinable var positions: Int { batch * inner }

    @inlinable
    init(input shape: [Int], argument: String = "input") throws(LossError) {
        switch shape.count {
        case 0:
            throw .invalidShape(argument: argument, shape: shape, reason: "expected [C] or [N, C, ...], got a 0-d tensor")
        case 1:
            (batch, classes, inner, targetShape) = (1, shape[0], 1, [])
        default:
            (batch, classes) = (shape[0], shape[1])
            inner = shape[2...].reduce(1, *)
            targetShape = [shape[0]] + shape[2...]
        }
        guard classes > 0 else {
            throw .invalidShape(argument: argument, shape: shape, reason: "the class dimension is empty")
        }
    }
}
