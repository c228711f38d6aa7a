"""Shared numerics and input validation for every :mod:`mlhwlib` module.

Two rules hold across the library (see ``book/notation``):

* bad input is rejected at the public boundary with a :class:`ValueError` or
  :class:`TypeError` whose message names the argument and what was expected;
  nothing is silently broadcast and no NaN is passed on quietly;
* numerics stay finite at extremes: the sigmoid and its logarithm come from
  :mod:`scipy.special` (``expit``, ``log_expit``), sums of exponentials go
  through log-sum-exp.

One rule, one place: every validation rule that more than one module needs
lives here, once --

* a discrete distribution sums to 1 within :data:`SUM_TO_ONE_ATOL`
  (:func:`as_probability_vector`, :func:`as_probability_array`);
* a matrix is symmetric within :data:`SYMMETRY_RTOL` of its largest entry
  (:func:`check_symmetric`);
* sample weights are finite, non-negative, of length ``N``, with a positive
  sum (:func:`check_sample_weight`);
* class labels (AdaBoost's ``y`` and ``predictions``, the recurrent layers'
  ``targets``) are whole numbers in ``[0, K)``, checked by one private helper;
* :math:`\\log \\sum_k e^{a_k}` is computed by :func:`logsumexp`, and the
  normalised weights :math:`e^{a_k} / \\sum_j e^{a_j}` together with it by
  :func:`log_normalize`.
"""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np
from scipy.special import expit, log_expit
from scipy.special import logsumexp as _scipy_logsumexp

__all__ = [
    "SUM_TO_ONE_ATOL",
    "SYMMETRY_RTOL",
    "sigmoid",
    "log_sigmoid",
    "logsumexp",
    "log_normalize",
    "as_float_array",
    "as_finite_float",
    "as_int",
    "as_probability_vector",
    "as_probability_array",
    "check_symmetric",
    "check_sample_weight",
    "check_callable",
]

#: Tolerance on ``|sum - 1|`` for every distribution the user passes (weights,
#: ``p``, ``q``, rows of responsibilities): far above the round-off of a sum of
#: a few thousand float64 terms (``~1e-13``), far below any real mistake.
SUM_TO_ONE_ATOL = 1e-9

#: A matrix ``A`` counts as symmetric when ``max |A - A^T| <= SYMMETRY_RTOL * max |A|``.
SYMMETRY_RTOL = 1e-10


def sigmoid(z):
    """Logistic sigmoid :math:`\\sigma(z) = 1 / (1 + e^{-z})`, stable for any ``z``.

    Thin wrapper around :func:`scipy.special.expit`, which never overflows:
    ``sigmoid(-1e4)`` is ``0.0`` and ``sigmoid(1e4)`` is ``1.0`` without a
    warning.

    Parameters
    ----------
    z : float or ndarray
        Pre-activation(s), any shape.

    Returns
    -------
    float or ndarray
        Same shape as ``z``, values in ``[0, 1]``.

    Raises
    ------
    TypeError
        If ``z`` is not numeric.
    ValueError
        If ``z`` contains NaN (``±inf`` are fine: their limits are 0 and 1).
    """
    return expit(_as_activation_input(z, "z"))


def log_sigmoid(z):
    """:math:`\\log \\sigma(z)`, accurate for large ``|z|`` (:func:`scipy.special.log_expit`).

    ``log_sigmoid(-800)`` is ``-800`` (not ``-inf``) and ``log_sigmoid(40)`` is
    ``-4.2e-18`` (not ``0``).

    Raises :class:`TypeError` for non-numeric ``z`` and :class:`ValueError`
    for NaN, as :func:`sigmoid` does.
    """
    return log_expit(_as_activation_input(z, "z"))


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """:math:`\\log \\sum_k b_k e^{a_k}` without overflow (:func:`scipy.special.logsumexp`, checked).

    Same arguments and results as scipy's function, with the library's input
    rules: ``a`` must be numeric and non-empty and must not contain NaN
    (``-inf`` is a zero term, ``+inf`` an infinite one); ``b``, if given, must
    be finite and have exactly the shape of ``a`` (it is never broadcast).
    """
    a = as_float_array(a, "a", finite=False)
    if np.any(np.isnan(a)):
        raise ValueError("a must not contain NaN")
    if b is not None:
        b = as_float_array(b, "b", shape=a.shape)
    return _scipy_logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)


