"""mlhwlib.gmm.BayesianGaussianMixture: variational Bayesian mixtures equal to scikit-learn's.

The reference is scikit-learn's own ``sklearn.mixture.BayesianGaussianMixture``
(an independent implementation: per-component loops, ``np.exp(log_resp)``
responsibilities, no fused pass): with the same data, parameters and
``random_state`` every fitted attribute must agree to ``1e-8`` and ``n_iter_``
must be the same.  The lower bound must never decrease along a run
(coordinate ascent on the ELBO), and a small weight concentration must switch
surplus components off.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture as SkBGM

from mlhwlib.gmm import BayesianGaussianMixture

X_IRIS = load_iris().data
X_BLOBS, _ = make_blobs(n_samples=300, centers=[[0, 0], [6, 0], [0, 7]],
                        cluster_std=[1.0, 1.5, 0.7], random_state=3)
X_1D = np.concatenate([np.random.RandomState(0).normal(0, 1, 80),
                       np.random.RandomState(1).normal(5, 0.5, 40)])[:, None]
DATA = {"iris": X_IRIS, "blobs": X_BLOBS, "1d": X_1D}

ATTRS = ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_",
         "mean_precision_", "degrees_of_freedom_", "mean_prior_", "covariance_prior_",
         "degrees_of_freedom_prior_", "mean_precision_prior_", "weight_concentration_prior_")

CONFIGS = [
    dict(n_components=4),
    dict(n_components=5, weight_concentration_prior_type="dirichlet_distribution"),
    dict(n_components=4, init_params="k-means++", n_init=3),
    dict(n_components=4, init_params="random", weight_concentration_prior=10.0),
    dict(n_components=5, init_params="random_from_data", n_init=2,
         weight_concentration_prior_type="dirichlet_distribution"),
    dict(n_components=6, weight_concentration_prior=1e-3),               # switches some off
    dict(n_components=3, mean_precision_prior=0.05, degrees_of_freedom_prior=9.5,
         tol=1e-6, reg_covar=1e-3),
]


def _fit_both(X, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return BayesianGaussianMixture(**kw).fit(X), SkBGM(**kw).fit(X)


def _assert_equal_fits(ours, ref, X):
    assert ours.n_iter_ == ref.n_iter_
    assert ours.converged_ == ref.converged_
    for name in ATTRS:
        np.testing.assert_allclose(getattr(ours, name), getattr(ref, name), rtol=1e-8,
                                   atol=1e-8, err_msg=name)
    np.testing.assert_allclose(np.asarray(ours.weight_concentration_),
                               np.asarray(ref.weight_concentration_), rtol=1e-8, atol=1e-8)
    assert ours.lower_bound_ == pytest.approx(ref.lower_bound_, rel=1e-10)
    np.testing.assert_allclose(ours.lower_bounds_, ref.lower_bounds_, rtol=1e-10)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-8)
    np.testing.assert_allclose(ours.score_samples(X), ref.score_samples(X), rtol=1e-10)
    assert ours.score(X) == pytest.approx(ref.score(X), rel=1e-10)
    assert (ours.predict(X) == ref.predict(X)).all()


@pytest.mark.parametrize("data", sorted(DATA))
@pytest.mark.parametrize("config", range(len(CONFIGS)))
def test_fit_equals_sklearn(data, config):
    X = DATA[data]
    kw = dict(CONFIGS[config], random_state=config, max_iter=400)
    ours, ref = _fit_both(X, **kw)
    _assert_equal_fits(ours, ref, X)
    if data == "blobs" and config == 5:       # the equality covers switched-off components
        assert np.sum(ours.weights_ < 1e-3) == 3


@pytest.mark.parametrize("scale", [1e-6, 1e6, 1e100])
def test_equal_to_sklearn_at_extreme_scales(scale):
    X = X_BLOBS * scale + 3 * scale
    _assert_equal_fits(*_fit_both(X, n_components=3, random_state=0), X)


@pytest.mark.parametrize("prior_type", ["dirichlet_process", "dirichlet_distribution"])
def test_non_default_priors_equal_sklearn(prior_type):
    kw = dict(n_components=4, weight_concentration_prior_type=prior_type,
              weight_concentration_prior=0.3, mean_precision_prior=0.2,
              mean_prior=[5.0, 3.0, 4.0, 1.0], degrees_of_freedom_prior=6.0,
              covariance_prior=0.1 * np.eye(4) + 0.02, random_state=7, max_iter=400)
    ours, ref = _fit_both(X_IRIS, **kw)
    _assert_equal_fits(ours, ref, X_IRIS)
    assert ours.fit_predict(X_IRIS).tolist() == ref.fit_predict(X_IRIS).tolist()


def test_max_iter_stop_equals_sklearn_and_warns():
    with pytest.warns(ConvergenceWarning):
        ours = BayesianGaussianMixture(n_components=3, max_iter=3, tol=0.0,
                                       random_state=0).fit(X_IRIS)
    with pytest.warns(ConvergenceWarning):
        ref = SkBGM(n_components=3, max_iter=3, tol=0.0, random_state=0).fit(X_IRIS)
    assert ours.n_iter_ == 3 and not ours.converged_
    _assert_equal_fits(ours, ref, X_IRIS)


@pytest.mark.parametrize("prior_type", ["dirichlet_process", "dirichlet_distribution"])
@pytest.mark.parametrize("seed", range(5))
def test_lower_bound_never_decreases(prior_type, seed):
    """Each update maximises the ELBO over one factor of q: the bound is non-decreasing
    (with reg_covar = 0; the ridge would make the update of q(mu, Lambda) inexact)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        bgm = BayesianGaussianMixture(n_components=6, init_params="random", tol=0.0, reg_covar=0.0,
                                      max_iter=150, random_state=seed,
                                      weight_concentration_prior_type=prior_type).fit(X_BLOBS)
    lb = np.asarray(bgm.lower_bounds_)
    assert len(lb) == 150
    steps = np.diff(lb)
    # rounding of a sum of N = 300 terms of size ~10: 1e-9 is far above it
    assert steps.min() > -1e-9, steps.min()
    assert lb[-1] - lb[0] > 1.0          # and it really climbs


