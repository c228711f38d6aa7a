"""Tests for mlhwlib.adaboost (chapter book/adaboost.ipynb).

Reference values come from independent computations written here: the closed
forms, scipy's scalar minimiser, plain Python loops, a brute-force stump search
and scikit-learn's AdaBoostClassifier.
"""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
import pytest
from conftest import hypothesis_settings
from hypothesis import example, given
from hypothesis import strategies as st
from scipy import sparse
from scipy.optimize import minimize_scalar
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris, make_classification
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import AdaBoostClassifier
from sklearn.exceptions import NotFittedError
from sklearn.tree import DecisionTreeClassifier

from mlhwlib.adaboost import (
    MultiClassAdaBoost,
    Stump,
    boost_from_predictions,
    fit_stump,
    loss_reduction_factor,
    multiclass_alpha,
    multiclass_exponential_loss,
    samme_alpha,
)


# ---------------------------------------------------------------------------
# the step size
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("n_classes", [2, 3, 5, 10])
@pytest.mark.parametrize("eps", [0.05, 0.3, 0.5, 0.62, 0.85])
def test_alpha_minimises_the_one_round_loss(eps, n_classes):
    # independent: numerical minimisation of (1-eps) e^{-a} + eps e^{a/(K-1)}
    f = lambda a: (1 - eps) * math.exp(-a) + eps * math.exp(a / (n_classes - 1))
    numeric = minimize_scalar(f, bracket=(-5.0, 5.0), tol=1e-12).x
    # loose tolerance: the minimiser's accuracy in alpha (the loss is flat at its
    # minimum); the exact check is test_alpha_closed_form_and_samme_relation
    assert multiclass_alpha(eps, n_classes) == pytest.approx(numeric, abs=1e-6)


@pytest.mark.parametrize("n_classes", [2, 3, 4, 7])
@pytest.mark.parametrize("eps", [1e-9, 0.1, 0.4, 0.7, 1 - 1e-9])
def test_alpha_closed_form_and_samme_relation(eps, n_classes):
    k = n_classes
    closed = (k - 1) / k * (math.log((1 - eps) / eps) + math.log(k - 1))
    assert multiclass_alpha(eps, k) == pytest.approx(closed, rel=1e-12, abs=1e-12)
    samme = math.log((1 - eps) / eps) + math.log(k - 1)
    assert samme_alpha(eps, k) == pytest.approx(samme, rel=1e-12, abs=1e-12)
    assert multiclass_alpha(eps, k) == pytest.approx((k - 1) / k * samme_alpha(eps, k), rel=1e-14)


def test_binary_case_is_adaboost():
    for eps in (0.01, 0.2, 0.45):
        assert multiclass_alpha(eps, 2) == pytest.approx(0.5 * math.log((1 - eps) / eps), rel=1e-14)


@pytest.mark.parametrize("n_classes", [2, 3, 6])
def test_alpha_positive_exactly_below_guessing(n_classes):
    chance = (n_classes - 1) / n_classes
    assert multiclass_alpha(chance - 1e-6, n_classes) > 0
    assert abs(multiclass_alpha(chance, n_classes)) < 1e-12
    assert multiclass_alpha(chance + 1e-6, n_classes) < 0


def test_samme_alpha_matches_sklearn_weights():
    X, y = load_iris(return_X_y=True)
    sk = AdaBoostClassifier(DecisionTreeClassifier(max_depth=1), n_estimators=10,
                            random_state=0).fit(X, y)
    for err, weight in zip(sk.estimator_errors_, sk.estimator_weights_):
        assert samme_alpha(err, 3) == pytest.approx(weight, rel=1e-12)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 1.5, float("nan"), float("inf")])
def test_alpha_rejects_bad_eps(bad):
    for fn in (multiclass_alpha, samme_alpha):
        with pytest.raises(ValueError, match="eps"):
            fn(bad, 3)


def test_alpha_rejects_bad_n_classes_and_types():
    with pytest.raises(ValueError, match="n_classes"):
        multiclass_alpha(0.3, 1)
    with pytest.raises(TypeError, match="n_classes"):
        multiclass_alpha(0.3, 2.5)
    with pytest.raises(TypeError, match="eps"):
        samme_alpha("0.3", 3)


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_loss_reduction_factor(n_classes):
    k = n_classes
    for eps in (0.05, 0.3, 0.6, (k - 1) / k):
        a = (k - 1) / k * (math.log((1 - eps) / eps) + math.log(k - 1))
        direct = (1 - eps) * math.exp(-a) + eps * math.exp(a / (k - 1))
        closed = k * (eps / (k - 1)) ** ((k - 1) / k) * (1 - eps) ** (1 / k)
        z = loss_reduction_factor(eps, k)
        assert z == pytest.approx(direct, rel=1e-12)
        assert z == pytest.approx(closed, rel=1e-12)
        assert z <= 1 + 1e-12
    assert loss_reduction_factor((k - 1) / k, k) == pytest.approx(1.0, abs=1e-12)
    # any other step is worse than the optimal one
    eps = 0.4
    best = loss_reduction_factor(eps, k)
    for a in (0.0, 0.3, 2.0, -1.0):
        assert loss_reduction_factor(eps, k, alpha=a) >= best - 1e-15
    # a huge step stays finite or inf, without RuntimeWarning
    assert loss_reduction_factor(0.5, 3, alpha=1e4) == math.inf


# ---------------------------------------------------------------------------
# the hand-worked algorithm
# ---------------------------------------------------------------------------
def _by_hand(y, preds, k):
    """Plain-loop multi-class AdaBoost with the multiplicative weight update."""
    n = len(y)
    d = [1.0 / n] * n
    history = [list(d)]
    eps_all, alpha_all = [], []
    g = [[0.0] * k for _ in range(n)]
    for p in preds:
        eps = sum(d[i] for i in range(n) if p[i] != y[i])
        alpha = (k - 1) / k * (math.log((1 - eps) / eps) + math.log(k - 1))
        new = [d[i] * (math.exp(alpha / (k - 1)) if p[i] != y[i] else math.exp(-alpha))
               for i in range(n)]
        z = sum(new)
        d = [v / z for v in new]
        for i in range(n):
            g[i][p[i]] += alpha
        eps_all.append(eps)
        alpha_all.append(alpha)
        history.append(list(d))
    loss = 0.0
    for i in range(n):
        others = sum(g[i][c] for c in range(k) if c != y[i])
        loss += math.exp(others / (k - 1) - g[i][y[i]])
    return eps_all, alpha_all, history, g, loss


def test_three_round_example_by_hand():
    y = [0, 0, 1, 1, 2, 2, 2, 1]
    preds = [
        [0, 0, 1, 2, 2, 0, 2, 1],   # 2 wrong of 8
        [0, 1, 1, 1, 2, 2, 0, 1],   # wrong on 1 and 6
        [1, 0, 1, 1, 2, 2, 2, 0],   # wrong on 0 and 7
    ]
    res = boost_from_predictions(y, preds, 3)
    eps, alpha, hist, g, loss = _by_hand(y, preds, 3)
    assert res.eps == pytest.approx(eps, rel=1e-12)
    assert res.eps[0] == pytest.approx(0.25, rel=1e-15)
    assert res.alpha == pytest.approx(alpha, rel=1e-12)
    assert res.weights.shape == (4, 8)
    assert np.allclose(res.weights[0], 1 / 8)
    assert np.allclose(res.weights, np.array(hist), rtol=1e-12, atol=0)
    assert np.allclose(res.scores, np.array(g), rtol=1e-12, atol=0)
    assert res.loss == pytest.approx(loss, rel=1e-12)
    assert res.predictions.tolist() == [int(np.argmax(row)) for row in g]
    # the loss shrinks by the factor Z_t each round: L_T = m prod Z_t
    assert res.loss == pytest.approx(8 * np.prod([loss_reduction_factor(e, 3) for e in eps]),
                                     rel=1e-12)


