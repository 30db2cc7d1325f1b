import LossKit

extension Catalog {
    static let binary: [any CatalogEntry.Type] = []
}
