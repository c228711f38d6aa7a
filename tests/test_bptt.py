"""Tests for :mod:`mlhwlib.bptt` (chapter ``book/bptt.ipynb``).

Every reference value is computed independently here: the T = 2 closed forms
with the :mod:`math` module, central finite differences of the loss, PyTorch
autograd in float64, and :func:`math.log1p` for saturated losses.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from conftest import hypothesis_settings, lazy_torch
from hypothesis import given
from hypothesis import strategies as st

from mlhwlib.bptt import BPTTResult, rnn_bptt, rnn_forward, tanh_derivative
from mlhwlib.clipping import clip_by_norm

torch = lazy_torch()  # imported by the first test that uses it
pytestmark = pytest.mark.xdist_group("torch")

PARAMS = ("w0", "w_h", "w_i")


# --------------------------------------------------------------------------
# independent references
# --------------------------------------------------------------------------
def closed_form_t2(x1, x2, y, w0, w_h, w_i, h0):
    """The chapter's T = 2 closed forms, written out with scalars and math.*."""
    a1 = w_i * x1 + w_h * h0
    h1 = math.tanh(a1)
    a2 = w_i * x2 + w_h * h1
    h2 = math.tanh(a2)
    y_hat = 1.0 / (1.0 + math.exp(-w0 * h2))
    loss = -(y * math.log(y_hat) + (1.0 - y) * math.log(1.0 - y_hat))
    s1 = 1.0 / math.cosh(a1) ** 2
    s2 = 1.0 / math.cosh(a2) ** 2
    d = y_hat - y
    g_w0 = d * h2
    g_wh = d * w0 * s2 * (h1 + w_h * s1 * h0)
    g_wi = d * w0 * s2 * (x2 + w_h * s1 * x1)
    g_h0 = d * w0 * s2 * w_h * s1 * w_h
    return dict(y_hat=y_hat, loss=loss, grad_w0=g_w0, grad_w_h=g_wh, grad_w_i=g_wi,
                h=(h0, h1, h2), grad_h0=g_h0)


def torch_reference(x, y, w0, w_h, w_i, h0):
    """Loss, parameter gradients and dL/dh_t by PyTorch autograd in float64."""
    dt = torch.float64
    p = {k: torch.tensor(float(v), dtype=dt, requires_grad=True)
         for k, v in dict(w0=w0, w_h=w_h, w_i=w_i, h0=h0).items()}
    hs = [p["h0"]]
    for xt in np.asarray(x, dtype=float):
        hs.append(torch.tanh(p["w_i"] * float(xt) + p["w_h"] * hs[-1]))
    for h in hs[1:]:
        h.retain_grad()
    z = p["w0"] * hs[-1]
    loss = torch.nn.functional.binary_cross_entropy_with_logits(
        z, torch.tensor(float(y), dtype=dt))
    loss.backward()
    grad_h = np.array([float(h.grad) for h in hs])
    return dict(loss=loss.item(), grad_w0=float(p["w0"].grad), grad_w_h=float(p["w_h"].grad),
                grad_w_i=float(p["w_i"].grad), grad_h=grad_h)


def central_difference(f, v, eps=1e-6):
    return (f(v + eps) - f(v - eps)) / (2.0 * eps)


# --------------------------------------------------------------------------
# T = 2 closed forms
# --------------------------------------------------------------------------
T2_CASES = [
    # x1, x2, y, w0, w_h, w_i, h0
    (0.5, -1.0, 1.0, 2.0, 0.7, -0.3, 0.2),
    (1.3, 0.4, 0.0, -1.5, 1.4, 0.8, -0.6),
    (-2.0, 0.9, 0.25, 3.0, -0.9, 1.1, 0.9),
    (0.0, 0.0, 0.25, 0.5, 2.0, 1.0, 0.35),
    (1.0, 2.0, 1.0, -4.0, 0.3, -0.7, 0.0),
    (0.2, -0.3, 0.0, 1.0, -1.7, 2.5, -0.99),
]


