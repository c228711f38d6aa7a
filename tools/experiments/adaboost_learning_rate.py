"""The learning rate of SAMME on the simulation of Zhu et al.: steps shorter and longer
than the line search.

Data: as in ``adaboost_zhu_simulation.py``, ``make_gaussian_quantiles(n_samples=13000,
n_features=10, n_classes=3, random_state=seed)``; the first 3000 points train (the
chapter's training set), points 3000-5999 are a validation set and the last 7000 a
test set. For every weak learner (error stump, Gini stump, depth-2 tree), every
learning rate nu in ``RATES`` (nu = 1 is the exact line search of the derivation,
nu = K = 3 the step of the RNN homework report) and every seed, the script runs
``MultiClassAdaBoost(learning_rate=nu)`` for ``ROUNDS[learner]`` rounds and records,
on a grid of rounds (``grid``), the numbers of misclassified validation and test
points and the training loss ln(L/m); the weighted errors eps_t and SAMME's steps
beta_t = K/(K-1) alpha_t (times nu) of seed 1 on the same grid, and their medians
over all rounds for every seed. If a run stops early (eps_t = 0 or
eps_t >= (K-1)/K), its ensemble stays as it is: later grid points repeat the last
values.

Model selection: for every learner, nu and seed the round T with the fewest
validation errors (the first such round) over every round 1..ROUNDS, and the test
error there (``best``). The chapter chooses nu by the validation error at that T.

Usage::

    python tools/experiments/adaboost_learning_rate.py           # writes mlhwlib/data/adaboost_learning_rate.json
    python tools/experiments/adaboost_learning_rate.py --quick   # QUICK_ROUNDS rounds, seed 1, JSON to stdout

Deterministic: the built-in stumps are, and the trees are seeded with the data seed
(``random_state=seed``, one draw per round as in scikit-learn); the first t rounds do
not depend on the number of rounds, so ``--quick`` (the first ``QUICK_ROUNDS`` rounds of
seed 1, on the file's grid) reproduces the file's grid points up to ``QUICK_ROUNDS`` (``tests/test_adaboost_learning_rate_experiment.py`` checks it).
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
from scipy.special import logsumexp
from sklearn.datasets import make_gaussian_quantiles
from sklearn.tree import DecisionTreeClassifier

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))
from numeric_profile import run_under_reference_profile  # noqa: E402

from mlhwlib.adaboost import MultiClassAdaBoost  # noqa: E402

OUT = ROOT / "mlhwlib" / "data" / "adaboost_learning_rate.json"  # shipped with mlhwlib
K = 3
SEEDS = [1, 2, 3, 4, 5]
RATES = [0.1, 0.25, 0.5, 1.0, 1.5, 2.0, float(K)]
N_TRAIN, N_VAL = 3000, 3000
ROUNDS = {"error stump": 3000, "Gini stump": 3000, "depth-2 tree": 800}
GRID_POINTS = 150
QUICK_ROUNDS = 150

LEARNERS = {
    "error stump": dict(criterion="error"),
    "Gini stump": dict(criterion="gini"),
    "depth-2 tree": dict(estimator=DecisionTreeClassifier(max_depth=2)),
}


def data(seed):
    X, y = make_gaussian_quantiles(n_samples=13000, n_features=10, n_classes=K,
                                   random_state=seed)
    a, b = N_TRAIN, N_TRAIN + N_VAL
    return (X[:a], y[:a]), (X[a:b], y[a:b]), (X[b:], y[b:])


def grid(rounds):
    """Rounds 1..rounds, geometrically spaced, rounds itself included."""
    g = np.unique(np.round(np.geomspace(1, rounds, GRID_POINTS)).astype(int))
    return [int(t) for t in g]


def model(name, rate, seed, rounds):
    kw = dict(LEARNERS[name])
    if "estimator" in kw:
        kw["random_state"] = seed
    return MultiClassAdaBoost(n_estimators=rounds, learning_rate=rate, **kw)


def run(name, rate, seed, rounds):
    """One configuration: staged counts of errors and the loss, every round."""
    (X, y), (Xv, yv), (Xt, yt) = data(seed)
    m = model(name, rate, seed, rounds).fit(X, y)
    used = len(m.estimators_)
    parts = [(X, y), (Xv, yv), (Xt, yt)]
    wrong = {"train": [], "val": [], "test": []}
    log_loss = []
    for (Xp, yp), key in zip(parts, wrong):
        for g in m.staged_decision_function(Xp):
            wrong[key].append(int(np.sum(g.argmax(1) != yp)))
            if key == "train":       # s_i = (sum_k g^k - g^{y_i}) / (K-1) - g^{y_i}
                own = g[np.arange(len(yp)), yp]
                s = (g.sum(1) - own) / (K - 1) - own
                log_loss.append(float(logsumexp(s) - np.log(len(yp))))
    pad = rounds - used                 # a run that stopped keeps its ensemble
    for key in wrong:
        wrong[key] += [wrong[key][-1]] * pad
    log_loss += [log_loss[-1]] * pad
    eps = m.estimator_errors_.tolist()
    beta = (K / (K - 1) * m.estimator_weights_).tolist()
    return {"used": used, "wrong": wrong, "log_loss": log_loss, "eps": eps, "beta": beta}


def on_grid(values, g):
    return [values[t - 1] for t in g]


def record(name, rate, seed, rounds, g):
    r = run(name, rate, seed, rounds)
    val = np.array(r["wrong"]["val"])
    t_best = int(np.argmin(val)) + 1
    return {
        "rounds_used": r["used"],
        "val_wrong": on_grid(r["wrong"]["val"], g),
        "test_wrong": on_grid(r["wrong"]["test"], g),
        "train_wrong": on_grid(r["wrong"]["train"], g),
        "log_loss": [round(v, 6) for v in on_grid(r["log_loss"], g)],
        "eps_median": float(np.median(r["eps"])),
        "beta_median": float(np.median(r["beta"])),
        "best_round": t_best,
        "best_val_wrong": int(val[t_best - 1]),
        "best_test_wrong": int(r["wrong"]["test"][t_best - 1]),
        "eps": [round(v, 8) for v in on_grid(r["eps"], [t for t in g if t <= r["used"]])],
        "beta": [round(v, 8) for v in on_grid(r["beta"], [t for t in g if t <= r["used"]])],
    }


def key(rate):
    return f"{rate:g}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_ROUNDS} rounds of seed 1 only; JSON to stdout")
    args = parser.parse_args(argv)
    # its tests compare stump choices exactly: numpy's AVX-512 kernels off (see numeric_profile)
    run_under_reference_profile()
    start, cpu = time.time(), time.process_time()
    seeds = SEEDS[:1] if args.quick else SEEDS
    rounds = {n: QUICK_ROUNDS for n in LEARNERS} if args.quick else dict(ROUNDS)
    out = {
        "description": __doc__.split("\n\n")[0],
        "data": "make_gaussian_quantiles(n_samples=13000, n_features=10, n_classes=3, "
                "random_state=seed); points 0-2999 train, 3000-5999 validation, "
                "6000-12999 test",
        "n_train": N_TRAIN, "n_val": N_VAL, "n_test": 13000 - N_TRAIN - N_VAL,
        "K": K, "seeds": seeds, "rates": RATES, "learners": list(LEARNERS),
        "rounds": rounds, "quick": args.quick,
        # --quick: the full run's grid points up to QUICK_ROUNDS, comparable with the file
        "grid": {n: [t for t in grid(ROUNDS[n]) if t <= rounds[n]] for n in LEARNERS},
        "runs": {},
    }
    for name in LEARNERS:
        g = out["grid"][name]
        out["runs"][name] = {}
        for rate in RATES:
            recs = [record(name, rate, seed, rounds[name], g) for seed in seeds]
            # per seed: lists; eps/beta curves of the first seed only
            entry = {f: [r[f] for r in recs] for f in recs[0] if f not in ("eps", "beta")}
            entry["eps_seed1"], entry["beta_seed1"] = recs[0]["eps"], recs[0]["beta"]
            out["runs"][name][key(rate)] = entry
            n_test = out["n_test"]
            print(f"{name:12s} nu {rate:<4g}: best round {entry['best_round']}, test error "
                  f"there {[round(v / n_test, 3) for v in entry['best_test_wrong']]}, "
                  f"median eps {np.round(entry['eps_median'], 3).tolist()} "
                  f"({time.time() - start:.0f} s)", file=sys.stderr, flush=True)
    out["environment"] = {"python": platform.python_version(), "numpy": np.__version__,
                          "scikit-learn": sklearn.__version__,
                          "numeric_profile": "reference (numpy's AVX-512 kernels off)",
                          "NPY_DISABLE_CPU_FEATURES": os.environ.get("NPY_DISABLE_CPU_FEATURES", "")}
    seconds = round(time.time() - start, 1)
    cpu_seconds = round(time.process_time() - cpu, 1)
    if args.quick:
        print(json.dumps(out))
    else:
        out["seconds"], out["cpu_seconds"] = seconds, cpu_seconds
        OUT.write_text(json.dumps(out, separators=(",", ":")) + "\n", encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)}", file=sys.stderr)
    print(f"wall time {seconds} s (CPU time {cpu_seconds} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
