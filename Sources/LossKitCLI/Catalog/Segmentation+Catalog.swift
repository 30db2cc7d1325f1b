import LossKit

extension Catalog {
    /// Family D of LOSSES.md, dense overlap losses: dice, jaccard, tversky, lovasz.
    static let segmentation: [any CatalogEntry.Type] = []
}