@pytest.mark.parametrize("case", T2_CASES)
def test_t2_closed_forms(case):
    x1, x2, y, w0, w_h, w_i, h0 = case
    ref = closed_form_t2(*case)
    r = rnn_bptt([x1, x2], y, w0, w_h, w_i, h0=h0)
    for key in ("y_hat", "loss", "grad_w0", "grad_w_h", "grad_w_i"):
        assert math.isclose(getattr(r, key), ref[key], rel_tol=1e-12, abs_tol=1e-12), key
    np.testing.assert_allclose(r.h, ref["h"], rtol=1e-12, atol=1e-15)
    assert math.isclose(r.grad_h[0], ref["grad_h0"], rel_tol=1e-12, abs_tol=1e-12)
    assert r.h.shape == (3,) and r.grad_h.shape == (3,)
    assert r.h[0] == h0
    assert all(type(getattr(r, k)) is float for k in ("y_hat", "loss", "grad_w0", "grad_w_h", "grad_w_i"))


def test_t2_cases_cover_the_issue():
    """The parameter sets include h0 != 0 and y = 0, 1, 0.25 (issue requirement)."""
    assert {c[2] for c in T2_CASES} >= {0.0, 1.0, 0.25}
    assert any(c[6] != 0 for c in T2_CASES)


# --------------------------------------------------------------------------
# T = 50: finite differences and torch autograd
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def long_case():
    rng = np.random.default_rng(20240605)
    x = rng.normal(size=50)
    return dict(x=x, y=0.3, w0=1.7, w_h=0.9, w_i=0.6, h0=-0.4)


def test_t50_central_differences(long_case):
    c = long_case
    r = rnn_bptt(**c)
    for name in PARAMS + ("h0",):
        def f(v, name=name):
            return rnn_bptt(**{**c, name: v}).loss
        fd = central_difference(f, c[name])
        ours = r.grad_h[0] if name == "h0" else getattr(r, f"grad_{name}")
        assert abs(ours - fd) <= 1e-7 * max(1.0, abs(fd)), (name, ours, fd)


def test_t50_torch_autograd(long_case):
    c = long_case
    r = rnn_bptt(**c)
    ref = torch_reference(**c)
    assert math.isclose(r.loss, ref["loss"], rel_tol=1e-12)
    for key in ("grad_w0", "grad_w_h", "grad_w_i"):
        assert math.isclose(getattr(r, key), ref[key], rel_tol=1e-10, abs_tol=1e-12), key
    np.testing.assert_allclose(r.grad_h, ref["grad_h"], rtol=1e-10, atol=1e-14)


@hypothesis_settings(40, database=None)
@given(
    x=st.lists(st.floats(-3, 3), min_size=1, max_size=30),
    y=st.floats(0, 1),
    w0=st.floats(-5, 5), w_h=st.floats(-2, 2), w_i=st.floats(-2, 2), h0=st.floats(-1, 1),
)
def test_random_parameters_match_torch(x, y, w0, w_h, w_i, h0):
    r = rnn_bptt(x, y, w0, w_h, w_i, h0)
    ref = torch_reference(x, y, w0, w_h, w_i, h0)
    assert math.isclose(r.loss, ref["loss"], rel_tol=1e-10, abs_tol=1e-12)
    for key in ("grad_w0", "grad_w_h", "grad_w_i"):
        assert math.isclose(getattr(r, key), ref[key], rel_tol=1e-9, abs_tol=1e-12), key
    np.testing.assert_allclose(r.grad_h, ref["grad_h"], rtol=1e-9, atol=1e-12)


def test_forward_states_match_plain_loop():
    x = [0.3, -1.2, 2.0, 0.0]
    h, a = rnn_forward(x, w_h=1.3, w_i=-0.8, h0=0.5)
    hh = [0.5]
    for xt in x:
        hh.append(math.tanh(-0.8 * xt + 1.3 * hh[-1]))
    np.testing.assert_allclose(h, hh, rtol=1e-15, atol=0)
    np.testing.assert_allclose(np.tanh(a), hh[1:], rtol=1e-15, atol=0)


def test_tanh_derivative_against_cosh_and_one_minus_tanh_squared():
    a = np.array([-30.0, -5.0, -0.7, 0.0, 0.3, 4.0, 18.0, 30.0])
    np.testing.assert_allclose(tanh_derivative(a), 1.0 / np.cosh(a) ** 2, rtol=1e-14)
    small = np.linspace(-2, 2, 9)
    np.testing.assert_allclose(tanh_derivative(small), 1 - np.tanh(small) ** 2, rtol=1e-14, atol=1e-16)
    assert tanh_derivative(1e308) == 0.0 and tanh_derivative(-1e308) == 0.0