def log_normalize(a, axis=-1, *, out=None):
    r"""Normalise log-weights: :math:`p_k = e^{a_k} / \sum_j e^{a_j}` and :math:`\log \sum_j e^{a_j}`.

    One pass of the max-shift trick (:math:`e^{a_k - m}` with
    :math:`m = \max_j a_j`), so nothing overflows or underflows to a wrong
    zero: this is Bayes' rule / the E-step in log space. The log-normaliser
    equals :func:`logsumexp` ``(a, axis=axis)`` (to round-off).

    Parameters
    ----------
    a : array_like, any shape
        Log-weights. ``-inf`` is a zero weight; NaN and ``+inf`` are rejected,
        and so is a slice along ``axis`` that is entirely ``-inf`` (its
        weights cannot be normalised).
    axis : int, default -1
        The axis along which the weights are normalised.
    out : ndarray of float64, optional
        Array of ``a``'s shape to hold ``p`` (may be ``a`` itself, to
        normalise in place).

    Returns
    -------
    p : ndarray, same shape as ``a``
        Non-negative; each slice along ``axis`` sums to 1.
    log_norm : ndarray, ``a``'s shape without ``axis``
        :math:`\log \sum_j e^{a_j}` for every slice.

    Examples
    --------
    >>> p, log_norm = log_normalize([np.log(0.1), np.log(0.3)])
    >>> p.round(12).tolist(), abs(float(log_norm) - float(np.log(0.4))) < 1e-15
    ([0.25, 0.75], True)
    >>> log_normalize([-1000.0, -1000.0])[0].tolist()
    [0.5, 0.5]
    """
    a = as_float_array(a, "a", finite=False)      # no copy for a float64 array
    if np.any(np.isnan(a)):
        raise ValueError("a must not contain NaN")
    if np.any(a == np.inf):
        raise ValueError("a must not contain +inf (an infinite weight cannot be normalised)")
    top = np.max(a, axis=axis, keepdims=True)
    if np.any(top == -np.inf):
        raise ValueError(f"a must have a finite entry in every slice along axis {axis} "
                         "(all weights 0 cannot be normalised)")
    p = np.subtract(a, top, out=out)
    np.exp(p, out=p)
    total = np.sum(p, axis=axis, keepdims=True)
    p /= total
    log_norm = np.log(total)
    log_norm += top
    return p, np.squeeze(log_norm, axis=axis)


def _as_activation_input(z, name: str):
    """Numeric, NaN-free input of an elementwise activation; scalars stay scalars."""
    arr = as_float_array(z, name, finite=False, allow_empty=True)
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} must not contain NaN")
    return arr


def _type_name(value) -> str:
    return type(value).__name__


def as_float_array(value, name: str, *, ndim=None, shape=None, finite: bool = True,
                   allow_empty: bool = False) -> np.ndarray:
    """Convert ``value`` to a float64 array and check it.

    Parameters
    ----------
    value : array_like
        The user's input.
    name : str
        The argument's name, used in every error message.
    ndim : int or tuple of int, optional
        Required number of dimensions.
    shape : tuple, optional
        Required shape; ``None`` entries match any length.
    finite : bool, default True
        Reject NaN and infinities.
    allow_empty : bool, default False
        Accept arrays with zero elements.

    Returns
    -------
    ndarray of float64

    Raises
    ------
    TypeError
        If ``value`` is not numeric (strings, object arrays, booleans, None).
    ValueError
        If the dimensions, shape, emptiness or finiteness are wrong.
    """
    if value is None:
        raise TypeError(f"{name} must be a numeric array, got None")
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a numeric array, got a string")
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} must be a numeric (integer or float) array, got dtype {arr.dtype}"
        )
    arr = arr.astype(np.float64, copy=False)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}, got an array of shape {arr.shape}")
    if shape is not None:
        if arr.ndim != len(shape) or any(
            s is not None and s != a for s, a in zip(shape, arr.shape)
        ):
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    return arr


def as_finite_float(value, name: str) -> float:
    """Check that ``value`` is a real, finite scalar and return it as ``float``.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (strings, arrays, complex, None, bool).
    ValueError
        If ``value`` is NaN or infinite.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
            value = value.item()
        else:
            raise TypeError(f"{name} must be a real number, got {_type_name(value)}")
    out = float(value)
    if not np.isfinite(out):
        raise ValueError(f"{name} must be finite, got {out}")
    return out


def as_int(value, name: str, *, minimum=None) -> int:
    """Check that ``value`` is an integer (not bool) and at least ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_type_name(value)}")
    out = int(value)
    if minimum is not None and out < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {out}")
    return out


def as_probability_vector(value, name: str, *, atol: float = SUM_TO_ONE_ATOL,
                          shape=None) -> np.ndarray:
    """Check a discrete distribution: 1-D, finite, non-negative, summing to 1.

    Parameters
    ----------
    value : array_like, shape (K,)
    name : str
        Argument name for error messages.
    atol : float, default :data:`SUM_TO_ONE_ATOL`
        Tolerance on ``|sum - 1|``.
    shape : tuple, optional
        Required shape.

    Returns
    -------
    ndarray of float64, shape (K,)
    """
    return as_probability_array(value, name, ndim=1, shape=shape, atol=atol)


