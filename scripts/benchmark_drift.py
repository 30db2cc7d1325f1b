#!/usr/bin/env python3
"""Times `losskit drift A B` against evidently's DataDriftPreset (psi) on the same CSV files.

Issue 11 §6: two CSV files of 1M rows x 20 numeric columns each (seeded, written outside the
repository), one-shot drift under 5 s in a release build and at least 20x faster than evidently
0.7's DataDriftPreset with the psi stattest, its pandas.read_csv included, side by side in one
run. Also measures the peak RSS of `losskit drift count` at 1M and 4M rows (/usr/bin/time -v) to
show that count's memory does not grow with the rows.

Usage (from the repository root, after `swift build -c release --product losskit`):
    /work/venv-drift/bin/python scripts/benchmark_drift.py [--rows 1000000] [--dir /tmp/losskit-drift-bench]
        [--binary .build/release/losskit] [--repeat 3] [--skip-evidently] [--skip-rss]

The files are written by pandas' `to_csv` with its default float format (shortest round-trip
repr, 16-17 significant digits), as a pandas user would produce them. The current file shifts
the mean of 5 of the 20 columns by 0.3 standard deviations, so both tools find drift there.
evidently 0.7.x needs pandas < 3 (it imports pandas.core.dtypes.common.infer_dtype_from_object);
put a pandas 2.x on PYTHONPATH if the environment has pandas 3.
"""

import argparse
import os
import re
import subprocess
import sys
import time

import numpy as np
import pandas as pd

COLUMNS = 20
SHIFTED = 5


def make_files(directory, rows, seed=11):
    os.makedirs(directory, exist_ok=True)
    names = [f"f{i}" for i in range(COLUMNS)]
    paths = {}
    for side, offset in (("reference", 0), ("current", 1)):
        path = os.path.join(directory, f"{side}_{rows}.csv")
        paths[side] = path
        if os.path.exists(path):
            continue
        rng = np.random.default_rng(seed + offset)
        data = rng.normal(size=(rows, COLUMNS))
        if side == "current":
            data[:, :SHIFTED] += 0.3
        pd.DataFrame(data, columns=names).to_csv(path, index=False)
    return paths


def time_losskit(binary, reference, current, repeat):
    times = []
    status = None
    for _ in range(repeat):
        start = time.perf_counter()
        run = subprocess.run([binary, "drift", reference, current, "--json"], capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        status = run.returncode
        if status not in (0, 1):
            sys.exit(f"losskit drift failed ({status}): {run.stderr.strip()}")
    return min(times), times, status, run.stdout


def time_evidently(reference, current, repeat):
    from evidently import Report
    from evidently.presets import DataDriftPreset

    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        ref = pd.read_csv(reference)
        cur = pd.read_csv(current)
        report = Report([DataDriftPreset(method="psi")])
        result = report.run(reference_data=ref, current_data=cur)
        result.dict()  # make sure every metric is computed
        times.append(time.perf_counter() - start)
    return min(times), times, result


def peak_rss_kib(command):
    run = subprocess.run(["/usr/bin/time", "-v"] + command, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {run.stderr.strip()}")
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr)
    seconds = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", run.stderr)
    return int(match.group(1)), seconds.group(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dir", default="/tmp/losskit-drift-bench")
    parser.add_argument("--binary", default=".build/release/losskit")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--skip-rss", action="store_true")
    args = parser.parse_args()

    paths = make_files(args.dir, args.rows)
    size = sum(os.path.getsize(p) for p in paths.values()) / 2**20
    print(f"files: {paths['reference']}, {paths['current']} ({args.rows} rows x {COLUMNS} columns, {size:.0f} MiB together)")
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f}")

    best, runs, status, _ = time_losskit(args.binary, paths["reference"], paths["current"], args.repeat)
    print(f"losskit drift: {best:.3f} s best of {len(runs)} ({', '.join(f'{t:.3f}' for t in runs)}), exit {status}")
    if not args.skip_evidently:
        ebest, eruns, _ = time_evidently(paths["reference"], paths["current"], args.repeat)
        print(f"evidently {__import__('evidently').__version__} DataDriftPreset(psi) incl. pandas {pd.__version__} read_csv: "
              f"{ebest:.3f} s best of {len(eruns)} ({', '.join(f'{t:.3f}' for t in eruns)})")
        print(f"speed-up: {ebest / best:.1f}x (target >= 20x), losskit under 5 s: {best < 5}")

    if not args.skip_rss:
        profile = os.path.join(args.dir, "reference.profile.json")
        subprocess.run([args.binary, "drift", "fit", paths["reference"], "-o", profile], check=True)
        big = make_files(args.dir, 4 * args.rows)["current"]
        for rows, path in ((args.rows, paths["current"]), (4 * args.rows, big)):
            counts = os.path.join(args.dir, f"part_{rows}.counts.json")
            rss, wall = peak_rss_kib([args.binary, "drift", "count", path, "--profile", profile, "-o", counts])
            print(f"count {rows} rows: peak RSS {rss / 1024:.1f} MiB, wall {wall}")


if __name__ == "__main__":
    main()