def test_weights_are_normalised_margins():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 4, 30)
    preds = np.where(rng.random((6, 30)) < 0.6, y, rng.integers(0, 4, (6, 30)))
    res = boost_from_predictions(y, preds, 4)
    own = res.scores[np.arange(30), y]
    margin = (res.scores.sum(1) - own) / 3 - own
    assert np.allclose(res.weights[-1], np.exp(margin) / np.exp(margin).sum(), rtol=1e-12)
    assert np.allclose(res.weights.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    assert res.loss == pytest.approx(np.exp(margin).sum(), rel=1e-12)
    assert multiclass_exponential_loss(y, res.scores) == pytest.approx(res.loss, rel=1e-12)


def test_boost_from_predictions_rejects_bad_input():
    with pytest.raises(ValueError, match="y"):
        boost_from_predictions([0, 3], [[0, 1]], 3)
    with pytest.raises(ValueError, match="predictions"):
        boost_from_predictions([0, 1], [[0, 5]], 3)
    with pytest.raises(ValueError, match="predictions"):
        boost_from_predictions([0, 1, 2], [[0, 1]], 3)
    with pytest.raises(ValueError, match="predictions"):
        boost_from_predictions([0, 1], [0, 1], 3)
    with pytest.raises(ValueError, match="weighted error"):
        boost_from_predictions([0, 1], [[0, 1]], 2)          # perfect round
    with pytest.raises(ValueError, match="n_classes"):
        boost_from_predictions([0, 0], [[0, 0]], 1)
    with pytest.raises(TypeError, match="y"):
        boost_from_predictions(["a", "b"], [[0, 1]], 2)


def test_exponential_loss_by_loop_and_validation():
    rng = np.random.default_rng(2)
    scores = rng.normal(size=(7, 4))
    y = rng.integers(0, 4, 7)
    ref = sum(math.exp(sum(scores[i, c] for c in range(4) if c != y[i]) / 3 - scores[i, y[i]])
              for i in range(7))
    assert multiclass_exponential_loss(y, scores) == pytest.approx(ref, rel=1e-12)
    with pytest.raises(ValueError, match="scores"):
        multiclass_exponential_loss(y, scores[:, :1])
    with pytest.raises(ValueError, match="y"):
        multiclass_exponential_loss(y[:3], scores)
    with pytest.raises(ValueError, match="scores"):
        multiclass_exponential_loss(y, np.full((7, 4), np.nan))


# ---------------------------------------------------------------------------
# the built-in stump
# ---------------------------------------------------------------------------
def _brute_force_error(X, y, w, k):
    """Smallest weighted error over every feature, threshold between distinct values and
    pair of leaf labels (both leaves try every class)."""
    best = math.inf
    for j in range(X.shape[1]):
        values = sorted(set(X[:, j].tolist()))
        for lo in values[:-1]:
            left = X[:, j] <= lo
            for a in range(k):
                for b in range(k):
                    pred = np.where(left, a, b)
                    best = min(best, float(w[pred != y].sum()))
    return best


@hypothesis_settings(60)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 40), d=st.integers(1, 4),
       k=st.integers(2, 5), levels=st.sampled_from([2, 3, 6, 1000]))
def test_stump_error_equals_brute_force(seed, n, d, k, levels):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, levels, size=(n, d)).astype(float)   # few levels -> many ties
    y = rng.integers(0, k, n)
    w = rng.random(n) * (rng.random(n) < 0.9)
    if not w.sum() > 0:
        w[0] = 1.0
    stump = fit_stump(X, y, w, k)
    got = float(w[stump.predict(X) != y].sum())
    if any(len(np.unique(X[:, j])) > 1 for j in range(d)):
        assert got == pytest.approx(_brute_force_error(X, y, w, k), abs=1e-12)
        # the threshold separates two distinct values of the chosen feature
        col = X[:, stump.feature]
        assert col.min() <= stump.threshold < col.max()
    else:
        assert stump.feature == -1
        totals = np.bincount(y, weights=w, minlength=k)
        assert got == pytest.approx(w.sum() - totals.max(), abs=1e-12)


def test_stump_ties_go_to_the_same_side():
    # feature value 1.0 appears for both classes; a threshold may not split it
    X = np.array([[0.0], [1.0], [1.0], [1.0], [2.0]])
    y = np.array([0, 0, 1, 1, 1])
    w = np.ones(5)
    stump = fit_stump(X, y, w, 2)
    pred = stump.predict(X)
    assert pred[1] == pred[2] == pred[3]
    assert float(w[pred != y].sum()) == 1.0          # brute force: best is 1 mistake
    assert stump.threshold in (0.5, 1.5)


def test_stump_threshold_between_adjacent_floats():
    lo = 1.0
    hi = np.nextafter(lo, 2.0)
    X = np.array([[lo], [hi]])
    stump = fit_stump(X, [0, 1], [1.0, 1.0], 2)
    assert stump.predict(X).tolist() == [0, 1]


def test_fit_stump_validation():
    with pytest.raises(ValueError, match="sample_weight"):
        fit_stump([[0.0], [1.0]], [0, 1], [1.0, -1.0], 2)
    with pytest.raises(ValueError, match="y"):
        fit_stump([[0.0], [1.0]], [0, 1, 1], [1.0, 1.0], 2)
    with pytest.raises(ValueError, match="X"):
        fit_stump([[np.nan], [1.0]], [0, 1], [1.0, 1.0], 2)


# ---------------------------------------------------------------------------
# the classifier
# ---------------------------------------------------------------------------
@functools.cache
def _datasets():
    X1, y1 = load_iris(return_X_y=True)
    X2, y2 = load_digits(return_X_y=True)
    X3, y3 = make_classification(n_samples=400, n_features=6, n_informative=4, n_classes=4,
                                 n_clusters_per_class=1, random_state=3)
    labels = np.array(["cat", "dog", "emu", "yak"])
    return {"iris": (X1, y1), "digits": (X2, y2), "synthetic-strings": (X3, labels[y3])}


@pytest.mark.parametrize("name", ["iris", "digits", "synthetic-strings"])
@pytest.mark.parametrize("base", [DecisionTreeClassifier(max_depth=1),
                                  DecisionTreeClassifier(max_depth=2, max_features=0.5)],
                         ids=["stump", "random-depth2"])