# --------------------------------------------------------------------------
# saturation: z = w0 * h_T = +-60 and +-1e4
# --------------------------------------------------------------------------
@pytest.mark.parametrize("z", [60.0, -60.0, 1e4, -1e4])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.25])
def test_saturated_logit_is_finite_and_accurate(z, y):
    # tanh(40) rounds to exactly 1.0, so the logit w0 * h_1 is exactly w0 = z.
    x, w_i = [40.0], 1.0
    r = rnn_bptt(x, y, z, 0.5, w_i)
    assert r.h[1] == 1.0 and r.logit == z
    # loss = y*softplus(-z) + (1-y)*softplus(z), softplus(u) = max(u,0) + log1p(exp(-|u|))
    def softplus(u):
        return max(u, 0.0) + math.log1p(math.exp(-abs(u)))
    ref_loss = y * softplus(-z) + (1 - y) * softplus(z)
    assert math.isclose(r.loss, ref_loss, rel_tol=1e-14, abs_tol=0.0)
    # delta = sigma(z) - y, with sigma(z) = 1/(1+exp(-z)) written stably by hand
    sig = 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
    sig_neg = 1.0 - sig if z < 0 else math.exp(-z) / (1.0 + math.exp(-z))
    ref_delta = (1 - y) * sig - y * sig_neg
    assert math.isclose(r.delta, ref_delta, rel_tol=1e-14, abs_tol=0.0)
    assert math.isclose(r.grad_w0, ref_delta * 1.0, rel_tol=1e-14, abs_tol=0.0)
    s1 = 4 * math.exp(-80.0) / (1 + math.exp(-80.0)) ** 2  # sech^2(40)
    assert math.isclose(r.grad_w_i, ref_delta * z * s1 * 40.0, rel_tol=1e-13, abs_tol=0.0)
    for key in ("y_hat", "loss", "grad_w0", "grad_w_h", "grad_w_i", "delta"):
        assert math.isfinite(getattr(r, key))
    # torch agrees on the loss up to its own rounding: its BCE-with-logits returns
    # 0 where the exact loss is log1p(exp(-60)) = 8.8e-27, hence the absolute slack.
    ref = torch_reference(x, y, z, 0.5, w_i, 0.0)
    assert math.isclose(r.loss, ref["loss"], rel_tol=1e-12, abs_tol=1e-20)


def test_hard_label_loss_keeps_relative_accuracy():
    # y = 1, z = 60: the exact loss is log1p(exp(-60)) = 8.756510762696521e-27,
    # which softplus(z) - y*z would round to 0.
    r = rnn_bptt([40.0], 1.0, 60.0, 0.0, 1.0)
    assert r.loss > 0
    assert math.isclose(r.loss, math.log1p(math.exp(-60.0)), rel_tol=1e-14)


def test_saturated_hidden_states_do_not_warn():
    # Huge pre-activations: tanh saturates, sech^2 underflows to 0, no warnings
    # (pytest turns RuntimeWarning into errors).
    r = rnn_bptt([1e5, -1e5, 3e200], 0.0, 1e4, 50.0, 1e100)
    assert np.all(np.isfinite(r.grad_h)) and math.isfinite(r.grad_w_i)
    assert r.grad_w_h == 0.0 and r.grad_w_i == 0.0


def test_backward_overflow_is_reported():
    with pytest.raises(OverflowError, match="exploding"):
        rnn_bptt(np.zeros(400), 0.0, 1.0, 10.0, 1.0)  # 10**400 > 1e308
    with pytest.raises(OverflowError, match="forward"):
        rnn_bptt([1e200], 0.0, 1.0, 1.0, 1e200)


# --------------------------------------------------------------------------
# bad inputs
# --------------------------------------------------------------------------
GOOD = dict(x=[0.1, 0.2], y=0.5, w0=1.0, w_h=0.5, w_i=0.5, h0=0.0)


