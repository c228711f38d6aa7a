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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .numerics import _readonly, as_finite_float, as_float_array, check_callable, sigmoid

__all__ = ["LSTMTrace", "lstm_trace", "lstm_cell", "lstm_state_jacobian"]


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
        for name in ("z", "z_i", "z_f", "z_o", "i", "f", "o", "g_z", "c", "h_c", "y"):
            object.__setattr__(self, name, _readonly(getattr(self, name)))
        object.__setattr__(self, "c0", float(self.c0))

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
