"""Tests for ``MultiClassAdaBoost(algorithm="SAMME.R")`` (chapter :ref:`adaboost-sammer`).

References, none computed by the code under test:

* scikit-learn 1.5.2's ``AdaBoostClassifier(algorithm="SAMME.R")``, the last
  release that had it, through ``tests/data/sklearn15_sammer_reference.json``
  written by ``tools/experiments/sklearn15_sammer_reference.py`` in a separate
  environment;
* a SAMME.R loop written out below from Zhu et al.'s Algorithm 4 (with
  scikit-learn's clipping at machine epsilon);
* scipy's minimiser of the weighted exponential loss for the stagewise term.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import experiment_script
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_iris, make_gaussian_quantiles
from sklearn.linear_model import RidgeClassifier
from sklearn.tree import DecisionTreeClassifier

from mlhwlib.adaboost import MultiClassAdaBoost
from mlhwlib.adaboost_estimator import _samme_r_scores

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import numeric_profile  # noqa: E402 (tools/ is not a package)

REF = json.loads((ROOT / "tests" / "data" / "sklearn15_sammer_reference.json").read_text())
SCRIPT = experiment_script("sklearn15_sammer_reference")
TOL = 1e-10
NAMES = np.array(["setosa", "versicolor", "virginica"])


def _config_data(cfg):
    X, y, X_te, y_te = SCRIPT.load(cfg["data"])
    if cfg.get("labels") == "strings":
        y, y_te = NAMES[y], NAMES[y_te]
    return X, y, X_te, y_te, SCRIPT.sample_weight(cfg.get("weights"), len(y))


def _fit(cfg, X, y, w):
    return MultiClassAdaBoost(n_estimators=cfg["n_estimators"],
                              estimator=DecisionTreeClassifier(max_depth=cfg["depth"]),
                              learning_rate=cfg["learning_rate"],
                              random_state=cfg["random_state"],
                              algorithm="SAMME.R").fit(X, y, sample_weight=w)


def test_reference_file_covers_the_required_cases():
    cfgs = REF["configs"].values()
    assert REF["sklearn"] == "1.5.2"
    assert {len(c["classes"]) for c in cfgs} >= {2, 3, 5}
    assert {c["depth"] for c in cfgs} == {1, 2}
    assert any(c["learning_rate"] != 1.0 for c in cfgs)
    assert any(c.get("weights") == "random_with_zeros" for c in cfgs)
    assert any(c["n_fitted"] < c["n_estimators"] for c in cfgs)       # a perfect round stops
    assert any(c.get("labels") == "strings" for c in cfgs)


def _our_outputs():
    """MultiClassAdaBoost's outputs on every reference configuration (as the reference
    records them), computed in this process."""
    out = {}
    for name, ref in REF["configs"].items():
        X, y, X_te, y_te, w = _config_data(ref)
        out[name] = {"data_sha256": SCRIPT.data_hash(X, X_te), **SCRIPT.outputs(_fit(ref, X, y, w), X_te, y_te)}
    return out


@pytest.fixture(scope="module")
def ours():
    # under the reference profile (numpy's AVX-512 kernels off), as the reference was
    # computed: in this process on a CPU without AVX-512, else in one fresh process
    if not numeric_profile.has_avx2():
        pytest.fail("the SAMME.R reference is exact under numpy's AVX2 kernels; this CPU lacks AVX2")
    return numeric_profile.call_under_reference_profile(__file__, "_our_outputs")


def test_reference_was_computed_under_the_reference_profile():
    assert REF["numeric_profile"].startswith("reference (numpy's AVX-512 kernels off)")


@pytest.mark.parametrize("name", sorted(REF["configs"]))
def test_equals_sklearn_1_5_samme_r(name, ours):
    ref, got = REF["configs"][name], ours[name]
    assert got["data_sha256"] == ref["data_sha256"]      # the same data as the reference
    assert got["n_fitted"] == ref["n_fitted"]
    assert got["classes"] == ref["classes"]
    assert got["predict"] == ref["predict"]
    for key in ("decision_function", "predict_proba", "predict_proba_from_log", "staged_decision_first",
                "estimator_errors"):
        np.testing.assert_allclose(got[key], ref[key], rtol=0, atol=TOL, err_msg=key)
    assert got["staged_test_error"] == ref["staged_test_error"]
    assert got["estimator_weights"] == ref["estimator_weights"]


def samme_r_by_hand(X, y, X_te, depth, learning_rate, n_rounds, random_state, sample_weight):
    """SAMME.R (Zhu et al., Algorithm 4) written out, with scikit-learn's seeds and clipping.

    Returns the averaged scores (1/T) sum_t h_t(X_te), shape (N_te, K), and the errors.
    """
    classes = np.unique(y)
    K, n = len(classes), len(y)
    yi = np.searchsorted(classes, y)
    Y = np.full((n, K), -1.0 / (K - 1))
    Y[np.arange(n), yi] = 1.0
    w = np.ones(n) / n if sample_weight is None else sample_weight / np.sum(sample_weight)
    zero = w == 0
    seeds = np.random.RandomState(random_state)
    tiny = 2.0 ** -52
    H, errors = np.zeros((len(X_te), K)), []
    for _ in range(n_rounds):
        w = np.maximum(w, tiny)
        w[zero] = 0.0
        tree = DecisionTreeClassifier(max_depth=depth, random_state=seeds.randint(2 ** 31 - 1))
        tree.fit(X, y, sample_weight=w)
        p = np.maximum(tree.predict_proba(X), tiny)
        errors.append(w[p.argmax(1) != yi].sum() / w.sum())
        log_p = np.log(np.maximum(tree.predict_proba(X_te), tiny))
        H += (K - 1) * (log_p - log_p.mean(axis=1, keepdims=True))
        if errors[-1] == 0:
            break
        w = w * np.exp(-learning_rate * (K - 1) / K * np.sum(Y * np.log(p), axis=1))
        w = w / w.sum()
    return H / len(errors), np.array(errors)


@pytest.mark.parametrize("name", ["iris_d1_weights", "iris_binary_d1_lr1.5",
                                  "zhu_k3_d2_lr0.3_weights", "zhu_k5_d2"])
def test_equals_a_loop_written_out(name):
    cfg = REF["configs"][name]
    X, y, X_te, _, w = _config_data(cfg)
    H, errors = samme_r_by_hand(X, y, X_te, cfg["depth"], cfg["learning_rate"],
                                cfg["n_estimators"], cfg["random_state"], w)
    clf = _fit(cfg, X, y, w)
    d = clf.decision_function(X_te)
    np.testing.assert_allclose(d, H[:, 1] - H[:, 0] if H.shape[1] == 2 else H, rtol=0, atol=TOL)
    np.testing.assert_allclose(clf.estimator_errors_, errors, rtol=0, atol=TOL)


def test_h_is_the_stagewise_minimiser_and_sums_to_zero():
    # the weighted population form: min over sum-zero h of sum_k p_k exp(-y_k^T h / K)
    rng = np.random.default_rng(3)
    for K in (2, 3, 5):
        p = rng.dirichlet(np.ones(K), size=4)
        h = _samme_r_scores(p.copy())
        np.testing.assert_allclose(h.sum(axis=1), 0.0, atol=1e-12)
        codes = np.where(np.eye(K) == 1, 1.0, -1.0 / (K - 1))        # row k: the coding of class k

        for row, target in zip(p, h):
            def risk(v, row=row, codes=codes, K=K):
                f = np.append(v, -v.sum())
                return row @ np.exp(-codes @ f / K)
            v = minimize(risk, np.zeros(K - 1), method="BFGS", options={"gtol": 1e-12}).x
            np.testing.assert_allclose(np.append(v, -v.sum()), target, atol=1e-5)


def test_probabilities_clipped_at_machine_epsilon():
    p = np.array([[1.0, 0.0, 0.0]])
    h = _samme_r_scores(p.copy())
    e = np.finfo(float).eps
    expected = 2 * (np.log([1.0, e, e]) - np.log([1.0, e, e]).mean())
    np.testing.assert_allclose(h[0], expected, rtol=1e-14)


def test_learning_rate_only_reweights():
    # with one round the learning rate has nothing to act on; with more, the weights differ
    X, y = load_iris(return_X_y=True)
    tree = DecisionTreeClassifier(max_depth=1)
    one = [MultiClassAdaBoost(1, tree, learning_rate=r, algorithm="SAMME.R", random_state=0)
           .fit(X, y).decision_function(X) for r in (0.1, 1.0)]
    np.testing.assert_array_equal(one[0], one[1])
    two = [MultiClassAdaBoost(5, tree, learning_rate=r, algorithm="SAMME.R", random_state=0)
           .fit(X, y).decision_function(X) for r in (0.1, 1.0)]
    assert np.abs(two[0] - two[1]).max() > 1e-3


def test_predict_proba_only_for_samme_r_and_sums_to_one():
    X, y = load_iris(return_X_y=True)
    assert not hasattr(MultiClassAdaBoost(), "predict_proba")
    assert not hasattr(MultiClassAdaBoost(), "staged_predict_proba")
    clf = MultiClassAdaBoost(10, DecisionTreeClassifier(max_depth=1), algorithm="SAMME.R",
                             random_state=0).fit(X, y)
    p = clf.predict_proba(X)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(clf.classes_[p.argmax(1)], clf.predict(X))
    staged = list(clf.staged_predict_proba(X))
    assert len(staged) == len(clf.estimators_)
    np.testing.assert_allclose(staged[-1], p, atol=1e-12)


def test_bad_estimator_and_algorithm():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="algorithm"):
        MultiClassAdaBoost(algorithm="SAMME.X").fit(X, y)
    with pytest.raises(ValueError, match=r"estimator=None .* has none"):
        MultiClassAdaBoost(algorithm="SAMME.R").fit(X, y)
    with pytest.raises(ValueError, match="estimator RidgeClassifier has no predict_proba"):
        MultiClassAdaBoost(estimator=RidgeClassifier(), algorithm="SAMME.R").fit(X, y)
    # SAMME does not need predict_proba
    MultiClassAdaBoost(3, estimator=RidgeClassifier()).fit(X, y)


def test_overflow_stops_with_a_warning():
    X, y = make_gaussian_quantiles(n_samples=300, n_features=4, n_classes=3, random_state=0)
    clf = MultiClassAdaBoost(50, DecisionTreeClassifier(max_depth=1), learning_rate=1e4,
                             algorithm="SAMME.R", random_state=0)
    with pytest.warns(RuntimeWarning, match="overflowed"):
        clf.fit(X, y)
    assert 1 <= len(clf.estimators_) < 50
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.all(np.isfinite(clf.decision_function(X)))


SIMULATION_SEED, SIMULATION_KEY = 3, "SAMME.R depth-2"


def _simulation_seed():
    """The staged test errors and the final training error of one configuration of
    tools/experiments/adaboost_sammer_simulation.py, re-run (JSON for the profile helper)."""
    from mlhwlib.book import result

    rounds = result("adaboost_sammer_results.json")["rounds"]
    X, y = make_gaussian_quantiles(n_samples=13000, n_features=10, n_classes=3,
                                   random_state=SIMULATION_SEED)
    clf = MultiClassAdaBoost(n_estimators=rounds, algorithm="SAMME.R", random_state=SIMULATION_SEED,
                             estimator=DecisionTreeClassifier(max_depth=2)).fit(X[:3000], y[:3000])
    curve = [float(np.mean(p != y[3000:])) for p in clf.staged_predict(X[3000:])]
    return curve, float(np.mean(clf.predict(X[:3000]) != y[:3000]))


@pytest.mark.notebook  # re-runs a committed experiment: `make test-notebooks`, not the library loop
def test_sammer_simulation_results_file_reproduces_one_configuration():
    # tools/experiments/adaboost_sammer_simulation.py wrote the file the chapter reads
    # (shipped in mlhwlib/data), under the reference numeric profile; re-run SAMME.R with
    # depth-2 trees on data seed 3 under the same profile and compare the staged test
    # errors and the final training error exactly
    from mlhwlib.book import result

    res = result("adaboost_sammer_results.json")
    i = res["seeds"].index(SIMULATION_SEED)
    curve, train = numeric_profile.call_under_reference_profile(__file__, "_simulation_seed")
    assert curve == res["test_error"][SIMULATION_KEY][i]
    assert train == res["train_error_final"][SIMULATION_KEY][i]


class _DropZeroWeights(ClassifierMixin, BaseEstimator):
    """A depth-1 tree fitted on the samples of positive weight only: its ``classes_``
    lacks a class whose samples all have weight 0."""

    def fit(self, X, y, sample_weight=None):
        keep = np.asarray(sample_weight) > 0
        self.tree_ = DecisionTreeClassifier(max_depth=1, random_state=0)
        self.tree_.fit(X[keep], y[keep], sample_weight=sample_weight[keep])
        self.classes_ = self.tree_.classes_
        return self

    def predict(self, X):
        return self.tree_.predict(X)

    def predict_proba(self, X):
        return self.tree_.predict_proba(X)


def test_a_class_the_learner_never_saw_gets_probability_epsilon():
    X, y = load_iris(return_X_y=True)
    w = np.where(y == 2, 0.0, 1.0)                 # class 2 has weight 0 throughout
    clf = MultiClassAdaBoost(1, _DropZeroWeights(), algorithm="SAMME.R").fit(X, y, sample_weight=w)
    assert clf.estimators_[0].classes_.tolist() == [0, 1]
    p = np.clip(clf.estimators_[0].predict_proba(X), np.finfo(float).eps, None)
    log_p = np.log(np.column_stack([p, np.full(len(X), np.finfo(float).eps)]))
    expected = 2 * (log_p - log_p.mean(axis=1, keepdims=True))
    np.testing.assert_allclose(clf.decision_function(X), expected, rtol=0, atol=1e-12)
    assert set(clf.predict(X)) <= {0, 1}
