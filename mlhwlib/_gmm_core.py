"""The numerical core of :mod:`mlhwlib.gmm` (private; its names are re-exported there): validation, the fused E-step and the M-step.

Derived in the chapter :ref:`gmm_em`: the E-step in :ref:`gmm-estep`, the
M-step in :ref:`gmm-mstep`, the fast implementation in :ref:`gmm-fast-code`.
Everything public here is re-exported by :mod:`mlhwlib.gmm`.

Shapes used throughout: ``X`` is ``(N, d)`` (one sample per row), ``weights``
is ``(K,)``, ``means`` is ``(K, d)``, ``covariances`` is ``(K, d, d)``.

Numerics
--------
* Every density is a log density computed from a triangular *whitening*
  matrix :math:`W_k` with :math:`W_k^\\top W_k = \\Sigma_k^{-1}` (from the
  Cholesky factor :math:`\\Sigma_k = L_k L_k^\\top`, :math:`W_k = L_k^{-1}` by a
  triangular solve): the Mahalanobis term is :math:`\\lVert W_k(x - \\mu_k)\\rVert^2`
  and :math:`-\\tfrac12\\log|\\Sigma_k| = \\sum_j \\log (W_k)_{jj}`.  No covariance
  is ever inverted.
* Mixture sums go through log-sum-exp, so a point a thousand standard
  deviations from every component still has a finite log-likelihood.
* One EM iteration is a single pass over ``X`` in blocks of rows: the
  features ``[x - shift; 1; (x - shift)_a (x - shift)_b]`` are formed once,
  one matrix product with them gives the log-densities of all components (the
  expanded quadratic form, used where its rounding is provably small, else the
  whitened residuals), a fused log-sum-exp the responsibilities, and one more
  product with the same features all M-step sums.  Evaluating a fitted model
  (:func:`responsibilities`, :func:`log_likelihood`) uses the whitened
  residuals of all components from one product.  The one-pass
  covariance formula is replaced by the exact two-pass sum for a component
  whose mean is far from the data mean *in whitened units* (see
  :func:`_em_iteration`).
* Data whose sums of squares would overflow float64 are rejected with a
  ``ValueError`` instead of producing NaN (:func:`_check_scale`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.linalg import get_lapack_funcs
from threadpoolctl import ThreadpoolController

from .numerics import as_finite_float, as_float_array, as_probability_vector, check_symmetric

__all__ = ["log_likelihood", "responsibilities", "em_step"]

_LOG_2PI = float(np.log(2.0 * np.pi))
#: scikit-learn adds ``10 * eps`` to every ``N_k``; we do the same to agree with it.
_NK_EPS = 10.0 * float(np.finfo(np.float64).eps)
#: Two-pass covariance when ``||mu_k - shift||^2 / lambda_min(Sigma_k)`` exceeds this:
#: the one-pass formula's rounding error, in whitened units, is about
#: ``eps`` times that ratio, so at most four of sixteen digits are lost.
_CANCELLATION_LIMIT = 1e4
#: The expanded (quadratic-feature) E-step of an EM iteration is used for
#: component ``k`` on a block only when ``rho_k (R + ||mu_k - shift||)^2`` stays
#: below this (see :meth:`_Engine._expanded_block`): its rounding error in the
#: log-density is then below about ``(n + 2) eps * 1e6``, 1.0e-8 for d = 8
#: (n = 1 + d + d(d+1)/2 terms), and in practice far smaller; other components
#: take the whitened-residual route.
_EXPANDED_LIMIT = 1e6
#: The largest finite float64, about 1.8e308.
_FLOAT_MAX = float(np.finfo(np.float64).max)
_CONTROLLER = None


def _one_blas_thread():
    """Context manager limiting BLAS/LAPACK to one thread (the products are small)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------

