"""First-token recall with an RNN, a GRU and an LSTM: the experiment of the LSTM chapter.

This module needs PyTorch (``pip install torch``), which is not a dependency of
``mlhwlib``: ``torch`` is imported when a function here is first called, so the
module itself imports without it. Run the whole experiment from the repository
root (about an hour on one shared CPU thread; the results file records the
time in "seconds")::

    .venv/bin/python tools/experiments/rnn_recall.py

It writes ``mlhwlib/data/rnn_recall_results.json``, shipped with the package
(:func:`mlhwlib.book.result` reads it), which the chapter
``book/lstm_trace.ipynb`` reads; ``tests/test_rnn_experiment.py`` re-runs one
configuration and checks that it reproduces the committed numbers.

The task: a sequence of length ``T + 1`` whose first token is one of ``K_SYM``
symbols and whose ``T`` further tokens are distractors drawn from ``N_DIS``
other symbols (all one-hot). After the whole sequence the network must name the
first symbol; chance accuracy is ``1 / K_SYM``.

The variants compared (every one trained with the same optimiser, learning
rate, batch size and number of steps, over several seeds):

* ``RNN``: Elman RNN with ``HIDDEN`` units (PyTorch's default initialisation);
* ``RNN (matched)``: Elman RNN with ``HIDDEN_MATCHED`` units, about as many
  parameters as the LSTM;
* ``GRU`` and ``LSTM`` with the forget / update gate bias set to 0 or to
  ``+3`` (the gate block of ``bias_ih`` is filled with the value and the one of
  ``bias_hh`` with 0; every other weight keeps PyTorch's initialisation).

The RNNs here get none of the remedies of the BPTT chapter (orthogonal or identity
initialisation of the recurrent weights, leaky units), while the gated cells get
the tuned gate bias ``+3``; :mod:`mlhwlib.experiments.rnn_remedies` trains the
remedied RNNs (and chrono-initialised gated cells) under this module's protocol.

Every variant is trained at the learning rate ``LR`` at every length, and at
the rates ``LR_SWEEP`` at the lengths ``LR_SWEEP_LENGTHS``. The pairs of a variant
and a length whose learning rate chosen on held-out seeds sat at an edge of that
grid are also trained at the rates of ``LR_EXTEND`` beyond that edge
(same seeds, steps and held-out sequences); :func:`extend` appends those runs
to an existing results file without touching its other runs.
"""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path

import numpy as np

K_SYM, N_DIS = 4, 4          # symbols to recall, distractor symbols
HIDDEN, HIDDEN_MATCHED = 16, 36
STEPS, BATCH, LR, CLIP = 400, 64, 1e-2, 1.0
N_TEST = 1000
LENGTHS = (5, 10, 20, 40)
SEEDS = tuple(range(10))
LR_SWEEP = (1e-3, 3e-3, 3e-2, 1e-1)  # extra learning rates, tried at the two longest T
LR_SWEEP_LENGTHS = (20, 40)
# (variant, T, rates beyond the edge of LR_SWEEP + (LR,)) for the pairs whose rate
# chosen on held-out seeds (the chapter's two-fold cross-fitting) sat at that edge,
# in the order they were run; a pair appears again when its choice over the
# extended grid was again at an edge
LR_EXTEND = (
    ("LSTM, bias 0", 20, (3e-4, 1e-4)),             # chosen 1e-3 on seeds 0-4
    ("LSTM, bias 0", 40, (3e-4, 1e-4, 3e-1, 1.0)),  # chosen 1e-1 and 1e-3
    ("LSTM, bias 3", 40, (3e-4, 1e-4)),             # chosen 1e-3 on seeds 5-9
    ("RNN", 40, (3e-1, 1.0)),                       # chosen 1e-1 on seeds 0-4
    # second round: over the grid above, the closed LSTM at T = 40 chose 1 and 1e-4
    ("LSTM, bias 0", 40, (3e-5, 1e-5, 3.0, 10.0)),
    # third round: over its extended grid the closed LSTM at T = 20 chose 1e-4 on seeds 5-9
    ("LSTM, bias 0", 20, (3e-5, 1e-5)),
)
SUCCESS = 0.95               # held-out accuracy counted as "solved"
CURVE_EVERY = 10             # the loss curve is stored as means of 10 steps

# name -> (torch module, hidden size, forget/update gate bias or None)
VARIANTS = {
    "RNN": ("RNN", HIDDEN, None),
    "RNN (matched)": ("RNN", HIDDEN_MATCHED, None),
    "GRU, bias 0": ("GRU", HIDDEN, 0.0),
    "GRU, bias 3": ("GRU", HIDDEN, 3.0),
    "LSTM, bias 0": ("LSTM", HIDDEN, 0.0),
    "LSTM, bias 3": ("LSTM", HIDDEN, 3.0),
}

RESULTS = Path(__file__).resolve().parent.parent / "data" / "rnn_recall_results.json"

