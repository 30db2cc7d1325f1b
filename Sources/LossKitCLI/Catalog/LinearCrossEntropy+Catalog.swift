import LossKit

extension Catalog {
    /// Large vocabularies (family I of LOSSES.md); library `Sources/LossKit/LinearCrossEntropy.swift`.
    static let linearCrossEntropy: [any CatalogEntry.Type] = [LinearCrossEntropyEntry.self]
}

enum LinearCrossEntropyEntry: CatalogEntry {
    static let id = "linear-cross-entropy"
    static let summary = "Cross-entropy of a linear layer's logits, without materializing the [N, V] logits"
    static let formula = """
        z = input·weightᵀ + bias; class indices: ℓᵢ = (1 − ε)·w_y·(lseᵢ − zᵢ,y) + (ε/V)·Σ_c w_c·(lseᵢ − zᵢ,c), \
        lseᵢ = log Σ_c exp(zᵢ,c), w = class-weight (1 if absent), 0 where y = ignore-index; mean = Σℓ / Σ w_y \
        over non-ignored targets (default), sum, or none ([N]); probabilities: ℓᵢ = Σ_c w_c·t'ᵢ,c·(lseᵢ − zᵢ,c), \
        t' = (1 − ε)·t + ε/V, mean = Σℓ / N. A [D] input is one row (0-d target and loss)
        """
    static let gradient = """
        g = Q·softmax(z) − c with c the target coefficients ((1 − ε)·w_y·onehot(y) + (ε/V)·w, or w·t') and Q = Σ_c c, \
        zero rows where y = ignore-index, divided by the mean's denominator; ∂/∂input = g·weight, \
        ∂/∂weight = gᵀ·input, ∂/∂bias = Σᵢ gᵢ; probabilities: ∂/∂target = (1 − ε)·w·(lse − z)
        """
    static let notes = """
        The output layer and loss of language models and other classifiers with large vocabularies: the \
        logits are computed chunk by chunk (chunk-size vocabulary columns at a time) with an online \
        log-sum-exp and recomputed for the gradient, so memory stays a few MB instead of N·V scalars \
        (Cut Cross-Entropy, Wijmans et al. 2024; Liger Kernel's fused linear cross-entropy). Mean over no \
        counted target is NaN. Reference: torch.nn.functional.linear_cross_entropy(input, weight, target, \
        linear_bias=bias, weight=class-weight), i.e. cross_entropy(F.linear(input, weight, bias), target).
        """
    static let inputs = [
        InputSpec("input", .differentiable, "hidden states [N, D]"),
        InputSpec("weight", .differentiable, "classifier weight [V, D]"),
        InputSpec("target", .labelsOrDifferentiable, "int class indices [N] in 0..<V (0-d for a [D] input), or float probabilities [N, V]"),
        InputSpec("bias", .differentiable, required: false, "classifier bias [V]"),
        InputSpec("class-weight", .constant, required: false, "per-class weights [V] (F.linear_cross_entropy's weight)"),
    ]
    static let options = [
        OptionSpec("ignore-index", default: "-100", "class index whose targets are skipped"),
        OptionSpec("label-smoothing", default: "0.0", "ε in [0, 1]: mix the target with the uniform distribution"),
        OptionSpec.reduction(),
        OptionSpec("chunk-size", default: nil, "vocabulary columns per logits tile (speed and memory only); not set = automatic"),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let input: Tensor<T> = try a.tensor("input")
        if a.isInteger("target") {
            return try linearCrossEntropy(
                input: input, weight: a.tensor("weight"), target: a.labels("target"),
                bias: a.optionalTensor("bias"), classWeight: a.optionalTensor("class-weight"),
                ignoreIndex: a.integer("ignore-index"), labelSmoothing: a.number("label-smoothing"),
                reduction: a.reduction(), chunkSize: a.optionalInteger("chunk-size"), wrt: a.wrt)
        }
        return try linearCrossEntropy(
            input: input, weight: a.tensor("weight"), target: a.tensor("target") as Tensor<T>,
            bias: a.optionalTensor("bias"), classWeight: a.optionalTensor("class-weight"),
            ignoreIndex: a.integer("ignore-index"), labelSmoothing: a.number("label-smoothing"),
            reduction: a.reduction(), chunkSize: a.optionalInteger("chunk-size"), wrt: a.wrt)
    }
}
