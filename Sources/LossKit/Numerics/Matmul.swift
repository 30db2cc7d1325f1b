/// The matrix product of two rank-2 tensors, with either operand optionally transposed.
///
/// ```
/// C = op(A) · op(B),   op(X) = X or Xᵀ,   op(A): [m, k], op(B): [k, n], C: [m, n]
/// ```
/// It runs LossKit's blocked, multi-threaded kernel (the one linear cross-entropy uses); the
/// result does not depend on the number of threads.
///
/// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` unless both are rank 2;
///   ``LossError/shapeMismatch(argument:expected:actual:)`` (argument `b`) when the inner
///   dimensions differ.
///
/// ```swift
/// let a = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4] as [Double])
/// try matmul(a, a, transposeB: true).scalars   // [5, 11, 11, 25]
/// ```
@inlinable
public func matmul<T: LossScalar>(
    _ a: Tensor<T>, _ b: Tensor<T>, transposeA: Bool = false, transposeB: Bool = false
) throws(LossError) -> Tensor<T> {
    guard a.rank == 2 else { throw .invalidShape(argument: "a", shape: a.shape, reason: "expected a matrix (rank 2)") }
    guard b.rank == 2 else { throw .invalidShape(argument: "b", shape: b.shape, reason: "expected a matrix (rank 2)") }
    let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let (kb, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    guard k == kb else {
        throw .shapeMismatch(argument: "b", expected: transposeB ? [n, k] : [k, n], actual: b.shape)
    }
    let out = [T](unsafeUninitializedCapacity: m * n) { c, initialized in
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                var opA = MatrixOperand.rowMajor(pa.baseAddress ?? UnsafePointer(bitPattern: 64)!, columns: a.shape[1])
                var opB = MatrixOperand.rowMajor(pb.baseAddress ?? UnsafePointer(bitPattern: 64)!, columns: b.shape[1])
                if transposeA { opA = opA.transposed }
                if transposeB { opB = opB.transposed }
                if let base = c.baseAddress {
                    matrixMultiply(m: m, n: n, k: k, opA, opB, into: base, ldc: n, accumulate: false)
                }
            }
        }
        initialized = m * n
    }
    return Tensor(uncheckedShape: [m, n], scalars: out)
}