def test_equal_to_sklearn_with_same_base_learner(name, base):
    X, y = _datasets()[name]
    sk = AdaBoostClassifier(estimator=base, n_estimators=40, random_state=7).fit(X, y)
    me = MultiClassAdaBoost(n_estimators=40, estimator=base, random_state=7).fit(X, y)
    k = len(sk.classes_)
    t = len(sk.estimators_)
    assert len(me.estimators_) == t
    assert np.array_equal(me.classes_, sk.classes_)
    assert np.array_equal(me.estimator_errors_, sk.estimator_errors_[:t])
    assert np.allclose(me.estimator_weights_, (k - 1) / k * sk.estimator_weights_[:t], rtol=1e-14)
    assert np.array_equal(me.predict(X), sk.predict(X))
    rng = np.random.default_rng(0)
    X_new = X + rng.normal(scale=0.3 * X.std(axis=0) + 1e-3, size=X.shape)
    assert np.array_equal(me.predict(X_new), sk.predict(X_new))
    for mine, theirs in zip(me.staged_predict(X_new), sk.staged_predict(X_new)):
        assert np.array_equal(mine, theirs)
    # the scores are sklearn's up to a positive affine map (same argmax)
    sk_dec = sk.decision_function(X_new)
    my_dec = me.decision_function(X_new)
    total = me.estimator_weights_.sum()
    assert np.allclose(sk_dec, (k * my_dec - total) / ((k - 1) * total), rtol=0, atol=1e-12)


def test_equal_to_sklearn_with_sample_weight():
    X, y = load_iris(return_X_y=True)
    w = np.random.default_rng(4).random(len(y))
    base = DecisionTreeClassifier(max_depth=1)
    sk = AdaBoostClassifier(base, n_estimators=30, random_state=1).fit(X, y, sample_weight=w)
    me = MultiClassAdaBoost(30, base, random_state=1).fit(X, y, sample_weight=w)
    assert np.array_equal(me.estimator_errors_, sk.estimator_errors_[: len(me.estimators_)])
    assert np.array_equal(me.predict(X), sk.predict(X))


def test_early_stop_on_perfect_round_like_sklearn():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 0, 1, 1])
    base = DecisionTreeClassifier(max_depth=1)
    sk = AdaBoostClassifier(base, n_estimators=10, random_state=0).fit(X, y)
    me = MultiClassAdaBoost(10, base, random_state=0).fit(X, y)
    assert len(me.estimators_) == len(sk.estimators_) == 1
    assert me.estimator_errors_.tolist() == [0.0]
    built_in = MultiClassAdaBoost(10).fit(X, y)
    assert len(built_in.estimators_) == 1
    assert built_in.predict(X).tolist() == y.tolist()


def test_stops_when_no_better_than_guessing():
    # XOR labels: already in round 1 every stump has weighted error 1/2 = (K-1)/K,
    # so no ensemble can be formed
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    with pytest.raises(ValueError, match="guessing"):
        MultiClassAdaBoost(5).fit(X, y)


def _samme_paper_loop(y, preds, k):
    """SAMME as Zhu et al. (2009) state it (their Algorithm 2), in plain Python, for the
    given rounds' predictions: w_i = 1/n; err = sum_i w_i I(c_i != T(x_i)) / sum_i w_i;
    alpha = log((1 - err)/err) + log(K - 1); w_i <- w_i exp(alpha I(c_i != T(x_i)));
    re-normalise. Returns the errors, the SAMME weights alpha and the weights of every round."""
    n = len(y)
    w = [1.0 / n] * n
    errs, alphas, history = [], [], []
    for p in preds:
        history.append(list(w))
        err = sum(w[i] for i in range(n) if p[i] != y[i]) / sum(w)
        alpha = math.log((1 - err) / err) + math.log(k - 1)
        w = [w[i] * (math.exp(alpha) if p[i] != y[i] else 1.0) for i in range(n)]
        total = sum(w)
        w = [v / total for v in w]
        errs.append(err)
        alphas.append(alpha)
    return errs, alphas, history


def test_built_in_equals_hand_worked_boosting():
    # independent: the paper's SAMME loop (plain Python) on the rounds' stumps, and a
    # brute-force stump search under the weights that loop computes
    X, y = load_iris(return_X_y=True)
    k = 3
    clf = MultiClassAdaBoost(n_estimators=25).fit(X, y)
    assert len(clf.estimators_) == 25
    preds = [s.predict(X).tolist() for s in clf.estimators_]
    errs, alphas, history = _samme_paper_loop(y.tolist(), preds, k)
    assert np.allclose(clf.estimator_errors_, errs, rtol=1e-9, atol=1e-15)
    # our step is (K-1)/K times SAMME's (the chapter's theorem adaboost-thm-samme)
    assert np.allclose(clf.estimator_weights_, (k - 1) / k * np.array(alphas), rtol=1e-9)
    scores = np.zeros((len(y), k))
    for p, a in zip(preds, alphas):
        scores[np.arange(len(y)), p] += (k - 1) / k * a
    assert np.allclose(clf.decision_function(X), scores, rtol=1e-9)
    # every round's stump is the best stump for the weights the paper's loop gives
    for t in range(len(preds)):
        w = np.array(history[t])
        assert errs[t] == pytest.approx(_brute_force_error(X, y, w, k), abs=1e-12)


def _load_zhu_script():
    from conftest import experiment_script

    return experiment_script("adaboost_zhu_simulation")


def _m1_freund_schapire(base, seed, X, y, X_test, rounds):
    """AdaBoost.M1 as Freund & Schapire (1997) state it, in plain Python: eps_t the
    D_t-weighted error; abort (T = t - 1) if eps_t > 1/2; beta_t = eps_t / (1 - eps_t);
    D_{t+1}(i) proportional to D_t(i) beta_t if h_t(x_i) = y_i, else D_t(i); the final
    hypothesis is argmax_y sum_t log(1/beta_t) [h_t(x) = y]. The trees are seeded as
    scikit-learn seeds its ensembles (one draw of RandomState(seed) per round)."""
    rng = np.random.RandomState(seed)
    n = len(y)
    d = [1.0 / n] * n
    classes = sorted(set(y.tolist()))
    votes = [[0.0] * len(classes) for _ in range(len(X_test))]
    staged = []
    for _ in range(rounds):
        h = clone(base).set_params(random_state=rng.randint(np.iinfo(np.int32).max))
        h.fit(X, y, sample_weight=np.array(d))
        train, test = h.predict(X).tolist(), h.predict(X_test).tolist()
        eps = sum(d[i] for i in range(n) if train[i] != y[i])
        if eps > 0.5 or eps == 0.0:
            break
        beta = eps / (1 - eps)
        d = [d[i] * (beta if train[i] == y[i] else 1.0) for i in range(n)]
        z = sum(d)
        d = [v / z for v in d]
        for j, c in enumerate(test):
            votes[j][classes.index(c)] += math.log(1 / beta)
        staged.append([classes[max(range(len(classes)), key=lambda c: (v[c], -c))]
                       for v in votes])
    return staged


@pytest.mark.parametrize("n_classes", [2, 3])
def test_zhu_script_adaboost_m1_equals_freund_schapire(n_classes):
    # tools/experiments/adaboost_zhu_simulation.py's AdaBoost.M1 against Freund and
    # Schapire's algorithm written out independently; for K = 2 also against
    # scikit-learn's AdaBoostClassifier, whose SAMME is M1 when K = 2
    from sklearn.datasets import make_gaussian_quantiles

    script = _load_zhu_script()
    X, y = make_gaussian_quantiles(n_samples=700, n_features=4, n_classes=n_classes,
                                   random_state=3)
    Xa, ya, Xb, yb = X[:400], y[:400], X[400:], y[400:]
    base = DecisionTreeClassifier(max_leaf_nodes=8)
    rounds, seed = 15, 2
    first = MultiClassAdaBoost(n_estimators=1, estimator=base, random_state=seed).fit(Xa, ya)
    assert first.estimator_errors_[0] < 0.5           # M1 can start
    script.ROUNDS = rounds
    curve, used = script.adaboost_m1(first, base, seed, Xa, ya, Xb, yb)
    staged = _m1_freund_schapire(base, seed, Xa, ya, Xb, rounds)
    assert used == len(staged) == len(curve) and used >= 2
    assert curve == [float(np.mean(np.array(p) != yb)) for p in staged]
    if n_classes == 2:
        sk = AdaBoostClassifier(base, n_estimators=rounds, random_state=seed).fit(Xa, ya)
        assert len(sk.estimators_) == used
        assert curve == [float(np.mean(p != yb)) for p in sk.staged_predict(Xb)]


