"""Back-propagation through time (BPTT) for the scalar tanh RNN.

The scalar model (:func:`rnn_bptt`, a sigmoid output at the last step), for an
input sequence :math:`x_1, \\dots, x_T` and a given :math:`h_0`, is

.. math::

    a_t &= w_i x_t + w_h h_{t-1}, \\qquad h_t = \\tanh(a_t),

    z &= w_0 h_T, \\qquad \\hat y = \\sigma(z),

with the binary cross-entropy loss
:math:`L = -[y \\log \\hat y + (1-y) \\log(1-\\hat y)]`, computed from the logit
:math:`z` so that it stays finite and accurate when :math:`\\sigma` saturates.

Derived in the chapter :ref:`bptt`: the two-step closed forms in
:ref:`bptt-sec-t2` and the recursion in :ref:`bptt-sec-recursion`. The rest of
the chapter has its own modules: gradient clipping (:mod:`mlhwlib.clipping`,
:ref:`bptt-sec-clipping`), the vector RNN with a loss at every step
(:mod:`mlhwlib.vector_rnn`, :ref:`bptt-sec-vector`) and the same gradients in
forward mode, by real-time recurrent learning (:mod:`mlhwlib.rtrl`,
:ref:`bptt-sec-rtrl`). Their names can still be imported from this module, as
before the split (``from mlhwlib.bptt import vector_rnn_bptt``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._rnn import _check_scalar_rnn, _logit_loss

# clip_by_norm ... vector_rnn_rtrl moved to mlhwlib.clipping, mlhwlib.rtrl and
# mlhwlib.vector_rnn; importable from here for old code (not in __all__)
from .clipping import clip_by_global_norm as clip_by_global_norm
from .clipping import clip_by_norm as clip_by_norm
from .numerics import _freeze_fields, _sech2, as_finite_float, as_float_array
from .rtrl import RTRLResult as RTRLResult
from .rtrl import VectorRTRLResult as VectorRTRLResult
from .rtrl import rnn_rtrl as rnn_rtrl
from .rtrl import vector_rnn_rtrl as vector_rnn_rtrl
from .vector_rnn import VectorBPTTResult as VectorBPTTResult
from .vector_rnn import vector_rnn_bptt as vector_rnn_bptt

__all__ = ["BPTTResult", "rnn_forward", "rnn_bptt", "tanh_derivative"]


@dataclass(frozen=True, eq=False)
class BPTTResult:
    """Forward values and gradients of the scalar RNN (returned by :func:`rnn_bptt`).

    Attributes
    ----------
    y_hat : float
        Predicted probability :math:`\\hat y = \\sigma(w_0 h_T)`.
    loss : float
        Binary cross-entropy :math:`L(y, \\hat y)`, computed from the logit.
    grad_w0, grad_w_h, grad_w_i : float
        :math:`\\partial L/\\partial w_0`, :math:`\\partial L/\\partial w_h`,
        :math:`\\partial L/\\partial w_i`.
    h : ndarray, shape (T+1,)
        Hidden states :math:`h_0, h_1, \\dots, h_T` (``h[0]`` is ``h0``). Read-only.
    grad_h : ndarray, shape (T+1,)
        :math:`\\partial L/\\partial h_t` for :math:`t = 0, \\dots, T`, the total
        derivative through all later steps (``grad_h[0]`` is
        :math:`\\partial L/\\partial h_0`). Read-only.
    logit : float
        :math:`z = w_0 h_T`.
    delta : float
        :math:`\\delta = \\partial L/\\partial z = \\hat y - y`.
    """

    y_hat: float
    loss: float
    grad_w0: float
    grad_w_h: float
    grad_w_i: float
    h: np.ndarray
    grad_h: np.ndarray
    logit: float
    delta: float

    def __post_init__(self):
        _freeze_fields(self)  # values computed by rnn_bptt: frozen, not validated again


def tanh_derivative(a):
    """:math:`\\tanh'(a) = \\operatorname{sech}^2(a) = 1 - \\tanh^2(a)`, relatively accurate for any ``a``.

    Uses :math:`\\operatorname{sech}^2(a) = 4e^{-2|a|} / (1 + e^{-2|a|})^2`, which
    never overflows and keeps full relative precision in saturation, where
    ``1 - tanh(a)**2`` rounds to exactly ``0`` once ``|a| > 19``.

    Parameters
    ----------
    a : float or ndarray
        Pre-activation(s), any shape.

    Returns
    -------
    float or ndarray
        Same shape as ``a``, values in ``[0, 1]``.

    Raises
    ------
    TypeError
        If ``a`` is not numeric.
    ValueError
        If ``a`` contains NaN (``±inf`` give 0).

    Derived in :ref:`bptt-sec-t2`.
    """
    a = as_float_array(a, "a", finite=False, allow_empty=True)
    if np.any(np.isnan(a)):
        raise ValueError("a must not contain NaN")
    return _sech2(a)


def rnn_forward(x, w_h, w_i, h0=0.0):
    """Run the recursion :math:`h_t = \\tanh(w_i x_t + w_h h_{t-1})`.

    Parameters
    ----------
    x : array_like, shape (T,)
        Input sequence, ``T >= 1``, finite.
    w_h, w_i : float
        Recurrent and input weights.
    h0 : float, default 0.0
        Initial state.

    Returns
    -------
    h : ndarray, shape (T+1,)
        ``h[0] = h0`` and ``h[t]`` for ``t = 1..T``.
    a : ndarray, shape (T,)
        Pre-activations ``a[t-1] = w_i x_t + w_h h_{t-1}``.

    Derived in :ref:`bptt-sec-problem`.
    """
    x = as_float_array(x, "x", ndim=1)
    w_h = as_finite_float(w_h, "w_h")
    w_i = as_finite_float(w_i, "w_i")
    h0 = as_finite_float(h0, "h0")
    return _forward(x, w_h, w_i, h0)


def _forward(x: np.ndarray, w_h: float, w_i: float, h0: float):
    try:
        with np.errstate(over="raise", invalid="raise"):
            return _forward_loop(x, w_h, w_i, h0)
    except FloatingPointError as exc:
        raise OverflowError(
            "the forward pass overflowed float64: w_i * x_t + w_h * h_(t-1) exceeds "
            "1e308; rescale the inputs or the weights"
        ) from exc


def _forward_loop(x: np.ndarray, w_h: float, w_i: float, h0: float):
    T = x.shape[0]
    h = np.empty(T + 1)
    a = np.empty(T)
    h[0] = h0
    drive = w_i * x  # the input part of every pre-activation, vectorised
    # The recursion itself is sequential: h_t needs h_{t-1}.
    for t in range(T):
        a[t] = drive[t] + w_h * h[t]
        h[t + 1] = np.tanh(a[t])
    return h, a


def rnn_bptt(x, y, w0, w_h, w_i, h0=0.0) -> BPTTResult:
    """Loss and exact gradients of the scalar tanh RNN by back-propagation through time.

    Forward: :math:`a_t = w_i x_t + w_h h_{t-1}`, :math:`h_t = \\tanh a_t`,
    :math:`z = w_0 h_T`, :math:`\\hat y = \\sigma(z)`,
    :math:`L = -[y\\log\\hat y + (1-y)\\log(1-\\hat y)]`.

    Backward (with :math:`s_t = \\operatorname{sech}^2 a_t = 1 - h_t^2` and
    :math:`\\delta = \\hat y - y`):

    .. math::

        \\frac{\\partial L}{\\partial h_T} &= \\delta w_0, \\qquad
        \\frac{\\partial L}{\\partial h_{t-1}} = \\frac{\\partial L}{\\partial h_t} s_t w_h,

        \\frac{\\partial L}{\\partial w_h} &= \\sum_{t=1}^T \\frac{\\partial L}{\\partial h_t} s_t h_{t-1},
        \\qquad
        \\frac{\\partial L}{\\partial w_i} = \\sum_{t=1}^T \\frac{\\partial L}{\\partial h_t} s_t x_t,

        \\frac{\\partial L}{\\partial w_0} &= \\delta h_T.

    Parameters
    ----------
    x : array_like, shape (T,)
        Input sequence, ``T >= 1``, finite.
    y : float
        Target in ``[0, 1]`` (soft labels allowed).
    w0, w_h, w_i : float
        Output, recurrent and input weights, finite.
    h0 : float, default 0.0
        Initial hidden state, finite.

    Returns
    -------
    BPTTResult
        ``y_hat, loss, grad_w0, grad_w_h, grad_w_i`` (floats), ``h`` (shape (T+1,)),
        ``grad_h`` (shape (T+1,), :math:`\\partial L/\\partial h_t`), ``logit``, ``delta``.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If ``x`` is empty or not 1-D, ``y`` is outside ``[0, 1]``, or any input is
        NaN or infinite.
    OverflowError
        If a pre-activation or the error signal :math:`\\partial L/\\partial h_t`
        exceeds the float64 range (about 1e308): an exploding gradient. The
        recursion starts from :math:`\\delta w_0`, so a zero error signal gives
        zero gradients however large the product of Jacobians would be.

    Notes
    -----
    The loss is :math:`L = y\\,\\mathrm{softplus}(-z) + (1-y)\\,\\mathrm{softplus}(z)
    = -y \\log\\sigma(z) - (1-y)\\log\\sigma(-z)`, evaluated with
    ``scipy.special.log_expit``, and :math:`\\delta = (1-y)\\sigma(z) - y\\sigma(-z)`;
    both keep full relative accuracy for hard labels at any :math:`|z|`
    (``z = 1e4`` gives ``loss = 0`` for ``y = 1`` and ``1e4`` for ``y = 0``).

    Derived in :ref:`bptt-sec-t2` (T = 2) and :ref:`bptt-sec-recursion`.
    """
    x, y, w0, w_h, w_i, h0 = _check_scalar_rnn(x, y, w0, w_h, w_i, h0)

    h, a = _forward(x, w_h, w_i, h0)
    T = x.shape[0]
    z = w0 * h[T]
    y_hat, loss, delta = _logit_loss(z, y)

    s = tanh_derivative(a)  # s[t-1] = sech^2(a_t), shape (T,)
    jac = w_h * s  # dh_t/dh_{t-1}, shape (T,)
    try:
        with np.errstate(over="raise", invalid="raise"):
            # The recursion g_T = delta w0, g_{t-1} = g_t * jac_t, run from
            # delta * w0 (never a product of Jacobians alone): a zero error
            # signal stays exactly 0 however large the Jacobians are.
            start = np.array([delta * w0])
            grad_h = np.multiply.accumulate(np.concatenate([start, jac[::-1]]))[::-1]
            grad_a = grad_h[1:] * s  # dL/da_t, t = 1..T
            grad_w_h = float(grad_a @ h[:-1])
            grad_w_i = float(grad_a @ x)
    except FloatingPointError as exc:
        raise OverflowError(
            "the backward pass overflowed float64: the error signal "
            "delta * w0 * prod w_h * sech^2(a_t) grows beyond 1e308 (exploding "
            "gradient); use smaller |w_h| or a shorter sequence"
        ) from exc
    grad_h = np.ascontiguousarray(grad_h) + 0.0  # + 0.0 turns -0.0 into 0.0
    grad_w0 = float(delta * h[T])

    h.setflags(write=False)
    grad_h.setflags(write=False)
    return BPTTResult(
        y_hat=y_hat,
        loss=loss,
        grad_w0=grad_w0,
        grad_w_h=grad_w_h,
        grad_w_i=grad_w_i,
        h=h,
        grad_h=grad_h,
        logit=float(z),
        delta=delta,
    )
