#!/usr/bin/env python3
"""Side-by-side benchmark: LossKit (release build) against PyTorch on the same CPU, in one run.

Each row times value + gradient w.r.t. the input on float32 data of the same shape on both sides:
LossKit through `losskit-bench`, PyTorch as forward + torch.autograd.grad with 2 threads.
Times are medians over --repeat runs after a warm-up; ratio = PyTorch time / LossKit time
(> 1 means LossKit is faster).

Usage (PyTorch in a virtual environment outside the repository):
    ../venv/bin/python scripts/benchmark.py [--repeat 15] [--filter cross] [--no-build]
Build flags used (the documented fast configuration for applications):
    swift build -c release -Xswiftc -target-cpu -Xswiftc native --product losskit-bench
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F
import torchvision

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BUILD_FLAGS = ["-c", "release", "-Xswiftc", "-target-cpu", "-Xswiftc", "native"]


def torch_cases():
    g = torch.Generator().manual_seed(0)
    cases = {}
    for n, c in [(4096, 1000), (1024, 32000)]:
        x = torch.randn(n, c, generator=g)
        y = torch.randint(0, c, (n,), generator=g)
        cases[f"cross-entropy {n}x{c}"] = (x, lambda x, y=y: F.cross_entropy(x, y))
    m = 4 << 20
    x = torch.randn(m, generator=g)
    t = (torch.rand(m, generator=g) < 0.5).float()
    cases["bce-with-logits 4M"] = (x, lambda x, t=t: F.binary_cross_entropy_with_logits(x, t))
    cases["sigmoid-focal 4M"] = (x, lambda x, t=t: torchvision.ops.sigmoid_focal_loss(x, t, reduction="mean"))
    y = torch.randn(m, generator=g)
    cases["mse 4M"] = (x, lambda x, y=y: F.mse_loss(x, y))
    n, c = 4096, 1000
    inp = F.log_softmax(torch.randn(n, c, generator=g), dim=1)
    tgt = F.softmax(torch.randn(n, c, generator=g), dim=1)
    cases["kl-div batchmean 4096x1000"] = (inp, lambda x, t=tgt: F.kl_div(x, t, reduction="batchmean"))
    return cases


def time_torch(x, fn, repeat):
    def once():
        xi = x.detach().requires_grad_(True)
        loss = fn(xi)
        (g,) = torch.autograd.grad(loss, [xi])
        return loss.item() + g.view(-1)[0].item()

    once()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        once()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--filter", default=None)
    ap.add_argument("--threads", type=int, default=2, help="threads on both sides (default 2)")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()

    if not args.no_build:
        subprocess.run(["swift", "build", *BUILD_FLAGS, "--product", "losskit-bench"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    bindir = subprocess.run(["swift", "build", *BUILD_FLAGS, "--show-bin-path"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    cmd = [os.path.join(bindir, "losskit-bench"), "--repeat", str(args.repeat), "--threads", str(args.threads)]
    if args.filter:
        cmd += ["--filter", args.filter]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    ours = {r["case"]: r for r in map(json.loads, out.splitlines())}

    torch.set_num_threads(args.threads)
    cases = torch_cases()
    print(f"torch {torch.__version__}, {args.threads} threads; LossKit release build ({' '.join(BUILD_FLAGS)})")
    print(f"{'case':<30} {'LossKit ms':>11} {'PyTorch ms':>11} {'ratio':>7}")
    slower = []
    for name, (x, fn) in cases.items():
        if name not in ours:
            continue
        t_torch = time_torch(x, fn, args.repeat)
        t_ours = ours[name]["median_seconds"]
        ratio = t_torch / t_ours
        if ratio < 1:
            slower.append(name)
        print(f"{name:<30} {t_ours * 1e3:>11.3f} {t_torch * 1e3:>11.3f} {ratio:>6.2f}x")
    if slower:
        print("LossKit slower than PyTorch in: " + ", ".join(slower))
    return 1 if slower else 0


if __name__ == "__main__":
    sys.exit(main())
