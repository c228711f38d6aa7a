"""Back-propagation through time (BPTT) for a scalar tanh RNN with a sigmoid output.

The model, for an input sequence :math:`x_1, \\dots, x_T` and a given :math:`h_0`, is

.. math::

    a_t = w_i x_t + w_h h_{t-1}, \\qquad h_t = \\tanh(a_t), \\qquad
    z = w_0 h_T, \\qquad \\hat y = \\sigma(z),

with the binary cross-entropy loss
:math:`L = -[y \\log \\hat y + (1-y) \\log(1-\\hat y)]`, computed from the logit
:math:`z` so that it stays finite and accurate when :math:`\\sigma` saturates.

Derived in the chapter ``book/bptt.ipynb``: the two-step closed forms in section
*The chain rule for two steps*, the recursion in section *The backward recursion
for T steps*, and gradient clipping in section *Gradient clipping at work*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .numerics import as_finite_float, as_float_array, log_sigmoid, sigmoid

__all__ = ["BPTTResult", "rnn_forward", "rnn_bptt", "tanh_derivative", "clip_by_norm"]


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
        for name in ("y_hat", "loss", "grad_w0", "grad_w_h", "grad_w_i", "logit", "delta"):
            object.__setattr__(self, name, as_finite_float(getattr(self, name), name))
        h = as_float_array(self.h, "h", ndim=1)
        grad_h = as_float_array(self.grad_h, "grad_h", shape=h.shape)
        object.__setattr__(self, "h", h)
        object.__setattr__(self, "grad_h", grad_h)


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

    Derived in the chapter ``book/bptt.ipynb``, section *The chain rule for two steps*.
    """
    a = as_float_array(a, "a", finite=False, allow_empty=True)
    if np.any(np.isnan(a)):
        raise ValueError("a must not contain NaN")
    # |a| is capped at 1000 only to keep 2|a| finite; exp(-2000) is 0 anyway.
    e = np.exp(-2.0 * np.minimum(np.abs(a), 1000.0))
    return 4.0 * e / (1.0 + e) ** 2


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

    Derived in the chapter ``book/bptt.ipynb``, section *The problem*.
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

        \\frac{\\partial L}{\\partial h_T} = \\delta w_0, \\quad
        \\frac{\\partial L}{\\partial h_{t-1}} = \\frac{\\partial L}{\\partial h_t} s_t w_h, \\quad
        \\frac{\\partial L}{\\partial w_h} = \\sum_{t=1}^T \\frac{\\partial L}{\\partial h_t} s_t h_{t-1}, \\quad
        \\frac{\\partial L}{\\partial w_i} = \\sum_{t=1}^T \\frac{\\partial L}{\\partial h_t} s_t x_t, \\quad
        \\frac{\\partial L}{\\partial w_0} = \\delta h_T.

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
        If a pre-activation or the backward product of Jacobians exceeds the
        float64 range (about 1e308), e.g. an exploding gradient.

    Notes
    -----
    The loss is :math:`L = y\\,\\mathrm{softplus}(-z) + (1-y)\\,\\mathrm{softplus}(z)
    = -y \\log\\sigma(z) - (1-y)\\log\\sigma(-z)`, evaluated with
    :func:`scipy.special.log_expit`, and :math:`\\delta = (1-y)\\sigma(z) - y\\sigma(-z)`;
    both keep full relative accuracy for hard labels at any :math:`|z|`
    (``z = 1e4`` gives ``loss = 0`` for ``y = 1`` and ``1e4`` for ``y = 0``).

    Derived in the chapter ``book/bptt.ipynb``, sections *The chain rule for two
    steps* (T = 2) and *The backward recursion for T steps*.
    """
    x = as_float_array(x, "x", ndim=1)
    y = as_finite_float(y, "y")
    if not 0.0 <= y <= 1.0:
        raise ValueError(f"y must be a target in [0, 1], got {y!r}")
    w0 = as_finite_float(w0, "w0")
    w_h = as_finite_float(w_h, "w_h")
    w_i = as_finite_float(w_i, "w_i")
    h0 = as_finite_float(h0, "h0")

    h, a = _forward(x, w_h, w_i, h0)
    T = x.shape[0]
    z = w0 * h[T]
    y_hat = float(sigmoid(z))
    loss = float(-y * log_sigmoid(z) - (1.0 - y) * log_sigmoid(-z))
    delta = float((1.0 - y) * sigmoid(z) - y * sigmoid(-z))  # = y_hat - y, accurate

    s = tanh_derivative(a)  # s[t-1] = sech^2(a_t), shape (T,)
    jac = w_h * s  # dh_t/dh_{t-1}, shape (T,)
    try:
        with np.errstate(over="raise", invalid="raise"):
            # Products of Jacobians prod_{k=t+1}^T jac_k for t = T, T-1, ..., 0.
            tail = np.ones(T + 1)
            tail[:T] = np.cumprod(jac[::-1])[::-1]
            grad_h = (delta * w0) * tail  # dL/dh_t, t = 0..T
            grad_a = grad_h[1:] * s  # dL/da_t, t = 1..T
            grad_w_h = float(grad_a @ h[:-1])
            grad_w_i = float(grad_a @ x)
    except FloatingPointError as exc:
        raise OverflowError(
            "the backward pass overflowed float64: the product of Jacobians "
            "w_h * sech^2(a_t) grows beyond 1e308 (exploding gradient); "
            "use smaller |w_h| or a shorter sequence"
        ) from exc
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


def clip_by_norm(grad, max_norm):
    """Rescale a gradient so that its Euclidean norm is at most ``max_norm``.

    The rule of Pascanu, Mikolov and Bengio (2013): if :math:`\\|g\\| > \\theta`,
    replace :math:`g` by :math:`\\theta\\, g / \\|g\\|`; otherwise leave it alone.
    The direction is kept, only the step length is capped.

    Parameters
    ----------
    grad : array_like, shape (P,)
        Gradient vector, finite.
    max_norm : float
        Threshold :math:`\\theta > 0`.

    Returns
    -------
    ndarray, shape (P,)
        The (possibly rescaled) gradient, a new array.

    Derived in the chapter ``book/bptt.ipynb``, section *Gradient clipping at work*.
    """
    g = as_float_array(grad, "grad", ndim=1)
    theta = as_finite_float(max_norm, "max_norm")
    if theta <= 0:
        raise ValueError(f"max_norm must be positive, got {theta!r}")
    norm = float(np.hypot.reduce(g)) if g.size > 1 else float(abs(g[0]))
    if norm > theta:
        return g * (theta / norm)
    return g.copy()
