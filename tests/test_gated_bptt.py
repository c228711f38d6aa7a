"""Tests for :func:`mlhwlib.lstm.vector_lstm_bptt` and :func:`mlhwlib.lstm.vector_gru_bptt`.

References come from computations written independently of the code under test:
``torch.nn.LSTM`` / ``torch.nn.GRU`` with a ``torch.nn.Linear`` head in float64
(loss and every gradient by autograd, state Jacobians by
``torch.autograd.functional.jacobian`` of the unrolled ``torch.nn.LSTMCell`` /
``torch.nn.GRUCell``), and central differences of the loss computed by the
function itself (a check of its gradients against its own forward pass).
"""

import numpy as np
import pytest
from conftest import lazy_torch

from mlhwlib.lstm import VectorGRUResult, VectorLSTMResult, vector_gru_bptt, vector_lstm_bptt

torch = lazy_torch()  # imported by the first test that uses it
pytestmark = pytest.mark.xdist_group("torch")

AUTOGRAD_ATOL = 1e-12   # float64 autograd vs numpy: the same sums in another order
FD_ATOL = 1e-7          # central differences with step 1e-6 (error O(h^2) + rounding/h)


def _torch_model(kind, d, H, K, seed, scale=1.0):
    torch.manual_seed(seed)
    rnn = getattr(torch.nn, kind)(d, H, batch_first=True, dtype=torch.float64)
    head = torch.nn.Linear(H, K, dtype=torch.float64)
    if scale != 1.0:
        with torch.no_grad():
            rnn.weight_hh_l0.mul_(scale)
    return rnn, head


def _numpy_params(rnn, head):
    P = {k: v.detach().numpy().copy() for k, v in rnn.named_parameters()}
    return P, head.weight.detach().numpy().copy(), head.bias.detach().numpy().copy()


def _data(T, d, K, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(T, d)), rng.integers(0, K, size=T)


def _lstm_call(rnn, head, X, y, h0=None, c0=None):
    P, V, c = _numpy_params(rnn, head)
    return vector_lstm_bptt(X, y, P["weight_ih_l0"], P["weight_hh_l0"], V,
                            P["bias_ih_l0"] + P["bias_hh_l0"], c, h0=h0, c0=c0)


def _gru_call(rnn, head, X, y, h0=None):
    P, V, c = _numpy_params(rnn, head)
    return vector_gru_bptt(X, y, P["weight_ih_l0"], P["weight_hh_l0"], V,
                           P["bias_ih_l0"], P["bias_hh_l0"], c, h0=h0)


def _torch_loss(kind, rnn, head, X, y, h0, c0):
    H = rnn.hidden_size
    h0t = torch.tensor(np.zeros(H) if h0 is None else h0, dtype=torch.float64).reshape(1, 1, H)
    h0t.requires_grad_(True)
    if kind == "LSTM":
        c0t = torch.tensor(np.zeros(H) if c0 is None else c0, dtype=torch.float64).reshape(1, 1, H)
        c0t.requires_grad_(True)
        out, _ = rnn(torch.tensor(X)[None], (h0t, c0t))
    else:
        c0t = None
        out, _ = rnn(torch.tensor(X)[None], h0t)
    loss = torch.nn.functional.cross_entropy(head(out[0]), torch.tensor(y), reduction="sum")
    rnn.zero_grad()
    head.zero_grad()
    loss.backward()
    return loss, out[0], h0t, c0t


@pytest.mark.parametrize("initial", [False, True], ids=["zero-state", "given-state"])
@pytest.mark.parametrize("scale", [1.0, 3.0], ids=["torch-init", "large-W"])
def test_lstm_matches_torch(initial, scale):
    T, d, H, K = 7, 3, 4, 5
    rnn, head = _torch_model("LSTM", d, H, K, seed=0, scale=scale)
    X, y = _data(T, d, K, seed=1)
    rng = np.random.default_rng(2)
    h0, c0 = (rng.normal(size=H), rng.normal(size=H)) if initial else (None, None)
    loss, out, h0t, c0t = _torch_loss("LSTM", rnn, head, X, y, h0, c0)
    r = _lstm_call(rnn, head, X, y, h0, c0)
    assert isinstance(r, VectorLSTMResult)
    assert abs(r.loss - loss.item()) < AUTOGRAD_ATOL * max(1.0, abs(r.loss))
    np.testing.assert_allclose(r.h[1:], out.detach().numpy(), rtol=0, atol=AUTOGRAD_ATOL)
    grads = {"grad_U": rnn.weight_ih_l0.grad, "grad_W": rnn.weight_hh_l0.grad,
             "grad_b": rnn.bias_ih_l0.grad, "grad_V": head.weight.grad,
             "grad_c": head.bias.grad, }
    # both biases enter a_t only through their sum: equal gradients
    np.testing.assert_allclose(rnn.bias_ih_l0.grad.numpy(), rnn.bias_hh_l0.grad.numpy(),
                               rtol=0, atol=AUTOGRAD_ATOL)
    for name, g in grads.items():
        np.testing.assert_allclose(getattr(r, name), g.numpy(), rtol=0, atol=AUTOGRAD_ATOL,
                                   err_msg=name)
    np.testing.assert_allclose(r.grad_h[0], h0t.grad.numpy().ravel(), rtol=0,
                               atol=AUTOGRAD_ATOL)
    np.testing.assert_allclose(r.grad_memory[0], c0t.grad.numpy().ravel(), rtol=0,
                               atol=AUTOGRAD_ATOL)


