import RealModule
/// How a loss combines its per-element (or per-sample) values.
///
/// - `none`: no reduction; the loss keeps the shape each function documents.
/// - `mean`: the sum divided by the number of elements (or by the loss's documented
///   denominator, e.g. the weight of non-ignored targets in ``crossEntropy(input:target:weight:ignoreIndex:labelSmoothing:reduction:wrt:)``).
/// - `sum`: the sum.
/// - `batchmean`: the sum divided by the batch size (dimension 0), where a loss allows it.
///
/// Gradients always belong to the reduced value: with `mean` every element's gradient is the
/// gradient of `sum` divided by the same denominator. For `none` the gradient is that of the
/// sum of the returned elements.
public enum Reduction: String, CaseIterable, Sendable {
    case none, mean, sum, batchmean

    /// Throws unless `self` is one of `allowed` (most losses do not define `batchmean`).
    @inlinable
    public func validate(allowed: [Reduction] = [.none, .mean, .sum]) throws(LossError) {
        guard allowed.contains(self) else {
            throw .invalidOption(
                name: "reduction", value: rawValue,
                expected: "one of " + allowed.map(\.rawValue).joined(separator: ", "))
        }
    }
}

/// The arithmetic of a reduction, implemented once: the factor each element's gradient is
/// scaled by, and the final value from the sum.
public struct ReductionPlan<Scalar: LossScalar>: Sendable {
    public let reduction: Reduction
    /// What the sum is divided by (1 for `sum` and `none`).
    public let denominator: Scalar

    /// - Parameters:
    ///   - reduction: how the terms are combined.
    ///   - count: the number of terms `mean` divides by.
    ///   - batchSize: what `batchmean` divides by.
    @inlinable
    public init(_ reduction: Reduction, count: Int, batchSize: Int = 1) {
        self.init(reduction, denominator: Scalar(reduction == .batchmean ? batchSize : count))
    }

    /// A plan whose `mean` divides by an arbitrary `denominator` (e.g. a sum of class weights).
    @inlinable
    public init(_ reduction: Reduction, denominator: Scalar) {
        self.reduction = reduction
        switch reduction {
        case .none, .sum: self.denominator = 1
        case .mean, .batchmean: self.denominator = denominator
        }
    }

    /// The factor applied to the gradient of each element: 1 / denominator.
    /// A zero denominator gives +inf, which only ever multiplies an empty set of elements.
    @inlinable public var gradientScale: Scalar { 1 / denominator }

    /// The reduced value from the sum of the element losses (NaN for the mean of nothing, like PyTorch).
    @inlinable public func value(fromSum sum: Scalar) -> Scalar { sum / denominator }
}
