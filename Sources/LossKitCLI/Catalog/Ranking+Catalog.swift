import LossKit

extension Catalog {
    /// Family E of LOSSES.md, score-ranking losses: pairwise-ranking, listwise-ranking.
    static let ranking: [any CatalogEntry.Type] = []
}
