"""Multi-class AdaBoost derived from the multi-class exponential loss.

Every function here is derived in the chapter ``book/adaboost.ipynb``.  With
per-class scores :math:`g^k(x) = \\sum_t \\alpha_t f_t^k(x)` and the loss

.. math::

    L = \\sum_{i=1}^m \\exp\\Big(\\frac{1}{K-1}\\sum_{k\\ne y_i} g^k(x_i) - g^{y_i}(x_i)\\Big),

forward stagewise minimisation with indicator coding
:math:`f^k(x) = [f(x) = k]` gives

* the weights :math:`D_t(i) \\propto \\exp(\\text{margin term of } i)`;
* the weak learner :math:`f_t` that minimises the :math:`D_t`-weighted error
  :math:`\\varepsilon_t`;
* the step :math:`\\alpha_t = \\frac{K-1}{K}\\big[\\ln\\frac{1-\\varepsilon_t}{\\varepsilon_t}
  + \\ln(K-1)\\big]` (:func:`multiclass_alpha`), which is SAMME's step
  (:func:`samme_alpha`, scikit-learn's ``AdaBoostClassifier``) times
  :math:`(K-1)/K`;
* the update :math:`D_{t+1}(i) \\propto D_t(i)\\,e^{-\\alpha_t}` (right) or
  :math:`D_t(i)\\,e^{\\alpha_t/(K-1)}` (wrong).

Public API
----------
multiclass_alpha, samme_alpha, loss_reduction_factor
    The closed-form step and the factor by which one round shrinks the loss.
multiclass_exponential_loss
    The loss above for any score matrix.
boost_from_predictions
    The hand-worked algorithm on given weak-learner predictions.
Stump, fit_stump
    The built-in weighted multi-class decision stump.
MultiClassAdaBoost
    A scikit-learn style classifier (built-in stump or any sklearn classifier).
"""

from __future__ import annotations

from dataclasses import dataclass
import inspect

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state

from mlhwlib.numerics import as_finite_float, as_float_array, as_int

__all__ = [
    "multiclass_alpha",
    "samme_alpha",
    "loss_reduction_factor",
    "multiclass_exponential_loss",
    "BoostingResult",
    "boost_from_predictions",
    "Stump",
    "fit_stump",
    "MultiClassAdaBoost",
]


# ---------------------------------------------------------------------------
# Closed forms
# ---------------------------------------------------------------------------
def _check_eps_k(eps, n_classes):
    eps = as_finite_float(eps, "eps")
    if not 0.0 < eps < 1.0:
        raise ValueError(f"eps must lie strictly between 0 and 1, got {eps!r}")
    n_classes = as_int(n_classes, "n_classes", minimum=2)
    return eps, n_classes


def samme_alpha(eps, n_classes) -> float:
    """SAMME's estimator weight :math:`\\ln\\frac{1-\\varepsilon}{\\varepsilon} + \\ln(K-1)`.

    This is the weight scikit-learn's ``AdaBoostClassifier`` (learning rate 1)
    gives a weak learner with weighted error ``eps`` (Zhu et al., 2009).
    Derived in the chapter ``book/adaboost.ipynb``, section *Relation to SAMME*.

    Parameters
    ----------
    eps : float
        Weighted error of the round, strictly inside ``(0, 1)``.
    n_classes : int
        Number of classes ``K >= 2``.

    Returns
    -------
    float
        Positive exactly when ``eps < (K - 1) / K``.
    """
    eps, n_classes = _check_eps_k(eps, n_classes)
    return float(np.log1p(-eps) - np.log(eps) + np.log(n_classes - 1.0))


