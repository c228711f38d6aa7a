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
Stump, fit_stump, tie_tolerance
    The built-in weighted multi-class decision stump (module :mod:`mlhwlib.stump`)
    and the rounding bound of its search.
MultiClassAdaBoost
    A scikit-learn classifier (built-in stump or any scikit-learn classifier),
    defined in :mod:`mlhwlib.adaboost_estimator` and re-exported here.

Both :func:`boost_from_predictions` and
:class:`~mlhwlib.adaboost_estimator.MultiClassAdaBoost` run the one boosting
loop, ``_boost`` of the private module ``mlhwlib._boosting``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlhwlib._boosting import _boost, _samme_step
from mlhwlib.adaboost_estimator import MultiClassAdaBoost
from mlhwlib.numerics import _as_class_labels, _readonly, as_finite_float, as_float_array, as_int, logsumexp
from mlhwlib.stump import Stump, fit_stump, tie_tolerance

__all__ = [
    "multiclass_alpha",
    "samme_alpha",
    "loss_reduction_factor",
    "multiclass_exponential_loss",
    "BoostingResult",
    "boost_from_predictions",
    "Stump",
    "fit_stump",
    "tie_tolerance",
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
    return _samme_step(eps, n_classes)


def multiclass_alpha(eps, n_classes) -> float:
    """Exact line-search step of multi-class AdaBoost.

    .. math:: \\alpha = \\frac{K-1}{K}\\Big[\\ln\\frac{1-\\varepsilon}{\\varepsilon} + \\ln(K-1)\\Big]

    It minimises :math:`(1-\\varepsilon)e^{-\\alpha} + \\varepsilon e^{\\alpha/(K-1)}`,
    the factor by which one round multiplies the multi-class exponential loss.
    Derived in :prf:ref:`adaboost-thm-alpha`.

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
    y = _as_class_labels(y, "y", scores.shape[1], shape=(scores.shape[0],))
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
        # values computed by boost_from_predictions: frozen, not validated again
        for name in ("eps", "alpha", "weights", "scores"):
            object.__setattr__(self, name, _readonly(getattr(self, name)))
        object.__setattr__(self, "predictions", _readonly(self.predictions, dtype=np.int64))
        object.__setattr__(self, "loss", float(self.loss))


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
    :class:`~mlhwlib.adaboost_estimator.MultiClassAdaBoost` instead requires :math:`\\alpha_t > 0` and
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
    y_arr = _as_class_labels(y_arr, "y", n_classes)
    n = y_arr.shape[0]
    p_arr = np.asarray(predictions)
    if p_arr.ndim != 2 or p_arr.shape[1] != n:
        raise ValueError(f"predictions must have shape (T, {n}) to match y, got {p_arr.shape}")
    p_arr = _as_class_labels(p_arr, "predictions", n_classes, shape=p_arr.shape)
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
