"""Back-propagation through time (BPTT) for scalar and vector tanh RNNs.

The scalar model (:func:`rnn_bptt`, a sigmoid output at the last step), for an
input sequence :math:`x_1, \\dots, x_T` and a given :math:`h_0`, is

.. math::

    a_t = w_i x_t + w_h h_{t-1}, \\qquad h_t = \\tanh(a_t), \\qquad
    z = w_0 h_T, \\qquad \\hat y = \\sigma(z),

with the binary cross-entropy loss
:math:`L = -[y \\log \\hat y + (1-y) \\log(1-\\hat y)]`, computed from the logit
:math:`z` so that it stays finite and accurate when :math:`\\sigma` saturates.

Derived in the chapter :ref:`bptt`: the two-step closed forms in
:ref:`bptt-sec-t2`, the recursion in :ref:`bptt-sec-recursion`, gradient
clipping in :ref:`bptt-sec-clipping`, and the vector RNN with a loss at every
step (:func:`vector_rnn_bptt`) in :ref:`bptt-sec-vector`; the same gradients in
forward mode, by real-time recurrent learning (:func:`rnn_rtrl`,
:func:`vector_rnn_rtrl`), in :ref:`bptt-sec-rtrl`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import log_softmax

from .numerics import _readonly, as_finite_float, as_float_array, log_sigmoid, sigmoid

__all__ = ["BPTTResult", "rnn_forward", "rnn_bptt", "tanh_derivative", "clip_by_norm",
           "VectorBPTTResult", "vector_rnn_bptt", "clip_by_global_norm",
           "RTRLResult", "rnn_rtrl", "VectorRTRLResult", "vector_rnn_rtrl"]


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
        # values computed by rnn_bptt: frozen, not validated again
        for name in ("y_hat", "loss", "grad_w0", "grad_w_h", "grad_w_i", "logit", "delta"):
            object.__setattr__(self, name, float(getattr(self, name)))
        object.__setattr__(self, "h", _readonly(self.h))
        object.__setattr__(self, "grad_h", _readonly(self.grad_h))


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

    Derived in :ref:`bptt-sec-clipping`.
    """
    g = as_float_array(grad, "grad", ndim=1)
    theta = as_finite_float(max_norm, "max_norm")
    if theta <= 0:
        raise ValueError(f"max_norm must be positive, got {theta!r}")
    norm = float(np.hypot.reduce(g)) if g.size > 1 else float(abs(g[0]))
    if norm > theta:
        return g * (theta / norm)
    return g.copy()


def clip_by_global_norm(grads, max_norm, eps=1e-6):
    """Rescale several gradient arrays together so that their joint norm is at most ``max_norm``.

    The rule of ``torch.nn.utils.clip_grad_norm_``: with the global norm
    :math:`N = \\big(\\sum_j \\|G_j\\|_F^2\\big)^{1/2}` over all arrays,
    every array is multiplied by :math:`\\min\\big(1, \\theta / (N + \\varepsilon)\\big)`.
    All arrays share one factor, so the direction of the whole gradient is kept.
    With ``eps=0`` this is exactly the rule of :func:`clip_by_norm` applied to
    the concatenation of the arrays.

    Parameters
    ----------
    grads : sequence of array_like
        One gradient per parameter, any shapes, finite; at least one array.
    max_norm : float
        Threshold :math:`\\theta > 0`.
    eps : float, default 1e-6
        PyTorch's safety term :math:`\\varepsilon \\ge 0` in the denominator.

    Returns
    -------
    clipped : list of ndarray
        New float64 arrays with the shapes of ``grads``.
    total_norm : float
        The global norm :math:`N` *before* clipping (as PyTorch returns it).

    Raises
    ------
    TypeError
        If ``grads`` is not a sequence of numeric arrays, or ``max_norm``/``eps``
        is not a real number.
    ValueError
        If ``grads`` is empty or contains NaN/inf, ``max_norm <= 0`` or ``eps < 0``.

    Derived in :ref:`bptt-sec-clipping`.
    """
    if isinstance(grads, np.ndarray) or not isinstance(grads, (list, tuple)):
        raise TypeError("grads must be a list or tuple of arrays, got "
                        f"{type(grads).__name__}")
    if len(grads) == 0:
        raise ValueError("grads must contain at least one array")
    arrays = [as_float_array(g, f"grads[{j}]", allow_empty=True) for j, g in enumerate(grads)]
    theta = as_finite_float(max_norm, "max_norm")
    if theta <= 0:
        raise ValueError(f"max_norm must be positive, got {theta!r}")
    eps = as_finite_float(eps, "eps")
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps!r}")
    # The norm is computed after scaling by the largest entry, so it neither
    # overflows (entries near 1e200) nor underflows (entries near 1e-200).
    scale = max((float(np.max(np.abs(a))) for a in arrays if a.size), default=0.0)
    if scale == 0.0:
        total = 0.0
    else:
        total = scale * float(np.sqrt(sum(float(np.sum((a / scale) ** 2)) for a in arrays)))
    factor = min(1.0, theta / (total + eps)) if total + eps > 0 else 1.0
    return [a * factor for a in arrays], total


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
        # values computed by vector_rnn_bptt: frozen, not validated again
        object.__setattr__(self, "loss", float(self.loss))
        for name in ("h", "y_hat", "grad_U", "grad_W", "grad_V", "grad_b", "grad_c", "grad_h"):
            object.__setattr__(self, name, _readonly(getattr(self, name)))


