#!/usr/bin/env python3
"""Writes Tests/LossKitDifferentiationTests/Fixtures/operations.json: PyTorch (float64) values and
gradients of LossKitDifferentiation's tensor operations, for OperationFixtureTests.

Each case: the operation and its parameters, the inputs, a weight w of the output's shape, the
output, and the gradients of sum(w * op(inputs)) with respect to every input (torch.autograd).

Usage (PyTorch in a virtual environment outside the repository):
    ../venv/bin/python scripts/generate_operation_fixtures.py
"""
import json
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "LossKitDifferentiationTests", "Fixtures", "operations.json")


def case(name, op, params, inputs, fn, gen):
    xs = [torch.randn(*shape, dtype=torch.float64, generator=gen, requires_grad=True) for shape in inputs]
    y = fn(*xs)
    w = torch.randn(*y.shape, dtype=torch.float64, generator=gen)
    grads = torch.autograd.grad((w * y).sum(), xs)
    flat = lambda t: t.detach().reshape(-1).tolist()
    return {"name": name, "op": op, "params": params,
            "inputs": [{"shape": list(x.shape), "data": flat(x)} for x in xs],
            "weight": {"shape": list(w.shape), "data": flat(w)},
            "value": {"shape": list(y.shape), "data": flat(y)},
            "grads": [{"shape": list(g.shape), "data": flat(g)} for g in grads]}


def main():
    gen = torch.Generator().manual_seed(0)
    cases = []
    for m, k, n in [(1, 1, 1), (3, 4, 5), (9, 5, 11), (20, 30, 7)]:
        cases.append(case(f"matmul {m}x{k} {k}x{n}", "matmul", {}, [(m, k), (k, n)], lambda a, b: a @ b, gen))
    conv = [((2, 3, 7, 6), (4, 3, 3, 2), (1, 1), (0, 0), (1, 1)),
            ((1, 3, 7, 6), (4, 3, 3, 2), (2, 1), (1, 2), (1, 1)),
            ((1, 2, 9, 9), (3, 2, 3, 3), (1, 2), (1, 0), (2, 1)),
            ((3, 1, 5, 5), (2, 1, 5, 5), (1, 1), (2, 2), (1, 1)),
            ((2, 4, 6, 6), (5, 4, 1, 1), (2, 2), (0, 0), (1, 1))]
    for x, f, s, p, d in conv:
        cases.append(case(f"conv2d x{list(x)} k{list(f)} s{s} p{p} d{d}", "conv2d",
                          {"stride": list(s), "padding": list(p), "dilation": list(d)}, [x, f],
                          lambda a, b, s=s, p=p, d=d: F.conv2d(a, b, stride=s, padding=p, dilation=d), gen))
    for x, k, s, p in [((2, 2, 7, 6), (2, 2), (2, 2), (0, 0)), ((2, 2, 7, 6), (3, 2), (2, 1), (1, 1)), ((1, 3, 5, 5), (3, 3), (1, 1), (1, 1))]:
        cases.append(case(f"maxPool2d x{list(x)} k{k} s{s} p{p}", "maxPool2d", {"kernel": list(k), "stride": list(s), "padding": list(p)},
                          [x], lambda a, k=k, s=s, p=p: F.max_pool2d(a, k, s, p), gen))
        cases.append(case(f"avgPool2d x{list(x)} k{k} s{s} p{p}", "avgPool2d", {"kernel": list(k), "stride": list(s), "padding": list(p)},
                          [x], lambda a, k=k, s=s, p=p: F.avg_pool2d(a, k, s, p), gen))
    for axis in [0, 1, -1]:
        cases.append(case(f"softmax axis {axis}", "softmax", {"axis": axis}, [(3, 4, 5)], lambda a, axis=axis: torch.softmax(a, axis), gen))
        cases.append(case(f"logSoftmax axis {axis}", "logSoftmax", {"axis": axis}, [(3, 4, 5)],
                          lambda a, axis=axis: torch.log_softmax(a, axis), gen))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"generator": "scripts/generate_operation_fixtures.py", "torch": torch.__version__.split("+")[0], "cases": cases},
                  f, separators=(",", ":"))
    print(f"wrote {len(cases)} cases to {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
