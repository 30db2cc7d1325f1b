import LossKit

/// What an input of a loss is, for `losskit eval` and the catalog sweeps.
enum InputKind: Sendable {
    /// A floating-point input LossKit differentiates (∂ in LOSSES.md).
    case differentiable
    /// A floating-point input without a gradient (integers and booleans are converted).
    case constant
    /// Integer class indices.
    case labels
    /// Integer class indices or floating-point probabilities (cross-entropy's target).
    case labelsOrDifferentiable
    /// Integer class indices or a floating-point mask, without a gradient (segmentation targets).
    case labelsOrConstant
}

struct InputSpec: Sendable {
    let name: String
    let kind: InputKind
    let required: Bool
    let summary: String

    init(_ name: String, _ kind: InputKind, required: Bool = true, _ summary: String) {
        self.name = name; self.kind = kind; self.required = required; self.summary = summary
    }
}

struct OptionSpec: Sendable {
    let name: String
    /// The default as it would be written on the command line; `nil` for "not set".
    let defaultValue: String?
    let summary: String
    /// The values the option accepts, when it is a choice among names (`nil` otherwise).
    let choices: [String]?

    init(_ name: String, default defaultValue: String?, _ summary: String, choices: [String]? = nil) {
        self.name = name; self.defaultValue = defaultValue; self.summary = summary; self.choices = choices
    }

    /// The `reduction` option with the loss's default and its allowed values.
    static func reduction(_ defaultValue: Reduction = .mean, allowed: [Reduction] = [.none, .mean, .sum]) -> OptionSpec {
        let names = allowed.map(\.rawValue)
        return OptionSpec("reduction", default: defaultValue.rawValue, names.joined(separator: " | "), choices: names)
    }
}

/// One loss as the command line and the cross-cutting tests see it: its id, its documentation,
/// its inputs and options, and how to call the library with arguments given by name.
protocol CatalogEntry: Sendable {
    static var id: String { get }
    static var aliases: [String] { get }
    /// One line for `losskit list`.
    static var summary: String { get }
    /// The definition, written as a formula.
    static var formula: String { get }
    /// The gradient(s) with respect to the differentiable inputs.
    static var gradient: String { get }
    /// Typical uses and the reference it matches.
    static var notes: String { get }
    static var inputs: [InputSpec] { get }
    static var options: [OptionSpec] { get }
    static func evaluate<T: LossScalar>(_ arguments: Arguments, as: T.Type) throws -> LossResult<T>
    /// `evaluate` for Float and Double, as requirements so that a call through
    /// `any CatalogEntry.Type` reaches a witness specialized for the entry (default below).
    static func evaluateFloat(_ arguments: Arguments) throws -> LossResult<Float>
    static func evaluateDouble(_ arguments: Arguments) throws -> LossResult<Double>
}

extension CatalogEntry {
    static var aliases: [String] { [] }

    // Concrete entry points: called on the entry type, `evaluate` is specialized for the dtype.
    // (Called through `any CatalogEntry.Type` with a generic parameter it would run unspecialized,
    // the SIMD kernels through witness tables, tens of times slower.)
    static func evaluateFloat(_ arguments: Arguments) throws -> LossResult<Float> {
        try evaluate(arguments, as: Float.self)
    }

    static func evaluateDouble(_ arguments: Arguments) throws -> LossResult<Double> {
        try evaluate(arguments, as: Double.self)
    }
}

enum Catalog {
    /// Every loss `losskit eval` knows, family by family in the order of LOSSES.md (each family
    /// is one library file, one catalog file, one fixture file and one test file of the same name).
    static let entries: [any CatalogEntry.Type] =
        regression + classification + binaryClassification + marginClassification + divergence + distillation
        + segmentation + detection + metricLearning + contrastive + ranking + attentionTarget + sequence + generative
        + reinforcement + linearCrossEntropy

    static func entry(named id: String) -> (any CatalogEntry.Type)? {
        entries.first { $0.id == id || $0.aliases.contains(id) }
    }
}
