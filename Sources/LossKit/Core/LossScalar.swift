import RealModule

/// The floating-point types LossKit computes in: `Float` and `Double`.
///
/// Kernels are generic over `LossScalar` and `@inlinable`, so they specialize for the concrete
/// type in the caller's module. The vector hooks route to ``VectorMath``.
public protocol LossScalar: BinaryFloatingPoint, Real, SIMDScalar, Sendable, LosslessStringConvertible, Codable
where Self.RawSignificand: FixedWidthInteger {
    /// Elementwise e^x for eight lanes (see ``VectorMath/exp(_:)-(SIMD8<Float>)``).
    static func vexp(_ x: SIMD8<Self>) -> SIMD8<Self>
    /// Elementwise natural logarithm for eight lanes.
    static func vlog(_ x: SIMD8<Self>) -> SIMD8<Self>
    /// The dtype name used in files and messages (`float32`, `float64`).
    static var dtypeName: String { get }
}

extension Float: LossScalar {
    @inlinable @inline(__always)
    public static func vexp(_ x: SIMD8<Float>) -> SIMD8<Float> { VectorMath.exp(x) }
    @inlinable @inline(__always)
    public static func vlog(_ x: SIMD8<Float>) -> SIMD8<Float> { VectorMath.log(x) }
    public static var dtypeName: String { "float32" }
}

extension Double: LossScalar {
    @inlinable @inline(__always)
    public static func vexp(_ x: SIMD8<Double>) -> SIMD8<Double> { VectorMath.exp(x) }
    @inlinable @inline(__always)
    public static func vlog(_ x: SIMD8<Double>) -> SIMD8<Double> { VectorMath.log(x) }
    public static var dtypeName: String { "float64" }
}
