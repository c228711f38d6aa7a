"""Tests for mlhwlib.matrix_calculus: identities vs central differences and torch autograd."""

import numpy as np
import pytest
from conftest import lazy_torch

from mlhwlib.matrix_calculus import (
    logdet_gradient,
    numerical_gradient,
    quadratic_inverse_gradient,
    symmetrize_gradient,
    tied_entry_gradient,
    trace_product_gradient,
)

torch = lazy_torch()  # imported by the first test that uses it
pytestmark = pytest.mark.xdist_group("torch")


def spd(rng, d):
    B = rng.normal(size=(d, d))
    return B @ B.T + d * np.eye(d)


def general(rng, d):
    return rng.normal(size=(d, d)) + 2 * np.eye(d)


def torch_grad(f, X):
    t = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    f(t).backward()
    return t.grad.numpy()


@pytest.mark.parametrize("d", [1, 2, 4])
def test_logdet_gradient(d):
    rng = np.random.default_rng(d)
    X = general(rng, d)
    G = logdet_gradient(X)
    f = lambda Z: np.log(abs(np.linalg.det(Z)))
    np.testing.assert_allclose(G, numerical_gradient(f, X), rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(G, torch_grad(lambda t: torch.linalg.slogdet(t)[1], X), rtol=1e-12)


def test_logdet_gradient_negative_determinant():
    X = np.array([[0.0, 1.0], [1.0, 0.0]]) + np.array([[0.1, 0.0], [0.3, 0.0]])
    assert np.linalg.det(X) < 0
    f = lambda Z: np.log(abs(np.linalg.det(Z)))
    np.testing.assert_allclose(logdet_gradient(X), numerical_gradient(f, X), rtol=1e-7)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4)])
def test_trace_product_gradient(shape):
    rng = np.random.default_rng(11)
    X = rng.normal(size=shape)
    B = rng.normal(size=shape[::-1])
    G = trace_product_gradient(X, B)
    np.testing.assert_allclose(G, numerical_gradient(lambda Z: np.trace(Z @ B), X), atol=1e-8)
    np.testing.assert_allclose(G, torch_grad(lambda t: torch.trace(t @ torch.tensor(B)), X),
                               atol=1e-14)


@pytest.mark.parametrize("d", [1, 3])
def test_quadratic_inverse_gradient(d):
    rng = np.random.default_rng(12 + d)
    X = general(rng, d)
    a = rng.normal(size=d)
    G = quadratic_inverse_gradient(X, a)
    f = lambda Z: a @ np.linalg.solve(Z, a)
    np.testing.assert_allclose(G, numerical_gradient(f, X), rtol=1e-6, atol=1e-8)
    at = torch.tensor(a)
    np.testing.assert_allclose(G, torch_grad(lambda t: at @ torch.linalg.solve(t, at), X),
                               rtol=1e-11, atol=1e-13)


def test_symmetric_convention_matches_tied_differences():
    rng = np.random.default_rng(13)
    S = spd(rng, 4)
    B = rng.normal(size=(4, 4))
    a = rng.normal(size=4)
    pairs = [
        (logdet_gradient(S, symmetric=True), lambda Z: np.linalg.slogdet(Z)[1]),
        (trace_product_gradient(S, B, symmetric=True), lambda Z: np.trace(Z @ B)),
        (quadratic_inverse_gradient(S, a, symmetric=True), lambda Z: a @ np.linalg.solve(Z, a)),
    ]
    for G, f in pairs:
        num = numerical_gradient(f, S, symmetric=True)
        np.testing.assert_allclose(G, num, rtol=1e-6, atol=1e-8)
    # closed form of the symmetric log-det gradient: 2 S^{-1} - diag(S^{-1})
    Sinv = np.linalg.inv(S)
    np.testing.assert_allclose(logdet_gradient(S, symmetric=True),
                               2 * Sinv - np.diag(np.diag(Sinv)), rtol=1e-12)


