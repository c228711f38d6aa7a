"""Gaussian mixtures fitted by expectation–maximisation (EM), full covariances.

Derived in the chapter :ref:`gmm_em`.  This module holds the scikit-learn
estimator :class:`GaussianMixture`; the free functions are defined in
the private modules ``mlhwlib._gmm_core`` (plain EM) and ``mlhwlib._gmm_map``
(MAP-EM with an inverse-Wishart prior) and belong to this module's public API.

Shapes used throughout: ``X`` is ``(N, d)`` (one sample per row), ``weights``
is ``(K,)``, ``means`` is ``(K, d)``, ``covariances`` is ``(K, d, d)``.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.cluster import KMeans, kmeans_plusplus
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._gmm_core import (_check_params, _check_scale, _check_symmetric, _e_step_pass,
                       _em_iteration, _NK_EPS, _one_blas_thread, _whiteners, em_step,
                       log_likelihood, responsibilities)
from ._gmm_map import inverse_wishart_logpdf, log_posterior, map_em_step
from .numerics import as_float_array, as_int

__all__ = [
    "log_likelihood",
    "responsibilities",
    "em_step",
    "map_em_step",
    "log_posterior",
    "inverse_wishart_logpdf",
    "GaussianMixture",
]

for _f in (log_likelihood, responsibilities, em_step, map_em_step, log_posterior,
           inverse_wishart_logpdf):
    _f.__module__ = __name__   # documented (and tested) as mlhwlib.gmm.<name>
del _f


def _validate(est, X, **kw):
    """scikit-learn's ``validate_data``, after rejecting text with a TypeError naming ``X``."""
    dtype = getattr(X, "dtype", None)
    if dtype is None and not hasattr(X, "dtypes"):      # lists (data frames: per column)
        dtype = np.asarray(X).dtype
    if dtype is not None and np.dtype(dtype).kind in "US":
        raise TypeError(f"X must be a numeric array, got dtype {np.dtype(dtype)}")
    return validate_data(est, X, dtype=np.float64, **kw)


def _m_step_from_resp(X, resp, reg_covar):
    """scikit-learn's initial M-step from (hard) responsibilities ``(N, K)``."""
    nk = resp.sum(axis=0) + _NK_EPS
    means = resp.T @ X / nk[:, None]
    d = X.shape[1]
    covs = np.empty((resp.shape[1], d, d))
    for k in range(resp.shape[1]):
        diff = X - means[k]
        covs[k] = (resp[:, k] * diff.T) @ diff / nk[k]
        covs[k].flat[:: d + 1] += reg_covar
    # Normalised to sum to one.  scikit-learn uses nk / N: for "kmeans" and "random"
    # (every row's responsibilities sum to one) that differs by about K * 10 eps / N;
    # for "k-means++" only the K seed rows have a responsibility, so scikit-learn's
    # weights sum to K / N and its first lower bound is ours + log(K / N).  From the
    # second iteration on the values agree (the E-step normalises the responsibilities).
    return nk / nk.sum(), means, covs


