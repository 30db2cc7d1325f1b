#!/usr/bin/env python3
"""LossKitDifferentiation's tensor operations against PyTorch eager, side by side in one run.

Each row: the value and the input gradient of sum(w * op(x)) (float32, same shapes on both sides):
LossKit through `losskit-bench --filter "op "` (valueWithPullback over the operations), PyTorch
as forward + torch.autograd.grad, median of --repeat runs after a warm-up, --threads on both sides.

Usage (release build; PyTorch in a virtual environment outside the repository):
    ../venv/bin/python scripts/benchmark_operations.py [--repeat 15] [--threads 2] [--build native|default]
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILDS = {"native": ["-c", "release", "-Xswiftc", "-target-cpu", "-Xswiftc", "native"], "default": ["-c", "release"]}

ROWS = {
    "op conv2d 8x16x28x28 k32x16x3x3 p1 autodiff": ([8, 16, 28, 28], lambda x, k: F.conv2d(x, k, padding=1), [32, 16, 3, 3]),
    "op maxPool2d 8x32x28x28 k2 autodiff": ([8, 32, 28, 28], lambda x: F.max_pool2d(x, 2), None),
    "op elementwise 4M autodiff": ([4 << 20], lambda x: torch.sigmoid(x) * x + x, None),
    "op bias-relu 4096x1000 autodiff": ([4096, 1000], lambda x, b: torch.relu(x + b), [1000]),
    "op softmax 4096x1000 autodiff": ([4096, 1000], lambda x: torch.softmax(x, 1), None),
}


def torch_time(shape, op, filter_shape, repeat):
    x = torch.randn(*shape, requires_grad=True)
    k = torch.randn(*filter_shape) * 0.1 if filter_shape else None
    y = op(x, k) if k is not None else op(x)
    w = torch.randn(*y.shape)

    def run():
        y = op(x, k) if k is not None else op(x)
        return torch.autograd.grad((w * y).sum(), x)[0]
    run()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--build", choices=sorted(BUILDS), default="native")
    a = ap.parse_args()
    scratch = os.path.join(ROOT, f".build-bench-{a.build}")
    flags = BUILDS[a.build] + ["--scratch-path", scratch]
    subprocess.run(["swift", "build", *flags, "--product", "losskit-bench"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    bindir = subprocess.run(["swift", "build", *flags, "--show-bin-path"], cwd=ROOT, check=True, capture_output=True,
                            text=True).stdout.strip()
    out = subprocess.run([os.path.join(bindir, "losskit-bench"), "--filter", "op ", "--repeat", str(a.repeat),
                          "--threads", str(a.threads)], check=True, capture_output=True, text=True).stdout
    ours = {r["case"]: r["median_seconds"] for r in map(json.loads, out.splitlines())}
    torch.set_num_threads(a.threads)
    print(f"build: {a.build}, threads: {a.threads}, torch {torch.__version__}, median of {a.repeat}\n")
    print(f"{'row':<46} {'LossKit ms':>11} {'PyTorch ms':>11} {'ratio':>7}")
    for name, (shape, op, filter_shape) in ROWS.items():
        t = torch_time(shape, op, filter_shape, a.repeat)
        print(f"{name:<46} {ours[name] * 1e3:>11.3f} {t * 1e3:>11.3f} {t / ours[name]:>6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
