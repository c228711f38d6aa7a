"""Tests for :mod:`mlhwlib.lstm` (chapter ``book/lstm_trace``).

Reference values come from computations written here: a plain-Python loop with
``math.exp`` and ``torch.nn.LSTMCell`` in float64.
"""

import math

import numpy as np
import pytest
import torch

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


@pytest.mark.parametrize("X", [
    [0.0, 1.0, 0.0, 3.0],                       # 1-D
    np.zeros((2, 2, 4)),                        # 3-D
    [[0.0, 1.0, 0.0, np.nan]],                  # NaN
    [[0.0, np.inf, 0.0, 3.0]],                  # inf
    [[0.0, -np.inf, 0.0, 3.0]],                 # -inf
])
def test_bad_X_raises_value_error(X):
    with pytest.raises(ValueError, match="X"):
        lstm_trace(X, **SEED)


@pytest.mark.parametrize("name", ["w", "w_i", "w_f", "w_o"])
@pytest.mark.parametrize("length", [3, 5])
def test_weight_length_mismatch_raises_value_error(name, length):
    params = dict(SEED)
    params[name] = [1.0] * length
    with pytest.raises(ValueError, match=rf"{name} must have length d = 4"):
        lstm_trace(SEED_X, **params)


@pytest.mark.parametrize("name", ["w", "w_i", "w_f", "w_o"])
def test_weight_not_1d_raises_value_error(name):
    params = dict(SEED)
    params[name] = [[0.0, 0.0, 0.0, 1.0]]
    with pytest.raises(ValueError, match=name):
        lstm_trace(SEED_X, **params)


@pytest.mark.parametrize("name", ["b", "b_i", "b_f", "b_o", "c0"])
def test_nonfinite_scalar_raises_value_error(name):
    with pytest.raises(ValueError, match=name):
        lstm_trace(SEED_X, **{**SEED, name: float("nan")})


def test_bad_callables():
    with pytest.raises(TypeError, match="g must be callable"):
        lstm_trace(SEED_X, **SEED, g=3.0)
    with pytest.raises(ValueError, match="h must act elementwise"):
        lstm_trace(SEED_X, **SEED, h=np.sum)
    with pytest.raises(ValueError, match="g returned a non-finite"):
        lstm_trace(SEED_X, **SEED, g=np.log)   # log(0) = -inf at step 4


def test_overflowing_preactivation_raises_value_error():
    with pytest.raises(ValueError, match="overflowed"):
        lstm_trace([[1e308, 1e308]], [1e10, 1e10], [0, 0], [0, 0], [0, 0])


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