def _as_targets(targets, T: int, K: int) -> np.ndarray:
    if targets is None or isinstance(targets, (str, bytes)):
        raise TypeError(f"targets must be an array of integers, got {type(targets).__name__}")
    arr = np.asarray(targets)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and arr.size and np.all(np.isfinite(arr)) \
                and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        elif arr.dtype.kind == "f":
            raise ValueError("targets must be whole numbers (class indices), got "
                             "non-integer or non-finite floats")
        else:
            raise TypeError(f"targets must be an array of integers, got dtype {arr.dtype}")
    if arr.shape != (T,):
        raise ValueError(f"targets must have shape ({T},) (one class per row of X), "
                         f"got {arr.shape}")
    if np.any(arr < 0) or np.any(arr >= K):
        raise ValueError(f"targets must lie in [0, K) = [0, {K}) (K = rows of V), "
                         f"got values from {int(arr.min())} to {int(arr.max())}")
    return arr.astype(np.intp)


def vector_rnn_bptt(X, targets, U, W, V, b, c, h0=None) -> VectorBPTTResult:
    """Loss and exact gradients of a vector tanh RNN with a softmax output at every step.

    The model of Goodfellow, Bengio and Courville (2016, Section 10.2.2), for
    :math:`t = 1, \\dots, T`:

    .. math::

        a_t = b + W h_{t-1} + U x_t, \\quad h_t = \\tanh a_t, \\quad
        o_t = c + V h_t, \\quad \\hat y_t = \\operatorname{softmax}(o_t), \\quad
        L = -\\sum_{t=1}^T \\log \\hat y_t[y_t].

    Backward, with :math:`e_k` the k-th unit vector and
    :math:`S_t = \\operatorname{diag}(\\operatorname{sech}^2 a_t) = \\operatorname{diag}(1 - h_t^2)`
    (computed as :func:`tanh_derivative` of :math:`a_t`, the same rule as
    :func:`rnn_bptt`, which keeps relative accuracy in saturation):

    .. math::

        \\nabla_{o_t} L = \\hat y_t - e_{y_t}, \\quad
        \\nabla_{h_T} L = V^\\top \\nabla_{o_T} L, \\quad
        \\nabla_{h_t} L = V^\\top \\nabla_{o_t} L + W^\\top S_{t+1} \\nabla_{h_{t+1}} L,

    .. math::

        \\nabla_c L = \\sum_t \\nabla_{o_t} L, \\quad
        \\nabla_V L = \\sum_t \\nabla_{o_t} L\\, h_t^\\top, \\quad
        \\nabla_b L = \\sum_t S_t \\nabla_{h_t} L, \\quad
        \\nabla_W L = \\sum_t S_t \\nabla_{h_t} L\\, h_{t-1}^\\top, \\quad
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
    h_init = np.zeros(H) if h0 is None else as_float_array(h0, "h0", shape=(H,))
    y = _as_targets(targets, T, K)

    try:
        with np.errstate(over="raise", invalid="raise"):
            h = np.empty((T + 1, H))
            a = np.empty((T, H))  # pre-activations a_1..a_T
            h[0] = h_init
            drive = X @ U.T + b  # (T, H): the input part of every a_t
            for t in range(T):
                a[t] = drive[t] + W @ h[t]
                h[t + 1] = np.tanh(a[t])
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
    slope = tanh_derivative(a)

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


# --- real-time recurrent learning (forward-mode sensitivities) ---------------------


@dataclass(frozen=True, eq=False)
class RTRLResult:
    """Loss, final state and gradients of the scalar RNN by RTRL (returned by :func:`rnn_rtrl`).

    The same model and loss as :func:`rnn_bptt`; the gradients are computed
    forward in time, so no state but the current one is kept.

    Attributes
    ----------
    y_hat, loss : float
        As in :class:`BPTTResult`.
    grad_w0, grad_w_h, grad_w_i, grad_h0 : float
        :math:`\\partial L/\\partial w_0`, :math:`\\partial L/\\partial w_h`,
        :math:`\\partial L/\\partial w_x` (keyword ``w_i``) and
        :math:`\\partial L/\\partial h_0`.
    h_T : float
        The last state :math:`h_T`.
    dh_dw_h, dh_dw_i, dh_dh0 : float
        The sensitivities at the last step, :math:`\\partial h_T/\\partial w_h`,
        :math:`\\partial h_T/\\partial w_x` and :math:`\\partial h_T/\\partial h_0`.
    """

    y_hat: float
    loss: float
    grad_w0: float
    grad_w_h: float
    grad_w_i: float
    grad_h0: float
    h_T: float
    dh_dw_h: float
    dh_dw_i: float
    dh_dh0: float

    def __post_init__(self):
        # values computed by rnn_rtrl: frozen, not validated again
        for f in self.__dataclass_fields__:
            object.__setattr__(self, f, float(getattr(self, f)))


def rnn_rtrl(x, y, w0, w_h, w_i, h0=0.0) -> RTRLResult:
    """Gradients of the scalar tanh RNN by real-time recurrent learning (forward mode).

    The model and the loss are those of :func:`rnn_bptt`. Instead of a backward
    pass, the sensitivities of the state are carried forward with it
    (Williams and Zipser, 1989): with :math:`s_t = \\operatorname{sech}^2 a_t`,

    .. math::

        \\frac{\\partial h_t}{\\partial w_h} = s_t\\Big(h_{t-1} + w_h \\frac{\\partial h_{t-1}}{\\partial w_h}\\Big),
        \\quad
        \\frac{\\partial h_t}{\\partial w_x} = s_t\\Big(x_t + w_h \\frac{\\partial h_{t-1}}{\\partial w_x}\\Big),
        \\quad
        \\frac{\\partial h_t}{\\partial h_0} = s_t w_h \\frac{\\partial h_{t-1}}{\\partial h_0},

    starting from :math:`0, 0, 1` at :math:`t = 0`, and at the end
    :math:`\\partial L/\\partial \\theta = \\delta w_0\\, \\partial h_T/\\partial \\theta`,
    :math:`\\partial L/\\partial w_0 = \\delta h_T`.

    Parameters
    ----------
    x : array_like, shape (T,)
        Input sequence, ``T >= 1``, finite.
    y : float
        Target in ``[0, 1]``.
    w0, w_h, w_i : float
        Output, recurrent and input weights (``w_i`` is the book's :math:`w_x`), finite.
    h0 : float, default 0.0
        Initial hidden state, finite.

    Returns
    -------
    RTRLResult
        The loss, the four gradients, :math:`h_T` and the three sensitivities at :math:`T`.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If ``x`` is empty or not 1-D, ``y`` is outside ``[0, 1]``, or an input is
        NaN or infinite.
    OverflowError
        If a pre-activation or a sensitivity exceeds the float64 range.

    Notes
    -----
    Memory: the state and three sensitivities, :math:`O(1)` in :math:`T`, where
    :func:`rnn_bptt` keeps the :math:`T + 1` states. Time: :math:`O(T)`, as BPTT.
    The gradients equal those of :func:`rnn_bptt` up to rounding (both compute the
    same sums, in a different order). Derived in :ref:`bptt-sec-rtrl`.
    """
    x = as_float_array(x, "x", ndim=1)
    y = as_finite_float(y, "y")
    if not 0.0 <= y <= 1.0:
        raise ValueError(f"y must be a target in [0, 1], got {y!r}")
    w0 = as_finite_float(w0, "w0")
    w_h = as_finite_float(w_h, "w_h")
    w_i = as_finite_float(w_i, "w_i")
    h = as_finite_float(h0, "h0")
    p_wh, p_wi, p_h0 = 0.0, 0.0, 1.0  # dh_0/dw_h, dh_0/dw_x, dh_0/dh_0
    try:
        with np.errstate(over="raise", invalid="raise"):
            for xt in x:
                a = w_i * xt + w_h * h
                s = float(tanh_derivative(a))
                p_wh, p_wi, p_h0 = (s * (h + w_h * p_wh), s * (xt + w_h * p_wi),
                                    s * w_h * p_h0)
                h = float(np.tanh(a))
    except (FloatingPointError, OverflowError) as exc:
        raise OverflowError("the forward pass overflowed float64: a pre-activation or a "
                            "sensitivity exceeds 1e308; use smaller weights or a shorter "
                            "sequence") from exc
    z = w0 * h
    delta = float((1.0 - y) * sigmoid(z) - y * sigmoid(-z))
    out = delta * w0  # dL/dh_T
    return RTRLResult(
        y_hat=float(sigmoid(z)),
        loss=float(-y * log_sigmoid(z) - (1.0 - y) * log_sigmoid(-z)),
        grad_w0=delta * h, grad_w_h=out * p_wh + 0.0, grad_w_i=out * p_wi + 0.0,
        grad_h0=out * p_h0 + 0.0, h_T=h, dh_dw_h=p_wh, dh_dw_i=p_wi, dh_dh0=p_h0)


@dataclass(frozen=True, eq=False)
class VectorRTRLResult:
    """Loss, final state and gradients of the vector RNN by RTRL (returned by :func:`vector_rnn_rtrl`).

    Attributes
    ----------
    loss : float
        :math:`L = -\\sum_{t=1}^T \\log \\hat y_t[y_t]`, as in :class:`VectorBPTTResult`.
    h_T : ndarray, shape (H,)
        The last state.
    grad_U, grad_W, grad_V, grad_b, grad_c : ndarray
        The gradients, shapes as in :class:`VectorBPTTResult`.
    grad_h0 : ndarray, shape (H,)
        :math:`\\nabla_{h_0} L`.
    dh_dU, dh_dW, dh_db, dh_dh0 : ndarray
        The sensitivities at the last step: ``dh_dU[i, j, k]`` is
        :math:`\\partial h_{T,i}/\\partial U_{jk}` (H, H, d), ``dh_dW`` likewise
        (H, H, H), ``dh_db[i, j]`` is :math:`\\partial h_{T,i}/\\partial b_j` (H, H),
        ``dh_dh0[i, j]`` is :math:`\\partial h_{T,i}/\\partial h_{0,j}` (H, H).
        These four arrays are all the recursion carries from step to step.

    Every array is float64 and read-only.
    """

    loss: float
    h_T: np.ndarray
    grad_U: np.ndarray
    grad_W: np.ndarray
    grad_V: np.ndarray
    grad_b: np.ndarray
    grad_c: np.ndarray
    grad_h0: np.ndarray
    dh_dU: np.ndarray
    dh_dW: np.ndarray
    dh_db: np.ndarray
    dh_dh0: np.ndarray

    def __post_init__(self):
        # values computed by vector_rnn_rtrl: frozen, not validated again
        object.__setattr__(self, "loss", float(self.loss))
        for f in self.__dataclass_fields__:
            if f != "loss":
                object.__setattr__(self, f, _readonly(getattr(self, f)))


def vector_rnn_rtrl(X, targets, U, W, V, b, c, h0=None) -> VectorRTRLResult:
    """Gradients of the vector tanh RNN of :func:`vector_rnn_bptt` by real-time recurrent learning.

    Forward mode: the Jacobians of the state with respect to the parameters are
    carried along with the state (Williams and Zipser, 1989). With
    :math:`S_t = \\operatorname{diag}(\\operatorname{sech}^2 a_t)` and
    :math:`P^\\theta_t = \\partial h_t/\\partial \\theta`,

    .. math::

        P^{W}_t[i, j, k] = S_t[i]\\Big(\\sum_m W_{im} P^{W}_{t-1}[m, j, k] + [i = j]\\, h_{t-1,k}\\Big),

    likewise for :math:`U` (immediate term :math:`[i = j]\\, x_{t,k}`), :math:`b`
    (:math:`[i = j]`) and :math:`h_0` (no immediate term, :math:`P^{h_0}_0 = I`),
    and each step adds :math:`(V^\\top \\delta_t)^\\top P^\\theta_t` to the gradient,
    with :math:`\\delta_t = \\hat y_t - e_{y_t}`. The output weights get
    :math:`\\sum_t \\delta_t h_t^\\top` and :math:`\\sum_t \\delta_t` directly.

    Parameters
    ----------
    X, targets, U, W, V, b, c, h0
        As in :func:`vector_rnn_bptt`.

    Returns
    -------
    VectorRTRLResult
        ``loss``, ``h_T``, the gradients ``grad_U, grad_W, grad_V, grad_b, grad_c,
        grad_h0`` and the final sensitivities ``dh_dU, dh_dW, dh_db, dh_dh0``.

    Raises
    ------
    TypeError, ValueError
        As :func:`vector_rnn_bptt`.
    OverflowError
        If a pre-activation or a sensitivity exceeds the float64 range.

    Notes
    -----
    Memory: the sensitivities, :math:`H(H^2 + Hd + 2H)` floats, independent of
    :math:`T`; :func:`vector_rnn_bptt` stores :math:`O(TH)`. Time:
    :math:`O(T H^2 (H + d))` multiply-adds for the update of the sensitivities,
    against :math:`O(T H (H + d + K))` for BPTT. RTRL needs no backward pass, so it
    can learn online from an endless sequence; its cost is what truncated BPTT
    avoids. The gradients equal those of :func:`vector_rnn_bptt` up to rounding.
    Derived in :ref:`bptt-sec-rtrl`.
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
    h = np.zeros(H) if h0 is None else as_float_array(h0, "h0", shape=(H,))
    y = _as_targets(targets, T, K)

    eye = np.eye(H)
    P_U, P_W = np.zeros((H, H, d)), np.zeros((H, H, H))
    P_b, P_h0 = np.zeros((H, H)), eye.copy()
    grads = dict(grad_U=np.zeros((H, d)), grad_W=np.zeros((H, H)), grad_V=np.zeros((K, H)),
                 grad_b=np.zeros(H), grad_c=np.zeros(K), grad_h0=np.zeros(H))
    loss = 0.0
    try:
        with np.errstate(over="raise", invalid="raise"):
            for t in range(T):
                a = b + W @ h + U @ X[t]
                s = tanh_derivative(a)[:, None]  # the rows of S_t
                # immediate partials of a_t, then the chain through h_(t-1)
                P_W = np.einsum("im,mjk->ijk", W, P_W)
                P_W[np.arange(H), np.arange(H), :] += h
                P_U = np.einsum("im,mjk->ijk", W, P_U)
                P_U[np.arange(H), np.arange(H), :] += X[t]
                P_b = W @ P_b + eye
                P_h0 = W @ P_h0
                P_W *= s[:, :, None]
                P_U *= s[:, :, None]
                P_b *= s
                P_h0 *= s
                h = np.tanh(a)
                logits = c + V @ h
                if not np.all(np.isfinite(logits)):
                    raise FloatingPointError
                logp = log_softmax(logits)
                loss -= float(logp[y[t]])
                delta = np.exp(logp)
                delta[y[t]] -= 1.0  # y_hat_t - e_{y_t}
                g = V.T @ delta  # the immediate dL_t/dh_t
                grads["grad_V"] += np.outer(delta, h)
                grads["grad_c"] += delta
                grads["grad_W"] += np.einsum("i,ijk->jk", g, P_W)
                grads["grad_U"] += np.einsum("i,ijk->jk", g, P_U)
                grads["grad_b"] += g @ P_b
                grads["grad_h0"] += g @ P_h0
    except FloatingPointError as exc:
        raise OverflowError("the forward pass overflowed float64: a pre-activation, a "
                            "logit or a sensitivity exceeds 1e308; use smaller weights or "
                            "a shorter sequence") from exc
    return VectorRTRLResult(loss=loss, h_T=h, dh_dU=P_U, dh_dW=P_W, dh_db=P_b,
                            dh_dh0=P_h0, **grads)
