#!/usr/bin/env python3
"""What Swift's automatic differentiation costs over the direct call (issue 9 point 6).

Times, in one run and on the same data, the value + input gradient of
  cross-entropy 4096x1000 (float32, int labels) and bce-with-logits 4M (float32)
two ways each:
  1. in process, with `losskit-bench`: the direct library call vs valueWithPullback over the
     `Losses` form (rows "... autodiff"); both print a bit hash of the result, compared here;
  2. through the CLI: `losskit eval ID --repeat N` vs `losskit eval ID --repeat N --autodiff`
     on the same .npy files (the timing covers the loss call only; the written files are compared).
Prints each pair's medians and the overhead in percent; the target is at most +5%.

Usage (release build; needs numpy for the CLI inputs):
    python3 scripts/benchmark_autodiff.py [--repeat 15] [--threads 2] [--build native|default] [--no-build]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILDS = {"native": ["-c", "release", "-Xswiftc", "-target-cpu", "-Xswiftc", "native"], "default": ["-c", "release"]}
ROWS = ["cross-entropy 4096x1000", "bce-with-logits 4M"]


def build(flags, scratch):
    for product in ["losskit-bench", "losskit"]:
        subprocess.run(["swift", "build", *flags, "--scratch-path", scratch, "--product", product], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    out = subprocess.run(["swift", "build", *flags, "--scratch-path", scratch, "--show-bin-path"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
    return out


def bench_rows(bindir, repeat, threads):
    results = {}
    for row in ROWS:
        out = subprocess.run([os.path.join(bindir, "losskit-bench"), "--filter", row, "--repeat", str(repeat),
                              "--threads", str(threads)], check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            r = json.loads(line)
            results[r["case"]] = r
    return results


def cli(bindir, args, repeat, out):
    # `losskit eval` uses every core (set --threads to the machine's core count for a like-for-like row).
    p = subprocess.run([os.path.join(bindir, "losskit"), "eval", *args, "--repeat", str(repeat), "--out", out],
                       check=True, capture_output=True, text=True)
    return json.loads(p.stdout)["timing"]["median_seconds"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="losskit-bench threads (the CLI uses every core)")
    ap.add_argument("--build", choices=sorted(BUILDS), default="native")
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    scratch = os.path.join(ROOT, f".build-bench-{a.build}")
    bindir = build(BUILDS[a.build], scratch) if not a.no_build else subprocess.run(
        ["swift", "build", *BUILDS[a.build], "--scratch-path", scratch, "--show-bin-path"], cwd=ROOT, check=True,
        capture_output=True, text=True).stdout.strip()

    print(f"build: {a.build}, threads: {a.threads}, median of {a.repeat} runs after a warm-up\n")
    print(f"{'row':<40} {'direct ms':>10} {'autodiff ms':>12} {'overhead':>9}  same result")
    ok = True
    rows = bench_rows(bindir, a.repeat, a.threads)
    for row in ROWS:
        d, g = rows[row], rows[row + " autodiff"]
        over = g["median_seconds"] / d["median_seconds"] - 1
        same = d["value_bits"] == g["value_bits"] and d["gradient_hash"] == g["gradient_hash"]
        ok &= over <= 0.05 and same
        print(f"{'library: ' + row:<40} {d['median_seconds'] * 1e3:>10.3f} {g['median_seconds'] * 1e3:>12.3f} "
              f"{over * 100:>+8.1f}%  {'bitwise' if same else 'DIFFERENT'}")

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        def save(name, array):
            path = os.path.join(tmp, name)
            np.save(path, array)
            return path
        cases = {
            "cross-entropy 4096x1000": ["cross-entropy",
                                        "--input", "input=" + save("ce_x.npy", rng.standard_normal((4096, 1000), dtype=np.float32)),
                                        "--input", "target=" + save("ce_y.npy", rng.integers(0, 1000, 4096).astype(np.int64))],
            "bce-with-logits 4M": ["bce-with-logits",
                                   "--input", "input=" + save("b_x.npy", rng.standard_normal(4 << 20, dtype=np.float32)),
                                   "--input", "target=" + save("b_t.npy", (rng.random(4 << 20) < 0.5).astype(np.float32)),
                                   "--grad", "input"],
        }
        for row, args in cases.items():
            d = cli(bindir, args, a.repeat, os.path.join(tmp, "d"))
            g = cli(bindir, args + ["--autodiff"], a.repeat, os.path.join(tmp, "a"))
            same = all(open(os.path.join(tmp, "d", f), "rb").read() == open(os.path.join(tmp, "a", f), "rb").read()
                       for f in ["loss.npy", "grad.input.npy"])
            over = g / d - 1
            ok &= over <= 0.05 and same
            print(f"{'losskit eval: ' + row:<40} {d * 1e3:>10.3f} {g * 1e3:>12.3f} {over * 100:>+8.1f}%  "
                  f"{'bitwise' if same else 'DIFFERENT'}")
    print("\noverhead at most +5% and results bitwise equal on every row:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
