"""What the recurrent-network modules share (private).

The scalar RNN of :mod:`mlhwlib.bptt` and :mod:`mlhwlib.rtrl` (argument checks,
the sigmoid output and its loss) and the vector RNN of :mod:`mlhwlib.vector_rnn`
and :mod:`mlhwlib.rtrl` (argument checks, the forward recursion), written once.
The slope of tanh is :func:`mlhwlib.numerics._sech2`.
"""

from __future__ import annotations

import numpy as np

from .numerics import _as_class_labels, as_finite_float, as_float_array, log_sigmoid, sigmoid


# --- the scalar RNN: a_t = w_i x_t + w_h h_(t-1), h_t = tanh a_t, y_hat = sigma(w0 h_T)
def _check_scalar_rnn(x, y, w0, w_h, w_i, h0):
    """The checked arguments ``(x, y, w0, w_h, w_i, h0)`` of the scalar RNN."""
    x = as_float_array(x, "x", ndim=1)
    y = as_finite_float(y, "y")
    if not 0.0 <= y <= 1.0:
        raise ValueError(f"y must be a target in [0, 1], got {y!r}")
    return (x, y, as_finite_float(w0, "w0"), as_finite_float(w_h, "w_h"),
            as_finite_float(w_i, "w_i"), as_finite_float(h0, "h0"))


def _logit_loss(z, y: float) -> tuple[float, float, float]:
    """``(y_hat, loss, delta)`` of the sigmoid output for the logit ``z`` and target ``y``.

    The binary cross-entropy from the logit, :math:`-y\\log\\sigma(z) -
    (1-y)\\log\\sigma(-z)`, and :math:`\\delta = (1-y)\\sigma(z) - y\\sigma(-z)
    = \\hat y - y`, both accurate for any :math:`|z|`.
    """
    y_hat = float(sigmoid(z))
    loss = float(-y * log_sigmoid(z) - (1.0 - y) * log_sigmoid(-z))
    delta = float((1.0 - y) * sigmoid(z) - y * sigmoid(-z))  # = y_hat - y, accurate
    return y_hat, loss, delta


# --- the vector RNN: a_t = b + W h_(t-1) + U x_t, h_t = tanh a_t, o_t = c + V h_t
def _as_targets(targets, T: int, K: int) -> np.ndarray:
    """Target classes, shape ``(T,)``, in ``[0, K)`` (``K`` the rows of ``V``)."""
    return _as_class_labels(targets, "targets", K, shape=(T,), symbol="K",
                            meaning="rows of V")


def _check_vector_rnn(X, targets, U, W, V, b, c, h0):
    """The checked arguments ``(X, y, U, W, V, b, c, h0)`` of the vector RNN.

    ``y`` the targets as ``intp``, ``h0`` an array (zeros for ``None``).
    """
    X = as_float_array(X, "X", ndim=2)
    T, d = X.shape
    U = as_float_array(U, "U", ndim=2)
    H = U.shape[0]
    U = as_float_array(U, "U", shape=(H, d))
    W = as_float_array(W, "W", shape=(H, H))
    V = as_float_array(V, "V", ndim=2)
    K = V.shape[0]
    V = as_float_array(V, "V", shape=(K, H))
    b = as_float_array(b, "b", shape=(H,))
    c = as_float_array(c, "c", shape=(K,))
    h0 = np.zeros(H) if h0 is None else as_float_array(h0, "h0", shape=(H,))
    y = _as_targets(targets, T, K)
    return X, y, U, W, V, b, c, h0


def _vector_states(X, U, W, b, h0):
    """Yield ``(a_t, h_t)`` for ``t = 1..T``: the forward recursion, one step at a time.

    Both the backward-mode :func:`mlhwlib.vector_rnn.vector_rnn_bptt` (which keeps
    every state) and the forward-mode :func:`mlhwlib.rtrl.vector_rnn_rtrl` (which
    keeps only the current one) run it; the caller sets ``np.errstate``.
    """
    drive = X @ U.T + b  # (T, H): the input part of every a_t
    h = h0
    for t in range(X.shape[0]):
        a = drive[t] + W @ h
        h = np.tanh(a)
        yield a, h
