import LossKit

extension Catalog {
    /// Family E of LOSSES.md, similarity-matrix losses: info-nce, nt-xent, clip, supcon.
    static let contrastive: [any CatalogEntry.Type] = []
}