def test_built_in_any_sortable_labels_and_api():
    X, y = make_classification(n_samples=300, n_features=5, n_informative=3, n_classes=3,
                               n_clusters_per_class=1, random_state=0)
    labels = np.array(["b", "a", "c"])
    clf = MultiClassAdaBoost(n_estimators=30).fit(X, labels[y])
    assert clf.classes_.tolist() == ["a", "b", "c"]
    pred = clf.predict(X)
    assert set(pred.tolist()) <= {"a", "b", "c"}
    assert clf.score(X, labels[y]) == pytest.approx(np.mean(pred == labels[y]))
    assert clf.score(X, labels[y]) > 0.8      # sanity check only: it learns something
    dec = clf.decision_function(X)
    assert dec.shape == (300, 3)
    assert np.array_equal(clf.classes_[dec.argmax(1)], pred)
    staged = list(clf.staged_predict(X))
    assert len(staged) == len(clf.estimators_)
    assert np.array_equal(staged[-1], pred)
    assert all(isinstance(s, Stump) for s in clf.estimators_)
    # scikit-learn conventions
    params = clf.get_params()
    assert params == {"n_estimators": 30, "estimator": None, "learning_rate": 1.0,
                      "random_state": None, "criterion": "error", "algorithm": "SAMME"}
    fresh = clone(clf)
    assert not hasattr(fresh, "estimators_")


def test_classifier_validation():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="n_estimators"):
        MultiClassAdaBoost(n_estimators=0).fit(X, y)
    with pytest.raises(TypeError, match="n_estimators"):
        MultiClassAdaBoost(n_estimators=2.5).fit(X, y)
    with pytest.raises(ValueError, match="learning_rate"):
        MultiClassAdaBoost(learning_rate=0.0).fit(X, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        MultiClassAdaBoost().fit(X, y[:-1])
    with pytest.raises(ValueError, match="2 classes"):
        MultiClassAdaBoost().fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="continuous"):
        MultiClassAdaBoost().fit(X, X[:, 0])             # a regression target is refused
    with pytest.raises(ValueError, match="NaN"):
        MultiClassAdaBoost().fit(np.full_like(X, np.nan), y)
    with pytest.raises(TypeError, match="estimator"):
        MultiClassAdaBoost(estimator="tree").fit(X, y)
    with pytest.raises(ValueError, match="criterion"):
        MultiClassAdaBoost(criterion="entropy").fit(X, y)
    with pytest.raises(TypeError, match="[Ss]parse"):
        MultiClassAdaBoost().fit(sparse.csr_matrix(X), y)
    clf = MultiClassAdaBoost(n_estimators=3)
    with pytest.raises(NotFittedError):
        clf.predict(X)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :2])