def multiclass_alpha(eps, n_classes) -> float:
    """Exact line-search step of multi-class AdaBoost.

    .. math:: \\alpha = \\frac{K-1}{K}\\Big[\\ln\\frac{1-\\varepsilon}{\\varepsilon} + \\ln(K-1)\\Big]

    It minimises :math:`(1-\\varepsilon)e^{-\\alpha} + \\varepsilon e^{\\alpha/(K-1)}`,
    the factor by which one round multiplies the multi-class exponential loss.
    Derived in the chapter ``book/adaboost.ipynb``, section *Solving for the step size*.

    Parameters
    ----------
    eps : float
        Weighted error of the round, strictly inside ``(0, 1)``.
    n_classes : int
        Number of classes ``K >= 2``.

    Returns
    -------
    float
        ``(K - 1) / K * samme_alpha(eps, K)``; positive exactly when
        ``eps < (K - 1) / K``. For ``K = 2`` it is AdaBoost's
        :math:`\\tfrac12\\ln\\frac{1-\\varepsilon}{\\varepsilon}`.
    """
    eps, n_classes = _check_eps_k(eps, n_classes)
    return (n_classes - 1.0) / n_classes * samme_alpha(eps, n_classes)


def loss_reduction_factor(eps, n_classes, alpha=None) -> float:
    """Factor :math:`Z = (1-\\varepsilon)e^{-\\alpha} + \\varepsilon e^{\\alpha/(K-1)}` of one round.

    After a round with weighted error ``eps`` and step ``alpha`` the loss is
    multiplied by ``Z``. With the optimal step (``alpha=None``) it equals
    :math:`K(\\varepsilon/(K-1))^{(K-1)/K}(1-\\varepsilon)^{1/K} \\le 1`.
    Derived in the chapter ``book/adaboost.ipynb``, section *How fast the loss falls*.

    Parameters
    ----------
    eps : float
        Weighted error in ``(0, 1)``.
    n_classes : int
        ``K >= 2``.
    alpha : float, optional
        Step; defaults to :func:`multiclass_alpha`.

    Returns
    -------
    float
    """
    eps, n_classes = _check_eps_k(eps, n_classes)
    if alpha is None:
        alpha = multiclass_alpha(eps, n_classes)
    alpha = as_finite_float(alpha, "alpha")
    # log-domain sum of the two terms: finite for any finite alpha.
    terms = np.array([np.log1p(-eps) - alpha, np.log(eps) + alpha / (n_classes - 1.0)])
    with np.errstate(over="ignore"):
        return float(np.exp(logsumexp(terms)))


def _check_labels(y, name, n_classes, shape=None):
    arr = np.asarray(y)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if arr.min() < 0 or arr.max() >= n_classes:
        raise ValueError(
            f"{name} must hold labels in [0, {n_classes}), got values from "
            f"{int(arr.min())} to {int(arr.max())}"
        )
    return arr.astype(np.intp, copy=False)


def _margin_terms(y, scores):
    """(1/(K-1)) sum_{k != y} g^k - g^y for every row."""
    n_classes = scores.shape[1]
    own = scores[np.arange(scores.shape[0]), y]
    return (scores.sum(axis=1) - own) / (n_classes - 1.0) - own


def multiclass_exponential_loss(y, scores) -> float:
    """The multi-class exponential loss of a score matrix.

    .. math:: L = \\sum_i \\exp\\Big(\\frac{1}{K-1}\\sum_{k\\ne y_i} g^k_i - g^{y_i}_i\\Big)

    Derived in the chapter ``book/adaboost.ipynb``, section *The problem*.

    Parameters
    ----------
    y : array_like of int, shape (N,)
        Labels in ``[0, K)``.
    scores : array_like, shape (N, K)
        ``scores[i, k] = g^k(x_i)``, ``K >= 2``.

    Returns
    -------
    float
        The sum over samples (``inf`` if it exceeds the float range).
    """
    scores = as_float_array(scores, "scores", ndim=2)
    if scores.shape[1] < 2:
        raise ValueError(f"scores must have at least 2 columns (classes), got {scores.shape}")
    y = _check_labels(y, "y", scores.shape[1], shape=(scores.shape[0],))
    with np.errstate(over="ignore"):
        return float(np.exp(logsumexp(_margin_terms(y, scores))))


