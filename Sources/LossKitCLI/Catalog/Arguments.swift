import LossKit

/// A tensor of one of the dtypes `losskit eval` reads.
enum DynamicTensor: Sendable {
    case float32(Tensor<Float>)
    case float64(Tensor<Double>)
    case int32(Tensor<Int32>)
    case int64(Tensor<Int64>)
    case bool(Tensor<Bool>)

    var dtype: String {
        switch self {
        case .float32: "float32"
        case .float64: "float64"
        case .int32: "int32"
        case .int64: "int64"
        case .bool: "bool"
        }
    }

    var shape: [Int] {
        switch self {
        case .float32(let t): t.shape
        case .float64(let t): t.shape
        case .int32(let t): t.shape
        case .int64(let t): t.shape
        case .bool(let t): t.shape
        }
    }

    var isFloatingPoint: Bool {
        switch self {
        case .float32, .float64: true
        default: false
        }
    }

    init<T: LossScalar>(_ t: Tensor<T>) {
        if let f = t as? Tensor<Float> { self = .float32(f) } else { self = .float64(t as! Tensor<Double>) }
    }

    /// The elements converted to `T` (integers and booleans exactly as numbers, 1 for true).
    func converted<T: LossScalar>(to: T.Type) -> Tensor<T> {
        func map<S>(_ t: Tensor<S>, _ f: (S) -> T) -> Tensor<T> {
            try! Tensor(shape: t.shape, scalars: t.scalars.map(f))
        }
        switch self {
        case .float32(let t): return (t as? Tensor<T>) ?? map(t) { T($0) }
        case .float64(let t): return (t as? Tensor<T>) ?? map(t) { T($0) }
        case .int32(let t): return map(t) { T($0) }
        case .int64(let t): return map(t) { T($0) }
        case .bool(let t): return map(t) { $0 ? 1 : 0 }
        }
    }
}

/// The inputs of one ``Arguments`` value converted to the types the loss asked for, by name and
/// type (a reference, so that the copies of one `Arguments` share it).
final class ConvertedInputs {
    private var values: [String: Any] = [:]

    func value<V>(for name: String, as _: V.Type, _ convert: () throws -> V) throws -> V {
        let key = "\(name):\(V.self)"
        if let v = values[key] as? V { return v }
        let v = try convert()
        values[key] = v
        return v
    }
}

/// The named inputs and options of one evaluation, with typed accessors that throw
/// ``LossError`` naming the input or option on any mismatch.
struct Arguments {
    let lossID: String
    let inputs: [String: DynamicTensor]
    /// Options as given, merged over the entry's defaults.
    let options: [String: String]
    /// The differentiable inputs whose gradients are wanted.
    let wrt: Set<LossArgument>
    /// The computation dtype: that of the floating-point inputs.
    let dtype: String
    /// Inputs already converted by ``tensor(_:)`` and ``labels(_:)``: `eval --repeat` converts
    /// each input once (in the warm-up run), so the timed runs measure only the library call.
    let converted = ConvertedInputs()

    func has(_ name: String) -> Bool { inputs[name] != nil }

    /// A floating-point input in the computation dtype. Non-differentiable inputs given as
    /// integers or booleans are converted; differentiable ones must already have the dtype.
    func tensor<T: LossScalar>(_ name: String) throws -> Tensor<T> {
        try converted.value(for: name, as: Tensor<T>.self) { try convertedTensor(name) }
    }

    private func convertedTensor<T: LossScalar>(_ name: String) throws -> Tensor<T> {
        guard let t = inputs[name] else {
            throw LossError.missingArgument(name: name, reason: "required input of \(lossID) is missing (give --input \(name)=PATH)")
        }
        if case .float32(let f) = t, let r = f as? Tensor<T> { return r }
        if case .float64(let f) = t, let r = f as? Tensor<T> { return r }
        if t.isFloatingPoint || LossArgument(rawValue: name).map({ wrt.contains($0) }) == true {
            throw LossError.dtypeMismatch(argument: name, expected: T.dtypeName, actual: t.dtype)
        }
        return t.converted(to: T.self)
    }

    func optionalTensor<T: LossScalar>(_ name: String) throws -> Tensor<T>? {
        has(name) ? try tensor(name) as Tensor<T> : nil
    }

    /// Whether input `name` holds integers (class indices) rather than floating-point values.
    func isInteger(_ name: String) -> Bool {
        switch inputs[name] {
        case .int32, .int64: true
        default: false
        }
    }

    /// An integer input (class indices) as `Int`.
    func labels(_ name: String) throws -> Tensor<Int> {
        try converted.value(for: name, as: Tensor<Int>.self) { try convertedLabels(name) }
    }

    private func convertedLabels(_ name: String) throws -> Tensor<Int> {
        switch inputs[name] {
        case .int32(let t): return try Tensor(shape: t.shape, scalars: t.scalars.map(Int.init))
        case .int64(let t): return try Tensor(shape: t.shape, scalars: t.scalars.map { Int($0) })
        case nil:
            throw LossError.missingArgument(name: name, reason: "required input of \(lossID) is missing (give --input \(name)=PATH)")
        case let t?:
            throw LossError.dtypeMismatch(argument: name, expected: "int32 or int64", actual: t.dtype)
        }
    }

    func optionalLabels(_ name: String) throws -> Tensor<Int>? { has(name) ? try labels(name) : nil }

    /// The option's value as given or its default (`nil` if neither).
    func option(_ name: String) -> String? { options[name] }

    func number<T: LossScalar>(_ name: String) throws -> T {
        guard let s = options[name], let v = T(s.trimmingCharacters(in: " ")) ?? Double(s).map(T.init) else {
            throw LossError.invalidOption(name: name, value: options[name] ?? "", expected: "a number")
        }
        return v
    }

    func optionalNumber<T: LossScalar>(_ name: String) throws -> T? {
        options[name] == nil ? nil : try number(name) as T
    }

    func integer(_ name: String) throws -> Int {
        guard let s = options[name], let v = Int(s) else {
            throw LossError.invalidOption(name: name, value: options[name] ?? "", expected: "an integer")
        }
        return v
    }

    func optionalInteger(_ name: String) throws -> Int? { options[name] == nil ? nil : try integer(name) }

    func flag(_ name: String) throws -> Bool {
        switch options[name] {
        case "true": return true
        case "false": return false
        default: throw LossError.invalidOption(name: name, value: options[name] ?? "", expected: "true or false")
        }
    }

    /// A named choice, checked against the values the loss's ``OptionSpec`` allows when it lists
    /// them (reduction: not every loss defines `batchmean`), else against every case of `E`.
    func choice<E: RawRepresentable & CaseIterable>(_ name: String, as: E.Type) throws -> E where E.RawValue == String {
        let allowed = Catalog.entry(named: lossID)?.options.first { $0.name == name }?.choices
            ?? E.allCases.map(\.rawValue)
        guard let s = options[name], allowed.contains(s), let v = E(rawValue: s) else {
            throw LossError.invalidOption(
                name: name, value: options[name] ?? "", expected: "one of " + allowed.joined(separator: ", "))
        }
        return v
    }

    func reduction() throws -> Reduction { try choice("reduction", as: Reduction.self) }
}

private extension String {
    func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
