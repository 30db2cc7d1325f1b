import ArgumentParser

struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a loss's formula, inputs, options with defaults, gradient and typical uses.")

    @Argument(help: "The loss id (see `losskit list`).")
    var id: String

    func run() throws {
        guard let e = Catalog.entry(named: id) else {
            throw UsageError("unknown loss '\(id)' (losskit list shows the ids)")
        }
        print(Self.text(for: e), terminator: "")
    }

    static func text(for e: any CatalogEntry.Type) -> String {
        var s = "\(e.id) — \(e.summary)\n"
        if !e.aliases.isEmpty { s += "aliases: \(e.aliases.joined(separator: ", "))\n" }
        s += "\nformula:\n  \(e.formula)\n\ninputs:\n"
        for i in e.inputs {
            let kind: String
            switch i.kind {
            case .differentiable: kind = "float, ∂"
            case .constant: kind = "float"
            case .labels: kind = "int"
            case .labelsOrDifferentiable: kind = "int, or float ∂"
            case .labelsOrConstant: kind = "int, or float"
            }
            s += "  \(i.name) (\(kind)\(i.required ? "" : ", optional")): \(i.summary)\n"
        }
        s += "\noptions:\n"
        for o in e.options {
            s += "  \(o.name) = \(o.defaultValue ?? "(not set)"): \(o.summary)\n"
        }
        if e.options.isEmpty { s += "  (none)\n" }
        s += "\ngradient:\n  \(e.gradient)\n\nuses:\n  \(e.notes)\n"
        return s
    }
}
