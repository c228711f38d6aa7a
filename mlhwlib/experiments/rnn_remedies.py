"""The BPTT chapter's remedies for the vanilla RNN, and chrono initialisation of the
gated cells, on the first-token recall task of :mod:`mlhwlib.experiments.rnn_recall`.

The protocol is exactly that experiment's: the same task, the same training
(:func:`mlhwlib.experiments.rnn_recall.train`: Adam, ``STEPS`` steps of ``BATCH``
fresh sequences from the same seeded stream, global clipping at ``CLIP``, held-out
accuracy on the same ``N_TEST`` sequences), the same seeds, and the same learning
rates (``LR`` and ``LR_SWEEP``) at the gaps ``LENGTHS`` (a subset of the recall
experiment's ``LR_SWEEP_LENGTHS``). Only the network changes. The variants, all with
``HIDDEN`` units and PyTorch's initialisation of every weight not named:

* ``RNN, orthogonal``: tanh Elman RNN whose recurrent matrix is a random orthogonal
  matrix (``torch.nn.init.orthogonal_``; spectral radius and every singular value 1);
* ``IRNN``: the IRNN of Le, Jaitly and Hinton (2015): ReLU units, recurrent matrix the
  identity, both bias vectors zero;
* ``RNN, leaky``: a tanh RNN with leaky units,
  ``h_t = (1 - ALPHA) h_(t-1) + ALPHA tanh(W_x x_t + W_h h_(t-1) + b)``, with
  ``ALPHA = 0.05`` fixed (not tuned): the leak alone keeps ``0.95 ** 40``, about
  ``0.13``, of the state over the longest gap, as the ``+3`` forget bias's gate
  ``sigmoid(3) ** 40``, about ``0.14``, does at initialisation;
* ``LSTM, chrono``: the chrono initialisation of Tallec and Ollivier (2018): the forget
  gate's bias is ``log(u)`` with ``u`` drawn uniformly in ``(1, T_max - 1)`` per unit,
  the input gate's bias is its negative, with ``T_max = T`` the task's gap (the values
  go in ``bias_ih``, the same blocks of ``bias_hh`` are zero, as for the ``+3`` bias);
* ``GRU, chrono``: the same draw ``log(u)`` for the update gate's bias (PyTorch's
  ``z``, which multiplies the old state, so it plays the forget gate's role); the GRU
  has no separate input gate.

Run from the repository root (about half an hour on one thread)::

    .venv/bin/python tools/experiments/rnn_remedies.py [--quick]

It writes ``mlhwlib/data/rnn_remedies_results.json``, which the LSTM chapter reads
beside the recall experiment's file (whose runs of ``RNN``, ``GRU, bias 3`` and
``LSTM, bias 3`` are the baselines); ``--quick`` trains one configuration and prints
it (``tests/test_rnn_remedies_experiment.py`` re-runs configurations against the file).
"""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path

from . import rnn_recall as rr

ALPHA = 0.05                  # the leaky units' rate
LENGTHS = (20, 40)            # the gaps T (the recall experiment's learning-rate sweep)
LRS = tuple(sorted(set(rr.LR_SWEEP) | {rr.LR}))
SEEDS = rr.SEEDS
VARIANTS = ("RNN, orthogonal", "IRNN", "RNN, leaky", "LSTM, chrono", "GRU, chrono")
BASELINES = ("RNN", "GRU, bias 3", "LSTM, bias 3")  # from rnn_recall_results.json
RESULTS = Path(__file__).resolve().parent.parent / "data" / "rnn_remedies_results.json"

__all__ = ["ALPHA", "LENGTHS", "LRS", "SEEDS", "VARIANTS", "BASELINES", "RESULTS",
           "chrono_bias", "build", "grid", "comparisons", "main"]


@functools.cache
def _leaky_class():
    torch = rr._torch()

    class LeakyRNN(torch.nn.Module):
        """Leaky tanh units, called like ``torch.nn.RNN(batch_first=True)``.

        ``h_t = (1 - alpha) h_(t-1) + alpha tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh)``;
        the weights are a ``torch.nn.RNNCell``'s (PyTorch's initialisation).
        """

        def __init__(self, input_size, hidden_size, alpha):
            super().__init__()
            self.cell = torch.nn.RNNCell(input_size, hidden_size)
            self.hidden_size, self.alpha = hidden_size, alpha

        def forward(self, x, h=None):
            if h is None:
                h = x.new_zeros(x.shape[0], self.hidden_size)
            outputs = []
            for t in range(x.shape[1]):
                h = (1 - self.alpha) * h + self.alpha * self.cell(x[:, t], h)
                outputs.append(h)
            return torch.stack(outputs, dim=1), h

    return LeakyRNN


def chrono_bias(hidden, T_max, gen=None):
    """Tallec and Ollivier's chrono bias: ``log(u)``, ``u ~ U(1, T_max - 1)``, per unit.

    Parameters
    ----------
    hidden : int
        Number of units (length of the returned vector).
    T_max : int
        The longest dependency expected; needs ``T_max > 2``.
    gen : torch.Generator, optional
        Random generator (default: PyTorch's global one).

    Returns
    -------
    torch.Tensor
        The forget (or update) gate's bias, shape ``(hidden,)``, in ``(0, log(T_max - 1))``.
    """
    if isinstance(T_max, bool) or not isinstance(T_max, int) or T_max <= 2:
        raise ValueError(f"T_max must be an integer > 2, got {T_max!r}")
    torch = rr._torch()
    u = torch.empty(hidden).uniform_(1.0, float(T_max - 1), generator=gen)
    return torch.log(u)


