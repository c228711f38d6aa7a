"""Multi-class AdaBoost derived from the multi-class exponential loss.

Every function here is derived in the chapter :ref:`adaboost`. With
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
    The built-in weighted multi-class decision stump (module :mod:`mlhwlib.stump`).
MultiClassAdaBoost
    A scikit-learn classifier (built-in stump or any scikit-learn classifier).

Both :func:`boost_from_predictions` and :class:`MultiClassAdaBoost` run the
one boosting loop of this module, ``_boost``.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real
import warnings

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (_check_sample_weight, check_is_fitted,
                                      has_fit_parameter, validate_data)

from mlhwlib.numerics import as_finite_float, as_float_array, as_int
from mlhwlib.stump import TIE_RTOL, Stump, _check_labels, _SortedData, fit_stump

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
    Derived in :ref:`adaboost-samme`.

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
    Derived in :ref:`adaboost-step`.

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

    Examples
    --------
    >>> round(multiclass_alpha(0.25, 3), 4)      # (2/3) (ln 3 + ln 2)
    1.1945
    >>> abs(multiclass_alpha(2 / 3, 3)) < 1e-12  # chance level: no step
    True
    """
    eps, n_classes = _check_eps_k(eps, n_classes)
    return (n_classes - 1.0) / n_classes * samme_alpha(eps, n_classes)


def loss_reduction_factor(eps, n_classes, alpha=None) -> float:
    """Factor :math:`Z = (1-\\varepsilon)e^{-\\alpha} + \\varepsilon e^{\\alpha/(K-1)}` of one round.

    After a round with weighted error ``eps`` and step ``alpha`` the loss is
    multiplied by ``Z``. With the optimal step (``alpha=None``) it equals
    :math:`K(\\varepsilon/(K-1))^{(K-1)/K}(1-\\varepsilon)^{1/K} \\le 1`.
    Derived in :ref:`adaboost-factor`.

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


def _margin_terms(y, scores):
    """(1/(K-1)) sum_{k != y} g^k - g^y for every row."""
    n_classes = scores.shape[1]
    own = scores[np.arange(scores.shape[0]), y]
    return (scores.sum(axis=1) - own) / (n_classes - 1.0) - own


def multiclass_exponential_loss(y, scores) -> float:
    """The multi-class exponential loss of a score matrix.

    .. math:: L = \\sum_i \\exp\\Big(\\frac{1}{K-1}\\sum_{k\\ne y_i} g^k_i - g^{y_i}_i\\Big)

    Derived in :ref:`adaboost-problem`.

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


