"""The committed learning-rate sweep (``mlhwlib/data/adaboost_learning_rate.json``,
written by ``tools/experiments/adaboost_learning_rate.py``) is reproducible and right.

* The script's ``--quick`` mode re-runs the first ``QUICK_ROUNDS`` rounds of seed 1 for
  every learner and learning rate; the counts of errors, the training loss and the
  steps must equal the file's at the grid points it covers (boosting is sequential:
  round t does not depend on the number of rounds).
* Independent of the script's code: scikit-learn's ``AdaBoostClassifier`` with the same
  depth-2 tree, learning rate and seed gives the same staged test errors as the file,
  and the file's training loss equals the loss computed by
  :func:`mlhwlib.adaboost.multiclass_exponential_loss` from the fitted ensemble.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import experiment_script, run_quick
from sklearn.ensemble import AdaBoostClassifier
from sklearn.tree import DecisionTreeClassifier

from mlhwlib.adaboost import MultiClassAdaBoost, multiclass_exponential_loss
from mlhwlib.book import result

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import numeric_profile


def _script():
    return experiment_script("adaboost_learning_rate")


@pytest.fixture(scope="module")
def script():
    return _script()


@pytest.fixture(scope="module")
def res():
    return result("adaboost_learning_rate.json")


def test_file_matches_the_script(script, res):
    assert res["quick"] is False
    assert res["seeds"] == script.SEEDS and len(res["seeds"]) >= 5
    assert res["rates"] == script.RATES
    assert {0.1, 0.25, 0.5, 1.0, 1.5, 2.0, float(res["K"])} == set(res["rates"])
    assert res["rounds"] == script.ROUNDS and res["learners"] == list(script.LEARNERS)
    assert res["n_train"] + res["n_val"] + res["n_test"] == 13000
    for name in res["learners"]:
        g = res["grid"][name]
        assert g == script.grid(res["rounds"][name]) and g[0] == 1
        assert g[-1] == res["rounds"][name]
        for rate in res["rates"]:
            run = res["runs"][name][f"{rate:g}"]
            for field in ("val_wrong", "test_wrong", "train_wrong", "log_loss"):
                assert len(run[field]) == len(res["seeds"])
                assert all(len(c) == len(g) for c in run[field])
            for s in range(len(res["seeds"])):
                t = run["best_round"][s]
                assert 1 <= t <= res["rounds"][name]
                # the best validation count is the minimum, also over the grid
                assert run["best_val_wrong"][s] <= min(run["val_wrong"][s])
                assert 0 <= run["best_test_wrong"][s] <= res["n_test"]
                if t in g:
                    i = g.index(t)
                    assert run["val_wrong"][s][i] == run["best_val_wrong"][s]
                    assert run["test_wrong"][s][i] == run["best_test_wrong"][s]
    # a committed script's size, not a benchmark: its CPU time grows on a busy machine
    # (458 s quiet when it was added; 1056 s while other jobs shared both cores)
    assert res["cpu_seconds"] <= 1800


def test_quick_run_reproduces_the_committed_numbers(script, res):
    quick = run_quick("adaboost_learning_rate", timeout=900, env={"OMP_NUM_THREADS": "1"},
                      stderr_has="wall time")
    assert quick["quick"] is True and quick["seeds"] == [res["seeds"][0]]
    compared = 0
    for name in res["learners"]:
        g = quick["grid"][name]
        n = len(g)
        assert g == res["grid"][name][:n] and g[-1] <= script.QUICK_ROUNDS
        for rate in res["rates"]:
            mine, full = quick["runs"][name][f"{rate:g}"], res["runs"][name][f"{rate:g}"]
            for field in ("val_wrong", "test_wrong", "train_wrong"):
                assert mine[field][0] == full[field][0][:n], (name, rate, field)
            np.testing.assert_allclose(mine["log_loss"][0], full["log_loss"][0][:n],
                                       rtol=1e-9, atol=2e-6)
            k = len(mine["eps_seed1"])
            np.testing.assert_allclose(mine["eps_seed1"], full["eps_seed1"][:k], atol=2e-8)
            np.testing.assert_allclose(mine["beta_seed1"], full["beta_seed1"][:k],
                                       rtol=1e-7, atol=2e-8)
            compared += 1
    assert compared == len(res["learners"]) * len(res["rates"])


def _sklearn_staged_test_wrong(rate, rounds):
    """scikit-learn's own AdaBoostClassifier (SAMME) with depth-2 trees on seed 1: the
    staged numbers of misclassified test points (JSON for the profile helper)."""
    (X, y), _, (Xt, yt) = _script().data(1)
    sk = AdaBoostClassifier(DecisionTreeClassifier(max_depth=2), n_estimators=rounds,
                            learning_rate=rate, random_state=1).fit(X, y)
    staged = [int(np.sum(p != yt)) for p in sk.staged_predict(Xt)]
    return staged + [staged[-1]] * (rounds - len(staged))     # a run that stopped


@pytest.mark.parametrize("rate", [1.5, 3.0])
def test_tree_runs_equal_scikit_learn(res, rate):
    # depth-2 trees, seed 1: scikit-learn's AdaBoostClassifier (SAMME, the same learning
    # rate and seed) misclassifies the same numbers of test points as the file records;
    # under the reference numeric profile, as the file was computed (a tree's split near
    # a tie follows the last bit of numpy's exp)
    rounds = 100
    staged = numeric_profile.call_under_reference_profile(__file__, "_sklearn_staged_test_wrong", rate, rounds)
    g = [t for t in res["grid"]["depth-2 tree"] if t <= rounds]
    file = res["runs"]["depth-2 tree"][f"{rate:g}"]["test_wrong"][0][:len(g)]
    assert [staged[t - 1] for t in g] == file


def _library_log_losses(rounds):
    """Error stump, nu = 2, seed 1: ln(L/m) of each round's fitted ensemble, from the
    library's multi-class exponential loss of its scores (JSON for the profile helper)."""
    (X, y), _, _ = _script().data(1)
    m = MultiClassAdaBoost(n_estimators=rounds, learning_rate=2.0).fit(X, y)
    return [float(np.log(multiclass_exponential_loss(y, s) / len(y)))
            for s in m.staged_decision_function(X)]


def test_training_loss_equals_the_library_loss(res):
    # under the reference numeric profile, as the file was computed
    rounds = 60
    by_library = numeric_profile.call_under_reference_profile(__file__, "_library_log_losses", rounds)
    g = [t for t in res["grid"]["error stump"] if t <= rounds]
    np.testing.assert_allclose([by_library[t - 1] for t in g],
                               res["runs"]["error stump"]["2"]["log_loss"][0][:len(g)],
                               rtol=1e-8, atol=2e-6)
