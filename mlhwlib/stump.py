"""The weighted multi-class decision stump, the built-in weak learner of AdaBoost.

Re-exported by :mod:`mlhwlib.adaboost`; derived in the chapter
:ref:`adaboost-stump`.

Public API
----------
Stump
    A fitted stump: class ``left`` if ``x[feature] <= threshold`` else ``right``.
fit_stump
    The stump with the smallest weighted multi-class error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlhwlib.numerics import as_float_array, as_int, check_sample_weight

__all__ = ["Stump", "fit_stump", "TIE_RTOL"]

#: Relative tolerance under which two candidate stumps count as tied. Scores
#: (weight classified correctly, or the Gini gain) within ``TIE_RTOL`` times
#: the total weight of the best one are ties; a tie goes to the lowest
#: ``(feature, threshold)``, and a tie between classes on one side to the
#: lowest class. Rounding (another SIMD kernel, another summation order)
#: therefore cannot decide between equally good stumps.
TIE_RTOL = 1e-10


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


def _first_within(values, tol):
    """Index of the first entry of ``values`` (1-D) within ``tol`` of its maximum."""
    return int(np.flatnonzero(values >= values.max() - tol)[0])


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
    """Per-feature sort of ``X`` done once; each round then costs one short cumulative sum per class.

    For feature ``j`` the samples are sorted once and equal values form one
    group.  The class weights to the left of every threshold are prefix sums:
    for class ``k``, ``L_k(g)`` is the sum of the weights of the class-``k``
    samples in groups ``0 .. g``.  Each round therefore (1) scatters the
    weights of each class, in sorted order, into a zero-led segment of a
    buffer, (2) takes one cumulative sum along the segments (``N + K``
    entries per feature, not ``K`` times the number of groups, which is
    about ``K N`` for continuous features) and (3) gathers ``L_k(g)`` from it
    with indices computed once (the number of class-``k`` samples in groups
    ``<= g``).  Without tied values this adds the same weights in the same
    order as a cumulative sum over groups; with ties, within-group sums
    differ only by rounding (``TIE_RTOL`` absorbs that).
    """

    _BLOCK_ENTRIES = 1 << 17  # (features per block) * classes * groups: about 1 MB, cache-sized

    def __init__(self, X, y, n_classes):
        n, d = X.shape
        k = n_classes
        self.y = y
        self.n_classes = k
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
        class_n = np.bincount(y, minlength=k)
        seg = int(class_n.max()) + 1                                # segment: a zero, then weights
        class_start = np.concatenate([[0], np.cumsum(class_n)[:-1]])
        block = max(1, self._BLOCK_ENTRIES // (g_max * k))
        self.blocks = []
        for start in range(0, d, block):
            stop = min(d, start + block)
            width = stop - start
            perm = np.empty((width, n), dtype=np.intp)
            pos = np.empty((width, n), dtype=np.intp)
            idx = np.empty((width, k, g_max), dtype=np.intp)
            for j in range(width):
                o = order[:, start + j]
                yc = y[o]
                by_class = np.argsort(yc, kind="stable")            # sorted positions, class-major
                perm[j] = o[by_class]
                yk = yc[by_class]
                rank = np.arange(n) - class_start[yk]               # m-th sample of its class
                pos[j] = (j * k + yk) * seg + 1 + rank
                cnt = np.zeros((k, g_max), dtype=np.intp)           # class-k samples per group
                np.add.at(cnt, (yc, group[:, start + j]), 1)
                np.cumsum(cnt, axis=1, out=cnt)                     # ... in groups <= g
                idx[j] = (j * k + np.arange(k))[:, None] * seg + cnt
            self.blocks.append((start, stop, perm.ravel(), pos.ravel(), idx.ravel(),
                                width * k * seg))

    def _left_weights(self, w, perm, pos, idx, size, width):
        """Class weights left of every split, shape (width, K, G), for weights ``w``."""
        buf = np.zeros(size)
        buf[pos] = w[perm]
        buf = buf.reshape(-1, size // (width * self.n_classes))
        np.cumsum(buf, axis=1, out=buf)
        return np.take(buf.ravel(), idx).reshape(width, self.n_classes, self.g_max)

    def best_stump(self, w, criterion="error"):
        """The best stump for weights ``w`` (N,).

        ``criterion="error"``: smallest weighted error (each side predicts its
        heaviest class). ``"gini"``: smallest weighted Gini impurity, i.e. largest
        :math:`\\sum_k L_k^2/W_L + \\sum_k R_k^2/W_R` (scikit-learn's tree
        criterion); the sides still predict their heaviest class. Scores within
        ``TIE_RTOL * sum(w)`` of the best are ties and go to the lowest
        ``(feature, threshold)``.  So the Gini stump is scikit-learn's
        ``DecisionTreeClassifier(max_depth=1)`` split only when one feature
        attains the best gain: scikit-learn breaks an exact tie between
        features by its random feature permutation, not by the lowest feature
        (tested both ways in ``tests/test_adaboost.py``).
        """
        k, g_max = self.n_classes, self.g_max
        total = np.bincount(self.y, weights=w, minlength=k)        # class totals (K,)
        tol = TIE_RTOL * float(total.sum())
        found = []                                                  # per block: (max, score, left)
        for start, stop, perm, pos, idx, size in self.blocks:
            left = self._left_weights(w, perm, pos, idx, size, stop - start)
            if criterion == "error":
                score = self._correct_weight(left, total)
            else:
                score = self._gini_gain(left, total)
            score[self.invalid[start:stop]] = -np.inf
            found.append((float(score.max()), start, score, left))
        best_score = max(f[0] for f in found)
        if not np.isfinite(best_score):  # every feature constant: predict the heaviest class
            c = _first_within(total, tol)
            return Stump(-1, np.inf, c, c)
        for top, start, score, left in found:                       # blocks in feature order
            if top >= best_score - tol:
                flat = int(np.flatnonzero(score.ravel() >= best_score - tol)[0])
                j, g = divmod(flat, g_max)
                a = _first_within(left[j, :, g], tol)
                b = _first_within(total - left[j, :, g], tol)
                j += start
                break
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
        with np.errstate(divide="ignore", invalid="ignore"):   # an empty side adds 0
            out = np.divide(sq_left, w_left)
            sq_right /= w_right
        out[w_left <= 0] = 0.0
        sq_right[w_right <= 0] = 0.0
        out += sq_right
        return out


def fit_stump(X, y, sample_weight, n_classes=None) -> Stump:
    """Fit the multi-class decision stump with the smallest weighted error.

    Searches every feature and every threshold between two consecutive
    distinct values (the threshold is their midpoint); each side predicts its
    heaviest class. Stumps whose weighted errors agree to within
    :data:`~mlhwlib.stump.TIE_RTOL` times the total weight are ties, resolved towards the
    lowest ``(feature, threshold)`` (and the lowest class on each side), so
    the choice does not depend on rounding. Used once per round by
    :class:`~mlhwlib.adaboost_estimator.MultiClassAdaBoost` (which sorts ``X`` only
    once). Derived in :ref:`adaboost-stump`.

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

    Examples
    --------
    >>> fit_stump([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1], [1.0, 1.0, 1.0, 1.0])
    Stump(feature=0, threshold=1.5, left=0, right=1)
    """
    X = as_float_array(X, "X", ndim=2)
    y_arr = np.asarray(y)
    if n_classes is None:
        # check the labels (integer, non-negative, shape) before reading K off them
        y_arr = _check_labels(y_arr, "y", np.iinfo(np.intp).max, shape=(X.shape[0],))
        n_classes = int(np.max(y_arr)) + 1
    n_classes = as_int(n_classes, "n_classes", minimum=1)
    y_arr = _check_labels(y_arr, "y", n_classes, shape=(X.shape[0],))
    w = check_sample_weight(sample_weight, X.shape[0])
    return _SortedData(X, y_arr, n_classes).best_stump(w)