def test_extreme_values_raise_no_warnings_and_change_nothing():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 3))
    y = (X[:, 2] > 0).astype(int) + (X[:, 0] > 0)
    keep = rng.random(200) >= 0.1
    scale = np.array([1e300, 1e-300, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = MultiClassAdaBoost(n_estimators=50).fit(X * scale, y,
                                                      sample_weight=np.where(keep, 1e-200, 0.0))
    assert np.all(np.isfinite(clf.estimator_weights_))
    # independent reference: the same problem at ordinary scales. Stumps only compare values
    # of one feature and the weights are normalised, so the ensemble must be the same
    # (ties are broken by the tolerance, not by the rounding that differs between the two)
    ref = MultiClassAdaBoost(n_estimators=50).fit(X[keep], y[keep])
    assert [s.feature for s in clf.estimators_] == [s.feature for s in ref.estimators_]
    np.testing.assert_allclose(clf.estimator_errors_, ref.estimator_errors_, rtol=1e-9)
    assert np.array_equal(clf.predict(X * scale), ref.predict(X))


def _brute_force_gini(X, y, w, k):
    """Largest sum_k L_k^2/W_L + sum_k R_k^2/W_R over features and thresholds, by loops."""
    best = -math.inf
    for j in range(X.shape[1]):
        values = sorted(set(X[:, j].tolist()))
        for lo in values[:-1]:
            left = X[:, j] <= lo
            gain = 0.0
            for side in (left, ~left):
                cls = [float(w[side & (y == c)].sum()) for c in range(k)]
                if sum(cls) > 0:
                    gain += sum(v * v for v in cls) / sum(cls)
            best = max(best, gain)
    return best


def test_gini_stump_is_the_purest_split():
    rng = np.random.default_rng(11)
    from mlhwlib.stump import _SortedData
    for _ in range(15):
        n, d, k = 30, 3, 4
        X = rng.integers(0, 7, size=(n, d)).astype(float)
        y = rng.integers(0, k, n)
        w = rng.random(n)
        stump = _SortedData(X, y, k).best_stump(w, "gini")
        left = X[:, stump.feature] <= stump.threshold
        gain = 0.0
        for side in (left, ~left):
            cls = [float(w[side & (y == c)].sum()) for c in range(k)]
            gain += sum(v * v for v in cls) / sum(cls)
        assert gain == pytest.approx(_brute_force_gini(X, y, w, k), rel=1e-12)
        for side, label in ((left, stump.left), (~left, stump.right)):
            cls = [float(w[side & (y == c)].sum()) for c in range(k)]
            assert cls[label] == max(cls)


def test_gini_built_in_matches_sklearn_stumps():
    # with the Gini criterion the built-in stump makes the same splits as sklearn's tree
    X, y = make_classification(n_samples=1500, n_features=8, n_informative=5, n_classes=4,
                               n_clusters_per_class=2, random_state=2)
    ours = MultiClassAdaBoost(n_estimators=40, criterion="gini").fit(X, y)
    theirs = AdaBoostClassifier(DecisionTreeClassifier(max_depth=1), n_estimators=40,
                                random_state=0).fit(X, y)
    assert np.allclose(ours.estimator_errors_, theirs.estimator_errors_, rtol=1e-9)
    assert np.array_equal(ours.predict(X), theirs.predict(X))


# ---------------------------------------------------------------------------
# issue 15: stops, ties, the bounds, the learning rate; issue 17: the contract
# ---------------------------------------------------------------------------
def test_stop_in_a_later_round_drops_that_round_and_keeps_the_ensemble():
    # The learner always says class 0. Round 1: eps = 1/2 < 2/3. The exact step would leave
    # it at chance level under D_2 (exercise adaboost-ex-chance); twice that step
    # (learning_rate=2) leaves it worse than chance, so round 2 is dropped and the fit stops.
    X = np.zeros((8, 1))
    y = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    base = DummyClassifier(strategy="constant", constant=0)
    me = MultiClassAdaBoost(n_estimators=10, estimator=base, learning_rate=2.0).fit(X, y)
    sk = AdaBoostClassifier(base, n_estimators=10, learning_rate=2.0).fit(X, y)
    assert len(me.estimators_) == 1 and len(sk.estimators_) == 1
    assert me.estimator_errors_.tolist() == [0.5]
    assert me.estimator_weights_[0] == pytest.approx(2 * multiclass_alpha(0.5, 3), rel=1e-14)
    assert me.predict(X).tolist() == [0] * 8


def test_stump_ties_go_to_the_lowest_feature_and_threshold_under_rounding():
    # features 0 and 1 are copies, so every split on one has an exact twin on the other;
    # perturbing the weights by a few ulps must not move the choice off feature 0
    rng = np.random.default_rng(3)
    x = rng.integers(0, 6, 60).astype(float)
    X = np.c_[x, x, rng.normal(size=60)]
    y = (x > 2).astype(int) + (x > 4)
    w = rng.random(60)
    stumps = {fit_stump(X, y, w * (1 + 4e-16 * rng.standard_normal(60)), 3) for _ in range(20)}
    assert len(stumps) == 1
    (stump,) = stumps
    assert stump.feature == 0
    # two thresholds with the same error: the lower one wins
    X2 = np.array([[0.0], [1.0], [2.0], [3.0]])
    y2 = np.array([0, 1, 0, 1])
    s2 = fit_stump(X2, y2, np.ones(4), 2)
    errs = [np.sum(np.where(X2[:, 0] <= t, a, b) != y2) for t in (0.5, 1.5, 2.5)
            for a in range(2) for b in range(2)]
    assert min(errs) == 1 and s2.threshold == 0.5


def test_share_bound_and_the_k_class_training_error_bound():
    # adaboost-thm-bound: fraction with g^y <= A/K is <= L/m = prod Z (every round), and
    # adaboost-thm-kbound: training error <= prod_t K sqrt(eps_t (1 - eps_t) / (K - 1))
    X, y = load_iris(return_X_y=True)
    clf = MultiClassAdaBoost(n_estimators=30).fit(X, y)
    K, m = 3, len(y)
    for t, g in enumerate(clf.staged_decision_function(X), start=1):
        share = np.mean(g[np.arange(m), y] <= g.sum(1) / K)
        loss_m = multiclass_exponential_loss(y, g) / m
        assert share <= loss_m * (1 + 1e-12)
        e = clf.estimator_errors_[:t]
        assert loss_m == pytest.approx(np.prod([loss_reduction_factor(v, K) for v in e]),
                                       rel=1e-9)
        bound = np.prod(K * np.sqrt(e * (1 - e) / (K - 1)))
        assert np.mean(g.argmax(1) != y) <= bound * (1 + 1e-12)


def test_k_class_bound_reduces_to_adaboost_and_needs_eps_below_one_over_k():
    eps = np.linspace(0.005, 0.995, 100)          # avoids the boundaries 1/K and (K-1)/K
    # K = 2: the bound's factor is AdaBoost's 2 sqrt(eps (1 - eps)), the optimal loss factor
    ref = [loss_reduction_factor(e, 2) for e in eps]
    np.testing.assert_allclose(2 * np.sqrt(eps * (1 - eps) / (2 - 1)), ref, rtol=1e-12)
    for K in (3, 5, 10):
        factor = K * np.sqrt(eps * (1 - eps) / (K - 1))
        # < 1 exactly when eps < 1/K (for eps < 1/2): K^2 eps (1-eps) < K-1 <=> (K eps - 1)(K eps - (K-1)) > 0
        assert np.array_equal(factor < 1, (eps < 1 / K) | (eps > (K - 1) / K))


@functools.cache
def _digits_600():
    X, y = load_digits(return_X_y=True)
    return X[:600], y[:600]


@functools.cache
def _sklearn_boosting_on_digits(rate, depth):
    """scikit-learn's AdaBoost (25 rounds, trees of ``depth``) on 600 digits (read only)."""
    X, y = _digits_600()
    return AdaBoostClassifier(DecisionTreeClassifier(max_depth=depth), n_estimators=25,
                              learning_rate=rate, random_state=0).fit(X, y)


@pytest.mark.parametrize("rate", [0.1, 0.5, 2.0])
@pytest.mark.parametrize("base", [None, DecisionTreeClassifier(max_depth=1),
                                  DecisionTreeClassifier(max_depth=2)], ids=["builtin-gini", "stump", "depth2"])
def test_learning_rate_equals_sklearn_predictions_and_staged_predictions(rate, base):
    X, y = _digits_600()
    # the built-in Gini stump and scikit-learn's stump share one reference fit
    sk = _sklearn_boosting_on_digits(rate, 1 if base is None else base.max_depth)
    kw = dict(criterion="gini") if base is None else dict(estimator=base)
    me = MultiClassAdaBoost(n_estimators=25, learning_rate=rate, random_state=0, **kw).fit(X, y)
    t = len(sk.estimators_)
    assert len(me.estimators_) == t
    np.testing.assert_allclose(me.estimator_errors_, sk.estimator_errors_[:t], rtol=1e-9)
    np.testing.assert_allclose(sk.estimator_weights_[:t] / me.estimator_weights_, 10 / 9,
                               rtol=1e-12)
    for a, b in zip(me.staged_predict(X), sk.staged_predict(X)):
        assert np.array_equal(a, b)
    assert np.array_equal(me.predict(X), sk.predict(X))


def test_shrinkage_scales_the_steps():
    X, y = load_iris(return_X_y=True)
    me = MultiClassAdaBoost(n_estimators=5, learning_rate=0.25).fit(X, y)
    full = [multiclass_alpha(e, 3) for e in me.estimator_errors_]
    np.testing.assert_allclose(me.estimator_weights_, 0.25 * np.array(full), rtol=1e-12)


def test_binary_decision_function_has_shape_n_and_predict_uses_fitted_state():
    X, y = make_classification(n_samples=300, n_features=5, random_state=1)
    me = MultiClassAdaBoost(n_estimators=20).fit(X, y)
    d = me.decision_function(X)
    assert d.shape == (300,)
    assert np.array_equal(me.predict(X), me.classes_[(d > 0).astype(int)])
    staged = list(me.staged_decision_function(X))
    assert staged[-1].shape == (300,) and np.allclose(staged[-1], d)
    # d = g^1 - g^0 from the stumps' votes, recomputed here
    votes = np.array([s.predict(X) for s in me.estimators_])
    g1 = (me.estimator_weights_[:, None] * (votes == 1)).sum(0)
    g0 = (me.estimator_weights_[:, None] * (votes == 0)).sum(0)
    np.testing.assert_allclose(d, g1 - g0, atol=1e-12)
    # changing hyperparameters after fit changes nothing until the next fit
    before = me.predict(X)
    me.set_params(estimator=DecisionTreeClassifier(), n_estimators=1, learning_rate=5.0)
    assert np.array_equal(me.predict(X), before)
    assert np.allclose(me.decision_function(X), d)


def test_column_vector_y_is_raveled_with_a_warning_like_sklearn():
    from sklearn.exceptions import DataConversionWarning
    X, y = load_iris(return_X_y=True)
    with pytest.warns(DataConversionWarning):
        col = MultiClassAdaBoost(n_estimators=5).fit(X, y[:, None])
    flat = MultiClassAdaBoost(n_estimators=5).fit(X, y)
    assert np.array_equal(col.predict(X), flat.predict(X))


def test_perfect_first_round_gets_samme_weight_one():
    X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    y = np.array([0, 0, 1, 1, 1, 1])
    for rate in (1.0, 0.3):
        me = MultiClassAdaBoost(n_estimators=5, learning_rate=rate).fit(X, y)
        assert me.estimator_errors_.tolist() == [0.0]
        assert me.estimator_weights_.tolist() == [0.5]      # (K-1)/K, whatever the rate


@pytest.mark.notebook  # re-runs a committed experiment: `make test-notebooks`, not the library loop
def test_zhu_simulation_results_file_reproduces_one_configuration():
    # tools/experiments/adaboost_zhu_simulation.py wrote the file the chapter reads
    # (shipped in mlhwlib/data); re-run one of its configurations (error stump, data
    # seed 2) and compare exactly
    from sklearn.datasets import make_gaussian_quantiles

    from mlhwlib.book import result

    res = result("adaboost_zhu_results.json")
    seed = 2
    i = res["seeds"].index(seed)
    X, y = make_gaussian_quantiles(n_samples=13000, n_features=10, n_classes=3,
                                   random_state=seed)
    model = MultiClassAdaBoost(n_estimators=res["rounds"]).fit(X[:3000], y[:3000])
    curve = [float(np.mean(p != y[3000:])) for p in model.staged_predict(X[3000:])]
    assert curve[-1] == res["samme_final"]["error stump"][i]
    assert min(curve) == res["samme_best"]["error stump"][i]
    assert float(model.estimator_errors_[0]) == res["eps1"]["error stump"][i]
    assert res["m1_rounds"]["error stump"][i] == 0 and res["eps1"]["error stump"][i] > 0.5


@pytest.mark.parametrize("first", ["mlhwlib.adaboost_estimator", "mlhwlib.adaboost"])
def test_classifier_modules_import_in_either_order(first, monkeypatch):
    # both modules import the loop from mlhwlib._boosting, neither imports the other
    # first: fresh copies of the three modules, in this order (the originals come back)
    import importlib
    import sys

    import mlhwlib
    names = ["_boosting", "adaboost", "adaboost_estimator"]
    for name in names:
        monkeypatch.delitem(sys.modules, f"mlhwlib.{name}", raising=False)
        monkeypatch.setattr(mlhwlib, name, getattr(mlhwlib, name, None), raising=False)
    fresh = importlib.import_module(first)
    ada = importlib.import_module("mlhwlib.adaboost")
    est = importlib.import_module("mlhwlib.adaboost_estimator")
    assert fresh in (ada, est) and ada.MultiClassAdaBoost is est.MultiClassAdaBoost
    assert ada._boost is est._boost is sys.modules["mlhwlib._boosting"]._boost
    assert est.MultiClassAdaBoost(n_estimators=2).fit([[0.0], [1.0]], [0, 1]).n_classes_ == 2
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = ada.nope


def _gini_gain_per_feature(X, y, w, k):
    """Best sum_k L_k^2/W_L + sum_k R_k^2/W_R of each feature, by brute force."""
    out = []
    for j in range(X.shape[1]):
        best = -np.inf
        for t in np.unique(X[:, j])[:-1]:
            left = X[:, j] <= t
            gain = 0.0
            for side in (left, ~left):
                cls = [float(w[side & (y == c)].sum()) for c in range(k)]
                gain += sum(v * v for v in cls) / sum(cls)
            best = max(best, gain)
        out.append(best)
    return np.array(out)


def test_gini_stump_equals_sklearn_when_one_feature_is_best():
    # the identity's condition: one feature attains the best Gini gain (no exact
    # tie between features); then every feature permutation of scikit-learn's
    # tree finds the same split, and so does mlhwlib's stump
    from mlhwlib.stump import _SortedData
    rng = np.random.default_rng(5)
    checked = 0
    for _ in range(10):
        X = rng.normal(size=(60, 4))
        y = rng.integers(0, 3, 60)
        w = rng.random(60)
        gains = np.sort(_gini_gain_per_feature(X, y, w, 3))
        assert gains[-1] - gains[-2] > 1e-6 * w.sum()      # the condition holds here
        ours = _SortedData(X, y, 3).best_stump(w, "gini")
        for seed in range(8):
            clf = DecisionTreeClassifier(max_depth=1, random_state=seed).fit(
                X, y, sample_weight=w)
            tree = clf.tree_
            assert tree.feature[0] == ours.feature
            # the same partition (scikit-learn's threshold is a float32 midpoint)
            assert np.array_equal(clf.apply(X) == 1, X[:, ours.feature] <= ours.threshold)
            assert np.argmax(tree.value[1, 0]) == ours.left
            assert np.argmax(tree.value[2, 0]) == ours.right
        checked += 1
    assert checked == 10


def test_gini_stump_differs_from_sklearn_on_an_exact_tie_between_features():
    # features 0 and 1 split off different samples with exactly the same Gini gain
    # (8/3 with unit weights); mlhwlib takes the lowest feature, scikit-learn the
    # first one of its random feature permutation, so the identity fails here
    from mlhwlib.stump import _SortedData
    X = np.array([[0.0, 3.0], [1.0, 2.0], [2.0, 1.0], [3.0, 0.0]])
    y = np.array([0, 1, 0, 1])
    w = np.ones(4)
    gains = _gini_gain_per_feature(X, y, w, 2)
    assert gains[0] == gains[1] == pytest.approx(8.0 / 3.0, rel=1e-15)
    ours = _SortedData(X, y, 2).best_stump(w, "gini")
    assert (ours.feature, ours.threshold, ours.left, ours.right) == (0, 0.5, 0, 1)
    chosen = {int(DecisionTreeClassifier(max_depth=1, random_state=s).fit(X, y).tree_.feature[0])
              for s in range(10)}
    assert chosen == {0, 1}
    for s in range(10):
        tree = DecisionTreeClassifier(max_depth=1, random_state=s).fit(X, y)
        same = np.array_equal(tree.predict(X), ours.predict(X))
        assert same == (tree.tree_.feature[0] == 0)


# ---------------------------------------------------------------------------
# issue 27, defect 1: the tie rule decides only what rounding cannot
# ---------------------------------------------------------------------------
def _exact_first_best_stump(X, y, w, k):
    """Brute force in exact rational arithmetic: the first (feature, threshold, left, right)
    of the smallest exact weighted error (independent of mlhwlib's sums)."""
    from fractions import Fraction
    wf = [Fraction(float(v)) for v in w]
    best, arg = None, None
    for j in range(X.shape[1]):
        values = sorted(set(X[:, j].tolist()))
        for lo, hi in zip(values[:-1], values[1:]):
            left = X[:, j] <= lo
            for a in range(k):
                for b in range(k):
                    pred = np.where(left, a, b)
                    err = sum((wf[i] for i in np.flatnonzero(pred != y)), Fraction(0))
                    if best is None or err < best:
                        best, arg = err, (j, lo, hi, a, b)
    return best, arg


def test_stump_prefers_the_truly_best_by_a_tiny_weight():
    # feature 0 errs only on sample 2, whose weight is 1e-13 of the total; feature 1
    # separates the classes. The old rule (ties within 1e-10 of the total) took feature 0.
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 3.0], [3.0, 2.0]])
    y = np.array([0, 0, 1, 1])
    X[:, 0] = [0.0, 1.0, 0.5, 3.0]          # sample 2 (class 1) lies left on feature 0
    w = np.array([1.0, 1.0, 2e-13, 1.0])
    w[2] = 1e-13 * w.sum()
    stump = fit_stump(X, y, w, 2)
    assert (stump.feature, stump.left, stump.right) == (1, 0, 1)
    assert np.array_equal(stump.predict(X), y)
    # the same through the estimator: the round is perfect and the fit stops in round 1
    model = MultiClassAdaBoost(n_estimators=5).fit(X, y, sample_weight=w)
    assert model.estimator_errors_.tolist() == [0.0]


