import LossKit

extension Catalog {
    /// Softmax classification (family B of LOSSES.md); library `Sources/LossKit/Classification.swift`.
    static let classification: [any CatalogEntry.Type] = [
        CrossEntropyEntry.self, NLLEntry.self, FocalEntry.self, Poly1Entry.self,
    ]
}

enum CrossEntropyEntry: CatalogEntry {
    static let id = "cross-entropy"
    static let summary = "Softmax cross-entropy of logits against class indices or probabilities (F.cross_entropy)"
    static let formula = """
        class indices: ℓᵢ = (1 − ε)·w_y·(−log pᵢ,y) + (ε/C)·Σ_c w_c·(−log pᵢ,c), p = softmax(input) along dim 1, \
        0 where y = ignore-index; mean = Σℓ / Σ w_y (non-ignored). probabilities: ℓᵢ = −Σ_c w_c·t'_c·log pᵢ,c \
        with t' = (1 − ε)·t + ε/C; mean = Σℓ / (N·d1·…). Reduced by mean (default), sum, or none ([N, d1, ...])
        """
    static let gradient = """
        class indices: ∂ℓᵢ/∂x_j = p_j·((1 − ε)·w_y + (ε/C)·Σw) − (1 − ε)·w_y·[j = y] − (ε/C)·w_j; \
        probabilities: ∂/∂input = p·Σ_c w_c·t'_c − w·t', ∂/∂target = −(1 − ε)·w·log p; divided by the mean's denominator
        """
    static let notes = """
        The standard loss of multi-class classification (images, tokens, segmentation with [N, C, H, W] \
        logits); label smoothing regularizes over-confident models; soft targets for mixup and distillation. \
        Mean over no counted target is NaN, as in PyTorch. +inf logits and zero soft targets on −inf logits \
        give the finite limits where PyTorch gives NaN. Reference: torch.nn.functional.cross_entropy.
        """
    static let inputs = [
        InputSpec("input", .differentiable, "logits [N, C, d1, ...] or [C]"),
        InputSpec("target", .labelsOrDifferentiable, "int class indices [N, d1, ...] (or 0-d), or float probabilities shaped like input"),
        InputSpec("weight", .constant, required: false, "per-class weights [C]"),
    ]
    static let options = [
        OptionSpec("ignore-index", default: "-100", "class index whose targets are skipped (integer targets; with probability targets only a negative value is accepted, as PyTorch)"),
        OptionSpec("label-smoothing", default: "0.0", "ε in [0, 1]: mix the target with the uniform distribution"),
        OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let input: Tensor<T> = try a.tensor("input")
        let weight: Tensor<T>? = try a.optionalTensor("weight")
        let smoothing: T = try a.number("label-smoothing")
        let ignoreIndex = try a.integer("ignore-index")
        if a.isInteger("target") {
            return try crossEntropy(
                input: input, target: a.labels("target"), weight: weight, ignoreIndex: ignoreIndex,
                labelSmoothing: smoothing, reduction: a.reduction(), wrt: a.wrt)
        }
        return try crossEntropy(
            input: input, target: a.tensor("target"), weight: weight, ignoreIndex: ignoreIndex,
            labelSmoothing: smoothing, reduction: a.reduction(), wrt: a.wrt)
    }
}

