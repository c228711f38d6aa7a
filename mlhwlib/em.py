"""KL divergence, the evidence lower bound (ELBO) and the pieces of EM.

Every function here is derived in the chapter :ref:`em_elbo_kl`
(*KL divergence, maximum likelihood, the ELBO and why EM works*):

* :func:`kl_divergence` and :func:`gaussian_kl` -- section :ref:`em-kl`;
* :func:`posterior`, :func:`log_evidence` and :func:`elbo` -- section
  :ref:`em-elbo`, where ``log p(x) = ELBO(q) + KL(q || p(z | x))``;
* :func:`normal_mixture_log_joint` -- the one-dimensional two-component mixture
  used for the chapter's figures, its EM run (section
  :ref:`em-coordinate-ascent`) and its convergence and free-energy sections.
  The general mixture code lives in :mod:`mlhwlib.gmm`.

Conventions: natural logarithms; ``0 * log 0 = 0``; a discrete distribution is
a 1-D array of non-negative numbers summing to 1 (tolerance ``1e-9``), checked
with :func:`mlhwlib.numerics.as_probability_vector`.
"""

from __future__ import annotations

import numpy as np
from scipy.special import rel_entr, xlogy

from .numerics import (
    as_finite_float,
    as_float_array,
    as_probability_array,
    as_probability_vector,
    log_normalize,
    logsumexp,
)

__all__ = [
    "kl_divergence",
    "gaussian_kl",
    "log_evidence",
    "posterior",
    "elbo",
    "normal_mixture_log_joint",
]

_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)


def kl_divergence(p, q) -> float:
    r"""Kullback--Leibler divergence :math:`\mathrm{KL}(p\,\|\,q) = \sum_k p_k \log(p_k / q_k)`.

    Derived in :ref:`em-kl`.

    Parameters
    ----------
    p, q : array_like, shape (K,)
        Discrete distributions on the same K outcomes: non-negative, finite,
        each summing to 1 within ``1e-9``.

    Returns
    -------
    float
        The divergence in nats (natural logarithm), ``>= 0``. Terms with
        ``p_k = 0`` contribute 0 (the convention ``0 log 0 = 0``); the result
        is ``inf`` when some ``q_k = 0`` while ``p_k > 0``.

    Raises
    ------
    TypeError
        If ``p`` or ``q`` is not numeric.
    ValueError
        If ``p`` or ``q`` is not 1-D, is empty, contains NaN/inf or negative
        entries, does not sum to 1 within ``1e-9``, or if their shapes differ.

    Notes
    -----
    KL is not symmetric: in general ``kl_divergence(p, q) != kl_divergence(q, p)``.

    Examples
    --------
    >>> kl_divergence([0.5, 0.5], [0.9, 0.1]) > kl_divergence([0.9, 0.1], [0.5, 0.5])
    True
    >>> kl_divergence([1.0, 0.0], [0.5, 0.5]) == float(np.log(2.0))
    True
    >>> kl_divergence([0.5, 0.5], [1.0, 0.0])
    inf
    """
    p = as_probability_vector(p, "p")
    q = as_probability_vector(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape} and {q.shape}")
    # rel_entr(a, b) = a log(a/b), 0 for a = 0, inf for a > 0 = b; never warns.
    return float(np.sum(rel_entr(p, q)))


def gaussian_kl(mu_p, sigma_p, mu_q, sigma_q) -> float:
    r"""Closed-form :math:`\mathrm{KL}(\mathcal N(\mu_p,\sigma_p^2)\,\|\,\mathcal N(\mu_q,\sigma_q^2))`.

    .. math::

        \mathrm{KL} = \log\frac{\sigma_q}{\sigma_p}
            + \frac{\sigma_p^2 + (\mu_p - \mu_q)^2}{2\sigma_q^2} - \frac12 .

    Derived in :ref:`em-kl` (and the chapter's first exercise).

    Parameters
    ----------
    mu_p, sigma_p : float
        Mean and standard deviation (not variance) of the first normal, ``p``.
    mu_q, sigma_q : float
        Mean and standard deviation of the second normal, ``q``.

    Returns
    -------
    float
        The divergence in nats, ``>= 0``; ``inf`` only if it exceeds the
        float range (e.g. ``sigma_p / sigma_q = 1e200``).

    Raises
    ------
    TypeError
        If an argument is not a real number.
    ValueError
        If an argument is NaN or infinite, or a standard deviation is ``<= 0``.

    Examples
    --------
    >>> gaussian_kl(0.0, 1.0, 0.0, 1.0)
    0.0
    >>> round(gaussian_kl(0.0, 1.0, 1.0, 1.0), 12)
    0.5
    """
    mu_p = as_finite_float(mu_p, "mu_p")
    sigma_p = as_finite_float(sigma_p, "sigma_p")
    mu_q = as_finite_float(mu_q, "mu_q")
    sigma_q = as_finite_float(sigma_q, "sigma_q")
    if sigma_p <= 0:
        raise ValueError(f"sigma_p must be a standard deviation > 0, got {sigma_p}")
    if sigma_q <= 0:
        raise ValueError(f"sigma_q must be a standard deviation > 0, got {sigma_q}")
    # log(sigma_q / sigma_p) via a difference of logs never overflows; the two
    # squared ratios may overflow to +inf for absurd inputs, which is the honest
    # answer (both are >= 0, so no inf - inf can arise).
    log_ratio = np.log(sigma_q) - np.log(sigma_p)
    with np.errstate(over="ignore"):
        scale = np.float64(sigma_p) / np.float64(sigma_q)
        shift = (np.float64(mu_p) - np.float64(mu_q)) / np.float64(sigma_q)
        value = log_ratio + 0.5 * (scale * scale + shift * shift) - 0.5
    return float(max(value, 0.0))