@pytest.mark.parametrize("initial", [False, True], ids=["zero-state", "given-state"])
@pytest.mark.parametrize("scale", [1.0, 3.0], ids=["torch-init", "large-W"])
def test_gru_matches_torch(initial, scale):
    T, d, H, K = 7, 3, 4, 5
    rnn, head = _torch_model("GRU", d, H, K, seed=3, scale=scale)
    X, y = _data(T, d, K, seed=4)
    h0 = np.random.default_rng(5).normal(size=H) if initial else None
    loss, out, h0t, _ = _torch_loss("GRU", rnn, head, X, y, h0, None)
    r = _gru_call(rnn, head, X, y, h0)
    assert isinstance(r, VectorGRUResult)
    assert abs(r.loss - loss.item()) < AUTOGRAD_ATOL * max(1.0, abs(r.loss))
    np.testing.assert_allclose(r.h[1:], out.detach().numpy(), rtol=0, atol=AUTOGRAD_ATOL)
    grads = {"grad_U": rnn.weight_ih_l0.grad, "grad_W": rnn.weight_hh_l0.grad,
             "grad_b_ih": rnn.bias_ih_l0.grad, "grad_b_hh": rnn.bias_hh_l0.grad,
             "grad_V": head.weight.grad, "grad_c": head.bias.grad}
    for name, g in grads.items():
        np.testing.assert_allclose(getattr(r, name), g.numpy(), rtol=0, atol=AUTOGRAD_ATOL,
                                   err_msg=name)
    # the n blocks of the two biases differ (b_hn sits inside r * (.)), the others agree
    H3 = slice(2 * H, 3 * H)
    assert np.abs(r.grad_b_ih[H3] - r.grad_b_hh[H3]).max() > 1e-6
    np.testing.assert_allclose(r.grad_h[0], h0t.grad.numpy().ravel(), rtol=0,
                               atol=AUTOGRAD_ATOL)


def _central(fun, x, eps=1e-6):
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        g[idx] = (fun(x + e) - fun(x - e)) / (2 * eps)
    return g


def test_lstm_central_differences():
    T, d, H, K = 4, 2, 3, 3
    rng = np.random.default_rng(6)
    args = dict(U=rng.normal(size=(4 * H, d)), W=rng.normal(size=(4 * H, H)),
                V=rng.normal(size=(K, H)), b=rng.normal(size=4 * H), c=rng.normal(size=K),
                h0=rng.normal(size=H), c0=rng.normal(size=H))
    X, y = rng.normal(size=(T, d)), rng.integers(0, K, size=T)
    r = vector_lstm_bptt(X, y, **args)
    attr = {"U": "grad_U", "W": "grad_W", "V": "grad_V", "b": "grad_b", "c": "grad_c"}
    for name, value in args.items():
        def loss(v, name=name):
            return vector_lstm_bptt(X, y, **{**args, name: v}).loss
        got = {"h0": r.grad_h[0], "c0": r.grad_memory[0]}.get(name)
        got = getattr(r, attr[name]) if got is None else got
        np.testing.assert_allclose(got, _central(loss, value), rtol=0, atol=FD_ATOL,
                                   err_msg=name)


def test_gru_central_differences():
    T, d, H, K = 4, 2, 3, 3
    rng = np.random.default_rng(7)
    args = dict(U=rng.normal(size=(3 * H, d)), W=rng.normal(size=(3 * H, H)),
                V=rng.normal(size=(K, H)), b_ih=rng.normal(size=3 * H),
                b_hh=rng.normal(size=3 * H), c=rng.normal(size=K), h0=rng.normal(size=H))
    X, y = rng.normal(size=(T, d)), rng.integers(0, K, size=T)
    r = vector_gru_bptt(X, y, **args)
    for name, value in args.items():
        def loss(v, name=name):
            return vector_gru_bptt(X, y, **{**args, name: v}).loss
        got = r.grad_h[0] if name == "h0" else getattr(r, f"grad_{name}")
        np.testing.assert_allclose(got, _central(loss, value), rtol=0, atol=FD_ATOL,
                                   err_msg=name)


