#!/usr/bin/env python3
"""Extract LossKit's shipped datasets from scikit-learn's bundled files.

Reads the files scikit-learn ships in its wheel (``sklearn/datasets/data/``), writes compact
``.npy`` arrays and one manifest into ``Sources/LossKitDatasets/Resources/``:

    <name>.features.npy  rows x columns  (uint8 for digits, float32 otherwise)
    <name>.target.npy    rows            (uint8 class labels; float32 for diabetes)
    <name>.split.npy     rows            uint8, 0 = train, 1 = test
    datasets.json        feature/target names, shapes, provenance, licence, checksums

Splits: 25 % test, ``sklearn.model_selection.train_test_split(test_size=0.25,
random_state=0)``, stratified by class for the classification sets (digits, breast cancer,
wine, iris), unstratified for diabetes. They are fixed: the masks are committed, Swift never
re-draws them.

Checksums in the manifest: ``fnv1a64`` of each file's data payload (the bytes after the
``.npy`` header, i.e. the C-order little-endian scalars), which the Swift tests recompute, and
``sha256`` of each whole ``.npy`` file and of each source file, for provenance.

Run with the drift venv (scikit-learn installed):
    /work/venv-drift/bin/python scripts/extract_datasets.py
The output is deterministic: running it twice gives identical files.
"""
import gzip
import hashlib
import json
import os
import sys

import numpy as np
import sklearn
from sklearn import datasets as skd
from sklearn.model_selection import train_test_split

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Sources", "LossKitDatasets", "Resources")
DATA = os.path.join(os.path.dirname(skd.__file__), "data")
SEED = 0
TEST_SIZE = 0.25

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3


