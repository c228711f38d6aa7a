"""Tests for :mod:`mlhwlib.em` (chapter ``book/em_elbo_kl.ipynb``).

Every reference value is computed independently here: ``scipy.stats.entropy``
for discrete KL, ``scipy.integrate.quad`` for the Gaussian KL, plain Python
loops with ``math.log``/``math.exp`` for the posterior, evidence and ELBO, and
``scipy.stats.norm.logpdf`` for the mixture's log joint.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import cases
from scipy import integrate, stats

from mlhwlib.em import (
    elbo,
    gaussian_kl,
    kl_divergence,
    log_evidence,
    normal_mixture_log_joint,
    posterior,
)

RNG_SEED = 20240607


def random_distribution(rng, k, zeros=0):
    """A random distribution on k outcomes with `zeros` exact zeros."""
    w = rng.dirichlet(np.full(k, 0.7))
    if zeros:
        w[rng.choice(k, size=zeros, replace=False)] = 0.0
        w = w / w.sum()
    return w


# --------------------------------------------------------------------------- KL
def test_kl_matches_scipy_entropy_on_random_pairs():
    rng = np.random.default_rng(RNG_SEED)
    for _ in range(cases(200)):
        k = int(rng.integers(2, 12))
        p = random_distribution(rng, k, zeros=int(rng.integers(0, k - 1)))
        q = random_distribution(rng, k)
        assert kl_divergence(p, q) == pytest.approx(stats.entropy(p, q), rel=1e-12, abs=1e-15)


def test_kl_hand_computed_value_and_asymmetry():
    p, q = [0.7, 0.2, 0.1], [0.2, 0.3, 0.5]
    forward = sum(a * math.log(a / b) for a, b in zip(p, q))
    backward = sum(b * math.log(b / a) for a, b in zip(p, q))
    assert kl_divergence(p, q) == pytest.approx(forward, rel=1e-14)
    assert kl_divergence(q, p) == pytest.approx(backward, rel=1e-14)
    assert abs(forward - backward) > 0.03  # not symmetric (0.635 vs 0.676)


def test_kl_zero_conventions():
    # 0 log 0 = 0: outcomes with p_k = 0 contribute nothing, whatever q_k is.
    assert kl_divergence([1.0, 0.0], [0.25, 0.75]) == pytest.approx(math.log(4.0), rel=1e-15)
    assert kl_divergence([0.5, 0.5, 0.0], [0.5, 0.5, 0.0]) == 0.0
    # q_k = 0 where p_k > 0: infinite.
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert stats.entropy([0.5, 0.5], [1.0, 0.0]) == math.inf


def test_kl_is_zero_iff_equal_and_nonnegative():
    rng = np.random.default_rng(RNG_SEED + 1)
    for _ in range(cases(100)):
        p = random_distribution(rng, 5)
        assert abs(kl_divergence(p, p)) < 1e-15
        q = random_distribution(rng, 5)
        assert kl_divergence(p, q) > 0.0


def test_kl_accepts_sum_within_tolerance_and_rejects_strings():
    assert kl_divergence([0.5, 0.5 + 5e-10], [0.5, 0.5]) >= 0.0
    with pytest.raises(TypeError, match="p must be a numeric"):
        kl_divergence("ab", [0.5, 0.5])


# ------------------------------------------------------------------ Gaussian KL
def kl_by_quadrature(mu_p, s_p, mu_q, s_q):
    def integrand(x):
        return stats.norm.pdf(x, mu_p, s_p) * (
            stats.norm.logpdf(x, mu_p, s_p) - stats.norm.logpdf(x, mu_q, s_q))

    lo, hi = mu_p - 40 * s_p, mu_p + 40 * s_p
    value, _ = integrate.quad(integrand, lo, hi, points=[mu_p, mu_q], limit=200,
                              epsabs=1e-13, epsrel=1e-12)
    return value


@pytest.mark.parametrize(
    "mu_p, s_p, mu_q, s_q",
    [(0.0, 1.0, 0.0, 1.0), (0.0, 1.0, 1.0, 1.0), (0.0, 1.0, 1.0, 2.0),
     (1.0, 2.0, 0.0, 1.0), (-3.0, 0.3, 2.0, 5.0), (0.5, 4.0, 0.0, 0.7)],
)
def test_gaussian_kl_matches_numerical_integration(mu_p, s_p, mu_q, s_q):
    assert gaussian_kl(mu_p, s_p, mu_q, s_q) == pytest.approx(
        kl_by_quadrature(mu_p, s_p, mu_q, s_q), rel=1e-8, abs=1e-10)


def test_gaussian_kl_random_cases_and_asymmetry():
    rng = np.random.default_rng(RNG_SEED + 2)
    for _ in range(cases(10)):
        mu_p, mu_q = rng.normal(0, 2, size=2)
        s_p, s_q = np.exp(rng.normal(0, 0.7, size=2))
        args = (float(mu_p), float(s_p), float(mu_q), float(s_q))
        assert gaussian_kl(*args) == pytest.approx(kl_by_quadrature(*args), rel=1e-8, abs=1e-10)
    assert abs(gaussian_kl(0.0, 1.0, 1.0, 2.0) - gaussian_kl(1.0, 2.0, 0.0, 1.0)) > 0.1


def test_gaussian_kl_matches_discretised_kl():
    # An independent route: discretise both densities on a fine grid, use scipy's entropy.
    grid = np.linspace(-30, 30, 600_001)
    p = stats.norm.pdf(grid, 0.3, 1.2)
    q = stats.norm.pdf(grid, -0.5, 2.5)
    assert gaussian_kl(0.3, 1.2, -0.5, 2.5) == pytest.approx(stats.entropy(p, q), rel=1e-9)


def test_gaussian_kl_extremes_do_not_warn():
    assert gaussian_kl(0.0, 1e200, 0.0, 1e-200) == math.inf
    assert gaussian_kl(1e300, 1.0, -1e300, 1e-300) == math.inf
    value = gaussian_kl(0.0, 1e-200, 0.0, 1e200)  # log(1e400) - 1/2, finite
    assert value == pytest.approx(400 * math.log(10) - 0.5, rel=1e-12)


# ----------------------------------------------------- posterior, evidence, ELBO
def loop_log_evidence(log_joint):
    m = max(log_joint)
    return m + math.log(sum(math.exp(a - m) for a in log_joint))


def loop_elbo(q, log_joint):
    return sum(qk * (a - math.log(qk)) for qk, a in zip(q, log_joint) if qk > 0)


def test_posterior_and_evidence_match_loops():
    rng = np.random.default_rng(RNG_SEED + 3)
    for _ in range(cases(50)):
        lj = rng.normal(-5, 3, size=int(rng.integers(2, 9)))
        ev = loop_log_evidence(lj.tolist())
        assert log_evidence(lj) == pytest.approx(ev, abs=1e-12)
        post = posterior(lj)
        expected = [math.exp(a - ev) for a in lj]
        np.testing.assert_allclose(post, expected, rtol=1e-12, atol=0)


def test_evidence_and_posterior_are_stable_far_in_the_tail():
    lj = np.array([-1000.0, -1000.0, -1e4])
    assert log_evidence(lj) == pytest.approx(-1000.0 + math.log(2.0), abs=1e-12)
    np.testing.assert_allclose(posterior(lj), [0.5, 0.5, 0.0], atol=1e-300)


def test_elbo_matches_loop():
    rng = np.random.default_rng(RNG_SEED + 4)
    for _ in range(cases(50)):
        k = int(rng.integers(2, 9))
        q = random_distribution(rng, k, zeros=int(rng.integers(0, k - 1)))
        lj = rng.normal(-4, 2, size=k)
        assert elbo(q, lj) == pytest.approx(loop_elbo(q.tolist(), lj.tolist()), abs=1e-12)


def test_elbo_plus_kl_equals_log_evidence_on_random_cases():
    rng = np.random.default_rng(RNG_SEED + 5)
    for _ in range(cases(500)):
        k = int(rng.integers(2, 10))
        lj = rng.normal(-3, 2, size=k)
        q = random_distribution(rng, k, zeros=int(rng.integers(0, k - 1)))
        # The KL to the posterior computed independently of the library.
        post = stats.entropy(q, np.exp(lj - loop_log_evidence(lj.tolist())))
        assert elbo(q, lj) + post == pytest.approx(loop_log_evidence(lj.tolist()), abs=1e-12)
        # ... and with the library's own KL and posterior.
        assert elbo(q, lj) + kl_divergence(q, posterior(lj)) == pytest.approx(
            log_evidence(lj), abs=1e-12)
        assert elbo(q, lj) <= log_evidence(lj) + 1e-12


def test_elbo_at_posterior_equals_log_evidence():
    rng = np.random.default_rng(RNG_SEED + 6)
    for _ in range(cases(200)):
        lj = rng.normal(-3, 4, size=int(rng.integers(1, 10)))
        ev = loop_log_evidence(lj.tolist())
        post = [math.exp(a - ev) for a in lj]
        assert elbo(post, lj) == pytest.approx(ev, abs=1e-12)


def test_elbo_with_minus_infinity_in_the_log_joint():
    # p(x, z=2) = 0: fine if q_2 = 0 (the posterior has q_2 = 0), -inf otherwise.
    lj = np.array([math.log(0.1), math.log(0.3), -math.inf])
    post = posterior(lj)
    assert post[2] == 0.0
    assert elbo(post, lj) == pytest.approx(math.log(0.4), abs=1e-15)
    assert elbo([0.25, 0.25, 0.5], lj) == -math.inf


def test_batched_rows_agree_with_one_row_at_a_time():
    rng = np.random.default_rng(RNG_SEED + 9)
    lj = rng.normal(-3, 2, size=(40, 4))
    lj[3, 1] = -math.inf
    q = rng.dirichlet(np.ones(4), size=40)
    q[3] = [0.5, 0.0, 0.25, 0.25]
    q[7] = [0.0, 1.0, 0.0, 0.0]
    assert elbo(q, lj) == pytest.approx(sum(loop_elbo(a.tolist(), b.tolist())
                                            for a, b in zip(q, lj)), abs=1e-10)
    ev = log_evidence(lj)
    assert ev.shape == (40,)
    np.testing.assert_allclose(ev, [loop_log_evidence(row.tolist()) for row in lj], atol=1e-12)
    post = posterior(lj)
    assert post.shape == (40, 4) and post[3, 1] == 0.0
    np.testing.assert_allclose(post, [posterior(row) for row in lj], atol=1e-15)
    # Data-set version of the decomposition: sum_n ELBO_n + sum_n KL_n = sum_n log p(x_n).
    kl_total = sum(stats.entropy(a, b) for a, b in zip(q, post))
    assert elbo(q, lj) + kl_total == pytest.approx(float(ev.sum()), abs=1e-10)


# ----------------------------------------------------------- 1-D mixture helper
def test_normal_mixture_log_joint_matches_scipy():
    rng = np.random.default_rng(RNG_SEED + 7)
    x = rng.normal(size=30)
    w, mu, sd = np.array([0.3, 0.7]), np.array([-1.0, 2.0]), np.array([0.5, 1.5])
    lj = normal_mixture_log_joint(x, w, mu, sd)
    assert lj.shape == (30, 2)
    for n in range(30):
        for k in range(2):
            ref = math.log(w[k]) + stats.norm.logpdf(x[n], mu[k], sd[k])
            assert lj[n, k] == pytest.approx(ref, abs=1e-12)
    # The evidence of each row is the mixture density.
    dens = w[0] * stats.norm.pdf(x, mu[0], sd[0]) + w[1] * stats.norm.pdf(x, mu[1], sd[1])
    np.testing.assert_allclose([log_evidence(row) for row in lj], np.log(dens), rtol=1e-12)


def test_normal_mixture_log_joint_zero_weight_and_extremes():
    lj = normal_mixture_log_joint([0.0, 1e300], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0])
    assert lj[0, 1] == -math.inf and lj[1, 1] == -math.inf
    assert lj[1, 0] == -math.inf  # overflowing squared distance, no warning


# ------------------------------------------------------------ EM monotonicity
def test_em_on_the_mixture_never_decreases_the_log_likelihood():
    """Coordinate ascent on the ELBO built from the library's pieces.

    The M-step is the closed form for a 1-D mixture (weighted counts, means and
    standard deviations), written here from scratch.
    """
    rng = np.random.default_rng(RNG_SEED + 8)
    x = np.concatenate([rng.normal(-2, 0.7, 60), rng.normal(1.5, 1.2, 90)])
    w, mu, sd = np.array([0.5, 0.5]), np.array([-0.5, 0.5]), np.array([2.0, 2.0])
    previous = -math.inf
    history = []
    for _ in range(40):
        lj = normal_mixture_log_joint(x, w, mu, sd)
        # Log-likelihood from scipy, independently of the library.
        loglik = float(np.sum(np.log(sum(wk * stats.norm.pdf(x, mk, sk)
                                         for wk, mk, sk in zip(w, mu, sd)))))
        assert float(log_evidence(lj).sum()) == pytest.approx(loglik, abs=1e-9)
        assert loglik >= previous - 1e-9
        gamma = posterior(lj)
        # After the E-step the ELBO touches the log-likelihood.
        assert elbo(gamma, lj) == pytest.approx(loglik, abs=1e-9)
        nk = gamma.sum(axis=0)
        w = nk / nk.sum()
        mu = (gamma * x[:, None]).sum(axis=0) / nk
        sd = np.sqrt((gamma * (x[:, None] - mu) ** 2).sum(axis=0) / nk)
        # The M-step does not decrease the ELBO for the fixed q = gamma.
        new_lj = normal_mixture_log_joint(x, w, mu, sd)
        assert elbo(gamma, new_lj) >= loglik - 1e-9
        previous = loglik
        history.append(loglik)
    assert history[-1] > history[0] + 10.0  # EM really moved (not a flat sequence)


# ----------------------------------------------- Fisher's identity, exact increase
def _mixture_loglik(x, w, mu, sd):
    return float(log_evidence(normal_mixture_log_joint(x, w, mu, sd)).sum())


def test_fishers_identity_gradient_of_q_equals_gradient_of_loglik():
    """grad_theta' Q(theta' | theta) at theta' = theta is the gradient of l(theta).

    The reference is a central finite difference of the log-likelihood; the
    gradient of Q is written here in closed form from the responsibilities.
    Parameters: (s, mu_1, mu_2, sigma_1, sigma_2) with weights (1 - s, s).
    """
    rng = np.random.default_rng(RNG_SEED + 10)
    x = np.concatenate([rng.normal(-1.5, 0.8, 70), rng.normal(1.0, 1.3, 110)])

    def loglik(th):
        return _mixture_loglik(x, [1 - th[0], th[0]], th[1:3], th[3:5])

    for _ in range(10):
        th = np.r_[rng.uniform(0.2, 0.8), rng.normal(0, 1.5, 2), rng.uniform(0.6, 2.0, 2)]
        gamma = posterior(normal_mixture_log_joint(x, [1 - th[0], th[0]], th[1:3], th[3:5]))
        nk = gamma.sum(axis=0)
        r = x[:, None] - th[1:3]
        grad_q = np.r_[nk[1] / th[0] - nk[0] / (1 - th[0]),
                       (gamma * r).sum(axis=0) / th[3:5] ** 2,
                       (gamma * (r**2 / th[3:5] ** 3 - 1 / th[3:5])).sum(axis=0)]
        h = 1e-6
        grad_fd = np.array([(loglik(th + h * e) - loglik(th - h * e)) / (2 * h)
                            for e in np.eye(5)])
        np.testing.assert_allclose(grad_q, grad_fd, rtol=1e-6, atol=1e-5)


def test_em_increase_equals_delta_q_plus_kl():
    """l(theta') - l(theta) = Q(theta'|theta) - Q(theta|theta) + sum_n KL(q_n || p(z_n|x_n, theta')).

    Checked for EM steps and for arbitrary theta' (the identity holds for any
    theta'), with the KL terms from scipy.stats.entropy.
    """
    rng = np.random.default_rng(RNG_SEED + 11)
    x = np.concatenate([rng.normal(-2.0, 0.7, 50), rng.normal(1.0, 1.0, 80)])
    w, mu, sd = np.array([0.5, 0.5]), np.array([-0.3, 0.4]), np.array([2.0, 2.0])
    for step in range(20):
        lj = normal_mixture_log_joint(x, w, mu, sd)
        gamma = posterior(lj)
        if step % 2:                                    # an arbitrary theta'
            w2 = rng.dirichlet([2.0, 2.0])
            mu2, sd2 = rng.normal(0, 2, 2), rng.uniform(0.5, 2.5, 2)
        else:                                           # the EM step
            nk = gamma.sum(axis=0)
            w2, mu2 = nk / nk.sum(), gamma.T @ x / nk
            sd2 = np.sqrt((gamma * (x[:, None] - mu2) ** 2).sum(axis=0) / nk)
        lj2 = normal_mixture_log_joint(x, w2, mu2, sd2)
        delta_q = float(np.sum(gamma * lj2) - np.sum(gamma * lj))
        kl = sum(stats.entropy(a, b) for a, b in zip(gamma, posterior(lj2)))
        increase = _mixture_loglik(x, w2, mu2, sd2) - _mixture_loglik(x, w, mu, sd)
        assert increase == pytest.approx(delta_q + kl, abs=1e-8)
        if step % 2 == 0:
            assert delta_q >= -1e-9 and increase >= -1e-9
            w, mu, sd = w2, mu2, sd2
