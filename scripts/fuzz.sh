#!/usr/bin/env bash
# Builds the libFuzzer harness for the drift CLI's CSV reader (Fuzz/CSVReader) with ASan and
# runs it on a copy of the committed seed corpus.
# Usage: scripts/fuzz.sh [RUNS (default 10000000)] [extra libFuzzer flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10000000}"; shift || true
out=.build-fuzz
mkdir -p "$out/corpus"
cp -n Fuzz/CSVReader/corpus/* "$out/corpus/" 2>/dev/null || true
swiftc -O -sanitize=fuzzer,address -parse-as-library Sources/LossKitCLI/IO/*.swift Fuzz/CSVReader/main.swift -o "$out/fuzz-csv"
"$out/fuzz-csv" -runs="$runs" -max_len=4096 -print_final_stats=1 "$@" "$out/corpus"
