"""The boosting loop of multi-class AdaBoost (private).

One loop, ``_boost``, runs both :func:`mlhwlib.adaboost.boost_from_predictions`
(the hand-worked algorithm) and
:class:`mlhwlib.adaboost_estimator.MultiClassAdaBoost` (the classifier). It lives
in its own module so that those two modules import it and not each other.
Derived in the chapter :ref:`adaboost`.
"""

from __future__ import annotations

import warnings

import numpy as np

from mlhwlib.numerics import logsumexp


def _samme_step(eps: float, n_classes: int) -> float:
    """SAMME's step :math:`\\ln\\frac{1-\\varepsilon}{\\varepsilon} + \\ln(K-1)`, unchecked.

    The one home of the formula: :func:`mlhwlib.adaboost.samme_alpha` checks its
    arguments and calls it; ``0 < eps < 1`` and ``n_classes >= 2`` are assumed.
    """
    return float(np.log1p(-eps) - np.log(eps) + np.log(n_classes - 1.0))


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
            beta = learning_rate * _samme_step(eps, n_classes)
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
        with np.errstate(over="ignore"):      # an overflow is reported below
            w = np.exp(np.log(w, where=~zero, out=np.full(n, -np.inf)) + beta * incorrect)
        w = _normalised_weights(w, t, stacklevel=4)
        if w is None:
            break
    return learners, alphas, errors, weights, margin


def _normalised_weights(w, t, stacklevel):
    """``w / sum(w)``, or None when boosting must stop: the sum overflowed (a warning
    names the round ``t``) or is zero. ``stacklevel`` is the warning's, counted from here."""
    total = np.sum(w)
    if not np.isfinite(total):
        warnings.warn(f"sample weights overflowed in round {t}; boosting stopped "
                      "(lower the learning_rate)", RuntimeWarning, stacklevel=stacklevel)
        return None
    if total <= 0:
        return None
    w /= total
    return w