@pytest.mark.parametrize("n, rel_gap", [(8, 1e-13), (300, 1e-15)])
def test_stump_decides_differences_below_and_above_the_rounding_bound(n, rel_gap):
    # two imperfect stumps whose errors differ by one weight of rel_gap of the total: for
    # n = 300 that is below tie_tolerance (the prefix sums cannot decide, the exact
    # comparison does), for n = 8 above; either way the exactly better stump (feature 1,
    # the higher index) must win
    from mlhwlib.stump import tie_tolerance
    rng = np.random.default_rng(n)
    x = np.arange(n, dtype=float)
    y = (x >= n // 2).astype(int)
    X = np.c_[x, x]
    # feature 0 misplaces samples 0 and 1 (label 1 at the far left), feature 1 only sample 0
    X[0, 1] = X[0, 0] = -1.0
    y[0] = y[1] = 1
    X[1, 1] = n + 1.0                        # feature 1 puts sample 1 on the right: correct
    w = rng.uniform(0.5, 1.5, n)
    w[0] = 0.25
    w[1] = rel_gap * w.sum()
    exact_err, arg = _exact_first_best_stump(X, y, w, 2)
    stump = fit_stump(X, y, w, 2)
    assert (stump.feature, stump.left, stump.right) == (arg[0], arg[3], arg[4]) == (1, 0, 1)
    assert arg[1] <= stump.threshold < arg[2]
    assert (w[1] < tie_tolerance(n, 2, w.sum())) == (n == 300)


def test_stump_exact_ties_go_to_the_lowest_feature_threshold_and_class():
    # symmetric data: feature 1 is feature 0 mirrored, so every split has an exact
    # twin of equal error; equal tiny weights (clipping-floor-like) on the mistakes
    eps = np.finfo(float).eps
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    y = np.array([0, 1, 0, 1, 1, 0])
    w = np.array([1.0, eps, 1.0, eps, 1.0, 1.0])
    X = np.c_[x, 5.0 - x]
    exact_err, arg = _exact_first_best_stump(X, y, w, 2)
    stump = fit_stump(X, y, w, 2)
    assert (stump.feature, stump.left, stump.right) == (arg[0], arg[3], arg[4])
    assert arg[1] <= stump.threshold < arg[2]
    # reversing the columns moves the winner to the other feature's twin split
    stump_r = fit_stump(X[:, ::-1], y, w, 2)
    exact_r, arg_r = _exact_first_best_stump(X[:, ::-1], y, w, 2)
    assert exact_r == exact_err
    assert (stump_r.feature, stump_r.left, stump_r.right) == (arg_r[0], arg_r[3], arg_r[4])


@hypothesis_settings(40)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 25), d=st.integers(1, 3),
       k=st.integers(2, 4), levels=st.sampled_from([2, 3, 1000]))