# ---------------------------------------------------------------------------
# The boosting loop (one, for both the hand-worked version and the classifier)
# ---------------------------------------------------------------------------
def _boost(y, n_classes, n_rounds, weak_learner, *, sample_weight=None,
           learning_rate=1.0, exact=False):
    """Forward stagewise boosting of the multi-class exponential loss.

    ``weak_learner(t, w)`` returns ``(learner, labels)`` for round ``t`` and
    weights ``w`` (N,), ``labels`` the learner's class indices on the training
    set. ``exact=True`` is the hand-worked algorithm: log-domain weights, no
    clipping, every round kept, ``eps`` in ``{0, 1}`` an error. ``exact=False``
    is scikit-learn's SAMME loop step for step: weights clipped below at
    machine epsilon, a perfect round kept with SAMME weight 1 and the fit
    stopped, a round with ``eps >= (K-1)/K`` dropped and the fit stopped.

    Returns ``(learners, alphas, errors, weights, margin)``: ``weights`` the
    list of the distributions each round was fitted with (exact mode only),
    ``margin`` the margin terms of the final scores (exact mode only).
    """
    n = y.shape[0]
    w = np.full(n, 1.0 / n) if sample_weight is None else sample_weight / sample_weight.sum()
    zero = w == 0.0
    tiny = np.finfo(np.float64).eps
    learners, alphas, errors, weights = [], [], [], [w]
    margin = np.zeros(n)
    for t in range(n_rounds):
        if not exact:
            w = np.clip(w, tiny, None)    # scikit-learn's guard against underflow
            w[zero] = 0.0
        learner, labels = weak_learner(t, w)
        incorrect = labels != y
        if exact:
            eps = float(w[incorrect].sum())
            if not 0.0 < eps < 1.0:
                raise ValueError(f"round {t} of predictions has weighted error {eps!r}; the "
                                 "step is finite only for 0 < eps < 1")
        else:
            eps = float(np.mean(np.average(incorrect, weights=w, axis=0)))
            if eps <= 0.0:                    # perfect round: keep it (SAMME weight 1), stop
                learners.append(learner)
                alphas.append((n_classes - 1.0) / n_classes)
                errors.append(0.0)
                break
            if eps >= 1.0 - 1.0 / n_classes:  # no better than guessing: drop it, stop
                if not learners:
                    raise ValueError(
                        f"the first weak learner has weighted error {eps:.4g} >= (K-1)/K = "
                        f"{1.0 - 1.0 / n_classes:.4g}: no better than guessing, cannot boost")
                break
        # SAMME's step beta = K/(K-1) alpha, scaled by the learning rate
        if exact:
            beta = learning_rate * samme_alpha(eps, n_classes)
        else:                                 # scikit-learn's expression, to the last bit
            beta = learning_rate * float(np.log((1.0 - eps) / eps) + np.log(n_classes - 1.0))
        learners.append(learner)
        alphas.append((n_classes - 1.0) / n_classes * beta)
        errors.append(eps)
        if exact:
            # D_{t+1} ∝ D_t e^{-α} (right) or D_t e^{α/(K-1)} (wrong): the margin terms
            margin += np.where(incorrect, alphas[-1] / (n_classes - 1.0), -alphas[-1])
            w = np.exp(margin - logsumexp(margin))
            weights.append(w)
            continue
        if t == n_rounds - 1:
            break
        # the same update divided by e^{-α}: D_t e^{β [wrong]}; zero weights stay zero
        w = np.exp(np.log(w, where=~zero, out=np.full(n, -np.inf)) + beta * incorrect)
        total = np.sum(w)
        if not np.isfinite(total):
            warnings.warn(f"sample weights overflowed in round {t}; boosting stopped "
                          "(lower the learning_rate)", RuntimeWarning, stacklevel=3)
            break
        if total <= 0:
            break
        w /= total
    return learners, alphas, errors, weights, margin


