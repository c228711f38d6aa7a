"""A single LSTM memory cell, traced step by step.

Derived in the chapter :ref:`lstm_trace`, section :ref:`lstm-sec-cell`; the
trace of the course's example is in :ref:`lstm-sec-trace`.

The cell has a scalar memory :math:`c` and four scalar pre-activations per step,

.. math::

    z = \\mathbf{w}^\\top \\mathbf{x}_t + b, \\quad
    z_i = \\mathbf{w}_i^\\top \\mathbf{x}_t + b_i, \\quad
    z_f = \\mathbf{w}_f^\\top \\mathbf{x}_t + b_f, \\quad
    z_o = \\mathbf{w}_o^\\top \\mathbf{x}_t + b_o,

and updates

.. math::

    c_t = g(z)\\,\\sigma(z_i) + c_{t-1}\\,\\sigma(z_f), \\qquad
    y_t = h(c_t)\\,\\sigma(z_o).

There is no recurrent input (the gates see only :math:`\\mathbf{x}_t`), exactly
as in the course's homework problem.

The standard LSTM layer, whose gates also read the previous output
:math:`h_{t-1}`, is here as one step, :func:`lstm_cell`, and the Jacobian of its
state :math:`(c_t, h_t)` with respect to :math:`(c_{t-1}, h_{t-1})`,
:func:`lstm_state_jacobian` (derived in :ref:`lstm-sec-jacobians`).

Whole LSTM and GRU layers with a softmax output and a loss at every step, the
gated counterparts of :func:`mlhwlib.vector_rnn.vector_rnn_bptt`, are
:func:`vector_lstm_bptt` and :func:`vector_gru_bptt`: loss, exact gradients
(back-propagation through time, derived in :ref:`lstm-sec-gated-bptt`) and the
long-range state Jacobians (``state_jacobian`` of the result), measured on the
chapter's recall task in :ref:`lstm-sec-gated-jacobian-figure`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import log_softmax

from ._rnn import _as_targets
from .numerics import _freeze_fields, as_finite_float, as_float_array, check_callable, sigmoid
from .numerics import _sech2 as tanh_slope

__all__ = ["LSTMTrace", "lstm_trace", "lstm_cell", "lstm_state_jacobian",
           "VectorLSTMResult", "vector_lstm_bptt", "VectorGRUResult", "vector_gru_bptt"]


@dataclass(frozen=True)
class LSTMTrace:
    """Everything an LSTM cell computed over a sequence of ``T`` steps.

    Every array attribute is a read-only float64 ndarray of shape ``(T,)``;
    index ``t`` (from 0) is the ``(t + 1)``-th step of the mathematics.

    Attributes
    ----------
    z, z_i, z_f, z_o : ndarray, shape (T,)
        Pre-activations of the cell input and of the input, forget and output
        gates.
    i, f, o : ndarray, shape (T,)
        Gate activations :math:`\\sigma(z_i)`, :math:`\\sigma(z_f)`,
        :math:`\\sigma(z_o)`, each in ``[0, 1]``.
    g_z : ndarray, shape (T,)
        The squashed cell input :math:`g(z)`.
    c : ndarray, shape (T,)
        ``c[t]`` is the memory *after* step ``t`` (the :math:`c'` of the notes).
    h_c : ndarray, shape (T,)
        :math:`h(c_t)`.
    y : ndarray, shape (T,)
        ``y[t] = h(c[t]) * o[t]``, the output at step ``t``.
    c0 : float
        The memory before the first step.
    """

    z: np.ndarray
    z_i: np.ndarray
    z_f: np.ndarray
    z_o: np.ndarray
    i: np.ndarray
    f: np.ndarray
    o: np.ndarray
    g_z: np.ndarray
    c: np.ndarray
    h_c: np.ndarray
    y: np.ndarray
    c0: float

    def __post_init__(self):
        # Read-only copies: the frozen dataclass cannot be changed through its arrays
        # either (``tr.c[0] = 99`` raises ValueError). The values come from
        # :func:`lstm_trace` and are not validated again.
        _freeze_fields(self)

    @property
    def T(self) -> int:
        """Number of steps."""
        return int(self.z.shape[0])


def _identity(v):
    return v


def _apply_elementwise(func, values: np.ndarray, name: str) -> np.ndarray:
    """Apply a user activation and check that it kept the shape and stayed finite."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        raw = np.asarray(func(values))
    if raw.dtype.kind not in "biuf":
        raise TypeError(f"{name} must return real numbers, got an array of dtype {raw.dtype}")
    out = raw.astype(np.float64)
    if out.shape != values.shape:
        raise ValueError(
            f"{name} must act elementwise: for an input of shape {values.shape} it "
            f"returned shape {out.shape}"
        )
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} returned a non-finite value (NaN or inf)")
    return out


