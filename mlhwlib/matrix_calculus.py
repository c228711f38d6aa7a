"""Three matrix-derivative identities used by the Gaussian-mixture M-step, and a checker.

Derived in the appendix :ref:`matrix_calculus` (sections :ref:`mc-trace`,
:ref:`mc-logdet`, :ref:`mc-quadinv`, :ref:`mc-symmetric` and
:ref:`mc-chain-precision`), used for the covariance update in :ref:`gmm-mstep`.

Convention: the gradient :math:`\\partial f / \\partial X` of a scalar ``f`` of
an ``(m, n)`` matrix ``X`` is the ``(m, n)`` matrix with entries
:math:`\\partial f / \\partial X_{ij}` (the "denominator layout" of
Petersen & Pedersen's *Matrix Cookbook*).

With ``symmetric=True`` the matrix ``X`` is symmetric and ``X_ij`` and ``X_ji``
are one variable: the derivative with respect to it is
:math:`G_{ij} + G_{ji}` off the diagonal and :math:`G_{ii}` on it, i.e. the
matrix :math:`G + G^\\top - \\operatorname{diag}(G)` where ``G`` is the
unconstrained gradient.  These are the partial derivatives in the coordinates
:math:`\\operatorname{vech}(X)`; the gradient on the space of symmetric matrices
(Frobenius inner product) is :math:`\\operatorname{sym}(G) = (G + G^\\top)/2`
instead.  The two point in different directions but always vanish together,
and when ``G`` is symmetric exactly where ``G`` does (:ref:`mc-symmetric`).
"""

from __future__ import annotations

import numpy as np

from .numerics import as_finite_float, as_float_array, check_callable, check_symmetric

__all__ = [
    "logdet_gradient",
    "trace_product_gradient",
    "quadratic_inverse_gradient",
    "numerical_gradient",
    "tied_entry_gradient",
    "symmetrize_gradient",
    "covariance_gradient_from_precision",
]


def tied_entry_gradient(G):
    """Free-entry partials of a symmetric argument from the unconstrained gradient: :math:`G + G^\top - \\operatorname{diag}(G)`.

    These are the partial derivatives in the coordinates :math:`\\operatorname{vech}(X)`
    (the "tied-entry" convention, :ref:`mc-symmetric`), not the gradient
    :math:`\\operatorname{sym}(G) = \tfrac12(G + G^\top)` on symmetric matrices; the two
    vanish together.

    Parameters
    ----------
    G : array_like, shape (d, d)

    Returns
    -------
    ndarray, shape (d, d)
    """
    G = as_float_array(G, "G", ndim=2)
    if G.shape[0] != G.shape[1]:
        raise ValueError(f"G must be square, got shape {G.shape}")
    return G + G.T - np.diag(np.diag(G))


def symmetrize_gradient(G):
    r"""Former name of :func:`tied_entry_gradient` (same result), kept for existing code.

    It does *not* return :math:`\operatorname{sym}(G)`; new code should call
    :func:`tied_entry_gradient`.

    Parameters
    ----------
    G : array_like, shape (d, d)

    Returns
    -------
    ndarray, shape (d, d)
    """
    return tied_entry_gradient(G)


def _square(X, name="X"):
    X = as_float_array(X, name, ndim=2)
    if X.shape[0] != X.shape[1]:
        raise ValueError(f"{name} must be square, got shape {X.shape}")
    return X


def _check_flag(value, name="symmetric"):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return bool(value)


def _check_symmetric(X, name="X"):
    check_symmetric(X, name, when="when symmetric=True")


def _inverse_transpose(X):
    """``X^{-T}`` by an LU solve (raises ValueError if ``X`` is singular)."""
    try:
        cond = np.linalg.cond(X)
        if not np.isfinite(cond) or cond > 1e14:
            raise np.linalg.LinAlgError
        return np.linalg.solve(X.T, np.eye(X.shape[0]))
    except np.linalg.LinAlgError:
        raise ValueError("X must be invertible (it is singular or numerically singular)") from None


def logdet_gradient(X, symmetric=False):
    """Gradient of :math:`\\ln\\lvert\\det X\\rvert`: :math:`X^{-\\top}`.

    For symmetric ``X`` with ``symmetric=True``: :math:`2X^{-1} - \\operatorname{diag}(X^{-1})`.

    Derived in :ref:`mc-logdet` (symmetric case: :ref:`mc-symmetric`).

    Parameters
    ----------
    X : array_like, shape (d, d)
        Invertible (any sign of the determinant).
    symmetric : bool, default False

    Returns
    -------
    ndarray, shape (d, d)
    """
    X = _square(X)
    symmetric = _check_flag(symmetric)
    if symmetric:
        _check_symmetric(X)
    G = _inverse_transpose(X)
    return tied_entry_gradient(G) if symmetric else G