# ---------------------------------------------------------------------------
# The hand-worked algorithm
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class BoostingResult:
    """What :func:`boost_from_predictions` computed.

    Attributes
    ----------
    eps : ndarray, shape (T,)
        Weighted error of each round under the weights it was fitted with.
    alpha : ndarray, shape (T,)
        Step of each round, :func:`multiclass_alpha`.
    weights : ndarray, shape (T + 1, N)
        ``weights[0]`` uniform; ``weights[t]`` the distribution after ``t`` rounds.
    scores : ndarray, shape (N, K)
        Final scores :math:`g^k(x_i)`.
    loss : float
        Multi-class exponential loss of the final scores.
    predictions : ndarray of int, shape (N,)
        ``argmax`` of ``scores`` (first class on ties).
    """

    eps: np.ndarray
    alpha: np.ndarray
    weights: np.ndarray
    scores: np.ndarray
    loss: float
    predictions: np.ndarray

    def __post_init__(self):
        eps = as_float_array(self.eps, "eps", ndim=1, allow_empty=True)
        alpha = as_float_array(self.alpha, "alpha", shape=eps.shape, allow_empty=True)
        weights = as_float_array(self.weights, "weights", ndim=2)
        n = weights.shape[1]
        if weights.shape[0] != eps.shape[0] + 1:
            raise ValueError(f"weights must have shape (T + 1, N) = ({eps.shape[0] + 1}, {n}), "
                             f"got {weights.shape}")
        scores = as_float_array(self.scores, "scores", ndim=2, shape=(n, None))
        predictions = _check_labels(self.predictions, "predictions", scores.shape[1], shape=(n,))
        loss = as_float_array(self.loss, "loss", ndim=0, finite=False)
        if np.isnan(loss) or loss < 0:
            raise ValueError(f"loss must be a non-negative number, got {float(loss)!r}")
        for name, value in (("eps", eps), ("alpha", alpha), ("weights", weights),
                            ("scores", scores), ("predictions", predictions)):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "loss", float(loss))


def boost_from_predictions(y, predictions, n_classes) -> BoostingResult:
    """Run multi-class AdaBoost on given weak-learner outputs (the hand-worked version).

    Round ``t`` uses the labels ``predictions[t]``; its weighted error under the
    current weights gives :math:`\\alpha_t` (:func:`multiclass_alpha`); the
    scores get :math:`\\alpha_t` added to the predicted class; the new weights
    are the normalised exponentials of the margin terms, which equals the
    update :math:`D_t(i)e^{-\\alpha_t}` (right) or :math:`D_t(i)e^{\\alpha_t/(K-1)}`
    (wrong), renormalised. A round worse than guessing gets a negative step;
    nothing is dropped. Derived in the chapter ``book/adaboost.ipynb``,
    section *The algorithm by hand*.

    Parameters
    ----------
    y : array_like of int, shape (N,)
        True labels in ``[0, K)``.
    predictions : array_like of int, shape (T, N)
        The weak learners' labels, round by round.
    n_classes : int
        ``K >= 2``.

    Returns
    -------
    BoostingResult

    Raises
    ------
    ValueError
        Labels outside ``[0, K)``, shape mismatch, or a round with weighted
        error 0 or 1 (its step would be infinite).
    """
    n_classes = as_int(n_classes, "n_classes", minimum=2)
    y_arr = np.asarray(y)
    if y_arr.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {y_arr.shape}")
    y_arr = _check_labels(y_arr, "y", n_classes)
    n = y_arr.shape[0]
    p_arr = np.asarray(predictions)
    if p_arr.ndim != 2 or p_arr.shape[1] != n:
        raise ValueError(f"predictions must have shape (T, {n}) to match y, got {p_arr.shape}")
    p_arr = _check_labels(p_arr, "predictions", n_classes, shape=p_arr.shape)
    n_rounds = p_arr.shape[0]

    margin = np.zeros(n)                       # margin terms of the current scores
    scores = np.zeros((n, n_classes))
    weights = np.empty((n_rounds + 1, n))
    weights[0] = 1.0 / n
    eps = np.empty(n_rounds)
    alpha = np.empty(n_rounds)
    for t in range(n_rounds):
        wrong = p_arr[t] != y_arr
        eps_t = float(weights[t][wrong].sum())
        if not 0.0 < eps_t < 1.0:
            raise ValueError(
                f"round {t} of predictions has weighted error {eps_t!r}; the step is "
                "finite only for 0 < eps < 1"
            )
        eps[t] = eps_t
        alpha[t] = multiclass_alpha(eps_t, n_classes)
        scores[np.arange(n), p_arr[t]] += alpha[t]
        margin += np.where(wrong, alpha[t] / (n_classes - 1.0), -alpha[t])
        weights[t + 1] = np.exp(margin - logsumexp(margin))
    with np.errstate(over="ignore"):
        loss = float(np.exp(logsumexp(margin)))
    return BoostingResult(eps=eps, alpha=alpha, weights=weights, scores=scores,
                          loss=loss, predictions=np.argmax(scores, axis=1))


