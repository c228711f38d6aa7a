"""EM's rate put to use (issue 28, depth A): Louis' information, standard errors, SQUAREM.

References are independent of the code under test: PyTorch's autograd Hessian of
the log-likelihood written here from ``torch.distributions``, central differences
of :func:`mlhwlib.gmm.em_step` (the EM map's Jacobian), closed forms for one
Gaussian, a parametric bootstrap, and plain EM.
"""

import warnings

import numpy as np
import pytest
from conftest import lazy_torch
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from mlhwlib.gmm import GaussianMixture, em_step, louis_information

torch = lazy_torch()  # imported by the first test that uses it (a test dependency)
pytestmark = pytest.mark.xdist_group("torch")


def two_clusters(seed=0):
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(size=(150, 2)) @ [[1.0, 0.3], [0.0, 0.7]],
                      rng.normal(size=(100, 2)) + [3.0, 1.0]])


def slow_data():
    """The chapter's slow one-dimensional example (gmm cell 'Jacobian of the EM map')."""
    rng = np.random.default_rng(5)
    z = rng.random(2000) < 0.1
    return np.where(z, rng.normal(2.0, 1.0, 2000), rng.normal(0.0, 1.0, 2000))[:, None]


SLOW_START = dict(weights_init=[0.5, 0.5], means_init=[[-0.5], [1.0]],
                  covariances_init=np.ones((2, 1, 1)))


def pack(w, m, C):
    """The documented order: pi_1..pi_{K-1}, means row by row, triu entries of each Sigma_k."""
    d = m.shape[1]
    iu = np.triu_indices(d)
    return np.concatenate([np.asarray(w)[:-1], np.ravel(m)] + [c[iu] for c in C])


def unpack(t, K, d):
    iu = np.triu_indices(d)
    m_ = len(iu[0])
    w = np.append(t[:K - 1], 1 - t[:K - 1].sum())
    m = t[K - 1:K - 1 + K * d].reshape(K, d)
    C = np.zeros((K, d, d))
    for k in range(K):
        v = t[K - 1 + K * d + k * m_:K - 1 + K * d + (k + 1) * m_]
        C[k][iu] = v
        C[k] = C[k] + C[k].T - np.diag(np.diag(C[k]))
    return w, m, C


def torch_hessian(X, t, K, d):
    """Autograd Hessian of the log-likelihood in the documented free parameters."""
    iu = torch.tensor(np.array(np.triu_indices(d)))
    Xt = torch.tensor(X)

    def ell(v):
        w = torch.cat([v[:K - 1], 1 - v[:K - 1].sum(0, keepdim=True)])
        m = v[K - 1:K - 1 + K * d].reshape(K, d)
        cs = v[K - 1 + K * d:].reshape(K, -1)
        logp = []
        for k in range(K):
            U = torch.zeros(d, d, dtype=torch.float64).index_put((iu[0], iu[1]), cs[k])
            S = U + U.T - torch.diag(torch.diag(U))
            dist = torch.distributions.MultivariateNormal(m[k], covariance_matrix=S)
            logp.append(dist.log_prob(Xt) + torch.log(w[k]))
        return torch.logsumexp(torch.stack(logp, 1), 1).sum()

    return torch.autograd.functional.hessian(ell, torch.tensor(t, dtype=torch.float64)).numpy()


def em_jacobian(X, t, K, d, h=1e-6):
    """Central differences of one EM step (reg_covar = 0) in the free parameters."""
    J = np.empty((len(t), len(t)))
    for j in range(len(t)):
        e = np.zeros(len(t))
        e[j] = h * max(1.0, abs(t[j]))
        up = pack(*em_step(X, *unpack(t + e, K, d)))
        down = pack(*em_step(X, *unpack(t - e, K, d)))
        J[:, j] = (up - down) / (2 * e[j])
    return J


@pytest.fixture(scope="module")
def fitted2():
    X = two_clusters()
    return X, GaussianMixture(2, tol=1e-13, max_iter=5000, reg_covar=0.0, random_state=0).fit(X)


