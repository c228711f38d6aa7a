"""Tests for mlhwlib.gmm: against loop-based reference code written here, scipy and scikit-learn."""

import warnings

import numpy as np
import pytest
from conftest import cases
from scipy.special import logsumexp as sp_logsumexp
from scipy.stats import multivariate_normal
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SkGaussianMixture

from mlhwlib.gmm import GaussianMixture, em_step, log_likelihood, responsibilities


# ---------------------------------------------------------------- reference code
def ref_log_density(x, mean, cov):
    """Plain formula for log N(x | mean, cov), one point, with det and inverse (test only)."""
    d = len(x)
    diff = x - mean
    sign, logdet = np.linalg.slogdet(cov)
    assert sign > 0
    return -0.5 * (d * np.log(2 * np.pi) + logdet + diff @ np.linalg.inv(cov) @ diff)


def ref_e_step(X, w, m, C):
    N, K = len(X), len(w)
    logp = np.empty((N, K))
    for i in range(N):
        for k in range(K):
            logp[i, k] = np.log(w[k]) + ref_log_density(X[i], m[k], C[k])
    lse = sp_logsumexp(logp, axis=1)
    return np.exp(logp - lse[:, None]), float(lse.sum())


def ref_m_step(X, gamma, reg):
    N, d = X.shape
    K = gamma.shape[1]
    w = np.empty(K)
    m = np.empty((K, d))
    C = np.empty((K, d, d))
    for k in range(K):
        nk = sum(gamma[i, k] for i in range(N))
        w[k] = nk / N
        m[k] = sum(gamma[i, k] * X[i] for i in range(N)) / nk
        C[k] = sum(gamma[i, k] * np.outer(X[i] - m[k], X[i] - m[k]) for i in range(N)) / nk
        C[k] += reg * np.eye(d)
    return w, m, C


def make_data(rng, N=300, d=3, K=3, offset=0.0, spread=4.0):
    centers = rng.normal(scale=spread, size=(K, d)) + offset
    lab = rng.integers(K, size=N)
    A = rng.normal(size=(K, d, d)) * 0.4 + np.eye(d)
    X = centers[lab] + np.einsum("nij,nj->ni", A[lab], rng.normal(size=(N, d)))
    return X


def random_params(rng, X, K):
    N, d = X.shape
    w = rng.dirichlet(np.ones(K) * 3)
    m = X[rng.choice(N, K, replace=False)] + rng.normal(scale=0.1, size=(K, d))
    C = np.empty((K, d, d))
    for k in range(K):
        B = rng.normal(size=(d, d))
        C[k] = B @ B.T / d + np.eye(d)
    return w, m, C


def sk_model(w, m, C, **kw):
    return SkGaussianMixture(len(w), covariance_type="full", weights_init=w, means_init=m,
                             precisions_init=np.linalg.inv(C), **kw)


