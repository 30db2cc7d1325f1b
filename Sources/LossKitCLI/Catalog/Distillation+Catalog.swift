import LossKit

extension Catalog {
    /// Knowledge distillation (family C of LOSSES.md); library `Sources/LossKit/Distillation.swift`.
    static let distillation: [any CatalogEntry.Type] = [DistillationEntry.self]
}

enum DistillationEntry: CatalogEntry {
    static let id = "distillation"
    static let summary = "Knowledge distillation: α·T²·KL(softmax(target/T) ‖ softmax(input/T)) + (1 − α)·CE(input, labels)"
    static let formula = """
        ℓᵢ = α·T²·Σ_c q_c·(log q_c − log p_c) + (1 − α)·(−log softmax(inputᵢ)_y), p = softmax(inputᵢ/T), \
        q = softmax(targetᵢ/T); batchmean = mean = Σℓ/N (default), sum, or none ([N])
        """
    static let gradient = "∂ℓᵢ/∂input = α·T·(p − q) + (1 − α)·(softmax(inputᵢ) − onehot(y)); divided by N for batchmean/mean"
    static let notes = """
        Training a student network on a teacher's softened outputs (Hinton et al. 2015; MGViT, LFViT); \
        the T² keeps the soft gradient's scale. labels are required iff alpha < 1; only the student logits \
        are differentiable. Reference: α·T²·F.kl_div(F.log_softmax(input/T, 1), F.softmax(target/T, 1), \
        reduction="batchmean") + (1 − α)·F.cross_entropy(input, labels).
        """
    static let inputs = [
        InputSpec("input", .differentiable, "student logits [N, C]"),
        InputSpec("target", .constant, "teacher logits [N, C]"),
        InputSpec("labels", .labels, required: false, "true class indices [N] (required when alpha < 1)"),
    ]
    static let options = [
        OptionSpec("temperature", default: "1.0", "softmax temperature T > 0"),
        OptionSpec("alpha", default: "1.0", "weight α in [0, 1] of the distillation term"),
        OptionSpec.reduction(.batchmean, allowed: [.none, .mean, .sum, .batchmean]),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try distillationLoss(
            input: a.tensor("input"), target: a.tensor("target"), labels: a.optionalLabels("labels"),
            temperature: a.number("temperature"), alpha: a.number("alpha"), reduction: a.reduction(), wrt: a.wrt)
    }
}
