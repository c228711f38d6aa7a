"""The simulation of Zhu, Zou, Rosset & Hastie (2009), as in scikit-learn's
multi-class AdaBoost example: SAMME against AdaBoost.M1 with four weak learners.

Data: ``make_gaussian_quantiles(n_samples=13000, n_features=10, n_classes=3,
random_state=seed)``: ten standard normal features, the classes are the three
shells of equal probability of ``||x||^2`` (a chi-square with 10 degrees of
freedom), so the Bayes error is 0. The first 3000 points train, the other
10000 test. For every seed and weak learner the script records the test error
after each of ``ROUNDS`` rounds of

* SAMME = :class:`mlhwlib.adaboost.MultiClassAdaBoost` (the chapter's algorithm);
* AdaBoost.M1 (Freund & Schapire): step ``ln((1 - eps) / eps)``, stop as soon as
  ``eps >= 1/2`` (so it cannot start when the first learner has ``eps > 1/2``). Freund
  & Schapire abort at ``eps > 1/2``; at ``eps = 1/2`` the step is 0, so the ensembles agree.

For the error stump it also runs the shrinkage experiment (ESL §10.12):
``learning_rate`` 1, 0.5 and 0.1 for ``SHRINK_ROUNDS`` rounds. For seed 1 it also checks that ``MultiClassAdaBoost(estimator=tree)`` has the
same staged test errors as scikit-learn's ``AdaBoostClassifier(estimator=tree)``.

Usage::

    python tools/experiments/adaboost_zhu_simulation.py   # writes mlhwlib/data/adaboost_zhu_results.json

``tests/test_adaboost.py`` re-runs one configuration and compares with the file, and
tests :func:`adaboost_m1` against Freund & Schapire's algorithm written out.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
from sklearn.base import clone
from sklearn.datasets import make_gaussian_quantiles
from sklearn.ensemble import AdaBoostClassifier
from sklearn.tree import DecisionTreeClassifier

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from mlhwlib.adaboost import MultiClassAdaBoost  # noqa: E402

OUT = ROOT / "mlhwlib" / "data" / "adaboost_zhu_results.json"  # shipped with mlhwlib
SEEDS = [1, 2, 3, 4, 5]
ROUNDS = 400
N_TRAIN = 3000
RATES = [1.0, 0.5, 0.1]
SHRINK_ROUNDS = 1000

# name -> keyword arguments of MultiClassAdaBoost (a tree gets random_state = seed)
LEARNERS = {
    "error stump": dict(criterion="error"),
    "Gini stump": dict(criterion="gini"),
    "depth-2 tree": dict(estimator=DecisionTreeClassifier(max_depth=2)),
    "8-leaf tree": dict(estimator=DecisionTreeClassifier(max_leaf_nodes=8)),
}


def data(seed):
    X, y = make_gaussian_quantiles(n_samples=13000, n_features=10, n_classes=3,
                                   random_state=seed)
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]


def samme(name, seed):
    kw = dict(LEARNERS[name])
    if "estimator" in kw:
        kw["random_state"] = seed
    return MultiClassAdaBoost(n_estimators=ROUNDS, **kw)


def staged_errors(model, X, y):
    return [float(np.mean(p != y)) for p in model.staged_predict(X)]


def adaboost_m1(first, base, seed, X, y, X_test, y_test):
    """AdaBoost.M1; ``first`` is SAMME's fitted model (round 1 is the same for both).

    Returns the staged test errors (empty if M1 cannot start) and the rounds used.
    """
    eps1 = float(first.estimator_errors_[0])
    if eps1 >= 0.5:
        return [], 0
    rng = np.random.RandomState(seed)
    n, classes = len(y), np.unique(y)
    w = np.full(n, 1.0 / n)
    scores = np.zeros((len(y_test), len(classes)))
    errors = []
    for _ in range(ROUNDS):
        learner = clone(base).set_params(random_state=rng.randint(np.iinfo(np.int32).max))
        learner.fit(X, y, sample_weight=w)
        wrong = learner.predict(X) != y
        eps = float(np.average(wrong, weights=w))
        if eps >= 0.5 or eps <= 0.0:
            break
        a = np.log((1.0 - eps) / eps)
        scores[np.arange(len(y_test)), np.searchsorted(classes, learner.predict(X_test))] += a
        errors.append(float(np.mean(classes[scores.argmax(1)] != y_test)))
        w = w * np.exp(a * wrong)
        w /= w.sum()
    return errors, len(errors)


def main():
    start = time.time()
    out = {
        "description": __doc__.split("\n\n")[0],
        "data": "make_gaussian_quantiles(n_samples=13000, n_features=10, n_classes=3, "
                "random_state=seed); first 3000 train, last 10000 test",
        "seeds": SEEDS, "rounds": ROUNDS,
        "learners": list(LEARNERS),
        "samme_curve_seed1": {}, "m1_curve_seed1": {},
        "samme_final": {}, "samme_best": {}, "eps1": {}, "m1_rounds": {}, "m1_final": {},
        "sklearn_staged_equal_seed1": {},
    }
    for name in LEARNERS:
        for key in ("samme_final", "samme_best", "eps1", "m1_rounds", "m1_final"):
            out[key][name] = []
        for seed in SEEDS:
            X, y, X_test, y_test = data(seed)
            model = samme(name, seed).fit(X, y)
            curve = staged_errors(model, X_test, y_test)
            base = LEARNERS[name].get("estimator")
            if base is not None:
                m1_curve, m1_rounds = adaboost_m1(model, base, seed, X, y, X_test, y_test)
            else:  # the built-in stumps are deterministic; round 1 is SAMME's round 1
                m1_curve, m1_rounds = [], 0
                assert model.estimator_errors_[0] >= 0.5, "M1 with a stump would start"
            out["samme_final"][name].append(curve[-1])
            out["samme_best"][name].append(min(curve))
            out["eps1"][name].append(float(model.estimator_errors_[0]))
            out["m1_rounds"][name].append(m1_rounds)
            out["m1_final"][name].append(m1_curve[-1] if m1_curve else None)
            if seed == 1:
                out["samme_curve_seed1"][name] = curve
                out["m1_curve_seed1"][name] = m1_curve
                if base is not None:
                    sk = AdaBoostClassifier(base, n_estimators=ROUNDS, random_state=seed)
                    sk_curve = staged_errors(sk.fit(X, y), X_test, y_test)
                    out["sklearn_staged_equal_seed1"][name] = sk_curve == curve
            print(f"{name:13s} seed {seed}: eps1 {model.estimator_errors_[0]:.3f}, "
                  f"SAMME final {curve[-1]:.4f}, M1 rounds {m1_rounds}", flush=True)
    out["shrinkage"] = {"rates": RATES, "rounds": SHRINK_ROUNDS, "final": {}, "best": {},
                        "curve_seed1": {}}
    for rate in RATES:
        key = f"{rate:g}"
        out["shrinkage"]["final"][key], out["shrinkage"]["best"][key] = [], []
        for seed in SEEDS:
            X, y, X_test, y_test = data(seed)
            model = MultiClassAdaBoost(n_estimators=SHRINK_ROUNDS, learning_rate=rate).fit(X, y)
            curve = staged_errors(model, X_test, y_test)
            out["shrinkage"]["final"][key].append(curve[-1])
            out["shrinkage"]["best"][key].append(min(curve))
            if seed == 1:
                out["shrinkage"]["curve_seed1"][key] = curve
            print(f"shrinkage {rate:g} seed {seed}: rounds {len(curve)}, final {curve[-1]:.4f}, "
                  f"best {min(curve):.4f}", flush=True)
    out["environment"] = {"python": platform.python_version(), "numpy": np.__version__,
                          "scikit-learn": sklearn.__version__}
    out["seconds"] = round(time.time() - start, 1)
    OUT.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} in {out['seconds']} s")


if __name__ == "__main__":
    main()
