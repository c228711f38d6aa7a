"""SAMME.R beside SAMME on the simulation of Zhu, Zou, Rosset & Hastie (2009).

Data as in ``adaboost_zhu_simulation.py``: ``make_gaussian_quantiles(n_samples=13000,
n_features=10, n_classes=3, random_state=seed)``, the first 3000 points train and
the other 10000 test (Bayes error 0). For every seed and for depth-1 and depth-2
trees (``DecisionTreeClassifier``, ``random_state`` = seed) the script records the
staged test error (and the final training error) of ``ROUNDS`` rounds of

* SAMME = ``MultiClassAdaBoost(estimator=tree)`` (equal to scikit-learn's SAMME);
* SAMME.R = ``MultiClassAdaBoost(estimator=tree, algorithm="SAMME.R")`` (scikit-learn
  1.5's SAMME.R, ``tests/test_samme_r.py``).

It writes
``mlhwlib/data/adaboost_sammer_results.json``, which the chapter reads (section
SAMME.R); the chapter re-runs seed 1 for a few rounds and checks the file.

Usage::

    python tools/experiments/adaboost_sammer_simulation.py
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import make_gaussian_quantiles
from sklearn.tree import DecisionTreeClassifier

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))
from numeric_profile import run_under_reference_profile  # noqa: E402

from mlhwlib.adaboost import MultiClassAdaBoost  # noqa: E402

OUT = ROOT / "mlhwlib" / "data" / "adaboost_sammer_results.json"  # shipped with mlhwlib
SEEDS = [1, 2, 3, 4, 5]
ROUNDS = 400
N_TRAIN = 3000
DEPTHS = [1, 2]
ALGORITHMS = ["SAMME", "SAMME.R"]


def data(seed):
    X, y = make_gaussian_quantiles(n_samples=13000, n_features=10, n_classes=3,
                                   random_state=seed)
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]


def model(algorithm, depth, seed, rounds=ROUNDS):
    return MultiClassAdaBoost(n_estimators=rounds, algorithm=algorithm, random_state=seed,
                              estimator=DecisionTreeClassifier(max_depth=depth))


def main():
    run_under_reference_profile()  # the test reproduces a seed exactly: numpy's AVX-512 kernels off
    start = time.time()
    out = {"description": __doc__.split("\n\n")[0],
           "data": "make_gaussian_quantiles(n_samples=13000, n_features=10, n_classes=3, "
                   "random_state=seed); first 3000 train, last 10000 test",
           "seeds": SEEDS, "rounds": ROUNDS, "depths": DEPTHS, "algorithms": ALGORITHMS,
           "test_error": {}, "train_error_final": {}}
    for depth in DEPTHS:
        for alg in ALGORITHMS:
            key = f"{alg} depth-{depth}"
            for part in ("test_error", "train_error_final"):
                out[part][key] = []
            for seed in SEEDS:
                X, y, X_test, y_test = data(seed)
                clf = model(alg, depth, seed).fit(X, y)
                test = [float(np.mean(p != y_test)) for p in clf.staged_predict(X_test)]
                out["test_error"][key].append(test)
                out["train_error_final"][key].append(float(np.mean(clf.predict(X) != y)))
                print(f"{key:16s} seed {seed}: {len(test)} rounds, test error {test[-1]:.4f}, "
                      f"min {min(test):.4f}", flush=True)
    out["environment"] = {"python": platform.python_version(), "numpy": np.__version__,
                          "scikit-learn": sklearn.__version__,
                          "numeric_profile": "reference (numpy's AVX-512 kernels off)",
                          "NPY_DISABLE_CPU_FEATURES": os.environ.get("NPY_DISABLE_CPU_FEATURES", "")}
    out["seconds"] = round(time.time() - start, 1)
    OUT.write_text(json.dumps(out, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} in {out['seconds']} s")


if __name__ == "__main__":
    main()
