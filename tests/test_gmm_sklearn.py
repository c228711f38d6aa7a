"""mlhwlib.gmm.GaussianMixture is a scikit-learn estimator: the conformance suite and real use."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.mixture import GaussianMixture as SkGaussianMixture
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from mlhwlib.gmm import GaussianMixture

#: Checks we deliberately do not meet (at most three, each a design choice).
EXPECTED_FAILED_CHECKS = {}


@parametrize_with_checks([GaussianMixture(), GaussianMixture(n_components=2, n_init=2,
                                                              init_params="k-means++")],
                         expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_sklearn_conformance(estimator, check):
    check(estimator)


X = load_iris().data


def test_pipeline_with_standard_scaler():
    pipe = make_pipeline(StandardScaler(), GaussianMixture(3, random_state=0)).fit(X)
    Z = StandardScaler().fit_transform(X)
    ref = SkGaussianMixture(3, random_state=0).fit(Z)
    assert pipe.score(X) == pytest.approx(ref.score(Z), rel=1e-10)
    assert (pipe.predict(X) == ref.predict(Z)).all()


def test_clone_keeps_parameters_and_drops_fitted_state():
    gm = GaussianMixture(3, reg_covar=1e-4, random_state=1).fit(X)
    c = clone(gm)
    assert c.get_params() == gm.get_params()
    assert not hasattr(c, "means_")
    with pytest.raises(NotFittedError):
        c.score(X)


def test_grid_search_over_n_components_picks_the_same_as_sklearn():
    grid = {"n_components": [1, 2, 3, 4]}
    ours = GridSearchCV(GaussianMixture(random_state=0), grid, cv=3).fit(X)
    ref = GridSearchCV(SkGaussianMixture(random_state=0), grid, cv=3).fit(X)
    assert ours.best_params_ == ref.best_params_
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"],
                               ref.cv_results_["mean_test_score"], rtol=1e-8)


def test_cross_val_score_equals_sklearn():
    ours = cross_val_score(GaussianMixture(3, random_state=0), X, cv=5)
    ref = cross_val_score(SkGaussianMixture(3, random_state=0), X, cv=5)
    np.testing.assert_allclose(ours, ref, rtol=1e-8)


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random"])
@pytest.mark.parametrize("n_init", [1, 3])
def test_default_initialisations_equal_sklearn(init_params, n_init):
    kw = dict(init_params=init_params, n_init=n_init, random_state=0, max_iter=300)
    ours = GaussianMixture(3, **kw).fit(X)
    ref = SkGaussianMixture(3, **kw).fit(X)
    assert ours.n_iter_ == ref.n_iter_
    for name in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(ref, name), rtol=1e-8,
                                   atol=1e-8, err_msg=name)
    assert ours.lower_bound_ == pytest.approx(ref.lower_bound_, rel=1e-10)
    assert ours.bic(X) == pytest.approx(ref.bic(X), rel=1e-10)
    assert ours.aic(X) == pytest.approx(ref.aic(X), rel=1e-10)
    assert (ours.fit_predict(X) == ref.fit_predict(X)).all()


def test_precisions_init_equals_sklearn_to_1e8():
    P = np.linalg.inv(np.repeat(np.cov(X.T)[None], 3, axis=0))
    kw = dict(weights_init=[0.2, 0.3, 0.5], means_init=X[[0, 60, 120]], precisions_init=P,
              max_iter=40, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = GaussianMixture(3, **kw).fit(X)
        ref = SkGaussianMixture(3, **kw).fit(X)
    np.testing.assert_allclose(ours.means_, ref.means_, atol=1e-8)
    np.testing.assert_allclose(ours.covariances_, ref.covariances_, atol=1e-8)
    np.testing.assert_allclose(ours.lower_bounds_, ref.lower_bounds_, rtol=1e-10)


def test_convergence_warning_when_max_iter_runs_out():
    with pytest.warns(ConvergenceWarning):
        GaussianMixture(3, max_iter=2, tol=0.0, random_state=0).fit(X)


def test_precisions_follow_an_edited_covariance():
    gm = GaussianMixture(2, random_state=0).fit(X)
    before = gm.score(X)
    gm.covariances_ = gm.covariances_ * 4.0
    np.testing.assert_allclose(gm.precisions_, np.linalg.inv(gm.covariances_), rtol=1e-10)
    U = gm.precisions_cholesky_
    np.testing.assert_allclose(U @ np.swapaxes(U, 1, 2), gm.precisions_, rtol=1e-10)
    assert np.allclose(np.tril(U[0], -1), 0)                 # upper triangular, as sklearn
    ref = SkGaussianMixture(2).fit(X)
    ref.weights_, ref.means_ = gm.weights_, gm.means_
    ref.covariances_, ref.precisions_cholesky_ = gm.covariances_, U
    assert gm.score(X) == pytest.approx(ref.score(X), rel=1e-12)
    assert gm.score(X) < before


def test_feature_names_from_a_data_frame():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
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
