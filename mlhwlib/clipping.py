"""Gradient clipping: one gradient by its norm, several by their joint norm.

The remedy for exploding gradients of the chapter :ref:`bptt`
(:ref:`bptt-sec-clipping`): :func:`clip_by_norm` is the rule of Pascanu, Mikolov
and Bengio (2013), :func:`clip_by_global_norm` PyTorch's
``torch.nn.utils.clip_grad_norm_`` for several arrays at once (the character
language models of :mod:`mlhwlib.experiments.char_lm` train with it).
"""

from __future__ import annotations

import numpy as np

from .numerics import as_finite_float, as_float_array

__all__ = ["clip_by_norm", "clip_by_global_norm"]


def clip_by_norm(grad, max_norm):
    """Rescale a gradient so that its Euclidean norm is at most ``max_norm``.

    The rule of Pascanu, Mikolov and Bengio (2013): if :math:`\\|g\\| > \\theta`,
    replace :math:`g` by :math:`\\theta\\, g / \\|g\\|`; otherwise leave it alone.
    The direction is kept, only the step length is capped.

    Parameters
    ----------
    grad : array_like, shape (P,)
        Gradient vector, finite.
    max_norm : float
        Threshold :math:`\\theta > 0`.

    Returns
    -------
    ndarray, shape (P,)
        The (possibly rescaled) gradient, a new array.

    Derived in :ref:`bptt-sec-clipping`.
    """
    g = as_float_array(grad, "grad", ndim=1)
    theta = as_finite_float(max_norm, "max_norm")
    if theta <= 0:
        raise ValueError(f"max_norm must be positive, got {theta!r}")
    norm = float(np.hypot.reduce(g)) if g.size > 1 else float(abs(g[0]))
    if norm > theta:
        return g * (theta / norm)
    return g.copy()


def clip_by_global_norm(grads, max_norm, eps=1e-6):
    """Rescale several gradient arrays together so that their joint norm is at most ``max_norm``.

    The rule of ``torch.nn.utils.clip_grad_norm_``: with the global norm
    :math:`N = \\big(\\sum_j \\|G_j\\|_F^2\\big)^{1/2}` over all arrays,
    every array is multiplied by :math:`\\min\\big(1, \\theta / (N + \\varepsilon)\\big)`.
    All arrays share one factor, so the direction of the whole gradient is kept.
    With ``eps=0`` this is exactly the rule of :func:`clip_by_norm` applied to
    the concatenation of the arrays.

    Parameters
    ----------
    grads : sequence of array_like
        One gradient per parameter, any shapes, finite; at least one array.
    max_norm : float
        Threshold :math:`\\theta > 0`.
    eps : float, default 1e-6
        PyTorch's safety term :math:`\\varepsilon \\ge 0` in the denominator.

    Returns
    -------
    clipped : list of ndarray
        New float64 arrays with the shapes of ``grads``.
    total_norm : float
        The global norm :math:`N` *before* clipping (as PyTorch returns it).

    Raises
    ------
    TypeError
        If ``grads`` is not a sequence of numeric arrays, or ``max_norm``/``eps``
        is not a real number.
    ValueError
        If ``grads`` is empty or contains NaN/inf, ``max_norm <= 0`` or ``eps < 0``.

    Derived in :ref:`bptt-sec-clipping`.
    """
    if isinstance(grads, np.ndarray) or not isinstance(grads, (list, tuple)):
        raise TypeError("grads must be a list or tuple of arrays, got "
                        f"{type(grads).__name__}")
    if len(grads) == 0:
        raise ValueError("grads must contain at least one array")
    arrays = [as_float_array(g, f"grads[{j}]", allow_empty=True) for j, g in enumerate(grads)]
    theta = as_finite_float(max_norm, "max_norm")
    if theta <= 0:
        raise ValueError(f"max_norm must be positive, got {theta!r}")
    eps = as_finite_float(eps, "eps")
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps!r}")
    # The norm is computed after scaling by the largest entry, so it neither
    # overflows (entries near 1e200) nor underflows (entries near 1e-200).
    scale = max((float(np.max(np.abs(a))) for a in arrays if a.size), default=0.0)
    if scale == 0.0:
        total = 0.0
    else:
        total = scale * float(np.sqrt(sum(float(np.sum((a / scale) ** 2)) for a in arrays)))
    factor = min(1.0, theta / (total + eps)) if total + eps > 0 else 1.0
    return [a * factor for a in arrays], total
