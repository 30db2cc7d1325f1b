import LossKit

extension Catalog {
    static let divergence: [any CatalogEntry.Type] = []
}
