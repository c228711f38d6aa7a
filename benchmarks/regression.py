"""Regression guard: time this working tree's mlhwlib against a reference revision, in one run.

The reference (default: the previous release, commit ``f11ded1``) is exported
with ``git archive`` into a temporary folder (the repository and its
worktrees are not touched) and each case is timed in fresh subprocesses that
import ``mlhwlib`` from one folder or the other, alternating (reference,
current, current, reference, ...) so that a change of load hits both.  Each
subprocess fits once to warm up, then reports the best of ``--fits`` fits;
over ``--rounds`` rounds the medians are compared.  A case whose median is
more than 15 % slower than the reference's (``--threshold``) is reported as a
REGRESSION, and so is any case whose results differ from the reference's
(GMM: lower bound to 1e-8 relative; AdaBoost: identical predictions).

Cases (the benchmark cases of ``bench_gmm.py`` and ``bench_adaboost.py``):

* ``gmm``: GaussianMixture, N = 100 000, d = 8, K = 8, 10 EM iterations from
  given initial parameters (tol = 0);
* ``adaboost-gini``: MultiClassAdaBoost(n_estimators=200, criterion="gini") on
  the make_classification data of bench_adaboost.py (20 000 training rows).

Writes ``mlhwlib/data/results_regression.json``; ``run_all.py`` adds its
table to ``results.md``.  Timings are noisy on a shared machine: the JSON
keeps every round, and the report gives median and min-max.

Usage::

    python benchmarks/regression.py [--reference REV] [--rounds 5] [--fits 2]
                                    [--cases gmm adaboost-gini] [--fail]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT / "mlhwlib" / "data"
PYTHON = sys.executable
REFERENCE = "f11ded1"   # the previous release
THRESHOLD = 0.15

WORKER = r'''
import json, sys, time, warnings
root, case, fits = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, root)
warnings.simplefilter("ignore")
import numpy as np
import mlhwlib
assert mlhwlib.__file__.startswith(root), (mlhwlib.__file__, root)
if case == "gmm":
    from mlhwlib.gmm import GaussianMixture
    rng = np.random.default_rng(0)
    N, d, K = 100_000, 8, 8
    centers = rng.normal(scale=3.0, size=(K, d))
    labels = rng.integers(K, size=N)
    A = rng.normal(size=(K, d, d)) * 0.3 + np.eye(d)
    X = np.empty((N, d))
    for k in range(K):
        idx = labels == k
        X[idx] = centers[k] + rng.normal(size=(int(idx.sum()), d)) @ A[k].T
    w = np.full(K, 1.0 / K)
    m = X[rng.choice(N, size=K, replace=False)].copy()
    C = np.repeat(np.cov(X, rowvar=False, bias=True)[None], K, axis=0)
    run = lambda: GaussianMixture(K, max_iter=10, tol=0.0, reg_covar=1e-6, weights_init=w,
                                  means_init=m, covariances_init=C).fit(X)
    result = lambda g: {"lower_bound": float(g.lower_bound_)}
elif case == "adaboost-gini":
    from sklearn.datasets import make_classification
    from mlhwlib.adaboost import MultiClassAdaBoost
    X, y = make_classification(n_samples=25000, n_features=20, n_informative=10, n_classes=5,
                               n_clusters_per_class=2, random_state=0)
    run = lambda: MultiClassAdaBoost(n_estimators=200, criterion="gini").fit(X[:20000], y[:20000])
    result = lambda g: {"predictions": g.predict(X[20000:]).tolist()}
else:
    raise SystemExit(f"unknown case {case}")
model = run()
best = float("inf")
for _ in range(fits):
    t0 = time.perf_counter()
    model = run()
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"seconds": best, **result(model)}))
'''


def export(rev: str, dest: Path) -> str:
    """``git archive REV mlhwlib`` unpacked into ``dest``; returns the full commit hash."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", rev + "^{commit}"],
                            check=True, capture_output=True, text=True).stdout.strip()
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "mlhwlib"],
                         check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
        tf.extractall(dest, filter="data")
    return commit


def measure(root: Path, case: str, fits: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([PYTHON, "-c", WORKER, str(root), case, str(fits)], check=True,
                         capture_output=True, text=True, env=env, cwd=tempfile.gettempdir())
    return json.loads(out.stdout.strip().splitlines()[-1])


def same_results(case: str, a: dict, b: dict) -> bool:
    if case == "gmm":
        return abs(a["lower_bound"] - b["lower_bound"]) <= 1e-8 * abs(b["lower_bound"])
    return a["predictions"] == b["predictions"]


def summary(ts: list[float]) -> dict:
    return {"median_s": statistics.median(ts), "min_s": min(ts), "max_s": max(ts), "all_s": ts}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", default=REFERENCE, help="git revision (default: %(default)s)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--fits", type=int, default=2, help="timed fits per subprocess (best kept)")
    ap.add_argument("--cases", nargs="+", default=["gmm", "adaboost-gini"])
    ap.add_argument("--threshold", type=float, default=THRESHOLD)
    ap.add_argument("--note", default="", help="recorded with the results (e.g. other jobs ran)")
    ap.add_argument("--out", type=Path, default=DATA / "results_regression.json")
    ap.add_argument("--fail", action="store_true", help="exit with status 1 on a regression")
    args = ap.parse_args(argv)
    cases = []
    with tempfile.TemporaryDirectory(prefix="mlhw-reference-") as tmp:
        commit = export(args.reference, Path(tmp))
        roots = {"reference": Path(tmp), "current": ROOT}
        for case in args.cases:
            times = {"reference": [], "current": []}
            res = {}
            for r in range(args.rounds):
                order = ("reference", "current") if r % 2 == 0 else ("current", "reference")
                for who in order:
                    out = measure(roots[who], case, args.fits)
                    times[who].append(out.pop("seconds"))
                    res[who] = out
                print(f"[regression] {case} round {r + 1}/{args.rounds}: reference "
                      f"{times['reference'][-1]:.3f} s, current {times['current'][-1]:.3f} s",
                      flush=True)
            ref, cur = summary(times["reference"]), summary(times["current"])
            change = cur["median_s"] / ref["median_s"] - 1.0
            equal = same_results(case, res["current"], res["reference"])
            cases.append({"case": case, "reference": ref, "current": cur,
                          "change": change, "equal_results": equal,
                          "regression": bool(change > args.threshold or not equal)})
    report = {"benchmark": "regression", "reference": args.reference,
              "reference_commit": commit, "threshold": args.threshold,
              "rounds": args.rounds, "fits_per_round": args.fits, "note": args.note,
              "load_average_1min_at_end": os.getloadavg()[0], "cases": cases}
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for c in cases:
        flag = "REGRESSION" if c["regression"] else "ok"
        print(f"[regression] {c['case']}: reference median {c['reference']['median_s']:.3f} s "
              f"({c['reference']['min_s']:.3f}-{c['reference']['max_s']:.3f}), current median "
              f"{c['current']['median_s']:.3f} s ({c['current']['min_s']:.3f}-"
              f"{c['current']['max_s']:.3f}), change {100 * c['change']:+.0f} %, results "
              f"{'equal' if c['equal_results'] else 'DIFFER'}: {flag}")
    print(f"written {args.out}")
    if args.fail and any(c["regression"] for c in cases):
        sys.exit(1)
    return report


if __name__ == "__main__":
    main()
