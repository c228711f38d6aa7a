"""Benchmark: mlhwlib's MultiClassAdaBoost (built-in stump) against scikit-learn's AdaBoostClassifier.

Case (issue 9): make_classification(n_samples=25000, n_features=20, n_informative=10,
n_classes=5, n_clusters_per_class=2, random_state=0); the first 20 000 samples train,
the last 5 000 test; 200 rounds of depth-1 stumps.

* scikit-learn: AdaBoostClassifier(DecisionTreeClassifier(max_depth=1), n_estimators=200)
* mlhwlib:      MultiClassAdaBoost(n_estimators=200)                 (weighted-error stump)
* mlhwlib:      MultiClassAdaBoost(n_estimators=200, criterion="gini") (sklearn's split rule)

Times are fit times, the minimum over ``--repeats`` runs (each library run in turn).
Results go to ``mlhwlib/data/results_adaboost.json`` (shipped with the package).

Usage:  python benchmarks/bench_adaboost.py [--repeats 3] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import make_classification
from sklearn.ensemble import AdaBoostClassifier
from sklearn.tree import DecisionTreeClassifier

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from mlhwlib.adaboost import MultiClassAdaBoost  # noqa: E402

N_ROUNDS = 200
MAX_ACCURACY_GAP = 0.5  # points


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def data():
    X, y = make_classification(n_samples=25000, n_features=20, n_informative=10, n_classes=5,
                               n_clusters_per_class=2, random_state=0)
    return X[:20000], y[:20000], X[20000:], y[20000:]


def timed_fit(make, X, y):
    start = time.perf_counter()
    model = make().fit(X, y)
    return time.perf_counter() - start, model


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "mlhwlib" / "data" / "results_adaboost.json")
    args = parser.parse_args(argv)

    Xtr, ytr, Xte, yte = data()
    contenders = {
        "sklearn": lambda: AdaBoostClassifier(DecisionTreeClassifier(max_depth=1),
                                              n_estimators=N_ROUNDS),
        "mlhwlib-error": lambda: MultiClassAdaBoost(n_estimators=N_ROUNDS),
        "mlhwlib-gini": lambda: MultiClassAdaBoost(n_estimators=N_ROUNDS, criterion="gini"),
    }
    times = {name: [] for name in contenders}
    models = {}
    for rep in range(args.repeats):
        for name, make in contenders.items():
            print(f"[adaboost] repeat {rep + 1}/{args.repeats}: fitting {name} ...",
                  end=" ", flush=True)
            seconds, model = timed_fit(make, Xtr, ytr)
            times[name].append(seconds)
            models[name] = model
            print(f"{seconds:.2f} s", flush=True)

    pred = {name: m.predict(Xte) for name, m in models.items()}
    acc = {name: float(np.mean(p == yte)) for name, p in pred.items()}
    best = {name: min(ts) for name, ts in times.items()}
    cases = []
    for name, label in (("mlhwlib-error", 'MultiClassAdaBoost(n_estimators=200)'),
                        ("mlhwlib-gini", 'MultiClassAdaBoost(n_estimators=200, criterion="gini")')):
        gap = 100.0 * (acc["sklearn"] - acc[name])
        equal_predictions = bool(np.array_equal(pred[name], pred["sklearn"]))
        cases.append({
            "case": f"AdaBoost, depth-1 stumps, N=20000, d=20, K=5, {N_ROUNDS} rounds: {label}",
            "mlhwlib_call": label,
            "sklearn_time_s": best["sklearn"],
            "mlhwlib_time_s": best[name],
            "ratio": best["sklearn"] / best[name],
            "sklearn_accuracy": acc["sklearn"],
            "mlhwlib_accuracy": acc[name],
            "accuracy_gap_points": gap,
            "equal_predictions": equal_predictions,
            "equal_results": bool(equal_predictions or gap <= MAX_ACCURACY_GAP),
            "all_times_s": {"sklearn": times["sklearn"], "mlhwlib": times[name]},
        })
    result = {
        "benchmark": "adaboost",
        "repeats": args.repeats,
        "timing": "fit time, minimum over repeats",
        "equal_results_rule": (f"test predictions identical, or test accuracy at most "
                               f"{MAX_ACCURACY_GAP} points below scikit-learn's"),
        "machine": {
            "cpu": cpu_name(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "platform": platform.platform(),
        },
        "cases": cases,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    print(f"\n{'case':<58} {'sklearn s':>9} {'mlhwlib s':>9} {'ratio':>6} "
          f"{'acc sk':>7} {'acc ml':>7} {'equal':>5}")
    for c in cases:
        print(f"{c['mlhwlib_call']:<58} {c['sklearn_time_s']:9.2f} {c['mlhwlib_time_s']:9.2f} "
              f"{c['ratio']:6.2f} {c['sklearn_accuracy']:7.4f} {c['mlhwlib_accuracy']:7.4f} "
              f"{'yes' if c['equal_results'] else 'no':>5}")
    print(f"written {args.out}")
    return result


if __name__ == "__main__":
    main()
