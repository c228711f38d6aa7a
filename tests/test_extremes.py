"""mlhwlib at numerical extremes: finite, accurate, and silent.

Every test runs with all warnings turned into errors (on top of pyproject's
``error::RuntimeWarning``), and compares with an independent computation:
mpmath at 50 digits, scipy's densities with log-sum-exp, or a hand-written
loop.
"""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

from mlhwlib.adaboost import (
    MultiClassAdaBoost,
    boost_from_predictions,
    loss_reduction_factor,
    multiclass_alpha,
)
from mlhwlib.bptt import rnn_bptt, tanh_derivative
from mlhwlib.gmm import GaussianMixture, em_step, log_likelihood, responsibilities
from mlhwlib.lstm import lstm_trace

mpmath.mp.dps = 50


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ----------------------------------------------------------------- LSTM gates at +-1e4
@pytest.mark.parametrize("act", [None, np.tanh])
def test_lstm_gates_saturate_exactly_at_pre_activations_of_1e4(act):
    X = np.array([[1.0], [1.0], [-1.0], [-1.0]])
    tr = lstm_trace(X, w=[2.0], w_i=[1e4], w_f=[-1e4], w_o=[1e4], c0=5.0, g=act, h=act)
    assert tr.z_i.tolist() == [1e4, 1e4, -1e4, -1e4]
    assert tr.i.tolist() == [1.0, 1.0, 0.0, 0.0]
    assert tr.f.tolist() == [0.0, 0.0, 1.0, 1.0]
    assert tr.o.tolist() == [1.0, 1.0, 0.0, 0.0]
    g = (lambda v: v) if act is None else act
    # by hand: write g(2) and forget c0, write again, then hold the memory and close the output
    c = [g(2.0), g(2.0), g(2.0), g(2.0)]
    np.testing.assert_array_equal(tr.c, c)
    np.testing.assert_array_equal(tr.y, [g(c[0]), g(c[1]), 0.0, 0.0])


def test_lstm_gates_at_the_edge_of_the_float_range():
    tr = lstm_trace([[1.0], [-1.0]], w=[1.0], w_i=[1e308], w_f=[-1e308], w_o=[1.7e308])
    assert np.all(np.isfinite(tr.c)) and np.all(np.isfinite(tr.y))
    assert tr.i.tolist() == [1.0, 0.0] and tr.f.tolist() == [0.0, 1.0]
    np.testing.assert_array_equal(tr.c, [1.0, 1.0])


# ----------------------------------------------------------------- BPTT in saturation
def _mp_loss(x, y, w0, w_h, w_i, h0=0.0):
    h = mpmath.mpf(h0)
    for xt in x:
        h = mpmath.tanh(mpmath.mpf(w_i) * mpmath.mpf(xt) + mpmath.mpf(w_h) * h)
    z = mpmath.mpf(w0) * h
    # -y log sigma(z) - (1-y) log sigma(-z) = y log(1+e^-z) + (1-y) log(1+e^z)
    return mpmath.mpf(y) * mpmath.log1p(mpmath.exp(-z)) + (1 - mpmath.mpf(y)) * mpmath.log1p(mpmath.exp(z))


def _mp_grads(x, y, w0, w_h, w_i):
    f = lambda a, b, c: _mp_loss(x, y, a, b, c)
    return [float(mpmath.diff(f, (w0, w_h, w_i), order)) for order in ((1, 0, 0), (0, 1, 0), (0, 0, 1))]


