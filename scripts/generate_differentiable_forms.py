#!/usr/bin/env python3
"""Writes Sources/LossKitDifferentiation/Losses/*+Differentiable.swift: one differentiable,
non-throwing form per LossKit loss (Losses.NAME), with one registered derivative per wrt subset.

Every form has the same shape (value through the core function with wrt: [], derivatives
through lossPullback), so it is generated from the table below rather than written by hand.
Run: python3 scripts/generate_differentiable_forms.py
"""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Sources/LossKitDifferentiation/Losses"

# family -> list of (name, generic params, parameters, wrt subsets, elements).
# Parameters are (label, type, default or None) in the core function's order, without `wrt`;
# an optional tensor that is differentiable gets two forms: without it, and with it required.
# `elements` says how the `.none` value's elements depend on the arguments (see LossElements).
T = "Tensor<T>"
TO = "Tensor<T>?"
TL = "Tensor<L>"
F = "<T: LossScalar>"
FL = "<T: LossScalar, L: BinaryInteger>"
R = ("reduction", "Reduction", ".mean")
RN = ("reduction", "Reduction", ".none")
RB = ("reduction", "Reduction", ".batchmean")
RS = ("reduction", "Reduction", ".sum")
IT = [("input", T, None), ("target", T, None)]
BOTH = [["input"], ["input", "target"]]
IN = [["input"]]


def pair(name, extra=(), subsets=BOTH, elements="elementwise", r=R):
    return (name, F, IT + list(extra) + [r], subsets, elements)