def _torch_state_map(kind, rnn, X, s, t):
    """The state at step t as a function of the state at step s, through torch's cells."""
    H, d = rnn.hidden_size, rnn.input_size
    cell = getattr(torch.nn, kind + "Cell")(d, H, dtype=torch.float64)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(rnn, name + "_l0"))
    Xt = torch.tensor(X)

    def run(state):
        if kind == "LSTM":
            c, h = state[:H][None], state[H:][None]
            for k in range(s, t):
                h, c = cell(Xt[k][None], (h, c))
            return torch.cat([c[0], h[0]])
        h = state[None]
        for k in range(s, t):
            h = cell(Xt[k][None], h)
        return h[0]
    return run


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize("scale", [1.0, 3.0], ids=["torch-init", "large-W"])
def test_state_jacobian_matches_autograd(kind, scale):
    T, d, H, K = 6, 3, 4, 2
    rnn, head = _torch_model(kind, d, H, K, seed=8, scale=scale)
    X, y = _data(T, d, K, seed=9)
    rng = np.random.default_rng(10)
    h0, c0 = rng.normal(size=H), rng.normal(size=H)
    r = _lstm_call(rnn, head, X, y, h0, c0) if kind == "LSTM" else _gru_call(rnn, head, X, y, h0)
    for s, t in [(0, T), (1, 4), (2, 3), (0, 1)]:
        state = np.r_[r.c[s], r.h[s]] if kind == "LSTM" else r.h[s]
        ref = torch.autograd.functional.jacobian(_torch_state_map(kind, rnn, X, s, t),
                                                 torch.tensor(state)).numpy()
        J = r.state_jacobian(s, t)
        assert J.shape == ((2 * H, 2 * H) if kind == "LSTM" else (H, H))
        np.testing.assert_allclose(J, ref, rtol=0, atol=1e-11, err_msg=f"({s}, {t})")
        assert np.abs(ref).max() > 1e-3  # not a trivially small Jacobian


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_state_jacobian_identity_and_composition(kind):
    T, d, H, K = 6, 2, 3, 2
    rng = np.random.default_rng(11)
    blocks = 4 if kind == "LSTM" else 3
    U, W = rng.normal(size=(blocks * H, d)), rng.normal(size=(blocks * H, H))
    V, c = rng.normal(size=(K, H)), np.zeros(K)
    X, y = rng.normal(size=(T, d)), rng.integers(0, K, size=T)
    if kind == "LSTM":
        r = vector_lstm_bptt(X, y, U, W, V, rng.normal(size=4 * H), c)
    else:
        r = vector_gru_bptt(X, y, U, W, V, rng.normal(size=3 * H), rng.normal(size=3 * H), c)
    n = 2 * H if kind == "LSTM" else H
    for s in range(T + 1):
        np.testing.assert_array_equal(r.state_jacobian(s, s), np.eye(n))
    for s, u, t in [(0, 2, 6), (1, 3, 5), (0, 0, 4), (2, 5, 5)]:
        np.testing.assert_allclose(r.state_jacobian(s, t),
                                   r.state_jacobian(u, t) @ r.state_jacobian(s, u),
                                   rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(r.state_jacobian(2, 3), r.step_jacobian(3))


def test_lstm_forget_gate_carousel():
    """With W = 0 the memory block of the state Jacobian is the product of forget gates."""
    T, d, H, K = 5, 2, 3, 2
    rng = np.random.default_rng(12)
    U, b = rng.normal(size=(4 * H, d)), rng.normal(size=4 * H)
    X, y = rng.normal(size=(T, d)), rng.integers(0, K, size=T)
    r = vector_lstm_bptt(X, y, U, np.zeros((4 * H, H)), rng.normal(size=(K, H)), b,
                         np.zeros(K))
    # independent: the forget gates from the inputs alone, 1 / (1 + exp(-a))
    f = 1 / (1 + np.exp(-(X @ U[H:2 * H].T + b[H:2 * H])))
    J = r.state_jacobian(0, T)
    np.testing.assert_allclose(J[:H, :H], np.diag(np.prod(f, axis=0)), rtol=1e-13, atol=0)
    np.testing.assert_array_equal(J[:H, H:], 0.0)


def test_saturated_gates_stay_finite():
    """Huge pre-activations: the gates saturate, nothing overflows, gradients stay finite."""
    T, d, H, K = 3, 2, 2, 2
    rng = np.random.default_rng(13)
    X, y = 1e3 * rng.normal(size=(T, d)), rng.integers(0, K, size=T)
    V, c = rng.normal(size=(K, H)), np.zeros(K)
    rl = vector_lstm_bptt(X, y, rng.normal(size=(4 * H, d)), rng.normal(size=(4 * H, H)),
                          V, np.zeros(4 * H), c)
    rg = vector_gru_bptt(X, y, rng.normal(size=(3 * H, d)), rng.normal(size=(3 * H, H)),
                         V, np.zeros(3 * H), np.zeros(3 * H), c)
    for r in (rl, rg):
        for name in ("grad_U", "grad_W", "grad_V", "grad_h"):
            assert np.all(np.isfinite(getattr(r, name)))
        assert np.all(np.isfinite(r.state_jacobian(0, T)))
    assert np.all(np.abs(rl.h) <= 1) and np.all(np.abs(rg.h) <= 1)


def test_results_are_read_only():
    rng = np.random.default_rng(14)
    r = vector_lstm_bptt(rng.normal(size=(3, 2)), [0, 1, 0], rng.normal(size=(8, 2)),
                         rng.normal(size=(8, 2)), rng.normal(size=(2, 2)), np.zeros(8),
                         np.zeros(2))
    with pytest.raises(ValueError, match="read-only"):
        r.grad_W[0, 0] = 1.0
    with pytest.raises(AttributeError):
        r.loss = 0.0