class GaussianMixture(DensityMixin, BaseEstimator):
    """Full-covariance Gaussian mixture fitted by EM, a scikit-learn estimator.

    Derived in :ref:`gmm_em`.  Only ``covariance_type="full"`` exists here (the
    other types are exercises of the chapter).  The loop follows scikit-learn
    exactly: each iteration runs the E-step (whose mean log-likelihood becomes
    ``lower_bound_``) and then the M-step; it stops when two successive values
    differ by less than ``tol``.  From the same initial parameters (or the same
    ``random_state`` with ``init_params`` other than ``"random_from_data"``) the
    fitted parameters equal scikit-learn's (tested to ``1e-8``).

    Parameters
    ----------
    n_components : int, default 1
        Number of components ``K`` (at most the number of samples).
    tol : float, default 1e-3
        Convergence threshold on the change of the mean log-likelihood.
    reg_covar : float, default 1e-6
        Added to each covariance's diagonal in every M-step.  With
        ``reg_covar > 0`` the step is not an exact M-step and the log-likelihood
        can decrease (:ref:`gmm-reg-covar`).
    max_iter : int, default 100
    n_init : int, default 1
        Number of initialisations; the one with the largest final
        ``lower_bound_`` is kept (:ref:`gmm-practical`).
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default "kmeans"
        How missing initial parameters are chosen.  ``"kmeans"``,
        ``"k-means++"`` and ``"random"`` are scikit-learn's (hard or random
        responsibilities, then one M-step).  ``"random_from_data"`` differs
        from scikit-learn's: the means are ``K`` *distinct points* of ``X``
        (not distinct row indices), the weights uniform and every covariance
        the sample covariance of ``X`` plus ``reg_covar * I``.
    weights_init : array_like, shape (K,), optional
    means_init : array_like, shape (K, d), optional
    precisions_init : array_like, shape (K, d, d), optional
        Initial inverse covariances, as in scikit-learn.
    covariances_init : array_like, shape (K, d, d), optional
        Initial covariances (give this or ``precisions_init``, not both).
    random_state : int, RandomState instance or None, default None
        Seed for the initialisation and for :meth:`sample`
        (:func:`sklearn.utils.check_random_state`).

    Attributes
    ----------
    weights_ : ndarray, shape (K,)
    means_ : ndarray, shape (K, d)
    covariances_ : ndarray, shape (K, d, d)
        May be edited after ``fit``: every method recomputes its Cholesky
        factors from it, and :attr:`precisions_` follows.
    precisions_ : ndarray, shape (K, d, d)
        ``inv(covariances_)``, computed from ``covariances_`` on access.
    precisions_cholesky_ : ndarray, shape (K, d, d)
        Upper-triangular ``U_k`` with ``U_k U_k^T = precisions_[k]``
        (scikit-learn's convention), computed from ``covariances_`` on access.
    converged_ : bool
    n_iter_ : int
    lower_bound_ : float
        Mean log-likelihood from the last iteration's E-step of the best run.
    lower_bounds_ : list of float
        The same quantity for every iteration of the best run.  It is
        non-decreasing for ``reg_covar = 0`` (EM's monotonicity) but not in
        general for ``reg_covar > 0``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names (a data frame).
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "reg_covar": [Interval(Real, 0.0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "init_params": [StrOptions({"kmeans", "k-means++", "random", "random_from_data"})],
        "weights_init": ["array-like", None],
        "means_init": ["array-like", None],
        "precisions_init": ["array-like", None],
        "covariances_init": ["array-like", None],
        "random_state": ["random_state"],
    }

    def __init__(self, n_components=1, *, tol=1e-3, reg_covar=1e-6, max_iter=100, n_init=1,
                 init_params="kmeans", weights_init=None, means_init=None,
                 precisions_init=None, covariances_init=None, random_state=None):
        self.n_components = n_components
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.covariances_init = covariances_init
        self.random_state = random_state

    # -- initialisation ------------------------------------------------------
    def _initial_parameters(self, X, random_state):
        """Initial ``(weights, means, W)`` with whitening matrices ``W``."""
        N, d = X.shape
        K = self.n_components
        resp = None
        given = (self.weights_init is not None and self.means_init is not None
                 and (self.precisions_init is not None or self.covariances_init is not None))
        if given:
            # every parameter is given: the initialisation would be computed and
            # discarded (scikit-learn runs k-means here anyway; the fit is the same)
            weights = means = covs = None
        elif self.init_params == "kmeans":
            resp = np.zeros((N, K))
            label = KMeans(n_clusters=K, n_init=1, random_state=random_state).fit(X).labels_
            resp[np.arange(N), label] = 1
        elif self.init_params == "k-means++":
            resp = np.zeros((N, K))
            _, idx = kmeans_plusplus(X, K, random_state=random_state)
            resp[idx, np.arange(K)] = 1
        elif self.init_params == "random":
            resp = random_state.uniform(size=(N, K))
            resp /= resp.sum(axis=1)[:, None]
        if resp is not None:
            weights, means, covs = _m_step_from_resp(X, resp, self.reg_covar)
        elif not given:  # random_from_data: K distinct points
            points = np.unique(X, axis=0)
            if len(points) < K:
                raise ValueError(f"init_params='random_from_data' needs n_components = {K} "
                                 f"distinct points, X has only {len(points)}")
            means = points[np.sort(random_state.choice(len(points), size=K, replace=False))]
            weights = np.full(K, 1.0 / K)
            cov = np.atleast_2d(np.cov(X, rowvar=False, bias=True)) + self.reg_covar * np.eye(d)
            covs = np.repeat(cov[None], K, axis=0)
        weights = weights if self.weights_init is None else self.weights_init
        means = means if self.means_init is None else self.means_init
        try:
            if self.precisions_init is not None:
                P = as_float_array(self.precisions_init, "precisions", ndim=3, shape=(K, d, d))
                _check_symmetric(P, "precisions")
                try:
                    U = np.linalg.cholesky(P)             # P = U U^T, so W = U^T
                except np.linalg.LinAlgError:
                    raise ValueError("precisions must be positive definite") from None
                C = np.linalg.inv(P)
                weights, means, _, _ = _check_params(weights, means,
                                                     0.5 * (C + np.swapaxes(C, 1, 2)), d)
                return weights, means, np.swapaxes(U, 1, 2)
            if self.covariances_init is not None:
                covs = self.covariances_init
            weights, means, _, chol = _check_params(weights, means, covs, d)
        except ValueError as err:  # say which constructor argument was wrong
            raise ValueError(f"initial parameters: {err}") from None
        return weights, means, _whiteners(chol)

    # -- fitting -------------------------------------------------------------
    def fit(self, X, y=None):
        """Run EM on ``X`` (N, d) ``n_init`` times; keep the best run; return ``self``.

        ``y`` is ignored (present for the scikit-learn API).  Warns with
        :class:`~sklearn.exceptions.ConvergenceWarning` when the best run
        stopped at ``max_iter`` before reaching ``tol``.
        """
        self._fit(X)
        return self

    def fit_predict(self, X, y=None):
        """Fit as :meth:`fit`, then return the most responsible component of each row.

        The labels come from one more E-step at the fitted parameters (as in
        scikit-learn), so they equal ``fit(X).predict(X)``.
        """
        X = self._fit(X)
        return self._evaluate(X, want_resp=True, validated=True)[1].argmax(axis=1)

    def _fit(self, X):
        """EM ``n_init`` times, the best run kept; returns the validated ``X``."""
        self._validate_params()
        if self.precisions_init is not None and self.covariances_init is not None:
            raise ValueError("give precisions_init or covariances_init, not both")
        X = _validate(self, X, ensure_min_samples=2)
        N, d = X.shape
        if N < self.n_components:
            raise ValueError(f"Expected n_samples >= n_components but got n_components = "
                             f"{self.n_components}, n_samples = {N}")
        _check_scale(X, "X", centre=X.mean(axis=0))
        random_state = check_random_state(self.random_state)
        shift = X.mean(axis=0)
        best = None
        with _one_blas_thread():
            for _ in range(self.n_init):
                weights, means, W = self._initial_parameters(X, random_state)
                lower_bound, bounds, converged = -np.inf, [], False
                for n_iter in range(1, self.max_iter + 1):
                    prev = lower_bound
                    weights, means, covs, total, _ = _em_iteration(
                        X, weights, means, W, self.reg_covar, shift)
                    lower_bound = total / N
                    bounds.append(float(lower_bound))
                    W = _whiteners(self._cholesky(covs))
                    if abs(lower_bound - prev) < self.tol:
                        converged = True
                        break
                if best is None or lower_bound > best[0]:
                    best = (lower_bound, weights, means, covs, n_iter, bounds, converged)
        lower_bound, weights, means, covs, n_iter, bounds, converged = best
        if not converged:
            warnings.warn("Best performing initialization did not converge: increase "
                          "max_iter or tol, try other initial parameters, or check for "
                          "degenerate data.", ConvergenceWarning, stacklevel=3)
        self.weights_, self.means_, self.covariances_ = weights, means, covs
        self.converged_ = converged
        self.n_iter_ = n_iter
        self.lower_bound_ = float(lower_bound)
        self.lower_bounds_ = bounds
        return X

    @staticmethod
    def _cholesky(covs):
        from ._gmm_core import _cholesky_all
        return _cholesky_all(covs, name="covariances_")

    # -- fitted state derived from covariances_ -----------------------------
    @property
    def precisions_cholesky_(self):
        check_is_fitted(self)
        return np.swapaxes(_whiteners(self._cholesky(self.covariances_)), 1, 2)

    @property
    def precisions_(self):
        U = self.precisions_cholesky_
        return U @ np.swapaxes(U, 1, 2)

    # -- using the fitted model -------------------------------------------
    def _evaluate(self, X, want_resp, validated=False):
        """One E-step pass of the fitted model: ``(log p(x_i), responsibilities)``."""
        check_is_fitted(self)
        if not validated:
            X = _validate(self, X, reset=False)
            _check_scale(X, "X", centre=self.means_.mean(axis=0))
        with _one_blas_thread():
            weights, means, _, chol = _check_params(self.weights_, self.means_,
                                                    self.covariances_, X.shape[1])
            return _e_step_pass(X, weights, means, _whiteners(chol), want_resp=want_resp)

    def score_samples(self, X):
        """Log-density :math:`\\log p(x_i)` of each row of ``X``; shape (N,)."""
        return self._evaluate(X, want_resp=False)[0]

    def score(self, X, y=None):
        """Mean log-likelihood per sample (as scikit-learn's ``score``); ``y`` is ignored."""
        return float(self.score_samples(X).mean())

    def predict_proba(self, X):
        """Responsibilities of the fitted components; shape (N, K)."""
        return self._evaluate(X, want_resp=True)[1]

    def predict(self, X):
        """Most responsible component of each row; shape (N,), integers in [0, K)."""
        return self.predict_proba(X).argmax(axis=1)

    def _n_parameters(self):
        K, d = self.means_.shape
        return int(K * d * (d + 1) // 2 + K * d + K - 1)

    def bic(self, X):
        """Bayesian information criterion :math:`-2\\ell + p\\log N` on ``X`` (lower is better).

        ``p = K d(d+1)/2 + K d + K - 1`` free parameters; see :ref:`gmm-practical`.
        """
        check_is_fitted(self)
        X = _validate(self, X, reset=False)
        return -2.0 * self.score(X) * X.shape[0] + self._n_parameters() * math.log(X.shape[0])

    def aic(self, X):
        """Akaike information criterion :math:`-2\\ell + 2p` on ``X`` (lower is better)."""
        check_is_fitted(self)
        X = _validate(self, X, reset=False)
        return -2.0 * self.score(X) * X.shape[0] + 2.0 * self._n_parameters()

    def sample(self, n_samples=1):
        """Draw ``n_samples`` points; returns ``(X, labels)`` grouped by component.

        Uses ``check_random_state(random_state)`` afresh on every call (so an
        integer ``random_state`` gives the same sample each time, as in
        scikit-learn).
        """
        check_is_fitted(self)
        n = as_int(n_samples, "n_samples", minimum=1)
        rng = check_random_state(self.random_state)
        counts = rng.multinomial(n, self.weights_ / self.weights_.sum())
        chol = self._cholesky(self.covariances_)
        d = self.means_.shape[1]
        parts = [self.means_[k] + rng.standard_normal((m, d)) @ chol[k].T
                 for k, m in enumerate(counts)]
        labels = np.repeat(np.arange(len(counts)), counts)
        return np.concatenate(parts, axis=0), labels