def _check_scale(A, name, centre=None, n=None):
    """Reject data whose sums of squares over the rows would overflow float64.

    The largest quantities a fit forms are sums over the ``n`` rows of products
    of centred coordinates, each at most ``big`` in size (``big`` the largest
    entry of ``A - centre``): the one-pass covariance of every EM iteration,
    ``S2 - a dm^T - dm a^T + N_k dm dm^T``, whose partial sums are at most
    ``4 n big**2`` per entry, and the k-means(++) initialisation's potential
    ``sum_i ||x_i - c||^2 <= 4 n d big**2``.  So
    ``big <= sqrt(max_float / (4 n d))`` keeps everything finite (the whitened
    quantities do not depend on the scale).  With 150 rows in 4 columns that is
    2.7e152: data at 1e150, which scikit-learn fits, are accepted.  Measured
    with the guard off, two clusters at +-big fail (a non-finite covariance or
    log-likelihood, or k-means++'s overflow) from a few times the limit.

    With ``centre`` (a row), the entries of ``A - centre`` are checked without
    forming that difference; ``n`` (default ``len(A)``) is the number of rows
    the sums run over.
    """
    if not A.size:
        return
    if centre is None:
        big = float(np.max(np.abs(A)))
    else:
        high, low = _column_extremes(A)
        big = float(max(np.max(high - centre), np.max(centre - low)))
    rows, cols = (A.shape[0] if n is None else n), A.shape[-1]
    limit = float(np.sqrt(_FLOAT_MAX / (4.0 * rows * cols)))
    if not np.isfinite(big) or big > limit:
        raise ValueError(
            f"{name} has entries of magnitude {big:.1e} (from the mean): sums of their "
            f"squares over {rows} rows and {cols} columns would overflow float64 (the "
            f"limit is {limit:.2e}); rescale the data (e.g. StandardScaler)")