# found by hypothesis: weights at the floor (eps) are as large as the tie tolerance, so one
# feature's one-class split is a near-tie of several labels and another feature's is not;
# the first one-class split must still win
@example(seed=151, n=9, d=2, k=3, levels=2)
def test_stump_is_the_exact_first_minimiser_with_weights_of_every_scale(seed, n, d, k, levels):
    # weights from 1e-17 to 1 (many at one floor value, as after clipping): the stump is
    # the first exact minimiser, found by rational arithmetic
    rng = np.random.default_rng(seed)
    X = rng.integers(0, levels, size=(n, d)).astype(float)
    y = rng.integers(0, k, n)
    w = 10.0 ** rng.uniform(-17, 0, n)
    w[rng.random(n) < 0.4] = np.finfo(float).eps
    if not any(len(np.unique(X[:, j])) > 1 for j in range(d)):
        return
    _, arg = _exact_first_best_stump(X, y, w, k)
    stump = fit_stump(X, y, w, k)
    assert (stump.feature, stump.left, stump.right) == (arg[0], arg[3], arg[4])
    assert arg[1] <= stump.threshold < arg[2]


def test_tie_tolerance_bounds_the_rounding_of_the_prefix_scores():
    # the computed scores of every split, against exact rational ones: each within
    # half the tolerance (the bound of tie_tolerance's docstring), for both criteria
    from fractions import Fraction

    from mlhwlib.stump import _SortedData, tie_tolerance
    rng = np.random.default_rng(7)
    n, k = 400, 3
    X = rng.integers(0, 40, size=(n, 2)).astype(float)
    y = rng.integers(0, k, n)
    w = 10.0 ** rng.uniform(-8, 0, n) * (1 + rng.random(n))
    data = _SortedData(X, y, k)
    total = np.bincount(y, weights=w, minlength=k)
    half = tie_tolerance(n, k, total.sum()) / 2
    start, stop, src, idx = data.blocks[0]
    left = data._left_weights(np.append(w, 0.0), src, idx, stop - start)
    scores = {"error": data._correct_weight(left, total), "gini": data._gini_gain(left, total)}
    wf = [Fraction(float(v)) for v in w]
    worst = {"error": 0.0, "gini": 0.0}
    for j in range(2):
        for g in range(data.n_groups[j] - 1):
            side = X[:, j] <= data.values[j, g]
            L = [sum((wf[i] for i in np.flatnonzero(side & (y == c))), Fraction(0)) for c in range(k)]
            R = [sum((wf[i] for i in np.flatnonzero(~side & (y == c))), Fraction(0)) for c in range(k)]
            exact = {"error": max(L) + max(R),
                     "gini": sum(v * v for v in L) / sum(L) + sum(v * v for v in R) / sum(R)}
            for crit in worst:
                worst[crit] = max(worst[crit], abs(float(Fraction(scores[crit][j, g]) - exact[crit])))
    assert worst["error"] <= half and worst["gini"] <= half
    assert worst["error"] > 0 and worst["gini"] > 0


def test_left_weights_take_n_weights_or_n_plus_a_zero_pad():
    # The chapter's checking cell passes the N weights themselves; the search passes its
    # padded buffer (N + 1, last entry 0, where the prefix sums start). Both give the same
    # class weights; any other length, or a non-zero pad, is refused instead of read.
    from mlhwlib.stump import _SortedData
    rng = np.random.default_rng(8)
    X = rng.integers(0, 9, size=(50, 2)).astype(float)
    y = rng.integers(0, 3, 50)
    w = rng.random(50)
    data = _SortedData(X, y, 3)
    start, stop, src, idx = data.blocks[0]
    plain = data._left_weights(w, src, idx, stop - start).copy()
    padded = data._left_weights(np.append(w, 0.0), src, idx, stop - start)
    np.testing.assert_array_equal(plain, padded)
    # against a direct count: weight of class c at or below each threshold of feature 0
    for g in range(data.n_groups[0] - 1):
        side = X[:, 0] <= data.values[0, g]
        np.testing.assert_allclose(plain[0, :, g],
                                   np.bincount(y[side], weights=w[side], minlength=3),
                                   rtol=1e-12)
    with pytest.raises(ValueError, match="w must have 50 or 51 entries"):
        data._left_weights(w[:-1], src, idx, stop - start)
    with pytest.raises(ValueError, match="padding"):
        data._left_weights(np.append(w, 1.0), src, idx, stop - start)
    # and the check can fail: the scores do carry rounding error