def test_result_is_frozen_and_read_only():
    r = rnn_bptt(**GOOD)
    assert isinstance(r, BPTTResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.loss = 0.0
    with pytest.raises(ValueError):
        r.h[0] = 1.0
    with pytest.raises(ValueError):
        r.grad_h[0] = 1.0


# --------------------------------------------------------------------------
# gradient clipping
# --------------------------------------------------------------------------
def test_clip_by_norm():
    g = np.array([3.0, -4.0, 12.0])  # norm 13
    out = clip_by_norm(g, 6.5)
    np.testing.assert_allclose(out, g / 2, rtol=1e-15)
    np.testing.assert_allclose(clip_by_norm(g, 13.0), g)
    np.testing.assert_allclose(clip_by_norm(g, 100.0), g)
    # matches torch's clip_grad_norm_ (up to its 1e-6 safety term)
    t = torch.tensor(g, dtype=torch.float64, requires_grad=True)
    t.grad = torch.tensor(g, dtype=torch.float64)
    torch.nn.utils.clip_grad_norm_([t], max_norm=6.5)
    np.testing.assert_allclose(out, t.grad.numpy(), rtol=1e-6)
    big = np.array([1e200, 1e200])
    np.testing.assert_allclose(clip_by_norm(big, 1.0), [2 ** -0.5, 2 ** -0.5], rtol=1e-15)
    np.testing.assert_allclose(clip_by_norm([-5.0], 2.0), [-2.0])
    with pytest.raises(ValueError, match="max_norm must be positive"):
        clip_by_norm(g, 0.0)
    with pytest.raises(ValueError, match="grad must contain only finite"):
        clip_by_norm([np.nan, 1.0], 1.0)


# --------------------------------------------------------------------------
# the chapter's exercises (solutions checked independently)
# --------------------------------------------------------------------------
def test_exercise_relu_rnn_recursion():
    """ReLU RNN: dL/dh_{t-1} = dL/dh_t * 1[a_t > 0] * w_h (exercise bptt-ex-relu)."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=12)
    y, w0, w_h, w_i, h0 = 1.0, 0.8, 0.9, 0.7, 0.3
    h, a = [h0], []
    for xt in x:
        a.append(w_i * xt + w_h * h[-1])
        h.append(max(a[-1], 0.0))
    z = w0 * h[-1]
    d = 1 / (1 + math.exp(-z)) - y
    g, gwh, gwi = d * w0, 0.0, 0.0
    for t in range(len(x), 0, -1):
        ga = g * (1.0 if a[t - 1] > 0 else 0.0)
        gwh += ga * h[t - 1]
        gwi += ga * x[t - 1]
        g = ga * w_h
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
         for k, v in dict(w0=w0, w_h=w_h, w_i=w_i, h0=h0).items()}
    ht = p["h0"]
    for xt in x:
        ht = torch.relu(p["w_i"] * float(xt) + p["w_h"] * ht)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(
        p["w0"] * ht, torch.tensor(y, dtype=torch.float64))
    loss.backward()
    assert math.isclose(gwh, float(p["w_h"].grad), rel_tol=1e-10, abs_tol=1e-14)
    assert math.isclose(gwi, float(p["w_i"].grad), rel_tol=1e-10, abs_tol=1e-14)
    assert math.isclose(g, float(p["h0"].grad), rel_tol=1e-10, abs_tol=1e-14)
    assert math.isclose(d * h[-1], float(p["w0"].grad), rel_tol=1e-10, abs_tol=1e-14)


def _sigmoid_rnn_autograd(x, y, w0, w_h, w_i, h0):
    """dL/dh_t for t = 0..T and delta of a sigmoid RNN, by autograd of the unrolled net."""
    p = torch.tensor(w_h, dtype=torch.float64)
    hs = [torch.tensor(h0, dtype=torch.float64, requires_grad=True)]
    for xt in x:
        hs.append(torch.sigmoid(w_i * float(xt) + p * hs[-1]))
        hs[-1].retain_grad()
    z = w0 * hs[-1]
    loss = torch.nn.functional.binary_cross_entropy_with_logits(
        z, torch.tensor(y, dtype=torch.float64))
    loss.backward()
    g = np.array([h.grad.item() for h in hs])
    h = np.array([h.item() for h in hs])
    return g, h, torch.sigmoid(z).item() - y


@pytest.mark.parametrize("seed", range(5))
def test_exercise_sigmoid_gradient_decays_geometrically(seed):
    """Sigmoid RNN, |w_h| < 4: |dL/dh_t| <= |delta w0| (|w_h|/4)^(T-t) (exercise bptt-ex-sigmoid).

    The gradients come from autograd of the unrolled network, the per-step Jacobian
    from central differences of one step: neither uses the exercise's formulas.
    """
    rng = np.random.default_rng(seed)
    T, w_h, w_i, w0, y = 40, rng.choice([-3.5, 3.5]), 1.0, 2.0, 1.0
    x = rng.normal(size=T)
    g, h, delta = _sigmoid_rnn_autograd(x, y, w0, w_h, w_i, 0.2)
    # the per-step Jacobian dh_t/dh_(t-1) = w_h h_t (1 - h_t), by central differences
    eps = 1e-6
    for t in range(1, T + 1):
        def step(v, t=t):
            return 1 / (1 + math.exp(-(w_i * x[t - 1] + w_h * v)))
        fd = (step(h[t - 1] + eps) - step(h[t - 1] - eps)) / (2 * eps)
        assert math.isclose(fd, w_h * h[t] * (1 - h[t]), rel_tol=1e-8, abs_tol=1e-10)
        assert abs(fd) <= abs(w_h) / 4
    # the claim: geometric decay with ratio |w_h|/4 < 1, at every t
    dist = np.arange(T, -1, -1)  # T - t for t = 0..T
    bound = abs(delta * w0) * (abs(w_h) / 4) ** dist
    assert math.isclose(abs(g[-1]), abs(delta * w0), rel_tol=1e-14)
    assert np.all(np.abs(g) <= bound * (1 + 1e-12))
    assert abs(g[0]) < 0.875 ** T * abs(g[-1])  # so g_0 is below 5e-3 |g_T|
    # inputs that keep a_t near 0 (h_t near 1/2): the rate |w_h|/4 is nearly attained
    x_mid, h_prev = np.empty(T), 0.2
    for t in range(T):
        x_mid[t] = -w_h * h_prev / w_i + 0.05 * rng.normal()
        h_prev = 1 / (1 + math.exp(-(w_i * x_mid[t] + w_h * h_prev)))
    g, _, delta = _sigmoid_rnn_autograd(x_mid, y, w0, w_h, w_i, 0.2)
    bound = abs(delta * w0) * (abs(w_h) / 4) ** dist
    assert np.all(np.abs(g) <= bound * (1 + 1e-12))
    assert abs(g[0]) >= 0.9 * bound[0]


def test_exercise_sigmoid_condition_is_sharp():
    """At the fixed point h = 1/2 every factor is exactly |w_h|/4: w_h = 6 makes it grow."""
    T, w_h = 30, 6.0
    x = np.full(T, -3.0)  # a_t = -3 + 6 * 1/2 = 0, so h_t = sigmoid(0) = 1/2
    g, h, _ = _sigmoid_rnn_autograd(x, 0.0, 1.0, w_h, 1.0, 0.5)
    assert np.all(h == 0.5)
    np.testing.assert_allclose(g / g[-1], 1.5 ** np.arange(T, -1, -1), rtol=1e-12)


def test_exercise_soft_label_minimum_is_entropy():
    """min over the logit of the BCE with target y is the entropy H(y) (exercise bptt-ex-soft)."""
    y = 0.25
    z_star = math.log(y / (1 - y))
    r = rnn_bptt([40.0], y, z_star, 0.0, 1.0)  # h_1 = 1, so the logit is w0
    entropy = -(y * math.log(y) + (1 - y) * math.log(1 - y))
    assert math.isclose(r.loss, entropy, rel_tol=1e-14)
    assert abs(r.grad_w0) < 1e-15


# --------------------------------------------------------------------------
# a zero error signal never overflows
# --------------------------------------------------------------------------
@pytest.mark.parametrize("y, w0", [(1.0, 0.0), (0.5, 3.0)])
def test_zero_error_signal_gives_zero_gradient_without_overflow(y, w0):
    # w0 = 0, or y = y_hat = 1/2 (h_T = 0): delta * w0 = 0 although 10**320
    # overflows float64; the recursion starts from delta * w0 = 0.
    r = rnn_bptt(np.zeros(320), y, w0, 10.0, 1.0)
    assert r.grad_w_h == 0.0 and r.grad_w_i == 0.0 and r.grad_w0 == 0.0
    assert np.all(r.grad_h == 0.0)


def test_tiny_error_signal_with_huge_jacobian_product_is_finite():
    # delta * w0 = 1e-300 and 10**310: the product 1e10 is representable,
    # although the product of Jacobians alone is not.
    x = np.zeros(310)  # h_t = 0, so s_t = 1 and every Jacobian is w_h = 10
    r = rnn_bptt(x, 0.0, 4e-300, 10.0, 1.0)  # delta = 1/2, delta * w0 = 2e-300
    expected = 2e-300 * 10.0 ** 150 * 10.0 ** 160
    assert math.isclose(r.grad_h[0], expected, rel_tol=1e-12)


# --------------------------------------------------------------------------
# clipping several arrays by their global norm
# --------------------------------------------------------------------------
@pytest.mark.parametrize("max_norm", [0.5, 5.0, 1e3])
def test_clip_by_global_norm_matches_torch(max_norm):
    from mlhwlib.clipping import clip_by_global_norm

    rng = np.random.default_rng(3)
    grads = [rng.normal(size=(3, 4)), rng.normal(size=5), np.array(2.5)]
    params = []
    for g in grads:
        p = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        p.grad = torch.tensor(g, dtype=torch.float64)
        params.append(p)
    total_torch = torch.nn.utils.clip_grad_norm_(params, max_norm)
    clipped, total = clip_by_global_norm(grads, max_norm)
    assert math.isclose(total, float(total_torch), rel_tol=1e-14)
    expected_total = math.sqrt(sum(float(np.sum(g ** 2)) for g in grads))
    assert math.isclose(total, expected_total, rel_tol=1e-14)
    for ours, p, g in zip(clipped, params, grads):
        assert ours.shape == g.shape
        np.testing.assert_allclose(ours, p.grad.numpy(), rtol=1e-14, atol=0)
    new_norm = math.sqrt(sum(float(np.sum(c ** 2)) for c in clipped))
    assert new_norm <= max_norm * (1 + 1e-12)
    # the inputs are not modified
    assert grads[0] is not clipped[0]


def test_clip_by_global_norm_edge_cases():
    from mlhwlib.clipping import clip_by_global_norm

    # eps = 0: exactly clip_by_norm of the concatenation
    g = [np.array([3.0, -4.0]), np.array([12.0])]
    clipped, total = clip_by_global_norm(g, 6.5, eps=0.0)
    assert total == 13.0
    np.testing.assert_allclose(np.concatenate(clipped), clip_by_norm([3.0, -4.0, 12.0], 6.5),
                               rtol=1e-15)
    # no overflow or underflow in the norm
    for scale in (1e200, 1e-200):
        clipped, total = clip_by_global_norm([np.array([scale, scale])], 1.0, eps=0.0)
        assert math.isclose(total, scale * math.sqrt(2), rel_tol=1e-15)
    # all zeros: nothing to clip
    clipped, total = clip_by_global_norm([np.zeros(3)], 1.0)
    assert total == 0.0 and np.all(clipped[0] == 0.0)
    with pytest.raises(ValueError, match="max_norm must be positive"):
        clip_by_global_norm(g, 0.0)
    with pytest.raises(ValueError, match="at least one array"):
        clip_by_global_norm([], 1.0)
    with pytest.raises(ValueError, match=r"grads\[1\] must contain only finite"):
        clip_by_global_norm([np.ones(2), np.array([np.nan])], 1.0)
    with pytest.raises(TypeError, match="grads must be a list or tuple"):
        clip_by_global_norm(np.ones(3), 1.0)
    with pytest.raises(ValueError, match="eps must be >= 0"):
        clip_by_global_norm(g, 1.0, eps=-1.0)


# --------------------------------------------------------------------------
# the vector RNN with a softmax loss at every step
# --------------------------------------------------------------------------
def vector_problem(T=7, d=3, H=5, K=4, seed=0, h0=True, w_scale=0.6):
    rng = np.random.default_rng(seed)
    return dict(X=rng.normal(size=(T, d)), targets=rng.integers(0, K, size=T),
                U=rng.normal(size=(H, d)), W=w_scale * rng.normal(size=(H, H)) / np.sqrt(H),
                V=rng.normal(size=(K, H)), b=0.3 * rng.normal(size=H),
                c=0.3 * rng.normal(size=K), h0=rng.normal(size=H) * 0.5 if h0 else None)


def torch_vector_reference(P):
    """Explicit float64 loop in PyTorch, differentiated by autograd."""
    dt = torch.float64
    t = {k: torch.tensor(np.asarray(P[k], dtype=float), dtype=dt, requires_grad=True)
         for k in ("U", "W", "V", "b", "c")}
    H = t["W"].shape[0]
    h0 = torch.zeros(H, dtype=dt) if P["h0"] is None else torch.tensor(P["h0"], dtype=dt)
    h0.requires_grad_(True)
    h, hs, loss = h0, [h0], 0.0
    for xt, yt in zip(torch.tensor(P["X"], dtype=dt), P["targets"]):
        h = torch.tanh(t["b"] + t["W"] @ h + t["U"] @ xt)
        hs.append(h)
        o = t["c"] + t["V"] @ h
        loss = loss - torch.log_softmax(o, dim=0)[int(yt)]
    loss.backward()
    out = {f"grad_{k}": v.grad.numpy() for k, v in t.items()}
    out["loss"] = loss.item()
    out["h"] = torch.stack(hs).detach().numpy()
    out["grad_h0"] = h0.grad.numpy()
    return out


@pytest.mark.parametrize("seed, h0", [(0, True), (1, False), (2, True)])
def test_vector_rnn_bptt_matches_torch_autograd(seed, h0):
    from mlhwlib.vector_rnn import vector_rnn_bptt

    P = vector_problem(seed=seed, h0=h0)
    r = vector_rnn_bptt(**P)
    ref = torch_vector_reference(P)
    assert math.isclose(r.loss, ref["loss"], rel_tol=1e-13)
    np.testing.assert_allclose(r.h, ref["h"], rtol=0, atol=1e-14)
    for k in ("U", "W", "V", "b", "c"):
        got = getattr(r, f"grad_{k}")
        assert got.shape == np.shape(P[k])
        np.testing.assert_allclose(got, ref[f"grad_{k}"], rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(r.grad_h[0], ref["grad_h0"], rtol=1e-11, atol=1e-13)


def test_vector_rnn_bptt_matches_torch_nn_rnn():
    """The same model as torch.nn.RNN (tanh) + a linear read-out at every step."""
    from mlhwlib.vector_rnn import vector_rnn_bptt

    P = vector_problem(T=9, d=4, H=6, K=3, seed=5)
    dt = torch.float64
    rnn = torch.nn.RNN(4, 6, nonlinearity="tanh", batch_first=True, dtype=dt)
    out = torch.nn.Linear(6, 3, dtype=dt)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.tensor(P["U"]))
        rnn.weight_hh_l0.copy_(torch.tensor(P["W"]))
        rnn.bias_ih_l0.copy_(torch.tensor(P["b"]))
        rnn.bias_hh_l0.zero_()
        out.weight.copy_(torch.tensor(P["V"]))
        out.bias.copy_(torch.tensor(P["c"]))
    hs, _ = rnn(torch.tensor(P["X"])[None], torch.tensor(P["h0"])[None, None])
    loss = torch.nn.functional.cross_entropy(out(hs[0]), torch.tensor(P["targets"]),
                                             reduction="sum")
    loss.backward()
    r = vector_rnn_bptt(**P)
    assert math.isclose(r.loss, loss.item(), rel_tol=1e-13)
    np.testing.assert_allclose(r.grad_U, rnn.weight_ih_l0.grad.numpy(), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(r.grad_W, rnn.weight_hh_l0.grad.numpy(), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(r.grad_b, rnn.bias_ih_l0.grad.numpy(), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(r.grad_V, out.weight.grad.numpy(), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(r.grad_c, out.bias.grad.numpy(), rtol=1e-11, atol=1e-13)


def test_vector_rnn_bptt_matches_central_differences():
    from mlhwlib.vector_rnn import vector_rnn_bptt

    P = vector_problem(T=6, d=2, H=3, K=3, seed=4)
    r = vector_rnn_bptt(**P)
    eps = 1e-6
    for k in ("U", "W", "V", "b", "c", "h0"):
        base = np.asarray(P[k], dtype=float)
        fd = np.empty_like(base)
        for idx in np.ndindex(base.shape):
            up, down = base.copy(), base.copy()
            up[idx] += eps
            down[idx] -= eps
            fd[idx] = (vector_rnn_bptt(**{**P, k: up}).loss
                       - vector_rnn_bptt(**{**P, k: down}).loss) / (2 * eps)
        got = r.grad_h[0] if k == "h0" else getattr(r, f"grad_{k}")
        np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-8)


def test_vector_rnn_bptt_reduces_to_scalar_case():
    """H = d = 1, K = 2, T = 1: the softmax of the logits (0, w0 h_1) gives class 1
    the probability sigmoid(w0 h_1), so the loss with target 1 is the scalar
    model's binary cross-entropy with y = 1 (checked against rnn_bptt)."""
    from mlhwlib.vector_rnn import vector_rnn_bptt

    w_i, w_h, w0, x, h0 = 0.7, -1.3, 1.9, 0.4, 0.25
    r = vector_rnn_bptt([[x]], [1], U=[[w_i]], W=[[w_h]], V=[[0.0], [w0]], b=[0.0],
                        c=[0.0, 0.0], h0=[h0])
    s = rnn_bptt([x], 1.0, w0, w_h, w_i, h0)
    assert math.isclose(r.loss, s.loss, rel_tol=1e-14)
    assert math.isclose(r.grad_U[0, 0], s.grad_w_i, rel_tol=1e-13)
    assert math.isclose(r.grad_W[0, 0], s.grad_w_h, rel_tol=1e-13)
    assert math.isclose(r.grad_V[1, 0], s.grad_w0, rel_tol=1e-13)


def test_vector_rnn_bptt_result_is_read_only_and_shaped():
    from mlhwlib.vector_rnn import VectorBPTTResult, vector_rnn_bptt

    P = vector_problem(T=4, d=3, H=5, K=2, seed=1, h0=False)
    r = vector_rnn_bptt(**P)
    assert isinstance(r, VectorBPTTResult)
    assert r.h.shape == (5, 5) and np.all(r.h[0] == 0.0)
    assert r.y_hat.shape == (4, 2) and r.grad_h.shape == (5, 5)
    np.testing.assert_allclose(r.y_hat.sum(axis=1), 1.0, rtol=1e-15)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.loss = 0.0
    for name in ("h", "y_hat", "grad_U", "grad_W", "grad_V", "grad_b", "grad_c", "grad_h"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(r, name).flat[0] = 1.0


@pytest.mark.parametrize("a", [25.0, -30.0, 300.0])
def test_vector_rnn_bptt_slope_in_saturation_matches_the_scalar_rule(a):
    """One rule for both functions: sech^2(a_t) from the pre-activation, not 1 - h_t^2.

    At |a| > 19, 1 - tanh(a)^2 rounds to 0; the reference is 1/cosh(a)^2 (cosh stays
    finite up to |a| = 710).
    """
    from mlhwlib.vector_rnn import vector_rnn_bptt
    # T = 1, H = 1, K = 2: a_1 = b, grad_b = sech^2(b) * V^T (y_hat - e_y)
    r = vector_rnn_bptt(np.zeros((1, 1)), [0], U=[[0.0]], W=[[0.0]], V=[[1.0], [-1.0]],
                        b=[a], c=[0.0, 0.0])
    exact = 1.0 / np.cosh(a) ** 2
    grad_o = r.y_hat[0] - np.array([1.0, 0.0])
    expected = exact * float(np.array([1.0, -1.0]) @ grad_o)
    assert exact > 0 and r.grad_b[0] != 0.0
    assert math.isclose(r.grad_b[0], expected, rel_tol=1e-12)
    # and the scalar function uses the same slope: its g_0 = g_1 * w_h * s_1
    s = rnn_bptt([a], 1.0, 1.0, 1.0, 1.0, h0=0.0)
    assert math.isclose(s.grad_h[0] / s.grad_h[1], float(tanh_derivative(a)),
                        rel_tol=1e-14)
    assert math.isclose(float(tanh_derivative(a)), exact, rel_tol=1e-12)


def test_vector_rnn_bptt_huge_logits_stay_finite():
    from mlhwlib.vector_rnn import vector_rnn_bptt

    P = vector_problem(T=3, d=2, H=2, K=3, seed=2)
    r = vector_rnn_bptt(**{**P, "V": 1e6 * np.asarray(P["V"])})
    assert math.isfinite(r.loss) and np.all(np.isfinite(r.grad_V))


def test_the_split_names_are_still_importable_from_bptt():
    # clipping, vector_rnn and rtrl were split out of mlhwlib.bptt; old imports keep working
    import mlhwlib.bptt as old
    from mlhwlib import clipping, rtrl, vector_rnn

    for module in (clipping, vector_rnn, rtrl):
        for name in module.__all__:
            assert getattr(old, name) is getattr(module, name), name
            assert name not in old.__all__, name
