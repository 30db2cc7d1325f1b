import LossKit

extension Catalog {
    static let classification: [any CatalogEntry.Type] = []
}