__all__ = ["K_SYM", "N_DIS", "HIDDEN", "HIDDEN_MATCHED", "STEPS", "BATCH", "LR", "CLIP",
           "N_TEST", "LENGTHS", "SEEDS", "LR_SWEEP", "LR_SWEEP_LENGTHS", "LR_EXTEND",
           "SUCCESS",
           "CURVE_EVERY", "VARIANTS", "make_batch", "grid", "record", "build",
           "n_parameters", "train", "gradient_ratio", "first_token_gradient", "main",
           "extend"]


def _torch():
    try:
        import torch
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("mlhwlib.experiments.rnn_recall needs PyTorch: pip install torch") from None
    return torch


def make_batch(n, T, gen):
    """One-hot sequences of shape (n, T + 1, K + D) and the first symbol (n,)."""
    torch = _torch()
    first = torch.randint(0, K_SYM, (n,), generator=gen)
    distract = torch.randint(K_SYM, K_SYM + N_DIS, (n, T), generator=gen)
    seq = torch.cat([first[:, None], distract], dim=1)
    return torch.nn.functional.one_hot(seq, K_SYM + N_DIS).float(), first


@functools.cache
def _recall_class():
    """The network class, defined on first use (PyTorch is imported then)."""
    torch = _torch()

    class Recall(torch.nn.Module):
        """A recurrent layer and a linear read-out of its last output."""

        def __init__(self, kind, hidden, gate_bias=None):
            super().__init__()
            self.rnn = getattr(torch.nn, kind)(K_SYM + N_DIS, hidden,
                                               batch_first=True)
            self.out = torch.nn.Linear(hidden, K_SYM)
            if gate_bias is not None:
                # Second block of H rows: LSTM order (i, f, g, o) -> forget gate;
                # GRU order (r, z, n) -> update gate (h' = (1 - z) n + z h).
                with torch.no_grad():
                    self.rnn.bias_ih_l0[hidden:2 * hidden].fill_(gate_bias)
                    self.rnn.bias_hh_l0[hidden:2 * hidden].zero_()

        def forward(self, x):
            outputs, _ = self.rnn(x)
            return self.out(outputs[:, -1])

    return Recall


def build(variant, seed):
    """The network of ``variant`` initialised with ``torch.manual_seed(seed)``."""
    kind, hidden, bias = VARIANTS[variant]
    _torch().manual_seed(seed)
    return _recall_class()(kind, hidden, bias)


def n_parameters(variant):
    return sum(p.numel() for p in build(variant, 0).parameters())


def train(variant, T, seed, lr=LR, net=None):
    """Train one network; return its loss curve and held-out accuracy.

    ``net`` (optional) is trained instead of ``build(variant, seed)``, under the same
    protocol (:mod:`mlhwlib.experiments.rnn_remedies` passes its remedied networks).
    """
    torch = _torch()
    net = build(variant, seed) if net is None else net
    gen = torch.Generator().manual_seed(1000 * seed + T)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    losses = []
    for _ in range(STEPS):
        x, label = make_batch(BATCH, T, gen)
        loss = torch.nn.functional.cross_entropy(net(x), label)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), CLIP)
        opt.step()
        losses.append(loss.item())
    x_test, y_test = make_batch(N_TEST, T, torch.Generator().manual_seed(7))
    with torch.no_grad():
        acc = (net(x_test).argmax(dim=1) == y_test).double().mean().item()
    curve = np.asarray(losses).reshape(-1, CURVE_EVERY).mean(axis=1)
    return {"accuracy": round(acc, 4),
            "curve": [round(float(v), 4) for v in curve]}


def gradient_ratio(variant, T, seed, n=256):
    """||dL/dx_1|| / ||dL/dx_(T+1)|| at initialisation, in float64.

    The norms are Frobenius norms over the batch of ``n`` sequences and the
    input features; the loss is the mean cross-entropy of the untrained net.
    """
    torch = _torch()
    net = build(variant, seed).double()
    x, label = make_batch(n, T, torch.Generator().manual_seed(5000 + seed))
    x = x.double().requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(net(x), label)
    (grad,) = torch.autograd.grad(loss, x)
    return float(grad[:, 0].norm() / grad[:, -1].norm())


def first_token_gradient(variant, T, seed):
    """Largest ``|dL/dW|`` over the input weights that read the first token, in float64.

    These are the columns ``0 .. K_SYM - 1`` of the layer's input weights
    (``weight_ih_l0``, all gate blocks): the first token is one of the first
    ``K_SYM`` symbols and the distractors are the others, so these columns are
    used at step 1 only. The gradient is that of the mean cross-entropy of the
    untrained net on the first training batch of :func:`train` (``BATCH``
    sequences from the same generator); Adam's first step on a coordinate with
    gradient ``g`` is ``lr * g / (|g| + eps)``.
    """
    torch = _torch()
    net = build(variant, seed).double()
    x, label = make_batch(BATCH, T, torch.Generator().manual_seed(1000 * seed + T))
    loss = torch.nn.functional.cross_entropy(net(x.double()), label)
    (grad,) = torch.autograd.grad(loss, net.rnn.weight_ih_l0)
    return float(grad[:, :K_SYM].abs().max())


