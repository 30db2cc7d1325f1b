import LossKit

extension Catalog {
    /// Family F of LOSSES.md: ctc.
    static let sequence: [any CatalogEntry.Type] = []
}