def trace_product_gradient(X, B, symmetric=False):
    """Gradient of :math:`\\operatorname{tr}(XB)` with respect to ``X``: :math:`B^\\top`.

    For symmetric ``X`` with ``symmetric=True``: :math:`B + B^\\top - \\operatorname{diag}(B)`.

    Derived in :ref:`mc-trace` (symmetric case: :ref:`mc-symmetric`).

    Parameters
    ----------
    X : array_like, shape (m, n)
        Only its shape matters (the function is linear in ``X``).
    B : array_like, shape (n, m)
    symmetric : bool, default False

    Returns
    -------
    ndarray, shape (m, n)
    """
    X = as_float_array(X, "X", ndim=2)
    B = as_float_array(B, "B", ndim=2)
    if B.shape != X.shape[::-1]:
        raise ValueError(f"B must have shape {X.shape[::-1]} (the transpose of X's), got {B.shape}")
    if _check_flag(symmetric):
        X = _square(X)
        _check_symmetric(X)
        return tied_entry_gradient(B.T)
    return B.T.copy()


def quadratic_inverse_gradient(X, a, symmetric=False):
    """Gradient of :math:`a^\\top X^{-1} a`: :math:`-X^{-\\top} a a^\\top X^{-\\top}`.

    For symmetric ``X`` with ``symmetric=True``: :math:`G + G^\\top - \\operatorname{diag}(G)`
    with ``G`` the unconstrained gradient.

    Derived in :ref:`mc-quadinv` (symmetric case: :ref:`mc-symmetric`).

    Parameters
    ----------
    X : array_like, shape (d, d)
        Invertible.
    a : array_like, shape (d,)
    symmetric : bool, default False

    Returns
    -------
    ndarray, shape (d, d)
    """
    X = _square(X)
    a = as_float_array(a, "a", ndim=1, shape=(X.shape[0],))
    symmetric = _check_flag(symmetric)
    if symmetric:
        _check_symmetric(X)
    XinvT = _inverse_transpose(X)
    # -X^{-T} a a^T X^{-T} = -(X^{-T} a)(X^{-1} a)^T
    G = -np.outer(XinvT @ a, XinvT.T @ a)
    return tied_entry_gradient(G) if symmetric else G


def numerical_gradient(f, X, symmetric=False, step=1e-6):
    """Central-difference gradient of a scalar function of a matrix.

    Each entry is :math:`(f(X + hE) - f(X - hE)) / (2h)`, where ``E`` is the unit
    matrix of entry ``(i, j)``; with ``symmetric=True`` ``E`` has ones at
    ``(i, j)`` *and* ``(j, i)`` (one variable for the pair), and the result is
    symmetric.  The truncation error is ``O(h^2)``.

    Parameters
    ----------
    f : callable
        ``f(X) -> float``.
    X : array_like, shape (m, n)
    symmetric : bool, default False
    step : float, default 1e-6
        The step ``h`` (> 0).

    Returns
    -------
    ndarray, shape (m, n)
    """
    if f is None:
        raise TypeError("f must be callable, got None")
    check_callable(f, "f")
    X = as_float_array(X, "X", ndim=2)
    h = as_finite_float(step, "step")
    if h <= 0:
        raise ValueError(f"step must be > 0, got {h!r}")
    symmetric = _check_flag(symmetric)
    if symmetric:
        X = _square(X)
        _check_symmetric(X)

    def value(Z):
        out = f(Z)
        try:
            out = float(out)
        except (TypeError, ValueError):
            raise TypeError(f"f must return a real scalar, got {type(out).__name__}") from None
        if not np.isfinite(out):
            raise ValueError("f returned a non-finite value near X; use a smaller step")
        return out

    m, n = X.shape
    G = np.empty((m, n))
    for i in range(m):
        for j in range(n):
            if symmetric and j < i:
                G[i, j] = G[j, i]
                continue
            E = np.zeros((m, n))
            E[i, j] = 1.0
            if symmetric:
                E[j, i] = 1.0
            G[i, j] = (value(X + h * E) - value(X - h * E)) / (2.0 * h)
    return G


def covariance_gradient_from_precision(Sigma, G_precision):
    """Chain rule from the precision to the covariance: :math:`-\\Sigma^{-\\top} H \\Sigma^{-\\top}`.

    If :math:`f(\\Sigma) = g(\\Sigma^{-1})` and ``G_precision`` is
    :math:`H = \\partial g/\\partial\\Lambda` at :math:`\\Lambda = \\Sigma^{-1}`, the
    result is :math:`\\partial f/\\partial\\Sigma`.  Derived in :ref:`mc-chain-precision`.

    Parameters
    ----------
    Sigma : array_like, shape (d, d)
        Invertible.
    G_precision : array_like, shape (d, d)

    Returns
    -------
    ndarray, shape (d, d)
    """
    Sigma = _square(Sigma, "Sigma")
    H = as_float_array(G_precision, "G_precision", ndim=2, shape=Sigma.shape)
    try:
        SinvT = _inverse_transpose(Sigma)
    except ValueError:
        raise ValueError("Sigma must be invertible (it is singular or numerically "
                         "singular)") from None
    return -SinvT @ H @ SinvT
