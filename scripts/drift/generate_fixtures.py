"""Reference values for LossKitDrift's bin metrics, computed independently with NumPy/SciPy from
DRIFT.md's definitions. Run: /work/venv-drift/bin/python scripts/drift/generate_fixtures.py
Writes Tests/LossKitDriftTests/Fixtures/bin_metrics.json (small)."""
import json, pathlib
import numpy as np
from scipy.spatial.distance import jensenshannon

rng = np.random.default_rng(11)
OUT = pathlib.Path(__file__).resolve().parents[2] / "Tests/LossKitDriftTests/Fixtures/bin_metrics.json"

def smoothed(c, a):
    c = np.asarray(c, float)
    return (c + a) / (c.sum() + a * len(c))

def metrics(r, c):
    p, q = smoothed(r, 0.5), smoothed(c, 0.5)
    pu, qu = smoothed(r, 0.0), smoothed(c, 0.0)
    pe = np.where(np.asarray(r) == 0, 1e-4, pu); qe = np.where(np.asarray(c) == 0, 1e-4, qu)
    return {
        "psi": float(np.sum((q - p) * np.log(q / p))),
        "psi_contributions": ((q - p) * np.log(q / p)).tolist(),
        "psi_eps": float(np.sum((qe - pe) * np.log(qe / pe))),
        "kl": float(np.sum(p * np.log(p / q))),
        "kl_current": float(np.sum(q * np.log(q / p))),
        "js": float(jensenshannon(pu, qu, base=2)),
        "hellinger": float(np.sqrt(max(0.0, 1 - np.sum(np.sqrt(pu * qu))))),
    }

cases = []
def case(name, ref, cur, bins=10):
    ref = np.asarray(ref, float); cur = np.asarray(cur, float)
    fin = np.sort(ref[np.isfinite(ref)])
    e = np.unique(np.quantile(fin, np.arange(1, bins) / bins))  # linear interpolation, dedup
    def count(x):
        miss = int(np.isnan(x).sum()); v = x[~np.isnan(x)]
        idx = np.searchsorted(e, v, side="left")  # right-closed bins
        return np.bincount(idx, minlength=len(e) + 1).tolist(), miss
    rc, rm = count(ref); cc, cm = count(cur)
    r, c = list(rc), list(cc)
    if rm or cm: r.append(rm); c.append(cm)
    cases.append({"name": name, "reference": [repr(float(v)) for v in ref], "current": [repr(float(v)) for v in cur], "bins": bins,
                  "edges": e.tolist(), "reference_counts": r, "current_counts": c, **metrics(r, c)})

case("normal", rng.normal(0, 1, 300), rng.normal(0, 1, 250))
case("shifted", rng.normal(0, 1, 300), rng.normal(0.7, 1.3, 200))
case("heavy_tailed", rng.standard_t(1.5, 300), rng.standard_t(1.5, 300) * 1.5)
case("ties", rng.integers(0, 5, 200).astype(float), rng.integers(0, 7, 150).astype(float))
case("missing", np.where(rng.random(200) < 0.1, np.nan, rng.normal(size=200)),
     np.where(rng.random(100) < 0.3, np.nan, rng.normal(size=100)))
case("tiny", [1.0, 2.0, 2.5], [3.0, -1.0])
case("infinities", np.r_[rng.normal(size=50), np.inf, -np.inf], np.r_[rng.normal(size=40), np.inf, np.inf])
json.dump({"generator": "scripts/drift/generate_fixtures.py", "numpy": np.__version__, "cases": cases},
          open(OUT, "w"), indent=0)
print(OUT, OUT.stat().st_size)
