#!/usr/bin/env python3
"""Generates LossKit's reference fixtures with the reference libraries (PyTorch, torchvision).

Every case in scripts/fixtures/<family>.py is evaluated in float32 and float64 with the reference
function; its value and the gradients of its (summed, if unreduced) output are written with the
inputs to Tests/LossKitTests/Fixtures/<family>.json. The Swift tests replay each case through the
same code path as `losskit eval` and compare, so the tests never need Python.

Usage (in a virtual environment outside the repository):
    python3 -m venv ../venv && ../venv/bin/pip install torch torchvision kornia numpy
    ../venv/bin/python scripts/generate_fixtures.py            # all families
    ../venv/bin/python scripts/generate_fixtures.py regression # one family
"""
import importlib
import json
import math
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "LossKitTests", "Fixtures")
FAMILIES = [
    "regression", "classification", "binary_classification", "margin_classification", "distillation", "divergence",
    "segmentation", "detection", "metric_learning", "contrastive",
    "ranking", "sequence", "generative", "reinforcement", "attention_target", "linear_cross_entropy",
]


def encode_number(x, single=False):
    # float32 values are written as their shortest float32 decimal, which reads back exactly.
    x = float(str(np.float32(x))) if single and np.isfinite(x) else float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def encode_array(a, dtype):
    a = np.asarray(a)
    if dtype in ("float32", "float64"):
        data = [encode_number(v, dtype == "float32") for v in a.astype(np.float64).ravel()]
    elif dtype == "bool":
        data = [bool(v) for v in a.ravel()]
    else:
        data = [int(v) for v in a.ravel()]
    return {"dtype": dtype, "shape": list(a.shape), "data": data}


def run_case(case, dtype):
    tdtype = {"float32": torch.float32, "float64": torch.float64}[dtype]
    tensors, encoded = {}, {}
    for name, value in case.inputs.items():
        arr = np.asarray(value)
        if arr.dtype.kind == "f":
            t = torch.tensor(arr, dtype=tdtype)
            kind = dtype
            if case.exact_reference:
                t = t.to(torch.float64)
        elif arr.dtype.kind == "b":
            t = torch.tensor(arr, dtype=torch.bool)
            kind = "bool"
        else:
            kind = "int32" if arr.dtype == np.int32 else "int64"
            t = torch.tensor(arr.astype(np.int64))
        if name in case.differentiable:
            t.requires_grad_(True)
        tensors[name] = t
        encoded[name] = encode_array(t.detach().numpy(), kind)
    out = case.fn(**tensors)
    total = out.sum() if out.dim() > 0 else out
    grads = {}
    wanted = [n for n in case.differentiable if n in tensors]
    if wanted and total.requires_grad:
        gs = torch.autograd.grad(total, [tensors[n] for n in wanted], allow_unused=True)
        for n, g in zip(wanted, gs):
            g = torch.zeros_like(tensors[n]) if g is None else g
            grads[n] = encode_array(g.detach().numpy(), dtype)
    record = {
        "name": f"{case.name}/{dtype}",
        "loss": case.loss,
        "dtype": dtype,
        "inputs": encoded,
        "options": {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in case.options.items()},
        "value": encode_array(out.detach().numpy(), dtype),
        "grads": grads,
    }
    if case.grad is not None:
        record["grad"] = case.grad
    if case.tolerance:
        record["tolerance"] = case.tolerance
    return record


def main(argv):
    families = argv[1:] or FAMILIES
    torch.manual_seed(0)
    for family in families:
        module = importlib.import_module(f"fixtures.{family}")
        records = []
        for case in module.cases():
            for dtype in case.dtypes:
                records.append(run_case(case, dtype))
        doc = {
            "generator": "scripts/generate_fixtures.py",
            "family": family,
            "torch": torch.__version__,
            "cases": records,
        }
        path = os.path.join(OUT, f"{family}.json")
        with open(path, "w") as f:
            json.dump(doc, f, separators=(",", ":"))
            f.write("\n")
        print(f"{path}: {len(records)} cases, {os.path.getsize(path) // 1024} KiB")


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    main(sys.argv)