def _column_extremes(A):
    """``(A.max(axis=0), A.min(axis=0))``, the same values, about five times faster.

    numpy reduces a C-ordered ``(N, d)`` array over its rows with an inner loop of
    length ``d``; for small ``d`` that is slow (4 ms for N = 1e5, d = 8, more than a
    pass of EM's arithmetic).  Viewing groups of rows as one long row makes the
    inner loop long: ``A[:m].reshape(-1, g d)``, reduced over its rows and then over
    the ``g`` groups; the remaining rows are reduced directly.
    """
    n, d = A.shape
    g = max(1, 64 // max(d, 1))
    m = (n // g) * g
    if g == 1 or m == 0 or not A.flags.c_contiguous:
        return A.max(axis=0), A.min(axis=0)
    wide = A[:m].reshape(-1, g * d)
    high = wide.max(axis=0).reshape(g, d).max(axis=0)
    low = wide.min(axis=0).reshape(g, d).min(axis=0)
    if m < n:
        np.maximum(high, A[m:].max(axis=0), out=high)
        np.minimum(low, A[m:].min(axis=0), out=low)
    return high, low


def _check_X(X, d=None, name="X"):
    X = as_float_array(X, name, ndim=2)
    if d is not None and X.shape[1] != d:
        raise ValueError(f"{name} must have {d} columns (the dimension of the means), "
                         f"got shape {X.shape}")
    mean = X.mean(axis=0)
    if np.isfinite(mean).all():
        _check_scale(X, name, centre=mean)
    else:
        _check_scale(X, name)
    return X


_COLLAPSE_ADVICE = "; a component may have collapsed onto too few points: use reg_covar > 0"


def _cholesky_all(covariances, name="covariances", advice=_COLLAPSE_ADVICE):
    """Cholesky factors ``(K, d, d)`` of all covariances, or a ValueError naming the bad one.

    The library's one positive-definiteness check: the covariances, the given
    precisions and the priors' scale matrices (``psi``, ``covariance_prior``) all
    go through it. A single ``(d, d)`` matrix gives its factor ``(d, d)`` and an
    error naming ``name`` alone; ``advice`` ends the message.

    Positive definiteness is decided by the factorisation of the matrix as given;
    callers that want a margin check eigenvalues themselves.
    """
    if covariances.ndim == 2:
        try:
            return np.linalg.cholesky(covariances)
        except np.linalg.LinAlgError:
            raise ValueError(f"{name} is not positive definite (its Cholesky factorisation "
                             f"failed){advice}") from None
    try:
        return np.linalg.cholesky(covariances)
    except np.linalg.LinAlgError:
        for k, cov in enumerate(covariances):
            try:
                np.linalg.cholesky(cov)
            except np.linalg.LinAlgError:
                raise ValueError(
                    f"{name}[{k}] is not positive definite (its Cholesky factorisation "
                    f"failed){advice}"
                ) from None
        raise  # pragma: no cover - batched failed but every single one succeeded


def _whiteners(chol):
    """``W_k = L_k^{-1}`` (lower triangular) for all k, by triangular solves.

    LAPACK's ``dtrtrs`` on ``L_k X = I``, called as ``scipy.linalg.solve_triangular``
    calls it for a C-ordered ``L_k`` (the transposed, upper-triangular system in
    Fortran order), so the result is the same to the bit without scipy's per-call
    validation, which cost more than the solve itself for small ``d``.
    """
    K, d, _ = chol.shape
    trtrs, = get_lapack_funcs(("trtrs",), (chol,))
    eye = np.eye(d)
    out = np.empty_like(chol)
    for k in range(K):
        a = np.ascontiguousarray(chol[k])
        out[k], info = trtrs(a.T, eye, lower=False, trans=True)
        if info != 0:
            raise np.linalg.LinAlgError(f"the Cholesky factor of component {k} is singular")
    return out


@lru_cache(maxsize=64)
def _triu(d):
    """``np.triu_indices(d)`` and the positions of its diagonal pairs, read-only."""
    iu = np.triu_indices(d)
    diag = np.flatnonzero(iu[0] == iu[1])
    for a in (*iu, diag):
        a.setflags(write=False)
    return iu, diag


def _check_symmetric(C, name):
    """Each matrix of the stack ``C`` is symmetric (the library's one rule, :mod:`mlhwlib.numerics`)."""
    check_symmetric(C, name)


def _check_params(weights, means, covariances, d=None):
    """Validate mixture parameters; return them as float arrays plus Cholesky factors."""
    weights = as_probability_vector(weights, "weights")
    K = weights.shape[0]
    means = as_float_array(means, "means", ndim=2)
    if means.shape[0] != K:
        raise ValueError(f"means must have shape (K, d) with K = {K} (the length of weights), "
                         f"got {means.shape}")
    if d is not None and means.shape[1] != d:
        raise ValueError(f"means must have shape ({K}, {d}) to match X, got {means.shape}")
    d = means.shape[1]
    covariances = as_float_array(covariances, "covariances", ndim=3, shape=(K, d, d))
    _check_symmetric(covariances, "covariances")
    chol = _cholesky_all(covariances)
    return weights, means, covariances, chol


def _check_reg(reg_covar):
    reg = as_finite_float(reg_covar, "reg_covar")
    if reg < 0:
        raise ValueError(f"reg_covar must be >= 0, got {reg!r}")
    return reg


# ---------------------------------------------------------------------------
# the fused, blocked E-step (and M-step statistics)
# ---------------------------------------------------------------------------

def _chunk_size(K, d, expanded=False):
    """Rows per block: the block's arrays stay around 1-2 MB (in the cache).

    The whitened residuals are (K d, c); the expanded E-step of an EM
    iteration keeps the (1 + d + d(d+1)/2, c) features and two (K, c) arrays.
    """
    per_column = (1 + d + d * (d + 1) // 2 + 2 * K) if expanded else K * d
    budget = (1 << 18) if expanded else (1 << 17)
    return int(max(256, min(8192, budget // max(1, per_column))))


class _Engine:
    """Per-iteration constants of the E-step, built from whitening matrices once.

    ``W[k]`` is triangular with ``W[k].T @ W[k] = inv(Sigma_k)``.  Rows
    ``k d : (k + 1) d`` of ``A`` are ``[W_k, -W_k (mu_k - shift)]``, so
    ``A @ [x - shift; 1]`` stacks the whitened residuals of all components.
    """

    def __init__(self, weights, means, W, shift, log_weights=None):
        K, d = means.shape
        self.K, self.d = K, d
        self.shift = shift
        A = np.empty((K, d, d + 1))
        A[:, :, :d] = W
        A[:, :, d] = -np.matmul(W, (means - shift)[:, :, None])[:, :, 0]
        self.A = A.reshape(K * d, d + 1)
        if log_weights is not None:  # the variational E-step: expected log-weights etc.
            logw = np.asarray(log_weights, dtype=float)
        else:
            with np.errstate(divide="ignore"):  # a zero weight is allowed: log 0 = -inf
                logw = np.log(weights)
        half_logdet_prec = np.log(np.abs(np.diagonal(W, axis1=1, axis2=2))).sum(axis=1)
        self.const = (logw + half_logdet_prec - 0.5 * d * _LOG_2PI)[:, None]  # (K, 1)
        self.W, self.m = W, means - shift
        self._B = None

    def _expanded(self):
        """Coefficients ``B`` (K, 1 + d + d(d+1)/2) of the expanded E-step, and its error scale.

        With ``y = x - shift``, ``m_k = mu_k - shift`` and ``P_k = W_k^T W_k``,
        ``log pi_k N(x | mu_k, Sigma_k) = const_k - m_k^T P_k m_k / 2 + (P_k m_k)^T y
        - sum_a P_aa y_a^2 / 2 - sum_{a<b} P_ab y_a y_b``: one row of ``B`` against
        the features ``[y; 1; y_a y_b (a <= b)]`` the M-step forms anyway.
        """
        if self._B is None:
            K, d, W, m = self.K, self.d, self.W, self.m
            P = np.matmul(np.swapaxes(W, 1, 2), W)
            Wm = np.matmul(W, m[:, :, None])[:, :, 0]
            B = np.empty((K, d + 1 + d * (d + 1) // 2))
            B[:, :d] = np.matmul(np.swapaxes(W, 1, 2), Wm[:, :, None])[:, :, 0]   # P_k m_k
            B[:, d] = self.const[:, 0] - 0.5 * (Wm ** 2).sum(axis=1)
            iu, diag = _triu(d)
            B[:, d + 1:] = -P[:, iu[0], iu[1]]
            diag = d + 1 + diag
            B[:, diag] *= 0.5
            # |y|^T |W|^T |W| |y| bounds every term's size: rounding <= (n + 2) eps times
            # rho_k (||y|| + ||m_k||)^2, rho_k the spectral norm of |W_k|^T |W_k|
            absW = np.abs(W)
            rho = np.linalg.norm(np.matmul(np.swapaxes(absW, 1, 2), absW), 2, axis=(1, 2))
            self._B = (B, rho, np.sqrt((m ** 2).sum(axis=1)),
                       np.flatnonzero(np.isneginf(self.const[:, 0])), diag)
        return self._B

    def buffers(self, c, with_quadratic):
        d = self.d
        n_feat = d + 1 + (d * (d + 1) // 2 if with_quadratic else 0)
        F = np.empty((n_feat, c))  # rows: x - shift (d), ones (1), products (d(d+1)/2)
        F[d] = 1.0
        # the expanded E-step needs (K, c) log-densities and, for a component it
        # cannot take, one component's (d, c) residuals; the other path (K d, c)
        Y = np.empty((self.K + d, c)) if with_quadratic else np.empty((self.K * d, c))
        return F, Y

    def block(self, Xb, F, Y, with_quadratic, entropy=None, sum_only=False):
        """E-step on rows ``Xb`` (c, d). Returns (resp (K, c) view, log p(x_i) (c,)).

        With ``sum_only``, the second value is the float :math:`\\sum_i \\log p(x_i)`
        instead: the row sums of the shifted exponentials lie in ``[1, K]``, so the
        logarithm of their products over groups of ``_log_group(K)`` rows cannot
        overflow, and one ``log`` per group replaces one per row (rounding: about
        ``group * eps`` per group in the sum).

        With ``entropy`` (a one-element array), :math:`\\sum_{ik}\\gamma_{ik}\\log\\gamma_{ik}`
        over the block is added to ``entropy[0]`` (the variational lower bound needs it).
        """
        K, d = self.K, self.d
        c = Xb.shape[0]
        Fb = F[:, :c]
        np.subtract(Xb.T, self.shift[:, None], out=Fb[:d])
        if with_quadratic:
            r = d + 1
            for a in range(d):
                np.multiply(Fb[a], Fb[a:d], out=Fb[r:r + d - a])
                r += d - a
        if with_quadratic:
            logp = self._expanded_block(Fb, Y, c)
        else:
            y = Y[:, :c]
            np.matmul(self.A, Fb[:d + 1], out=y)      # whitened residuals, all components
            np.square(y, out=y)
            logp = y.reshape(K, d, c).sum(axis=1)     # squared Mahalanobis distances (K, c)
            logp *= -0.5
            logp += self.const                        # log pi_k + log N(x | mu_k, Sigma_k)
        top = logp.max(axis=0)                        # fused log-sum-exp over k
        logp -= top
        shifted = logp.copy() if entropy is not None else None
        np.exp(logp, out=logp)
        total = logp.sum(axis=0)
        logp *= 1.0 / total                           # responsibilities gamma_ik
        if sum_only:
            products = np.multiply.reduceat(total, np.arange(0, c, _log_group(K)))
            log_px = np.log(products)
        else:
            log_px = np.log(total)
        if entropy is not None:
            # log gamma_ik = shifted_ik - log total_i and sum_k gamma_ik = 1
            # (a zero gamma_ik contributes 0, whatever its log)
            entropy[0] += float(np.sum(logp * np.where(logp > 0, shifted, 0.0))
                                - log_px.sum())
        if sum_only:
            return logp, float(log_px.sum() + top.sum())
        log_px += top
        return logp, log_px

    def _expanded_block(self, Fb, Y, c):
        """``log pi_k N(x_i | mu_k, Sigma_k)`` (K, c) from the features ``Fb`` by one product.

        The expanded quadratic form (:meth:`_expanded`) costs ``2 (1 + d + d(d+1)/2)``
        flop per sample and component instead of the whitened residuals'
        ``2 d (d + 1)`` plus squares, and works on (K, c) instead of (K d, c)
        arrays.  Its rounding is bounded by ``(n + 2) eps rho_k (R + ||m_k||)^2``
        with ``R^2 = sum_a max_i y_ia^2`` over the block; a component above
        ``_EXPANDED_LIMIT`` (ill-conditioned, or far from ``shift`` in whitened
        units) is recomputed by the exact whitened residuals, as is a component
        with zero weight (its ``-inf`` must not meet a ``+inf``).
        """
        K, d = self.K, self.d
        B, rho, mnorm, dead, diag = self._expanded()
        logp = np.matmul(B, Fb, out=Y[:K, :c] if c == Y.shape[1] else None)
        R = np.sqrt(Fb[diag].max(axis=1).sum())
        exact = rho * (R + mnorm) ** 2 > _EXPANDED_LIMIT
        exact[dead] = True
        if exact.any():
            for k in np.flatnonzero(exact):
                y = Y[K:, :c]
                np.matmul(self.A[k * d:(k + 1) * d], Fb[:d + 1], out=y)
                np.square(y, out=y)
                row = y.sum(axis=0)
                row *= -0.5
                row += self.const[k]
                logp[k] = row
        return logp


def _log_group(K):
    """Rows whose row sums (each in ``[1, K]``) multiply to at most ``1e250``."""
    return max(1, int(250 * np.log(10.0) / np.log(max(K, 2))))


def _blocks(N, c):
    for start in range(0, N, c):
        yield start, min(N, start + c)


def _no_nan(values, what):
    if np.isnan(values).any():
        raise ValueError(f"{what} is NaN: the data or parameters are out of float64 range")


def _e_step_pass(X, weights, means, W, want_resp, log_weights=None):
    """Per-sample log-likelihoods ``(N,)`` and (optionally) the ``(N, K)`` responsibilities.

    ``log_weights`` (K,), if given, replaces ``log(weights)`` in every component's
    log-density (the variational E-step's expected log-weights and log-determinants).
    """
    N = X.shape[0]
    K, d = means.shape
    eng = _Engine(weights, means, W, X.mean(axis=0), log_weights)
    c = min(N, _chunk_size(K, d))
    F, Y = eng.buffers(c, with_quadratic=False)
    resp = np.empty((N, K)) if want_resp else None
    log_px_all = np.empty(N)
    for s, e in _blocks(N, c):
        r, lp = eng.block(X[s:e], F, Y, with_quadratic=False)
        log_px_all[s:e] = lp
        if want_resp:
            resp[s:e] = r.T
    _no_nan(log_px_all, "the log-likelihood")
    return log_px_all, resp


def _em_iteration(X, weights, means, W, reg_covar, shift, log_weights=None, entropy=None):
    """One fused EM iteration from parameters with whitening matrices ``W``.

    Returns ``(new_weights, new_means, new_covariances, total_log_likelihood, nk)``;
    the log-likelihood is at the *input* parameters (what the E-step computes),
    exactly as scikit-learn's ``lower_bound_``; ``nk`` includes the ``10 eps``.

    The variational Bayesian mixture (:class:`mlhwlib.gmm.BayesianGaussianMixture`)
    runs this same pass: ``log_weights`` (K,) replaces ``log(weights)`` in the
    E-step (it carries :math:`E[\\log\\pi_k]` and the expected log-determinant and
    trace terms), the returned means and covariances are then the sufficient
    statistics :math:`\\bar x_k` and :math:`S_k` (+ ``reg_covar``), and ``entropy``
    (a one-element array) accumulates :math:`\\sum_{ik}\\gamma_{ik}\\log\\gamma_{ik}`.

    As in scikit-learn the new mean is :math:`\\sum_i\\gamma_{ik}x_i/(N_k + 10\\epsilon)`,
    so an empty component gets the mean 0 and the covariance ``reg_covar * I``.
    The covariance uses the one-pass formula about ``shift`` unless
    :math:`\\lVert\\mu_k - \\text{shift}\\rVert^2 / \\lambda_{\\min}(\\Sigma_k)` exceeds
    ``_CANCELLATION_LIMIT`` (or the one-pass result is not positive definite),
    in which case the exact two-pass sum is used for that component.
    """
    N, d = X.shape
    K = means.shape[0]
    eng = _Engine(weights, means, W, shift, log_weights)
    c = min(N, _chunk_size(K, d, expanded=True))
    F, Y = eng.buffers(c, with_quadratic=True)
    stats = np.zeros((K, F.shape[0]))  # [sum r (x-s) | N_k | sum r (x-s)_a (x-s)_b]
    total = 0.0
    for s, e in _blocks(N, c):
        r, lp = eng.block(X[s:e], F, Y, with_quadratic=True, entropy=entropy, sum_only=True)
        stats += r @ F[:, :e - s].T               # all M-step sums in one product
        total += lp
    _no_nan(np.array([total]), "the log-likelihood")
    a = stats[:, :d]                                  # sum_i r_ik (x_i - s)
    n_raw = stats[:, d]
    nk = n_raw + _NK_EPS
    new_means = (a + n_raw[:, None] * shift) / nk[:, None]   # scikit-learn's convention
    dm = new_means - shift
    second = np.empty((K, d, d))
    iu, _ = _triu(d)
    second[:, iu[0], iu[1]] = stats[:, d + 1:]
    second[:, iu[1], iu[0]] = stats[:, d + 1:]
    # sum r (x - mu)(x - mu)^T = S2 - a dm^T - dm a^T + N_k dm dm^T  (one pass)
    outer_a = a[:, :, None] * dm[:, None, :]
    covariances = (second - outer_a - np.swapaxes(outer_a, 1, 2)
                   + n_raw[:, None, None] * dm[:, :, None] * dm[:, None, :]) / nk[:, None, None]
    lam_min = np.linalg.eigvalsh(covariances)[:, 0]
    far = (dm ** 2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(lam_min > 0, far / np.where(lam_min > 0, lam_min, 1.0), np.inf)
    bad = np.flatnonzero((ratio > _CANCELLATION_LIMIT) & (n_raw > 0))
    if bad.size:
        covariances[bad] = _two_pass_covariances(X, eng, new_means, bad, nk)
    covariances[:, np.arange(d), np.arange(d)] += reg_covar
    new_weights = nk / nk.sum()
    return new_weights, new_means, covariances, total, nk


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


def _prepare(X, weights, means, covariances):
    weights, means, covariances, chol = _check_params(weights, means, covariances)
    X = _check_X(X, means.shape[1])
    _check_scale(means, "means", centre=X.mean(axis=0), n=X.shape[0])
    return X, weights, means, covariances, _whiteners(chol)


# ---------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------

def log_likelihood(X, weights, means, covariances):
    """Total log-likelihood :math:`\\sum_i \\log \\sum_k \\pi_k \\mathcal N(x_i \\mid \\mu_k, \\Sigma_k)`.

    Derived in :ref:`gmm-model`.

    Parameters
    ----------
    X : array_like, shape (N, d)
    weights : array_like, shape (K,)
        Non-negative, summing to 1.
    means : array_like, shape (K, d)
    covariances : array_like, shape (K, d, d)
        Symmetric positive definite.

    Returns
    -------
    float
        The sum over samples (not the mean; ``GaussianMixture.score`` is the mean).
    """
    with _one_blas_thread():
        X, weights, means, _, W = _prepare(X, weights, means, covariances)
        log_px, _ = _e_step_pass(X, weights, means, W, want_resp=False)
    return float(log_px.sum())


def responsibilities(X, weights, means, covariances):
    """E-step: :math:`\\gamma_{ik} = \\pi_k \\mathcal N(x_i|\\mu_k,\\Sigma_k) / \\sum_j \\pi_j \\mathcal N(x_i|\\mu_j,\\Sigma_j)`.

    Derived in :ref:`gmm-estep`.  Computed from log densities with log-sum-exp,
    so rows sum to 1 even far from every component.

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
        X, weights, means, _, W = _prepare(X, weights, means, covariances)
        _, resp = _e_step_pass(X, weights, means, W, want_resp=True)
    return resp


def em_step(X, weights, means, covariances, reg_covar=0.0):
    """One EM iteration: E-step at the given parameters, then the closed-form M-step.

    Derived in :ref:`gmm-estep` and :ref:`gmm-mstep`:

    .. math::

        N_k &= \\sum_i \\gamma_{ik},\\quad \\pi_k = N_k / N,\\quad
        \\mu_k = \\frac{1}{N_k}\\sum_i \\gamma_{ik} x_i,

        \\Sigma_k &= \\frac{1}{N_k}\\sum_i \\gamma_{ik}(x_i-\\mu_k)(x_i-\\mu_k)^\\top + r I.

    As in scikit-learn, ``N_k`` is increased by ``10 * eps`` before dividing (an
    empty component then gets mean 0 and covariance ``r I`` instead of 0/0), and
    ``reg_covar`` ``r`` is added to each covariance's diagonal.  With ``r > 0``
    this is *not* the maximiser of :math:`Q`, and the log-likelihood may
    decrease (:ref:`gmm-reg-covar`); :func:`mlhwlib.gmm.map_em_step` is the
    principled alternative.

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
        X, weights, means, _, W = _prepare(X, weights, means, covariances)
        w, m, c, _, _ = _em_iteration(X, weights, means, W, reg, X.mean(axis=0))
    return w, m, c