def boost_from_predictions(y, predictions, n_classes) -> BoostingResult:
    """Run multi-class AdaBoost on given weak-learner outputs (the hand-worked version).

    Round ``t`` uses the labels ``predictions[t]``; its weighted error under the
    current weights gives :math:`\\alpha_t` (:func:`multiclass_alpha`); the
    scores get :math:`\\alpha_t` added to the predicted class; the new weights
    are the normalised exponentials of the margin terms, which equals the
    update :math:`D_t(i)e^{-\\alpha_t}` (right) or :math:`D_t(i)e^{\\alpha_t/(K-1)}`
    (wrong), renormalised. The directions are *given*, so every round is kept:
    a round with :math:`\\varepsilon_t \\ge (K-1)/K` gets the line-search step
    along that direction, :math:`\\alpha_t \\le 0` (the ensemble of
    :class:`MultiClassAdaBoost` instead requires :math:`\\alpha_t > 0` and
    stops). Derived in :ref:`adaboost-by-hand`.

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

    Examples
    --------
    >>> res = boost_from_predictions([0, 0, 1, 2], [[0, 0, 1, 1]], 3)
    >>> float(res.eps[0]), res.predictions.tolist()
    (0.25, [0, 0, 1, 1])
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
    _, alpha, eps, weights, margin = _boost(y_arr, n_classes, p_arr.shape[0],
                                            lambda t, w: (None, p_arr[t]), exact=True)
    alpha = np.asarray(alpha, dtype=np.float64)
    scores = np.zeros((n, n_classes))
    for t in range(p_arr.shape[0]):
        scores[np.arange(n), p_arr[t]] += alpha[t]
    with np.errstate(over="ignore"):
        loss = float(np.exp(logsumexp(margin)))
    return BoostingResult(eps=np.asarray(eps, dtype=np.float64), alpha=alpha,
                          weights=np.array(weights), scores=scores, loss=loss,
                          predictions=np.argmax(scores, axis=1))


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
    :math:`\\alpha_t` = ``learning_rate`` * :func:`multiclass_alpha` and
    reweights the samples. The weight update and stopping rules follow
    scikit-learn's SAMME code step for step (its step is
    :math:`\\alpha_t K/(K-1)`, which moves the weights exactly as
    :math:`\\alpha_t` does), so with the same base ``estimator``,
    ``learning_rate`` and ``random_state`` the predictions and staged
    predictions equal ``sklearn.ensemble.AdaBoostClassifier``'s — except on
    exact vote ties, where two classes get the same total vote and rounding
    decides which argmax wins. Derived in :ref:`adaboost-algorithm`.

    Parameters
    ----------
    n_estimators : int, default 50
        Maximum number of rounds, ``>= 1``.
    estimator : scikit-learn classifier or None, default None
        ``None`` uses the built-in vectorised stump (:func:`fit_stump`);
        otherwise a classifier whose ``fit`` accepts ``sample_weight``; it is
        cloned every round.
    learning_rate : float, default 1.0
        Shrinkage :math:`\\nu > 0`: every step is :math:`\\nu\\,\\alpha_t`, in the
        scores and in the weight update (scikit-learn's meaning).
    random_state : int, RandomState or None, default None
        Seeds the ``random_state`` of each clone of ``estimator`` (unused by
        the built-in stump, which is deterministic).
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
    n_classes_ : int
        ``K``.
    estimators_ : list
        Fitted weak learners (:class:`Stump` objects for the built-in stump).
    estimator_weights_ : ndarray, shape (T,)
        :math:`\\nu\\alpha_t`. A perfect round (:math:`\\varepsilon_t = 0`, where
        the exact step is infinite) gets scikit-learn's convention: SAMME weight
        1, i.e. :math:`\\alpha_t = (K-1)/K` whatever ``learning_rate``, and ends
        the fit.
    estimator_errors_ : ndarray, shape (T,)
        :math:`\\varepsilon_t`.
    n_features_in_ : int
    feature_names_in_ : ndarray of str, shape (d,)
        Only when ``X`` had string column names (a data frame).

    Notes
    -----
    Fitting stops early after a perfect round, or (discarding that round)
    when :math:`\\varepsilon_t \\ge (K-1)/K`, where the exact step would be
    :math:`\\le 0`; if that happens in the first round a ``ValueError`` is
    raised, since no ensemble can be formed. Before every round the weights
    are clipped below at machine epsilon (about 2.2e-16, scikit-learn's guard
    against underflow; exact zeros stay zero), so a user weight of 1e-300
    acts as 2.2e-16. Sparse ``X`` is not supported (a ``TypeError`` says so).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MultiClassAdaBoost(n_estimators=25).fit(X, y)
    >>> clf.decision_function(X[:2]).shape
    (2, 3)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    _parameter_constraints = {
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "estimator": [HasMethods(["fit", "predict"]), None],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
        "criterion": [StrOptions({"error", "gini"})],
    }

    def __init__(self, n_estimators=50, estimator=None, learning_rate=1.0, random_state=None,
                 criterion="error"):
        self.n_estimators = n_estimators
        self.estimator = estimator
        self.learning_rate = learning_rate
        self.random_state = random_state
        self.criterion = criterion

    # -- fitting -------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the ensemble.

        Parameters
        ----------
        X : array_like, shape (N, d)
            Numeric features (dense).
        y : array_like, shape (N,) or (N, 1)
            Class labels (integers or strings), at least two distinct; a
            column vector is raveled with a ``DataConversionWarning``.
        sample_weight : array_like, shape (N,), optional
            Non-negative initial weights with a positive sum (normalised to
            sum 1); uniform by default. See the Notes on clipping.

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y, accept_sparse=False, dtype="numeric")
        check_classification_targets(y)
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64, copy=True,
                                             ensure_non_negative=True)
        if not sample_weight.sum() > 0:
            raise ValueError("sample_weight must have a positive sum")
        classes, y_enc = np.unique(y, return_inverse=True)
        n_classes = len(classes)
        if n_classes < 2:
            raise ValueError(f"y must contain samples of at least 2 classes, got {n_classes} "
                             "class")
        if self.estimator is None:
            X_float = np.asarray(X, dtype=np.float64)
            # a sample of weight 0 keeps weight 0 and is treated as absent: it does not
            # create thresholds either (so weight 0 equals removing the sample)
            keep = sample_weight > 0
            data = _SortedData(X_float[keep], y_enc[keep], n_classes)

            def weak_learner(t, w):
                stump = data.best_stump(w[keep], self.criterion)
                return stump, stump._predict(X_float)
        else:
            if not has_fit_parameter(self.estimator, "sample_weight"):
                raise ValueError(f"estimator {type(self.estimator).__name__} does not accept "
                                 "sample_weight")
            rng = check_random_state(self.random_state)

            def weak_learner(t, w):
                learner = clone(self.estimator)
                _set_random_states(learner, rng)
                learner.fit(X, y, sample_weight=w)
                return learner, np.searchsorted(classes, learner.predict(X))

        learners, alphas, errors, _, _ = _boost(
            y_enc, n_classes, self.n_estimators, weak_learner, sample_weight=sample_weight,
            learning_rate=float(self.learning_rate))
        self.classes_ = classes
        self.n_classes_ = n_classes
        self.estimators_ = learners
        self.estimator_weights_ = np.asarray(alphas, dtype=np.float64)
        self.estimator_errors_ = np.asarray(errors, dtype=np.float64)
        return self

    # -- prediction (fitted state only) ---------------------------------------
    def _round_predictions(self, X):
        """Class indices of every weak learner, shape (T, N)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse=False, dtype="numeric")
        if isinstance(self.estimators_[0], Stump):
            X_float = np.asarray(X, dtype=np.float64)
            st = self.estimators_
            feats = np.array([s.feature for s in st])
            thr = np.array([s.threshold for s in st])
            left = np.array([s.left for s in st])
            right = np.array([s.right for s in st])
            cols = X_float[:, np.maximum(feats, 0)].T                # (T, N)
            go_left = (cols <= thr[:, None]) | (feats < 0)[:, None]
            return np.where(go_left, left[:, None], right[:, None])
        out = np.empty((len(self.estimators_), X.shape[0]), dtype=np.intp)
        for t, est in enumerate(self.estimators_):
            out[t] = np.searchsorted(self.classes_, est.predict(X))
        return out

    def _staged_scores(self, idx):
        """Scores (N, K) after each round, summed in round order."""
        scores = np.zeros((idx.shape[1], self.n_classes_))
        rows = np.arange(idx.shape[1])
        for t in range(idx.shape[0]):
            scores[rows, idx[t]] += self.estimator_weights_[t]
            yield scores

    def _scores(self, X):
        scores = None
        for scores in self._staged_scores(self._round_predictions(X)):
            pass
        return scores.copy()

    def _shape_scores(self, scores):
        return scores[:, 1] - scores[:, 0] if self.n_classes_ == 2 else scores

    def _labels(self, scores):
        return self.classes_[np.argmax(scores, axis=1)]

    def decision_function(self, X):
        """Scores :math:`g^k(x) = \\sum_t \\alpha_t [f_t(x) = k]`.

        Parameters
        ----------
        X : array_like, shape (N, d)

        Returns
        -------
        ndarray, shape (N, K), or shape (N,) when K = 2
            Column ``k`` belongs to ``classes_[k]``. For two classes,
            :math:`g^1(x) - g^0(x)` (positive means ``classes_[1]``), as in
            scikit-learn.
        """
        return self._shape_scores(self._scores(X))

    def predict(self, X):
        """Labels ``classes_[argmax_k g^k(x)]`` (first class on ties), shape (N,)."""
        return self._labels(self._scores(X))

    def staged_decision_function(self, X):
        """Yield :meth:`decision_function` after each round (``X`` is checked at the call)."""
        idx = self._round_predictions(X)
        return (self._shape_scores(s).copy() for s in self._staged_scores(idx))

    def staged_predict(self, X):
        """Yield the predicted labels (N,) after each round (``X`` is checked at the call)."""
        idx = self._round_predictions(X)
        return (self._labels(s) for s in self._staged_scores(idx))
