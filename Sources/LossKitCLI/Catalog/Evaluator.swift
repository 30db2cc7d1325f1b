import LossKit

/// A command-line usage error that is not about a loss's arguments (unknown loss, bad syntax).
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// The outcome of one evaluation: the loss, the gradients by input name, and timing.
struct EvaluationOutput {
    let value: DynamicTensor
    let gradients: [(name: String, tensor: DynamicTensor)]
    let seconds: [Double]
}

enum Evaluator {
    /// Validates the call against the catalog entry and evaluates it `repeats` times after one
    /// warm-up run (timing covers only the library call: the warm-up converts the inputs, which
    /// the timed runs reuse).
    ///
    /// - Parameters:
    ///   - gradients: input names to differentiate; `nil` = every differentiable input given;
    ///     `["none"]` = value only.
    ///   - autodiff: take the value and gradients from `valueWithPullback` over the loss's
    ///     differentiable form (`eval --autodiff`) instead of the core function. The call is
    ///     validated through the core function first, so bad input is an error, never a trap.
    static func evaluate(
        id: String, inputs: [String: DynamicTensor], options given: [String: String],
        gradients: [String]? = nil, repeats: Int = 1, autodiff: Bool = false
    ) throws -> EvaluationOutput {
        guard let entry = Catalog.entry(named: id) else {
            throw UsageError("unknown loss '\(id)' (losskit list shows the ids)")
        }
        let known = Set(entry.inputs.map(\.name))
        for name in inputs.keys.sorted() where !known.contains(name) {
            throw UsageError("unknown input '\(name)' for \(entry.id): expected " + entry.inputs.map(\.name).joined(separator: ", "))
        }
        for spec in entry.inputs where spec.required && inputs[spec.name] == nil {
            throw LossError.missingArgument(name: spec.name, reason: "required input of \(entry.id) is missing (give --input \(spec.name)=PATH)")
        }
        var options: [String: String] = [:]
        for spec in entry.options { options[spec.name] = spec.defaultValue }
        for (key, value) in given {
            guard entry.options.contains(where: { $0.name == key }) else {
                throw UsageError("unknown option '\(key)' for \(entry.id): expected " + entry.options.map(\.name).joined(separator: ", "))
            }
            options[key] = value
        }

        // Which inputs are differentiable in this call (cross-entropy's target only when float).
        let differentiable = entry.inputs.filter { spec in
            guard let t = inputs[spec.name] else { return false }
            switch spec.kind {
            case .differentiable: return true
            case .labelsOrDifferentiable: return t.isFloatingPoint
            case .constant, .labels, .labelsOrConstant: return false
            }
        }.map(\.name)
        var wanted: [String]
        switch gradients {
        case nil: wanted = differentiable
        case ["none"]?: wanted = []
        case let names?:
            for n in names where !differentiable.contains(n) {
                throw UsageError("--grad \(n): \(entry.id) has no differentiable input '\(n)' in this call (differentiable: \(differentiable.joined(separator: ", ")))")
            }
            wanted = names
        }
        wanted = wanted.filter { LossArgument(rawValue: $0) != nil }

        let floatInputs = inputs.filter { $0.value.isFloatingPoint }.sorted { $0.key < $1.key }
        let dtypes = Set(floatInputs.map(\.value.dtype))
        guard dtypes.count <= 1 else {
            let list = floatInputs.map { "\($0.key)=\($0.value.dtype)" }.joined(separator: ", ")
            throw LossError.dtypeMismatch(argument: floatInputs.last!.key, expected: "one float dtype for all float inputs", actual: list)
        }
        let dtype = dtypes.first ?? "float32"
        let arguments = Arguments(
            lossID: entry.id, inputs: inputs, options: options,
            wrt: Set(wanted.compactMap(LossArgument.init(rawValue:))), dtype: dtype)
        if autodiff { return try evaluateAutodiff(entry, arguments, repeats: repeats) }
        return dtype == "float64"
            ? try run(arguments, repeats: repeats) { try entry.evaluateDouble($0) }
            : try run(arguments, repeats: repeats) { try entry.evaluateFloat($0) }
    }

    #if canImport(_Differentiation)
    /// The entry's `--autodiff` path (`nil` if it has none: a test checks that every entry has one).
    static func differentiableForm(of entry: any CatalogEntry.Type) -> (any DifferentiableEntry.Type)? {
        entry as? any DifferentiableEntry.Type
    }
    #endif

    /// Whether `eval --autodiff` can run loss `id`.
    static func hasDifferentiableForm(_ id: String) -> Bool {
        #if canImport(_Differentiation)
        guard let entry = Catalog.entry(named: id) else { return false }
        return differentiableForm(of: entry) != nil
        #else
        return false
        #endif
    }

    private static func evaluateAutodiff(
        _ entry: any CatalogEntry.Type, _ arguments: Arguments, repeats: Int
    ) throws -> EvaluationOutput {
        #if canImport(_Differentiation)
        guard let form = differentiableForm(of: entry) else {
            throw UsageError("--autodiff: \(entry.id) has no differentiable form")
        }
        // The differentiable forms stop on invalid arguments: the throwing call finds them first.
        let float64 = arguments.dtype == "float64"
        if float64 { _ = try entry.evaluateDouble(arguments) } else { _ = try entry.evaluateFloat(arguments) }
        return float64
            ? try run(arguments, repeats: repeats) { try form.evaluateAutodiffDouble($0) }
            : try run(arguments, repeats: repeats) { try form.evaluateAutodiffFloat($0) }
        #else
        throw UsageError("--autodiff needs Swift's _Differentiation module, which this toolchain does not have")
        #endif
    }

    private static func run<T: LossScalar>(
        _ arguments: Arguments, repeats: Int, _ evaluate: (Arguments) throws -> LossResult<T>
    ) throws -> EvaluationOutput {
        var result = try evaluate(arguments)  // also the warm-up
        var seconds: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<max(0, repeats) {
            var r: LossResult<T>?
            let d = try clock.measure { r = try evaluate(arguments) }
            result = r!
            seconds.append(Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
        }
        let grads = arguments.wrt.sorted { $0.rawValue < $1.rawValue }.compactMap { arg in
            result.gradients[arg].map { (name: arg.rawValue, tensor: DynamicTensor($0)) }
        }
        return EvaluationOutput(value: DynamicTensor(result.value), gradients: grads, seconds: seconds)
    }
}
