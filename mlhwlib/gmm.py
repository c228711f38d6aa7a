"""Gaussian mixtures fitted by expectation–maximisation (EM), full covariances.

Derived in the chapter ``book/gmm_em.ipynb``: the E-step (responsibilities) in
section *The E-step*, the M-step updates of the weights, means and covariances
in section *The M-step*, and the fast implementation used here in section
*From the formulas to fast code*.

Shapes used throughout: ``X`` is ``(N, d)`` (one sample per row), ``weights``
is ``(K,)``, ``means`` is ``(K, d)``, ``covariances`` is ``(K, d, d)``.  The
one-dimensional case is ``d = 1``.

Numerics
--------
* Every density is handled as a log density computed from the Cholesky factor
  :math:`\\Sigma_k = L_k L_k^\\top`: the Mahalanobis term is
  :math:`\\lVert L_k^{-1}(x - \\mu_k)\\rVert^2` and
  :math:`\\log|\\Sigma_k| = 2\\sum_j \\log (L_k)_{jj}`.  No covariance is ever
  inverted, and each covariance is factorised once per EM iteration.
* Mixture sums go through log-sum-exp, so a point a thousand standard
  deviations from every component still has a finite log-likelihood.

Speed and memory
----------------
One EM iteration is a single pass over ``X`` in blocks of rows.  For each block
(``c`` rows) the E-step for *all* components is one matrix product
``[L_1^{-1}, ..., L_K^{-1}]``-stacked ``(K d, d + 1)`` times the block's
``(d + 1, c)`` augmented, centred samples, followed by a fused log-sum-exp; the
M-step's sufficient statistics (``N_k``, the weighted sums of ``x`` and of the
products ``x_a x_b``) are accumulated from the same block with one more matrix
product.  Temporaries are ``O(c K d)``; nothing of size ``N x K x d`` (or even
``N x K``) is allocated by an EM step.  BLAS is limited to one thread inside the
call: the products are small and threading them only adds overhead.
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import ThreadpoolController

from .numerics import as_finite_float, as_float_array, as_int

__all__ = [
    "log_likelihood",
    "responsibilities",
    "em_step",
    "GaussianMixture",
]

_LOG_2PI = float(np.log(2.0 * np.pi))
#: scikit-learn adds ``10 * eps`` to every ``N_k`` so that an empty component
#: gives a finite mean instead of 0/0; we do the same to agree with it.
_NK_EPS = 10.0 * float(np.finfo(np.float64).eps)
#: If ``max_j (mu_kj - shift_j)^2 / Sigma_kjj`` exceeds this, the one-pass
#: covariance formula loses too many digits and the two-pass formula is used.
_CANCELLATION_LIMIT = 1e4
_CONTROLLER = None


def _one_blas_thread():
    """Context manager limiting BLAS/LAPACK to one thread.

    The products here are small (``(K d, d + 1)`` times ``(d + 1, c)``); threading
    them costs more than it saves and, on a busy machine, threads spinning for
    work can make them many times slower.  The controller is created once
    (scanning the loaded libraries takes milliseconds).
    """
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------

def _check_X(X, d=None, name="X"):
    X = as_float_array(X, name, ndim=2)
    if d is not None and X.shape[1] != d:
        raise ValueError(f"{name} must have {d} columns (the dimension of the means), "
                         f"got shape {X.shape}")
    return X


def _cholesky_all(covariances, name="covariances"):
    """Cholesky factors ``(K, d, d)`` of all covariances, or a ValueError naming the bad one."""
    try:
        return np.linalg.cholesky(covariances)
    except np.linalg.LinAlgError:
        for k, cov in enumerate(covariances):
            try:
                np.linalg.cholesky(cov)
            except np.linalg.LinAlgError:
                raise ValueError(
                    f"{name}[{k}] is not positive definite (its Cholesky factorisation "
                    f"failed); a component may have collapsed onto too few points: "
                    f"use reg_covar > 0"
                ) from None
        raise  # pragma: no cover - batched failed but every single one succeeded


def _check_params(weights, means, covariances, d=None):
    """Validate mixture parameters; return them as float arrays plus Cholesky factors."""
    weights = as_float_array(weights, "weights", ndim=1)
    K = weights.shape[0]
    if np.any(weights < 0):
        raise ValueError(f"weights must be non-negative, got minimum {float(weights.min())!r}")
    total = float(weights.sum())
    if abs(total - 1.0) > 1e-8:
        raise ValueError(f"weights must sum to 1 (tolerance 1e-08), got sum {total!r}")
    means = as_float_array(means, "means", ndim=2)
    if means.shape[0] != K:
        raise ValueError(f"means must have shape (K, d) with K = {K} (the length of weights), "
                         f"got {means.shape}")
    if d is not None and means.shape[1] != d:
        raise ValueError(f"means must have shape ({K}, {d}) to match X, got {means.shape}")
    d = means.shape[1]
    covariances = as_float_array(covariances, "covariances", ndim=3, shape=(K, d, d))
    scale = float(np.max(np.abs(covariances)))
    asym = float(np.max(np.abs(covariances - np.swapaxes(covariances, 1, 2))))
    if asym > 1e-10 * max(scale, np.finfo(float).tiny):
        k = int(np.argmax(np.abs(covariances - np.swapaxes(covariances, 1, 2)).reshape(K, -1)
                          .max(axis=1)))
        raise ValueError(f"covariances[{k}] must be symmetric, got max |C - C^T| = {asym:.3g}")
    chol = _cholesky_all(covariances)
    return weights, means, covariances, chol


def _rng(random_state):
    try:
        return np.random.default_rng(random_state)
    except (TypeError, ValueError):
        raise ValueError("random_state must be None, a non-negative integer or a numpy "
                         f"Generator, got {random_state!r}") from None


def _check_reg(reg_covar):
    reg = as_finite_float(reg_covar, "reg_covar")
    if reg < 0:
        raise ValueError(f"reg_covar must be >= 0, got {reg!r}")
    return reg


# ---------------------------------------------------------------------------
# the fused, blocked E-step (and M-step statistics)
# ---------------------------------------------------------------------------

def _chunk_size(K, d):
    # keep the (K d, c) block of whitened residuals around 1 MB
    return int(max(256, min(8192, (1 << 17) // max(1, K * d))))


class _Engine:
    """Per-iteration constants of the E-step: built from the Cholesky factors once.

    For component ``k`` the block of rows ``k d : (k + 1) d`` of ``A`` is
    ``[L_k^{-1}, -L_k^{-1}(mu_k - shift)]``, so ``A @ [x - shift; 1]`` stacks the
    whitened residuals ``L_k^{-1}(x - mu_k)`` of all components.
    """

    def __init__(self, weights, means, chol, shift):
        K, d = means.shape
        self.K, self.d = K, d
        self.shift = shift
        # L_k^{-1} for all k from one batched solve L_k Z = I (d x d each, cheap);
        # the covariances themselves are never inverted.
        Linv = np.linalg.solve(chol, np.broadcast_to(np.eye(d), (K, d, d)))
        A = np.empty((K, d, d + 1))
        A[:, :, :d] = Linv
        A[:, :, d] = -np.matmul(Linv, (means - shift)[:, :, None])[:, :, 0]
        self.A = A.reshape(K * d, d + 1)
        with np.errstate(divide="ignore"):  # a zero weight is allowed: log 0 = -inf
            logw = np.log(weights)
        half_logdet = np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        self.const = (logw - half_logdet - 0.5 * d * _LOG_2PI)[:, None]  # (K, 1)

    def buffers(self, c, with_quadratic):
        d = self.d
        n_feat = d + 1 + (d * (d + 1) // 2 if with_quadratic else 0)
        F = np.empty((n_feat, c))  # rows: x - shift (d), ones (1), products (d(d+1)/2)
        F[d] = 1.0
        Y = np.empty((self.K * d, c))
        return F, Y

    def block(self, Xb, F, Y, with_quadratic):
        """E-step on rows ``Xb`` (c, d). Returns (resp (K, c) view, log p(x_i) (c,))."""
        K, d = self.K, self.d
        c = Xb.shape[0]
        Fb = F[:, :c]
        np.subtract(Xb.T, self.shift[:, None], out=Fb[:d])
        if with_quadratic:
            r = d + 1
            for a in range(d):
                np.multiply(Fb[a], Fb[a:d], out=Fb[r:r + d - a])
                r += d - a
        y = Y[:, :c]
        np.matmul(self.A, Fb[:d + 1], out=y)          # whitened residuals, all components
        np.square(y, out=y)
        logp = y.reshape(K, d, c).sum(axis=1)         # squared Mahalanobis distances (K, c)
        logp *= -0.5
        logp += self.const                            # log pi_k + log N(x | mu_k, Sigma_k)
        top = logp.max(axis=0)                        # fused log-sum-exp over k
        logp -= top
        np.exp(logp, out=logp)
        total = logp.sum(axis=0)
        logp /= total                                 # responsibilities gamma_ik
        log_px = np.log(total)
        log_px += top
        return logp, log_px


def _blocks(N, c):
    for start in range(0, N, c):
        yield start, min(N, start + c)


def _e_step_pass(X, weights, means, chol, want_resp):
    """Total log-likelihood and (optionally) the (N, K) responsibilities."""
    N = X.shape[0]
    K, d = means.shape
    eng = _Engine(weights, means, chol, X.mean(axis=0))
    c = min(N, _chunk_size(K, d))
    F, Y = eng.buffers(c, with_quadratic=False)
    resp = np.empty((N, K)) if want_resp else None
    log_px_all = np.empty(N)
    for s, e in _blocks(N, c):
        r, lp = eng.block(X[s:e], F, Y, with_quadratic=False)
        log_px_all[s:e] = lp
        if want_resp:
            resp[s:e] = r.T
    return log_px_all, resp


def _em_iteration(X, weights, means, chol, reg_covar, shift):
    """One fused EM iteration from parameters with Cholesky factors ``chol``.

    Returns ``(new_weights, new_means, new_covariances, total_log_likelihood)``;
    the log-likelihood is at the *input* parameters (that is what the E-step
    computes), exactly as scikit-learn's ``lower_bound_``.
    """
    N, d = X.shape
    K = means.shape[0]
    eng = _Engine(weights, means, chol, shift)
    c = min(N, _chunk_size(K, d))
    F, Y = eng.buffers(c, with_quadratic=True)
    stats = np.zeros((K, F.shape[0]))  # [sum r (x-s) | N_k | sum r (x-s)_a (x-s)_b]
    total = 0.0
    for s, e in _blocks(N, c):
        r, lp = eng.block(X[s:e], F, Y, with_quadratic=True)
        stats += r @ F[:, :e - s].T               # all M-step sums in one product
        total += float(lp.sum())
    nk = stats[:, d] + _NK_EPS
    centred_means = stats[:, :d] / nk[:, None]        # mu_k - shift
    second = np.empty((K, d, d))
    iu = np.triu_indices(d)
    second[:, iu[0], iu[1]] = stats[:, d + 1:]
    second[:, iu[1], iu[0]] = stats[:, d + 1:]
    covariances = second / nk[:, None, None] - centred_means[:, :, None] * centred_means[:, None, :]
    # one-pass formula: digits lost ~ log10((mu - shift)^2 / sigma^2); if too many, redo exactly
    diag = np.diagonal(covariances, axis1=1, axis2=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(diag > 0, centred_means ** 2 / np.where(diag > 0, diag, 1.0), np.inf)
    bad = np.flatnonzero(ratio.max(axis=1) > _CANCELLATION_LIMIT)
    new_means = centred_means + shift
    if bad.size:
        covariances[bad] = _two_pass_covariances(X, eng, new_means, bad, nk)
    covariances[:, np.arange(d), np.arange(d)] += reg_covar
    new_weights = nk / nk.sum()
    return new_weights, new_means, covariances, total


def _two_pass_covariances(X, eng, new_means, which, nk):
    """Exact sum_i gamma_ik (x_i - mu_k)(x_i - mu_k)^T / N_k for components ``which``."""
    N, d = X.shape
    c = min(N, _chunk_size(eng.K, d))
    F, Y = eng.buffers(c, with_quadratic=False)
    out = np.zeros((len(which), d, d))
    for s, e in _blocks(N, c):
        r, _ = eng.block(X[s:e], F, Y, with_quadratic=False)
        for j, k in enumerate(which):
            diff = X[s:e] - new_means[k]
            out[j] += (diff * r[k][:, None]).T @ diff
    return out / nk[which][:, None, None]


# ---------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------

def log_likelihood(X, weights, means, covariances):
    """Total log-likelihood :math:`\\sum_i \\log \\sum_k \\pi_k \\mathcal N(x_i \\mid \\mu_k, \\Sigma_k)`.

    Derived in ``book/gmm_em.ipynb``, section *The model*.

    Parameters
    ----------
    X : array_like, shape (N, d)
    weights : array_like, shape (K,)
        Non-negative, summing to 1 (tolerance 1e-8).
    means : array_like, shape (K, d)
    covariances : array_like, shape (K, d, d)
        Symmetric positive definite.

    Returns
    -------
    float
        The sum over samples (not the mean; ``GaussianMixture.score`` is the mean).
    """
    with _one_blas_thread():
        weights, means, covariances, chol = _check_params(weights, means, covariances)
        X = _check_X(X, means.shape[1])
        log_px, _ = _e_step_pass(X, weights, means, chol, want_resp=False)
    return float(log_px.sum())


def responsibilities(X, weights, means, covariances):
    """E-step: :math:`\\gamma_{ik} = \\pi_k \\mathcal N(x_i|\\mu_k,\\Sigma_k) / \\sum_j \\pi_j \\mathcal N(x_i|\\mu_j,\\Sigma_j)`.

    Derived in ``book/gmm_em.ipynb``, section *The E-step*.  Computed from log
    densities with log-sum-exp, so rows sum to 1 even far from every component.

    Parameters
    ----------
    X : array_like, shape (N, d)
    weights : array_like, shape (K,)
    means : array_like, shape (K, d)
    covariances : array_like, shape (K, d, d)

    Returns
    -------
    ndarray, shape (N, K)
    """
    with _one_blas_thread():
        weights, means, covariances, chol = _check_params(weights, means, covariances)
        X = _check_X(X, means.shape[1])
        _, resp = _e_step_pass(X, weights, means, chol, want_resp=True)
    return resp


def em_step(X, weights, means, covariances, reg_covar=0.0):
    """One EM iteration: E-step at the given parameters, then the closed-form M-step.

    Derived in ``book/gmm_em.ipynb``, sections *The E-step* and *The M-step*:

    .. math::
        N_k = \\sum_i \\gamma_{ik},\\quad \\pi_k = N_k / N,\\quad
        \\mu_k = \\frac{1}{N_k}\\sum_i \\gamma_{ik} x_i,\\quad
        \\Sigma_k = \\frac{1}{N_k}\\sum_i \\gamma_{ik}(x_i-\\mu_k)(x_i-\\mu_k)^\\top + r I.

    As in scikit-learn, ``N_k`` is increased by ``10 * eps`` before dividing
    (an empty component then gets a finite mean) and ``reg_covar`` ``r`` is
    added to each covariance's diagonal.

    Parameters
    ----------
    X : array_like, shape (N, d)
    weights : array_like, shape (K,)
    means : array_like, shape (K, d)
    covariances : array_like, shape (K, d, d)
    reg_covar : float, default 0.0
        Non-negative ridge added to every new covariance's diagonal.

    Returns
    -------
    weights : ndarray, shape (K,)
    means : ndarray, shape (K, d)
    covariances : ndarray, shape (K, d, d)
    """
    reg = _check_reg(reg_covar)
    with _one_blas_thread():
        weights, means, covariances, chol = _check_params(weights, means, covariances)
        X = _check_X(X, means.shape[1])
        w, m, c, _ = _em_iteration(X, weights, means, chol, reg, X.mean(axis=0))
    return w, m, c


# ---------------------------------------------------------------------------
# the estimator
# ---------------------------------------------------------------------------

class GaussianMixture:
    """Full-covariance Gaussian mixture fitted by EM (scikit-learn compatible subset).

    Derived in ``book/gmm_em.ipynb``; the loop follows scikit-learn exactly: each
    iteration runs the E-step (whose mean log-likelihood becomes
    ``lower_bound_``) and then the M-step; it stops when two successive values
    differ by less than ``tol`` (so ``tol = 0`` runs exactly ``max_iter``
    iterations).  ``lower_bound_`` is therefore the mean log-likelihood at the
    parameters *before* the last M-step, as in scikit-learn.

    Parameters
    ----------
    n_components : int
        Number of components ``K`` (at most the number of samples).
    max_iter : int, default 100
    tol : float, default 1e-3
        Convergence threshold on the change of the mean log-likelihood.
    reg_covar : float, default 1e-6
        Added to each covariance's diagonal in every M-step.
    weights_init : array_like, shape (K,), optional
    means_init : array_like, shape (K, d), optional
    covariances_init : array_like, shape (K, d, d), optional
        Initial parameters.  Missing ones are chosen from ``random_state``:
        means are ``K`` distinct random samples, weights are uniform, every
        covariance is the sample covariance of ``X`` plus ``reg_covar * I``.
    random_state : int, numpy Generator or None
        Seed for the initialisation and for :meth:`sample`.

    Attributes
    ----------
    weights_ : ndarray, shape (K,)
    means_ : ndarray, shape (K, d)
    covariances_ : ndarray, shape (K, d, d)
    converged_ : bool
    n_iter_ : int
    lower_bound_ : float
        Mean log-likelihood from the last iteration's E-step.
    lower_bounds_ : list of float
        The same quantity for every iteration (non-decreasing: EM's monotonicity).
    """

    def __init__(self, n_components, max_iter=100, tol=1e-3, reg_covar=1e-6,
                 weights_init=None, means_init=None, covariances_init=None,
                 random_state=None):
        self.n_components = as_int(n_components, "n_components", minimum=1)
        self.max_iter = as_int(max_iter, "max_iter", minimum=1)
        self.tol = as_finite_float(tol, "tol")
        if self.tol < 0:
            raise ValueError(f"tol must be >= 0, got {self.tol!r}")
        self.reg_covar = _check_reg(reg_covar)
        self.weights_init = weights_init
        self.means_init = means_init
        self.covariances_init = covariances_init
        self.random_state = random_state

    # -- fitting -------------------------------------------------------------
    def _initial_parameters(self, X):
        N, d = X.shape
        K = self.n_components
        rng = _rng(self.random_state)
        if self.means_init is None:
            means = X[np.sort(rng.choice(N, size=K, replace=False))].copy()
        else:
            means = self.means_init
        weights = np.full(K, 1.0 / K) if self.weights_init is None else self.weights_init
        if self.covariances_init is None:
            cov = np.atleast_2d(np.cov(X, rowvar=False, bias=True)) + self.reg_covar * np.eye(d)
            covariances = np.repeat(cov[None], K, axis=0)
        else:
            covariances = self.covariances_init
        try:
            return _check_params(weights, means, covariances, d)
        except ValueError as err:  # say which constructor argument was wrong
            raise ValueError(f"initial parameters: {err}") from None

    def fit(self, X):
        """Run EM on ``X`` (N, d) from the initial parameters; return ``self``."""
        with _one_blas_thread():
            return self._fit(X)

    def _fit(self, X):
        X = _check_X(X)
        N, d = X.shape
        if self.n_components > N:
            raise ValueError(f"n_components = {self.n_components} must be <= the number of "
                             f"samples N = {N}")
        weights, means, _, chol = self._initial_parameters(X)
        shift = X.mean(axis=0)
        lower_bound = -np.inf
        bounds = []
        converged = False
        for n_iter in range(1, self.max_iter + 1):
            prev = lower_bound
            weights, means, covariances, total = _em_iteration(
                X, weights, means, chol, self.reg_covar, shift)
            lower_bound = total / N
            bounds.append(lower_bound)
            chol = _cholesky_all(covariances, name="covariances_")  # once per iteration
            if abs(lower_bound - prev) < self.tol:
                converged = True
                break
        self.weights_, self.means_, self.covariances_ = weights, means, covariances
        self._chol = chol
        self.converged_ = converged
        self.n_iter_ = n_iter
        self.lower_bound_ = float(lower_bound)
        self.lower_bounds_ = [float(b) for b in bounds]
        return self

    # -- using the fitted model -------------------------------------------
    def _check_fitted(self):
        if not hasattr(self, "means_"):
            raise ValueError("this GaussianMixture is not fitted yet: call fit(X) first")

    def _evaluate(self, X, want_resp):
        """One E-step pass of the fitted model over ``X``: ``(log p(x_i), responsibilities)``."""
        self._check_fitted()
        X = _check_X(X, self.means_.shape[1])
        with _one_blas_thread():
            return _e_step_pass(X, self.weights_, self.means_, self._chol, want_resp=want_resp)

    def score_samples(self, X):
        """Log-density :math:`\\log p(x_i)` of each row of ``X``; shape (N,)."""
        return self._evaluate(X, want_resp=False)[0]

    def score(self, X):
        """Mean log-likelihood per sample (as scikit-learn's ``score``)."""
        return float(self.score_samples(X).mean())

    def predict_proba(self, X):
        """Responsibilities of the fitted components; shape (N, K)."""
        return self._evaluate(X, want_resp=True)[1]

    def predict(self, X):
        """Most responsible component of each row; shape (N,), integers in [0, K)."""
        return self.predict_proba(X).argmax(axis=1)

    def sample(self, n_samples=1):
        """Draw ``n_samples`` points; returns ``(X, labels)`` grouped by component.

        Uses a fresh ``numpy.random.default_rng(random_state)`` on every call (so an
        integer ``random_state`` gives the same sample each time, as in scikit-learn).
        """
        self._check_fitted()
        n = as_int(n_samples, "n_samples", minimum=1)
        rng = _rng(self.random_state)
        counts = rng.multinomial(n, self.weights_ / self.weights_.sum())
        d = self.means_.shape[1]
        parts = [self.means_[k] + rng.standard_normal((m, d)) @ self._chol[k].T
                 for k, m in enumerate(counts)]
        labels = np.repeat(np.arange(self.n_components), counts)
        return np.concatenate(parts, axis=0), labels
