"""Tests for :mod:`mlhwlib.numerics`: one helper per validation rule, one log-sum-exp.

References are independent of the code under test: mpmath at 50 digits for the
log-sum-exp and the normalised weights, explicit loops for the symmetry rule,
hand-written arrays for the distribution and sample-weight rules.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from mlhwlib import numerics
from mlhwlib.numerics import (
    SUM_TO_ONE_ATOL,
    SYMMETRY_RTOL,
    as_probability_array,
    as_probability_vector,
    check_sample_weight,
    check_symmetric,
    log_normalize,
    logsumexp,
)

mpmath.mp.dps = 50


def _mp_logsumexp(row) -> float:
    return float(mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(x)) for x in row)))


# ------------------------------------------------------------------ constants
def test_one_tolerance_per_rule_and_the_defaults_use_it():
    assert SUM_TO_ONE_ATOL == 1e-9 and SYMMETRY_RTOL == 1e-10
    off = 1.0 + 5 * SUM_TO_ONE_ATOL                      # just outside the tolerance
    inside = 1.0 + 0.5 * SUM_TO_ONE_ATOL                 # just inside
    with pytest.raises(ValueError, match=r"p must sum to 1 \(tolerance 1e-09\)"):
        as_probability_vector([0.5, off - 0.5], "p")
    as_probability_vector([0.5, inside - 0.5], "p")
    with pytest.raises(ValueError, match=r"each row of q must sum to 1 \(tolerance 1e-09\)"):
        as_probability_array([[0.5, 0.5], [0.5, off - 0.5]], "q", ndim=2)
    as_probability_array([[0.5, 0.5], [0.5, inside - 0.5]], "q", ndim=2)


# ------------------------------------------------------------ distributions
def test_probability_vector_is_the_1d_probability_array():
    p = as_probability_vector([0.2, 0.3, 0.5], "p")
    assert p.dtype == np.float64 and p.tolist() == [0.2, 0.3, 0.5]
    q = as_probability_array([0.2, 0.3, 0.5], "q", ndim=(1, 2))
    assert q.tolist() == [0.2, 0.3, 0.5]
    rows = as_probability_array([[1, 0], [0.5, 0.5]], "q", ndim=(1, 2), shape=(2, 2))
    assert rows.tolist() == [[1.0, 0.0], [0.5, 0.5]]


# ---------------------------------------------------------------- symmetry
def _asym_by_loops(A) -> float:
    d = len(A)
    return max(abs(A[i][j] - A[j][i]) for i in range(d) for j in range(d))


def test_symmetric_check_follows_the_relative_rule():
    rng = np.random.default_rng(0)
    for scale in (1e-200, 1e-6, 1.0, 1e6, 1e200):
        B = rng.normal(size=(4, 4))
        S = scale * (B + B.T)
        check_symmetric(S, "S")                               # exactly symmetric
        big = float(np.max(np.abs(S)))
        for factor, ok in ((0.5, True), (2.0, False)):        # half / twice the tolerance
            T = S.copy()
            T[0, 1] += factor * SYMMETRY_RTOL * big
            assert (_asym_by_loops(T.tolist()) <= SYMMETRY_RTOL * big) == ok
            if ok:
                check_symmetric(T, "S")
            else:
                with pytest.raises(ValueError, match=r"S must be symmetric, got max \|A - A\^T\|"):
                    check_symmetric(T, "S")
    check_symmetric(np.zeros((3, 3)), "Z")                    # a zero matrix is symmetric


def test_symmetric_check_of_a_stack_names_the_matrix_and_uses_its_own_scale():
    small = np.array([[1e-8, 1e-12], [0.0, 1e-8]])            # asymmetric relative to itself
    big = 1e6 * np.eye(2)
    with pytest.raises(ValueError, match=r"covariances\[1\] must be symmetric"):
        check_symmetric(np.stack([big, small]), "covariances")
    with pytest.raises(ValueError, match=r"X must be symmetric when symmetric=True"):
        check_symmetric([[1.0, 2.0], [0.0, 1.0]], "X", when="when symmetric=True")
    with pytest.raises(ValueError, match=r"X must be square"):
        check_symmetric(np.ones((2, 3)), "X")
    with pytest.raises(ValueError, match=r"X must be 2-D or 3-D"):
        check_symmetric(np.ones(3), "X")


# ----------------------------------------------------------- sample weights
def test_sample_weight_check():
    assert check_sample_weight(None, 4).tolist() == [1.0, 1.0, 1.0, 1.0]
    given = np.array([1, 0, 2])
    w = check_sample_weight(given, 3)
    assert w.dtype == np.float64 and w.tolist() == [1.0, 0.0, 2.0]
    w[0] = 99.0                                              # a copy: the caller may normalise it
    assert given[0] == 1


# ------------------------------------------------------------- log-sum-exp
EXTREME_ROWS = [
    [0.0, 0.0],
    [-1000.0, -1000.0],                 # naive exp underflows to 0: log 0 = -inf
    [1000.0, 999.0],                    # naive exp overflows
    [-745.0, 0.0, -np.inf],             # -inf is a zero weight
    [700.0, -700.0, 3.5],
    [1e-300, -1e-300, 0.0],
]


@pytest.mark.parametrize("row", EXTREME_ROWS)
def test_logsumexp_and_log_normalize_against_mpmath(row):
    ref = _mp_logsumexp([x for x in row if x != -np.inf])
    assert logsumexp(row) == pytest.approx(ref, rel=1e-15, abs=1e-300)
    p, log_norm = log_normalize(row)
    assert float(log_norm) == pytest.approx(ref, rel=1e-15, abs=1e-14)
    for x, pk in zip(row, p):
        want = 0.0 if x == -np.inf else float(mpmath.exp(mpmath.mpf(x) - mpmath.mpf(ref)))
        assert pk == pytest.approx(want, rel=1e-13, abs=1e-300)
    assert float(np.sum(p)) == pytest.approx(1.0, abs=1e-15)


def test_log_normalize_along_an_axis_in_place_equals_logsumexp():
    rng = np.random.default_rng(1)
    a = rng.normal(scale=50.0, size=(3, 7, 4))
    for axis in (0, 1, -1):
        p, log_norm = log_normalize(a, axis=axis)
        np.testing.assert_allclose(log_norm, logsumexp(a, axis=axis), rtol=1e-14)
        np.testing.assert_allclose(p, np.exp(a - logsumexp(a, axis=axis, keepdims=True)),
                                   rtol=1e-12, atol=1e-300)
        assert log_norm.shape == tuple(np.delete(np.array(a.shape), axis))
    buf = a.copy()
    p, _ = log_normalize(buf, axis=0, out=buf)
    assert p is buf                                           # normalised in place
    np.testing.assert_allclose(buf.sum(axis=0), 1.0, rtol=1e-14)


def test_every_public_name_is_documented_in_all():
    for name in numerics.__all__:
        obj = getattr(numerics, name)
        if callable(obj):
            assert obj.__doc__ and obj.__doc__.strip(), f"numerics.{name} has no docstring"
