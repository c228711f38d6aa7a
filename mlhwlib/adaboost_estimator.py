"""The scikit-learn classifier :class:`MultiClassAdaBoost` (chapter :ref:`adaboost`).

It runs the boosting loop ``_boost`` of the private module ``mlhwlib._boosting``
(shared with :func:`mlhwlib.adaboost.boost_from_predictions`) with the built-in stump of
:mod:`mlhwlib.stump` or any scikit-learn classifier as the weak learner.
:mod:`mlhwlib.adaboost` re-exports the class, so
``from mlhwlib.adaboost import MultiClassAdaBoost`` works as before.

``algorithm="SAMME.R"`` runs instead the real-valued SAMME.R loop of Zhu et
al. (``_boost_real`` below), derived in :ref:`adaboost-sammer`, step for step
as scikit-learn 1.5's ``AdaBoostClassifier(algorithm="SAMME.R")`` ran it (the
last release that had it).
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.special import xlogy
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, has_fit_parameter, validate_data

from mlhwlib._boosting import _boost, _normalised_weights
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
    algorithm : {"SAMME", "SAMME.R"}, default "SAMME"
        ``"SAMME"`` is the discrete algorithm above. ``"SAMME.R"`` is the
        real-valued algorithm of Zhu et al. (:ref:`adaboost-sammer`): round
        :math:`t` adds :math:`h_t^k(x) = (K-1)\\big(\\ln p_t^k(x) - \\frac1K
        \\sum_j \\ln p_t^j(x)\\big)` built from the weak learner's class
        probabilities (``predict_proba``, clipped below at machine epsilon), and
        multiplies the weights by :math:`\\exp(-\\nu\\frac{K-1}{K}\\mathbf y_i^\\top
        \\ln p_t(x_i))` with :math:`y_i^k \\in \\{1, -\\frac{1}{K-1}\\}`. It needs an
        ``estimator`` with ``predict_proba`` (the built-in stump has none).
        Everything follows scikit-learn 1.5's SAMME.R
        (``AdaBoostClassifier(algorithm="SAMME.R")``): ``learning_rate``
        scales only the weight update (the ensemble adds every :math:`h_t`
        with weight 1), there is no stop on a large error, only after a
        perfect round (:math:`\\varepsilon_t = 0`), and ``decision_function``,
        ``predict_proba`` and the staged versions are scikit-learn 1.5's.

    Attributes
    ----------
    classes_ : ndarray, shape (K,)
        Sorted distinct labels.
    n_classes_ : int
        ``K``.
    estimators_ : list
        Fitted weak learners (:class:`~mlhwlib.stump.Stump` objects for the built-in stump).
    estimator_weights_ : ndarray, shape (T,)
        SAMME: :math:`\\nu\\alpha_t`; SAMME.R: all 1. With SAMME, a perfect
        round (:math:`\\varepsilon_t = 0`, where the exact step is infinite)
        gets scikit-learn's convention: SAMME weight 1, i.e.
        :math:`\\alpha_t = (K-1)/K` whatever ``learning_rate``, and ends the fit.
    estimator_errors_ : ndarray, shape (T,)
        :math:`\\varepsilon_t` (for SAMME.R, the weighted error of the argmax
        of the learner's probabilities).
    n_features_in_ : int
    feature_names_in_ : ndarray of str, shape (d,)
        Only when ``X`` had string column names (a data frame).

    Notes
    -----
    Fitting stops early after a perfect round, or, with SAMME only, (discarding that round)
    when :math:`\\varepsilon_t \\ge (K-1)/K`, where the exact step would be
    :math:`\\le 0`; if that happens in the first round a ``ValueError`` is
    raised, since no ensemble can be formed. Before every round the weights
    are clipped below at machine epsilon (about 2.2e-16, scikit-learn's guard
    against underflow; exact zeros stay zero), so a user weight of 1e-300
    acts as 2.2e-16. Sparse ``X`` is not supported (a ``TypeError`` says so).
    With SAMME.R, a learner that never saw a class (its ``classes_`` lacks it)
    gives that class probability 0, clipped to machine epsilon like any other.

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
        "algorithm": [StrOptions({"SAMME", "SAMME.R"})],
    }

    def __init__(self, n_estimators=50, estimator=None, learning_rate=1.0, random_state=None,
                 criterion="error", algorithm="SAMME"):
        self.n_estimators = n_estimators
        self.estimator = estimator
        self.learning_rate = learning_rate
        self.random_state = random_state
        self.criterion = criterion
        self.algorithm = algorithm

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
        if self.algorithm == "SAMME.R":
            return self._fit_real(X, y, y_enc, classes, sample_weight)
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

    def _fit_real(self, X, y, y_enc, classes, sample_weight):
        """SAMME.R: scikit-learn 1.5's ``_boost_real`` loop, step for step."""
        if self.estimator is None:
            raise ValueError("algorithm='SAMME.R' needs an estimator with predict_proba; "
                             "estimator=None (the built-in stump) has none")
        name = type(self.estimator).__name__
        if not hasattr(self.estimator, "predict_proba"):
            raise ValueError(f"estimator {name} has no predict_proba, which "
                             "algorithm='SAMME.R' needs")
        if not has_fit_parameter(self.estimator, "sample_weight"):
            raise ValueError(f"estimator {name} does not accept sample_weight")
        rng = check_random_state(self.random_state)
        n_classes = len(classes)
        self.classes_ = classes
        self.n_classes_ = n_classes
        learners, errors = _boost_real(X, y, y_enc, n_classes, self.n_estimators,
                                       lambda: _fresh(self.estimator, rng),
                                       self._learner_proba, sample_weight,
                                       float(self.learning_rate))
        self.estimators_ = learners
        self.estimator_weights_ = np.ones(len(learners))
        self.estimator_errors_ = np.asarray(errors, dtype=np.float64)
        return self

    def _learner_proba(self, learner, X):
        """The learner's probabilities (N, K) in the column order of ``classes_``."""
        proba = np.asarray(learner.predict_proba(X), dtype=np.float64)
        cols = np.searchsorted(self.classes_, learner.classes_)
        if proba.shape[1] == self.n_classes_ and np.array_equal(cols, np.arange(self.n_classes_)):
            return proba.copy()
        out = np.zeros((proba.shape[0], self.n_classes_))   # a class the learner never saw
        out[:, cols] = proba
        return out

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
        for scores in self._staged_scores(self._round_predictions(X)):  # noqa: B007 (the last one)
            pass
        return scores.copy()

    def _shape_scores(self, scores):
        return scores[:, 1] - scores[:, 0] if self.n_classes_ == 2 else scores

    def _labels(self, scores):
        return self.classes_[np.argmax(scores, axis=1)]

    def _real_terms(self, X):
        """SAMME.R: each round's :math:`h_t(x)` (N, K), scikit-learn 1.5's ``_samme_proba``.

        ``X`` is checked at the call; the terms are computed as they are consumed.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse=False, dtype="numeric")
        return (_samme_r_scores(self._learner_proba(est, X)) for est in self.estimators_)

    def _real_staged(self, X):
        """SAMME.R: the decision function after each round, as scikit-learn 1.5 computed it.

        ``X`` is checked at the call; the rounds are computed as the generator is consumed.
        """
        return self._accumulate(self._real_terms(X))

    def _accumulate(self, terms):
        pred, norm = None, 0.0
        for term in terms:
            norm += 1.0
            pred = term if pred is None else pred + term
            if self.n_classes_ == 2:
                tmp = np.copy(pred)
                tmp[:, 0] *= -1
                yield (tmp / norm).sum(axis=1)
            else:
                yield pred / norm

    def _real_decision(self, X):
        pred = None
        for term in self._real_terms(X):
            pred = term if pred is None else pred + term
        pred /= float(len(self.estimators_))
        if self.n_classes_ == 2:
            pred[:, 0] *= -1
            return pred.sum(axis=1)
        return pred

    def _real_labels(self, decision):
        if self.n_classes_ == 2:
            return self.classes_.take(decision > 0, axis=0)
        return self.classes_.take(np.argmax(decision, axis=1), axis=0)

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
            scikit-learn. With ``algorithm="SAMME.R"``: scikit-learn 1.5's
            :math:`\\frac1T\\sum_t h_t(x)` (for two classes
            :math:`\\frac1T\\sum_t (h_t^1 - h_t^0)`).
        """
        if self.algorithm == "SAMME.R":
            return self._real_decision(X)
        return self._shape_scores(self._scores(X))

    def predict(self, X):
        """Labels ``classes_[argmax_k g^k(x)]`` (first class on ties), shape (N,)."""
        if self.algorithm == "SAMME.R":
            return self._real_labels(self._real_decision(X))
        return self._labels(self._scores(X))

    def staged_decision_function(self, X):
        """Yield :meth:`decision_function` after each round (``X`` is checked at the call)."""
        if self.algorithm == "SAMME.R":
            return self._real_staged(X)
        idx = self._round_predictions(X)
        return (self._shape_scores(s).copy() for s in self._staged_scores(idx))

    def staged_predict(self, X):
        """Yield the predicted labels (N,) after each round (``X`` is checked at the call)."""
        if self.algorithm == "SAMME.R":
            return (self._real_labels(d) for d in self._real_staged(X))
        idx = self._round_predictions(X)
        return (self._labels(s) for s in self._staged_scores(idx))

    def _proba_from_decision(self, decision):
        """scikit-learn 1.5's probabilities: softmax of the decision function / (K - 1)."""
        if self.n_classes_ == 2:
            decision = np.vstack([-decision, decision]).T / 2
        else:
            decision = decision / (self.n_classes_ - 1)
        return _softmax(decision)

    @available_if(lambda self: self.algorithm == "SAMME.R")
    def predict_proba(self, X):
        """SAMME.R only: class probabilities, shape (N, K), columns in ``classes_`` order.

        The softmax of :meth:`decision_function` divided by :math:`K-1` (for two
        classes, of :math:`(-d/2, d/2)`), as scikit-learn 1.5 computed them: the
        Fisher-consistency inversion :math:`p_k \\propto e^{g^k/(K-1)}` applied
        to the average :math:`\\frac1T\\sum_t h_t`.
        """
        return self._proba_from_decision(self.decision_function(X))

    @available_if(lambda self: self.algorithm == "SAMME.R")
    def staged_predict_proba(self, X):
        """SAMME.R only: yield ``predict_proba`` after each round."""
        return (self._proba_from_decision(d) for d in self._real_staged(X))

    @available_if(lambda self: self.algorithm == "SAMME.R")
    def predict_log_proba(self, X):
        """SAMME.R only: ``log`` of ``predict_proba`` (scikit-learn 1.5's definition)."""
        return np.log(self.predict_proba(X))


