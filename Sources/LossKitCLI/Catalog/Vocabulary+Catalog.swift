import LossKit

extension Catalog {
    static let vocabulary: [any CatalogEntry.Type] = []
}
