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
from scipy.special import betaln, digamma, gammaln
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.cluster import KMeans, kmeans_plusplus
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._gmm_core import (
    _NK_EPS,
    _check_params,
    _check_scale,
    _check_symmetric,
    _cholesky_all,
    _e_step_pass,
    _em_iteration,
    _one_blas_thread,
    _prepare,
    _whiteners,
    em_step,
    log_likelihood,
    responsibilities,
)
from ._gmm_map import inverse_wishart_logpdf, log_posterior, map_em_step
from .numerics import as_float_array, as_int

__all__ = [
    "log_likelihood",
    "responsibilities",
    "em_step",
    "map_em_step",
    "log_posterior",
    "inverse_wishart_logpdf",
    "louis_information",
    "GaussianMixture",
    "BayesianGaussianMixture",
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
    """scikit-learn's initial M-step from (hard) responsibilities ``(N, K)``.

    The formulas of :func:`em_step`'s M-step (``N_k`` with the ``10 eps``, means,
    covariances + ``reg_covar``), for responsibilities given instead of computed.
    The EM iterations run the fused, blocked copy in ``_gmm_core._em_iteration``
    (the hot path, kept separate for speed; it uses the one-pass covariance with
    a two-pass fallback), so a change to the M-step must be made in both.
    """
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


def _initial_resp(X, K, init_params, random_state):
    """scikit-learn's initial responsibilities ``(N, K)`` for ``init_params`` (all four kinds)."""
    N = X.shape[0]
    if init_params == "random":
        resp = random_state.uniform(size=(N, K))
        return resp / resp.sum(axis=1)[:, None]
    resp = np.zeros((N, K))
    if init_params == "kmeans":
        label = KMeans(n_clusters=K, n_init=1, random_state=random_state).fit(X).labels_
        resp[np.arange(N), label] = 1
    elif init_params == "k-means++":
        _, idx = kmeans_plusplus(X, K, random_state=random_state)
        resp[idx, np.arange(K)] = 1
    else:  # random_from_data: K distinct rows (scikit-learn's rule, rows may be equal)
        resp[random_state.choice(N, size=K, replace=False), np.arange(K)] = 1
    return resp


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
    accelerate : {None, "squarem"}, default None
        ``None`` runs plain EM (scikit-learn's loop, unchanged).  ``"squarem"``
        runs SQUAREM (Varadhan & Roland 2008, step length SqS3): from
        ``theta_0`` two EM steps give ``theta_1, theta_2``; with
        ``r = theta_1 - theta_0``, ``v = theta_2 - 2 theta_1 + theta_0`` and
        ``alpha = -max(1, |r| / |v|)`` the extrapolation is
        ``theta_0 - 2 alpha r + alpha^2 v`` (``alpha = -1`` gives ``theta_2``),
        on the vector of weights, means and covariances.  As in the authors'
        ``SQUAREM`` package, ``|alpha|`` is capped by a bound that starts at 1,
        is multiplied by 4 when a step at the bound succeeds and divided by 4
        (not below 1) when it is rejected.  If the point is not
        a valid parameter (a weight <= 0 or a covariance not positive
        definite) ``alpha`` is moved halfway to ``-1``, up to ten times, and
        then ``theta_2`` is used.  One EM step from the extrapolation follows;
        its E-step gives the log-likelihood at the extrapolation, and if that
        is below the log-likelihood at ``theta_1`` the extrapolation is
        rejected and EM continues from ``theta_2`` (the monotonicity
        safeguard).  ``n_iter_`` then counts E-steps (rejected ones included)
        and ``lower_bounds_`` holds the accepted values only, non-decreasing
        for ``reg_covar = 0``.  The stopping rule on ``tol`` is the same.

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
        general for ``reg_covar > 0``.  With ``accelerate="squarem"``
        it holds the accepted values only (rejected extrapolations are
        counted in ``n_iter_`` but not listed).
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
        "accelerate": [StrOptions({"squarem"}), None],
    }

    def __init__(self, n_components=1, *, tol=1e-3, reg_covar=1e-6, max_iter=100, n_init=1,
                 init_params="kmeans", weights_init=None, means_init=None,
                 precisions_init=None, covariances_init=None, random_state=None,
                 accelerate=None):
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
        self.accelerate = accelerate

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
        elif self.init_params != "random_from_data":   # scikit-learn's rule for these
            resp = _initial_resp(X, K, self.init_params, random_state)
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
                U = _cholesky_all(P, "precisions", advice="")  # P = U U^T, so W = U^T
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
                if self.accelerate == "squarem":
                    run = self._squarem_run(X, weights, means, W, shift)
                    if best is None or run[0] > best[0]:
                        best = run
                    continue
                lower_bound, bounds, converged = -np.inf, [], False
                for n_iter in range(1, self.max_iter + 1):  # noqa: B007 (read after the loop)
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

    def _squarem_run(self, X, weights, means, W, shift):
        """One SQUAREM run (see ``accelerate``); returns the tuple ``_fit`` keeps."""
        N, d = X.shape
        bounds, n_eval = [], 0

        def em(w, m, Wh):
            nonlocal n_eval
            n_eval += 1
            w1, m1, c1, total, _ = _em_iteration(X, w, m, Wh, self.reg_covar, shift)
            return w1, m1, c1, float(total / N)

        def record(value):
            """Append an accepted value; True when the run stops (tol or max_iter)."""
            bounds.append(value)
            done = len(bounds) >= 2 and abs(bounds[-1] - bounds[-2]) < self.tol
            return done, done or n_eval >= self.max_iter

        def pack(w, m, c, converged):
            return (bounds[-1], w, m, c, n_eval, bounds, converged)

        L = np.linalg.inv(W)                  # W = L^{-1}, Sigma = L L^T
        c0 = L @ np.swapaxes(L, 1, 2)
        w0, m0, W0 = weights, means, W
        K = len(w0)
        flat = lambda w, m, c: np.concatenate([w, m.ravel(), c.ravel()])
        step_max = 1.0
        while True:
            w1, m1, c1, ll0 = em(w0, m0, W0)
            conv, stop = record(ll0)
            if stop:
                return pack(w1, m1, c1, conv)
            W1 = _whiteners(self._cholesky(c1))
            w2, m2, c2, ll1 = em(w1, m1, W1)
            conv, stop = record(ll1)
            if stop:
                return pack(w2, m2, c2, conv)
            x0, x1, x2 = flat(w0, m0, c0), flat(w1, m1, c1), flat(w2, m2, c2)
            r, v = x1 - x0, x2 - 2.0 * x1 + x0
            nv = float(np.sqrt(v @ v))
            ratio = float(np.sqrt(r @ r)) / nv if nv > 0 else 1.0
            alpha = -min(step_max, max(1.0, ratio))
            at_max = alpha == -step_max
            W_new = None
            for _ in range(10):
                if alpha == -1.0:
                    break
                x = x0 - 2.0 * alpha * r + alpha ** 2 * v
                w_x = x[:K]
                m_x = x[K:K + K * d].reshape(K, d)
                c_x = x[K + K * d:].reshape(K, d, d)
                c_x = 0.5 * (c_x + np.swapaxes(c_x, 1, 2))
                if np.all(w_x > 0) and np.all(np.isfinite(x)):
                    try:
                        W_new = _whiteners(np.linalg.cholesky(c_x))
                        break
                    except np.linalg.LinAlgError:
                        pass
                alpha = 0.5 * (alpha - 1.0)
            accepted = False
            if W_new is not None:
                w3, m3, c3, ll_x = em(w_x / w_x.sum(), m_x, W_new)
                accepted = ll_x >= ll1          # the monotonicity safeguard
                if accepted:
                    conv, stop = record(ll_x)
                elif n_eval >= self.max_iter:
                    return pack(w2, m2, c2, False)
            if at_max:      # the bound on |alpha| grows while it is met, shrinks when it fails
                step_max = step_max * 4.0 if accepted or alpha == -1.0 else max(1.0, step_max / 4.0)
            if not accepted:                    # plain EM from theta_2
                W2 = _whiteners(self._cholesky(c2))
                w3, m3, c3, ll2 = em(w2, m2, W2)
                conv, stop = record(ll2)
            if stop:
                return pack(w3, m3, c3, conv)
            w0, m0, c0 = w3, m3, c3
            W0 = _whiteners(self._cholesky(c3))

    @staticmethod
    def _cholesky(covs):
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

    # score, predict_proba, predict and sample serve both mixtures: the variational
    # one takes them over (its _evaluate gives its own rows' scores and responsibilities)
    def score(self, X, y=None):
        """Mean of :meth:`score_samples` over the rows (as scikit-learn's ``score``); ``y`` is ignored.

        For :class:`GaussianMixture` the mean log-likelihood per sample.
        """
        return float(self.score_samples(X).mean())

    def predict_proba(self, X):
        """Responsibilities of the fitted components; shape (N, K).

        For :class:`BayesianGaussianMixture` the variational responsibilities
        :math:`q(z_{ik} = 1)`.
        """
        return self._evaluate(X, want_resp=True)[1]

    def predict(self, X):
        """Most responsible component of each row; shape (N,), integers in [0, K)."""
        return self.predict_proba(X).argmax(axis=1)

    def standard_errors(self, X):
        r"""Standard errors of the free parameters from the observed information on ``X``.

        Derived in :ref:`gmm-em-rate`.  The observed information
        :math:`-\nabla^2\ell` at the fitted parameters is computed from
        complete-data quantities and the responsibilities by Louis' identity,
        :math:`I_c - I_m` (:func:`louis_information`), and the standard errors
        are the square roots of the diagonal of its inverse.  ``X`` should be
        the data the model was fitted to; the result is meaningful at a local
        maximum of the likelihood (with ``reg_covar > 0`` the fit is near one only
        while ``reg_covar`` is small against every covariance's smallest
        eigenvalue; a component collapsed onto ``reg_covar`` is not near one).

        Parameters
        ----------
        X : array_like, shape (N, d)

        Returns
        -------
        ndarray, shape (K - 1 + K d + K d (d + 1) / 2,)
            In the order of :func:`louis_information`: the weights
            :math:`\pi_1, \dots, \pi_{K-1}` (weights, not logits), then
            ``means_`` row by row, then for each component the entries
            ``covariances_[k][a, b]`` with ``a <= b`` (``np.triu_indices(d)``).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        ValueError
            When ``X`` has the wrong number of features, a fitted weight is 0,
            or the observed information is not positive definite (the
            parameters are not at a local maximum of the likelihood on ``X``).
        """
        check_is_fitted(self)
        X = _validate(self, X, reset=False)
        _check_scale(X, "X", centre=self.means_.mean(axis=0))
        Ic, Im = louis_information(X, self.weights_, self.means_, self.covariances_)
        obs = Ic - Im
        obs = 0.5 * (obs + obs.T)
        try:
            L = np.linalg.cholesky(obs)
        except np.linalg.LinAlgError:
            raise ValueError("the observed information on X is not positive definite: the "
                             "fitted parameters are not at a local maximum of the "
                             "likelihood of X (fit to convergence on the same X)") from None
        Linv = np.linalg.inv(L)
        return np.sqrt((Linv ** 2).sum(axis=0))

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
        """Draw ``n_samples`` points from ``weights_``, ``means_``, ``covariances_``; returns ``(X, labels)``.

        The labels are the components, the points grouped by component.

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


# ---------------------------------------------------------------------------
# variational Bayesian mixture
# ---------------------------------------------------------------------------

class BayesianGaussianMixture(DensityMixin, BaseEstimator):
    r"""Variational Bayesian Gaussian mixture (mean-field), a scikit-learn estimator.

    Derived in :ref:`gmm-variational`.  The prior is a Dirichlet
    (``"dirichlet_distribution"``) or a truncated stick-breaking Dirichlet
    process (``"dirichlet_process"``) on the weights and a Normal–Wishart
    prior on each component's mean and precision; the posterior is
    approximated by :math:`q(Z)\,q(\pi)\,\prod_k q(\mu_k, \Lambda_k)`.
    Each iteration is the EM pass of :class:`GaussianMixture` (the same
    fused E-step and sufficient statistics :math:`N_k, \bar x_k, S_k`), with
    :math:`\log\pi_k` and the log-density's normaliser replaced by their
    expectations under :math:`q`, followed by the conjugate updates of
    :math:`q(\pi)` and :math:`q(\mu_k, \Lambda_k)`.

    The parameters, their defaults and the loop are scikit-learn's
    (:class:`sklearn.mixture.BayesianGaussianMixture`): with the same data,
    parameters and ``random_state`` every fitted attribute equals
    scikit-learn's (tested to ``1e-8``) and ``n_iter_`` is the same.  Only
    ``covariance_type="full"`` exists; ``max_iter`` is at least 1, and there is
    no ``warm_start``/``verbose`` (as in :class:`GaussianMixture`).

    Parameters
    ----------
    n_components : int, default 1
        Number of components ``K`` (the truncation level for the Dirichlet process).
    covariance_type : {"full"}, default "full"
    tol : float, default 1e-3
        Convergence threshold on the change of the lower bound (not divided by ``N``).
    reg_covar : float, default 1e-6
        Added to the diagonal of every :math:`S_k`.
    max_iter : int, default 100
    n_init : int, default 1
        Number of initialisations; the run with the largest final lower bound is kept.
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default "kmeans"
        Initial responsibilities, exactly as scikit-learn (``"random_from_data"``
        puts each component on one randomly chosen row).
    weight_concentration_prior_type : {"dirichlet_process", "dirichlet_distribution"}, default "dirichlet_process"
    weight_concentration_prior : float > 0, optional
        :math:`\alpha_0`; default ``1 / n_components``.
    mean_precision_prior : float > 0, optional
        :math:`\beta_0`; default 1.
    mean_prior : array_like, shape (d,), optional
        :math:`m_0`; default the mean of ``X``.
    degrees_of_freedom_prior : float > d - 1, optional
        :math:`\nu_0`; default ``d``.
    covariance_prior : array_like, shape (d, d), optional
        :math:`W_0^{-1}`, symmetric positive definite; default the sample
        covariance of ``X`` (``ddof=1``).
    random_state : int, RandomState instance or None, default None

    Attributes
    ----------
    weights_ : ndarray, shape (K,)
        :math:`E_q[\pi_k]` (normalised).
    means_ : ndarray, shape (K, d)
        :math:`m_k`, the mean of :math:`q(\mu_k)`.
    covariances_ : ndarray, shape (K, d, d)
        :math:`W_k^{-1}/\nu_k`, so that ``inv(covariances_)`` is :math:`E_q[\Lambda_k]`.
    precisions_ : ndarray, shape (K, d, d)
        ``inv(covariances_)``, computed from ``covariances_`` on access.
    precisions_cholesky_ : ndarray, shape (K, d, d)
        Upper-triangular ``U_k`` with ``U_k U_k^T = precisions_[k]``, computed on access.
    weight_concentration_ : ndarray (K,) or tuple of two ndarrays (K,)
        The Dirichlet's :math:`\alpha_k`, or the Beta parameters of the sticks.
    mean_precision_ : ndarray, shape (K,)
        :math:`\beta_k`.
    degrees_of_freedom_ : ndarray, shape (K,)
        :math:`\nu_k`.
    weight_concentration_prior_, mean_precision_prior_, mean_prior_, degrees_of_freedom_prior_, covariance_prior_
        The priors used (defaults filled in).
    lower_bound_ : float
        The lower bound (up to a constant, scikit-learn's) after the last iteration of the best run.
    lower_bounds_ : list of float
        The same after every iteration of the best run.  With ``reg_covar = 0`` it
        never decreases (coordinate ascent on the ELBO, :ref:`gmm-variational`); the
        ridge makes the update of :math:`q(\mu_k, \Lambda_k)` inexact.
    converged_ : bool
    n_iter_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names (a data frame).
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "covariance_type": [StrOptions({"full"})],
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "reg_covar": [Interval(Real, 0.0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "init_params": [StrOptions({"kmeans", "k-means++", "random", "random_from_data"})],
        "weight_concentration_prior_type": [
            StrOptions({"dirichlet_process", "dirichlet_distribution"})],
        "weight_concentration_prior": [None, Interval(Real, 0.0, None, closed="neither")],
        "mean_precision_prior": [None, Interval(Real, 0.0, None, closed="neither")],
        "mean_prior": [None, "array-like"],
        "degrees_of_freedom_prior": [None, Interval(Real, 0.0, None, closed="neither")],
        "covariance_prior": [None, "array-like"],
        "random_state": ["random_state"],
    }

    def __init__(self, *, n_components=1, covariance_type="full", tol=1e-3, reg_covar=1e-6,
                 max_iter=100, n_init=1, init_params="kmeans",
                 weight_concentration_prior_type="dirichlet_process",
                 weight_concentration_prior=None, mean_precision_prior=None, mean_prior=None,
                 degrees_of_freedom_prior=None, covariance_prior=None, random_state=None):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weight_concentration_prior_type = weight_concentration_prior_type
        self.weight_concentration_prior = weight_concentration_prior
        self.mean_precision_prior = mean_precision_prior
        self.mean_prior = mean_prior
        self.degrees_of_freedom_prior = degrees_of_freedom_prior
        self.covariance_prior = covariance_prior
        self.random_state = random_state

    # -- priors --------------------------------------------------------------
    def _set_priors(self, X):
        N, d = X.shape
        K = self.n_components
        self.weight_concentration_prior_ = (1.0 / K if self.weight_concentration_prior is None
                                            else float(self.weight_concentration_prior))
        self.mean_precision_prior_ = (1.0 if self.mean_precision_prior is None
                                      else float(self.mean_precision_prior))
        if self.mean_prior is None:
            self.mean_prior_ = X.mean(axis=0)
        else:
            self.mean_prior_ = as_float_array(self.mean_prior, "mean_prior", ndim=1, shape=(d,))
            _check_scale(self.mean_prior_[None], "mean_prior", centre=X.mean(axis=0))
        if self.degrees_of_freedom_prior is None:
            self.degrees_of_freedom_prior_ = d
        elif self.degrees_of_freedom_prior > d - 1.0:
            self.degrees_of_freedom_prior_ = float(self.degrees_of_freedom_prior)
        else:
            raise ValueError(f"degrees_of_freedom_prior must be > d - 1 = {d - 1} (d = the "
                             f"number of features), got {self.degrees_of_freedom_prior!r}")
        if self.covariance_prior is None:
            self.covariance_prior_ = np.atleast_2d(np.cov(X.T))
        else:
            C = as_float_array(self.covariance_prior, "covariance_prior", ndim=2, shape=(d, d))
            _check_symmetric(C[None], "covariance_prior")
            _cholesky_all(C, "covariance_prior", advice="")
            self.covariance_prior_ = C

    # -- the variational updates ---------------------------------------------
    def _q_update(self, nk, xk, sk):
        """Conjugate updates of q(pi) and q(mu_k, Lambda_k) from ``N_k``, ``xbar_k``, ``S_k``."""
        a0, b0, m0 = self.weight_concentration_prior_, self.mean_precision_prior_, self.mean_prior_
        if self.weight_concentration_prior_type == "dirichlet_process":
            # stick k: Beta(1 + N_k, alpha_0 + sum_{j > k} N_j)
            conc = (1.0 + nk, a0 + np.hstack((np.cumsum(nk[::-1])[-2::-1], 0)))
        else:
            conc = a0 + nk
        beta = b0 + nk
        means = (b0 * m0 + nk[:, None] * xk) / beta[:, None]
        nu = self.degrees_of_freedom_prior_ + nk
        diff = xk - m0
        covs = (self.covariance_prior_ + nk[:, None, None] * sk
                + (nk * b0 / beta)[:, None, None] * diff[:, :, None] * diff[:, None, :])
        covs /= nu[:, None, None]          # W_k^{-1} / nu_k: E[Lambda_k] = inv(covs)
        W = _whiteners(self._cholesky(covs))
        return dict(weight_concentration_=conc, mean_precision_=beta, means_=means,
                    degrees_of_freedom_=nu, covariances_=covs, W=W)

    def _expected_log_terms(self, q):
        r"""Per-component constant of the variational E-step, in place of ``log pi_k``.

        :math:`E[\log\pi_k] + \tfrac12 E[\log|\Lambda_k|] - \tfrac12\log|\nu_k W_k|
        - \tfrac{d}{2\beta_k}`; the whitening matrices of ``covariances_`` supply
        :math:`\tfrac12\log|\nu_k W_k|` and :math:`\nu_k (x-m_k)^\top W_k (x-m_k)`.
        """
        conc, nu, beta = q["weight_concentration_"], q["degrees_of_freedom_"], q["mean_precision_"]
        d = q["means_"].shape[1]
        if self.weight_concentration_prior_type == "dirichlet_process":
            a, b = conc
            ds = digamma(a + b)
            e_log_pi = digamma(a) - ds + np.hstack((0, np.cumsum(digamma(b) - ds)[:-1]))
        else:
            e_log_pi = digamma(conc) - digamma(np.sum(conc))
        e_log_det = d * math.log(2.0) + digamma(0.5 * (nu - np.arange(d)[:, None])).sum(axis=0)
        return e_log_pi - 0.5 * d * np.log(nu) + 0.5 * (e_log_det - d / beta)

    def _lower_bound(self, q, sum_r_log_r):
        """scikit-learn's lower bound (the ELBO up to a constant) after an M-step."""
        d = q["means_"].shape[1]
        nu, beta = q["degrees_of_freedom_"], q["mean_precision_"]
        # log|chol(W_k)| = sum log diag(whitener of W_k^{-1}/nu_k) - d/2 log nu_k
        half_logdet = (np.log(np.abs(np.diagonal(q["W"], axis1=1, axis2=2))).sum(axis=1)
                       - 0.5 * d * np.log(nu))
        log_wishart = -(nu * half_logdet + nu * d * 0.5 * math.log(2.0)
                        + gammaln(0.5 * (nu - np.arange(d)[:, None])).sum(axis=0))
        conc = q["weight_concentration_"]
        if self.weight_concentration_prior_type == "dirichlet_process":
            log_norm_weight = -np.sum(betaln(conc[0], conc[1]))
        else:
            log_norm_weight = gammaln(np.sum(conc)) - np.sum(gammaln(conc))
        return float(-sum_r_log_r - np.sum(log_wishart) - log_norm_weight
                     - 0.5 * d * np.sum(np.log(beta)))

    # -- fitting -------------------------------------------------------------
    def fit(self, X, y=None):
        """Run variational EM on ``X`` (N, d) ``n_init`` times; keep the best run; return ``self``.

        ``y`` is ignored.  Warns with :class:`~sklearn.exceptions.ConvergenceWarning`
        when the best run stopped at ``max_iter`` before reaching ``tol``.
        """
        self._fit(X)
        return self

    def fit_predict(self, X, y=None):
        """Fit as :meth:`fit`, then return the most responsible component of each row."""
        X = self._fit(X)
        return self._evaluate(X, want_resp=True, validated=True)[1].argmax(axis=1)

    def _fit(self, X):
        self._validate_params()
        X = _validate(self, X, ensure_min_samples=2)
        N, d = X.shape
        K = self.n_components
        if N < K:
            raise ValueError(f"Expected n_samples >= n_components but got n_components = "
                             f"{K}, n_samples = {N}")
        _check_scale(X, "X", centre=X.mean(axis=0))
        self._set_priors(X)
        random_state = check_random_state(self.random_state)
        shift = X.mean(axis=0)
        best = None
        with _one_blas_thread():
            for _ in range(self.n_init):
                resp = _initial_resp(X, K, self.init_params, random_state)
                _, xk, sk = _m_step_from_resp(X, resp, self.reg_covar)
                q = self._q_update(resp.sum(axis=0) + _NK_EPS, xk, sk)
                lower_bound, bounds, converged = -np.inf, [], False
                for n_iter in range(1, self.max_iter + 1):  # noqa: B007 (read after the loop)
                    prev = lower_bound
                    sum_r_log_r = np.zeros(1)
                    # the EM pass of GaussianMixture with expected log-weights
                    _, xk, sk, _, nk = _em_iteration(
                        X, None, q["means_"], q["W"], self.reg_covar, shift,
                        log_weights=self._expected_log_terms(q), entropy=sum_r_log_r)
                    q = self._q_update(nk, xk, sk)
                    lower_bound = self._lower_bound(q, sum_r_log_r[0])
                    bounds.append(lower_bound)
                    if abs(lower_bound - prev) < self.tol:
                        converged = True
                        break
                if best is None or lower_bound > best[0]:
                    best = (lower_bound, q, n_iter, bounds, converged)
        lower_bound, q, n_iter, bounds, converged = best
        if not converged:
            warnings.warn("Best performing initialization did not converge: increase "
                          "max_iter or tol, try other initial parameters, or check for "
                          "degenerate data.", ConvergenceWarning, stacklevel=3)
        for name in ("weight_concentration_", "mean_precision_", "means_",
                     "degrees_of_freedom_", "covariances_"):
            setattr(self, name, q[name])
        conc = q["weight_concentration_"]
        if self.weight_concentration_prior_type == "dirichlet_process":
            total = conc[0] + conc[1]
            # E[pi_k] = E[v_k] prod_{j<k} E[1 - v_j]
            w = conc[0] / total * np.hstack((1, np.cumprod(conc[1] / total)[:-1]))
            self.weights_ = w / np.sum(w)
        else:
            self.weights_ = conc / np.sum(conc)
        self.converged_ = converged
        self.n_iter_ = n_iter
        self.lower_bound_ = float(lower_bound)
        self.lower_bounds_ = bounds
        return X

    _cholesky = staticmethod(GaussianMixture._cholesky)
    precisions_cholesky_ = GaussianMixture.precisions_cholesky_
    precisions_ = GaussianMixture.precisions_

    # -- using the fitted model -------------------------------------------
    def _evaluate(self, X, want_resp, validated=False):
        """One variational E-step pass: ``(log-normaliser of each row, responsibilities)``."""
        check_is_fitted(self)
        if not validated:
            X = _validate(self, X, reset=False)
            _check_scale(X, "X", centre=self.means_.mean(axis=0))
        q = dict(weight_concentration_=self.weight_concentration_,
                 degrees_of_freedom_=self.degrees_of_freedom_,
                 mean_precision_=self.mean_precision_, means_=self.means_)
        with _one_blas_thread():
            W = _whiteners(self._cholesky(self.covariances_))
            return _e_step_pass(X, None, self.means_, W, want_resp=want_resp,
                                log_weights=self._expected_log_terms(q))

    def score_samples(self, X):
        r"""scikit-learn's per-row score: log-sum-exp over k of the variational E-step's terms; shape (N,).

        This is :math:`\log\sum_k \exp(E_q[\log\pi_k + \log\mathcal N(x_i\mid\mu_k,\Lambda_k^{-1})])`,
        not a predictive density.
        """
        return self._evaluate(X, want_resp=False)[0]

    # the same methods as GaussianMixture's (one definition; _evaluate differs)
    score = GaussianMixture.score
    predict_proba = GaussianMixture.predict_proba
    predict = GaussianMixture.predict
    sample = GaussianMixture.sample


# ---------------------------------------------------------------------------
# observed information from complete-data quantities (Louis 1982)
# ---------------------------------------------------------------------------

def _free_layout(K, d):
    """Offsets of the free parameters: ``(n_params, mean offsets, covariance offsets)``."""
    m = d * (d + 1) // 2
    mu_off = [K - 1 + k * d for k in range(K)]
    cov_off = [K - 1 + K * d + k * m for k in range(K)]
    return K - 1 + K * d + K * m, mu_off, cov_off


def louis_information(X, weights, means, covariances):
    """Complete and missing information of a full-covariance mixture (Louis' identity).

    Derived in :ref:`gmm-em-rate`.  The free parameters, in this order, are

    1. the weights :math:`\\pi_1, \\dots, \\pi_{K-1}` (the weights themselves,
       not logits; :math:`\\pi_K = 1 - \\sum_{k<K}\\pi_k`);
    2. the means, component by component: ``means[0, 0], ..., means[0, d-1],
       means[1, 0], ...``;
    3. the covariances, component by component, each by its entries
       :math:`\\Sigma_k[a, b]` with :math:`a \\le b` in row-major order
       (``np.triu_indices(d)``), one variable per symmetric pair.

    With :math:`s_{ik}` the gradient of :math:`\\log \\pi_k + \\log\\mathcal N(x_i\\mid\\mu_k,\\Sigma_k)`
    (the complete-data score of sample ``i`` if :math:`z_i = k`) and :math:`H_{ik}`
    its Hessian, both in the free parameters,

    .. math::
        I_c = -\\sum_i\\sum_k \\gamma_{ik} H_{ik}, \\qquad
        I_m = \\sum_i \\Big(\\sum_k \\gamma_{ik} s_{ik}s_{ik}^\\top - \\bar s_i \\bar s_i^\\top\\Big),
        \\quad \\bar s_i = \\sum_k\\gamma_{ik}s_{ik},

    the expected complete-data information and the information in the
    labels' posterior.  Louis' identity: the observed information is
    :math:`-\\nabla^2\\ell = I_c - I_m` at *any* parameters; at a fixed point
    of EM, the Jacobian of the EM map is :math:`I_c^{-1} I_m`.

    Parameters
    ----------
    X : array_like, shape (N, d)
    weights : array_like, shape (K,)
        Positive (a zero weight is on the boundary, where no information matrix exists).
    means : array_like, shape (K, d)
    covariances : array_like, shape (K, d, d)

    Returns
    -------
    complete : ndarray, shape (p, p)
        :math:`I_c`, with ``p = K - 1 + K d + K d (d + 1) / 2``.
    missing : ndarray, shape (p, p)
        :math:`I_m`.
    """
    with _one_blas_thread():
        X, weights, means, covariances, W = _prepare(X, weights, means, covariances)
        if np.any(weights <= 0):
            raise ValueError("weights must all be > 0 for the information matrices "
                             f"(a zero weight is on the boundary), got {weights}")
        _, resp = _e_step_pass(X, weights, means, W, want_resp=True)
        return _louis(X, weights, means, W, resp)


def _louis(X, weights, means, W, resp):
    N, d = X.shape
    K = len(weights)
    p, mu_off, cov_off = _free_layout(K, d)
    iu, ju = np.triu_indices(d)
    m = len(iu)
    E = np.zeros((m, d, d))                     # basis of symmetric matrices
    E[np.arange(m), iu, ju] = 1.0
    E[np.arange(m), ju, iu] = 1.0
    half = np.where(iu == ju, 0.5, 1.0)         # d log N / d Sigma_ab = half (u_a u_b - P_ab)
    P = np.swapaxes(W, 1, 2) @ W                # precisions
    Ic = np.zeros((p, p))
    Im = np.zeros((p, p))
    Nk = resp.sum(axis=0)
    if K > 1:
        Ic[:K - 1, :K - 1] = np.diag(Nk[:K - 1] / weights[:K - 1] ** 2) + Nk[-1] / weights[-1] ** 2
    for k in range(K):
        g = resp[:, k]
        u = (X - means[k]) @ P[k]                                   # (N, d)
        a, s = mu_off[k], cov_off[k]
        Ic[a:a + d, a:a + d] = Nk[k] * P[k]
        ubar = g @ u
        PE = P[k] @ E                                               # (m, d, d)
        Ic[a:a + d, s:s + m] = (PE @ ubar).T                        # P E_q u, summed
        Ic[s:s + m, a:a + d] = Ic[a:a + d, s:s + m].T
        V = np.einsum("qab,ib->iqa", E, u)                          # E_q u_i
        tr = np.einsum("pab,qba->pq", PE, PE)                       # tr(P E_p P E_q)
        Ic[s:s + m, s:s + m] = (-0.5 * Nk[k] * tr
                                + np.einsum("i,ipa,ab,iqb->pq", g, V, P[k], V))
    c = min(N, 2048)
    for start in range(0, N, c):
        rows = slice(start, start + c)
        n = len(X[rows])
        S = np.zeros((n, K, p))                 # s_ik, the complete-data scores
        if K > 1:
            S[:, :, :K - 1] = np.eye(K)[:, :K - 1] / weights[:K - 1]
            S[:, K - 1, :K - 1] = -1.0 / weights[-1]
        for k in range(K):
            u = (X[rows] - means[k]) @ P[k]
            a, s = mu_off[k], cov_off[k]
            S[:, k, a:a + d] = u
            S[:, k, s:s + m] = half * (u[:, iu] * u[:, ju] - P[k][iu, ju])
        g = resp[rows]
        sbar = np.einsum("ik,ikp->ip", g, S)
        Im += np.einsum("ik,ikp,ikq->pq", g, S, S) - sbar.T @ sbar
    return Ic, 0.5 * (Im + Im.T)