# ---------------------------------------------------------------------------
# The built-in stump
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Stump:
    """A multi-class decision stump: class ``left`` if ``x[feature] <= threshold`` else ``right``.

    ``left`` and ``right`` are class *indices* in ``[0, K)``. ``feature = -1``
    is the constant stump (every sample gets ``left``), used only when no
    feature has two distinct values.
    """

    feature: int
    threshold: float
    left: int
    right: int

    def __post_init__(self):
        object.__setattr__(self, "feature", as_int(self.feature, "feature", minimum=-1))
        threshold = as_float_array(self.threshold, "threshold", ndim=0, finite=False)
        if np.isnan(threshold):
            raise ValueError("threshold must not be NaN")
        object.__setattr__(self, "threshold", float(threshold))
        object.__setattr__(self, "left", as_int(self.left, "left", minimum=0))
        object.__setattr__(self, "right", as_int(self.right, "right", minimum=0))

    def predict(self, X) -> np.ndarray:
        """Class indices, shape (N,), for ``X`` of shape (N, d) with ``d > feature``."""
        X = as_float_array(X, "X", ndim=2)
        if X.shape[1] <= self.feature:
            raise ValueError(f"X must have more than {self.feature} columns (the stump "
                             f"splits on feature {self.feature}), got shape {X.shape}")
        return self._predict(X)

    def _predict(self, X) -> np.ndarray:
        """:meth:`predict` without the checks (``X`` already a valid float array)."""
        if self.feature < 0:
            return np.full(X.shape[0], self.left, dtype=np.intp)
        return np.where(X[:, self.feature] <= self.threshold, self.left, self.right)


