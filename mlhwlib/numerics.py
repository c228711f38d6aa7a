"""Shared numerics and input validation for every :mod:`mlhwlib` module.

Two rules hold across the library (see ``book/notation``):

* bad input is rejected at the public boundary with a :class:`ValueError` or
  :class:`TypeError` whose message names the argument and what was expected;
  nothing is silently broadcast and no NaN is passed on quietly;
* numerics stay finite at extremes: the sigmoid and its logarithm come from
  :mod:`scipy.special` (``expit``, ``log_expit``), sums of exponentials go
  through log-sum-exp.
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy.special import expit, log_expit
from scipy.special import logsumexp as _scipy_logsumexp

__all__ = [
    "sigmoid",
    "log_sigmoid",
    "logsumexp",
    "as_float_array",
    "as_finite_float",
    "as_int",
    "as_probability_vector",
    "check_callable",
]


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


def as_probability_vector(value, name: str, *, atol: float = 1e-9, shape=None) -> np.ndarray:
    """Check a discrete distribution: 1-D, finite, non-negative, summing to 1.

    Parameters
    ----------
    value : array_like, shape (K,)
    name : str
        Argument name for error messages.
    atol : float
        Tolerance on ``|sum - 1|``.
    shape : tuple, optional
        Required shape.
    """
    p = as_float_array(value, name, ndim=1, shape=shape)
    if np.any(p < 0):
        raise ValueError(f"{name} must be non-negative, got minimum {p.min()!r}")
    total = float(p.sum())
    if abs(total - 1.0) > atol:
        raise ValueError(f"{name} must sum to 1 (tolerance {atol:g}), got sum {total!r}")
    return p


def check_callable(value, name: str):
    """Return ``value`` if it is callable or ``None``; raise :class:`TypeError` otherwise."""
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable or None, got {_type_name(value)}")
    return value