def _fresh(estimator, rng):
    learner = clone(estimator)
    _set_random_states(learner, rng)
    return learner


def _softmax(z):
    """Row-wise softmax, the operations of scikit-learn's ``extmath.softmax``."""
    z = z - z.max(axis=1).reshape(-1, 1)
    np.exp(z, out=z)
    z /= z.sum(axis=1).reshape(-1, 1)
    return z


def _samme_r_scores(proba):
    """:math:`h^k = (K-1)(\\ln p^k - \\frac1K\\sum_j \\ln p^j)`, ``p`` clipped at machine epsilon.

    ``proba`` (N, K) is clipped in place (scikit-learn 1.5's ``_samme_proba``).
    """
    n_classes = proba.shape[1]
    np.clip(proba, np.finfo(proba.dtype).eps, None, out=proba)
    log_proba = np.log(proba)
    return (n_classes - 1) * (log_proba - (1.0 / n_classes) * log_proba.sum(axis=1)[:, np.newaxis])


def _boost_real(X, y, y_enc, n_classes, n_rounds, make_learner, learner_proba, sample_weight,
                learning_rate):
    """SAMME.R's forward stagewise loop, scikit-learn 1.5's ``fit`` + ``_boost_real``.

    ``make_learner()`` returns an unfitted learner, ``learner_proba(learner, X)``
    its probabilities (N, K). Weights are clipped below at machine epsilon
    before every round (exact zeros stay zero); a perfect round is kept and
    ends the fit; the last round does not update the weights.

    Returns ``(learners, errors)``.
    """
    w = sample_weight / sample_weight.sum()
    tiny = np.finfo(np.float64).eps
    zero = w == 0.0
    y_coding = np.where(np.arange(n_classes) == y_enc[:, None], 1.0, -1.0 / (n_classes - 1))
    learners, errors = [], []
    for t in range(n_rounds):
        w = np.clip(w, tiny, None)
        w[zero] = 0.0
        learner = make_learner()
        learner.fit(X, y, sample_weight=w)
        proba = learner_proba(learner, X)
        incorrect = np.argmax(proba, axis=1) != y_enc
        eps = float(np.mean(np.average(incorrect, weights=w, axis=0)))
        learners.append(learner)
        errors.append(eps)
        if eps <= 0.0:                        # perfect round: kept, the fit stops
            break
        np.clip(proba, tiny, None, out=proba)
        # the weight update's exponent -nu (K-1)/K y_i^T ln p(x_i), one per sample
        step = -1.0 * learning_rate * ((n_classes - 1.0) / n_classes) * xlogy(y_coding,
                                                                               proba).sum(axis=1)
        if t == n_rounds - 1:
            break
        with np.errstate(over="ignore"):      # an overflow is reported below
            w = w * np.exp(step * ((w > 0) | (step < 0)))
        w = _normalised_weights(w, t, stacklevel=5)
        if w is None:
            break
    return learners, errors
