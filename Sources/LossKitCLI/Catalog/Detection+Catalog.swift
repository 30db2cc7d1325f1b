import LossKit

extension Catalog {
    /// Family D of LOSSES.md, box regression losses: box-iou, giou, diou, ciou.
    static let detection: [any CatalogEntry.Type] = [
        BoxIoUEntry.self, GIoUEntry.self, DIoUEntry.self, CIoUEntry.self,
    ]
}

/// The two box inputs and two options every box loss takes.
private let boxInputs = [
    InputSpec("input", .differentiable, "predicted boxes [N, 4] as (x1, y1, x2, y2)"),
    InputSpec("target", .differentiable, "reference boxes [N, 4] as (x1, y1, x2, y2)"),
]

private func boxOptions(eps summary: String) -> [OptionSpec] {
    [OptionSpec("eps", default: "1e-07", summary), OptionSpec.reduction(.none)]
}

/// What every box loss's formula starts from.
private let iouDefinition =
    "I = intersection area (0 unless both overlaps > 0), U = area(input) + area(target) − I, IoU = I/(U + eps)"

private let boxEdgeCases =
    "Boxes are (x1, y1, x2, y2) corners; equal corners share the gradient of min/max half and half (torch.maximum), the mean of an empty batch is 0 (as torchvision), none → [N]."

enum BoxIoUEntry: CatalogEntry {
    static let id = "box-iou"
    static let summary = "IoU loss of boxes: 1 − IoU (torchvision's intersection and union)"
    static let formula = iouDefinition + "; ℓₙ = 1 − IoU"
    static let gradient = "∂ℓ/∂I = −1/(U + eps) − I/(U + eps)², ∂ℓ/∂area = I/(U + eps)²; through the intersection's corners (max/min of the two boxes) and the areas to both boxes; divided by N for mean"
    static let notes = "Bounding-box regression in detectors (UnitBox's IoU loss, linear form); scale invariant, but without gradient for boxes that do not overlap (see giou, diou, ciou). " + boxEdgeCases + " Reference: torchvision.ops._utils._loss_inter_union and 1 − inter/(union + eps), written in PyTorch."
    static let inputs = boxInputs
    static let options = boxOptions(eps: "≥ 0, added to the union")
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try boxIoULoss(input: a.tensor("input"), target: a.tensor("target"), eps: a.number("eps"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum GIoUEntry: CatalogEntry {
    static let id = "giou"
    static let summary = "Generalized IoU loss (torchvision.ops.generalized_box_iou_loss)"
    static let formula = iouDefinition + "; C = area of the smallest enclosing box; ℓₙ = 1 − IoU + (C − U)/(C + eps)"
    static let gradient = "that of 1 − IoU, plus ∂/∂C = (U + eps)/(C + eps)² and ∂/∂U = −1/(C + eps), through the enclosing box's corners to both boxes; divided by N for mean"
    static let notes = "Bounding-box regression (DETR and most anchor-free detectors combine it with L1): keeps a gradient for boxes that do not overlap. " + boxEdgeCases + " Reference: torchvision.ops.generalized_box_iou_loss (Rezatofighi et al. 2019)."
    static let inputs = boxInputs
    static let options = boxOptions(eps: "≥ 0, added to the union and to the enclosing area")
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try generalizedBoxIoULoss(input: a.tensor("input"), target: a.tensor("target"), eps: a.number("eps"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum DIoUEntry: CatalogEntry {
    static let id = "diou"
    static let summary = "Distance IoU loss (torchvision.ops.distance_box_iou_loss)"
    static let formula = iouDefinition + "; ρ² = squared distance of the box centers, c² = squared diagonal of the enclosing box + eps; ℓₙ = 1 − IoU + ρ²/c²"
    static let gradient = "that of 1 − IoU, plus ∂(ρ²/c²)/∂center = 2(center − center')/c² (half to each corner) and ∂/∂(w_C, h_C) = −2(w_C, h_C)·ρ²/c⁴ through the enclosing box; divided by N for mean"
    static let notes = "Bounding-box regression that also pulls the centers together (faster convergence than GIoU; the basis of DIoU-NMS). " + boxEdgeCases + " Reference: torchvision.ops.distance_box_iou_loss (Zheng et al. 2020)."
    static let inputs = boxInputs
    static let options = boxOptions(eps: "≥ 0, added to the union and to c²")
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try distanceBoxIoULoss(input: a.tensor("input"), target: a.tensor("target"), eps: a.number("eps"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum CIoUEntry: CatalogEntry {
    static let id = "ciou"
    static let summary = "Complete IoU loss (torchvision.ops.complete_box_iou_loss)"
    static let formula = "ℓₙ = diou (with eps 1e-7) + α·v, v = (4/π²)(atan(w_t/h_t) − atan(w/h))², α = v/(1 − IoU + v + eps) held constant"
    static let gradient = "that of diou, plus α·∂v with ∂v/∂w = −(8/π²)Δ·h/(w² + h²), ∂v/∂h = (8/π²)Δ·w/(w² + h²), Δ = atan(w_t/h_t) − atan(w/h) (the target's with the opposite sign); α gets no gradient; divided by N for mean"
    static let notes = "Bounding-box regression of the YOLO family (v4 onwards): overlap, center distance and aspect ratio. As the reference, the eps option enters α only (IoU and c² use 1e-7). Zero-height boxes: finite gradient where torchvision's is NaN; a box of zero width and height gives NaN (no aspect ratio), as the reference. " + boxEdgeCases + " Reference: torchvision.ops.complete_box_iou_loss (Zheng et al. 2020)."
    static let inputs = boxInputs
    static let options = boxOptions(eps: "≥ 0, in α = v/(1 − IoU + v + eps) only (as torchvision)")
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try completeBoxIoULoss(input: a.tensor("input"), target: a.tensor("target"), eps: a.number("eps"), reduction: a.reduction(), wrt: a.wrt)
    }
}
