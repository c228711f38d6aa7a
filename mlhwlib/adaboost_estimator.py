"""The scikit-learn classifier :class:`MultiClassAdaBoost` (chapter :ref:`adaboost`).

It runs the boosting loop of :mod:`mlhwlib.adaboost` (``_boost``, shared with
:func:`mlhwlib.adaboost.boost_from_predictions`) with the built-in stump of
:mod:`mlhwlib.stump` or any scikit-learn classifier as the weak learner.
:mod:`mlhwlib.adaboost` re-exports the class, so
``from mlhwlib.adaboost import MultiClassAdaBoost`` works as before.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (_check_sample_weight, check_is_fitted,
                                      has_fit_parameter, validate_data)

from mlhwlib.adaboost import _boost
from mlhwlib.stump import Stump, _SortedData

__all__ = ["MultiClassAdaBoost"]


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
    :math:`\\alpha_t` = ``learning_rate`` * :func:`~mlhwlib.adaboost.multiclass_alpha` and
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
        ``None`` uses the built-in vectorised stump (:func:`~mlhwlib.stump.fit_stump`);
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
        weighted multi-class error exactly, as the derivation prescribes (the
        first exact minimiser in (feature, threshold) order); ``"gini"``
        minimises the weighted Gini impurity, scikit-learn's
        ``DecisionTreeClassifier(max_depth=1)`` criterion (both sides still
        predict their heaviest class), up to the rounding bound
        :func:`~mlhwlib.stump.tie_tolerance`. The split is then scikit-learn's only
        when a single feature attains the best impurity by more than that
        bound: on an exact tie between
        features scikit-learn takes the first of its random feature permutation
        and mlhwlib the lowest feature (ties between thresholds of one feature
        go to the lowest threshold in both). Ignored when ``estimator`` is given.

    Attributes
    ----------
    classes_ : ndarray, shape (K,)
        Sorted distinct labels.
    n_classes_ : int
        ``K``.
    estimators_ : list
        Fitted weak learners (:class:`~mlhwlib.stump.Stump` objects for the built-in stump).
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