def test_tie_tolerance_validation():
    from mlhwlib.stump import tie_tolerance
    assert tie_tolerance(1, 1, 0.0) == 0.0
    assert tie_tolerance(10, 2, 3.0) == pytest.approx(2 * 1.05 * (80 + 4 + 4) * 2.0 ** -53 * 3.0,
                                                      rel=1e-15)
    with pytest.raises(ValueError, match="n_samples"):
        tie_tolerance(0, 2, 1.0)
    with pytest.raises(ValueError, match="n_classes"):
        tie_tolerance(3, 0, 1.0)
    with pytest.raises(ValueError, match="total_weight"):
        tie_tolerance(3, 2, -1.0)
    with pytest.raises(ValueError, match="total_weight"):
        tie_tolerance(3, 2, float("nan"))
    with pytest.raises(ValueError, match="n_samples"):
        tie_tolerance(10 ** 14, 2, 1.0)


def test_gini_stump_prefers_the_truly_purer_split_by_a_tiny_weight():
    # feature 0 and feature 1 give the same partition except for one sample of weight
    # 1e-13 of the total, which feature 1 puts on its own class's side: a purer split by a
    # representable but tiny amount. The old rule (ties within 1e-10) took feature 0.
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [0.5, 4.0]])
    y = np.array([0, 0, 1, 1, 1])
    w = np.ones(5)
    w[4] = 1e-13 * 4
    from mlhwlib.stump import _SortedData
    stump = _SortedData(X, y, 2).best_stump(w, "gini")
    assert stump.feature == 1 and np.array_equal(stump.predict(X), y)
    tree = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y, sample_weight=w)
    assert np.array_equal(tree.predict(X), y)


@pytest.mark.parametrize("floor", [1e-12, 1e-14])
def test_gini_stump_and_sklearn_with_collapsed_weights(floor):
    # Four heavy points decide the split; four light ones (weights floor, 2 floor) make
    # the split after x = 5 purer than every other split by 2 floor (exact rationals).
    # With floor = 1e-12 that lead exceeds tie_tolerance: both pick 5.5. With
    # floor = 1e-14 it is below it: mlhwlib cannot tell the two apart from rounding and
    # takes the lower threshold, scikit-learn the exactly purer one; the identity fails.
    from fractions import Fraction

    from mlhwlib.stump import _SortedData, tie_tolerance
    x = np.arange(8.0)
    y = np.array([0, 0, 1, 0, 1, 0, 1, 1])
    w = np.array([1, 1, floor, 2 * floor, floor, 2 * floor, 1, 1.0])
    wf = [Fraction(float(v)) for v in w]

    def gain(lo):
        side = x <= lo
        L = [sum((wf[i] for i in np.flatnonzero(side & (y == c))), Fraction(0)) for c in (0, 1)]
        R = [sum((wf[i] for i in np.flatnonzero(~side & (y == c))), Fraction(0)) for c in (0, 1)]
        return sum(v * v for v in L) / sum(L) + sum(v * v for v in R) / sum(R)

    gains = {lo: gain(lo) for lo in range(7)}
    lead = gains[5] - max(v for lo, v in gains.items() if lo != 5)
    assert lead > 0 and float(lead) == pytest.approx(2 * floor, rel=1e-6)
    ours = _SortedData(x[:, None], y, 2).best_stump(w, "gini")
    sk = {float(DecisionTreeClassifier(max_depth=1, random_state=s).fit(
        x[:, None], y, sample_weight=w).tree_.threshold[0]) for s in range(4)}
    assert sk == {5.5}
    tol = tie_tolerance(8, 2, w.sum())
    if floor == 1e-12:
        assert lead > 2 * tol and ours.threshold == 5.5
    else:
        assert lead < tol and ours.threshold == 1.5


def _has_perfect_stump(X, y):
    # exact, in integer counts: some threshold between distinct values of some feature
    # leaves one class on each side (or one class everywhere)
    if len(np.unique(y)) == 1:
        return True
    for j in range(X.shape[1]):
        v = np.unique(X[:, j])
        for lo in v[:-1]:
            left = X[:, j] <= lo
            if len(np.unique(y[left])) == 1 and len(np.unique(y[~left])) == 1:
                return True
    return False


def test_built_in_stump_is_perfect_in_round_one_or_never():
    # the chapter's "When to stop": a weak learner that returns an exact minimiser of
    # the weighted error finds a perfect stump in round 1 or never, because the weights
    # of every round have full support. Half the samples carry weights of 1e-15 to
    # 1e-12 of the total and feature 0 separates only the heavy half: a rule that counts
    # errors within 1e-10 of the total weight as ties takes feature 0 in round 1 and
    # finds the perfect stump on feature 1 in round 2 (this test fails for it).
    rng = np.random.default_rng(27)
    n_perfect = n_not = 0
    heavy = np.arange(10) < 5
    for trial in range(40):
        X = rng.integers(0, 5, size=(10, 2)).astype(float)
        if trial % 2 == 0:
            y = (X[:, 1] >= 2).astype(int)             # planted: feature 1 separates
        else:
            y = rng.integers(0, 2, 10)
        if len(np.unique(y)) < 2:
            continue
        X[heavy, 0] = 3 * y[heavy] + rng.integers(0, 2, 5)   # separates the heavy half
        w = np.where(heavy, 1.0, 10.0 ** rng.uniform(-15, -12, 10))
        perfect = _has_perfect_stump(X, y)
        n_perfect += perfect
        n_not += not perfect
        errs = MultiClassAdaBoost(n_estimators=30).fit(X, y, sample_weight=w).estimator_errors_
        assert (errs[0] == 0) == perfect, trial
        assert np.all(errs[1:] > 0), trial
        if perfect:
            assert len(errs) == 1
    assert n_perfect >= 10 and n_not >= 10


@pytest.mark.parametrize("algorithm", ["SAMME", "SAMME.R"])
def test_a_weight_overflow_stops_boosting_with_one_warning(algorithm):
    # a huge learning rate overflows the weight update of the first round: boosting stops
    # after it with one RuntimeWarning naming the round (numpy's own overflow is not shown)
    from sklearn.datasets import load_iris
    from sklearn.tree import DecisionTreeClassifier

    X, y = load_iris(return_X_y=True)
    clf = MultiClassAdaBoost(n_estimators=20, learning_rate=1e4, algorithm=algorithm,
                             estimator=DecisionTreeClassifier(max_depth=1))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
    messages = [str(w.message) for w in caught]
    if algorithm == "SAMME":
        assert messages == ["sample weights overflowed in round 0; boosting stopped "
                            "(lower the learning_rate)"]
    else:  # SAMME.R's update is bounded by its clipped probabilities: no overflow
        assert messages == []
    assert len(clf.estimators_) == 1 if algorithm == "SAMME" else len(clf.estimators_) >= 1
    assert np.isfinite(clf.decision_function(X)).all()