def build(variant, seed, T):
    """The network of ``variant`` for the gap ``T``, seeded with ``torch.manual_seed(seed)``.

    The base network is :func:`mlhwlib.experiments.rnn_recall.build`'s plain ``RNN``,
    ``LSTM, bias 0`` or ``GRU, bias 0`` (same seed, so the same draw of every weight
    the remedy does not replace); the remedy's random draws (orthogonal matrix, chrono
    bias) come after, from the same global generator.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    torch = rr._torch()
    H = rr.HIDDEN
    if variant == "RNN, leaky":
        net = rr.build("RNN", seed)
        net.rnn = _leaky_class()(rr.K_SYM + rr.N_DIS, H, ALPHA)  # after seeding: deterministic
        return net
    if variant in ("RNN, orthogonal", "IRNN"):
        net = rr.build("RNN", seed)
        if variant == "IRNN":
            net.rnn = torch.nn.RNN(rr.K_SYM + rr.N_DIS, H, nonlinearity="relu",
                                   batch_first=True)
        with torch.no_grad():
            if variant == "IRNN":
                net.rnn.weight_hh_l0.copy_(torch.eye(H))
                net.rnn.bias_ih_l0.zero_()
                net.rnn.bias_hh_l0.zero_()
            else:
                torch.nn.init.orthogonal_(net.rnn.weight_hh_l0)
        return net
    kind = variant.split(",")[0]
    net = rr.build(f"{kind}, bias 0", seed)
    b = chrono_bias(H, T)
    with torch.no_grad():  # LSTM (i, f, g, o): f = rows H..2H; GRU (r, z, n): z = rows H..2H
        net.rnn.bias_ih_l0[H:2 * H].copy_(b)
        net.rnn.bias_hh_l0[H:2 * H].zero_()
        if kind == "LSTM":
            net.rnn.bias_ih_l0[:H].copy_(-b)
            net.rnn.bias_hh_l0[:H].zero_()
    return net


def grid():
    """Every (variant, T, lr) trained, in the order :func:`main` runs them."""
    return [(v, T, lr) for T in LENGTHS for v in VARIANTS for lr in LRS]


def comparisons():
    """The family of comparisons the chapter tests, as ``(model_a, model_b, T)``.

    Fixed before the grid's results were read (after a timing run of one seed per
    variant at ``T = 40``): at each gap, each RNN remedy against the plain RNN and
    against the four gated cells (``+3`` bias and chrono), and each chrono cell
    against the same cell with the ``+3`` bias.
    """
    family = []
    for T in LENGTHS:
        for r in VARIANTS[:3]:
            family += [(r, other, T) for other in
                       ("RNN", "LSTM, bias 3", "LSTM, chrono", "GRU, bias 3", "GRU, chrono")]
        family += [("LSTM, chrono", "LSTM, bias 3", T), ("GRU, chrono", "GRU, bias 3", T)]
    return family


def _train(variant, T, seed, lr):
    return rr.train(variant, T, seed, lr, net=build(variant, seed, T))


def main(out=RESULTS, quick=False):
    """Train every configuration of :func:`grid` with every seed and write ``out``."""
    torch = rr._torch()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    if quick:
        for variant in ("IRNN", "LSTM, chrono"):
            res = _train(variant, 20, 0, rr.LR)
            print(variant, "T = 20, seed 0, lr", rr.LR, "accuracy", res["accuracy"])
        return None
    start = time.perf_counter()
    runs = []
    for variant, T, lr in grid():
        for seed in SEEDS:
            res = _train(variant, T, seed, lr)
            runs.append({"variant": variant, "T": T, "lr": lr, "seed": seed, **res})
            print(f"{variant:16s} T={T:3d} lr={lr:g} seed={seed}: "
                  f"accuracy {res['accuracy']:.3f}  ({time.perf_counter() - start:.0f} s)",
                  flush=True)
    data = {"config": {"ALPHA": ALPHA, "LENGTHS": list(LENGTHS), "LRS": list(LRS),
                       "SEEDS": list(SEEDS), "K_SYM": rr.K_SYM, "N_DIS": rr.N_DIS,
                       "HIDDEN": rr.HIDDEN, "STEPS": rr.STEPS, "BATCH": rr.BATCH,
                       "CLIP": rr.CLIP, "N_TEST": rr.N_TEST, "SUCCESS": rr.SUCCESS,
                       "CURVE_EVERY": rr.CURVE_EVERY},
            "variants": {v: sum(p.numel() for p in build(v, 0, max(LENGTHS)).parameters())
                         for v in VARIANTS},
            "baselines": list(BASELINES), "torch": torch.__version__,
            "seconds": round(time.perf_counter() - start, 1), "runs": runs}
    Path(out).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out} in {data['seconds']} s")
    return data


