"""The EM iteration's two E-step routes (mlhwlib._gmm_core): the expanded quadratic form
and the whitened residuals, each against a loop reference written here (scipy's
log-density, log-sum-exp and the M-step sums in exact form), and the guard between them."""

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from mlhwlib import _gmm_core
from mlhwlib.gmm import em_step


def reference_em(X, w, m, C, reg):
    """One EM step from its definition: densities by scipy, sums by loops over components."""
    K, d = len(w), X.shape[1]
    with np.errstate(divide="ignore"):
        logp = np.column_stack([np.log(w[k]) + multivariate_normal(m[k], C[k]).logpdf(X)
                                for k in range(K)])
    gamma = np.exp(logp - logsumexp(logp, axis=1)[:, None])
    nk = gamma.sum(axis=0) + 10 * np.finfo(float).eps
    means = gamma.T @ X / nk[:, None]
    covs = np.stack([(gamma[:, k, None] * (X - means[k])).T @ (X - means[k]) / nk[k]
                     for k in range(K)]) + reg * np.eye(d)
    return nk / nk.sum(), means, covs, float(logsumexp(logp, axis=1).sum())


def problem(seed, N, d, K, condition=10.0, far=0.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(scale=3.0, size=(K, d))[rng.integers(K, size=N)] + rng.normal(size=(N, d))
    w = rng.dirichlet(np.full(K, 3.0))
    m = X[rng.choice(N, K, replace=False)].copy()
    C = np.empty((K, d, d))
    for k in range(K):
        Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
        C[k] = Q @ np.diag(np.geomspace(1.0, 1.0 / condition, d)) @ Q.T
        C[k] = 0.5 * (C[k] + C[k].T)
    m[0] += far
    return X, w, m, C


def routes(monkeypatch, limit):
    monkeypatch.setattr(_gmm_core, "_EXPANDED_LIMIT", limit)


@pytest.mark.parametrize("d,K", [(1, 2), (3, 4), (8, 8)])
@pytest.mark.parametrize("limit", [np.inf, 0.0, None])
def test_each_route_matches_the_reference(monkeypatch, d, K, limit):
    """limit inf: every component by the expanded form; 0: every one by the whitened
    residuals; None: the default guard."""
    if limit is not None:
        routes(monkeypatch, limit)
    X, w, m, C = problem(d * 10 + K, 3000, d, K)
    got = em_step(X, w, m, C, reg_covar=1e-6)
    ref = reference_em(X, w, m, C, 1e-6)
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    Wh = _gmm_core._whiteners(np.linalg.cholesky(C))
    total = _gmm_core._em_iteration(X, w, m, Wh, 1e-6, X.mean(axis=0))[3]
    assert total == pytest.approx(ref[3], rel=1e-12)


def test_blocks_and_a_short_last_block_match(monkeypatch):
    """Several blocks, the last one shorter (its products are not written into buffers)."""
    monkeypatch.setattr(_gmm_core, "_chunk_size", lambda K, d, expanded=False: 700)
    X, w, m, C = problem(5, 2500, 4, 3)
    for a, b in zip(em_step(X, w, m, C), reference_em(X, w, m, C, 0.0)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_guard_sends_ill_conditioned_or_far_components_to_the_exact_route():
    """The bound rho_k (R + ||m_k||)^2 flags a component with condition number 1e12 or one
    whose mean is 1e4 from the data mean; well-conditioned nearby ones take the fast route."""
    d, K = 3, 3
    X, w, m, C = problem(1, 500, d, K)
    C[1] = np.diag([1.0, 1.0, 1e-12])
    m[2] += 1e4
    shift = X.mean(axis=0)
    eng = _gmm_core._Engine(w, m, _gmm_core._whiteners(np.linalg.cholesky(C)), shift)
    _, rho, mnorm, _, diag = eng._expanded()
    F, _ = eng.buffers(len(X), with_quadratic=True)
    F[:d] = (X - shift).T
    r = d + 1
    for a in range(d):
        F[r:r + d - a] = F[a] * F[a:d]
        r += d - a
    R = np.sqrt(F[diag].max(axis=1).sum())
    exact = rho * (R + mnorm) ** 2 > _gmm_core._EXPANDED_LIMIT
    assert exact.tolist() == [False, True, True]


def log_density_longdouble(X, mean, cov):
    """log N(x_i | mean, cov) in extended precision (Cholesky and forward substitution by
    hand in np.longdouble), a reference for ill-conditioned covariances where scipy's
    eigendecomposition loses digits."""
    d = len(mean)
    C = np.asarray(cov, dtype=np.longdouble)
    L = np.zeros((d, d), dtype=np.longdouble)
    for j in range(d):
        L[j, j] = np.sqrt(C[j, j] - np.sum(L[j, :j] ** 2))
        for i in range(j + 1, d):
            L[i, j] = (C[i, j] - np.sum(L[i, :j] * L[j, :j])) / L[j, j]
    r = (np.asarray(X, dtype=np.longdouble) - np.asarray(mean, dtype=np.longdouble)).T
    z = np.zeros_like(r)
    for i in range(d):
        z[i] = (r[i] - L[i, :i] @ z[:i]) / L[i, i]
    half_log_2pi = np.log(np.longdouble(2) * np.pi) / 2
    return -d * half_log_2pi - np.sum(np.log(np.diagonal(L))) - 0.5 * np.sum(z * z, axis=0)


def log_px_of_em_pass(X, w, m, C):
    """Per-sample log p(x_i) as the EM iteration's E-step computes it (one block)."""
    shift = X.mean(axis=0)
    eng = _gmm_core._Engine(w, m, _gmm_core._whiteners(np.linalg.cholesky(C)), shift)
    F, Y = eng.buffers(len(X), with_quadratic=True)
    return eng.block(X, F, Y, with_quadratic=True)[1]


def test_ill_conditioned_component_keeps_full_accuracy(monkeypatch):
    """With the guard the log-densities near an ill-conditioned component (condition
    number 1e9) are as accurate as its float64 Cholesky factor allows (against an
    extended-precision reference); forced through the expanded form they lose more than
    a further digit (the guard is needed); the EM step stays at the reference."""
    X, w, m, C = problem(2, 2000, 3, 2)
    Q, _ = np.linalg.qr(np.random.default_rng(3).normal(size=(3, 3)))
    C[1] = Q @ np.diag([1.0, 1e-2, 1e-9]) @ Q.T
    C[1] = 0.5 * (C[1] + C[1].T)
    X[:50] = m[1] + np.random.default_rng(4).multivariate_normal(np.zeros(3), C[1], 50)
    ref = reference_em(X, w, m, C, 0.0)
    ref_log_px = logsumexp(np.column_stack(
        [np.log(w[k]) + log_density_longdouble(X, m[k], C[k]).astype(float)
         for k in range(2)]), axis=1)
    guarded = em_step(X, w, m, C)
    for a, b in zip(guarded, ref):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
    err_guarded = np.max(np.abs(log_px_of_em_pass(X, w, m, C) - ref_log_px))
    routes(monkeypatch, np.inf)
    err_forced = np.max(np.abs(log_px_of_em_pass(X, w, m, C) - ref_log_px))
    # guarded: 8e-9, the float64 Cholesky factor's own conditioning (eps * 1e9 relative
    # in the thin direction); forced: 1e-6
    assert err_guarded < 5e-8 and err_forced > 20 * err_guarded


def test_zero_weight_component_takes_the_exact_route():
    """A zero weight gives log 0 = -inf for that component; its responsibilities are 0,
    its N_k is 10 eps, its mean 0 and its covariance reg_covar I (scikit-learn's convention)."""
    X, w, m, C = problem(6, 400, 2, 3)
    w = np.array([0.5, 0.0, 0.5])
    nw, nm, nc = em_step(X, w, m, C, reg_covar=1e-3)
    ref = reference_em(X, w, m, C, 1e-3)
    np.testing.assert_allclose(nw, ref[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(nm, ref[1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(nc, ref[2], rtol=1e-10, atol=1e-12)
    assert np.all(nm[1] == 0) and np.allclose(nc[1], 1e-3 * np.eye(2))


@pytest.mark.parametrize("shape", [(100_003, 8), (1000, 5), (7, 3), (1, 1), (5, 64), (3, 100),
                                   (65, 2)])
def test_column_extremes_equal_numpy(shape):
    """The scale guard's fast column max/min: the same values as A.max(0), A.min(0), also
    with a remainder of rows, a Fortran-ordered array, an infinity and a NaN."""
    rng = np.random.default_rng(shape[0])
    A = rng.normal(size=shape) * 10.0 ** rng.integers(-3, 4, size=shape)
    A[-1, 0] = np.inf
    A[0, -1] = -np.inf
    for B in (A, np.asfortranarray(A), A[::2]):
        high, low = _gmm_core._column_extremes(B)
        np.testing.assert_array_equal(high, B.max(axis=0))
        np.testing.assert_array_equal(low, B.min(axis=0))
    A[len(A) // 2, shape[1] // 2] = np.nan
    high, low = _gmm_core._column_extremes(A)
    np.testing.assert_array_equal(high, A.max(axis=0))
    np.testing.assert_array_equal(low, A.min(axis=0))
