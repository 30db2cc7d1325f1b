#!/usr/bin/env python3
"""Side-by-side benchmark: LossKit (release build) against PyTorch on the same CPU, in one run.

Each row times value + gradient w.r.t. the input on float32 data of the same shape on every side:
LossKit through `losskit-bench`; PyTorch eager as forward + torch.autograd.grad with the same number
of threads (default 2); torch.compile (inductor, the forward compiled and its backward through
AOTAutograd) on the same function; and JAX `jit(value_and_grad)` of the same loss (optax where it has
it), on the machine's CPUs (XLA:CPU; pinned to --threads cores by sched_setaffinity). Times are medians
over --repeat runs after a warm-up (which also compiles); each peer's ratio = its time / LossKit's time
(> 1 means LossKit is faster); "best" is the ratio to the fastest peer of the same run; target = the
ratio to PyTorch eager the project aims for. --peers picks the peers (default eager,compile,jax).

Memory-bandwidth floor. Every row must at least read its inputs and write its gradient once. The
script first measures the machine's bandwidth with `losskit-bench --stream` (a STREAM-style triad
a[i] = b[i] + s*c[i] on three 128 MiB float arrays, counting 12 bytes per element: two reads and
one write, not the write-allocate read), then reports for each row
    GB/s      = compulsory bytes / LossKit's median time
    of stream = GB/s / triad GB/s     (1.0 = as fast as memory allows; 4096x1000 rows have 16 MB
                                       per array, partly cache-resident, and can exceed 1)
counting the compulsory bytes as (same convention as the triad: no write-allocate reads)
    cross-entropy N x C       read N*C*4 (logits) + N*4 (int32 labels), write N*C*4 (gradient)
    bce-with-logits, sigmoid-focal, mse (M elements)
                              read 2*M*4 (input, target), write M*4 (gradient)
    kl-div N x C              read 2*N*C*4 (input, target), write N*C*4 (gradient)
    triplet N x D             read 3*N*D*4, write N*D*4 (the anchor's gradient)
    clip N x D                read 2*N*D*4, write 2*N*D*4 (both gradients)
    ctc T, N, C, S            read T*N*C*4, write T*N*C*4, plus the int32 targets and lengths
    linear-cross-entropy      read (N*D + V*D)*4, write the same (hidden and weight gradients)

The linear-cross-entropy rows also compare the chunked kernel with the materialized path and
report its working memory (`losskit-bench --memory`), see linear_cross_entropy() below.

--scaling runs losskit-bench with --threads 1 and with --threads T (default 2) and prints the
speed-up per row (the project's target: at least 1.7x on 2 threads for these large rows), and
checks that the value and every gradient element are bitwise equal across thread counts
(value_bits: the value's Float.bitPattern; gradient_hash: FNV-1a over the gradient's bit patterns).

Usage (PyTorch in a virtual environment outside the repository):
    ../venv/bin/python scripts/benchmark.py [--repeat 15] [--filter cross] [--no-build]
    ../venv/bin/python scripts/benchmark.py --scaling
    ../venv/bin/python scripts/benchmark.py --build default   # plain `swift build -c release`
Build flags used: --build native (default; the documented fast configuration for applications)
    swift build -c release -Xswiftc -target-cpu -Xswiftc native --product losskit-bench
and --build default, what a user gets without flags (its own scratch path .build-default):
    swift build -c release --product losskit-bench
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BUILDS = {
    "native": ["-c", "release", "-Xswiftc", "-target-cpu", "-Xswiftc", "native"],
    "default": ["-c", "release"],
}
# Each build in its own scratch path, so switching between them does not rebuild everything.
SCRATCH = {"native": None, "default": os.path.join(ROOT, ".build-default")}
M = 4 << 20

# The targets: PyTorch time / LossKit time, at least.
TARGETS = {
    "cross-entropy 4096x1000": 3,
    "cross-entropy 1024x32000": 8,
    "bce-with-logits 4M": 5,
    "sigmoid-focal 4M": 15,
    "mse 4M": 2,
    "kl-div batchmean 4096x1000": 5,
    "triplet 4096x256": 2,
    "clip 2048x512": 1,
    "ctc T=200 N=32 C=30 S=50": 2,
    "ctc T=500 N=32 C=5000 S=100": 2,
}
SCALING_TARGET = 1.7

# Compulsory bytes (reads + writes) per row; see the module docstring.
BYTES = {
    "cross-entropy 4096x1000": 4096 * 1000 * 4 * 2 + 4096 * 4,
    "cross-entropy 1024x32000": 1024 * 32000 * 4 * 2 + 1024 * 4,
    "bce-with-logits 4M": M * 4 * 3,
    "sigmoid-focal 4M": M * 4 * 3,
    "mse 4M": M * 4 * 3,
    "kl-div batchmean 4096x1000": 4096 * 1000 * 4 * 3,
    "triplet 4096x256": 4096 * 256 * 4 * 4,  # read anchor, positive, negative; write the anchor gradient
    "clip 2048x512": 2048 * 512 * 4 * 4,  # read both inputs, write both gradients
    # read hidden [N, D] and weight [V, D], write both gradients (the labels are negligible)
    "linear-cross-entropy 512x1024x32000": 2 * (512 * 1024 + 32000 * 1024) * 4,
    # read the log-probabilities, write their gradient; plus the int32 targets and lengths
    "ctc T=200 N=32 C=30 S=50": 200 * 32 * 30 * 4 * 2 + 32 * 50 * 4 + 2 * 32 * 4,
    "ctc T=500 N=32 C=5000 S=100": 500 * 32 * 5000 * 4 * 2 + 32 * 100 * 4 + 2 * 32 * 4,
}


def torch_cases():
    """name -> a function that builds the row's data and returns (x, fn, extra, jax_fn): fn(x, *extra) is
    the PyTorch loss, jax_fn(x, *extra) the same loss in JAX (on the same data, as jnp arrays; the
    constants it closes over are converted when the row is built). Built one row at a time, each from
    a generator seeded by its name, so only the timed row's tensors exist (with every row's data alive
    at once PyTorch's timings of the small rows doubled and varied 5x)."""
    import torch
    import torch.nn.functional as F
    import torchvision

    def seeded(name):
        return torch.Generator().manual_seed(sum(name.encode()) * 7919)

    def J(t):
        import jax.numpy as jnp
        return jnp.asarray(t.numpy())

    def optax_losses():
        import optax
        return optax.losses

    cases = {}

    def row(name):
        def register(build):
            cases[name] = lambda: build(seeded(name))
            return build
        return register

    for n, c in [(4096, 1000), (1024, 32000)]:
        @row(f"cross-entropy {n}x{c}")
        def _(g, n=n, c=c):
            x, y = torch.randn(n, c, generator=g), torch.randint(0, c, (n,), generator=g)
            jy, ol = J(y), optax_losses()
            return x, lambda x: F.cross_entropy(x, y), (), \
                lambda x: ol.softmax_cross_entropy_with_integer_labels(x, jy).mean()

    def logits_and_labels(g):
        return torch.randn(M, generator=g), (torch.rand(M, generator=g) < 0.5).float()

    @row("bce-with-logits 4M")
    def _(g):
        x, t = logits_and_labels(g)
        jt, ol = J(t), optax_losses()
        return x, lambda x: F.binary_cross_entropy_with_logits(x, t), (), \
            lambda x: ol.sigmoid_binary_cross_entropy(x, jt).mean()

    @row("sigmoid-focal 4M")
    def _(g):
        x, t = logits_and_labels(g)
        jt, ol = J(t), optax_losses()
        # torchvision's defaults: alpha 0.25, gamma 2
        return x, lambda x: torchvision.ops.sigmoid_focal_loss(x, t, reduction="mean"), (), \
            lambda x: ol.sigmoid_focal_loss(x, jt, alpha=0.25, gamma=2.0).mean()

    @row("mse 4M")
    def _(g):
        x, y = torch.randn(M, generator=g), torch.randn(M, generator=g)
        jy = J(y)
        return x, lambda x: F.mse_loss(x, y), (), lambda x: ((x - jy) ** 2).mean()

    @row("kl-div batchmean 4096x1000")
    def _(g):
        n, c = 4096, 1000
        inp = F.log_softmax(torch.randn(n, c, generator=g), dim=1)
        tgt = F.softmax(torch.randn(n, c, generator=g), dim=1)
        jt, ol = J(tgt), optax_losses()
        # optax's kl_divergence(log_predictions, targets) is the per-row sum: its mean is batchmean
        return inp, lambda x: F.kl_div(x, tgt, reduction="batchmean"), (), \
            lambda x: ol.kl_divergence(x, jt).mean()

    @row("triplet 4096x256")
    def _(g):
        a, p, n = (torch.randn(4096, 256, generator=g) for _ in range(3))
        jp, jn, ol = J(p), J(n), optax_losses()
        return a, lambda x: F.triplet_margin_loss(x, p, n), (), \
            lambda x: ol.triplet_margin_loss(x, jp, jn, margin=1.0, norm_degree=2, eps=1e-6).mean()

    for t, n, c, s in [(200, 32, 30, 50), (500, 32, 5000, 100)]:
        @row(f"ctc T={t} N={n} C={c} S={s}")
        def _(g, t=t, n=n, c=c, s=s):
            import jax.numpy as jnp
            # As in losskit-bench: every input length T, target lengths from S down to S/2.
            lp = F.log_softmax(torch.randn(t, n, c, generator=g), dim=2)
            tg = torch.randint(1, c, (n, s), generator=g, dtype=torch.int32)
            il = torch.full((n,), t, dtype=torch.int32)
            tl = torch.tensor([s - i * s // (2 * n) for i in range(n)], dtype=torch.int32)
            # optax takes [N, T, C] logits (it log-softmaxes them again: the same work as the
            # normalized input PyTorch takes) and paddings; "mean" as PyTorch: per-sequence loss
            # divided by its target length, then the batch mean.
            ol = optax_losses()
            jl = J(tg)
            lpad = (jnp.arange(s)[None, :] >= J(tl)[:, None]).astype(jnp.float32)
            tpad = jnp.zeros((n, t), jnp.float32)
            jtl = J(tl).astype(jnp.float32)
            return lp, lambda x: F.ctc_loss(x, tg, il, tl), (), \
                lambda x: (ol.ctc_loss(jnp.transpose(x, (1, 0, 2)), tpad, jl, lpad) / jtl).mean()

    @row("clip 2048x512")
    def _(g):
        x = torch.randn(2, 2048, 512, generator=g)  # input1 = x[0], input2 = x[1]: grad(x) holds both
        y = torch.arange(2048)

        def clip(x):
            s = F.normalize(x[0], dim=1) @ F.normalize(x[1], dim=1).T / 0.07
            return (F.cross_entropy(s, y) + F.cross_entropy(s.T, y)) / 2

        def jax_clip(x):
            import jax.numpy as jnp
            ol = optax_losses()
            a = x[0] / jnp.maximum(jnp.linalg.norm(x[0], axis=1, keepdims=True), 1e-12)
            b = x[1] / jnp.maximum(jnp.linalg.norm(x[1], axis=1, keepdims=True), 1e-12)
            s = a @ b.T / 0.07
            labels = jnp.arange(2048)
            return (ol.softmax_cross_entropy_with_integer_labels(s, labels).mean()
                    + ol.softmax_cross_entropy_with_integer_labels(s.T, labels).mean()) / 2
        return x, clip, (), jax_clip

    @row("linear-cross-entropy 512x1024x32000")
    def _(g):
        # The usual way: the [N, V] logits materialized; gradients for the hidden states and the
        # weight (the third element: further tensors to differentiate).
        n, d, v = 512, 1024, 32000
        h, w = torch.randn(n, d, generator=g), torch.randn(v, d, generator=g) / 32
        y = torch.randint(0, v, (n,), generator=g)
        jy, ol = J(y), optax_losses()
        return h, lambda h, w: F.cross_entropy(F.linear(h, w), y), (w,), \
            lambda h, w: ol.softmax_cross_entropy_with_integer_labels(h @ w.T, jy).mean()

    return cases


def median_time(once, repeat):
    once()  # warm-up (and, for the compiled peers, compilation)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        once()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def time_torch(x, fn, repeat, extra=(), compiled=False):
    """Median time of fn(x, *extra) and its gradients with respect to x and every tensor in extra;
    compiled: the same function through torch.compile (inductor), its backward compiled by AOTAutograd."""
    import torch
    if compiled:
        torch._dynamo.reset()
        fn = torch.compile(fn)

    def once():
        xs = [t.detach().requires_grad_(True) for t in (x, *extra)]
        loss = fn(*xs)
        g = torch.autograd.grad(loss, xs)
        return loss.item() + g[0].view(-1)[0].item()

    return median_time(once, repeat)


def time_jax(x, jax_fn, repeat, extra=()):
    """Median time of jit(value_and_grad) of the JAX loss w.r.t. x and every array in extra, the result
    waited for (block_until_ready)."""
    import jax
    import jax.numpy as jnp
    args = [jnp.asarray(t.numpy()) for t in (x, *extra)]
    step = jax.jit(jax.value_and_grad(jax_fn, argnums=tuple(range(len(args)))))

    def once():
        value, grads = step(*args)
        jax.block_until_ready((value, grads))

    return median_time(once, repeat)


def run_bench(binary, *args):
    out = subprocess.run([binary, *args], check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def machine():
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    return f"{model}, {os.cpu_count()} CPUs, load {load}, {datetime.datetime.now():%Y-%m-%d %H:%M}"


PEERS = ("eager", "compile", "jax")


def time_peer(peer, x, fn, extra, jax_fn, repeat):
    """The peer's median time, or None (with the reason printed) where it cannot run the row."""
    try:
        if peer == "eager":
            return time_torch(x, fn, repeat, extra)
        if peer == "compile":
            return time_torch(x, fn, repeat, extra, compiled=True)
        return time_jax(x, jax_fn, repeat, extra)
    except Exception as error:  # a peer that fails on a row is reported, not fatal
        print(f"  ({peer} failed: {type(error).__name__}: {str(error).splitlines()[0][:100]})")
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--filter", default=None)
    ap.add_argument("--threads", type=int, default=2, help="threads on every side (default 2)")
    ap.add_argument("--build", choices=sorted(BUILDS), default="native",
                    help="LossKit build: native (-target-cpu native, default) or default (no flags)")
    ap.add_argument("--peers", default=",".join(PEERS), help=f"comma-separated subset of {','.join(PEERS)}")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--scratch-path", default=None, help="SwiftPM scratch path (default: the build's own)")
    ap.add_argument("--scaling", action="store_true",
                    help="LossKit on 1 thread vs --threads: speed-up and bitwise-equal results (no peers)")
    ap.add_argument("--no-reuse", action="store_true",
                    help="pass --no-reuse to losskit-bench (large results on fresh memory every run)")
    args = ap.parse_args()
    peers = [p for p in args.peers.split(",") if p]
    if unknown := [p for p in peers if p not in PEERS]:
        ap.error(f"--peers: unknown {', '.join(unknown)} (expected a subset of {','.join(PEERS)})")

    scratch = args.scratch_path or SCRATCH[args.build]
    flags = BUILDS[args.build] + (["--scratch-path", scratch] if scratch else [])
    if not args.no_build:
        subprocess.run(["swift", "build", *flags, "--product", "losskit-bench"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    bindir = subprocess.run(["swift", "build", *flags, "--show-bin-path"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    binary = os.path.join(bindir, "losskit-bench")
    common = ["--repeat", str(args.repeat)] + (["--filter", args.filter] if args.filter else [])
    common += ["--no-reuse"] if args.no_reuse else []

    print(machine())
    print(f"LossKit release build, {args.build}: swift build {' '.join(BUILDS[args.build])}"
          f"{', --no-reuse' if args.no_reuse else ''}")
    if args.scaling:
        return scaling(binary, common, args.threads)

    # Every peer on the same cores: JAX's XLA:CPU has no simple thread-count knob, so the process
    # is pinned to --threads CPUs (torch additionally gets set_num_threads).
    if hasattr(os, "sched_setaffinity") and args.threads < os.cpu_count():
        os.sched_setaffinity(0, set(range(args.threads)))
    import torch

    stream = run_bench(binary, "--stream", "--threads", str(args.threads))[0]
    bandwidth = stream["gb_per_s"]
    ours = {r["case"]: r for r in run_bench(binary, *common, "--threads", str(args.threads))}

    torch.set_num_threads(args.threads)
    versions = [f"torch {torch.__version__}"]
    if "jax" in peers:
        import jax
        import optax
        versions.append(f"jax {jax.__version__} (optax {optax.__version__}, {jax.default_backend()})")
    print(f"{', '.join(versions)}; {args.threads} threads on every side; median of {args.repeat} runs")
    print(f"stream triad ({args.threads} threads): {bandwidth:.1f} GB/s (12 bytes per element)")
    print("ratio = peer time / LossKit time (> 1: LossKit faster); best = ratio to the fastest peer of this run")
    header = f"{'case':<36} {'LossKit ms':>10} " + " ".join(f"{p + ' ms':>10}" for p in peers)
    print(header + f" {'vs eager':>8} {'best':>7} {'peer':>7} {'target':>6} {'GB/s':>6} {'of stream':>9}")
    slower, short = [], []
    for name, build in torch_cases().items():
        if name not in ours:
            continue
        x, fn, extra, jax_fn = build()
        times = {p: time_peer(p, x, fn, extra, jax_fn, args.repeat) for p in peers}
        del x, fn, extra, jax_fn
        t_ours = ours[name]["median_seconds"]
        ran = {p: t for p, t in times.items() if t is not None}
        best_peer = min(ran, key=ran.get) if ran else None
        best = ran[best_peer] / t_ours if best_peer else float("nan")
        eager = times.get("eager")
        ratio = eager / t_ours if eager else float("nan")
        target = TARGETS.get(name)
        gbs = BYTES[name] / t_ours / 1e9
        if best_peer and best < 1:
            slower.append(f"{name} ({best_peer})")
        if target and eager and ratio < target:
            short.append(name)
        mark = "" if not target or not eager or ratio >= target else "  < target"
        cells = " ".join(f"{t * 1e3:>10.3f}" if t is not None else f"{'-':>10}" for t in times.values())
        print(f"{name:<36} {t_ours * 1e3:>10.3f} {cells} {ratio:>7.2f}x {best:>6.2f}x {best_peer or '-':>7} "
              f"{target or '':>5}x {gbs:>6.1f} {gbs / bandwidth:>9.2f}{mark}")
    if short:
        print("below target (vs eager): " + ", ".join(short))
    if slower:
        print("LossKit slower than the best peer in: " + ", ".join(slower))
    if any(name.startswith("linear-cross-entropy") for name in ours):
        linear_cross_entropy(binary, ours, args.threads)
    return 1 if slower else 0


def linear_cross_entropy(binary, ours, threads):
    """Issue 4's rows for the fused linear cross-entropy: time against the materialized path (the
    same call with one chunk spanning the vocabulary, so the [N, V] logits exist at once; target at
    most 1.2x), working memory against the logits and their gradient (2*N*V*4 bytes; target at most
    10%), and agreement of the two."""
    n, d, v = 512, 1024, 32000
    chunked, full = (ours.get(f"linear-cross-entropy {k}{n}x{d}x{v}") for k in ("", "materialized "))
    if not chunked or not full:
        return
    t_c, t_m = chunked["median_seconds"], full["median_seconds"]
    print(f"linear-cross-entropy N={n} D={d} V={v}: chunked {t_c * 1e3:.1f} ms, materialized {t_m * 1e3:.1f} ms, "
          f"chunked/materialized {t_c / t_m:.2f}x (target <= 1.2x)")
    rows = run_bench(binary, "--memory", "linear-cross-entropy", "--threads", str(threads))
    logits_and_gradient = 2 * n * v * 4
    for r in rows:
        if "working_bytes" in r:
            print(f"  {r['case']}: working memory {r['working_bytes'] / 2**20:.1f} MiB = "
                  f"{r['working_bytes'] / logits_and_gradient:.1%} of the logits + gradient "
                  f"({logits_and_gradient / 2**20:.0f} MiB; target <= 10% for the chunked kernel), "
                  f"results {r['result_bytes'] / 2**20:.0f} MiB")
        elif "compare" in r:
            print(f"  chunked vs materialized, largest difference / largest magnitude: value {r['value']:.1e}, "
                  f"input gradient {r['input']:.1e}, weight gradient {r['weight']:.1e}")


def scaling(binary, common, threads):
    one = {r["case"]: r for r in run_bench(binary, *common, "--threads", "1")}
    many = {r["case"]: r for r in run_bench(binary, *common, "--threads", str(threads))}
    print(f"median of runs; speed-up = 1-thread time / {threads}-thread time (target >= {SCALING_TARGET}x)")
    print(f"{'case':<36} {'1 thread ms':>11} {f'{threads} threads ms':>13} {'speed-up':>8}  "
          f"{'value bits':>10} {'gradient hash':>20}  bitwise")
    unequal, short = [], []
    for name, a in one.items():
        b = many[name]
        speedup = a["median_seconds"] / b["median_seconds"]
        same = a["value_bits"] == b["value_bits"] and a["gradient_hash"] == b["gradient_hash"]
        if not same:
            unequal.append(name)
        if speedup < SCALING_TARGET:
            short.append(name)
        print(f"{name:<36} {a['median_seconds'] * 1e3:>11.3f} {b['median_seconds'] * 1e3:>13.3f} {speedup:>7.2f}x  "
              f"0x{a['value_bits']:08x} {a['gradient_hash']:>20}  {'equal' if same else 'DIFFERENT'}")
        if not same:
            print(f"{'':<36} {threads} threads: value 0x{b['value_bits']:08x}, gradient hash {b['gradient_hash']}")
    if short:
        print(f"speed-up below {SCALING_TARGET}x: " + ", ".join(short))
    if unequal:
        print("results differ across thread counts: " + ", ".join(unequal))
    return 1 if unequal else 0


if __name__ == "__main__":
    sys.exit(main())