# ---------------------------------------------------------------- E-step, likelihood
@pytest.mark.parametrize("d,K", [(1, 2), (2, 3), (4, 5)])
def test_responsibilities_and_loglik_match_loop_reference(d, K):
    rng = np.random.default_rng(d * 10 + K)
    X = make_data(rng, N=120, d=d, K=K)
    w, m, C = random_params(rng, X, K)
    gamma_ref, ll_ref = ref_e_step(X, w, m, C)
    gamma = responsibilities(X, w, m, C)
    assert gamma.shape == (120, K)
    np.testing.assert_allclose(gamma, gamma_ref, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(gamma.sum(axis=1), 1.0, atol=1e-13)
    assert log_likelihood(X, w, m, C) == pytest.approx(ll_ref, rel=1e-12)


def test_loglik_matches_scipy():
    rng = np.random.default_rng(1)
    X = make_data(rng, N=200, d=3, K=2)
    w, m, C = random_params(rng, X, 2)
    dens = sum(w[k] * multivariate_normal(m[k], C[k]).pdf(X) for k in range(2))
    assert log_likelihood(X, w, m, C) == pytest.approx(float(np.log(dens).sum()), rel=1e-11)


def test_far_points_have_finite_loglik():
    d = 3
    X = np.array([[1e3, 0.0, 0.0], [0.0, -2e3, 0.0]])
    w = np.array([0.5, 0.5])
    m = np.zeros((2, d))
    C = np.stack([np.eye(d), 4 * np.eye(d)])
    ll = log_likelihood(X, w, m, C)
    # closed form: logsumexp over components of log(0.5) + log N(x | 0, s^2 I)
    expect = 0.0
    for x in X:
        terms = [np.log(0.5) - 0.5 * (x @ x) / s2 - 0.5 * d * np.log(2 * np.pi * s2) for s2 in (1, 4)]
        expect += np.logaddexp(*terms)
    assert np.isfinite(ll)
    assert ll == pytest.approx(expect, rel=1e-13)
    g = responsibilities(X, w, m, C)
    assert np.all(np.isfinite(g)) and np.allclose(g.sum(axis=1), 1.0)
    assert g[0, 1] == pytest.approx(1.0)  # the wide component explains the far point


def test_zero_weight_component_is_allowed():
    rng = np.random.default_rng(2)
    X = make_data(rng, N=50, d=2, K=2)
    w, m, C = random_params(rng, X, 3)
    w = np.array([0.6, 0.4, 0.0])
    g = responsibilities(X, w, m, C)
    assert np.all(g[:, 2] == 0.0)
    ll2 = log_likelihood(X, w[:2], m[:2], C[:2])
    assert log_likelihood(X, w, m, C) == pytest.approx(ll2, rel=1e-13)


# ---------------------------------------------------------------- M-step, EM
@pytest.mark.parametrize("reg", [0.0, 1e-3])
def test_em_step_matches_loop_reference(reg):
    rng = np.random.default_rng(3)
    X = make_data(rng, N=150, d=3, K=3)
    w, m, C = random_params(rng, X, 3)
    gamma, _ = ref_e_step(X, w, m, C)
    w_ref, m_ref, C_ref = ref_m_step(X, gamma, reg)
    w1, m1, C1 = em_step(X, w, m, C, reg_covar=reg)
    np.testing.assert_allclose(w1, w_ref, rtol=1e-11)
    np.testing.assert_allclose(m1, m_ref, rtol=1e-10, atol=1e-11)
    np.testing.assert_allclose(C1, C_ref, rtol=1e-10, atol=1e-11)


def test_em_step_far_offset_uses_exact_covariances():
    """Clusters 1e4 standard deviations from the data mean: the one-pass moment
    formula would lose ~8 digits; the result must still match the loop reference."""
    rng = np.random.default_rng(4)
    X1 = rng.normal(size=(80, 2)) * 0.01 + np.array([1e2, 5e1])
    X2 = rng.normal(size=(80, 2)) * 0.01 - np.array([1e2, 5e1])
    X = np.vstack([X1, X2])
    w = np.array([0.5, 0.5])
    m = np.array([[1e2, 5e1], [-1e2, -5e1]]) + 0.001
    C = np.stack([np.eye(2) * 1e-4] * 2)
    gamma, _ = ref_e_step(X, w, m, C)
    _, m_ref, C_ref = ref_m_step(X, gamma, 0.0)
    _, m1, C1 = em_step(X, w, m, C)
    np.testing.assert_allclose(m1, m_ref, rtol=1e-13)
    np.testing.assert_allclose(C1, C_ref, rtol=1e-9)


def test_one_step_matches_sklearn_to_1e10():
    rng = np.random.default_rng(5)
    X = make_data(rng, N=500, d=4, K=3)
    w, m, C = random_params(rng, X, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk = sk_model(w, m, C, max_iter=1, reg_covar=0.0).fit(X)
    w1, m1, C1 = em_step(X, w, m, C, reg_covar=0.0)
    assert np.max(np.abs(w1 - sk.weights_)) < 1e-10
    assert np.max(np.abs(m1 - sk.means_)) < 1e-10
    assert np.max(np.abs(C1 - sk.covariances_)) < 1e-10


def test_full_fit_matches_sklearn():
    rng = np.random.default_rng(6)
    X = make_data(rng, N=2000, d=3, K=4)
    w, m, C = random_params(rng, X, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk = sk_model(w, m, C, max_iter=30, tol=0.0, reg_covar=1e-6).fit(X)
    g = GaussianMixture(4, max_iter=30, tol=0.0, reg_covar=1e-6, weights_init=w,
                        means_init=m, covariances_init=C).fit(X)
    assert g.n_iter_ == 30 and not g.converged_
    assert np.max(np.abs(g.means_ - sk.means_)) < 1e-8
    assert np.max(np.abs(g.covariances_ - sk.covariances_)) < 1e-8
    assert np.max(np.abs(g.weights_ - sk.weights_)) < 1e-10
    assert g.lower_bound_ == pytest.approx(sk.lower_bound_, abs=1e-10)
    X_new = make_data(np.random.default_rng(60), N=100, d=3, K=4)
    assert g.score(X_new) == pytest.approx(sk.score(X_new), abs=1e-8)
    np.testing.assert_allclose(g.predict_proba(X_new), sk.predict_proba(X_new), atol=1e-8)
    np.testing.assert_array_equal(g.predict(X_new), sk.predict(X_new))


def test_lower_bound_is_loglik_before_last_m_step():
    rng = np.random.default_rng(7)
    X = make_data(rng, N=300, d=2, K=2)
    w, m, C = random_params(rng, X, 2)
    params = (w, m, C)
    lls = []
    for _ in range(5):
        lls.append(log_likelihood(X, *params) / len(X))
        params = em_step(X, *params, reg_covar=1e-6)
    g = GaussianMixture(2, max_iter=5, tol=0.0, weights_init=w, means_init=m,
                        covariances_init=C).fit(X)
    np.testing.assert_allclose(g.lower_bounds_, lls, rtol=1e-12)
    assert g.lower_bound_ == pytest.approx(lls[-1], rel=1e-12)
    np.testing.assert_allclose(g.means_, params[1], rtol=1e-12)


def test_em_is_monotone_over_50_steps():
    for seed in range(3):
        rng = np.random.default_rng(100 + seed)
        X = rng.standard_t(df=3, size=(400, 2))  # data that is not a mixture of Gaussians
        w, m, C = random_params(rng, X, 4)
        prev = log_likelihood(X, w, m, C)
        params = (w, m, C)
        for _ in range(50):
            params = em_step(X, *params, reg_covar=0.0)
            cur = log_likelihood(X, *params)
            assert cur >= prev - 1e-9 * abs(prev)
            prev = cur


def test_tol_stops_early_and_sets_converged():
    rng = np.random.default_rng(8)
    X = make_data(rng, N=400, d=2, K=2, spread=8)
    g = GaussianMixture(2, max_iter=500, tol=1e-6, random_state=0).fit(X)
    assert g.converged_ and g.n_iter_ < 500
    diffs = np.diff(g.lower_bounds_)
    assert abs(diffs[-1]) < 1e-6 and np.all(np.abs(diffs[:-1]) >= 1e-6)


def test_sample_statistics():
    w = np.array([0.3, 0.7])
    m = np.array([[0.0, 0.0], [10.0, -5.0]])
    C = np.stack([np.eye(2), np.array([[2.0, 0.5], [0.5, 1.0]])])
    g = GaussianMixture(2, max_iter=1, weights_init=w, means_init=m, covariances_init=C,
                        random_state=3)
    g.weights_, g.means_, g.covariances_ = w, m, C
    Xs, lab = g.sample(40000)
    assert Xs.shape == (40000, 2) and lab.shape == (40000,)
    assert abs(np.mean(lab == 1) - 0.7) < 0.01
    np.testing.assert_allclose(Xs[lab == 1].mean(axis=0), m[1], atol=0.05)
    np.testing.assert_allclose(np.cov(Xs[lab == 1].T), C[1], atol=0.06)
    Xs2, _ = g.sample(40000)
    np.testing.assert_array_equal(Xs, Xs2)


def test_collapse_without_reg_raises_and_reg_prevents_it():
    rng = np.random.default_rng(9)
    X = np.vstack([rng.normal(size=(60, 2)), [[40.0, 40.0]]])  # one isolated point
    w = np.array([0.5, 0.5])
    m = np.array([[0.0, 0.0], [40.0, 40.0]])
    C = np.stack([np.eye(2), np.eye(2)])
    with pytest.raises(ValueError, match="reg_covar"):
        GaussianMixture(2, max_iter=5, tol=0.0, reg_covar=0.0, weights_init=w, means_init=m,
                        covariances_init=C).fit(X)
    g = GaussianMixture(2, max_iter=5, tol=0.0, reg_covar=1e-3, weights_init=w, means_init=m,
                        covariances_init=C).fit(X)
    np.testing.assert_allclose(g.covariances_[1], 1e-3 * np.eye(2), rtol=1e-9, atol=1e-15)
    assert np.isfinite(g.lower_bound_)


# Bad input: tests/test_input_validation.py.


# ---------------------------------------------------------------- library defects (issue 16)
def _thin_cluster(rng, center, angle, n=200, long=3.0, short=1e-7):
    R = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return (rng.normal(size=(n, 2)) * [long, short]) @ R.T + center


@pytest.mark.parametrize("seed", range(10))
def test_thin_tilted_far_clusters_keep_positive_definite_covariances(seed):
    """Condition ~1e15 and means 50 units from the data mean: the one-pass formula alone
    gives a smallest eigenvalue of about -2e-13 here (the earlier, diagonal-only guard);
    the whitened guard switches to two passes, and the next step proceeds as scikit-learn.
    The eigenvalues are tested, not only definiteness: the not-positive-definite fallback
    alone rescues definiteness while leaving lambda_min wrong by up to ~60x."""
    rng = np.random.default_rng(seed)
    X = np.vstack([_thin_cluster(rng, [30, 40], 0.7), _thin_cluster(rng, [-30, -40], -0.4)])
    w, m = np.array([0.5, 0.5]), np.array([[30.0, 40.0], [-30.0, -40.0]])
    C = np.stack([np.eye(2)] * 2)
    w1, m1, C1 = em_step(X, w, m, C)
    assert np.all(np.linalg.eigvalsh(C1)[:, 0] > 0)
    em_step(X, w1, m1, C1)                                   # no "collapsed" error
    for k in range(2):                                       # exact two-pass reference
        d = X[200 * k:200 * (k + 1)] - X[200 * k:200 * (k + 1)].mean(axis=0)
        np.testing.assert_allclose(C1[k], d.T @ d / 200, atol=1e-12)
        # The entries alone cannot tell whether the smallest eigenvalue (~1e-14) is
        # right. Reference: the singular values of the centred points (no Gram matrix
        # formed), exact to ~eps * sigma_max. By Weyl's inequality an error E in the
        # matrix moves an eigenvalue by at most ||E||, and rounding the two-pass sums
        # gives ||E|| of a few eps * lambda_max; 10 eps * lambda_max is allowed. (With
        # the whitened guard off, the one-pass values that are still positive definite
        # are kept, and lambda_min is wrong by up to ~60x, i.e. ~300 eps * lambda_max.)
        lam_ref = np.linalg.svd(d, compute_uv=False) ** 2 / 200
        lam = np.linalg.eigvalsh(C1[k])
        eps = np.finfo(np.float64).eps
        assert abs(lam[0] - lam_ref[1]) <= 10 * eps * lam_ref[0]
        assert abs(lam[1] - lam_ref[0]) <= 10 * eps * lam_ref[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk = SkGaussianMixture(2, max_iter=1, reg_covar=0.0, weights_init=w, means_init=m,
                               precisions_init=np.linalg.inv(C)).fit(X)
    np.testing.assert_allclose(C1, sk.covariances_, atol=1e-12)


def test_empty_component_gets_sklearns_mean_zero_and_ridge_covariance():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(100, 2)) + 5.0
    w, m = np.array([0.5, 0.5, 0.0]), np.array([[5.0, 5.0], [6.0, 4.0], [0.0, 9.0]])
    C = np.stack([np.eye(2)] * 3)
    w1, m1, C1 = em_step(X, w, m, C, reg_covar=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = SkGaussianMixture(3, max_iter=1, reg_covar=1e-3, weights_init=w, means_init=m,
                               precisions_init=np.linalg.inv(C)).fit(X)
    np.testing.assert_array_equal(m1[2], [0.0, 0.0])
    np.testing.assert_allclose(C1[2], 1e-3 * np.eye(2), rtol=1e-12)
    np.testing.assert_allclose(m1, sk.means_, atol=1e-12)
    np.testing.assert_allclose(C1, sk.covariances_, atol=1e-12)


@pytest.mark.parametrize("scale", [1e150, 1e154, 1e200, 1e300])
def test_huge_inputs_raise_or_stay_finite_never_nan(scale):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(50, 2)) * scale
    var = scale * scale if scale < 1e154 else 1.0
    w, m, C = np.array([1.0]), np.zeros((1, 2)), np.eye(2)[None] * var
    for call in (lambda: log_likelihood(X, w, m, C), lambda: responsibilities(X, w, m, C),
                 lambda: em_step(X, w, m, C),
                 lambda: GaussianMixture(2, random_state=0).fit(X).score_samples(X)):
        try:
            out = call()
        except ValueError as err:
            assert "rescale" in str(err) or "float64" in str(err)
            continue
        for part in (out if isinstance(out, tuple) else (out,)):
            assert np.all(np.isfinite(part))


def test_estimator_equals_repeated_em_steps_from_covariances_init():
    rng = np.random.default_rng(6)
    X = make_data(rng, N=200, d=2, K=2)
    w, m, C = random_params(rng, X, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        g = GaussianMixture(2, max_iter=1, tol=0.0, weights_init=w, means_init=m,
                            covariances_init=C).fit(X)
    np.testing.assert_allclose(g.covariances_, em_step(X, w, m, C, reg_covar=1e-6)[2],
                               rtol=1e-12)


def test_n_init_keeps_the_best_run():
    """The n_init runs are rebuilt by hand (the j-th uniform draw of RandomState(0) as
    responsibilities, one M-step, then EM from there): n_init = 5 must keep the run with
    the largest final lower bound, which here is not the first run (so "keep the first
    run" fails), and must equal scikit-learn's n_init = 5 fit."""
    rng = np.random.default_rng(7)
    X = make_data(rng, N=300, d=2, K=4, spread=3)
    N, K, r = len(X), 4, 1e-6
    draws = np.random.RandomState(0)
    finals = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(5):
            resp = draws.uniform(size=(N, K))
            resp /= resp.sum(axis=1, keepdims=True)
            nk = resp.sum(axis=0)
            means = resp.T @ X / nk[:, None]
            covs = np.stack([(resp[:, k, None] * (X - means[k])).T @ (X - means[k]) / nk[k]
                             + r * np.eye(2) for k in range(K)])
            run = GaussianMixture(K, weights_init=nk / N, means_init=means,
                                  covariances_init=covs).fit(X)
            finals.append(run.lower_bound_)
        best = GaussianMixture(K, n_init=5, init_params="random", random_state=0).fit(X)
        sk = SkGaussianMixture(K, n_init=5, init_params="random", random_state=0).fit(X)
    finals = np.array(finals)
    j = int(finals.argmax())
    assert j != 0 and finals[j] > finals[0] + 1e-3     # the first run is not the best
    assert abs(best.lower_bound_ - finals[j]) < 1e-9
    assert abs(best.lower_bound_ - sk.lower_bound_) < 1e-9
    np.testing.assert_allclose(best.means_, sk.means_, atol=1e-6)


def test_reg_covar_can_decrease_the_log_likelihood_on_iris():
    """Sigma = S/N_k + r I is not the argmax of Q: with r = 1e-3 several random starts on
    iris with K = 4 have a lower_bounds_ that drops by more than 1e-8 (far above the
    ~1e-15 rounding of the mean log-likelihood; the chapter shows the count). Control:
    from the same random draws with reg_covar = 0 (exact EM) no value drops by more than
    1e-12, so the drops are the regulariser's, not the data's or the code's."""
    from sklearn.datasets import load_iris
    X = load_iris().data
    largest_drop = {1e-3: [], 0.0: []}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for seed in range(10):
            for r in largest_drop:
                g = GaussianMixture(4, init_params="random", random_state=seed, reg_covar=r,
                                    max_iter=300, tol=1e-10).fit(X)
                largest_drop[r].append(-np.diff(g.lower_bounds_).min())
    assert sum(drop > 1e-8 for drop in largest_drop[1e-3]) >= 3
    assert max(largest_drop[0.0]) < 1e-12


# ---------------------------------------------------------------- MAP-EM (inverse-Wishart prior)
def test_inverse_wishart_logpdf_matches_scipy():
    from scipy.stats import invwishart

    from mlhwlib.gmm import inverse_wishart_logpdf
    rng = np.random.default_rng(11)
    d = 3
    B = rng.normal(size=(d, d))
    psi = B @ B.T + np.eye(d)
    covs = np.stack([invwishart(df=6.5, scale=psi).rvs(random_state=k) for k in range(4)])
    np.testing.assert_allclose(inverse_wishart_logpdf(covs, psi, 6.5),
                               [invwishart(df=6.5, scale=psi).logpdf(c) for c in covs],
                               rtol=1e-12)


def test_map_em_step_matches_the_closed_form():
    from mlhwlib.gmm import map_em_step
    rng = np.random.default_rng(12)
    X = make_data(rng, N=120, d=2, K=3)
    w, m, C = random_params(rng, X, 3)
    psi, nu = np.array([[0.5, 0.1], [0.1, 0.3]]), 4.0
    g, _ = ref_e_step(X, w, m, C)
    w_ref, m_ref, C_ml = ref_m_step(X, g, 0.0)
    nk = g.sum(axis=0)
    C_ref = (nk[:, None, None] * C_ml + psi) / (nk + nu + 2 + 1)[:, None, None]
    w1, m1, C1 = map_em_step(X, w, m, C, psi, nu)
    np.testing.assert_allclose(w1, w_ref, rtol=1e-12)
    np.testing.assert_allclose(m1, m_ref, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(C1, C_ref, rtol=1e-10)


def test_map_em_never_decreases_the_log_posterior_over_many_starts():
    """Monotone for every start, even on data where plain EM collapses a component."""
    from mlhwlib.gmm import log_posterior, map_em_step
    worst = np.inf
    for seed in range(cases(40)):
        rng = np.random.default_rng(1000 + seed)
        X = np.vstack([make_data(rng, N=150, d=2, K=3), [[25.0, 25.0]]])
        w, m, C = random_params(rng, X, 3)
        m[0] = X[-1]                                   # one component on the isolated point
        psi, nu = 0.05 * np.eye(2), 3.0
        prev = log_posterior(X, w, m, C, psi, nu)
        params = (w, m, C)
        for _ in range(40):
            params = map_em_step(X, *params, psi, nu)
            cur = log_posterior(X, *params, psi, nu)
            worst = min(worst, cur - prev)
            assert cur >= prev - 1e-9 * abs(prev), (seed, cur - prev)
            prev = cur
        floor = np.linalg.eigvalsh(psi)[0] / (len(X) + nu + 2 + 1)
        assert np.all(np.linalg.eigvalsh(params[2]) >= floor * (1 - 1e-9))
    assert np.isfinite(worst)


def _two_far_clusters(N, d, seed=0):
    """Centred data at about +-1 in every coordinate, largest |entry| exactly 1: the
    worst case for the sums of squares (every product of coordinates is about 1)."""
    rng = np.random.default_rng(seed)
    X = np.where(rng.random((N, 1)) < 0.5, 1.0, -1.0) * np.ones((1, d))
    X = X + 1e-3 * rng.normal(size=(N, d))
    X -= X.mean(axis=0)
    return X / np.abs(X).max()


def test_data_at_1e150_are_fitted_as_scikit_learn_fits_them():
    # issue 28: 1e150 was rejected although scikit-learn fits it
    rng = np.random.default_rng(3)
    X = make_data(rng, N=150, d=4, K=2) * 1e150
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = GaussianMixture(2, random_state=0).fit(X)
        sk = SkGaussianMixture(2, random_state=0).fit(X)
    np.testing.assert_allclose(ours.weights_, sk.weights_, rtol=1e-8)
    np.testing.assert_allclose(ours.means_ / 1e150, sk.means_ / 1e150, atol=1e-8)
    np.testing.assert_allclose(ours.covariances_ / 1e300, sk.covariances_ / 1e300,
                               atol=1e-8)
    assert np.isfinite(ours.score(X))


@pytest.mark.parametrize("N, d", [(150, 4), (2000, 1), (20, 2)])
def test_scale_guard_sits_where_the_sums_of_squares_overflow(N, d, monkeypatch):
    """Sums over N rows of products of two entries of size b are at most 4 N b^2 in the
    one-pass covariance, and k-means++'s potential sum_i ||x_i - c||^2 is at most
    4 N d b^2: the limit is b = sqrt(max_float / (4 N d)). Just below it the
    worst-case data fit with finite results; just above they are rejected; and with
    the guard switched off, data at twice the limit really do fail (k-means++ overflows
    or the fit is not finite), so the guard is not needlessly strict by more than 2x."""
    limit = np.sqrt(np.finfo(np.float64).max / (4 * N * d))
    X = _two_far_clusters(N, d)
    for init in ("kmeans", "random_from_data", "random"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            f = GaussianMixture(2, init_params=init, random_state=0,
                                max_iter=20).fit(0.99 * limit * X)
        assert np.isfinite(f.lower_bound_)
        assert np.isfinite(f.covariances_).all() and np.isfinite(f.means_).all()
        with pytest.raises(ValueError, match=r"would overflow float64 \(the limit is"):
            GaussianMixture(2, init_params=init, random_state=0).fit(1.01 * limit * X)
    import mlhwlib.gmm as gmm_module
    monkeypatch.setattr(gmm_module, "_check_scale", lambda *a, **k: None)
    failed = 0
    for init in ("kmeans", "random_from_data", "random"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                warnings.simplefilter("error", RuntimeWarning)     # an overflow
                f = GaussianMixture(2, init_params=init, random_state=0,
                                    max_iter=20).fit(2 * limit * X)
            failed += not (np.isfinite(f.lower_bound_) and np.isfinite(f.covariances_).all())
        except (ValueError, RuntimeWarning):
            failed += 1
    assert failed >= 1


def test_kmeans_plus_plus_first_lower_bound_differs_from_scikit_learn_by_log_K_over_N():
    """scikit-learn's k-means++ start gives weights N_k / N that sum to K / N (only the K
    seed rows have a responsibility); ours are normalised. The first E-step's value
    differs by log(K / N); from the second iteration on the fits agree."""
    rng = np.random.default_rng(8)
    X = make_data(rng, N=300, d=2, K=3)
    K, N = 3, len(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        firsts = [cls(K, init_params="k-means++", random_state=1, max_iter=1, tol=0.0).fit(X)
                  for cls in (GaussianMixture, SkGaussianMixture)]
        fives = [cls(K, init_params="k-means++", random_state=1, max_iter=5, tol=0.0).fit(X)
                 for cls in (GaussianMixture, SkGaussianMixture)]
    assert abs(firsts[1].lower_bound_ - firsts[0].lower_bound_ - np.log(K / N)) < 1e-9
    assert abs(fives[1].lower_bound_ - fives[0].lower_bound_) < 1e-12
    np.testing.assert_allclose(fives[0].means_, fives[1].means_, atol=1e-10)
