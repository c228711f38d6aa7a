"""The weighted multi-class decision stump, the built-in weak learner of AdaBoost.

Re-exported by :mod:`mlhwlib.adaboost`; derived in the chapter
:ref:`adaboost-stump`.

Public API
----------
Stump
    A fitted stump: class ``left`` if ``x[feature] <= threshold`` else ``right``.
fit_stump
    The stump with the smallest weighted multi-class error.
tie_tolerance
    The rounding bound of the stump search's prefix sums.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlhwlib.numerics import _as_class_labels as _check_labels
from mlhwlib.numerics import as_float_array, as_int, check_sample_weight

__all__ = ["Stump", "fit_stump", "tie_tolerance"]

_U = 2.0 ** -53            # unit roundoff of float64


def tie_tolerance(n_samples, n_classes, total_weight) -> float:
    r"""The gap below which the stump search cannot tell two candidates apart.

    The stump search scores every split from prefix sums: the class-``k``
    weight ``L_k`` left of a split is a cumulative sum of at most ``N``
    non-negative weights, the class total ``T_k`` a sum of the same kind, and
    the right-hand weight is ``R_k = T_k - L_k``.  With unit roundoff
    :math:`u = 2^{-53}` and :math:`\gamma_N = Nu/(1-Nu)`, recursive summation
    of non-negative terms errs by at most :math:`\gamma_N` times their sum
    (Higham, *Accuracy and Stability of Numerical Algorithms*, 2002, (4.4)), so
    with :math:`W` the total weight

    * :math:`|\hat L_k - L_k| \le \gamma_N L_k` and
      :math:`\sum_k |\hat R_k - R_k| \le (2\gamma_N + u)(1+\gamma_N)\, W`;
    * the weight a split classifies correctly, :math:`\max_k L_k + \max_k R_k`,
      is computed to within :math:`5\gamma_N W`;
    * the Gini score :math:`\sum_k L_k^2/W_L + \sum_k R_k^2/W_R` has partial
      derivatives :math:`2p_k - \sum_j p_j^2 \in [-1, 2]` in every
      :math:`L_k` and :math:`R_k`, so the perturbed sums move it by at most
      :math:`2\sum_k(|\hat L_k - L_k| + |\hat R_k - R_k|) \le 8\gamma_N W`,
      and evaluating it adds at most :math:`\gamma_{2K+2} W`.

    Every compared quantity is therefore within
    :math:`e = (8N + 2K + 4)\,u\,W\,(1 + 10^{-2})` of its exact value when
    :math:`(8N+2K+4)u \le 10^{-2}`; two computed values less than :math:`2e`
    apart may be in either order exactly, values further apart may not.  The
    returned tolerance is :math:`2e` with the computed total weight (a factor
    ``1.05`` covers the rounding of the total and of this product).

    Parameters
    ----------
    n_samples : int
        ``N``, the number of weights summed (at least 1).
    n_classes : int
        ``K`` (at least 1).
    total_weight : float
        The computed total weight ``W`` (finite, non-negative).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``n_samples`` or ``n_classes`` is below 1, ``total_weight`` is negative or not
        finite, or ``(8N + 2K + 4) u > 0.01`` (the bound's premise).

    Examples
    --------
    >>> tie_tolerance(100, 3, 1.0) / 2.0 ** -53
    1701.0
    """
    n = as_int(n_samples, "n_samples", minimum=1)
    k = as_int(n_classes, "n_classes", minimum=1)
    total = float(as_float_array(total_weight, "total_weight", ndim=0))
    if total < 0:
        raise ValueError(f"total_weight must be non-negative, got {total}")
    c = 8 * n + 2 * k + 4
    if c * _U > 1e-2:
        raise ValueError(f"n_samples = {n} is too large for the rounding bound "
                         f"((8N + 2K + 4) u must be <= 0.01)")
    return 2.0 * 1.05 * c * _U * total


def _exact_sign(a, b) -> int:
    """Sign of ``sum(a) - sum(b)``, exactly, for 1-D float arrays of finite terms.

    ``math.fsum`` returns the correctly rounded sum, so the sign of the
    rounded difference is the sign of the exact one.
    """
    d = math.fsum(np.concatenate([a, -b]).tolist())
    return (d > 0) - (d < 0)


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
    samples in groups ``0 .. g``.  Each round therefore (1) gathers the
    weights of each class, in sorted order, into a zero-led segment of a
    buffer (one ``take`` with source indices computed once), (2) takes one cumulative sum along the segments (``N + K``
    entries per feature, not ``K`` times the number of groups, which is
    about ``K N`` for continuous features) and (3) gathers ``L_k(g)`` from it
    with indices computed once (the number of class-``k`` samples in groups
    ``<= g``).  Without tied values this adds the same weights in the same
    order as a cumulative sum over groups; with ties, within-group sums
    differ only by rounding, which :func:`~mlhwlib.stump.tie_tolerance` bounds.
    The buffers are allocated once and reused every round; every split's
    score is kept, and the class weights are recomputed (the same sums in
    the same order) only for the blocks that hold a candidate.
    """

    _BLOCK_ENTRIES = 1 << 17  # (features per block) * classes * groups: about 1 MB, cache-sized

    def __init__(self, X, y, n_classes):
        n, d = X.shape
        k = n_classes
        self.X = X
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
            # src[p]: the sample whose weight goes to buffer position p, or n (a zero weight)
            src = np.full(width * k * seg, n, dtype=np.intp)
            idx = np.empty((width, k, g_max), dtype=np.intp)
            for j in range(width):
                o = order[:, start + j]
                yc = y[o]
                by_class = np.argsort(yc, kind="stable")            # sorted positions, class-major
                yk = yc[by_class]
                rank = np.arange(n) - class_start[yk]               # m-th sample of its class
                src[(j * k + yk) * seg + 1 + rank] = o[by_class]
                cnt = np.zeros((k, g_max), dtype=np.intp)           # class-k samples per group
                np.add.at(cnt, (yc, group[:, start + j]), 1)
                np.cumsum(cnt, axis=1, out=cnt)                     # ... in groups <= g
                idx[j] = (j * k + np.arange(k))[:, None] * seg + cnt
            self.blocks.append((start, stop, src, idx.ravel()))
        # work buffers, reused every round (the first block is the widest)
        width = self.blocks[0][1] if self.blocks else 0
        self._w = np.zeros(n + 1)                                   # weights, then a zero
        self._buf = np.empty(width * k * seg)
        self._left = np.empty((width, k, g_max))
        self._gini_buffers = (np.empty((width, k, g_max)),) + tuple(
            np.empty((width, g_max)) for _ in range(4))
        self._score = np.empty((d, g_max))                          # every split's score
        self._invalid_at = [np.flatnonzero(self.invalid[start:stop])
                            for start, stop, _, _ in self.blocks]

    def _left_weights(self, w, src, idx, width, out=None):
        """Class weights left of every split, shape (width, K, G), for weights ``w``.

        ``w`` has ``N`` entries, or ``N + 1`` with the last one zero (the padding
        that ``src`` points at; :meth:`best_stump` passes its buffer so); ``out``
        (optional) receives the result.
        """
        n = len(self.y)
        if w.shape != (n + 1,):
            if w.shape != (n,):
                raise ValueError(f"w must have {n} or {n + 1} entries, not shape {w.shape}")
            self._w[:n] = w
            self._w[n] = 0.0
            w = self._w
        elif w[n] != 0.0:
            raise ValueError("w's padding entry (its last, index N) must be 0")
        buf = np.take(w, src, out=self._buf[:src.size], mode="clip")
        buf = buf.reshape(width * self.n_classes, -1)
        np.cumsum(buf, axis=1, out=buf)
        if out is None:
            out = np.empty((width, self.n_classes, self.g_max))
        np.take(buf.ravel(), idx, out=out.reshape(-1), mode="clip")
        return out

    def best_stump(self, w, criterion="error"):
        r"""The best stump for weights ``w`` (N,).

        ``criterion="error"``: the smallest weighted error (each side predicts
        its heaviest class), found exactly: among all stumps of the smallest
        exact weighted error, the one with the lowest
        ``(feature, threshold, left, right)``.  ``"gini"``: the smallest
        weighted Gini impurity, i.e. the largest
        :math:`\sum_k L_k^2/W_L + \sum_k R_k^2/W_R` (scikit-learn's tree
        criterion); the sides still predict their heaviest class.

        Both criteria first score every split from prefix sums, which are
        exact only up to rounding; :func:`~mlhwlib.stump.tie_tolerance` bounds by how much
        two computed scores can be out of order.  For ``"gini"`` the first
        ``(feature, threshold)`` whose score is within that tolerance of the
        best wins (so the exactly best split wins whenever it leads the
        others by more than twice the tolerance), and the first class within
        it on each side.  For ``"error"`` the splits within the tolerance are
        only candidates: their errors are recomputed directly from the
        misclassified weights (a sum of small terms, accurate relative to the
        error itself) and the remaining near-ties are compared exactly with
        ``math.fsum``.  So the Gini stump is scikit-learn's
        ``DecisionTreeClassifier(max_depth=1)`` split only when one feature
        attains the best gain by more than rounding: scikit-learn breaks an
        exact tie between features by its random feature permutation, not by
        the lowest feature (tested both ways in ``tests/test_adaboost.py``).
        """
        k, g_max = self.n_classes, self.g_max
        n = len(self.y)
        total = np.bincount(self.y, weights=w, minlength=k)        # class totals (K,)
        tol = tie_tolerance(n, k, float(total.sum()))
        w_ext = self._w
        w_ext[:n] = w                                               # w_ext[n] stays 0
        tops = []                                                   # per block: best score
        for (start, stop, src, idx), invalid_at in zip(self.blocks, self._invalid_at):
            width = stop - start
            left = self._left_weights(w_ext, src, idx, width, out=self._left[:width])
            score = self._score[start:stop]
            if criterion == "error":
                score[...] = self._correct_weight(left, total)
            else:
                self._gini_gain(left, total, out=score,
                                buffers=[b[:width] for b in self._gini_buffers])
            score.reshape(-1)[invalid_at] = -np.inf
            tops.append(float(score.max()))
        best_score = max(tops)
        if not np.isfinite(best_score):  # every feature constant: predict the heaviest class
            if criterion == "error":
                return self._exact_best(w, [(-1, 0, c, c) for c in range(k)])
            c = _first_within(total, tol)
            return Stump(-1, np.inf, c, c)
        found = []                      # the blocks that hold a candidate, left recomputed
        for (start, stop, src, idx), top in zip(self.blocks, tops):
            if top >= best_score - tol:
                found.append((top, start, self._score[start:stop],
                              self._left_weights(w_ext, src, idx, stop - start)))
                if criterion == "gini":                             # only the first counts
                    break
        triples, const = [], {}        # candidate (feature, group, a, b); class -> first split
        for top, start, score, left in found:                       # blocks in feature order
            if top < best_score - tol:
                continue
            flat = np.flatnonzero(score.ravel() >= best_score - tol)
            j, g = np.divmod(flat, g_max)
            if criterion == "gini":
                j, g = int(j[0]), int(g[0])
                a = _first_within(left[j, :, g], tol)
                b = _first_within(total - left[j, :, g], tol)
                return self._stump(j + start, g, a, b)
            lw = left[j, :, g]                                      # (C, K)
            rw = total - lw
            a_ok = lw >= lw.max(axis=1, keepdims=True) - tol        # labels rounding allows
            b_ok = rw >= rw.max(axis=1, keepdims=True) - tol
            single = (a_ok.sum(axis=1) == 1) & (b_ok.sum(axis=1) == 1)
            same = single & (a_ok.argmax(axis=1) == b_ok.argmax(axis=1))
            # one class on both sides: the error is W - T_x for every such split, an
            # exact tie, so only the first such split per class can win
            # (the first in (feature, threshold) order, whichever loop below finds it)
            cls, first = np.unique(a_ok.argmax(axis=1)[same], return_index=True)
            for x, i in zip(cls, np.flatnonzero(same)[first]):
                split = (int(j[i] + start), int(g[i]))
                const[int(x)] = min(const.get(int(x), split), split)
            for i in np.flatnonzero(~same):
                for x in np.flatnonzero(a_ok[i]):
                    for z in np.flatnonzero(b_ok[i]):
                        if x == z:
                            split = (int(j[i] + start), int(g[i]))
                            const[int(x)] = min(const.get(int(x), split), split)
                        else:
                            triples.append((int(j[i] + start), int(g[i]), int(x), int(z)))
        triples += [(jj, gg, x, x) for x, (jj, gg) in const.items()]
        if len(triples) == 1:
            return self._stump(*triples[0])                         # nothing left to decide
        return self._exact_best(w, sorted(triples))

    def _stump(self, j, g, a, b):
        lo, hi = self.values[j, g], self.values[j, g + 1]
        thr = lo / 2.0 + hi / 2.0
        if not lo <= thr < hi:
            thr = lo
        return Stump(int(j), float(thr), int(a), int(b))

    def _exact_best(self, w, triples):
        r"""The exact best error stump among ``triples`` ``(feature, group, left, right)`` (sorted).

        A stump's error :math:`\sum_{\text{left}, y\ne a} w_i + \sum_{\text{right}, y\ne b} w_i`
        is computed here from the weights themselves (no prefix sums): two sums
        of at most ``N`` non-negative weights, so the computed error is within a
        relative :math:`\rho = \gamma_{N+1}` of the exact one.  Every stump
        within a factor :math:`(1+\rho)/(1-\rho)` of the smallest computed
        error is then compared exactly (``_exact_sign``); the first exact
        minimum in ``(feature, threshold, left, right)`` order wins, and stumps
        with the same set of misclassified samples are compared only once.
        ``feature = -1`` is the constant stump (every sample on the left).
        """
        y, k = self.y, self.n_classes
        n = len(y)
        t = np.array(triples, dtype=np.intp)                        # (C, 4)
        wrong_w = w[:, None] * (y[:, None] != np.arange(k))         # (N, K): w_i [y_i != c]
        chunk = max(1, (1 << 22) // max(n, 1))
        errs = np.empty(len(t))
        for c0 in range(0, len(t), chunk):
            tt = t[c0:c0 + chunk]
            mask = self._left_masks(tt[:, 0], tt[:, 1]).astype(np.float64)    # (C, N)
            rows = np.arange(len(tt))
            errs[c0:c0 + chunk] = ((mask @ wrong_w)[rows, tt[:, 2]]
                                   + ((1.0 - mask) @ wrong_w)[rows, tt[:, 3]])
        rho = 1.01 * (n + 1) * _U
        near = np.flatnonzero(errs <= errs.min() * (1.0 + 3.0 * rho))
        best, best_terms, seen = None, None, set()
        for c in near:                                              # lexicographic order
            j, g, a, b = (int(v) for v in t[c])
            left = self._left_masks(t[c:c + 1, 0], t[c:c + 1, 1])[0]
            wrong = np.where(left, y != a, y != b)
            key = np.packbits(wrong).tobytes()
            if key in seen:                                         # same mistakes: a tie
                continue
            seen.add(key)
            terms = w[wrong]
            if best is None or _exact_sign(terms, best_terms) < 0:
                best, best_terms = (j, g, a, b), terms
        j, g, a, b = best
        if j < 0:
            return Stump(-1, np.inf, a, a)
        return self._stump(j, g, a, b)

    def _left_masks(self, feats, groups):
        """Boolean (C, N): sample ``i`` is left of split ``c`` (all True for feature -1)."""
        out = np.ones((len(feats), len(self.y)), dtype=bool)
        real = feats >= 0
        if np.any(real):
            out[real] = (self.X[:, feats[real]].T
                         <= self.values[feats[real], groups[real]][:, None])
        return out

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
    def _gini_gain(left, total, out=None, buffers=None):
        """sum_k L_k^2 / W_L + sum_k R_k^2 / W_R (larger = purer), shape (F, G).

        ``R_k = T_k - L_k`` is formed explicitly (and clipped at 0): expanding
        ``sum_k R_k^2`` instead cancels terms of size ``W^2``, whose rounding,
        divided by a small ``W_R``, is unbounded (see :func:`~mlhwlib.stump.tie_tolerance`).
        ``out`` (F, G) receives the result; ``buffers`` (optional) are work
        arrays of shapes (F, K, G) and four times (F, G).
        """
        f, _, g = left.shape
        if buffers is None:
            buffers = [np.empty_like(left)] + [np.empty((f, g)) for _ in range(4)]
        right, sq_left, sq_right, w_left, w_right = buffers
        if out is None:
            out = np.empty((f, g))
        np.subtract(total[None, :, None], left, out=right)
        np.maximum(right, 0.0, out=right)
        np.einsum("fkg,fkg->fg", left, left, out=sq_left)
        np.einsum("fkg,fkg->fg", right, right, out=sq_right)
        np.sum(left, axis=1, out=w_left)
        np.sum(right, axis=1, out=w_right)
        out[...] = 0.0                                          # an empty side adds 0
        np.divide(sq_left, w_left, out=out, where=w_left > 0)
        np.divide(sq_right, w_right, out=sq_right, where=w_right > 0)
        np.copyto(sq_right, 0.0, where=w_right <= 0)
        out += sq_right
        return out


def fit_stump(X, y, sample_weight, n_classes=None) -> Stump:
    """Fit the multi-class decision stump with the smallest weighted error.

    Searches every feature and every threshold between two consecutive
    distinct values (the threshold is their midpoint); each side predicts its
    heaviest class. The minimum is exact: among the stumps of the smallest
    exact weighted error the lowest ``(feature, threshold, left, right)``
    wins, so the choice does not depend on rounding (prefix sums prune the
    candidates up to :func:`~mlhwlib.stump.tie_tolerance`; the rest are compared exactly). Used once per round by
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