class _SortedData:
    """Per-feature sort of ``X`` done once; each round then costs one ``bincount``.

    For feature ``j`` the samples are sorted once; equal values form one group,
    and ``code[j, p] = (group of sorted position p) * K + class`` lets a single
    ``bincount`` give the class weights of every group of every feature. A
    cumulative sum over groups then gives, for every threshold between two
    distinct values, the class weights to its left.
    """

    _BLOCK_ENTRIES = 1 << 17  # (features per block) * classes * groups: about 1 MB, cache-sized

    def __init__(self, X, y, n_classes):
        n, d = X.shape
        self.y = y
        self.n_classes = n_classes
        order = np.argsort(X, axis=0, kind="stable")                # (N, d)
        xs = np.take_along_axis(X, order, axis=0)                   # sorted values
        new_group = np.empty((n, d), dtype=bool)
        new_group[0] = False
        np.not_equal(xs[1:], xs[:-1], out=new_group[1:])
        group = np.cumsum(new_group, axis=0)                        # (N, d) group index
        self.n_groups = group[-1] + 1                               # (d,)
        self.g_max = g_max = int(self.n_groups.max())
        # distinct values per feature, padded with +inf
        self.values = np.full((d, g_max), np.inf)
        cols = np.broadcast_to(np.arange(d), (n, d))
        self.values[cols.ravel(), group.ravel()] = xs.ravel()
        # split "after group g" is a threshold between two distinct values iff g < n_groups - 1
        self.invalid = np.arange(g_max)[None, :] >= (self.n_groups - 1)[:, None]   # (d, G)
        block = max(1, self._BLOCK_ENTRIES // (g_max * n_classes))
        self.blocks = []
        for start in range(0, d, block):
            stop = min(d, start + block)
            # bin of sorted position p of feature j: (j * K + class) * G + group
            feat = np.arange(stop - start)[None, :]
            code = ((feat * n_classes + y[order[:, start:stop]]) * g_max + group[:, start:stop])
            self.blocks.append((start, stop, order[:, start:stop].T.ravel(), code.T.ravel()))

    def best_stump(self, w, criterion="error"):
        """The best stump for weights ``w`` (N,).

        ``criterion="error"``: smallest weighted error (each side predicts its
        heaviest class). ``"gini"``: smallest weighted Gini impurity, i.e. largest
        :math:`\\sum_k L_k^2/W_L + \\sum_k R_k^2/W_R` (scikit-learn's tree
        criterion); the sides still predict their heaviest class.
        """
        k, g_max = self.n_classes, self.g_max
        total = np.bincount(self.y, weights=w, minlength=k)        # class totals (K,)
        best_score, best = -np.inf, None
        for start, stop, order, code in self.blocks:
            width = stop - start
            counts = np.bincount(code, weights=w[order], minlength=width * k * g_max)
            left = counts.reshape(width, k, g_max)
            np.cumsum(left, axis=2, out=left)                       # class weight left of split
            if criterion == "error":
                score = self._correct_weight(left, total)
            else:
                score = self._gini_gain(left, total)
            score[self.invalid[start:stop]] = -np.inf
            flat = int(np.argmax(score))
            if score.flat[flat] > best_score:
                j, g = divmod(flat, g_max)
                best_score = float(score.flat[flat])
                best = (start + j, g, int(np.argmax(left[j, :, g])),
                        int(np.argmax(total - left[j, :, g])))
        if best is None:  # every feature constant: predict the heaviest class
            return Stump(-1, np.inf, int(np.argmax(total)), int(np.argmax(total)))
        j, g, a, b = best
        lo, hi = self.values[j, g], self.values[j, g + 1]
        thr = lo / 2.0 + hi / 2.0
        if not lo <= thr < hi:
            thr = lo
        return Stump(int(j), float(thr), a, b)


    @staticmethod
    def _correct_weight(left, total):
        """max_k L_k + max_k R_k: the weight a split classifies correctly, shape (F, G)."""
        best_left = left[:, 0].copy()
        best_right = total[0] - left[:, 0]
        tmp = np.empty_like(best_right)
        for c in range(1, left.shape[1]):
            np.maximum(best_left, left[:, c], out=best_left)
            np.subtract(total[c], left[:, c], out=tmp)
            np.maximum(best_right, tmp, out=best_right)
        best_left += best_right
        return best_left

    @staticmethod
    def _gini_gain(left, total):
        """sum_k L_k^2 / W_L + sum_k R_k^2 / W_R (larger = purer), shape (F, G).

        Uses sum_k R_k^2 = sum_k T_k^2 - 2 sum_k T_k L_k + sum_k L_k^2, so no
        right-hand array is formed.
        """
        sq_left = np.einsum("fkg,fkg->fg", left, left)
        w_left = left.sum(axis=1)
        sq_right = np.einsum("k,fkg->fg", -2.0 * total, left)
        sq_right += sq_left
        sq_right += float(total @ total)
        w_right = float(total.sum()) - w_left
        out = np.divide(sq_left, w_left, out=np.zeros_like(sq_left), where=w_left > 0)
        out += np.divide(sq_right, w_right, out=np.zeros_like(sq_left), where=w_right > 0)
        return out


def fit_stump(X, y, sample_weight, n_classes=None) -> Stump:
    """Fit the multi-class decision stump with the smallest weighted error.

    Searches every feature and every threshold between two consecutive
    distinct values; each side predicts its heaviest class. Used once per
    round by :class:`MultiClassAdaBoost` (which sorts ``X`` only once).
    Derived in the chapter ``book/adaboost.ipynb``, section *A fast stump*.

    Parameters
    ----------
    X : array_like, shape (N, d)
    y : array_like of int, shape (N,)
        Labels in ``[0, K)``.
    sample_weight : array_like, shape (N,)
        Non-negative weights.
    n_classes : int, optional
        ``K``; defaults to ``max(y) + 1``.

    Returns
    -------
    Stump
    """
    X = as_float_array(X, "X", ndim=2)
    y_arr = np.asarray(y)
    if n_classes is None:
        # check the labels (integer, non-negative, shape) before reading K off them
        y_arr = _check_labels(y_arr, "y", np.iinfo(np.intp).max, shape=(X.shape[0],))
        n_classes = int(np.max(y_arr)) + 1
    n_classes = as_int(n_classes, "n_classes", minimum=1)
    y_arr = _check_labels(y_arr, "y", n_classes, shape=(X.shape[0],))
    w = as_float_array(sample_weight, "sample_weight", shape=(X.shape[0],))
    if np.any(w < 0):
        raise ValueError("sample_weight must be non-negative")
    return _SortedData(X, y_arr, n_classes).best_stump(w)


# ---------------------------------------------------------------------------
# The classifier
# ---------------------------------------------------------------------------
def _set_random_states(estimator, random_state):
    """Give every ``random_state`` parameter a fresh integer, as scikit-learn's ensembles do."""
    to_set = {}
    for key in sorted(estimator.get_params(deep=True)):
        if key == "random_state" or key.endswith("__random_state"):
            to_set[key] = random_state.randint(np.iinfo(np.int32).max)
    if to_set:
        estimator.set_params(**to_set)


class MultiClassAdaBoost(ClassifierMixin, BaseEstimator):
    """Multi-class AdaBoost from the multi-class exponential loss.

    Each round fits a weak learner to the current weights ``D_t``, takes its
    weighted error :math:`\\varepsilon_t`, the step
    :math:`\\alpha_t` = :func:`multiclass_alpha` and reweights the samples. The
    weight update and stopping rules follow scikit-learn's SAMME code step for
    step (its step is :math:`\\alpha_t K/(K-1)`, which moves the weights
    exactly as :math:`\\alpha_t` does), so with the same base ``estimator`` and
    ``random_state`` the predictions equal ``sklearn.ensemble.AdaBoostClassifier``'s.
    Derived in the chapter ``book/adaboost.ipynb``, section *The algorithm*.

    Parameters
    ----------
    n_estimators : int, default 50
        Maximum number of rounds.
    estimator : scikit-learn classifier or None, default None
        ``None`` uses the built-in vectorised stump (:func:`fit_stump`);
        otherwise a classifier whose ``fit`` accepts ``sample_weight``; it is
        cloned every round.
    random_state : int, RandomState or None
        Seeds the ``random_state`` of each clone of ``estimator`` (unused by
        the built-in stump).
    criterion : {"error", "gini"}, default "error"
        How the built-in stump picks its split: ``"error"`` minimises the
        weighted multi-class error, as the derivation prescribes; ``"gini"``
        minimises the weighted Gini impurity, like scikit-learn's
        ``DecisionTreeClassifier(max_depth=1)`` (both sides still predict their
        heaviest class). Ignored when ``estimator`` is given.

    Attributes
    ----------
    classes_ : ndarray, shape (K,)
        Sorted distinct labels.
    estimators_ : list
        Fitted weak learners (:class:`Stump` objects for the built-in stump).
    estimator_weights_ : ndarray, shape (T,)
        :math:`\\alpha_t`. A perfect round (:math:`\\varepsilon_t = 0`, where the
        exact step is infinite) gets scikit-learn's convention: SAMME weight 1,
        i.e. :math:`\\alpha_t = (K-1)/K`, and ends the fit.
    estimator_errors_ : ndarray, shape (T,)
        :math:`\\varepsilon_t`.
    n_features_in_ : int

    Notes
    -----
    Fitting stops early after a perfect round, or (discarding that round)
    when :math:`\\varepsilon_t \\ge (K-1)/K`; if that happens in the first round
    a ``ValueError`` is raised, since no ensemble can be formed.
    """

    def __init__(self, n_estimators=50, estimator=None, random_state=None, criterion="error"):
        self.n_estimators = n_estimators
        self.estimator = estimator
        self.random_state = random_state
        self.criterion = criterion

    # -- fitting -------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Fit the ensemble.

        Parameters
        ----------
        X : array_like, shape (N, d)
            Numeric features.
        y : array_like, shape (N,)
            Labels (any sortable values), at least two distinct.
        sample_weight : array_like, shape (N,), optional
            Non-negative initial weights (normalised to sum 1); uniform by default.

        Returns
        -------
        self
        """
        n_estimators = as_int(self.n_estimators, "n_estimators", minimum=1)
        if self.criterion not in ("error", "gini"):
            raise ValueError(f"criterion must be 'error' or 'gini', got {self.criterion!r}")
        X_raw = np.asarray(X)
        X_float = as_float_array(X, "X", ndim=2)
        n, d = X_float.shape
        y_arr = np.asarray(y)
        if y_arr.ndim != 1 or y_arr.shape[0] != n:
            raise ValueError(f"y must have shape ({n},) to match X, got {y_arr.shape}")
        if y_arr.dtype.kind == "f" and not np.all(np.isfinite(y_arr)):
            raise ValueError("y must not contain NaN or infinite labels")
        try:
            classes, y_enc = np.unique(y_arr, return_inverse=True)
        except TypeError:
            raise TypeError("y must hold labels of one sortable type (e.g. all integers or "
                            f"all strings), got dtype {y_arr.dtype} with mixed values") from None
        n_classes = len(classes)
        if n_classes < 2:
            raise ValueError(f"y must contain at least 2 classes, got {n_classes}")
        if sample_weight is None:
            w = np.ones(n, dtype=np.float64)
        else:
            w = as_float_array(sample_weight, "sample_weight", shape=(n,)).copy()
            if np.any(w < 0):
                raise ValueError("sample_weight must be non-negative")
            if not w.sum() > 0:
                raise ValueError("sample_weight must have a positive sum")
        w /= w.sum()

        if self.estimator is None:
            sorted_data = _SortedData(X_float, y_enc, n_classes)
        else:
            est = self.estimator
            if not (hasattr(est, "fit") and hasattr(est, "predict") and hasattr(est, "get_params")):
                raise TypeError(
                    "estimator must be a scikit-learn classifier (fit, predict, get_params) "
                    f"or None, got {type(est).__name__}"
                )
            if "sample_weight" not in inspect.signature(est.fit).parameters:
                raise ValueError(f"estimator {type(est).__name__} does not accept sample_weight")
            try:
                rng = check_random_state(self.random_state)
            except (TypeError, ValueError):
                raise ValueError("random_state must be None, an integer or a "
                                 f"numpy RandomState, got {self.random_state!r}") from None

        self.classes_ = classes
        self.n_features_in_ = d
        estimators, alphas, errors = [], [], []
        tiny = np.finfo(np.float64).eps
        zero = w == 0.0
        for t in range(n_estimators):
            w = np.clip(w, tiny, None)
            w[zero] = 0.0
            if self.estimator is None:
                learner = sorted_data.best_stump(w, self.criterion)
                pred = learner._predict(X_float)
                incorrect = pred != y_enc
            else:
                learner = clone(self.estimator)
                _set_random_states(learner, rng)
                learner.fit(X_raw, y_arr, sample_weight=w)
                incorrect = learner.predict(X_raw) != y_arr
            eps = float(np.mean(np.average(incorrect, weights=w, axis=0)))
            if eps <= 0.0:                       # perfect round: keep it and stop
                estimators.append(learner)
                alphas.append((n_classes - 1.0) / n_classes)
                errors.append(0.0)
                break
            if eps >= 1.0 - 1.0 / n_classes:     # no better than guessing: drop it, stop
                if not estimators:
                    raise ValueError(
                        f"the first weak learner has weighted error {eps:.4g} >= (K-1)/K = "
                        f"{1.0 - 1.0 / n_classes:.4g}: no better than guessing, cannot boost"
                    )
                break
            beta = float(np.log((1.0 - eps) / eps) + np.log(n_classes - 1.0))  # SAMME step
            estimators.append(learner)
            alphas.append((n_classes - 1.0) / n_classes * beta)
            errors.append(eps)
            if t == n_estimators - 1:
                break
            # D_{t+1} ∝ D_t e^{-α} (right) or D_t e^{α/(K-1)} (wrong)  ==  D_t e^{β [wrong]}
            if zero.any():
                pos = ~zero
                w[pos] = np.exp(np.log(w[pos]) + beta * incorrect[pos])
            else:
                w = np.exp(np.log(w) + beta * incorrect)
            total = np.sum(w)
            if not np.isfinite(total) or total <= 0:
                break
            w /= total
        self.estimators_ = estimators
        self.estimator_weights_ = np.asarray(alphas, dtype=np.float64)
        self.estimator_errors_ = np.asarray(errors, dtype=np.float64)
        return self

    # -- prediction ----------------------------------------------------------
    def _check_fitted_X(self, X):
        if not hasattr(self, "estimators_"):
            raise NotFittedError("this MultiClassAdaBoost is not fitted yet: call fit first")
        X_raw = np.asarray(X)
        X_float = as_float_array(X, "X", ndim=2)
        if X_float.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X must have {self.n_features_in_} features (columns), got {X_float.shape[1]}"
            )
        return X_raw, X_float

    def _round_predictions(self, X):
        """Class indices of every weak learner, shape (T, N)."""
        X_raw, X_float = self._check_fitted_X(X)
        if self.estimator is None:
            st = self.estimators_
            feats = np.array([s.feature for s in st])
            thr = np.array([s.threshold for s in st])
            left = np.array([s.left for s in st])
            right = np.array([s.right for s in st])
            cols = X_float[:, np.maximum(feats, 0)].T                # (T, N)
            go_left = (cols <= thr[:, None]) | (feats < 0)[:, None]
            return np.where(go_left, left[:, None], right[:, None])
        out = np.empty((len(self.estimators_), X_float.shape[0]), dtype=np.intp)
        for t, est in enumerate(self.estimators_):
            out[t] = np.searchsorted(self.classes_, est.predict(X_raw))
        return out

    def decision_function(self, X):
        """Scores :math:`g^k(x) = \\sum_t \\alpha_t [f_t(x) = k]`.

        Parameters
        ----------
        X : array_like, shape (N, d)

        Returns
        -------
        ndarray, shape (N, K)
            Column ``k`` belongs to ``classes_[k]``.
        """
        idx = self._round_predictions(X)
        n_rounds, n = idx.shape
        k = len(self.classes_)
        scores = np.zeros((n, k))
        rows = np.arange(n)
        for t in range(n_rounds):
            scores[rows, idx[t]] += self.estimator_weights_[t]
        return scores

    def predict(self, X):
        """Labels ``classes_[argmax_k g^k(x)]`` (first class on ties), shape (N,)."""
        scores = self.decision_function(X)
        return self.classes_[np.argmax(scores, axis=1)]

    def score(self, X, y, sample_weight=None):
        """Mean accuracy of :meth:`predict` on ``(X, y)`` (weighted by ``sample_weight``).

        Works for any label type in ``classes_`` (also non-integer floats, which
        scikit-learn's ``accuracy_score`` would call continuous).
        """
        pred = self.predict(X)
        y_arr = np.asarray(y)
        if y_arr.shape != pred.shape:
            raise ValueError(f"y must have shape {pred.shape}, got {y_arr.shape}")
        if sample_weight is not None:
            sample_weight = as_float_array(sample_weight, "sample_weight", shape=pred.shape)
            if np.any(sample_weight < 0) or not sample_weight.sum() > 0:
                raise ValueError("sample_weight must be non-negative with a positive sum")
        return float(np.average(pred == y_arr, weights=sample_weight))

    def staged_decision_function(self, X):
        """Yield the scores (N, K) after each round (``X`` is checked at the call)."""
        return self._staged_scores(self._round_predictions(X))

    def _staged_scores(self, idx):
        n = idx.shape[1]
        scores = np.zeros((n, len(self.classes_)))
        rows = np.arange(n)
        for t in range(idx.shape[0]):
            scores[rows, idx[t]] += self.estimator_weights_[t]
            yield scores.copy()

    def staged_predict(self, X):
        """Yield the predicted labels (N,) after each round (``X`` is checked at the call)."""
        staged = self.staged_decision_function(X)
        return (self.classes_[np.argmax(scores, axis=1)] for scores in staged)