def lstm_trace(X, w, w_i, w_f, w_o, b=0.0, b_i=0.0, b_f=0.0, b_o=0.0, c0=0.0,
               g=None, h=None) -> LSTMTrace:
    """Run one LSTM memory cell over a sequence and return every intermediate value.

    Derived in :ref:`lstm-sec-cell`.  With the logistic sigmoid ``σ`` and the
    activations ``g`` (cell input) and ``h`` (memory; written :math:`\\phi` in
    the chapter, which keeps :math:`h` for hidden states), step ``t`` computes

    ``z = w·x_t + b``, ``z_i = w_i·x_t + b_i``, ``z_f = w_f·x_t + b_f``,
    ``z_o = w_o·x_t + b_o``,
    ``c_t = g(z) σ(z_i) + c_{t-1} σ(z_f)``, ``y_t = h(c_t) σ(z_o)``.

    Parameters
    ----------
    X : array_like, shape (T, d)
        One input vector per row (time step).  Finite values only.
    w, w_i, w_f, w_o : array_like, shape (d,)
        Weights of the cell input and of the input, forget and output gates.
    b, b_i, b_f, b_o : float, default 0.0
        The matching biases.
    c0 : float, default 0.0
        Memory before the first step.
    g, h : callable or None, default None
        Elementwise activations of the cell input and of the memory; ``None``
        means the identity (the course's choice).  Each is called once, on a
        float64 array of shape ``(T,)`` (``g`` on all ``z``, ``h`` on all ``c``),
        and must return an array of the same shape: numpy ufuncs such as
        ``np.tanh`` work.

    Returns
    -------
    LSTMTrace
        Attributes ``z, z_i, z_f, z_o, c, y`` (and ``i, f, o, g_z, h_c``), each an
        ndarray of shape ``(T,)``; ``c[t]`` is the memory after step ``t``.

    Raises
    ------
    ValueError
        If ``X`` is not 2-D, is empty or contains NaN/inf; if a weight vector is
        not 1-D of length ``d``; if a pre-activation overflows; if ``g`` or ``h``
        does not act elementwise or returns NaN/inf.
    TypeError
        If an argument is not numeric, or ``g``/``h`` is neither callable nor None.

    Notes
    -----
    The gates use :func:`mlhwlib.numerics.sigmoid` (``scipy.special.expit``), so a
    pre-activation of ``±1e4`` gives a gate of exactly ``1.0`` or ``0.0`` without
    an overflow warning.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0, 1, 0, 3], [1, 0, 1, -2], [1, 1, 1, 4], [0, 1, 1, 0]])
    >>> tr = lstm_trace(X, w=[0, 0, 0, 1], w_i=[100, 100, 0, 0],
    ...                 w_f=[-100, -100, 0, 0], w_o=[0, 0, 100, 0],
    ...                 b=0, b_i=-10, b_f=110, b_o=-10)
    >>> [int(v) for v in tr.z_i], [int(v) for v in tr.z_f]
    ([90, 90, 190, 90], [10, 10, -90, 10])
    >>> [round(float(v), 3) for v in tr.y]
    [0.0, 1.0, 4.0, 4.0]
    """
    X = as_float_array(X, "X", ndim=2)
    d = X.shape[1]
    weights = {}
    for name, value in (("w", w), ("w_i", w_i), ("w_f", w_f), ("w_o", w_o)):
        arr = as_float_array(value, name, ndim=1)
        if arr.shape[0] != d:
            raise ValueError(
                f"{name} must have length d = {d} (the number of columns of X), "
                f"got length {arr.shape[0]}"
            )
        weights[name] = arr
    biases = {name: as_finite_float(value, name)
              for name, value in (("b", b), ("b_i", b_i), ("b_f", b_f), ("b_o", b_o))}
    c0 = as_finite_float(c0, "c0")
    g = _identity if check_callable(g, "g") is None else g
    h = _identity if check_callable(h, "h") is None else h

    # All four pre-activations of all steps at once: (T, d) @ (d, 4) -> (T, 4).
    W = np.stack([weights["w"], weights["w_i"], weights["w_f"], weights["w_o"]], axis=1)
    bias = np.array([biases["b"], biases["b_i"], biases["b_f"], biases["b_o"]])
    with np.errstate(over="ignore", invalid="ignore"):
        Z = X @ W + bias
    if not np.all(np.isfinite(Z)):
        raise ValueError(
            "a pre-activation w·x + b overflowed to inf/NaN; rescale X or the weights"
        )
    z, z_i, z_f, z_o = (np.ascontiguousarray(Z[:, k]) for k in range(4))
    i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)
    g_z = _apply_elementwise(g, z, "g")

    # The memory is a linear recurrence c_t = f_t c_{t-1} + i_t g(z_t): a loop over t.
    write = i * g_z
    c = np.empty_like(z)
    prev = c0
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(z.shape[0]):
            prev = f[t] * prev + write[t]
            c[t] = prev
    if not np.all(np.isfinite(c)):
        raise ValueError("the memory c overflowed to inf/NaN; rescale X, the weights or c0")
    h_c = _apply_elementwise(h, c, "h")
    y = h_c * o
    return LSTMTrace(z=z, z_i=z_i, z_f=z_f, z_o=z_o, i=i, f=f, o=o, g_z=g_z,
                     c=c, h_c=h_c, y=y, c0=c0)


def _cell_arguments(x, h, c, W, U, b):
    """Validate the arguments of one step of a full LSTM cell."""
    x = as_float_array(x, "x", ndim=1)
    h = as_float_array(h, "h", ndim=1)
    c = as_float_array(c, "c", ndim=1)
    H, d = h.shape[0], x.shape[0]
    if c.shape[0] != H:
        raise ValueError(f"c must have the length of h, H = {H}, got length {c.shape[0]}")
    W = as_float_array(W, "W", ndim=2)
    if W.shape != (4 * H, d):
        raise ValueError(f"W must have shape (4H, d) = {(4 * H, d)}, got {W.shape}")
    U = as_float_array(U, "U", ndim=2)
    if U.shape != (4 * H, H):
        raise ValueError(f"U must have shape (4H, H) = {(4 * H, H)}, got {U.shape}")
    b = as_float_array(b, "b", ndim=1)
    if b.shape != (4 * H,):
        raise ValueError(f"b must have shape (4H,) = {(4 * H,)}, got {b.shape}")
    return x, h, c, W, U, b


