"""MAP-EM for Gaussian mixtures with an inverse-Wishart prior on every covariance.

Derived in :ref:`gmm-map-em`.  The prior is
:math:`\\Sigma_k \\sim \\mathcal{W}^{-1}(\\Psi, \\nu)` independently for every
``k``, with density

.. math::
    p(\\Sigma) = \\frac{|\\Psi|^{\\nu/2}}{2^{\\nu d/2}\\Gamma_d(\\nu/2)}
    |\\Sigma|^{-(\\nu + d + 1)/2} \\exp\\!\\big(-\\tfrac12\\operatorname{tr}(\\Psi\\Sigma^{-1})\\big),
    \\qquad \\Psi \\succ 0,\\ \\nu > d - 1,

and flat priors on the weights and means.  The M-step maximises
:math:`Q + \\sum_k \\log p(\\Sigma_k)`, which gives

.. math::
    \\Sigma_k = \\frac{S_k + \\Psi}{N_k + \\nu + d + 1},
    \\qquad S_k = \\sum_i \\gamma_{ik}(x_i - \\mu_k)(x_i - \\mu_k)^\\top,

with the usual :math:`\\pi_k = N_k/N` and :math:`\\mu_k`.  Each step never
decreases :func:`log_posterior`, and every covariance satisfies
:math:`\\Sigma_k \\succeq \\Psi / (N + \\nu + d + 1)`: no component can collapse.
"""

from __future__ import annotations

import numpy as np
from scipy.special import multigammaln

from ._gmm_core import (
    _check_symmetric,
    _cholesky_all,
    _e_step_pass,
    _em_iteration,
    _one_blas_thread,
    _prepare,
)
from .numerics import as_finite_float, as_float_array

__all__ = ["map_em_step", "log_posterior", "inverse_wishart_logpdf"]


def _check_prior(psi, nu, d):
    """``(psi, nu, P)``: the checked prior and the Cholesky factor ``P`` of ``psi``."""
    psi = as_float_array(psi, "psi", ndim=2, shape=(d, d))
    _check_symmetric(psi[None], "psi")
    P = _cholesky_all(psi, "psi", advice=" (the inverse-Wishart scale matrix)")
    nu = as_finite_float(nu, "nu")
    if nu <= d - 1:
        raise ValueError(f"nu must be > d - 1 = {d - 1} for a proper inverse-Wishart prior, "
                         f"got {nu!r}")
    return psi, nu, P


def inverse_wishart_logpdf(covariances, psi, nu):
    """Log density of :math:`\\mathcal{W}^{-1}(\\Psi, \\nu)` at each covariance.

    Derived in :ref:`gmm-map-em`.

    Parameters
    ----------
    covariances : array_like, shape (K, d, d)
        Symmetric positive definite.
    psi : array_like, shape (d, d)
        Scale matrix, symmetric positive definite.
    nu : float
        Degrees of freedom, ``nu > d - 1``.

    Returns
    -------
    ndarray, shape (K,)
    """
    C = as_float_array(covariances, "covariances", ndim=3)
    K, d, d2 = C.shape
    if d != d2:
        raise ValueError(f"covariances must have shape (K, d, d), got {C.shape}")
    psi, nu, P = _check_prior(psi, nu, d)
    _check_symmetric(C, "covariances")
    L = _cholesky_all(C, "covariances", advice="")
    logdet = 2.0 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
    # tr(Psi Sigma^{-1}) = ||L^{-1} Psi^{1/2}||_F^2, via a solve with the factor
    Z = np.linalg.solve(L, np.broadcast_to(P, (K, d, d)))
    trace = (Z ** 2).sum(axis=(1, 2))
    const = (0.5 * nu * 2.0 * np.log(np.diagonal(P)).sum() - 0.5 * nu * d * np.log(2.0)
             - multigammaln(0.5 * nu, d))
    return const - 0.5 * (nu + d + 1) * logdet - 0.5 * trace


def log_posterior(X, weights, means, covariances, psi, nu):
    """Log-posterior :math:`\\ell(\\theta) + \\sum_k \\log p(\\Sigma_k)`, up to the flat priors' constant.

    Derived in :ref:`gmm-map-em`; :func:`map_em_step` never decreases it.

    Parameters
    ----------
    X : array_like, shape (N, d)
    weights : array_like, shape (K,)
    means : array_like, shape (K, d)
    covariances : array_like, shape (K, d, d)
    psi : array_like, shape (d, d)
        Inverse-Wishart scale, symmetric positive definite.
    nu : float
        Degrees of freedom, ``nu > d - 1``.

    Returns
    -------
    float
    """
    with _one_blas_thread():
        X, weights, means, covariances, W = _prepare(X, weights, means, covariances)
        psi, nu, _ = _check_prior(psi, nu, X.shape[1])
        log_px, _ = _e_step_pass(X, weights, means, W, want_resp=False)
    return float(log_px.sum()) + float(inverse_wishart_logpdf(covariances, psi, nu).sum())


def map_em_step(X, weights, means, covariances, psi, nu):
    """One MAP-EM step: E-step, then :math:`\\Sigma_k = (S_k + \\Psi)/(N_k + \\nu + d + 1)`.

    Derived in :ref:`gmm-map-em`.  Weights and means are the ordinary M-step
    (flat priors); ``N_k`` carries scikit-learn's ``10 eps``.

    Parameters
    ----------
    X : array_like, shape (N, d)
    weights : array_like, shape (K,)
    means : array_like, shape (K, d)
    covariances : array_like, shape (K, d, d)
    psi : array_like, shape (d, d)
        Inverse-Wishart scale, symmetric positive definite.
    nu : float
        Degrees of freedom, ``nu > d - 1``.

    Returns
    -------
    weights : ndarray, shape (K,)
    means : ndarray, shape (K, d)
    covariances : ndarray, shape (K, d, d)
    """
    with _one_blas_thread():
        X, weights, means, _, W = _prepare(X, weights, means, covariances)
        d = X.shape[1]
        psi, nu, _ = _check_prior(psi, nu, d)
        w, m, c, _, nk = _em_iteration(X, weights, means, W, 0.0, X.mean(axis=0))
    cov = (nk[:, None, None] * c + psi) / (nk + nu + d + 1)[:, None, None]
    return w, m, cov