def fnv1a64(data: bytes) -> str:
    h = FNV_OFFSET
    for b in data:
        h ^= b
        h = (h * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read_text(name: str) -> str:
    path = os.path.join(DATA, name)
    if name.endswith(".gz"):
        with gzip.open(path, "rt") as f:
            return f.read()
    with open(path) as f:
        return f.read()


def header_csv(name: str):
    """sklearn's own format: first line 'rows,cols,class names...', then rows ending in the label."""
    lines = read_text(name).strip().splitlines()
    head = lines[0].split(",")
    rows, cols = int(head[0]), int(head[1])
    classes = head[2:]
    body = np.array([[float(v) for v in line.split(",")] for line in lines[1:]], dtype=np.float64)
    assert body.shape == (rows, cols + 1), (name, body.shape)
    return body[:, :cols], body[:, cols].astype(np.int64), classes


def write_npy(name: str, array: np.ndarray) -> dict:
    path = os.path.join(OUT, name)
    array = np.ascontiguousarray(array)
    np.save(path, array, allow_pickle=False)
    with open(path, "rb") as f:
        raw = f.read()
    payload = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes(order="C")
    assert raw.endswith(payload)
    return {"file": name, "dtype": array.dtype.str, "shape": list(array.shape),
            "bytes": len(raw), "fnv1a64": fnv1a64(payload), "sha256": sha256(path)}


def split_mask(n: int, stratify) -> np.ndarray:
    index = np.arange(n)
    _, test = train_test_split(index, test_size=TEST_SIZE, random_state=SEED, stratify=stratify)
    mask = np.zeros(n, dtype=np.uint8)
    mask[test] = 1
    return mask


def main() -> int:
    os.makedirs(OUT, exist_ok=True)
    entries = []

    def add(name, title, features, feature_names, target, target_names, sources, loader, stratify,
            description):
        # Cross-check our parse of the raw files against scikit-learn's own loader.
        bunch = loader()
        assert np.array_equal(np.asarray(bunch.data, dtype=np.float64), features.astype(np.float64)), name
        assert np.array_equal(np.asarray(bunch.target, dtype=np.float64), target.astype(np.float64)), name
        assert list(bunch.feature_names) == list(feature_names), name
        if target_names is not None:
            assert [str(t) for t in bunch.target_names] == list(target_names), name
        n = features.shape[0]
        if name == "digits":
            feats = features.astype(np.uint8)
            assert np.array_equal(feats.astype(np.float64), features)
        else:
            feats = features.astype(np.float32)
        if target_names is not None:
            tgt = target.astype(np.uint8)
        else:
            tgt = target.astype(np.float32)
            assert np.array_equal(tgt.astype(np.float64), target)
        split = split_mask(n, target if stratify else None)
        entry = {
            "name": name, "title": title, "rows": n, "columns": int(features.shape[1]),
            "feature_names": list(feature_names),
            "target_names": list(target_names) if target_names is not None else None,
            "task": "classification" if target_names is not None else "regression",
            "description": description,
            "features": write_npy(f"{name}.features.npy", feats),
            "target": write_npy(f"{name}.target.npy", tgt),
            "split": write_npy(f"{name}.split.npy", split),
            "split_rule": (f"train_test_split(test_size={TEST_SIZE}, random_state={SEED}"
                           + (", stratify=target)" if stratify else ")")),
            "test_rows": int(split.sum()),
            "first_row": [float(v) for v in feats[0]],
            "feature_sums": [float(v) for v in feats.astype(np.float64).sum(axis=0)],
            "target_sum": float(tgt.astype(np.float64).sum()),
            "sources": [{"file": f"sklearn/datasets/data/{s}", "sha256": sha256(os.path.join(DATA, s))}
                        for s in sources],
        }
        entries.append(entry)

    # Digits: 1797 x 64 pixel counts 0..16, label in the last column, no header line.
    raw = np.loadtxt(os.path.join(DATA, "digits.csv.gz"), delimiter=",")
    add("digits", "Optical recognition of handwritten digits (8x8)", raw[:, :-1],
        [f"pixel_{r}_{c}" for r in range(8) for c in range(8)], raw[:, -1].astype(np.int64),
        [str(d) for d in range(10)], ["digits.csv.gz"], skd.load_digits, True,
        "1797 images of handwritten digits, 8x8 pixels, each pixel the count (0-16) of set "
        "pixels in a 4x4 block of the original 32x32 bitmap.")

    x, y, classes = header_csv("breast_cancer.csv")
    names = list(skd.load_breast_cancer().feature_names)
    add("breast_cancer", "Breast cancer Wisconsin (diagnostic)", x, names, y, classes,
        ["breast_cancer.csv"], skd.load_breast_cancer, True,
        "569 fine-needle aspirates of breast masses, 30 features (mean, standard error and "
        "worst of 10 cell-nucleus measurements); target 0 = malignant, 1 = benign.")

    x = np.loadtxt(os.path.join(DATA, "diabetes_data_raw.csv.gz"))
    y = np.loadtxt(os.path.join(DATA, "diabetes_target.csv.gz"))
    add("diabetes", "Diabetes (Efron et al. 2004), unscaled", x,
        ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"], y, None,
        ["diabetes_data_raw.csv.gz", "diabetes_target.csv.gz"],
        lambda: skd.load_diabetes(scaled=False), False,
        "442 diabetes patients: age (years), sex (1/2), body-mass index, mean blood pressure and "
        "six blood serum measurements (s1 tc, s2 ldl, s3 hdl, s4 tch, s5 ltg, s6 glu), "
        "unscaled; target a quantitative measure of disease progression one year after baseline.")

    x, y, classes = header_csv("wine_data.csv")
    add("wine", "Wine recognition", x, list(skd.load_wine().feature_names), y, classes,
        ["wine_data.csv"], skd.load_wine, True,
        "178 wines from three cultivars in one region of Italy, 13 chemical measurements.")

    x, y, classes = header_csv("iris.csv")
    add("iris", "Iris plants", x, list(skd.load_iris().feature_names), y, classes,
        ["iris.csv"], skd.load_iris, True,
        "150 iris flowers of three species, sepal and petal length and width in cm.")

    manifest = {
        "losskit-datasets": 1,
        "generator": "scripts/extract_datasets.py",
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "licence": ("Data from the UCI Machine Learning Repository as bundled with scikit-learn "
                    "(BSD-3-Clause); UCI datasets are licensed CC BY 4.0. See DATA.md."),
        "datasets": entries,
    }
    with open(os.path.join(OUT, "datasets.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=False)
        f.write("\n")
    total = sum(e[k]["bytes"] for e in entries for k in ("features", "target", "split"))
    print(f"wrote {len(entries)} datasets, {total} bytes of .npy to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
