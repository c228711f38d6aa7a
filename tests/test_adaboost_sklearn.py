"""MultiClassAdaBoost is a real scikit-learn estimator (issue 17, deliverable 2).

scikit-learn's own conformance suite runs over it, and the tools a user reaches
for (Pipeline, clone, GridSearchCV, cross_val_score, roc_auc_score) accept it.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, make_classification
from sklearn.ensemble import AdaBoostClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from mlhwlib.adaboost import MultiClassAdaBoost

# Every check of scikit-learn's suite passes (pandas is not installed here, so the
# data-frame checks are skipped by scikit-learn itself): no expected failures.
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


@parametrize_with_checks(
    [MultiClassAdaBoost(n_estimators=10),
     MultiClassAdaBoost(n_estimators=5, estimator=DecisionTreeClassifier(max_depth=2))],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_conformance(estimator, check):
    check(estimator)


def test_pipeline_and_clone():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), MultiClassAdaBoost(n_estimators=20)).fit(X, y)
    # stumps only compare values within a feature: standardising changes no prediction
    plain = MultiClassAdaBoost(n_estimators=20).fit(X, y)
    assert np.array_equal(pipe.predict(X), plain.predict(X))
    fresh = clone(pipe)
    assert not hasattr(fresh[-1], "estimators_")
    assert fresh.get_params()["multiclassadaboost__n_estimators"] == 20


def test_grid_search_and_cross_val_score():
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


def test_roc_auc_on_a_binary_problem_equals_sklearns():
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