def _cell_forward(x, h, c, W, U, b):
    H = h.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):
        a = W @ x + U @ h + b
    if not np.all(np.isfinite(a)):
        raise ValueError("a pre-activation W x + U h + b overflowed to inf/NaN; "
                         "rescale x, h or the weights")
    i, f, o = sigmoid(a[:H]), sigmoid(a[H:2 * H]), sigmoid(a[3 * H:])
    g = np.tanh(a[2 * H:3 * H])
    c_new = f * c + i * g
    h_new = o * np.tanh(c_new)
    return h_new, c_new, np.stack([i, f, g, o])


def lstm_cell(x, h, c, W, U, b):
    """One step of a standard LSTM cell (gates fed by the input and by ``h``).

    Derived in :ref:`lstm-sec-jacobians`.  With ``a = W x + U h + b`` split into
    four blocks of ``H`` rows in the order ``(i, f, c~, o)`` (PyTorch's order
    ``(i, f, g, o)``; ``b`` is PyTorch's ``bias_ih + bias_hh``),

    ``i, f, o = σ(a_i), σ(a_f), σ(a_o)``, ``c~ = tanh(a_c)``,
    ``c' = f ⊙ c + i ⊙ c~``, ``h' = o ⊙ tanh(c')``.

    Parameters
    ----------
    x : array_like, shape (d,)
        The input at this step.
    h, c : array_like, shape (H,)
        The previous output and memory.
    W : array_like, shape (4H, d)
        Input weights, blocks ``(i, f, c~, o)``.
    U : array_like, shape (4H, H)
        Recurrent weights, same blocks.
    b : array_like, shape (4H,)
        Biases, same blocks.

    Returns
    -------
    h_new, c_new : ndarray, shape (H,)
        The new output and memory.
    gates : ndarray, shape (4, H)
        Rows ``i, f, c~, o`` of this step.

    Raises
    ------
    ValueError
        If a shape does not match (the message names the argument), a value is
        NaN/inf, or a pre-activation overflows.
    TypeError
        If an argument is not numeric.

    Examples
    --------
    >>> import numpy as np
    >>> H, d = 2, 3
    >>> W, U, b = np.zeros((4 * H, d)), np.zeros((4 * H, H)), np.zeros(4 * H)
    >>> h_new, c_new, gates = lstm_cell(np.ones(d), np.zeros(H), np.ones(H), W, U, b)
    >>> c_new.tolist()   # f = 1/2 keeps half of c; the candidate tanh(0) = 0
    [0.5, 0.5]
    """
    return _cell_forward(*_cell_arguments(x, h, c, W, U, b))


def lstm_state_jacobian(x, h, c, W, U, b):
    """The Jacobian of one LSTM step's state ``(c', h')`` with respect to ``(c, h)``.

    Derived in :ref:`lstm-sec-jacobians` (proposition ``lstm-prop-jacobians``).
    The state of a standard LSTM is the pair ``(c_t, h_t)``; with the notation of
    :func:`lstm_cell` and ``D = ∂c'/∂h = diag(c ⊙ f(1-f)) U_f + diag(c~ ⊙ i(1-i)) U_i
    + diag(i ⊙ (1-c~²)) U_c``, ``k = o ⊙ (1 - tanh²(c'))``, the blocks are

    ``∂c'/∂c = diag(f)``, ``∂c'/∂h = D``,
    ``∂h'/∂c = diag(k ⊙ f)``, ``∂h'/∂h = diag(tanh(c') ⊙ o(1-o)) U_o + diag(k) D``.

    The Jacobian of ``T - s`` steps is the product of these matrices (chain rule).

    Parameters
    ----------
    x, h, c, W, U, b
        As in :func:`lstm_cell`.

    Returns
    -------
    ndarray, shape (2H, 2H)
        ``J[:H, :H] = ∂c'/∂c``, ``J[:H, H:] = ∂c'/∂h``, ``J[H:, :H] = ∂h'/∂c``,
        ``J[H:, H:] = ∂h'/∂h``: rows and columns ordered ``(c, h)``.

    Raises
    ------
    ValueError, TypeError
        As in :func:`lstm_cell`.

    Examples
    --------
    >>> import numpy as np
    >>> H, d = 2, 3
    >>> W, U, b = np.zeros((4 * H, d)), np.zeros((4 * H, H)), np.zeros(4 * H)
    >>> J = lstm_state_jacobian(np.ones(d), np.zeros(H), np.ones(H), W, U, b)
    >>> J.shape, J[0, 0].item()   # U = 0: dc'/dc = diag(f), f = 1/2
    ((4, 4), 0.5)
    """
    x, h, c, W, U, b = _cell_arguments(x, h, c, W, U, b)
    H = h.shape[0]
    _, c_new, (i, f, g, o) = _cell_forward(x, h, c, W, U, b)
    U_i, U_f, U_c, U_o = U[:H], U[H:2 * H], U[2 * H:3 * H], U[3 * H:]
    D = ((c * f * (1 - f))[:, None] * U_f + (g * i * (1 - i))[:, None] * U_i
         + (i * (1 - g ** 2))[:, None] * U_c)
    tc = np.tanh(c_new)
    k = o * (1 - tc ** 2)
    J = np.empty((2 * H, 2 * H))
    J[:H, :H] = np.diag(f)
    J[:H, H:] = D
    J[H:, :H] = np.diag(k * f)
    J[H:, H:] = (tc * o * (1 - o))[:, None] * U_o + k[:, None] * D
    return J