@pytest.mark.parametrize("w0", [1e4, -1e4, 40.0, -40.0, 800.0])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.3])
def test_bptt_with_a_saturated_sigmoid_output_matches_50_digit_arithmetic(w0, y):
    x, w_h, w_i = [1.0, 2.0], 0.5, 1.0
    r = rnn_bptt(x, y, w0=w0, w_h=w_h, w_i=w_i)
    assert all(np.isfinite([r.loss, r.grad_w0, r.grad_w_h, r.grad_w_i, r.delta]))
    assert r.loss == pytest.approx(float(_mp_loss(x, y, w0, w_h, w_i)), rel=1e-13, abs=1e-300)
    for got, ref in zip((r.grad_w0, r.grad_w_h, r.grad_w_i), _mp_grads(x, y, w0, w_h, w_i)):
        assert got == pytest.approx(ref, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("w_i", [10.0, 25.0, -30.0])
def test_bptt_with_saturated_tanh_keeps_relative_accuracy(w_i):
    """sech^2(a) ~ 1e-26 here: 1 - tanh(a)^2 would be exactly 0 and every gradient lost."""
    x, y, w0, w_h = [1.0, 1.0, 1.0], 0.0, 1.5, 0.2
    r = rnn_bptt(x, y, w0=w0, w_h=w_h, w_i=w_i)
    _, ref_wh, ref_wi = _mp_grads(x, y, w0, w_h, w_i)
    assert r.grad_w_i != 0.0 and r.grad_w_h != 0.0
    assert r.grad_w_i == pytest.approx(ref_wi, rel=1e-9)
    assert r.grad_w_h == pytest.approx(ref_wh, rel=1e-9)


@pytest.mark.parametrize("a", [0.0, 1e-8, 5.0, 20.0, 100.0, -300.0, 354.0, 700.0, 1e4, 1e308])
def test_tanh_derivative_matches_sech_squared_to_full_precision(a):
    ref = float(mpmath.sech(mpmath.mpf(a)) ** 2)
    assert tanh_derivative(a) == pytest.approx(ref, rel=1e-14, abs=0.0)


# ----------------------------------------------------------------- GMM far from every Gaussian
W = np.array([0.3, 0.7])
MU = np.array([[0.0, 0.0], [3.0, -1.0]])
COV = np.array([[[1.0, 0.3], [0.3, 0.5]], [[2.0, -0.4], [-0.4, 1.0]]])


def _scipy_log_joint(X, weights, means, covs):
    return np.column_stack([np.log(w) + stats.multivariate_normal(m, c).logpdf(X)
                            for w, m, c in zip(weights, means, covs)])


FAR = np.array([[1e3, -1e3], [5e4, 0.0], [-2e5, 3e5], [0.5, 0.1]])


def test_log_likelihood_of_points_far_from_every_gaussian():
    lj = _scipy_log_joint(FAR, W, MU, COV)
    assert np.all(np.exp(lj[:3]) == 0.0)           # every density underflows there
    expected = float(logsumexp(lj, axis=1).sum())
    got = log_likelihood(FAR, W, MU, COV)
    assert np.isfinite(got)
    assert got == pytest.approx(expected, rel=1e-11)


def test_responsibilities_of_far_points_are_a_softmax_of_log_densities():
    lj = _scipy_log_joint(FAR, W, MU, COV)
    expected = np.exp(lj - logsumexp(lj, axis=1, keepdims=True))
    got = responsibilities(FAR, W, MU, COV)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-300)


def test_fitted_mixture_scores_far_points_finitely():
    rng = np.random.default_rng(7)
    X = np.vstack([rng.multivariate_normal(m, c, 100) for m, c in zip(MU, COV)])
    gm = GaussianMixture(2, random_state=0).fit(X)
    lj = _scipy_log_joint(FAR, gm.weights_, gm.means_, gm.covariances_)
    np.testing.assert_allclose(gm.score_samples(FAR), logsumexp(lj, axis=1), rtol=1e-10)
    np.testing.assert_allclose(gm.predict_proba(FAR).sum(axis=1), 1.0, rtol=1e-14)


# ----------------------------------------------------------------- near-singular covariances
def _hand_m_step(X, weights, means, covs, reg):
    lj = _scipy_log_joint(X, weights, means, covs)
    r = np.exp(lj - logsumexp(lj, axis=1, keepdims=True))
    nk = r.sum(axis=0)
    new_means = (r.T @ X) / nk[:, None]
    new_covs = np.array([((X - m) * r[:, [k]]).T @ (X - m) / nk[k] + reg * np.eye(X.shape[1])
                         for k, m in enumerate(new_means)])
    return nk / nk.sum(), new_means, new_covs


def test_em_step_on_collinear_data_stays_positive_definite_with_reg_covar():
    """Points on the line x2 = 2 x1: the exact M-step covariance is singular."""
    rng = np.random.default_rng(3)
    t = np.concatenate([rng.normal(-3, 1, 40), rng.normal(3, 1, 40)])
    X = np.column_stack([t, 2.0 * t])
    w0, m0 = np.array([0.5, 0.5]), np.array([[-3.0, -6.0], [3.0, 6.0]])
    c0 = np.array([np.eye(2), np.eye(2)])
    reg = 1e-6
    w, m, c = em_step(X, w0, m0, c0, reg_covar=reg)
    hw, hm, hc = _hand_m_step(X, w0, m0, c0, reg)
    np.testing.assert_allclose(w, hw, rtol=1e-12)
    np.testing.assert_allclose(m, hm, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c, hc, rtol=1e-9, atol=1e-12)
    assert np.all(np.linalg.eigvalsh(c) >= reg * (1 - 1e-6))   # the ridge keeps them PD
    # and the next E-step on these near-singular covariances is finite and right
    ll = log_likelihood(X, w, m, c)
    assert ll == pytest.approx(float(logsumexp(_scipy_log_joint(X, w, m, c), axis=1).sum()), rel=1e-9)
    with pytest.raises(ValueError, match="reg_covar"):       # without the ridge: a clear error
        em_step(X, w, m, em_step(X, w0, m0, c0, reg_covar=0.0)[2])


def test_log_likelihood_with_a_condition_number_of_1e12():
    cov = np.array([[[1.0, 1.0 - 1e-12], [1.0 - 1e-12, 1.0]]])
    X = np.array([[0.3, 0.3], [0.3, 0.3 + 1e-6], [1.0, -1.0]])
    mp_cov = mpmath.matrix(cov[0].tolist())
    inv, det = mp_cov ** -1, mpmath.det(mp_cov)
    ref = 0.0
    for x in X:
        v = mpmath.matrix(x.tolist())
        ref += -0.5 * (v.T * inv * v)[0] - 0.5 * mpmath.log(det) - mpmath.log(2 * mpmath.pi)
    # the Mahalanobis term of the last point is ~1e12; the Cholesky route keeps ~12 digits
    assert log_likelihood(X, [1.0], [[0.0, 0.0]], cov) == pytest.approx(float(ref), rel=1e-9)