enum NLLEntry: CatalogEntry {
    static let id = "nll"
    static let summary = "Negative log-likelihood of log-probabilities at class indices (F.nll_loss)"
    static let formula = """
        ℓᵢ = −w_y·inputᵢ,y (class dimension 1), 0 where y = ignore-index; \
        mean = Σℓ / Σ w_y (non-ignored, default), sum, or none ([N, d1, ...])
        """
    static let gradient = "∂ℓᵢ/∂inputᵢ,c = −w_y·[c = y]; divided by Σ w_y for mean"
    static let notes = """
        Classification on top of an explicit log_softmax (cross-entropy = nll ∘ log_softmax); any \
        model that outputs log-probabilities. Mean over no counted target is NaN. \
        Reference: torch.nn.functional.nll_loss.
        """
    static let inputs = [
        InputSpec("input", .differentiable, "log-probabilities [N, C, d1, ...] or [C]"),
        InputSpec("target", .labels, "class indices [N, d1, ...] (or 0-d)"),
        InputSpec("weight", .constant, required: false, "per-class weights [C]"),
    ]
    static let options = [
        OptionSpec("ignore-index", default: "-100", "class index whose targets are skipped"),
        OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try negativeLogLikelihood(
            input: a.tensor("input"), target: a.labels("target"), weight: a.optionalTensor("weight"),
            ignoreIndex: a.integer("ignore-index"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum FocalEntry: CatalogEntry {
    static let id = "focal"
    static let summary = "Softmax focal loss −α_y (1 − p_y)^γ log p_y (Lin et al. 2017)"
    static let formula = """
        ℓᵢ = −α_y·(1 − p_y)^γ·log p_y, p = softmax(input) along dim 1, log p_y from log-softmax and \
        1 − p_y = Σ_{c≠y} p_c; 0 where y = ignore-index; mean over non-ignored positions (default), sum, or none
        """
    static let gradient = """
        with l = log p_y, q = 1 − p_y, r = l/q (→ −1 as q → 0): dℓ/dl = −α_y·q^γ·(1 − γ·p_y·r), \
        ∂ℓ/∂x_j = dℓ/dl·([j = y] − p_j); finite for γ ∈ (0, 1) at p_y → 1
        """
    static let notes = """
        Dense detection and heavily imbalanced classification: easy examples are down-weighted so the \
        hard ones dominate. γ = 0 and α = 1 give cross-entropy. α: the scalar option or a per-class alpha \
        input (not both). Reference: the formula written in PyTorch (float64), differentiated by autograd.
        """
    static let inputs = [
        InputSpec("input", .differentiable, "logits [N, C, d1, ...] or [C]"),
        InputSpec("target", .labels, "class indices [N, d1, ...] (or 0-d)"),
        InputSpec("alpha", .constant, required: false, "per-class α [C]"),
    ]
    static let options = [
        OptionSpec("gamma", default: "2.0", "focusing parameter γ ≥ 0"),
        OptionSpec("alpha", default: nil, "one α for every class (default 1); exclusive with the alpha input"),
        OptionSpec("ignore-index", default: "-100", "class index whose targets are skipped"),
        OptionSpec.reduction(),
    ]
    /// α from the `alpha` option (one α) or the `alpha` input (α per class), not both.
    static func alpha<T: LossScalar>(_ a: Arguments) throws -> FocalAlpha<T>? {
        switch (try a.optionalNumber("alpha") as T?, try a.optionalTensor("alpha") as Tensor<T>?) {
        case let (s?, nil): return .uniform(s)
        case let (nil, t?): return .perClass(t)
        case (nil, nil): return nil
        case (_?, _?):
            throw LossError.missingArgument(
                name: "alpha", reason: "give either the alpha option (one α) or the alpha input (α per class), not both")
        }
    }

    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        let alpha: FocalAlpha<T>? = try Self.alpha(a)
        return try focalLoss(
            input: a.tensor("input"), target: a.labels("target"), alpha: alpha, gamma: a.number("gamma"),
            ignoreIndex: a.integer("ignore-index"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum Poly1Entry: CatalogEntry {
    static let id = "poly1"
    static let summary = "Poly-1 loss: cross-entropy + ε(1 − p_y) (Leng et al. 2022, PolyLoss)"
    static let formula = """
        ℓᵢ = w_y·(−log p_y) + ε·(1 − p_y), p = softmax(input) along dim 1, 0 where y = ignore-index; \
        mean over non-ignored positions (default), sum, or none ([N, d1, ...])
        """
    static let gradient = "∂ℓᵢ/∂x_j = (w_y + ε·p_y)·(p_j − [j = y]); divided by the number of non-ignored positions for mean"
    static let notes = """
        Image classification and detection: ε > 0 pushes harder on the correct class than cross-entropy \
        (ε = 0 is cross-entropy). Class weights multiply only the cross-entropy term and mean divides by the \
        count, as in the common PyTorch implementation CrossEntropyLoss(weight, reduction="none") + ε(1 − p_t), \
        then mean. Reference: that formula in PyTorch, differentiated by autograd.
        """
    static let inputs = [
        InputSpec("input", .differentiable, "logits [N, C, d1, ...] or [C]"),
        InputSpec("target", .labels, "class indices [N, d1, ...] (or 0-d)"),
        InputSpec("weight", .constant, required: false, "per-class weights [C] of the cross-entropy term"),
    ]
    static let options = [
        OptionSpec("epsilon", default: "1.0", "weight ε of the 1 − p_y term"),
        OptionSpec("ignore-index", default: "-100", "class index whose targets are skipped"),
        OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try poly1CrossEntropy(
            input: a.tensor("input"), target: a.labels("target"), weight: a.optionalTensor("weight"),
            epsilon: a.number("epsilon"), ignoreIndex: a.integer("ignore-index"), reduction: a.reduction(), wrt: a.wrt)
    }
}
