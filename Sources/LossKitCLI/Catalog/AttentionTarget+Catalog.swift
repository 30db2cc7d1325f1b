import LossKit

extension Catalog {
    /// Attention-target supervision (family E of LOSSES.md); library
    /// `Sources/LossKit/AttentionTarget.swift`.
    static let attentionTarget: [any CatalogEntry.Type] = [AttentionTargetEntry.self]
}

enum AttentionTargetEntry: CatalogEntry {
    static let id = "attention-target"
    static let summary = "Attention-target loss: negated attention mass on target tokens (TrojViT)"
    static let formula = "S[n,h,q] = Σ_k target[n,k]·input[n,h,q,k]; ℓ[n,h,q] = −S (or −log S with log=true); mean over N·H·Q (default), sum, or none → [N, H, Q]"
    static let gradient = "∂ℓ/∂input[n,h,q,k] = −target[n,k] (log: −target[n,k]/S[n,h,q]); divided by N·H·Q for mean"
    static let notes = "The auxiliary loss of Trojan attacks on vision transformers (TrojViT, combined with cross-entropy): pulls every query's attention onto the trigger tokens; also a measure of attention hijacking for detectors. input holds attention probabilities in [0, 1]; target is a 0/1 mask [K] or [N, K]. With log, zero attention on the targets gives +inf. Reference: the formula written in PyTorch."
    static let inputs = [
        InputSpec("input", .differentiable, "attention probabilities [N, H, Q, K] (rows over K sum to 1)"),
        InputSpec("target", .constant, "0/1 mask of the target tokens, [K] or [N, K]"),
    ]
    static let options = [
        OptionSpec("log", default: "false", "use −log of the attention mass"),
        OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try attentionTargetLoss(
            input: a.tensor("input"), target: a.tensor("target"), logLoss: a.flag("log"),
            reduction: a.reduction(), wrt: a.wrt)
    }
}