def test_numerical_gradient_on_known_functions():
    X = np.array([[1.0, 2.0, -1.0], [0.5, 3.0, 4.0]])
    np.testing.assert_allclose(numerical_gradient(lambda Z: np.sum(Z ** 2), X), 2 * X, rtol=1e-9)
    S = np.array([[2.0, 0.3], [0.3, 1.0]])
    # f = S01 * S10: as one tied variable s, f = s^2, df/ds = 2 s = 0.6 in both off-diagonal slots
    g = numerical_gradient(lambda Z: Z[0, 1] * Z[1, 0], S, symmetric=True)
    np.testing.assert_allclose(g, [[0.0, 0.6], [0.6, 0.0]], atol=1e-9)
    g_free = numerical_gradient(lambda Z: Z[0, 1] * Z[1, 0], S)
    np.testing.assert_allclose(g_free, [[0.0, 0.3], [0.3, 0.0]], atol=1e-9)
    np.testing.assert_allclose(symmetrize_gradient(g_free), g, atol=1e-9)


def test_both_conventions_vanish_at_the_same_sigma():
    """Q(S) = -n/2 ln|S| - 1/2 tr(S^{-1} A) is stationary at S = A / n in both conventions."""
    rng = np.random.default_rng(14)
    A = spd(rng, 3)
    n = 7.0
    Q = lambda S: -0.5 * n * np.linalg.slogdet(S)[1] - 0.5 * np.trace(np.linalg.solve(S, A))
    S_star = A / n
    for sym in (False, True):
        assert np.max(np.abs(numerical_gradient(Q, S_star, symmetric=sym))) < 1e-6
    other = S_star + 0.1 * np.eye(3)
    for sym in (False, True):
        assert np.max(np.abs(numerical_gradient(Q, other, symmetric=sym))) > 1e-2


def test_wrong_identity_from_the_notes_is_wrong():
    """The GMM derivation notes' line d ln|X| / dX = 2X^T - diag(X^{-1}), read literally, is
    wrong in both conventions (central differences refute it). The book classifies the line
    as OCR-garbled (the Matrix Cookbook's 2X^{-1} - (X^{-1} o I) with its superscripts lost),
    not as the author's error; this test is about the literal line only."""
    X = np.array([[2.0, 0.5], [0.5, 1.0]])
    wrong = 2 * X.T - np.diag(np.diag(np.linalg.inv(X)))
    f = lambda Z: np.linalg.slogdet(Z)[1]
    for sym in (False, True):
        assert np.max(np.abs(wrong - numerical_gradient(f, X, symmetric=sym))) > 0.5


def test_covariance_gradient_from_precision_matches_autograd():
    """Chain rule Sigma <- Lambda = Sigma^-1, against torch autograd of g(inv(Sigma))."""
    import torch

    from mlhwlib.matrix_calculus import covariance_gradient_from_precision

    rng = np.random.default_rng(3)
    Sig = rng.normal(size=(4, 4)) + 3 * np.eye(4)          # general, not symmetric
    Bg = rng.normal(size=(4, 4))

    def g(L):
        return torch.logdet(L @ L.T) + torch.trace(L @ Bg_t)

    Bg_t = torch.tensor(Bg)
    S_t = torch.tensor(Sig, requires_grad=True)
    g(torch.linalg.inv(S_t)).backward()
    L_t = torch.tensor(np.linalg.inv(Sig), requires_grad=True)
    g(L_t).backward()
    ours = covariance_gradient_from_precision(Sig, L_t.grad.numpy())
    np.testing.assert_allclose(ours, S_t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_tied_entry_gradient_is_not_sym_and_the_old_name_still_works():
    """G + G^T - diag(G) (the vech partials) differs from sym(G) = (G + G^T)/2 off the
    diagonal by a factor 2; the former name symmetrize_gradient returns the same."""
    G = np.array([[1.0, 2.0], [4.0, 3.0]])
    expected = np.array([[1.0, 6.0], [6.0, 3.0]])          # by hand
    np.testing.assert_array_equal(tied_entry_gradient(G), expected)
    np.testing.assert_array_equal(symmetrize_gradient(G), expected)
    assert not np.allclose(tied_entry_gradient(G), (G + G.T) / 2)