def as_probability_array(value, name: str, *, ndim=1, shape=None,
                         atol: float = SUM_TO_ONE_ATOL) -> np.ndarray:
    """Check one distribution per slice along the last axis (e.g. the rows of ``q``).

    Parameters
    ----------
    value : array_like, shape (K,) or (N, K)
        Finite, non-negative; every slice ``value[..., :]`` sums to 1.
    name : str
        Argument name for error messages.
    ndim : int or tuple of int, default 1
        Allowed numbers of dimensions, e.g. ``(1, 2)``.
    shape : tuple, optional
        Required shape; ``None`` entries match any length.
    atol : float, default :data:`SUM_TO_ONE_ATOL`
        Tolerance on ``|sum - 1|`` of every slice.

    Returns
    -------
    ndarray of float64, same shape as ``value``

    Raises
    ------
    TypeError
        If ``value`` is not numeric.
    ValueError
        If the shape is wrong, an entry is negative or not finite, or a slice
        does not sum to 1 within ``atol`` (the message gives the worst sum).

    Examples
    --------
    >>> as_probability_array([[0.5, 0.5], [0.25, 0.75]], "q", ndim=2).shape
    (2, 2)
    """
    p = as_float_array(value, name, ndim=ndim, shape=shape)
    if np.any(p < 0):
        raise ValueError(f"{name} must be non-negative, got minimum {float(p.min())!r}")
    if p.ndim == 1:
        total = float(p.sum())
        if abs(total - 1.0) > atol:
            raise ValueError(f"{name} must sum to 1 (tolerance {atol:g}), got sum {total!r}")
    else:
        worst = float(np.max(np.abs(p.sum(axis=-1) - 1.0)))
        if worst > atol:
            raise ValueError(f"each row of {name} must sum to 1 (tolerance {atol:g}), "
                             f"worst |row sum - 1| = {worst!r}")
    return p


def check_symmetric(value, name: str, *, rtol: float = SYMMETRY_RTOL, when: str = ""):
    """Check that a matrix, or each matrix of a stack, is symmetric.

    A matrix ``A`` passes when ``max |A - A^T| <= rtol * max |A|`` (each matrix
    of a stack against its own largest entry; a zero matrix passes).

    Parameters
    ----------
    value : array_like, shape (d, d) or (K, d, d)
        Finite numbers.
    name : str
        Argument name for error messages.
    rtol : float, default :data:`SYMMETRY_RTOL`
        Relative tolerance.
    when : str, optional
        Condition quoted in the message, e.g. ``"when symmetric=True"``.

    Returns
    -------
    ndarray of float64, same shape as ``value``

    Raises
    ------
    ValueError
        If ``value`` is not 2-D or 3-D, not square in its last two axes, not
        finite, or not symmetric (the message names the first offending matrix
        ``name[k]`` of a stack and its ``max |A - A^T|``).

    Examples
    --------
    >>> check_symmetric([[2.0, 1.0], [1.0, 3.0]], "S").tolist()
    [[2.0, 1.0], [1.0, 3.0]]
    """
    a = as_float_array(value, name, ndim=(2, 3))
    if a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{name} must be square in its last two axes, got shape {a.shape}")
    stack = a.reshape((-1,) + a.shape[-2:])
    asym = np.abs(stack - np.swapaxes(stack, 1, 2)).max(axis=(1, 2))
    scale = np.maximum(np.abs(stack).max(axis=(1, 2)), np.finfo(float).tiny)
    bad = np.flatnonzero(asym > rtol * scale)
    if bad.size:
        k = int(bad[0])
        which = f"{name}[{k}]" if a.ndim == 3 else name
        cond = f" {when}" if when else ""
        raise ValueError(f"{which} must be symmetric{cond}, got max |A - A^T| = {asym[k]:.3g} "
                         f"(tolerance {rtol:g} times its largest entry)")
    return a


def check_sample_weight(sample_weight, n_samples: int, name: str = "sample_weight"):
    """Check per-sample weights: shape ``(n_samples,)``, finite, non-negative, positive sum.

    Parameters
    ----------
    sample_weight : array_like, shape (N,), or None
        ``None`` means equal weights.
    n_samples : int
        ``N``, the number of samples the weights belong to.
    name : str, default "sample_weight"
        Argument name for error messages.

    Returns
    -------
    ndarray of float64, shape (N,)
        A new array (the caller may normalise it in place); ones for ``None``.

    Raises
    ------
    TypeError
        If the weights are not numeric.
    ValueError
        If their shape is not ``(N,)``, an entry is negative or not finite, or
        they sum to 0.

    Examples
    --------
    >>> check_sample_weight(None, 3).tolist()
    [1.0, 1.0, 1.0]
    >>> check_sample_weight([1, 0, 3], 3).tolist()
    [1.0, 0.0, 3.0]
    """
    n_samples = as_int(n_samples, "n_samples", minimum=1)
    if sample_weight is None:
        return np.ones(n_samples)
    w = as_float_array(sample_weight, name, shape=(n_samples,)).copy()
    if np.any(w < 0):
        raise ValueError(f"{name} must be non-negative, got minimum {float(w.min())!r}")
    if not w.sum() > 0:
        raise ValueError(f"{name} must have a positive sum (all weights are 0)")
    return w