def _check_log_joint(log_joint, name: str = "log_joint") -> np.ndarray:
    """(K,) or (N, K) float array, no NaN, no ``+inf``, a finite entry in every row."""
    a = as_float_array(log_joint, name, ndim=(1, 2), finite=False)
    if a.shape[-1] == 0:
        raise ValueError(f"{name} must have at least one latent value, got shape {a.shape}")
    if np.any(np.isnan(a)):
        raise ValueError(f"{name} must not contain NaN")
    if np.any(a == np.inf):
        raise ValueError(f"{name} must not contain +inf (it holds log-probabilities)")
    if np.any(np.all(a == -np.inf, axis=-1)):
        raise ValueError(f"{name} must have at least one finite entry in each row: "
                         "p(x, z=k) = 0 for every k means p(x) = 0")
    return a


def log_evidence(log_joint):
    r"""The log evidence :math:`\log p(x) = \log \sum_k p(x, z=k)` by log-sum-exp.

    Derived in :ref:`em-elbo`.

    Parameters
    ----------
    log_joint : array_like, shape (K,) or (N, K)
        ``log_joint[k] = log p(x, z=k)`` for one observation, or one such row
        per observation ``x_n``. Entries may be ``-inf`` (a latent value that
        cannot have produced ``x``) but not a whole row; NaN and ``+inf`` are
        rejected.

    Returns
    -------
    float or ndarray of shape (N,)
        ``log p(x)`` (a float for a 1-D input; one value per row for a 2-D
        input -- sum them for the log-likelihood of the data set), computed
        without overflow or underflow (``[-1000, -1000]`` gives ``-1000 + log 2``).

    Examples
    --------
    >>> abs(log_evidence([np.log(0.1), np.log(0.3)]) - float(np.log(0.4))) < 1e-15
    True
    >>> log_evidence([[0.0, 0.0], [-1000.0, -1000.0]]).round(6).tolist()
    [0.693147, -999.306853]
    """
    a = _check_log_joint(log_joint)
    out = logsumexp(a, axis=-1)
    return float(out) if a.ndim == 1 else out


def posterior(log_joint) -> np.ndarray:
    r"""The posterior :math:`p(z=k \mid x) = p(x, z=k) / \sum_j p(x, z=j)` (Bayes' rule).

    This is the E-step of EM: the ``q`` that makes the ELBO equal to
    ``log p(x)``; for a mixture, its rows are the responsibilities. Derived in
    :ref:`em-elbo`.

    Parameters
    ----------
    log_joint : array_like, shape (K,) or (N, K)
        ``log_joint[..., k] = log p(x, z=k)``; see :func:`log_evidence`.

    Returns
    -------
    ndarray, same shape as ``log_joint``
        Each row is non-negative and sums to 1; exactly 0 where ``log_joint``
        is ``-inf``.

    Examples
    --------
    >>> posterior([np.log(0.1), np.log(0.3)]).round(12).tolist()
    [0.25, 0.75]
    """
    p, _ = log_normalize(_check_log_joint(log_joint), axis=-1)
    return p


