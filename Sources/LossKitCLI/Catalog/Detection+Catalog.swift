import LossKit

extension Catalog {
    /// Family D of LOSSES.md, box regression losses: box-iou, giou, diou, ciou.
    static let detection: [any CatalogEntry.Type] = []
}
