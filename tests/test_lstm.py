"""Tests for :mod:`mlhwlib.lstm` (chapter ``book/lstm_trace``).

Reference values come from computations written here: a plain-Python loop with
``math.exp`` and ``torch.nn.LSTMCell`` in float64.
"""

import math

import numpy as np
import pytest
from conftest import lazy_torch

from mlhwlib.lstm import LSTMTrace, lstm_trace

# The course's example (Homework 4 solutions, Q1).
SEED_X = [[0, 1, 0, 3], [1, 0, 1, -2], [1, 1, 1, 4], [0, 1, 1, 0]]
SEED = dict(w=[0, 0, 0, 1], w_i=[100, 100, 0, 0], w_f=[-100, -100, 0, 0],
            w_o=[0, 0, 100, 0], b=0.0, b_i=-10.0, b_f=110.0, b_o=-10.0)


def _sigmoid_loop(v):
    """Stable logistic function written independently of the library."""
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def _reference_trace(X, w, w_i, w_f, w_o, b, b_i, b_f, b_o, c0=0.0,
                     g=lambda v: v, h=lambda v: v):
    """Plain loops, one scalar at a time."""
    out = {k: [] for k in ("z", "z_i", "z_f", "z_o", "c", "y")}
    c = c0
    for x in X:
        z = sum(a * q for a, q in zip(w, x)) + b
        zi = sum(a * q for a, q in zip(w_i, x)) + b_i
        zf = sum(a * q for a, q in zip(w_f, x)) + b_f
        zo = sum(a * q for a, q in zip(w_o, x)) + b_o
        c = g(z) * _sigmoid_loop(zi) + c * _sigmoid_loop(zf)
        y = h(c) * _sigmoid_loop(zo)
        for k, v in zip(out, (z, zi, zf, zo, c, y)):
            out[k].append(v)
    return out


def test_seed_example_matches_plain_loops():
    tr = lstm_trace(SEED_X, **SEED)
    ref = _reference_trace(SEED_X, **SEED)
    assert isinstance(tr, LSTMTrace)
    for name in ("z", "z_i", "z_f", "z_o", "c", "y"):
        got = getattr(tr, name)
        assert isinstance(got, np.ndarray) and got.shape == (4,), name
        np.testing.assert_allclose(got, ref[name], rtol=0, atol=1e-12, err_msg=name)


def test_seed_example_step3_preactivations():
    # Independent arithmetic: x3 = [1, 1, 1, 4].
    tr = lstm_trace(SEED_X, **SEED)
    assert tr.z_i[2] == 100 * 1 + 100 * 1 - 10 == 190
    assert tr.z_f[2] == -100 * 1 - 100 * 1 + 110 == -90
    # Rounded "by hand" values of the course.
    assert [round(v, 3) for v in tr.c.tolist()] == [3.0, 1.0, 4.0, 4.0]
    assert [round(v, 3) for v in tr.y.tolist()] == [0.0, 1.0, 4.0, 4.0]


def test_random_inputs_with_c0_and_activations_match_loops():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(9, 3))
    params = dict(w=rng.normal(size=3), w_i=rng.normal(size=3), w_f=rng.normal(size=3),
                  w_o=rng.normal(size=3), b=0.3, b_i=-0.2, b_f=1.1, b_o=0.4)
    tr = lstm_trace(X, **params, c0=-0.7, g=np.tanh, h=np.sin)
    ref = _reference_trace(X.tolist(), *(list(params[k]) if k.startswith("w") else params[k]
                                         for k in ("w", "w_i", "w_f", "w_o", "b", "b_i", "b_f", "b_o")),
                           c0=-0.7, g=math.tanh, h=math.sin)
    for name in ("z", "z_i", "z_f", "z_o", "c", "y"):
        np.testing.assert_allclose(getattr(tr, name), ref[name], rtol=0, atol=1e-12)
    np.testing.assert_allclose(tr.i, [_sigmoid_loop(v) for v in ref["z_i"]], atol=1e-15)


