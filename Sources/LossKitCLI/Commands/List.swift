import ArgumentParser

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print every loss id with a one-line summary.")

    func run() {
        let width = Catalog.entries.map { $0.id.count }.max() ?? 0
        for e in Catalog.entries {
            let aliases = e.aliases.isEmpty ? "" : " (alias: \(e.aliases.joined(separator: ", ")))"
            print(e.id.padding(width) + "  " + e.summary + aliases)
        }
    }
}

extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