# ------------------------------------------------------------------ Louis' identity
@pytest.mark.parametrize("where", ["fitted", "elsewhere"])
def test_louis_identity_equals_the_autograd_hessian(fitted2, where):
    """I_c - I_m = -Hessian of ell at any parameters, not only at a maximum."""
    X, gm = fitted2
    if where == "fitted":
        w, m, C = gm.weights_, gm.means_, gm.covariances_
    else:
        w, m = np.array([0.3, 0.7]), np.array([[0.5, 0.0], [2.0, 2.0]])
        C = np.stack([np.eye(2), [[2.0, 0.4], [0.4, 1.0]]])
    Ic, Im = louis_information(X, w, m, C)
    H = torch_hessian(X, pack(w, m, C), 2, 2)
    assert Ic.shape == (11, 11)
    np.testing.assert_allclose(Ic - Im, -H, atol=1e-10 * np.abs(H).max())


def test_em_jacobian_is_the_fraction_of_missing_information(fitted2):
    """At a fixed point DM = I_c^{-1} I_m (Dempster, Laird & Rubin): pins I_c and I_m apart."""
    X, gm = fitted2
    t = pack(gm.weights_, gm.means_, gm.covariances_)
    Ic, Im = louis_information(X, gm.weights_, gm.means_, gm.covariances_)
    np.testing.assert_allclose(np.linalg.solve(Ic, Im), em_jacobian(X, t, 2, 2), atol=1e-6)


# ------------------------------------------------------------------ standard errors
def test_standard_errors_match_the_inverse_autograd_hessian(fitted2):
    X, gm = fitted2
    H = torch_hessian(X, pack(gm.weights_, gm.means_, gm.covariances_), 2, 2)
    ref = np.sqrt(np.diag(np.linalg.inv(-H)))
    np.testing.assert_allclose(gm.standard_errors(X), ref, rtol=1e-8)


def test_standard_errors_of_one_gaussian_are_the_textbook_ones():
    """K = 1, d = 1: SE(mu) = sigma / sqrt(N) and SE(sigma^2) = sigma^2 sqrt(2 / N)."""
    X = np.random.default_rng(3).normal(1.0, 2.0, size=(500, 1))
    gm = GaussianMixture(1, reg_covar=0.0).fit(X)
    s2 = X.var()
    np.testing.assert_allclose(gm.standard_errors(X),
                               [np.sqrt(s2 / 500), s2 * np.sqrt(2 / 500)], rtol=1e-10)


