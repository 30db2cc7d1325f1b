import LossKit

extension Catalog {
    /// Family F of LOSSES.md: ctc.
    static let sequence: [any CatalogEntry.Type] = [CTCEntry.self]
}

enum CTCEntry: CatalogEntry {
    static let id = "ctc"
    static let summary = "Connectionist temporal classification (F.ctc_loss)"
    static let formula = """
        ℓₙ = −log Σ over alignments π of target n (B(π) = target: repeats merged, blanks removed) of \
        Π_{t < input_lengthsₙ} exp(input[t, n, π_t]), by the forward–backward recursion in log space over the \
        2S + 1 blank-extended states; mean = (1/N) Σₙ ℓₙ / max(target_lengthsₙ, 1) (default), sum, or none → [N]
        """
    static let gradient = """
        log-probability input: ∂ℓ/∂input[t, n, c] = −Σ_{s: l′_s = c} γ_t(s), γ_t(s) = exp(α_t(s) + β_t(s) + ℓₙ) \
        (the true partial derivative; PyTorch returns exp(input) − γ there); from-logits: softmax(input[t, n])_c − \
        Σ_{s: l′_s = c} γ_t(s) (PyTorch's gradient through log_softmax); 0 for t ≥ input_lengthsₙ; times \
        1/(N·max(target_lengthsₙ, 1)) for mean
        """
    static let notes = """
        Sequence labelling without a frame-level alignment: speech recognition, handwriting and scene-text \
        recognition (CRNN), keyword spotting. Infeasible targets give +inf (NaN gradient), or 0 with a zero \
        gradient under zero-infinity. Reference: torch.nn.functional.ctc_loss (value; gradient as above).
        """
    static let inputs = [
        InputSpec("input", .differentiable, "log-probabilities [T, N, C] (time-major) or [T, C]; logits with from-logits"),
        InputSpec("target", .labels, "int labels, padded [N, S] or concatenated [Σ target_lengths] (unbatched: [S] or [1, S]); never the blank"),
        InputSpec("input_lengths", .labels, "int frames used per sequence [N] (0-d or [1] unbatched), each ≤ T"),
        InputSpec("target_lengths", .labels, "int labels per sequence [N] (0-d or [1] unbatched), each ≤ S when padded"),
    ]
    static let options = [
        OptionSpec("blank", default: "0", "the blank class index, in 0..<C"),
        OptionSpec("zero-infinity", default: "false", "true: an infinite loss (no feasible alignment) becomes 0 with a zero gradient"),
        OptionSpec("from-logits", default: "false", "true: input holds logits; log-softmax over C is applied inside and the gradient is w.r.t. the logits"),
        OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try ctcLoss(
            input: a.tensor("input") as Tensor<T>, target: a.labels("target"),
            inputLengths: a.labels("input_lengths"), targetLengths: a.labels("target_lengths"),
            blank: a.integer("blank"), zeroInfinity: a.flag("zero-infinity"), fromLogits: a.flag("from-logits"),
            reduction: a.reduction(), wrt: a.wrt)
    }
}