SEG = [("fromLogits", "Bool", "true"), ("smooth", "T", "0"), ("eps", "T", "1e-7")]
FAMILIES = {
    "Regression": [
        pair("meanSquaredError"), pair("meanAbsoluteError"), pair("euclideanLoss", elements="perSample"),
        pair("huberLoss", [("delta", "T", "1")]), pair("smoothL1Loss", [("beta", "T", "1")]), pair("logCoshLoss"),
        pair("meanSquaredLogarithmicError"), pair("meanAbsolutePercentageError", subsets=IN),
        ("gaussianNegativeLogLikelihood", F, IT + [("variance", T, None), ("logVariance", "Bool", "false"), ("full", "Bool", "false"),
         ("eps", "T", "1e-6"), R], [["input"], ["input", "target", "variance"], ["input", "variance"]], "elementwise"),
        ("laplaceNegativeLogLikelihood", F, IT + [("scale", T, None), ("logScale", "Bool", "false"), ("full", "Bool", "false"),
         ("eps", "T", "1e-6"), R], [["input"], ["input", "target", "scale"], ["input", "scale"]], "elementwise"),
        pair("poissonNegativeLogLikelihood", [("logInput", "Bool", "true"), ("full", "Bool", "false"), ("eps", "T", "1e-8")]),
    ],
    "Classification": [
        ("crossEntropy", FL, [("input", T, None), ("target", TL, None), ("weight", TO, "nil"), ("ignoreIndex", "Int?", "-100"),
         ("labelSmoothing", "T", "0"), R], IN, "perPosition"),
        ("crossEntropy", F, IT + [("weight", TO, "nil"), ("ignoreIndex", "Int?", "-100"), ("labelSmoothing", "T", "0"), R],
         BOTH, "perPosition"),
        ("negativeLogLikelihood", FL, [("input", T, None), ("target", TL, None), ("weight", TO, "nil"), ("ignoreIndex", "Int?", "-100"), R],
         IN, "perPosition"),
        ("focalLoss", FL, [("input", T, None), ("target", TL, None), ("alpha", "FocalAlpha<T>?", "nil"), ("gamma", "T", "2"),
         ("ignoreIndex", "Int?", "-100"), R], IN, "perPosition"),
        ("poly1CrossEntropy", FL, [("input", T, None), ("target", TL, None), ("weight", TO, "nil"), ("epsilon", "T", "1"),
         ("ignoreIndex", "Int?", "-100"), R], IN, "perPosition"),
    ],
    "Distillation": [
        ("distillationLoss", FL, [("input", T, None), ("target", T, None), ("labels", "Tensor<L>?", None), ("temperature", "T", "1"),
         ("alpha", "T", "1"), RB], IN, "perSample"),
        ("distillationLoss", F, IT + [("temperature", "T", "1"), ("alpha", "T", "1"), RB], IN, "perSample"),
    ],
    "BinaryClassification": [
        pair("binaryCrossEntropy", [("weight", TO, "nil")]),
        pair("binaryCrossEntropyWithLogits", [("weight", TO, "nil"), ("posWeight", TO, "nil")]),
        pair("sigmoidFocalLoss", [("alpha", "T?", "0.25"), ("gamma", "T", "2")], r=RN),
        pair("softMarginLoss", subsets=IN),
        pair("multilabelSoftMarginLoss", [("weight", TO, "nil")], subsets=IN, elements="perSample"),
    ],
    "MarginClassification": [
        ("multiMarginLoss", FL, [("input", T, None), ("target", TL, None), ("p", "T", "1"), ("margin", "T", "1"), ("weight", TO, "nil"), R],
         IN, "perSample"),
        ("multilabelMarginLoss", FL, [("input", T, None), ("target", TL, None), R], IN, "perSample"),
        pair("hingeEmbeddingLoss", [("margin", "T", "1")], subsets=IN),
        pair("hingeLoss", subsets=IN), pair("squaredHingeLoss", subsets=IN),
        pair("categoricalHingeLoss", subsets=IN, elements="perSample"),
    ],
    "Divergence": [
        pair("klDivergence", [("logTarget", "Bool", "false"), ("fromLogits", "Bool", "false")], r=RB),
        pair("jensenShannonDivergence", [("fromLogits", "Bool", "false")], elements="perSample", r=RB),
        ("vaeKLDivergence", F, [("mean", T, None), ("logVariance", T, None), R], [["mean", "logVariance"]], "perSample"),
    ],
    "Segmentation": [
        (name, FL, [("input", T, None), ("target", TL, None), ("mode", "SegmentationMode", ".multiclass")] + SEG
         + [("ignoreIndex", "Int?", "nil"), ("logLoss", "Bool", "false")] + extra + [R], IN, "coupled")
        for name, extra in [("diceLoss", []), ("jaccardLoss", []),
                            ("tverskyLoss", [("alpha", "T", "0.5"), ("beta", "T", "0.5"), ("gamma", "T", "1")])]
    ] + [
        (name, F, IT + [("mode", "SegmentationMode", None)] + SEG
         + [("ignoreIndex", "Int?", "nil"), ("logLoss", "Bool", "false")] + extra + [R], IN, "coupled")
        for name, extra in [("diceLoss", []), ("jaccardLoss", []),
                            ("tverskyLoss", [("alpha", "T", "0.5"), ("beta", "T", "0.5"), ("gamma", "T", "1")])]
    ] + [
        ("lovaszLoss", FL, [("input", T, None), ("target", TL, None), ("mode", "SegmentationMode", ".multiclass"),
         ("fromLogits", "Bool", "true"), ("perImage", "Bool", "false"), ("ignoreIndex", "Int?", "nil"), R], IN, "coupled"),
        ("lovaszLoss", F, IT + [("mode", "SegmentationMode", None), ("fromLogits", "Bool", "true"), ("perImage", "Bool", "false"),
         ("ignoreIndex", "Int?", "nil"), R], IN, "coupled"),
    ],
    "Detection": [pair(n, [("eps", "T", "1e-7")], elements="perSample", r=RN)
                  for n in ["boxIoULoss", "generalizedBoxIoULoss", "distanceBoxIoULoss", "completeBoxIoULoss"]],
    "MetricLearning": [
        ("tripletMarginLoss", F,
         [("anchor", T, None), ("positive", T, None), ("negative", T, None), ("margin", "T", "1"), ("p", "T", "2"),
          ("eps", "T", "1e-6"), ("swap", "Bool", "false"), ("distance", "TripletDistance", ".pairwise"), R],
         [["anchor"], ["anchor", "positive", "negative"]], "perSample"),
        ("contrastiveLoss", F, [("input1", T, None), ("input2", T, None), ("target", T, None), ("margin", "T", "1"), R],
         [["input1"], ["input1", "input2"]], "perSample"),
        ("cosineEmbeddingLoss", F, [("input1", T, None), ("input2", T, None), ("target", T, None), ("margin", "T", "0"), R],
         [["input1"], ["input1", "input2"]], "perSample"),
    ],
    "Ranking": [
        ("marginRankingLoss", F, [("input1", T, None), ("input2", T, None), ("target", T, None), ("margin", "T", "0"), R],
         [["input1"], ["input1", "input2"]], "elementwise"),
        pair("pairwiseRankingLoss", [("margin", "T", "0")], subsets=IN, elements="perSample"),
        ("listwiseRankingLoss", F, IT + [("mask", TO, "nil"), R], IN, "perSample"),
    ],
    "Contrastive": [
        ("infoNCELoss", F, [("query", T, None), ("positive", T, None), ("temperature", "T", "0.1"), ("normalize", "Bool", "true"), R],
         [["query"], ["query", "positive"]], "coupled", "negatives: nil"),
        ("infoNCELoss", F, [("query", T, None), ("positive", T, None), ("negatives", T, None), ("temperature", "T", "0.1"),
         ("normalize", "Bool", "true"), R], [["query"], ["query", "positive", "negatives"]], "coupled"),
        ("ntXentLoss", F, [("input", T, None), ("temperature", "T", "0.5"), R], IN, "coupled"),
        ("clipLoss", F, [("input1", T, None), ("input2", T, None), ("temperature", "T", "0.07"), ("normalize", "Bool", "true"), R],
         [["input1"], ["input1", "input2"]], "coupled"),
        ("supervisedContrastiveLoss", FL, [("input", T, None), ("target", TL, None), ("temperature", "T", "0.1"), R], IN, "coupled"),
    ],
    "Sequence": [
        ("ctcLoss", "<T: LossScalar, L: BinaryInteger, I: BinaryInteger>",
         [("input", T, None), ("target", TL, None), ("inputLengths", "Tensor<I>", None), ("targetLengths", "Tensor<I>", None),
          ("blank", "Int", "0"), ("zeroInfinity", "Bool", "false"), ("fromLogits", "Bool", "false"), R], IN, "perSample"),
    ],
    "Generative": [
        ("ganLoss", F, [("input", T, None), ("objective", "GANObjective", ".nonSaturating"), ("side", "GANSide", ".discriminator"), R],
         IN, "coupled", "real: nil"),
        ("ganLoss", F, [("input", T, None), ("real", T, None), ("objective", "GANObjective", ".nonSaturating"),
         ("side", "GANSide", ".discriminator"), R], [["input"], ["input", "real"]], "coupled"),
        ("gradientPenalty", F, [("input", T, None), ("kind", "GradientPenaltyKind", ".wganGP"), ("weight", "T", "10"), R], IN, "perSample"),
        ("perceptualLoss", F, IT + [("weight", TO, "nil"), ("normalize", "Bool", "true"), ("distance", "PerceptualDistance", ".l2"), RN],
         IN, "perSample"),
        pair("styleLoss", subsets=IN, elements="coupled"),
        ("totalVariationLoss", F, [("input", T, None), RS], IN, "perSample"),
    ],
    "Reinforcement": [
        ("ppoClipLoss", F, [("input", T, None), ("old", T, None), ("advantages", T, None), ("clip", "T", "0.2"), R], IN, "elementwise"),
        ("klPenalty", F, [("input", T, None), ("reference", T, None), ("mask", TO, "nil"), ("estimator", "KLEstimator", ".k1"),
         ("beta", "T", "1"), R], IN, "elementwise"),
    ],
    "AttentionTarget": [
        pair("attentionTargetLoss", [("logLoss", "Bool", "false")], subsets=IN, elements="perSample"),
    ],
    "LinearCrossEntropy": [
        ("linearCrossEntropy", FL, [("input", T, None), ("weight", T, None), ("target", TL, None), ("classWeight", TO, "nil"),
         ("ignoreIndex", "Int?", "-100"), ("labelSmoothing", "T", "0"), R, ("chunkSize", "Int?", "nil")],
         [["input"], ["input", "weight"]], "coupled", "bias: nil"),
        ("linearCrossEntropy", FL, [("input", T, None), ("weight", T, None), ("target", TL, None), ("bias", T, None),
         ("classWeight", TO, "nil"), ("ignoreIndex", "Int?", "-100"), ("labelSmoothing", "T", "0"), R, ("chunkSize", "Int?", "nil")],
         [["input"], ["input", "weight", "bias"]], "coupled"),
        ("linearCrossEntropy", F, [("input", T, None), ("weight", T, None), ("target", T, None), ("classWeight", TO, "nil"),
         ("ignoreIndex", "Int?", "-100"), ("labelSmoothing", "T", "0"), R, ("chunkSize", "Int?", "nil")],
         [["input"], ["input", "weight"], ["input", "weight", "target"]], "coupled", "bias: nil"),
        ("linearCrossEntropy", F, [("input", T, None), ("weight", T, None), ("target", T, None), ("bias", T, None),
         ("classWeight", TO, "nil"), ("ignoreIndex", "Int?", "-100"), ("labelSmoothing", "T", "0"), R, ("chunkSize", "Int?", "nil")],
         [["input"], ["input", "weight", "bias"], ["input", "weight", "target", "bias"]], "coupled"),
    ],
}

