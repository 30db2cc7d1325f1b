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

# family -> list of (name, generic params, parameters (swift, with defaults), wrt subsets, elements)
# Parameters: (label, type, default or None, differentiable?)
T = "Tensor<T>"
FAMILIES = {
    "Regression": [
        ("meanSquaredError", "<T: LossScalar>", [("input", T, None), ("target", T, None), ("reduction", "Reduction", ".mean")],
         [["input"], ["input", "target"]], "elementwise"),
        ("meanAbsoluteError", "<T: LossScalar>", [("input", T, None), ("target", T, None), ("reduction", "Reduction", ".mean")],
         [["input"], ["input", "target"]], "elementwise"),
        ("huberLoss", "<T: LossScalar>", [("input", T, None), ("target", T, None), ("delta", "T", "1"), ("reduction", "Reduction", ".mean")],
         [["input"], ["input", "target"]], "elementwise"),
        ("smoothL1Loss", "<T: LossScalar>", [("input", T, None), ("target", T, None), ("beta", "T", "1"), ("reduction", "Reduction", ".mean")],
         [["input"], ["input", "target"]], "elementwise"),
        ("logCoshLoss", "<T: LossScalar>", [("input", T, None), ("target", T, None), ("reduction", "Reduction", ".mean")],
         [["input"], ["input", "target"]], "elementwise"),
    ],
    "Classification": [
        ("crossEntropy", "<T: LossScalar, L: BinaryInteger>",
         [("input", T, None), ("target", "Tensor<L>", None), ("weight", "Tensor<T>?", "nil"), ("ignoreIndex", "Int?", "-100"),
          ("labelSmoothing", "T", "0"), ("reduction", "Reduction", ".mean")],
         [["input"]], "perPosition"),
        ("negativeLogLikelihood", "<T: LossScalar, L: BinaryInteger>",
         [("input", T, None), ("target", "Tensor<L>", None), ("weight", "Tensor<T>?", "nil"), ("ignoreIndex", "Int?", "-100"),
          ("reduction", "Reduction", ".mean")],
         [["input"]], "perPosition"),
    ],
    "BinaryClassification": [
        ("binaryCrossEntropyWithLogits", "<T: LossScalar>",
         [("input", T, None), ("target", T, None), ("weight", "Tensor<T>?", "nil"), ("posWeight", "Tensor<T>?", "nil"),
          ("reduction", "Reduction", ".mean")],
         [["input"], ["input", "target"]], "elementwise"),
    ],
    "MetricLearning": [
        ("tripletMarginLoss", "<T: LossScalar>",
         [("anchor", T, None), ("positive", T, None), ("negative", T, None), ("margin", "T", "1"), ("p", "T", "2"),
          ("eps", "T", "1e-6"), ("swap", "Bool", "false"), ("distance", "TripletDistance", ".pairwise"), ("reduction", "Reduction", ".mean")],
         [["anchor"], ["anchor", "positive", "negative"]], "perSample"),
    ],
}

CASE = {"posWeight": "posWeight"}


def form(name, generics, params, subsets, elements):
    tensors = [p for p in params if p[1] == T]
    sig = ", ".join(f"{l}: {t}" + (f" = {d}" if d is not None else "") for l, t, d in params)
    sig_plain = ", ".join(f"{l}: {t}" for l, t, d in params)
    args = ", ".join(f"{l}: {l}" for l, _, _ in params)
    lines = []
    lines.append(f"    /// ``LossKit/{name}({''.join(l + ':' for l, _, _ in params)}wrt:)`` as a differentiable,")
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
