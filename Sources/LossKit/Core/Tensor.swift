/// A dense, row-major (C order) array: a shape plus contiguous scalars.
///
/// `Tensor` is the small value type LossKit's functions take and return. It either owns its
/// scalars (copy-on-write) or borrows a caller's buffer without copying it
/// (``init(unsafeBorrowing:shape:)``), so data that lives in another framework's memory can be
/// handed to a loss as is. Tensors built from an array keep that array; the results of LossKit's
/// kernels live in an aligned buffer of their own (see ``scalars`` for what that costs).
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
        /// Scalars given as an array.
        case owned([Scalar])
        /// A caller's memory, read in place.
        case borrowed(UnsafeBufferPointer<Scalar>)
        /// An aligned allocation written by a kernel (or a copy made to mutate a borrowed tensor).
        case buffer(TensorBuffer<Scalar>)
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

    /// Creates a tensor of `shape` whose elements `initializer` writes, every one of them, through
    /// a pointer to the aligned, recycled storage LossKit's own results use (see
    /// ``ResultMemory``): the way for companion modules' kernels to produce tensors without an
    /// intermediate array. The memory is uninitialized (it may hold an earlier result).
    ///
    /// ```swift
    /// let y = try Tensor<Float>(shape: [n], initializingWith: { out in
    ///     Lanewise.map(count: n, x, into: out.baseAddress!) { Lanewise.sigmoid($0) }
    /// })
    /// ```
    ///
    /// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` if a dimension is negative.
    @inlinable
    public init(shape: [Int], initializingWith initializer: (UnsafeMutableBufferPointer<Scalar>) -> Void) throws(LossError) {
        let count = try Tensor.elementCount(of: shape, argument: "shape")
        let buffer = TensorBuffer<Scalar>(uninitializedCount: count)
        initializer(buffer.buffer)
        self.init(uncheckedShape: shape, scalars: buffer)
    }

    /// The same elements in C order with another shape of the same element count, sharing this
    /// tensor's storage: no copy (unlike building a tensor from ``scalars``).
    ///
    /// ```swift
    /// let row = try Tensor([1, 2, 3, 4, 5, 6] as [Float]).withShape([2, 3])   // shape [2, 3]
    /// ```
    ///
    /// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` if a dimension is negative or
    ///   the element count of `shape` differs from ``count``.
    public func withShape(_ shape: [Int]) throws(LossError) -> Tensor {
        try Tensor.check(shape, holds: count, argument: "shape")
        return Tensor(uncheckedShape: shape, storage: storage)
    }

    @usableFromInline
    init(uncheckedShape shape: [Int], storage: Storage) {
        self.shape = shape
        self.storage = storage
    }

    /// Internal initializer for shapes already known to match.
    @inlinable
    init(uncheckedShape shape: [Int], scalars: [Scalar]) {
        self.shape = shape
        self.storage = .owned(scalars)
    }

    /// Internal initializer for a kernel's output: `buffer` is fully initialized and
    /// `shape` describes exactly `buffer.count` elements.
    @inlinable
    init(uncheckedShape shape: [Int], scalars buffer: TensorBuffer<Scalar>) {
        self.shape = shape
        self.storage = .buffer(buffer)
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
        case .buffer(let b): return b.count
        }
    }

    /// The elements in C order.
    ///
    /// Free for a tensor made from an array; a copy otherwise (a borrowed tensor, or a result
    /// computed by LossKit, whose scalars live in an aligned buffer). To read a large result
    /// without copying it, use ``withUnsafeBufferPointer(_:)``.
    public var scalars: [Scalar] {
        switch storage {
        case .owned(let a): return a
        case .borrowed(let b): return Array(b)
        case .buffer(let b): return withExtendedLifetime(b) { Array(UnsafeBufferPointer(b.buffer)) }
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
        case .buffer(let b): return try withExtendedLifetime(b) { try body(UnsafeBufferPointer(b.buffer)) }
        }
    }

    /// Calls `body` with mutable access to the elements, copying them first unless this tensor
    /// is their only owner (a borrowed tensor is always copied). As with `Array`, `body` must
    /// not replace the buffer pointer it is given.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        switch storage {
        case .owned(var a):
            storage = .owned([])  // release the reference so the array stays uniquely referenced
            defer { storage = .owned(a) }
            return try a.withUnsafeMutableBufferPointer(body)
        case .borrowed(let b):
            storage = .buffer(TensorBuffer(copying: b))
        case .buffer:
            break
        }
        guard case .buffer(var owner) = storage else { preconditionFailure("unreachable") }
        storage = .owned([])  // release the reference so a unique owner is seen as unique
        if !isKnownUniquelyReferenced(&owner) { owner = TensorBuffer(copying: UnsafeBufferPointer(owner.buffer)) }
        defer { storage = .buffer(owner) }
        var elements = owner.buffer
        let result = try withExtendedLifetime(owner) { try body(&elements) }
        precondition(elements.baseAddress == owner.base && elements.count == owner.count,
                     "withUnsafeMutableBufferPointer: replacing the buffer is not allowed")
        return result
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