def grid():
    """Every (variant, T, lr) the experiment trains, in the order :func:`main` runs them."""
    runs = [(v, T, LR) for v in VARIANTS for T in LENGTHS]
    runs += [(v, T, lr) for lr in LR_SWEEP for v in VARIANTS
             for T in LR_SWEEP_LENGTHS]
    runs += [(v, T, lr) for v, T, rates in LR_EXTEND for lr in rates]
    return runs


def record(runs, seconds):
    """The results file's content for ``runs`` (in :func:`grid` order, each seed)."""
    torch = _torch()
    ratios = [{"variant": v, "T": T, "seed": seed,
               "ratio": gradient_ratio(v, T, seed)}
              for v in VARIANTS for T in LENGTHS for seed in SEEDS]
    first = [{"variant": v, "T": max(LENGTHS), "seed": seed,
              "max_abs": first_token_gradient(v, max(LENGTHS), seed)}
             for v in VARIANTS for seed in SEEDS]
    return {
        "config": {"K_SYM": K_SYM, "N_DIS": N_DIS, "HIDDEN": HIDDEN,
                   "HIDDEN_MATCHED": HIDDEN_MATCHED, "STEPS": STEPS,
                   "BATCH": BATCH, "LR": LR, "CLIP": CLIP, "N_TEST": N_TEST,
                   "LENGTHS": list(LENGTHS), "SEEDS": list(SEEDS),
                   "SUCCESS": SUCCESS, "CURVE_EVERY": CURVE_EVERY,
                   "LR_SWEEP": list(LR_SWEEP),
                   "LR_SWEEP_LENGTHS": list(LR_SWEEP_LENGTHS),
                   "LR_EXTEND": [{"variant": v, "T": T, "lr": list(rates)}
                                 for v, T, rates in LR_EXTEND]},
        "variants": {v: {"module": k, "hidden": h, "gate_bias": b,
                         "parameters": n_parameters(v)}
                     for v, (k, h, b) in VARIANTS.items()},
        "torch": torch.__version__,
        "seconds": round(seconds, 1),
        "runs": runs,
        "gradient_ratios": ratios,
        "first_token_gradients": first,
    }


def _train_all(configs):
    """Train every seed of each (variant, T, lr) in ``configs`` on one thread."""
    torch = _torch()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    runs = []
    for variant, T, lr in configs:
        for seed in SEEDS:
            res = train(variant, T, seed, lr)
            runs.append({"variant": variant, "T": T, "lr": lr, "seed": seed,
                         **res})
            print(f"{variant:14s} T={T:3d} lr={lr:g} seed={seed}: "
                  f"accuracy {res['accuracy']:.3f}", flush=True)
    return runs


def extend(out=RESULTS):
    """Append to ``out`` the runs of :func:`grid` that it lacks (the ``LR_EXTEND`` rates).

    Parameters
    ----------
    out : path-like, optional
        A results file written by :func:`main` (or by an earlier :func:`extend`); its
        runs must be the first ones of :func:`grid`, in that order, each with every
        seed. They are kept unchanged; the time of the new runs is added to
        ``"seconds"`` and to ``"seconds_extension"`` (all the runs added this way).

    Raises
    ------
    ValueError
        If the runs of ``out`` are not a prefix of :func:`grid`.
    """
    rec = json.loads(Path(out).read_text(encoding="utf-8"))
    configs = grid()
    n = len(SEEDS)
    have = [(r["variant"], r["T"], r["lr"]) for r in rec["runs"][::n]]
    if have != configs[:len(have)] or len(rec["runs"]) != n * len(have):
        raise ValueError(f"out: {out} does not hold a prefix of grid()")
    start = time.perf_counter()
    new = _train_all(configs[len(have):])
    seconds = time.perf_counter() - start
    rec["runs"] += new
    rec["config"]["LR_EXTEND"] = [{"variant": v, "T": T, "lr": list(rates)}
                                  for v, T, rates in LR_EXTEND]
    rec["seconds"] = round(rec["seconds"] + seconds, 1)
    rec["seconds_extension"] = round(rec.get("seconds_extension", 0.0) + seconds, 1)
    Path(out).write_text(json.dumps(rec, indent=1) + "\n", encoding="utf-8")
    print(f"appended {len(new)} runs to {out} in {seconds:.1f} s")


def main(out=RESULTS):
    """Run the whole experiment (all variants, lengths, seeds) and write ``out``."""
    start = time.perf_counter()
    runs = _train_all(grid())
    rec = record(runs, time.perf_counter() - start)
    Path(out).write_text(json.dumps(rec, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out} in {rec['seconds']} s")
