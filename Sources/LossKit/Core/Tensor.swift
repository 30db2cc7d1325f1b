/// A dense, row-major (C order) array: a shape plus contiguous scalars.
///
/// `Tensor` is the small value type LossKit's functions take and return. It either owns its
/// scalars (an `Array`, copy-on-write) or borrows a caller's buffer without copying it
/// (``init(unsafeBorrowing:shape:)``), so data that lives in another framework's memory can be
/// handed to a loss as is.
///
/// ```swift
/// let logits = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 1, 0, -1] as [Float])
/// logits.shape   // [2, 3]
/// logits.count   // 6
/// ```
public struct Tensor<Scalar>: @unchecked Sendable {
    /// The extent of each dimension; `[]` for a 0-d (scalar) tensor.
    public let shape: [Int]
    @usableFromInline var storage: Storage

    @usableFromInline
    enum Storage {
        case owned([Scalar])
        case borrowed(UnsafeBufferPointer<Scalar>)
    }

    /// Creates a tensor that owns `scalars`, laid out in C order.
    ///
    /// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` if a dimension is negative or
    ///   the element count of `shape` differs from `scalars.count`.
    public init(shape: [Int], scalars: [Scalar]) throws(LossError) {
        try Tensor.check(shape, holds: scalars.count, argument: "scalars")
        self.shape = shape
        self.storage = .owned(scalars)
    }

    /// Creates a tensor of `shape` with every element equal to `value`.
    public init(shape: [Int], repeating value: Scalar) throws(LossError) {
        let count = try Tensor.elementCount(of: shape, argument: "shape")
        self.shape = shape
        self.storage = .owned(Array(repeating: value, count: count))
    }

    /// Creates a 0-d tensor holding one scalar.
    ///
    /// Disfavored so that `Tensor([1, 2, 3])` is the 1-d tensor, never a 0-d tensor of an array.
    @_disfavoredOverload
    public init(_ scalar: Scalar) {
        self.shape = []
        self.storage = .owned([scalar])
    }

    /// Creates a 1-d tensor.
    public init(_ scalars: [Scalar]) {
        self.shape = [scalars.count]
        self.storage = .owned(scalars)
    }

    /// Internal initializer for shapes already known to match.
    @inlinable
    init(uncheckedShape shape: [Int], scalars: [Scalar]) {
        self.shape = shape
        self.storage = .owned(scalars)
    }

    /// Wraps a caller-owned buffer without copying it.
    ///
    /// The tensor reads `buffer` in place. The caller must keep the memory alive and unchanged
    /// for as long as this tensor (or a copy of it) is used; mutating the tensor copies the data
    /// into storage of its own first.
    public init(unsafeBorrowing buffer: UnsafeBufferPointer<Scalar>, shape: [Int]) throws(LossError) {
        try Tensor.check(shape, holds: buffer.count, argument: "buffer")
        self.shape = shape
        self.storage = .borrowed(buffer)
    }

    /// The number of dimensions.
    @inlinable public var rank: Int { shape.count }

    /// The number of elements (the product of `shape`; 1 for a 0-d tensor).
    @inlinable public var count: Int {
        switch storage {
        case .owned(let a): return a.count
        case .borrowed(let b): return b.count
        }
    }

    /// The elements in C order (a copy when the tensor borrows its buffer).
    public var scalars: [Scalar] {
        switch storage {
        case .owned(let a): return a
        case .borrowed(let b): return Array(b)
        }
    }

    /// The only element of a one-element tensor (0-d or otherwise), else `nil`.
    public var scalar: Scalar? { count == 1 ? withUnsafeBufferPointer { $0[0] } : nil }

    /// Calls `body` with the contiguous elements, without copying.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        switch storage {
        case .owned(let a): return try a.withUnsafeBufferPointer(body)
        case .borrowed(let b): return try body(b)
        }
    }

    /// Calls `body` with mutable access to the elements; a borrowed tensor is copied first.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        if case .borrowed(let b) = storage { storage = .owned(Array(b)) }
        guard case .owned(var a) = storage else { preconditionFailure("unreachable") }
        storage = .owned([])  // release the reference so the array stays uniquely referenced
        defer { storage = .owned(a) }
        return try a.withUnsafeMutableBufferPointer(body)
    }

    /// Throws unless `shape` describes exactly `count` elements.
    static func check(_ shape: [Int], holds count: Int, argument: String) throws(LossError) {
        let expected = try elementCount(of: shape, argument: "shape")
        guard expected == count else {
            throw .invalidShape(
                argument: argument, shape: shape,
                reason: "shape has \(expected) elements but \(count) were given")
        }
    }

    /// The element count of `shape`, checked for negative dimensions and overflow.
    @inlinable
    static func elementCount(of shape: [Int], argument: String) throws(LossError) -> Int {
        var count = 1
        for d in shape {
            guard d >= 0 else {
                throw .invalidShape(argument: argument, shape: shape, reason: "dimension \(d) is negative")
            }
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else {
                throw .invalidShape(argument: argument, shape: shape, reason: "element count overflows")
            }
            count = p
        }
        return count
    }
}

extension Tensor: Equatable where Scalar: Equatable {
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.withUnsafeBufferPointer { a in rhs.withUnsafeBufferPointer { b in a.elementsEqual(b) } }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let s = scalars
        let shown = s.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(s.count > 8 ? ", …" : "")])"
    }
}

/// Formats a shape the way messages show it: `[2, 3]`.
@usableFromInline
func describe(shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