def check_callable(value, name: str):
    """Return ``value`` if it is callable or ``None``; raise :class:`TypeError` otherwise."""
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable or None, got {_type_name(value)}")
    return value


def _readonly(value, dtype=np.float64) -> np.ndarray:
    """A read-only copy of an array the library itself computed.

    The result dataclasses (:class:`~mlhwlib.lstm.LSTMTrace`,
    :class:`~mlhwlib.bptt.BPTTResult`, ...) use it to freeze their arrays; they
    do not re-validate values that the library's own code produced.
    """
    arr = np.array(value, dtype=dtype)
    arr.setflags(write=False)
    return arr



def _freeze_fields(result) -> None:
    """Freeze the fields of a frozen result dataclass, the one rule for all of them.

    Called from ``__post_init__`` of the result types (:class:`~mlhwlib.bptt.BPTTResult`,
    :class:`~mlhwlib.vector_rnn.VectorBPTTResult`, :class:`~mlhwlib.rtrl.RTRLResult`,
    :class:`~mlhwlib.lstm.VectorLSTMResult`, ...): a field annotated ``float``
    becomes a Python float, a field annotated ``np.ndarray`` a read-only float64
    copy (:func:`_readonly`). The values come from the library's own code and are
    not validated again.
    """
    for f in dataclasses.fields(result):
        kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
        value = getattr(result, f.name)
        if kind == "float":
            value = float(value)
        elif kind in ("np.ndarray", "ndarray"):
            value = _readonly(value)
        else:
            raise TypeError(f"{type(result).__name__}.{f.name}: a result field is float or "
                            f"np.ndarray, got {f.type!r}")
        object.__setattr__(result, f.name, value)


def _sech2(a: np.ndarray) -> np.ndarray:
    """:math:`\\operatorname{sech}^2 a = 4e^{-2|a|}/(1 + e^{-2|a|})^2`, unchecked (``a`` float).

    The one home of the slope of tanh: :func:`mlhwlib.bptt.tanh_derivative` checks
    its argument and calls it, the recurrent layers call it on their own
    pre-activations. It never overflows and keeps full relative precision in
    saturation, where ``1 - tanh(a)**2`` rounds to ``0`` once ``|a| > 19``.
    """
    # |a| is capped at 1000 only to keep 2|a| finite; exp(-2000) is 0 anyway.
    e = np.exp(-2.0 * np.minimum(np.abs(a), 1000.0))
    return 4.0 * e / (1.0 + e) ** 2


def _as_class_labels(value, name: str, n_classes: int, *, shape=None, symbol: str = "",
                     meaning: str = "") -> np.ndarray:
    """Class indices in ``[0, n_classes)`` as an ``intp`` array, the one label rule.

    Integer arrays pass; a float array passes when every entry is a finite whole
    number (``[0.0, 1.0]``). Used by the boosting functions (labels ``y``,
    ``predictions``) and the recurrent layers (``targets``); ``symbol`` and
    ``meaning`` name the bound in the range message, e.g. ``"K"`` and
    ``"rows of V"``: "targets must hold labels in [0, K) = [0, 3) (K = rows of V)".

    Raises
    ------
    TypeError
        Not an array of numbers (strings, objects, ``None``).
    ValueError
        Floats that are not whole numbers, a shape other than ``shape``, no
        entries, or a label outside ``[0, n_classes)``.
    """
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must hold integer class labels, got {type(value).__name__}")
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind != "f":
            raise TypeError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
        if not (np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))):
            raise ValueError(f"{name} must hold integer class labels (whole numbers), got "
                             "non-integer or non-finite floats")
        arr = arr.astype(np.int64)
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if arr.min() < 0 or arr.max() >= n_classes:
        bound = f"[0, {n_classes})"
        if symbol:
            bound = f"[0, {symbol}) = {bound} ({symbol} = {meaning})"
        raise ValueError(f"{name} must hold labels in {bound}, got values from "
                         f"{int(arr.min())} to {int(arr.max())}")
    return arr.astype(np.intp, copy=False)
