// Placeholder: per-lane implementation until the vectorized kernels land.
import RealModule

public enum VectorMath {
    @inlinable public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        var r = x; for i in 0..<8 { r[i] = .exp(x[i]) }; return r
    }
    @inlinable public static func exp(_ x: SIMD8<Double>) -> SIMD8<Double> {
        var r = x; for i in 0..<8 { r[i] = .exp(x[i]) }; return r
    }
    @inlinable public static func log(_ x: SIMD8<Float>) -> SIMD8<Float> {
        var r = x; for i in 0..<8 { r[i] = .log(x[i]) }; return r
    }
    @inlinable public static func log(_ x: SIMD8<Double>) -> SIMD8<Double> {
        var r = x; for i in 0..<8 { r[i] = .log(x[i]) }; return r
    }
}
