"""Back-propagation through time for the vector tanh RNN with a loss at every step.

The model of Goodfellow, Bengio and Courville (2016, Section 10.2.2),
:func:`vector_rnn_bptt`: a tanh state :math:`h_t \\in \\mathbb R^H`, a softmax
output and a cross-entropy loss at every step. Derived in the chapter
:ref:`bptt` (:ref:`bptt-sec-vector`), after the scalar RNN of :mod:`mlhwlib.bptt`;
the same gradients in forward mode are :func:`mlhwlib.rtrl.vector_rnn_rtrl`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import log_softmax

from ._rnn import _check_vector_rnn, _vector_states
from .numerics import _freeze_fields, _sech2

__all__ = ["VectorBPTTResult", "vector_rnn_bptt"]


@dataclass(frozen=True, eq=False)
class VectorBPTTResult:
    """Loss, states and gradients of the vector RNN (returned by :func:`vector_rnn_bptt`).

    Attributes
    ----------
    loss : float
        :math:`L = -\\sum_{t=1}^T \\log \\hat y_t[y_t]`.
    h : ndarray, shape (T+1, H)
        Hidden states; ``h[0]`` is :math:`h_0`, ``h[t]`` is :math:`h_t`.
    y_hat : ndarray, shape (T, K)
        Softmax probabilities; row ``t - 1`` is :math:`\\hat y_t`.
    grad_U, grad_W, grad_V, grad_b, grad_c : ndarray
        :math:`\\nabla_U L` (H, d), :math:`\\nabla_W L` (H, H), :math:`\\nabla_V L`
        (K, H), :math:`\\nabla_b L` (H,), :math:`\\nabla_c L` (K,).
    grad_h : ndarray, shape (T+1, H)
        Row ``t`` is the total derivative :math:`\\nabla_{h_t} L` through all
        later steps; row 0 is :math:`\\nabla_{h_0} L`.

    Every array is float64 and read-only.
    """

    loss: float
    h: np.ndarray
    y_hat: np.ndarray
    grad_U: np.ndarray
    grad_W: np.ndarray
    grad_V: np.ndarray
    grad_b: np.ndarray
    grad_c: np.ndarray
    grad_h: np.ndarray

    def __post_init__(self):
        _freeze_fields(self)  # values computed by vector_rnn_bptt: frozen, not validated again


def vector_rnn_bptt(X, targets, U, W, V, b, c, h0=None) -> VectorBPTTResult:
    """Loss and exact gradients of a vector tanh RNN with a softmax output at every step.

    The model of Goodfellow, Bengio and Courville (2016, Section 10.2.2), for
    :math:`t = 1, \\dots, T`:

    .. math::

        a_t &= b + W h_{t-1} + U x_t, \\qquad h_t = \\tanh a_t,

        o_t &= c + V h_t, \\qquad \\hat y_t = \\operatorname{softmax}(o_t), \\qquad
        L = -\\sum_{t=1}^T \\log \\hat y_t[y_t].

    Backward, with :math:`e_k` the k-th unit vector and
    :math:`S_t = \\operatorname{diag}(\\operatorname{sech}^2 a_t) = \\operatorname{diag}(1 - h_t^2)`
    (computed as :func:`~mlhwlib.bptt.tanh_derivative` of :math:`a_t`, the same
    rule as :func:`~mlhwlib.bptt.rnn_bptt`, which keeps relative accuracy in
    saturation):

    .. math::

        \\nabla_{o_t} L &= \\hat y_t - e_{y_t}, \\qquad
        \\nabla_{h_T} L = V^\\top \\nabla_{o_T} L,

        \\nabla_{h_t} L &= V^\\top \\nabla_{o_t} L + W^\\top S_{t+1} \\nabla_{h_{t+1}} L,

    .. math::

        \\nabla_c L &= \\sum_t \\nabla_{o_t} L, \\qquad
        \\nabla_V L = \\sum_t \\nabla_{o_t} L\\, h_t^\\top, \\qquad
        \\nabla_b L = \\sum_t S_t \\nabla_{h_t} L,

        \\nabla_W L &= \\sum_t S_t \\nabla_{h_t} L\\, h_{t-1}^\\top, \\qquad
        \\nabla_U L = \\sum_t S_t \\nabla_{h_t} L\\, x_t^\\top.

    Parameters
    ----------
    X : array_like, shape (T, d)
        Inputs, one row per step, finite, ``T >= 1``.
    targets : array_like of int, shape (T,)
        Target classes :math:`y_t \\in \\{0, \\dots, K-1\\}`.
    U : array_like, shape (H, d)
        Input-to-hidden weights.
    W : array_like, shape (H, H)
        Hidden-to-hidden weights.
    V : array_like, shape (K, H)
        Hidden-to-output weights; ``K >= 1`` classes.
    b : array_like, shape (H,)
        Hidden bias.
    c : array_like, shape (K,)
        Output bias.
    h0 : array_like, shape (H,), or None
        Initial state; ``None`` means zeros.

    Returns
    -------
    VectorBPTTResult
        ``loss`` (float), ``h`` (T+1, H), ``y_hat`` (T, K), ``grad_U`` (H, d),
        ``grad_W`` (H, H), ``grad_V`` (K, H), ``grad_b`` (H,), ``grad_c`` (K,),
        ``grad_h`` (T+1, H); all arrays read-only.

    Raises
    ------
    TypeError
        If an argument is not numeric (``targets``: not integer).
    ValueError
        If a shape does not match, an input is NaN/inf or empty, or a target
        lies outside ``[0, K)``.
    OverflowError
        If a pre-activation or a gradient exceeds the float64 range.

    Notes
    -----
    The loss uses ``scipy.special.log_softmax``, so it stays finite and
    accurate for logits of any size. Cost :math:`O(T(H^2 + Hd + KH))` time
    and :math:`O(TH)` memory for the stored states.

    Derived in :ref:`bptt-sec-vector`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(5, 3))
    >>> U, W, V = rng.normal(size=(4, 3)), 0.5 * rng.normal(size=(4, 4)), rng.normal(size=(2, 4))
    >>> r = vector_rnn_bptt(X, [0, 1, 1, 0, 1], U, W, V, np.zeros(4), np.zeros(2))
    >>> r.h.shape, r.grad_W.shape, r.grad_c.shape
    ((6, 4), (4, 4), (2,))
    """
    X, y, U, W, V, b, c, h_init = _check_vector_rnn(X, targets, U, W, V, b, c, h0)
    T, H = X.shape[0], U.shape[0]

    try:
        with np.errstate(over="raise", invalid="raise"):
            h = np.empty((T + 1, H))
            a = np.empty((T, H))  # pre-activations a_1..a_T
            h[0] = h_init
            for t, (a_t, h_t) in enumerate(_vector_states(X, U, W, b, h_init)):
                a[t], h[t + 1] = a_t, h_t
            logits = h[1:] @ V.T + c  # (T, K)
    except FloatingPointError as exc:
        raise OverflowError("the forward pass overflowed float64: a pre-activation "
                            "exceeds 1e308; rescale X or the weights") from exc
    if not np.all(np.isfinite(logits)):
        raise OverflowError("the forward pass overflowed float64: a logit is not finite; "
                            "rescale V, c or X")
    logp = log_softmax(logits, axis=1)
    loss = float(-np.sum(logp[np.arange(T), y]))
    y_hat = np.exp(logp)
    grad_o = y_hat.copy()
    grad_o[np.arange(T), y] -= 1.0  # (T, K): y_hat_t - e_{y_t}
    # (T, H): diagonal of S_t, sech^2(a_t) from the pre-activation as in rnn_bptt
    # (1 - h_t^2 would round to 0 in saturation, |a_t| > 19)
    slope = _sech2(a)

    try:
        with np.errstate(over="raise", invalid="raise"):
            grad_h = np.zeros((T + 1, H))
            carry = np.zeros(H)  # W^T S_{t+1} grad_h[t+1], zero beyond T
            for t in range(T, 0, -1):
                grad_h[t] = V.T @ grad_o[t - 1] + carry
                carry = W.T @ (slope[t - 1] * grad_h[t])
            grad_h[0] = carry
            grad_a = slope * grad_h[1:]  # (T, H): rows S_t grad_h_t
            grads = dict(grad_U=grad_a.T @ X, grad_W=grad_a.T @ h[:-1],
                         grad_V=grad_o.T @ h[1:], grad_b=grad_a.sum(axis=0),
                         grad_c=grad_o.sum(axis=0))
    except FloatingPointError as exc:
        raise OverflowError("the backward pass overflowed float64 (exploding gradient); "
                            "use a smaller W or a shorter sequence") from exc
    return VectorBPTTResult(loss=loss, h=h, y_hat=y_hat, grad_h=grad_h, **grads)
