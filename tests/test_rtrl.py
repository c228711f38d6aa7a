"""Real-time recurrent learning (mlhwlib.rtrl.rnn_rtrl, vector_rnn_rtrl).

References, each computed independently of the code under test: PyTorch autograd in
float64 (the gradients and, through ``torch.autograd.functional.jacobian``, the
sensitivities of the last state), central differences, and the backward-mode
implementations ``rnn_bptt`` / ``vector_rnn_bptt`` (a different algorithm: the same
sums in a different order). Tolerances: 1e-12 relative to the gradient's size
against BPTT and autograd (rounding of a few hundred operations), 1e-7 against
central differences (step 1e-6).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import lazy_torch

from mlhwlib.bptt import rnn_bptt
from mlhwlib.rtrl import RTRLResult, VectorRTRLResult, rnn_rtrl, vector_rnn_rtrl
from mlhwlib.vector_rnn import vector_rnn_bptt

torch = lazy_torch()  # imported by the first test that uses it
pytestmark = pytest.mark.xdist_group("torch")

SCALAR_GRADS = ("grad_w0", "grad_w_h", "grad_w_i")
VECTOR_GRADS = ("grad_U", "grad_W", "grad_V", "grad_b", "grad_c")


def close(a, b, rtol=1e-12):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.max(np.abs(a - b)) <= rtol * max(1.0, np.max(np.abs(b)))


def scalar_case(seed, T=40):
    rng = np.random.default_rng(seed)
    return dict(x=rng.normal(size=T), y=float(rng.uniform()), w0=float(rng.normal(0, 2)),
                w_h=float(rng.uniform(-1.5, 1.5)), w_i=float(rng.normal()),
                h0=float(rng.uniform(-0.9, 0.9)))


def vector_case(seed, T=9, d=3, H=4, K=3):
    rng = np.random.default_rng(seed)
    return dict(X=rng.normal(size=(T, d)), targets=rng.integers(0, K, T),
                U=rng.normal(size=(H, d)), W=0.9 * rng.normal(size=(H, H)) / np.sqrt(H),
                V=rng.normal(size=(K, H)), b=0.3 * rng.normal(size=H),
                c=0.3 * rng.normal(size=K), h0=0.5 * rng.normal(size=H))


@pytest.mark.parametrize("seed", range(6))
def test_scalar_rtrl_equals_bptt(seed):
    p = scalar_case(seed)
    fwd, bwd = rnn_rtrl(**p), rnn_bptt(**p)
    for k in SCALAR_GRADS + ("loss", "y_hat"):
        assert close(getattr(fwd, k), getattr(bwd, k)), k
    assert close(fwd.grad_h0, bwd.grad_h[0])
    assert fwd.h_T == bwd.h[-1]


def test_scalar_rtrl_matches_autograd_and_central_differences():
    p = scalar_case(11, T=25)
    r = rnn_rtrl(**p)
    w = {k: torch.tensor(p[k], dtype=torch.float64, requires_grad=True) for k in ("w0", "w_h", "w_i", "h0")}
    h = w["h0"]
    for xt in p["x"]:
        h = torch.tanh(w["w_i"] * float(xt) + w["w_h"] * h)
    z = w["w0"] * h
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor(p["y"], dtype=torch.float64))
    loss.backward()
    assert close(r.loss, loss.item())
    for k, name in [("w0", "grad_w0"), ("w_h", "grad_w_h"), ("w_i", "grad_w_i"),
                    ("h0", "grad_h0")]:
        assert close(getattr(r, name), w[k].grad.item()), name
    # the sensitivities: dh_T/dtheta by central differences of the last state
    for k, name in [("w_h", "dh_dw_h"), ("w_i", "dh_dw_i"), ("h0", "dh_dh0")]:
        eps = 1e-6
        plus = rnn_rtrl(**{**p, k: p[k] + eps}).h_T
        minus = rnn_rtrl(**{**p, k: p[k] - eps}).h_T
        assert abs((plus - minus) / (2 * eps) - getattr(r, name)) < 1e-7, name


@pytest.mark.parametrize("seed", range(4))
def test_vector_rtrl_equals_bptt(seed):
    p = vector_case(seed)
    fwd, bwd = vector_rnn_rtrl(**p), vector_rnn_bptt(**p)
    for k in VECTOR_GRADS:
        assert close(getattr(fwd, k), getattr(bwd, k)), k
    assert close(fwd.grad_h0, bwd.grad_h[0])
    assert close(fwd.loss, bwd.loss) and close(fwd.h_T, bwd.h[-1])


def torch_loss_and_state(p, U, W, V, b, c, h0):
    h = h0
    loss = 0.0
    for xt, yt in zip(torch.tensor(p["X"], dtype=torch.float64), p["targets"]):
        h = torch.tanh(b + W @ h + U @ xt)
        loss = loss - torch.log_softmax(c + V @ h, dim=0)[int(yt)]
    return loss, h


def test_vector_rtrl_matches_autograd():
    p = vector_case(21)
    r = vector_rnn_rtrl(**p)
    names = ("U", "W", "V", "b", "c", "h0")
    leaves = {k: torch.tensor(p[k], dtype=torch.float64, requires_grad=True) for k in names}
    loss, _ = torch_loss_and_state(p, *(leaves[k] for k in names))
    loss.backward()
    assert close(r.loss, loss.item())
    for k in names:
        assert close(getattr(r, "grad_" + k), leaves[k].grad.numpy()), k

    # the carried sensitivities are the Jacobians of the last state
    def last_state(U, W, b, h0):
        return torch_loss_and_state(p, U, W, torch.tensor(p["V"], dtype=torch.float64), b,
                                    torch.tensor(p["c"], dtype=torch.float64), h0)[1]

    jac = torch.autograd.functional.jacobian(
        last_state, tuple(torch.tensor(p[k], dtype=torch.float64) for k in ("U", "W", "b", "h0")))
    for j, name in enumerate(("dh_dU", "dh_dW", "dh_db", "dh_dh0")):
        assert close(getattr(r, name), jac[j].numpy()), name


def test_vector_rtrl_with_one_unit_is_the_scalar_recursion():
    # H = 1, one class at the last step only is not expressible; compare the
    # sensitivities instead: dh_T/dW of the vector code is dh_T/dw_h of the scalar code
    p = scalar_case(3, T=15)
    x = p["x"]
    r_s = rnn_rtrl(**p)
    r_v = vector_rnn_rtrl(x[:, None], np.zeros(len(x), int), [[p["w_i"]]], [[p["w_h"]]],
                          [[1.0]], [0.0], [0.0], h0=[p["h0"]])
    assert close(r_v.dh_dW[0, 0, 0], r_s.dh_dw_h) and close(r_v.dh_dU[0, 0, 0], r_s.dh_dw_i)
    assert close(r_v.dh_dh0[0, 0], r_s.dh_dh0) and close(r_v.h_T[0], r_s.h_T)


@pytest.mark.parametrize("T", [1, 5, 50])
def test_rtrl_memory_does_not_grow_with_length(T):
    p = vector_case(5, T=T, d=3, H=4)
    r = vector_rnn_rtrl(**p)
    H, d = 4, 3
    held = sum(getattr(r, k).size for k in ("dh_dU", "dh_dW", "dh_db", "dh_dh0"))
    assert held == H * (H * H + H * d + 2 * H)  # the same for every T


def test_zero_error_signal_gives_zero_gradients():
    # y = 1 and a saturated logit: delta underflows to 0 and so do all gradients
    r = rnn_rtrl([40.0], 1.0, w0=1e4, w_h=0.0, w_i=1.0)
    assert r.grad_w0 == r.grad_w_h == r.grad_w_i == r.grad_h0 == 0.0


def test_results_are_frozen_and_read_only():
    r = rnn_rtrl([0.5, -1.0], 0.3, 1.0, 0.5, 1.0)
    assert isinstance(r, RTRLResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.loss = 0.0
    rv = vector_rnn_rtrl(**vector_case(1, T=3))
    assert isinstance(rv, VectorRTRLResult)
    with pytest.raises(ValueError):
        rv.dh_dW[0, 0, 0] = 1.0
