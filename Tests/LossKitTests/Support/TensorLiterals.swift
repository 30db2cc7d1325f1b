@testable import LossKit

// Small tensors written as literals, shared by the family tests.

/// A tensor of `T` from Double literals (shape `[count]` unless given).
func tensor<T: LossScalar>(_ values: [Double], shape: [Int]? = nil, as _: T.Type = T.self) -> Tensor<T> {
    try! Tensor(shape: shape ?? [values.count], scalars: values.map { T($0) })
}

extension Tensor where Scalar: LossScalar {
    var doubles: [Double] { scalars.map { Double($0) } }
    func map(_ f: (Scalar) -> Scalar) -> Tensor { try! Tensor(shape: shape, scalars: scalars.map(f)) }
}

/// A tensor of the given shape and elements.
func tensor<T>(_ shape: [Int], _ scalars: [T]) -> Tensor<T> { try! Tensor(shape: shape, scalars: scalars) }
func labels(_ v: [Int]) -> Tensor<Int> { Tensor<Int>(v) }

/// Deterministic pseudo-random values in [−scale, scale).
func noise<T: LossScalar>(_ count: Int, seed: UInt64, scale: Double = 3) -> [T] {
    var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<count).map { _ in
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        return T((Double(s >> 11) / Double(1 << 53) * 2 - 1) * scale)
    }
}
