"""Cross-cutting properties of mlhwlib, checked with hypothesis.

* KL(p || q) >= 0, with equality only at p = q (checked through Pinsker's bound);
* ELBO(q) <= log p(x) with equality at the posterior, the gap being KL(q || posterior);
* one EM step never lowers the Gaussian-mixture log-likelihood;
* BPTT gradients equal central differences of the loss on random parameters;
* multiclass_alpha > 0 exactly when eps < (K - 1) / K;
* lstm_trace is finite for any finite input (or says which value overflowed).
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
from conftest import hypothesis_settings
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlhwlib.adaboost import multiclass_alpha, samme_alpha
from mlhwlib.bptt import rnn_bptt
from mlhwlib.em import elbo, kl_divergence, log_evidence, posterior
from mlhwlib.gmm import em_step, log_likelihood
from mlhwlib.lstm import lstm_trace

FAST = hypothesis_settings(150, database=None)
SLOW = hypothesis_settings(40, database=None)

finite = st.floats(allow_nan=False, allow_infinity=False)


def distribution(k):
    """A strictly positive or sparse discrete distribution of length k."""
    return hnp.arrays(np.float64, k, elements=st.one_of(
        st.just(0.0), st.floats(1e-6, 1.0))).filter(lambda w: w.sum() > 0).map(lambda w: w / w.sum())


@st.composite
def two_distributions(draw):
    k = draw(st.integers(1, 8))
    return draw(distribution(k)), draw(distribution(k))


# ----------------------------------------------------------------- KL
@FAST
@given(two_distributions())
def test_kl_is_nonnegative_and_zero_only_at_p_equals_q(pq):
    p, q = pq
    assert kl_divergence(p, p) == 0.0
    kl = kl_divergence(p, q)
    l1 = float(np.abs(p - q).sum())
    # Pinsker: KL >= ||p - q||_1^2 / 2, so KL > 0 whenever p != q.
    assert kl >= 0.5 * l1 * l1 - 1e-12
    if l1 > 1e-4:
        assert kl > 0.0
    # KL is infinite exactly when q misses mass of p.
    assert math.isinf(kl) == bool(np.any((q == 0) & (p > 0)))


# ----------------------------------------------------------------- ELBO
@st.composite
def log_joint_and_q(draw):
    n = draw(st.integers(1, 4))
    k = draw(st.integers(1, 6))
    lj = draw(hnp.arrays(np.float64, (n, k), elements=st.floats(-60.0, 60.0)))
    q = np.stack([draw(distribution(k)) for _ in range(n)])
    return lj, q


@FAST
@given(log_joint_and_q())
def test_elbo_is_below_the_evidence_with_equality_at_the_posterior(case):
    lj, q = case
    evidence = log_evidence(lj)                      # (N,)
    post = posterior(lj)
    scale = 1e-12 * (1.0 + np.abs(lj).max())
    for n in range(lj.shape[0]):
        bound = elbo(q[n], lj[n])
        assert bound <= evidence[n] + scale
        assert elbo(post[n], lj[n]) == pytest.approx(evidence[n], abs=scale)
        # the gap is exactly KL(q || posterior)
        assert evidence[n] - bound == pytest.approx(kl_divergence(q[n], post[n]), abs=1e-9 + scale)
    # the 2-D form sums the rows
    assert elbo(q, lj) == pytest.approx(sum(elbo(q[n], lj[n]) for n in range(len(lj))), abs=scale * len(lj))
    assert elbo(q, lj) <= float(evidence.sum()) + scale * len(lj)


# ----------------------------------------------------------------- EM
@st.composite
def mixture_problem(draw):
    d = draw(st.integers(1, 3))
    k = draw(st.integers(1, 3))
    n = draw(st.integers(k * (d + 2) + 5, 60))
    seed = draw(st.integers(0, 2**32 - 1))
    spread = draw(st.floats(0.1, 10.0))
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=spread, size=(k, d))
    X = centres[rng.integers(k, size=n)] + rng.normal(size=(n, d))
    weights = rng.dirichlet(np.ones(k))
    means = X[rng.choice(n, size=k, replace=False)] + rng.normal(scale=0.1, size=(k, d))
    A = rng.normal(size=(k, d, d))
    covariances = A @ np.swapaxes(A, 1, 2) + draw(st.floats(0.05, 5.0)) * np.eye(d)
    return X, weights, means, covariances


@SLOW
@given(mixture_problem())
def test_em_never_lowers_the_log_likelihood(problem):
    X, w, m, c = problem
    ll = log_likelihood(X, w, m, c)
    for _ in range(4):
        w, m, c = em_step(X, w, m, c, reg_covar=0.0)   # the exact M-step: monotone
        try:
            new = log_likelihood(X, w, m, c)
        except ValueError as err:
            # A component collapsed onto <= d points: its covariance is singular and the
            # likelihood unbounded above (consistent with monotonicity); the library says so.
            assert "is not positive definite" in str(err) and "reg_covar" in str(err)
            break
        assert new >= ll - 1e-9 * (1.0 + abs(ll))
        ll = new


# ----------------------------------------------------------------- BPTT
@st.composite
def rnn_problem(draw):
    T = draw(st.integers(1, 6))
    x = draw(hnp.arrays(np.float64, T, elements=st.floats(-2.0, 2.0)))
    y = draw(st.floats(0.0, 1.0))
    w0, w_h, w_i, h0 = (draw(st.floats(-2.0, 2.0)) for _ in range(4))
    return x, y, w0, w_h, w_i, h0


@FAST
@given(rnn_problem())
def test_bptt_gradients_equal_central_differences(problem):
    x, y, w0, w_h, w_i, h0 = problem
    params = dict(w0=w0, w_h=w_h, w_i=w_i, h0=h0)
    r = rnn_bptt(x, y, **params)
    step = 1e-6

    def loss(**change):
        return rnn_bptt(x, y, **{**params, **change}).loss

    for name, grad in (("w0", r.grad_w0), ("w_h", r.grad_w_h), ("w_i", r.grad_w_i),
                       ("h0", r.grad_h[0])):
        v = params[name]
        numeric = (loss(**{name: v + step}) - loss(**{name: v - step})) / (2 * step)
        assert grad == pytest.approx(numeric, rel=1e-5, abs=1e-7), name


# ----------------------------------------------------------------- AdaBoost step
@FAST
@given(st.floats(1e-300, 1.0, exclude_max=True), st.integers(2, 50))
def test_multiclass_alpha_is_positive_exactly_below_chance_error(eps, k):
    assume(eps > 0.0)
    boundary = Fraction(k - 1, k)
    # within ~1e-12 of the boundary rounding decides the sign of a number ~1e-12: skip that band
    assume(abs(Fraction(eps) - boundary) > Fraction(1, 10**12))
    alpha = multiclass_alpha(eps, k)
    assert math.isfinite(alpha)
    assert (alpha > 0) == (Fraction(eps) < boundary)
    assert alpha == pytest.approx((k - 1) / k * samme_alpha(eps, k), rel=1e-15)


def test_multiclass_alpha_is_zero_at_the_boundary():
    for k in (2, 3, 4, 10):
        assert multiclass_alpha((k - 1) / k, k) == pytest.approx(0.0, abs=1e-15)


# ----------------------------------------------------------------- LSTM
@st.composite
def lstm_problem(draw, bound):
    T = draw(st.integers(1, 8))
    d = draw(st.integers(1, 4))
    el = st.floats(-bound, bound) if bound else finite
    X = draw(hnp.arrays(np.float64, (T, d), elements=el))
    ws = [draw(hnp.arrays(np.float64, d, elements=el)) for _ in range(4)]
    bs = [draw(el) for _ in range(5)]
    return X, ws, bs


def _assert_finite_trace(tr):
    for name in ("z", "z_i", "z_f", "z_o", "i", "f", "o", "g_z", "c", "h_c", "y"):
        assert np.all(np.isfinite(getattr(tr, name))), name
    for gate in (tr.i, tr.f, tr.o):
        assert np.all((gate >= 0) & (gate <= 1))


@FAST
@given(lstm_problem(bound=1e4), st.sampled_from([None, np.tanh]))
def test_lstm_trace_is_finite_for_finite_input(problem, act):
    X, (w, w_i, w_f, w_o), (b, b_i, b_f, b_o, c0) = problem
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tr = lstm_trace(X, w, w_i, w_f, w_o, b, b_i, b_f, b_o, c0=c0, g=act, h=act)
    _assert_finite_trace(tr)


@FAST
@given(lstm_problem(bound=None))
def test_lstm_trace_anywhere_in_float_range_is_finite_or_names_the_overflow(problem):
    X, (w, w_i, w_f, w_o), (b, b_i, b_f, b_o, c0) = problem
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            tr = lstm_trace(X, w, w_i, w_f, w_o, b, b_i, b_f, b_o, c0=c0)
        except ValueError as err:
            assert "overflowed" in str(err)
            return
    _assert_finite_trace(tr)