def elbo(q, log_joint) -> float:
    r"""Evidence lower bound :math:`\sum_k q_k\,(\log p(x, z=k) - \log q_k)`.

    For every distribution ``q``,
    ``elbo(q, log_joint) + kl_divergence(q, posterior(log_joint)) == log_evidence(log_joint)``,
    so ``elbo <= log p(x)`` with equality exactly at ``q = posterior(log_joint)``.
    Derived in :ref:`em-elbo`.

    Parameters
    ----------
    q : array_like, shape (K,) or (N, K)
        A distribution over the K latent values (non-negative, finite,
        summing to 1 within ``1e-9``), or one per observation (rows).
    log_joint : array_like, same shape as ``q``
        ``log_joint[..., k] = log p(x, z=k)``. NaN and ``+inf`` are rejected.
        ``-inf`` entries are allowed (the joint probability is 0); see
        Returns for what they do.

    Returns
    -------
    float
        The ELBO in nats; for 2-D input the sum over rows,
        :math:`\sum_n \mathrm{ELBO}(x_n; q_n)`, which bounds the log-likelihood
        of the data set. Terms with ``q_k = 0`` contribute 0 (``0 log 0 = 0``,
        and also ``0 * (-inf) = 0``: a latent value ``q`` never visits costs
        nothing). If ``q_k > 0`` where ``log_joint[k] = -inf`` the result is
        ``-inf``: ``q`` puts mass on a value that cannot have produced ``x``,
        the bound holds trivially and ``KL(q || p(z | x)) = inf``.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If ``q`` (or a row of it) is not a distribution, ``log_joint``
        contains NaN or ``+inf`` or a row of only ``-inf``, or the shapes differ.

    Examples
    --------
    >>> lj = np.log([0.1, 0.3])
    >>> abs(elbo([0.25, 0.75], lj) - float(np.log(0.4))) < 1e-15
    True
    >>> elbo([0.5, 0.5], lj) < float(np.log(0.4))
    True
    """
    a = _check_log_joint(log_joint)
    if a.ndim == 1:
        q = as_probability_vector(q, "q")
        if q.shape != a.shape:
            raise ValueError(f"q and log_joint must have the same shape, got {q.shape} and {a.shape}")
    else:
        q_shape = as_float_array(q, "q", finite=False, allow_empty=True).shape
        if q_shape != a.shape:
            raise ValueError(f"q and log_joint must have the same shape, got {q_shape} and {a.shape}")
        q = as_probability_array(q, "q", ndim=2, shape=a.shape)
    support = q > 0
    # sum q_k log p(x, z=k) over the support of q only (so 0 * -inf never happens),
    # minus the negative entropy sum q_k log q_k with xlogy(0, 0) = 0.
    expected_log_joint = float(np.sum(q[support] * a[support]))
    neg_entropy = float(np.sum(xlogy(q, q)))
    return expected_log_joint - neg_entropy


def normal_mixture_log_joint(x, weights, means, stds) -> np.ndarray:
    r"""Log joint :math:`\log p(x_n, z_n=k) = \log \pi_k + \log \mathcal N(x_n \mid \mu_k, \sigma_k^2)` in 1-D.

    A small helper for the chapter's one-dimensional mixture (figures and the
    EM run of :ref:`em-coordinate-ascent`). For mixtures in ``d`` dimensions use
    :mod:`mlhwlib.gmm`. Each row can be passed to :func:`posterior`,
    :func:`log_evidence` or :func:`elbo`.

    Parameters
    ----------
    x : array_like, shape (N,)
        Observations (finite).
    weights : array_like, shape (K,)
        Mixture weights :math:`\pi_k`, a distribution (zeros allowed: that
        column is ``-inf``).
    means : array_like, shape (K,)
        Component means (finite).
    stds : array_like, shape (K,)
        Component standard deviations (finite, ``> 0``) -- not variances.

    Returns
    -------
    ndarray, shape (N, K)
        ``out[n, k] = log weights[k] + log N(x[n] | means[k], stds[k]**2)``.

    Examples
    --------
    >>> lj = normal_mixture_log_joint([0.0], [0.5, 0.5], [0.0, 0.0], [1.0, 1.0])
    >>> bool(np.allclose(lj, np.log(0.5) - 0.5 * np.log(2 * np.pi)))
    True
    """
    x = as_float_array(x, "x", ndim=1)
    weights = as_probability_vector(weights, "weights")
    k = weights.shape[0]
    means = as_float_array(means, "means", shape=(k,))
    stds = as_float_array(stds, "stds", shape=(k,))
    if np.any(stds <= 0):
        raise ValueError(f"stds must be standard deviations > 0, got minimum {stds.min()!r}")
    log_w = np.full(k, -np.inf)
    np.log(weights, out=log_w, where=weights > 0)
    # For absurd inputs (|x - mu| / sigma > 1e154) the squared distance overflows
    # to +inf and the log joint is -inf, the honest floating-point answer.
    with np.errstate(over="ignore"):
        z = (x[:, None] - means[None, :]) / stds[None, :]
        return log_w[None, :] - 0.5 * z * z - np.log(stds)[None, :] - _HALF_LOG_2PI