CASE = {"posWeight": "posWeight"}


def form(name, generics, params, subsets, elements, fixed=None):
    tensors = [p for p in params if p[1] == T]
    sig = ", ".join(f"{l}: {t}" + (f" = {d}" if d is not None else "") for l, t, d in params)
    sig_plain = ", ".join(f"{l}: {t}" for l, t, d in params)
    labels = [l for l, _, _ in params]
    if fixed:  # a core argument this form does not take, passed as given, in its core position
        after = {"negatives: nil": "positive", "real: nil": "input", "bias: nil": "target"}[fixed]
        labels.insert(labels.index(after) + 1, fixed)
    args = ", ".join(l if ":" in l else f"{l}: {l}" for l in labels)
    core = [l.split(":")[0] for l in labels]
    lines = []
    lines.append(f"    /// ``LossKit/{name}({''.join(l + ':' for l in core)}wrt:)`` as a differentiable,")
    lines.append(f"    /// non-throwing function of {', '.join('`' + t[0] + '`' for t in tensors)}; stops with the core")
    lines.append("    /// function's error message on invalid arguments (see ``Losses``).")
    lines.append("    @inlinable")
    lines.append(f"    public static func {name}{generics}(")
    lines.append(f"        {sig}")
    lines.append(f"    ) -> Tensor<T> {{")
    lines.append(f"        lossValue(\"{name}\") {{ () throws(LossError) in try LossKit.{name}({args}, wrt: []) }}")
    lines.append("    }")
    for subset in subsets:
        k = len(subset)
        suffix = "".join(s[0].upper() + s[1:] for s in subset)
        wrt = subset[0] if k == 1 else "(" + ", ".join(subset) + ")"
        pb_type = "Tensor<T>" if k == 1 else "(" + ", ".join(["Tensor<T>"] * k) + ")"
        ret = "g[0]" if k == 1 else "(" + ", ".join(f"g[{i}]" for i in range(k)) + ")"
        lines.append("")
        lines.append("    @inlinable")
        lines.append(f"    @derivative(of: {name}, wrt: {wrt})")
        lines.append(f"    static func _vjp{name[0].upper() + name[1:]}{suffix}{generics}(")
        lines.append(f"        {sig_plain}")
        lines.append(f"    ) -> (value: Tensor<T>, pullback: (Tensor<T>) -> {pb_type}) {{")
        lines.append(f"        let (value, pullback) = lossPullback(\"{name}\", [{', '.join('.' + s for s in subset)}], elements: .{elements}) {{")
        lines.append(f"            (wrt: Set<LossArgument>) throws(LossError) in try LossKit.{name}({args}, wrt: wrt)")
        lines.append("        }")
        lines.append(f"        return (value, {{ v in let g = pullback(v); return {ret} }})")
        lines.append("    }")
    return "\n".join(lines)


def main():
    for family, losses in FAMILIES.items():
        body = "\n\n".join(form(*l) for l in losses)
        text = (f"// Generated by scripts/generate_differentiable_forms.py; edit the table there, not this file.\n"
                f"#if canImport(_Differentiation)\nimport _Differentiation\n\nextension Losses {{\n{body}\n}}\n#endif\n")
        (OUT / f"{family}+Differentiable.swift").write_text(text)
        print("wrote", OUT / f"{family}+Differentiable.swift")


if __name__ == "__main__":
    main()