def _occupied(bgm, n):
    """Components with more than 1 % of the points: N_k read off q(pi)'s parameters."""
    conc = bgm.weight_concentration_
    nk = (conc[0] - 1.0 if isinstance(conc, tuple)
          else conc - bgm.weight_concentration_prior_)
    return int(np.sum(nk > 0.01 * n))


def test_small_concentration_switches_surplus_components_off():
    """Three separated clusters, K = 8: with alpha_0 = 1e-3 the surplus components
    empty (N_k -> 0); with a Dirichlet alpha_0 = 10 they do not (clusters split)."""
    n = len(X_BLOBS)
    counts = {}
    for prior_type, alpha in [("dirichlet_process", 1e-3), ("dirichlet_distribution", 1e-3),
                              ("dirichlet_distribution", 10.0)]:
        counts[prior_type, alpha] = []
        for seed in range(5):
            bgm = BayesianGaussianMixture(n_components=8, weight_concentration_prior=alpha,
                                          weight_concentration_prior_type=prior_type,
                                          max_iter=1000, random_state=seed).fit(X_BLOBS)
            counts[prior_type, alpha].append(_occupied(bgm, n))
            if _occupied(bgm, n) == 3:
                kept = np.sort(bgm.weights_)[-3:]
                np.testing.assert_allclose(kept, [1 / 3] * 3, atol=0.02)
    assert counts["dirichlet_process", 1e-3] == [3] * 5
    # one seed of the Dirichlet ends with a cluster split in two (a local optimum)
    assert sorted(counts["dirichlet_distribution", 1e-3]) == [3, 3, 3, 3, 4]
    assert counts["dirichlet_distribution", 10.0] == [8] * 5


def test_bayesian_mixture_uses_the_em_pass_of_gaussian_mixture():
    """With a huge weight concentration and a vanishing prior the variational E-step is
    EM's (the expected log-weights tend to log(1/K)), so one step from the same hard
    responsibilities moves the means as GaussianMixture's equal-weight EM step does."""
    from mlhwlib import _gmm_core
    X = X_BLOBS
    resp = np.zeros((len(X), 3))
    resp[np.arange(len(X)), np.argmin([np.abs(X[:, 0] - c) + np.abs(X[:, 1] - e)
                                       for c, e in [(0, 0), (6, 0), (0, 7)]], axis=0)] = 1
    nk = resp.sum(axis=0)
    means = resp.T @ X / nk[:, None]
    covs = np.stack([np.cov(X[resp[:, k] == 1].T, bias=True) for k in range(3)])
    W = _gmm_core._whiteners(np.linalg.cholesky(covs))
    shift = X.mean(axis=0)
    ref = _gmm_core._em_iteration(X, np.full(3, 1 / 3), means, W, 0.0, shift)
    out = _gmm_core._em_iteration(X, None, means, W, 0.0, shift,
                                  log_weights=np.log(np.full(3, 1 / 3)))
    for a, b in zip(ref, out):
        np.testing.assert_allclose(a, b, rtol=1e-13)
    ent = np.zeros(1)
    _gmm_core._em_iteration(X, np.full(3, 1 / 3), means, W, 0.0, shift, entropy=ent)
    gamma = _gmm_core.responsibilities(X, np.full(3, 1 / 3), means, covs)
    with np.errstate(divide="ignore", invalid="ignore"):
        ref_ent = np.sum(np.where(gamma > 0, gamma * np.log(gamma), 0.0))
    assert ent[0] == pytest.approx(ref_ent, rel=1e-10)
