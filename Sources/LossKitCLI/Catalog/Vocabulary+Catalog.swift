import LossKit

extension Catalog {
    static let vocabulary: [any CatalogEntry.Type] = [LinearCrossEntropyEntry.self]
}

enum LinearCrossEntropyEntry: CatalogEntry {
    static let id = "linear-cross-entropy"
    static let summary = "Cross-entropy of a linear layer's logits, without materializing the [N, V] logits"
    static let formula = """
        z = input·weightᵀ + bias; ℓᵢ = (1 − ε)(lseᵢ − zᵢ,y) + ε(lseᵢ − mean_c zᵢ,c), lseᵢ = log Σ_c exp(zᵢ,c), \
        0 where y = ignore-index; mean = Σℓ / #non-ignored (default), sum, or none ([N])
        """
    static let gradient = """
        g = (softmax(z) − (1 − ε)·onehot(y) − ε/V), zero rows where y = ignore-index, divided by #non-ignored \
        for mean; ∂/∂input = g·weight, ∂/∂weight = gᵀ·input, ∂/∂bias = Σᵢ gᵢ
        """
    static let notes = """
        The output layer and loss of language models and other classifiers with large vocabularies: the \
        logits are computed chunk by chunk (chunk-size vocabulary columns at a time) with an online \
        log-sum-exp and recomputed for the gradient, so memory stays a few MB instead of N·V scalars \
        (Cut Cross-Entropy, Wijmans et al. 2024; Liger Kernel's fused linear cross-entropy). Mean over no \
        counted target is NaN. Reference: torch.nn.functional.cross_entropy(F.linear(input, weight, bias), target).
        """
    static let inputs = [
        InputSpec("input", .differentiable, "hidden states [N, D]"),
        InputSpec("weight", .differentiable, "classifier weight [V, D]"),
        InputSpec("target", .labels, "class indices [N] in 0..<V"),
        InputSpec("bias", .differentiable, required: false, "classifier bias [V]"),
    ]
    static let options = [
        OptionSpec("ignore-index", default: "-100", "class index whose targets are skipped"),
        OptionSpec("label-smoothing", default: "0.0", "ε in [0, 1]: mix the target with the uniform distribution"),
        OptionSpec.reduction(),
        OptionSpec("chunk-size", default: nil, "vocabulary columns per logits tile (speed and memory only); not set = automatic"),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try linearCrossEntropy(
            input: a.tensor("input") as Tensor<T>, weight: a.tensor("weight"), target: a.labels("target"),
            bias: a.optionalTensor("bias"), ignoreIndex: a.integer("ignore-index"),
            labelSmoothing: a.number("label-smoothing"), reduction: a.reduction(),
            chunkSize: a.optionalInteger("chunk-size"), wrt: a.wrt)
    }
}