def test_standard_errors_agree_with_a_parametric_bootstrap():
    """Loose by design: B = 60 resamples estimate each standard error to about 1/sqrt(2B) = 9 %
    (plus the asymptotic approximation's own error), so each ratio must lie in [0.7, 1.4]."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0.0, 1.0, size=(300, 1)), rng.normal(4.0, 0.7, size=(200, 1))])
    gm = GaussianMixture(2, tol=1e-10, max_iter=2000, reg_covar=0.0, random_state=0).fit(X)
    se = gm.standard_errors(X)
    est = []
    for b in range(60):
        gm.random_state = b                  # sample() draws from the fitted model
        Xb, _ = gm.sample(len(X))
        fb = GaussianMixture(2, tol=1e-8, max_iter=2000, reg_covar=0.0,
                             weights_init=gm.weights_, means_init=gm.means_,
                             covariances_init=gm.covariances_).fit(Xb)
        est.append(pack(fb.weights_, fb.means_, fb.covariances_))
    ratio = np.std(est, axis=0, ddof=1) / se
    assert np.all((ratio > 0.7) & (ratio < 1.4)), ratio


def test_standard_errors_reject_bad_calls(fitted2):
    X, gm = fitted2
    with pytest.raises(NotFittedError):
        GaussianMixture(2).standard_errors(X)
    with pytest.raises(ValueError, match="X has 1 features, but GaussianMixture is expecting 2"):
        gm.standard_errors(X[:, :1])
    with pytest.raises(ValueError, match="weights must all be > 0"):
        louis_information(X, [1.0, 0.0], gm.means_, gm.covariances_)


def test_standard_errors_refuse_a_saddle():
    """Two identical components at the data's mean and covariance: a stationary point of
    a bimodal sample's likelihood that is not a maximum, so no standard errors."""
    X = two_clusters()
    C = np.cov(X.T, bias=True)
    gm = GaussianMixture(2, reg_covar=0.0, max_iter=1, weights_init=[0.5, 0.5],
                         means_init=np.repeat(X.mean(0)[None], 2, 0),
                         covariances_init=np.stack([C, C]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X)
    with pytest.raises(ValueError, match="not positive definite: the fitted parameters are not"):
        gm.standard_errors(X)


# ------------------------------------------------------------------ SQUAREM
def sorted_params(f):
    order = np.argsort(f.means_[:, 0])
    return pack(f.weights_[order], f.means_[order], f.covariances_[order])


@pytest.mark.parametrize("seed", range(5))
def test_squarem_reaches_the_fixed_point_of_em(seed):
    X = two_clusters()
    kw = dict(tol=1e-14, max_iter=20000, reg_covar=0.0, init_params="random",
              random_state=seed)
    em = GaussianMixture(2, **kw).fit(X)
    sq = GaussianMixture(2, accelerate="squarem", **kw).fit(X)
    assert em.converged_ and sq.converged_
    np.testing.assert_allclose(sorted_params(sq), sorted_params(em), atol=1e-5)
    # ...and it is a fixed point: one more EM step moves it by less than 1e-6
    t = np.array(sorted_params(sq))
    np.testing.assert_allclose(pack(*em_step(X, *unpack(t, 2, 2))), t, atol=1e-6)


def test_squarem_is_monotone_and_its_safeguard_acts():
    """With reg_covar = 0 the accepted log-likelihoods never decrease; on these runs some
    extrapolations are rejected (n_iter_ counts them, lower_bounds_ does not)."""
    X = slow_data()
    rejected = 0
    for seed in range(5):
        f = GaussianMixture(2, tol=1e-10, max_iter=20000, reg_covar=0.0, init_params="random",
                            random_state=seed, accelerate="squarem").fit(X)
        assert f.converged_
        assert np.all(np.diff(f.lower_bounds_) >= -1e-12)
        rejected += f.n_iter_ - len(f.lower_bounds_)
    assert rejected > 0


def test_squarem_needs_fewer_iterations_on_the_slow_run():
    X = slow_data()
    kw = dict(tol=1e-10, max_iter=20000, reg_covar=0.0, **SLOW_START)
    em = GaussianMixture(2, **kw).fit(X)
    sq = GaussianMixture(2, accelerate="squarem", **kw).fit(X)
    assert em.n_iter_ > 3000 and sq.n_iter_ < em.n_iter_ / 4
    assert sq.lower_bound_ >= em.lower_bound_ - 1e-9


def test_squarem_respects_max_iter_and_warns():
    X = slow_data()
    with pytest.warns(ConvergenceWarning):
        f = GaussianMixture(2, tol=0.0, max_iter=7, reg_covar=0.0, accelerate="squarem",
                            **SLOW_START).fit(X)
    assert f.n_iter_ == 7 and not f.converged_


def test_accelerate_is_a_parameter():
    gm = GaussianMixture(accelerate="squarem")
    assert gm.get_params()["accelerate"] == "squarem"
    assert GaussianMixture().get_params()["accelerate"] is None
    with pytest.raises(ValueError, match="'accelerate' parameter of GaussianMixture"):
        GaussianMixture(accelerate="aitken").fit(two_clusters())


@pytest.mark.notebook  # re-runs a committed experiment: `make test-notebooks`, not the library loop
def test_the_committed_squarem_results_rerun():
    """tools/experiments/gmm_squarem.py's file (read by the chapter) against a re-run of one start."""
    from mlhwlib.book import result

    res = result("gmm_squarem_results.json")
    row = next(r for r in res["runs"] if r["start"] == 0)
    X = slow_data()
    for name, acc in (("em", None), ("squarem", "squarem")):
        f = GaussianMixture(2, tol=res["tol"], max_iter=100000, reg_covar=0.0,
                            init_params="random", random_state=0, accelerate=acc).fit(X)
        assert f.n_iter_ == row[name]["n_iter"]
        assert abs(f.lower_bound_ - row[name]["mean_log_likelihood"]) < 1e-10


def test_louis_identity_in_three_dimensions_with_three_components():
    """The documented order with off-diagonal covariance entries (0,1), (0,2), (1,2)."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(120, 3)) @ [[1.0, 0.2, 0.0], [0.0, 1.0, 0.3], [0.0, 0.0, 0.8]]
    w = np.array([0.2, 0.5, 0.3])
    m = rng.normal(size=(3, 3))
    A = rng.normal(size=(3, 3, 3))
    C = A @ np.swapaxes(A, 1, 2) + np.eye(3)
    Ic, Im = louis_information(X, w, m, C)
    H = torch_hessian(X, pack(w, m, C), 3, 3)
    assert Ic.shape == (2 + 9 + 18, 2 + 9 + 18)
    np.testing.assert_allclose(Ic - Im, -H, atol=1e-10 * np.abs(H).max())
