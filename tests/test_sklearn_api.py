"""mlhwlib's estimators are real scikit-learn estimators (issue 17).

``MultiClassAdaBoost``, ``GaussianMixture`` and ``BayesianGaussianMixture`` pass scikit-learn's own conformance
suite (``sklearn.utils.estimator_checks``), and the tools a user reaches for —
``Pipeline``, ``clone``, ``GridSearchCV``, ``cross_val_score``, ``roc_auc_score`` —
accept them and give scikit-learn's results where the algorithms agree.

One check is deliberately not run, listed in :data:`NOT_MET` with its reason:
scikit-learn's array-API check (``check_array_api_input``) needs the experimental
array-API dispatch (``SCIPY_ARRAY_API=1`` set before scipy is imported, plus an
array library); mlhwlib is numpy-only by design and converts every input to a
numpy array. Every other check of the suite runs, including the data-frame
checks (pandas is a test dependency). :func:`test_only_the_listed_checks_are_left_out`
makes sure nothing else is dropped.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, make_classification
from sklearn.ensemble import AdaBoostClassifier
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.mixture import GaussianMixture as SkGaussianMixture
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import estimator_checks_generator

from mlhwlib.adaboost import MultiClassAdaBoost
from mlhwlib.gmm import BayesianGaussianMixture, GaussianMixture

#: Checks deliberately not met (at most three; each a design choice).
NOT_MET = {
    "check_array_api_input": "mlhwlib is numpy-only by design: no array-API dispatch",
}

#: SAMME.R with depth-1 trees, scikit-learn 1.5's default weak learner.
SAMME_R_STUMPS = MultiClassAdaBoost(n_estimators=5, estimator=DecisionTreeClassifier(max_depth=1),
                                    algorithm="SAMME.R")

#: (estimator, check) pairs that fail for a reason of the algorithm, not of the code: the
#: test asserts that they still fail, so the reason is re-checked on every run.
KNOWN_FAILURES = {
    (id(SAMME_R_STUMPS), "check_sample_weight_equivalence_on_dense_data"):
        # After one SAMME.R round the weights are very unequal, and with 15 samples and 30
        # features several features give the second stump the same partition of the training
        # points; the exact tie is broken by the rounding of the weighted impurity sums, which
        # differs between weight 3 and three copies. The chosen features (1 vs 11) differ, and
        # so do the predictions on the points of weight 0. scikit-learn 1.5.2's own SAMME.R
        # picks the same features 1 and 11 on the same data, and scikit-learn marks this check
        # as an expected failure for AdaBoostClassifier. With LogisticRegression (above) it passes.
        "an exact tie between features, decided by rounding (as in scikit-learn 1.5)",
}

ESTIMATORS = [
    MultiClassAdaBoost(n_estimators=10),
    MultiClassAdaBoost(n_estimators=5, estimator=DecisionTreeClassifier(max_depth=2)),
    MultiClassAdaBoost(n_estimators=5, estimator=LogisticRegression(), algorithm="SAMME.R"),
    SAMME_R_STUMPS,
    GaussianMixture(),
    GaussianMixture(n_components=2, n_init=2, init_params="k-means++"),
    BayesianGaussianMixture(),
    BayesianGaussianMixture(n_components=2, n_init=2, init_params="k-means++",
                            weight_concentration_prior_type="dirichlet_distribution"),
    GaussianMixture(n_components=2, accelerate="squarem"),
]


def _check_name(check) -> str:
    return getattr(check, "func", check).__name__


def _all_checks():
    for est in ESTIMATORS:
        yield from estimator_checks_generator(est, legacy=True, mark="skip")


def _id(value):
    if callable(value) and not hasattr(value, "get_params"):
        return _check_name(value)
    return type(value).__name__ + "(" + ",".join(
        f"{k}={v}" for k, v in value.get_params(deep=False).items()
        if k in ("n_estimators", "n_components", "n_init", "init_params", "estimator",
                 "accelerate", "algorithm")
        and v is not None) + ")"


CHECKS = [(e, c) for e, c in _all_checks() if _check_name(c) not in NOT_MET]


@pytest.mark.parametrize("estimator, check", CHECKS, ids=_id)
def test_sklearn_conformance(estimator, check):
    known = KNOWN_FAILURES.get((id(estimator), _check_name(check)))
    if known is None:
        check(estimator)
        return
    with pytest.raises(AssertionError, match="not equivalent"):   # still fails, for that reason
        check(estimator)


def test_only_the_listed_checks_are_left_out():
    left_out = {_check_name(c) for _, c in _all_checks()} - {_check_name(c) for _, c in CHECKS}
    assert left_out == set(NOT_MET), left_out
    assert len(NOT_MET) <= 3
    assert len(CHECKS) > 100


# --------------------------------------------------------------- MultiClassAdaBoost

def test_adaboost_pipeline_and_clone():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), MultiClassAdaBoost(n_estimators=20)).fit(X, y)
    # stumps only compare values within a feature: standardising changes no prediction
    plain = MultiClassAdaBoost(n_estimators=20).fit(X, y)
    assert np.array_equal(pipe.predict(X), plain.predict(X))
    fresh = clone(pipe)
    assert not hasattr(fresh[-1], "estimators_")
    assert fresh.get_params()["multiclassadaboost__n_estimators"] == 20


def test_adaboost_grid_search_and_cross_val_score():
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4, n_classes=3,
                               n_clusters_per_class=1, random_state=0)
    grid = GridSearchCV(MultiClassAdaBoost(), {"n_estimators": [1, 30],
                                               "learning_rate": [0.5, 1.0]}, cv=3).fit(X, y)
    assert grid.best_params_["n_estimators"] == 30        # one stump cannot name 3 classes
    scores = cross_val_score(MultiClassAdaBoost(n_estimators=30), X, y, cv=3)
    ref = cross_val_score(AdaBoostClassifier(DecisionTreeClassifier(max_depth=1),
                                             n_estimators=30), X, y, cv=3)
    assert scores.shape == (3,)
    # sanity against scikit-learn's own AdaBoost on the same folds (another stump rule)
    assert abs(scores.mean() - ref.mean()) < 0.15


def test_adaboost_roc_auc_on_a_binary_problem_equals_sklearns():
    X, y = make_classification(n_samples=400, n_features=6, random_state=2)
    Xtr, Xte, ytr, yte = X[:300], X[300:], y[:300], y[300:]
    base = DecisionTreeClassifier(max_depth=1)
    me = MultiClassAdaBoost(n_estimators=30, estimator=base, random_state=0).fit(Xtr, ytr)
    sk = AdaBoostClassifier(base, n_estimators=30, random_state=0).fit(Xtr, ytr)
    d_me, d_sk = me.decision_function(Xte), sk.decision_function(Xte)
    assert d_me.shape == d_sk.shape == (100,)
    # sklearn's binary score: sum_t beta_t (+1 if f_t = 1 else -1) twice (both columns),
    # over sum(beta), with beta = K/(K-1) alpha = 2 alpha: 4 (g^1 - g^0) / sum(beta)
    np.testing.assert_allclose(d_sk, d_me * 4 / sk.estimator_weights_.sum(), atol=1e-12)
    assert roc_auc_score(yte, d_me) == pytest.approx(roc_auc_score(yte, d_sk), abs=1e-12)


# --------------------------------------------------------------- GaussianMixture

X_IRIS = load_iris().data


def test_pipeline_with_standard_scaler():
    pipe = make_pipeline(StandardScaler(), GaussianMixture(3, random_state=0)).fit(X_IRIS)
    Z = StandardScaler().fit_transform(X_IRIS)
    ref = SkGaussianMixture(3, random_state=0).fit(Z)
    assert pipe.score(X_IRIS) == pytest.approx(ref.score(Z), rel=1e-10)
    assert (pipe.predict(X_IRIS) == ref.predict(Z)).all()


def test_clone_keeps_parameters_and_drops_fitted_state():
    gm = GaussianMixture(3, reg_covar=1e-4, random_state=1).fit(X_IRIS)
    c = clone(gm)
    assert c.get_params() == gm.get_params()
    assert not hasattr(c, "means_")
    with pytest.raises(NotFittedError):
        c.score(X_IRIS)


def test_grid_search_over_n_components_picks_the_same_as_sklearn():
    grid = {"n_components": [1, 2, 3, 4]}
    ours = GridSearchCV(GaussianMixture(random_state=0), grid, cv=3).fit(X_IRIS)
    ref = GridSearchCV(SkGaussianMixture(random_state=0), grid, cv=3).fit(X_IRIS)
    assert ours.best_params_ == ref.best_params_
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"],
                               ref.cv_results_["mean_test_score"], rtol=1e-8)


def test_cross_val_score_equals_sklearn():
    ours = cross_val_score(GaussianMixture(3, random_state=0), X_IRIS, cv=5)
    ref = cross_val_score(SkGaussianMixture(3, random_state=0), X_IRIS, cv=5)
    np.testing.assert_allclose(ours, ref, rtol=1e-8)


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random"])
@pytest.mark.parametrize("n_init", [1, 3])
def test_default_initialisations_equal_sklearn(init_params, n_init):
    kw = dict(init_params=init_params, n_init=n_init, random_state=0, max_iter=300)
    ours = GaussianMixture(3, **kw).fit(X_IRIS)
    ref = SkGaussianMixture(3, **kw).fit(X_IRIS)
    # With n_init > 1, two starts can reach the same optimum with the components in
    # another order and log-likelihoods equal to the last bits; which one is kept is then
    # decided by rounding. Compare up to that relabelling (the nearest mean).
    order = np.argmin(((ours.means_[:, None] - ref.means_[None]) ** 2).sum(axis=2), axis=0)
    assert sorted(order) == list(range(3))
    assert n_init > 1 or list(order) == [0, 1, 2]
    assert ours.n_iter_ == ref.n_iter_ or list(order) != [0, 1, 2]
    for name in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"):
        np.testing.assert_allclose(getattr(ours, name)[order], getattr(ref, name), rtol=1e-8,
                                   atol=1e-8, err_msg=name)
    assert ours.lower_bound_ == pytest.approx(ref.lower_bound_, rel=1e-10)
    assert ours.bic(X_IRIS) == pytest.approx(ref.bic(X_IRIS), rel=1e-10)
    assert ours.aic(X_IRIS) == pytest.approx(ref.aic(X_IRIS), rel=1e-10)
    relabel = np.argsort(order)  # our label j is reference label relabel[j]
    assert (relabel[ours.fit_predict(X_IRIS)] == ref.fit_predict(X_IRIS)).all()


def test_precisions_init_equals_sklearn_to_1e8():
    P = np.linalg.inv(np.repeat(np.cov(X_IRIS.T)[None], 3, axis=0))
    kw = dict(weights_init=[0.2, 0.3, 0.5], means_init=X_IRIS[[0, 60, 120]], precisions_init=P,
              max_iter=40, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = GaussianMixture(3, **kw).fit(X_IRIS)
        ref = SkGaussianMixture(3, **kw).fit(X_IRIS)
    np.testing.assert_allclose(ours.means_, ref.means_, atol=1e-8)
    np.testing.assert_allclose(ours.covariances_, ref.covariances_, atol=1e-8)
    np.testing.assert_allclose(ours.lower_bounds_, ref.lower_bounds_, rtol=1e-10)


def test_convergence_warning_when_max_iter_runs_out():
    with pytest.warns(ConvergenceWarning):
        GaussianMixture(3, max_iter=2, tol=0.0, random_state=0).fit(X_IRIS)


def test_precisions_follow_an_edited_covariance():
    gm = GaussianMixture(2, random_state=0).fit(X_IRIS)
    before = gm.score(X_IRIS)
    gm.covariances_ = gm.covariances_ * 4.0
    np.testing.assert_allclose(gm.precisions_, np.linalg.inv(gm.covariances_), rtol=1e-10)
    U = gm.precisions_cholesky_
    np.testing.assert_allclose(U @ np.swapaxes(U, 1, 2), gm.precisions_, rtol=1e-10)
    assert np.allclose(np.tril(U[0], -1), 0)                 # upper triangular, as sklearn
    ref = SkGaussianMixture(2).fit(X_IRIS)
    ref.weights_, ref.means_ = gm.weights_, gm.means_
    ref.covariances_, ref.precisions_cholesky_ = gm.covariances_, U
    assert gm.score(X_IRIS) == pytest.approx(ref.score(X_IRIS), rel=1e-12)
    assert gm.score(X_IRIS) < before


def test_feature_names_from_a_data_frame():
    import pandas as pd
    df = pd.DataFrame(X_IRIS, columns=["a", "b", "c", "d"])
    gm = GaussianMixture(2, random_state=0).fit(df)
    assert list(gm.feature_names_in_) == ["a", "b", "c", "d"]
    assert gm.n_features_in_ == 4


def test_random_from_data_uses_distinct_points():
    """Duplicated rows must not start two identical components."""
    Xd = np.repeat(np.array([[0.0, 0.0], [5.0, 5.0], [0.0, 9.0]]), [50, 1, 1], axis=0)
    for seed in range(20):
        gm = GaussianMixture(3, init_params="random_from_data", random_state=seed)
        w, m, _ = gm._initial_parameters(Xd, np.random.RandomState(seed))
        assert len(np.unique(m, axis=0)) == 3
    with pytest.raises(ValueError, match="needs n_components = 3 distinct points"):
        GaussianMixture(3, init_params="random_from_data").fit(np.ones((10, 2)))