def test_mixture_fit_on_duplicate_points_is_finite_with_reg_covar():
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 1.0 + 1e-9]]), 10, axis=0)
    gm = GaussianMixture(2, reg_covar=1e-6, max_iter=50, random_state=0).fit(X)
    assert np.all(np.isfinite(gm.lower_bounds_))
    assert np.all(np.linalg.eigvalsh(gm.covariances_) >= 1e-6 * (1 - 1e-6))
    assert np.all(np.isfinite(gm.score_samples(X)))


# ----------------------------------------------------------------- boosting as eps -> 0 and -> 1
def _mp_alpha(eps, k):
    e = mpmath.mpf(eps)
    return (k - 1) / mpmath.mpf(k) * (mpmath.log((1 - e) / e) + mpmath.log(k - 1))


def _mp_factor(eps, k):
    e = mpmath.mpf(eps)
    return k * (e / (k - 1)) ** (mpmath.mpf(k - 1) / k) * (1 - e) ** (mpmath.mpf(1) / k)


EPS_EXTREMES = [5e-324, 1e-300, 1e-100, 1e-16, 1e-8, 1.0 - 2.0 ** -53, 1.0 - 1e-12]


@pytest.mark.parametrize("eps", EPS_EXTREMES)
@pytest.mark.parametrize("k", [2, 3, 10])
def test_multiclass_alpha_and_loss_factor_at_extreme_errors(eps, k):
    alpha = multiclass_alpha(eps, k)
    assert np.isfinite(alpha)
    assert alpha == pytest.approx(float(_mp_alpha(eps, k)), rel=1e-13)
    z = loss_reduction_factor(eps, k)
    assert np.isfinite(z) and 0.0 <= z <= 1.0
    assert z == pytest.approx(float(_mp_factor(eps, k)), rel=1e-12, abs=1e-300)


def test_boosting_with_errors_shrinking_towards_zero():
    """A sample that every round gets right loses weight geometrically; eps of its rounds -> 0."""
    y = np.array([0, 1, 2])
    # 200 rounds alternate: wrong only on sample 0, then only on sample 1; sample 2 is always
    # right, so its weight falls to ~1e-61. Two last rounds are wrong only on sample 2:
    # the first has eps ~ 1e-61; its exact step leaves that learner at chance level,
    # eps = (K-1)/K, so the repeated round gets a step of 0.
    preds = np.array([[1, 1, 2] if t % 2 == 0 else [0, 2, 2] for t in range(200)]
                     + [[0, 1, 0], [0, 1, 0]])
    rounds = len(preds)
    res = boost_from_predictions(y, preds, 3)
    assert res.eps[-2] < 1e-50 and np.isfinite(res.alpha[-2]) and res.alpha[-2] > 90.0
    assert res.eps[-1] == pytest.approx(2.0 / 3.0, rel=1e-12)
    assert res.alpha[-1] == pytest.approx(0.0, abs=1e-12)
    assert np.all(np.isfinite(res.weights)) and np.all(np.isfinite(res.alpha))
    assert np.isfinite(res.loss)
    np.testing.assert_allclose(res.weights.sum(axis=1), 1.0, rtol=1e-14)
    # independent: the multiplicative update D e^{-alpha} / D e^{alpha/(K-1)}, renormalised
    D = np.full(3, 1.0 / 3.0)
    for t in range(rounds):
        wrong = preds[t] != y
        eps = D[wrong].sum()
        assert eps == pytest.approx(res.eps[t], rel=1e-10)
        a = float(_mp_alpha(eps, 3))
        assert res.alpha[t] == pytest.approx(a, rel=1e-12)
        D = D * np.where(wrong, np.exp(a / 2.0), np.exp(-a))
        D /= D.sum()
        np.testing.assert_allclose(res.weights[t + 1], D, rtol=1e-9, atol=1e-300)


def test_adaboost_classifier_with_a_perfect_round_and_tiny_weights():
    X = np.arange(12, dtype=float)[:, None]
    y = np.repeat([0, 1, 2], 4)
    sw = np.ones(12)
    sw[::3] = 1e-300                                   # absurdly small but positive weights
    clf = MultiClassAdaBoost(n_estimators=5).fit(X, y, sample_weight=sw)
    assert np.all(np.isfinite(clf.estimator_weights_))
    assert np.all(np.isfinite(clf.decision_function(X)))
    # every kept round is better than chance (K = 3: eps < 2/3)
    assert np.all(clf.estimator_errors_ < 2.0 / 3.0)
    sep = MultiClassAdaBoost(n_estimators=5).fit(X[:8], y[:8])   # two classes: one perfect stump
    assert sep.estimator_errors_.tolist() == [0.0]
    assert sep.estimator_weights_.tolist() == [0.5]
    assert sep.score(X[:8], y[:8]) == 1.0