# ---------------------------------------------------------------------------
# Vector LSTM and GRU layers: back-propagation through time
# ---------------------------------------------------------------------------
def _sigmoid_slope(a):
    """:math:`\\sigma'(a) = \\sigma(a)\\sigma(-a)`, relatively accurate in saturation."""
    return sigmoid(a) * sigmoid(-a)


def _check_step(value, name: str, T: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer step, got {type(value).__name__}")
    value = int(value)
    if not 0 <= value <= T:
        raise ValueError(f"{name} must lie in [0, T] = [0, {T}] (step 0 is the initial "
                         f"state), got {value}")
    return value


def _check_steps(s, t, T: int) -> tuple[int, int]:
    s, t = _check_step(s, "s", T), _check_step(t, "t", T)
    if s > t:
        raise ValueError(f"s must not exceed t (the Jacobian of a later state with "
                         f"respect to an earlier one), got s = {s} > t = {t}")
    return s, t


@dataclass(frozen=True, eq=False)
class VectorLSTMResult:
    """Loss, states and gradients of the vector LSTM (returned by :func:`vector_lstm_bptt`).

    Attributes
    ----------
    loss : float
        :math:`L = -\\sum_{t=1}^T \\log \\hat y_t[y_t]`.
    h, c : ndarray, shape (T+1, H)
        Outputs and memories; row 0 is the initial state, row ``t`` step ``t``.
    y_hat : ndarray, shape (T, K)
        Softmax probabilities; row ``t - 1`` is :math:`\\hat y_t`.
    gates : ndarray, shape (T, 4, H)
        ``gates[t - 1]`` holds the rows :math:`i_t, f_t, \\tilde c_t, o_t`.
    grad_U, grad_W, grad_V, grad_b, grad_c : ndarray
        Gradients of :math:`L` with respect to ``U`` (4H, d), ``W`` (4H, H),
        ``V`` (K, H), ``b`` (4H,) and the output bias ``c`` (K,).
    grad_h, grad_memory : ndarray, shape (T+1, H)
        Row ``t`` is the total derivative of :math:`L` with respect to
        :math:`h_t` (respectively the memory :math:`c_t`) through all later
        steps; row 0 is that of the initial state.
    W : ndarray, shape (4H, H)
        The recurrent weights (kept for :meth:`state_jacobian`).

    Every array is float64 and read-only.
    """

    loss: float
    h: np.ndarray
    c: np.ndarray
    y_hat: np.ndarray
    gates: np.ndarray
    grad_U: np.ndarray
    grad_W: np.ndarray
    grad_V: np.ndarray
    grad_b: np.ndarray
    grad_c: np.ndarray
    grad_h: np.ndarray
    grad_memory: np.ndarray
    W: np.ndarray

    def __post_init__(self):
        _freeze_fields(self)  # values computed by vector_lstm_bptt: frozen, not validated again

    def step_jacobian(self, t):
        """The block Jacobian :math:`J_t = \\partial(c_t, h_t)/\\partial(c_{t-1}, h_{t-1})`.

        The matrix of proposition ``lstm-prop-jacobians`` at step ``t``.

        Parameters
        ----------
        t : int
            A step, ``1 <= t <= T``.

        Returns
        -------
        ndarray, shape (2H, 2H)
            Rows and columns ordered ``[c; h]``.

        Raises
        ------
        TypeError
            If ``t`` is not an integer.
        ValueError
            If ``t`` is outside ``[1, T]``.
        """
        T = self.h.shape[0] - 1
        t = _check_step(t, "t", T)
        if t == 0:
            raise ValueError("t must lie in [1, T]: step 0 is the initial state, "
                             "which has no step Jacobian")
        H = self.h.shape[1]
        i, f, g, o = self.gates[t - 1]
        c_prev, c_t = self.c[t - 1], self.c[t]
        W_i, W_f, W_g, W_o = self.W[:H], self.W[H:2 * H], self.W[2 * H:3 * H], self.W[3 * H:]
        # recover sigma' from the gate values: i(1-i) is accurate except when i
        # rounds to 1, where the product is below 1e-16 anyway
        D = ((c_prev * f * (1 - f))[:, None] * W_f + (g * i * (1 - i))[:, None] * W_i
             + (i * (1 - g * g))[:, None] * W_g)
        k = o * tanh_slope(c_t)
        J = np.empty((2 * H, 2 * H))
        J[:H, :H] = np.diag(f)
        J[:H, H:] = D
        J[H:, :H] = np.diag(k * f)
        J[H:, H:] = (np.tanh(c_t) * o * (1 - o))[:, None] * W_o + k[:, None] * D
        return J

    def state_jacobian(self, s, t):
        """The Jacobian of the state ``[c_t; h_t]`` with respect to ``[c_s; h_s]``.

        Parameters
        ----------
        s, t : int
            Steps with ``0 <= s <= t <= T``; step 0 is the initial state.

        Returns
        -------
        ndarray, shape (2H, 2H)
            :math:`J_t J_{t-1} \\cdots J_{s+1}` (the identity when ``s == t``);
            rows and columns ordered ``[c; h]``.

        Raises
        ------
        TypeError
            If ``s`` or ``t`` is not an integer.
        ValueError
            If they are outside ``[0, T]`` or ``s > t``.
        """
        s, t = _check_steps(s, t, self.h.shape[0] - 1)
        P = np.eye(2 * self.h.shape[1])
        for k in range(s + 1, t + 1):
            P = self.step_jacobian(k) @ P
        return P


@dataclass(frozen=True, eq=False)
class VectorGRUResult:
    """Loss, states and gradients of the vector GRU (returned by :func:`vector_gru_bptt`).

    Attributes
    ----------
    loss : float
        :math:`L = -\\sum_{t=1}^T \\log \\hat y_t[y_t]`.
    h : ndarray, shape (T+1, H)
        States; row 0 is the initial state, row ``t`` step ``t``.
    y_hat : ndarray, shape (T, K)
        Softmax probabilities; row ``t - 1`` is :math:`\\hat y_t`.
    gates : ndarray, shape (T, 4, H)
        ``gates[t - 1]`` holds the rows :math:`r_t, u_t, n_t, m_t` (reset,
        update, candidate, and :math:`m_t = W_n h_{t-1} + b_{hn}`).
    grad_U, grad_W, grad_V, grad_b_ih, grad_b_hh, grad_c : ndarray
        Gradients of :math:`L` with respect to ``U`` (3H, d), ``W`` (3H, H),
        ``V`` (K, H), ``b_ih`` (3H,), ``b_hh`` (3H,) and the output bias ``c`` (K,).
    grad_h : ndarray, shape (T+1, H)
        Row ``t`` is the total derivative :math:`\\nabla_{h_t} L` through all
        later steps; row 0 is :math:`\\nabla_{h_0} L`.
    W : ndarray, shape (3H, H)
        The recurrent weights (kept for :meth:`state_jacobian`).

    Every array is float64 and read-only.
    """

    loss: float
    h: np.ndarray
    y_hat: np.ndarray
    gates: np.ndarray
    grad_U: np.ndarray
    grad_W: np.ndarray
    grad_V: np.ndarray
    grad_b_ih: np.ndarray
    grad_b_hh: np.ndarray
    grad_c: np.ndarray
    grad_h: np.ndarray
    W: np.ndarray

    def __post_init__(self):
        _freeze_fields(self)  # values computed by vector_gru_bptt: frozen, not validated again

    def step_jacobian(self, t):
        """The Jacobian :math:`\\partial h_t/\\partial h_{t-1}` of one GRU step.

        Parameters
        ----------
        t : int
            A step, ``1 <= t <= T``.

        Returns
        -------
        ndarray, shape (H, H)
            The matrix of proposition ``lstm-prop-jacobians`` (GRU part) at step ``t``.

        Raises
        ------
        TypeError
            If ``t`` is not an integer.
        ValueError
            If ``t`` is outside ``[1, T]``.
        """
        T = self.h.shape[0] - 1
        t = _check_step(t, "t", T)
        if t == 0:
            raise ValueError("t must lie in [1, T]: step 0 is the initial state, "
                             "which has no step Jacobian")
        H = self.h.shape[1]
        r, u, n, m = self.gates[t - 1]
        h_prev = self.h[t - 1]
        W_r, W_u, W_n = self.W[:H], self.W[H:2 * H], self.W[2 * H:]
        return (np.diag(u) + ((h_prev - n) * u * (1 - u))[:, None] * W_u
                + ((1 - u) * (1 - n * n))[:, None]
                * (r[:, None] * W_n + (m * r * (1 - r))[:, None] * W_r))

    def state_jacobian(self, s, t):
        """The Jacobian :math:`\\partial h_t/\\partial h_s`, shape (H, H).

        Parameters
        ----------
        s, t : int
            Steps with ``0 <= s <= t <= T``; step 0 is the initial state.

        Returns
        -------
        ndarray, shape (H, H)
            The product of the step Jacobians of steps ``t, t-1, ..., s+1``
            (the identity when ``s == t``).

        Raises
        ------
        TypeError
            If ``s`` or ``t`` is not an integer.
        ValueError
            If they are outside ``[0, T]`` or ``s > t``.
        """
        s, t = _check_steps(s, t, self.h.shape[0] - 1)
        P = np.eye(self.h.shape[1])
        for k in range(s + 1, t + 1):
            P = self.step_jacobian(k) @ P
        return P


def _gated_arguments(X, targets, U, W, V, blocks, biases, c, states):
    """Validate the arguments of :func:`vector_lstm_bptt` / :func:`vector_gru_bptt`."""
    X = as_float_array(X, "X", ndim=2)
    T, d = X.shape
    U = as_float_array(U, "U", ndim=2)
    if U.shape[0] % blocks or U.shape[0] == 0:
        raise ValueError(f"U must have shape ({blocks}H, d): its number of rows, "
                         f"{U.shape[0]}, is not a positive multiple of {blocks}")
    H = U.shape[0] // blocks
    if U.shape[1] != d:
        raise ValueError(f"U must have shape ({blocks}H, d) = {(blocks * H, d)} "
                         f"(d = columns of X), got {U.shape}")
    W = as_float_array(W, "W", ndim=2)
    if W.shape != (blocks * H, H):
        raise ValueError(f"W must have shape ({blocks}H, H) = {(blocks * H, H)}, got {W.shape}")
    V = as_float_array(V, "V", ndim=2)
    K = V.shape[0]
    if V.shape != (K, H):
        raise ValueError(f"V must have shape (K, H) = (K, {H}), got {V.shape}")
    out = []
    for name, value in biases:
        value = as_float_array(value, name, ndim=1)
        if value.shape != (blocks * H,):
            raise ValueError(f"{name} must have shape ({blocks}H,) = {(blocks * H,)}, "
                             f"got {value.shape}")
        out.append(value)
    c = as_float_array(c, "c", ndim=1)
    if c.shape != (K,):
        raise ValueError(f"c must have shape (K,) = {(K,)} (K = rows of V), got {c.shape}")
    init = [np.zeros(H) if v is None else as_float_array(v, name, shape=(H,))
            for name, v in states]
    y = _as_targets(targets, T, K)
    return X, y, U, W, V, out, c, init


def _softmax_head(Hs, V, c, y):
    """Loss, probabilities and ``grad_o`` of the softmax outputs at every step."""
    logits = Hs @ V.T + c
    if not np.all(np.isfinite(logits)):
        raise OverflowError("the forward pass overflowed float64: a logit is not finite; "
                            "rescale V or c")
    T = logits.shape[0]
    logp = log_softmax(logits, axis=1)
    loss = float(-np.sum(logp[np.arange(T), y]))
    y_hat = np.exp(logp)
    grad_o = y_hat.copy()
    grad_o[np.arange(T), y] -= 1.0
    return loss, y_hat, grad_o


def vector_lstm_bptt(X, targets, U, W, V, b, c, h0=None, c0=None) -> VectorLSTMResult:
    """Loss and exact gradients of an LSTM layer with a softmax output at every step.

    PyTorch's ``torch.nn.LSTM`` (one layer) with a ``Linear`` head and the
    summed cross-entropy, for :math:`t = 1, \\dots, T`:

    .. math::

        a_t = U x_t + W h_{t-1} + b, \\quad
        (i_t, f_t, \\tilde c_t, o_t) = (\\sigma(a_{i,t}), \\sigma(a_{f,t}),
        \\tanh a_{g,t}, \\sigma(a_{o,t})),

    .. math::

        c_t &= f_t \\odot c_{t-1} + i_t \\odot \\tilde c_t, \\quad
        h_t = o_t \\odot \\tanh c_t, \\\\
        \\hat y_t &= \\operatorname{softmax}(V h_t + c), \\quad
        L = -\\sum_{t=1}^T \\log \\hat y_t[y_t],

    the four blocks of :math:`H` rows of ``U``, ``W`` and ``b`` in PyTorch's
    order ``(i, f, g, o)``: ``U`` is ``weight_ih_l0``, ``W`` is
    ``weight_hh_l0`` and ``b`` is ``bias_ih_l0 + bias_hh_l0``. (The names
    follow :func:`mlhwlib.vector_rnn.vector_rnn_bptt`: ``U`` input, ``W`` recurrent,
    ``c`` the output bias; the memory is the attribute ``c`` of the result.)

    Backward (derived in :ref:`lstm-sec-gated-bptt`), with
    :math:`\\bar h_t = \\nabla_{h_t} L` and :math:`\\bar c_t = \\nabla_{c_t} L`
    (zero beyond :math:`T`):

    .. math::

        \\bar h_t = V^\\top(\\hat y_t - e_{y_t}) + W^\\top \\bar a_{t+1}, \\quad
        \\bar c_t = \\bar h_t \\odot o_t \\odot (1 - \\tanh^2 c_t)
        + \\bar c_{t+1} \\odot f_{t+1},

    .. math::

        \\bar a_t = \\big(&\\bar c_t \\odot \\tilde c_t \\odot \\sigma'(a_{i,t}),\\;
        \\bar c_t \\odot c_{t-1} \\odot \\sigma'(a_{f,t}),\\\\
        &\\bar c_t \\odot i_t \\odot \\tanh'(a_{g,t}),\\;
        \\bar h_t \\odot \\tanh c_t \\odot \\sigma'(a_{o,t})\\big),

    and :math:`\\nabla_U L = \\sum_t \\bar a_t x_t^\\top`,
    :math:`\\nabla_W L = \\sum_t \\bar a_t h_{t-1}^\\top`,
    :math:`\\nabla_b L = \\sum_t \\bar a_t`.

    Parameters
    ----------
    X : array_like, shape (T, d)
        Inputs, one row per step, finite, ``T >= 1``.
    targets : array_like of int, shape (T,)
        Target classes :math:`y_t \\in \\{0, \\dots, K-1\\}`.
    U : array_like, shape (4H, d)
        Input weights, blocks ``(i, f, g, o)``.
    W : array_like, shape (4H, H)
        Recurrent weights, same blocks.
    V : array_like, shape (K, H)
        Output weights; ``K >= 1`` classes.
    b : array_like, shape (4H,)
        Gate biases, same blocks (PyTorch's ``bias_ih + bias_hh``).
    c : array_like, shape (K,)
        Output bias.
    h0, c0 : array_like, shape (H,), or None
        Initial output and memory; ``None`` means zeros.

    Returns
    -------
    VectorLSTMResult
        Loss, states, gradients (read-only) and
        :meth:`mlhwlib.lstm.VectorLSTMResult.state_jacobian`.

    Raises
    ------
    TypeError
        If an argument is not numeric (``targets``: not integer).
    ValueError
        If a shape does not match, an input is NaN/inf or empty, or a target
        lies outside ``[0, K)``.
    OverflowError
        If a pre-activation, a logit or a gradient exceeds the float64 range.

    Notes
    -----
    Gate slopes are computed as :math:`\\sigma(a)\\sigma(-a)` and
    :math:`\\operatorname{sech}^2` (:func:`mlhwlib.bptt.tanh_derivative`), which
    keep relative accuracy in saturation. Cost :math:`O(T H (H + d + K))` time
    and :math:`O(TH)` memory.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> H, d, K = 3, 2, 2
    >>> U, W = rng.normal(size=(4 * H, d)), rng.normal(size=(4 * H, H))
    >>> r = vector_lstm_bptt(rng.normal(size=(5, d)), [0, 1, 1, 0, 1], U, W,
    ...                      rng.normal(size=(K, H)), np.zeros(4 * H), np.zeros(K))
    >>> r.c.shape, r.grad_W.shape, r.state_jacobian(0, 5).shape
    ((6, 3), (12, 3), (6, 6))
    """
    X, y, U, W, V, (b,), c, (h_init, c_init) = _gated_arguments(
        X, targets, U, W, V, 4, [("b", b)], c, [("h0", h0), ("c0", c0)])
    T, H = X.shape[0], W.shape[1]
    try:
        with np.errstate(over="raise", invalid="raise"):
            h, mem = np.empty((T + 1, H)), np.empty((T + 1, H))
            a = np.empty((T, 4 * H))
            h[0], mem[0] = h_init, c_init
            drive = X @ U.T + b  # (T, 4H): the input part of every a_t
            for t in range(T):
                a[t] = drive[t] + W @ h[t]
                i, f = sigmoid(a[t, :H]), sigmoid(a[t, H:2 * H])
                g, o = np.tanh(a[t, 2 * H:3 * H]), sigmoid(a[t, 3 * H:])
                mem[t + 1] = f * mem[t] + i * g
                h[t + 1] = o * np.tanh(mem[t + 1])
    except FloatingPointError as exc:
        raise OverflowError("the forward pass overflowed float64: a pre-activation "
                            "exceeds 1e308; rescale X or the weights") from exc
    loss, y_hat, grad_o = _softmax_head(h[1:], V, c, y)
    A = a.reshape(T, 4, H)
    gates = np.stack([sigmoid(A[:, 0]), sigmoid(A[:, 1]), np.tanh(A[:, 2]),
                      sigmoid(A[:, 3])], axis=1)  # (T, 4, H)
    i, f, g, o = gates[:, 0], gates[:, 1], gates[:, 2], gates[:, 3]
    di, df, do = _sigmoid_slope(A[:, 0]), _sigmoid_slope(A[:, 1]), _sigmoid_slope(A[:, 3])
    dg = tanh_slope(A[:, 2])
    tc, dtc = np.tanh(mem[1:]), tanh_slope(mem[1:])
    try:
        with np.errstate(over="raise", invalid="raise"):
            grad_h, grad_mem = np.zeros((T + 1, H)), np.zeros((T + 1, H))
            grad_a = np.empty((T, 4 * H))
            carry_h = np.zeros(H)  # W^T grad_a_{t+1}
            carry_c = np.zeros(H)  # grad_c_{t+1} * f_{t+1}
            head = grad_o @ V  # (T, H): V^T grad_o_t
            for t in range(T, 0, -1):
                k = t - 1
                grad_h[t] = head[k] + carry_h
                grad_mem[t] = grad_h[t] * o[k] * dtc[k] + carry_c
                gc = grad_mem[t]
                grad_a[k, :H] = gc * g[k] * di[k]
                grad_a[k, H:2 * H] = gc * mem[t - 1] * df[k]
                grad_a[k, 2 * H:3 * H] = gc * i[k] * dg[k]
                grad_a[k, 3 * H:] = grad_h[t] * tc[k] * do[k]
                carry_h = W.T @ grad_a[k]
                carry_c = gc * f[k]
            grad_h[0], grad_mem[0] = carry_h, carry_c
            grads = dict(grad_U=grad_a.T @ X, grad_W=grad_a.T @ h[:-1],
                         grad_V=grad_o.T @ h[1:], grad_b=grad_a.sum(axis=0),
                         grad_c=grad_o.sum(axis=0))
    except FloatingPointError as exc:
        raise OverflowError("the backward pass overflowed float64 (exploding gradient); "
                            "use smaller weights or a shorter sequence") from exc
    return VectorLSTMResult(loss=loss, h=h, c=mem, y_hat=y_hat, gates=gates, grad_h=grad_h,
                            grad_memory=grad_mem, W=W, **grads)


def vector_gru_bptt(X, targets, U, W, V, b_ih, b_hh, c, h0=None) -> VectorGRUResult:
    """Loss and exact gradients of a GRU layer with a softmax output at every step.

    PyTorch's ``torch.nn.GRU`` (one layer) with a ``Linear`` head and the
    summed cross-entropy, for :math:`t = 1, \\dots, T`, blocks of :math:`H`
    rows in PyTorch's order ``(r, z, n)`` (``U`` = ``weight_ih_l0``, ``W`` =
    ``weight_hh_l0``, ``b_ih``, ``b_hh`` = ``bias_ih_l0``, ``bias_hh_l0``); the
    update gate PyTorch calls :math:`z_t` is written :math:`u_t` here:

    .. math::

        r_t = \\sigma(U_r x_t + b_{ir} + W_r h_{t-1} + b_{hr}), \\quad
        u_t = \\sigma(U_u x_t + b_{iu} + W_u h_{t-1} + b_{hu}),

    .. math::

        m_t &= W_n h_{t-1} + b_{hn}, \\quad
        n_t = \\tanh(U_n x_t + b_{in} + r_t \\odot m_t), \\\\
        h_t &= (1 - u_t) \\odot n_t + u_t \\odot h_{t-1},

    with :math:`\\hat y_t = \\operatorname{softmax}(V h_t + c)` and
    :math:`L = -\\sum_t \\log \\hat y_t[y_t]`.

    Backward (derived in :ref:`lstm-sec-gated-bptt`), with
    :math:`\\bar h_t = \\nabla_{h_t} L` (zero beyond :math:`T`) and the
    pre-activation adjoints

    .. math::

        \\bar a_{n,t} &= \\bar h_t \\odot (1 - u_t) \\odot \\tanh'(\\cdot), \\quad
        \\bar a_{u,t} = \\bar h_t \\odot (h_{t-1} - n_t) \\odot \\sigma'(\\cdot), \\\\
        \\bar a_{r,t} &= \\bar a_{n,t} \\odot m_t \\odot \\sigma'(\\cdot),

    the input side gets :math:`\\bar g_t = (\\bar a_{r,t}, \\bar a_{u,t}, \\bar a_{n,t})`,
    the recurrent side :math:`\\bar m_t = (\\bar a_{r,t}, \\bar a_{u,t},
    r_t \\odot \\bar a_{n,t})`, and

    .. math::

        \\bar h_{t-1} = V^\\top(\\hat y_{t-1} - e_{y_{t-1}}) + u_t \\odot \\bar h_t
        + W^\\top \\bar m_t .

    Parameters
    ----------
    X : array_like, shape (T, d)
        Inputs, one row per step, finite, ``T >= 1``.
    targets : array_like of int, shape (T,)
        Target classes :math:`y_t \\in \\{0, \\dots, K-1\\}`.
    U : array_like, shape (3H, d)
        Input weights, blocks ``(r, z, n)``.
    W : array_like, shape (3H, H)
        Recurrent weights, same blocks.
    V : array_like, shape (K, H)
        Output weights.
    b_ih, b_hh : array_like, shape (3H,)
        Input-side and recurrent-side biases (both needed: ``b_hh``'s ``n``
        block sits inside the reset product).
    c : array_like, shape (K,)
        Output bias.
    h0 : array_like, shape (H,), or None
        Initial state; ``None`` means zeros.

    Returns
    -------
    VectorGRUResult
        Loss, states, gradients (read-only) and
        :meth:`mlhwlib.lstm.VectorGRUResult.state_jacobian`.

    Raises
    ------
    TypeError
        If an argument is not numeric (``targets``: not integer).
    ValueError
        If a shape does not match, an input is NaN/inf or empty, or a target
        lies outside ``[0, K)``.
    OverflowError
        If a pre-activation, a logit or a gradient exceeds the float64 range.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> H, d, K = 3, 2, 2
    >>> U, W = rng.normal(size=(3 * H, d)), rng.normal(size=(3 * H, H))
    >>> r = vector_gru_bptt(rng.normal(size=(5, d)), [0, 1, 1, 0, 1], U, W,
    ...                     rng.normal(size=(K, H)), np.zeros(3 * H), np.zeros(3 * H),
    ...                     np.zeros(K))
    >>> r.h.shape, r.grad_b_hh.shape, r.state_jacobian(0, 5).shape
    ((6, 3), (9,), (3, 3))
    """
    X, y, U, W, V, (b_ih, b_hh), c, (h_init,) = _gated_arguments(
        X, targets, U, W, V, 3, [("b_ih", b_ih), ("b_hh", b_hh)], c, [("h0", h0)])
    T, H = X.shape[0], W.shape[1]
    try:
        with np.errstate(over="raise", invalid="raise"):
            h = np.empty((T + 1, H))
            h[0] = h_init
            gi = X @ U.T + b_ih  # (T, 3H)
            gh = np.empty((T, 3 * H))
            a_n = np.empty((T, H))
            for t in range(T):
                gh[t] = W @ h[t] + b_hh
                r = sigmoid(gi[t, :H] + gh[t, :H])
                u = sigmoid(gi[t, H:2 * H] + gh[t, H:2 * H])
                a_n[t] = gi[t, 2 * H:] + r * gh[t, 2 * H:]
                n = np.tanh(a_n[t])
                h[t + 1] = (1 - u) * n + u * h[t]
    except FloatingPointError as exc:
        raise OverflowError("the forward pass overflowed float64: a pre-activation "
                            "exceeds 1e308; rescale X or the weights") from exc
    loss, y_hat, grad_o = _softmax_head(h[1:], V, c, y)
    a_r, a_u = gi[:, :H] + gh[:, :H], gi[:, H:2 * H] + gh[:, H:2 * H]
    r, u, n, m = sigmoid(a_r), sigmoid(a_u), np.tanh(a_n), gh[:, 2 * H:]
    dr, du, dn = _sigmoid_slope(a_r), _sigmoid_slope(a_u), tanh_slope(a_n)
    try:
        with np.errstate(over="raise", invalid="raise"):
            grad_h = np.zeros((T + 1, H))
            grad_gi, grad_gh = np.empty((T, 3 * H)), np.empty((T, 3 * H))
            carry = np.zeros(H)  # u_{t+1} * grad_h_{t+1} + W^T grad_m_{t+1}
            head = grad_o @ V
            for t in range(T, 0, -1):
                k = t - 1
                grad_h[t] = head[k] + carry
                gn = grad_h[t] * (1 - u[k]) * dn[k]
                gu = grad_h[t] * (h[t - 1] - n[k]) * du[k]
                gr = gn * m[k] * dr[k]
                grad_gi[k] = np.concatenate([gr, gu, gn])
                grad_gh[k] = np.concatenate([gr, gu, r[k] * gn])
                carry = u[k] * grad_h[t] + W.T @ grad_gh[k]
            grad_h[0] = carry
            grads = dict(grad_U=grad_gi.T @ X, grad_W=grad_gh.T @ h[:-1],
                         grad_V=grad_o.T @ h[1:], grad_b_ih=grad_gi.sum(axis=0),
                         grad_b_hh=grad_gh.sum(axis=0), grad_c=grad_o.sum(axis=0))
    except FloatingPointError as exc:
        raise OverflowError("the backward pass overflowed float64 (exploding gradient); "
                            "use smaller weights or a shorter sequence") from exc
    gates = np.stack([r, u, n, m], axis=1)  # (T, 4, H)
    return VectorGRUResult(loss=loss, h=h, y_hat=y_hat, gates=gates, grad_h=grad_h,
                           W=W, **grads)
