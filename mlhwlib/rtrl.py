"""Real-time recurrent learning (RTRL): the gradients of the RNNs in forward mode.

The scalar RNN of :func:`mlhwlib.bptt.rnn_bptt` (:func:`rnn_rtrl`) and the vector
RNN of :func:`mlhwlib.vector_rnn.vector_rnn_bptt` (:func:`vector_rnn_rtrl`), with
the sensitivities of the state carried forward with it (Williams and Zipser,
1989) instead of a backward pass. Derived in the chapter :ref:`bptt`
(:ref:`bptt-sec-rtrl`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import log_softmax

from ._rnn import _check_scalar_rnn, _check_vector_rnn, _logit_loss, _vector_states
from .numerics import _freeze_fields, _sech2

__all__ = ["RTRLResult", "rnn_rtrl", "VectorRTRLResult", "vector_rnn_rtrl"]


@dataclass(frozen=True, eq=False)
class RTRLResult:
    """Loss, final state and gradients of the scalar RNN by RTRL (returned by :func:`rnn_rtrl`).

    The same model and loss as :func:`~mlhwlib.bptt.rnn_bptt`; the gradients are
    computed forward in time, so no state but the current one is kept.

    Attributes
    ----------
    y_hat, loss : float
        As in :class:`~mlhwlib.bptt.BPTTResult`.
    grad_w0, grad_w_h, grad_w_i, grad_h0 : float
        :math:`\\partial L/\\partial w_0`, :math:`\\partial L/\\partial w_h`,
        :math:`\\partial L/\\partial w_x` (keyword ``w_i``) and
        :math:`\\partial L/\\partial h_0`.
    h_T : float
        The last state :math:`h_T`.
    dh_dw_h, dh_dw_i, dh_dh0 : float
        The sensitivities at the last step, :math:`\\partial h_T/\\partial w_h`,
        :math:`\\partial h_T/\\partial w_x` and :math:`\\partial h_T/\\partial h_0`.
    """

    y_hat: float
    loss: float
    grad_w0: float
    grad_w_h: float
    grad_w_i: float
    grad_h0: float
    h_T: float
    dh_dw_h: float
    dh_dw_i: float
    dh_dh0: float

    def __post_init__(self):
        _freeze_fields(self)  # values computed by rnn_rtrl: frozen, not validated again


def rnn_rtrl(x, y, w0, w_h, w_i, h0=0.0) -> RTRLResult:
    """Gradients of the scalar tanh RNN by real-time recurrent learning (forward mode).

    The model and the loss are those of :func:`~mlhwlib.bptt.rnn_bptt`. Instead of a
    backward pass, the sensitivities of the state are carried forward with it
    (Williams and Zipser, 1989): with :math:`s_t = \\operatorname{sech}^2 a_t`,

    .. math::

        \\frac{\\partial h_t}{\\partial w_h} &= s_t\\Big(h_{t-1} + w_h \\frac{\\partial h_{t-1}}{\\partial w_h}\\Big),

        \\frac{\\partial h_t}{\\partial w_x} &= s_t\\Big(x_t + w_h \\frac{\\partial h_{t-1}}{\\partial w_x}\\Big),

        \\frac{\\partial h_t}{\\partial h_0} &= s_t w_h \\frac{\\partial h_{t-1}}{\\partial h_0},

    starting from :math:`0, 0, 1` at :math:`t = 0`, and at the end
    :math:`\\partial L/\\partial \\theta = \\delta w_0\\, \\partial h_T/\\partial \\theta`,
    :math:`\\partial L/\\partial w_0 = \\delta h_T`.

    Parameters
    ----------
    x : array_like, shape (T,)
        Input sequence, ``T >= 1``, finite.
    y : float
        Target in ``[0, 1]``.
    w0, w_h, w_i : float
        Output, recurrent and input weights (``w_i`` is the book's :math:`w_x`), finite.
    h0 : float, default 0.0
        Initial hidden state, finite.

    Returns
    -------
    RTRLResult
        The loss, the four gradients, :math:`h_T` and the three sensitivities at :math:`T`.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If ``x`` is empty or not 1-D, ``y`` is outside ``[0, 1]``, or an input is
        NaN or infinite.
    OverflowError
        If a pre-activation or a sensitivity exceeds the float64 range.

    Notes
    -----
    Memory: the state and three sensitivities, :math:`O(1)` in :math:`T`, where
    :func:`~mlhwlib.bptt.rnn_bptt` keeps the :math:`T + 1` states. Time:
    :math:`O(T)`, as BPTT. The gradients equal those of
    :func:`~mlhwlib.bptt.rnn_bptt` up to rounding (both compute the same sums, in
    a different order). Derived in :ref:`bptt-sec-rtrl`.
    """
    x, y, w0, w_h, w_i, h = _check_scalar_rnn(x, y, w0, w_h, w_i, h0)
    p_wh, p_wi, p_h0 = 0.0, 0.0, 1.0  # dh_0/dw_h, dh_0/dw_x, dh_0/dh_0
    try:
        with np.errstate(over="raise", invalid="raise"):
            for xt in x:
                a = w_i * xt + w_h * h
                s = float(_sech2(a))
                p_wh, p_wi, p_h0 = (s * (h + w_h * p_wh), s * (xt + w_h * p_wi),
                                    s * w_h * p_h0)
                h = float(np.tanh(a))
    except (FloatingPointError, OverflowError) as exc:
        raise OverflowError("the forward pass overflowed float64: a pre-activation or a "
                            "sensitivity exceeds 1e308; use smaller weights or a shorter "
                            "sequence") from exc
    y_hat, loss, delta = _logit_loss(w0 * h, y)
    out = delta * w0  # dL/dh_T
    return RTRLResult(
        y_hat=y_hat, loss=loss,
        grad_w0=delta * h, grad_w_h=out * p_wh + 0.0, grad_w_i=out * p_wi + 0.0,
        grad_h0=out * p_h0 + 0.0, h_T=h, dh_dw_h=p_wh, dh_dw_i=p_wi, dh_dh0=p_h0)


@dataclass(frozen=True, eq=False)
class VectorRTRLResult:
    """Loss, final state and gradients of the vector RNN by RTRL (returned by :func:`vector_rnn_rtrl`).

    Attributes
    ----------
    loss : float
        :math:`L = -\\sum_{t=1}^T \\log \\hat y_t[y_t]`, as in
        :class:`~mlhwlib.vector_rnn.VectorBPTTResult`.
    h_T : ndarray, shape (H,)
        The last state.
    grad_U, grad_W, grad_V, grad_b, grad_c : ndarray
        The gradients, shapes as in :class:`~mlhwlib.vector_rnn.VectorBPTTResult`.
    grad_h0 : ndarray, shape (H,)
        :math:`\\nabla_{h_0} L`.
    dh_dU, dh_dW, dh_db, dh_dh0 : ndarray
        The sensitivities at the last step: ``dh_dU[i, j, k]`` is
        :math:`\\partial h_{T,i}/\\partial U_{jk}` (H, H, d), ``dh_dW`` likewise
        (H, H, H), ``dh_db[i, j]`` is :math:`\\partial h_{T,i}/\\partial b_j` (H, H),
        ``dh_dh0[i, j]`` is :math:`\\partial h_{T,i}/\\partial h_{0,j}` (H, H).
        These four arrays are all the recursion carries from step to step.

    Every array is float64 and read-only.
    """

    loss: float
    h_T: np.ndarray
    grad_U: np.ndarray
    grad_W: np.ndarray
    grad_V: np.ndarray
    grad_b: np.ndarray
    grad_c: np.ndarray
    grad_h0: np.ndarray
    dh_dU: np.ndarray
    dh_dW: np.ndarray
    dh_db: np.ndarray
    dh_dh0: np.ndarray

    def __post_init__(self):
        _freeze_fields(self)  # values computed by vector_rnn_rtrl: frozen, not validated again


def vector_rnn_rtrl(X, targets, U, W, V, b, c, h0=None) -> VectorRTRLResult:
    """Gradients of the vector tanh RNN by real-time recurrent learning (forward mode).

    The model and the loss are those of :func:`~mlhwlib.vector_rnn.vector_rnn_bptt`.
    Forward mode: the Jacobians of the state with respect to the parameters are
    carried along with the state (Williams and Zipser, 1989). With
    :math:`S_t = \\operatorname{diag}(\\operatorname{sech}^2 a_t)` and
    :math:`P^\\theta_t = \\partial h_t/\\partial \\theta`,

    .. math::

        P^{W}_t[i, j, k] = S_t[i]\\Big(\\sum_m W_{im} P^{W}_{t-1}[m, j, k]
        + [i = j]\\, h_{t-1,k}\\Big),

    likewise for :math:`U` (immediate term :math:`[i = j]\\, x_{t,k}`), :math:`b`
    (:math:`[i = j]`) and :math:`h_0` (no immediate term, :math:`P^{h_0}_0 = I`),
    and each step adds :math:`(V^\\top \\delta_t)^\\top P^\\theta_t` to the gradient,
    with :math:`\\delta_t = \\hat y_t - e_{y_t}`. The output weights get
    :math:`\\sum_t \\delta_t h_t^\\top` and :math:`\\sum_t \\delta_t` directly.

    Parameters
    ----------
    X, targets, U, W, V, b, c, h0
        As in :func:`~mlhwlib.vector_rnn.vector_rnn_bptt`.

    Returns
    -------
    VectorRTRLResult
        ``loss``, ``h_T``, the gradients ``grad_U, grad_W, grad_V, grad_b, grad_c,
        grad_h0`` and the final sensitivities ``dh_dU, dh_dW, dh_db, dh_dh0``.

    Raises
    ------
    TypeError, ValueError
        As :func:`~mlhwlib.vector_rnn.vector_rnn_bptt`.
    OverflowError
        If a pre-activation or a sensitivity exceeds the float64 range.

    Notes
    -----
    Memory: the sensitivities, :math:`H(H^2 + Hd + 2H)` floats, independent of
    :math:`T`; :func:`~mlhwlib.vector_rnn.vector_rnn_bptt` stores :math:`O(TH)`.
    Time: :math:`O(T H^2 (H + d))` multiply-adds for the update of the
    sensitivities, against :math:`O(T H (H + d + K))` for BPTT. RTRL needs no
    backward pass, so it can learn online from an endless sequence; its cost is
    what truncated BPTT avoids. The gradients equal those of
    :func:`~mlhwlib.vector_rnn.vector_rnn_bptt` up to rounding. Derived in :ref:`bptt-sec-rtrl`.
    """
    X, y, U, W, V, b, c, h = _check_vector_rnn(X, targets, U, W, V, b, c, h0)
    d, H, K = X.shape[1], U.shape[0], V.shape[0]

    eye = np.eye(H)
    P_U, P_W = np.zeros((H, H, d)), np.zeros((H, H, H))
    P_b, P_h0 = np.zeros((H, H)), eye.copy()
    grads = dict(grad_U=np.zeros((H, d)), grad_W=np.zeros((H, H)), grad_V=np.zeros((K, H)),
                 grad_b=np.zeros(H), grad_c=np.zeros(K), grad_h0=np.zeros(H))
    loss = 0.0
    try:
        with np.errstate(over="raise", invalid="raise"):
            # the forward recursion of vector_rnn_bptt; only the current state is kept
            for t, (a, h_next) in enumerate(_vector_states(X, U, W, b, h)):
                s = _sech2(a)[:, None]  # the rows of S_t
                # immediate partials of a_t, then the chain through h_(t-1)
                P_W = np.einsum("im,mjk->ijk", W, P_W)
                P_W[np.arange(H), np.arange(H), :] += h
                P_U = np.einsum("im,mjk->ijk", W, P_U)
                P_U[np.arange(H), np.arange(H), :] += X[t]
                P_b = W @ P_b + eye
                P_h0 = W @ P_h0
                P_W *= s[:, :, None]
                P_U *= s[:, :, None]
                P_b *= s
                P_h0 *= s
                h = h_next
                logits = c + V @ h
                if not np.all(np.isfinite(logits)):
                    raise FloatingPointError
                logp = log_softmax(logits)
                loss -= float(logp[y[t]])
                delta = np.exp(logp)
                delta[y[t]] -= 1.0  # y_hat_t - e_{y_t}
                g = V.T @ delta  # the immediate dL_t/dh_t
                grads["grad_V"] += np.outer(delta, h)
                grads["grad_c"] += delta
                grads["grad_W"] += np.einsum("i,ijk->jk", g, P_W)
                grads["grad_U"] += np.einsum("i,ijk->jk", g, P_U)
                grads["grad_b"] += g @ P_b
                grads["grad_h0"] += g @ P_h0
    except FloatingPointError as exc:
        raise OverflowError("the forward pass overflowed float64: a pre-activation, a "
                            "logit or a sensitivity exceeds 1e308; use smaller weights or "
                            "a shorter sequence") from exc
    return VectorRTRLResult(loss=loss, h_T=h, dh_dU=P_U, dh_dW=P_W, dh_db=P_b,
                            dh_dh0=P_h0, **grads)