def _torch_lstmcell_outputs(X, w, w_i, w_f, w_o, b, b_i, b_f, b_o, c0=0.0):
    """Run torch.nn.LSTMCell (hidden size 1, no recurrent weights) in float64."""
    d = len(w)
    cell = torch.nn.LSTMCell(d, 1, dtype=torch.float64)
    with torch.no_grad():
        # PyTorch stacks the gates in the order (i, f, g, o).
        cell.weight_ih.copy_(torch.tensor([w_i, w_f, w, w_o], dtype=torch.float64))
        cell.weight_hh.zero_()
        # Two biases that are simply added: split ours between them.
        full = torch.tensor([b_i, b_f, b, b_o], dtype=torch.float64)
        cell.bias_ih.copy_(0.25 * full)
        cell.bias_hh.copy_(0.75 * full)
    hx = torch.zeros(1, 1, dtype=torch.float64)
    cx = torch.full((1, 1), float(c0), dtype=torch.float64)
    cs, ys = [], []
    with torch.no_grad():
        for x in X:
            hx, cx = cell(torch.tensor([x], dtype=torch.float64), (hx, cx))
            cs.append(cx.item())
            ys.append(hx.item())
    return np.array(cs), np.array(ys)


def test_tanh_cell_matches_torch_lstmcell_on_seed():
    c_ref, y_ref = _torch_lstmcell_outputs(SEED_X, **SEED)
    tr = lstm_trace(SEED_X, **SEED, g=np.tanh, h=np.tanh)
    np.testing.assert_allclose(tr.c, c_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(tr.y, y_ref, rtol=0, atol=1e-12)


def test_tanh_cell_matches_torch_lstmcell_random():
    rng = np.random.default_rng(2024)
    T, d = 12, 5
    X = rng.normal(size=(T, d))
    ws = [rng.normal(scale=2.0, size=d) for _ in range(4)]
    bs = rng.normal(size=4)
    params = dict(w=ws[0], w_i=ws[1], w_f=ws[2], w_o=ws[3],
                  b=float(bs[0]), b_i=float(bs[1]), b_f=float(bs[2]), b_o=float(bs[3]))
    c_ref, y_ref = _torch_lstmcell_outputs(
        X.tolist(), *(params[k].tolist() if k.startswith("w") else params[k]
                      for k in ("w", "w_i", "w_f", "w_o", "b", "b_i", "b_f", "b_o")),
        c0=0.5)
    tr = lstm_trace(X, **params, c0=0.5, g=np.tanh, h=np.tanh)
    np.testing.assert_allclose(tr.c, c_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(tr.y, y_ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_extreme_preactivations_are_finite_without_warnings(scale):
    # RuntimeWarnings are errors under this project's pytest configuration.
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    one = [scale, scale]
    tr = lstm_trace(X, w=[1.0, -1.0], w_i=one, w_f=one, w_o=one)
    for name in ("z_i", "z_f", "z_o"):
        assert np.all(np.abs(getattr(tr, name)) >= 1e4)
    expected_gate = 1.0 if scale > 0 else 0.0
    for gate in (tr.i, tr.f, tr.o):
        assert np.all(gate == expected_gate)
    assert np.all(np.isfinite(tr.c)) and np.all(np.isfinite(tr.y))
    if scale > 0:   # every gate open: c accumulates g(z) = x1 - x2
        np.testing.assert_array_equal(tr.c, [1.0, 0.0, 0.0])
    else:           # every gate shut: nothing is written, nothing is output
        np.testing.assert_array_equal(tr.y, [0.0, 0.0, 0.0])


def test_output_shapes_for_single_step():
    tr = lstm_trace([[1.0, 2.0]], [1, 0], [0, 0], [0, 0], [0, 0])
    for name in ("z", "z_i", "z_f", "z_o", "c", "y"):
        assert getattr(tr, name).shape == (1,)
    # all gates at sigma(0) = 1/2: c = 1 * 1/2, y = c * 1/2
    assert tr.c[0] == 0.5 and tr.y[0] == 0.25


def test_trace_is_frozen_and_its_arrays_are_read_only():
    import dataclasses

    tr = lstm_trace(SEED_X, **SEED)
    with pytest.raises(dataclasses.FrozenInstanceError):
        tr.c0 = 1.0
    for name in ("z", "z_i", "z_f", "z_o", "i", "f", "o", "g_z", "c", "h_c", "y"):
        arr = getattr(tr, name)
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 99.0
    # building a trace by hand neither freezes nor aliases the caller's arrays
    z = np.zeros(2)
    t2 = LSTMTrace(z=z, z_i=z, z_f=z, z_o=z, i=z, f=z, o=z, g_z=z, c=z, h_c=z, y=z, c0=0.0)
    z[0] = 5.0
    assert t2.z[0] == 0.0 and z.flags.writeable


# ------------------------------------------------------------------ the full LSTM cell
# Independent references: torch.nn.LSTMCell with autograd in float64, and central
# differences of a plain-Python loop (math.tanh, _sigmoid_loop) over the unrolled cell.
from mlhwlib.lstm import lstm_cell, lstm_state_jacobian  # noqa: E402

torch = lazy_torch()  # imported by the first test that uses it
pytestmark = pytest.mark.xdist_group("torch")


def _random_cell(seed, H=3, d=4, scale=1.0):
    """A torch.nn.LSTMCell (float64) with its recurrent weights multiplied by scale."""
    torch.manual_seed(seed)
    cell = torch.nn.LSTMCell(d, H, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_hh.mul_(scale)
    W = cell.weight_ih.detach().numpy().copy()
    U = cell.weight_hh.detach().numpy().copy()
    b = (cell.bias_ih + cell.bias_hh).detach().numpy().copy()
    return cell, W, U, b


def _loop_cell(x, h, c, W, U, b):
    """One LSTM step with scalar loops, blocks (i, f, c~, o)."""
    H = len(h)
    a = [sum(W[r][k] * x[k] for k in range(len(x))) + sum(U[r][k] * h[k] for k in range(H))
         + b[r] for r in range(4 * H)]
    c_new = [_sigmoid_loop(a[H + j]) * c[j] + _sigmoid_loop(a[j]) * math.tanh(a[2 * H + j])
             for j in range(H)]
    h_new = [_sigmoid_loop(a[3 * H + j]) * math.tanh(c_new[j]) for j in range(H)]
    return h_new, c_new


def _loop_unroll(X, state, W, U, b):
    H = len(state) // 2
    c, h = list(state[:H]), list(state[H:])
    for x in X:
        h, c = _loop_cell(x, h, c, W, U, b)
    return np.array(c + h)


def _central_jacobian(X, state, W, U, b, eps=1e-6):
    cols = []
    for k in range(len(state)):
        up, dn = np.array(state, float), np.array(state, float)
        up[k] += eps
        dn[k] -= eps
        cols.append((_loop_unroll(X, up, W, U, b) - _loop_unroll(X, dn, W, U, b)) / (2 * eps))
    return np.stack(cols, axis=1)


def _torch_unroll_jacobian(cell, X, state):
    H = len(state) // 2

    def run(s):
        c, h = s[:H][None], s[H:][None]
        for x in torch.tensor(np.asarray(X), dtype=torch.float64):
            h, c = cell(x[None], (h, c))
        return torch.cat([c[0], h[0]])

    s0 = torch.tensor(np.asarray(state), dtype=torch.float64)
    return torch.autograd.functional.jacobian(run, s0).numpy()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lstm_cell_matches_torch_lstmcell(seed):
    cell, W, U, b = _random_cell(seed)
    rng = np.random.default_rng(seed)
    x, h, c = rng.normal(size=4), rng.normal(size=3), rng.normal(size=3)
    h_new, c_new, gates = lstm_cell(x, h, c, W, U, b)
    with torch.no_grad():
        h_t, c_t = cell(torch.tensor(x)[None], (torch.tensor(h)[None], torch.tensor(c)[None]))
    np.testing.assert_allclose(h_new, h_t[0].numpy(), rtol=0, atol=1e-14)
    np.testing.assert_allclose(c_new, c_t[0].numpy(), rtol=0, atol=1e-14)
    assert gates.shape == (4, 3)
    np.testing.assert_allclose(c_new, gates[1] * c + gates[0] * gates[2], atol=1e-15)


@pytest.mark.parametrize("seed, scale", [(0, 1.0), (1, 1.0), (2, 4.0), (3, 4.0)])
def test_state_jacobian_matches_autograd_and_central_differences(seed, scale):
    cell, W, U, b = _random_cell(seed, scale=scale)
    rng = np.random.default_rng(10 + seed)
    x, state = rng.normal(size=(1, 4)), rng.normal(size=6)
    J = lstm_state_jacobian(x[0], state[3:], state[:3], W, U, b)
    assert J.shape == (6, 6)
    np.testing.assert_allclose(J, _torch_unroll_jacobian(cell, x, state), rtol=0, atol=1e-12)
    np.testing.assert_allclose(J, _central_jacobian(x.tolist(), state, W, U, b),
                               rtol=0, atol=1e-8)
    # the blocks that the proposition states in closed form
    np.testing.assert_allclose(J[:3, :3], np.diag(np.diag(J[:3, :3])), atol=0)


@pytest.mark.parametrize("seed, scale", [(4, 1.0), (5, 3.0)])
def test_chain_rule_over_several_steps(seed, scale):
    # d state_T / d state_0 is the product J_T ... J_1 of the one-step Jacobians.
    cell, W, U, b = _random_cell(seed, scale=scale)
    rng = np.random.default_rng(seed)
    X, state = rng.normal(size=(6, 4)), rng.normal(size=6)
    c, h, P = state[:3], state[3:], np.eye(6)
    for x in X:
        P = lstm_state_jacobian(x, h, c, W, U, b) @ P
        h, c, _ = lstm_cell(x, h, c, W, U, b)
    np.testing.assert_allclose(P, _torch_unroll_jacobian(cell, X, state), rtol=0, atol=1e-12)
    np.testing.assert_allclose(P, _central_jacobian(X.tolist(), state, W, U, b),
                               rtol=0, atol=1e-7)


def _carousel_product_and_true(W, U, b, X, c, h):
    """Product of the o-fixed factors dc_t/dc_(t-1) and the true dc_T/dc_0 (h_0 = o_0 tanh c_0)."""
    H = len(c)
    o_prev = h / np.tanh(c)
    P, Jall = np.eye(H), np.eye(2 * H)
    d_h0 = o_prev * (1 - np.tanh(c) ** 2)     # dh_0/dc_0 with o_0 fixed
    for x in X:
        J = lstm_state_jacobian(x, h, c, W, U, b)
        P = (J[:H, :H] + J[:H, H:] * (o_prev * (1 - np.tanh(c) ** 2))[None, :]) @ P
        Jall = J @ Jall
        h, c, gates = lstm_cell(x, h, c, W, U, b)
        o_prev = gates[3]
    true = Jall[:H, :H] + Jall[:H, H:] * d_h0[None, :]
    return P, true


def test_carousel_product_is_exact_iff_output_gate_ignores_h():
    rng = np.random.default_rng(3)
    _, W, U, b = _random_cell(6, scale=3.0)
    X = rng.normal(size=(5, 4))
    c0 = rng.normal(size=3)
    o0 = 1 / (1 + np.exp(-rng.normal(size=3)))
    P, true = _carousel_product_and_true(W, U, b, X, c0, o0 * np.tanh(c0))
    assert np.abs(P - true).max() > 1e-3          # U_o != 0: the product is not dc_T/dc_0
    U0 = U.copy()
    U0[9:] = 0.0                                  # U_o = 0
    P0, true0 = _carousel_product_and_true(W, U0, b, X, c0, o0 * np.tanh(c0))
    np.testing.assert_allclose(P0, true0, rtol=0, atol=1e-14)
