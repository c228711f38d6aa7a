"""Truncated BPTT on the first-token recall task: the window tau against the gap T.

The task, the networks and the training protocol are those of
:mod:`mlhwlib.experiments.rnn_recall` (one-hot sequences of length ``T + 1``,
Adam, ``STEPS`` steps of batches of ``BATCH``, global gradient clipping at
``CLIP``, held-out accuracy on ``N_TEST`` sequences), with one change: the
gradient is truncated. The convention is that of the BPTT chapter's truncation
exercise: the loss at step ``T + 1`` keeps the terms of steps
``t >= T + 1 - tau``, i.e. the state entering step ``T + 1 - tau`` is detached
(``h.detach()``, PyTorch's practice), and ``tau >= T`` is full BPTT. The first
token is read at step 1, so for ``tau < T`` the input weights that read it (the
columns ``0 .. K_SYM - 1`` of ``weight_ih_l0``) get a gradient of exactly zero, and
Adam leaves them at their initial values. The experiment measures whether the task
is learned all the same (the random initial weights still write the first token into
the state, and the window's first step reads that state), and, with those weights
initialised to zero (``INITS``: ``"zero"``), that it is not.

Run from the repository root (a few minutes on one thread)::

    .venv/bin/python tools/experiments/rnn_truncation.py [--quick]

It writes ``mlhwlib/data/rnn_truncation_results.json``, which the BPTT chapter reads
with :func:`mlhwlib.book.result`; ``--quick`` runs one configuration and prints it
(``tests/test_rnn_truncation_experiment.py`` re-runs such configurations against the file).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from . import rnn_recall as rr

T_GAP = 10
TAUS = (0, 5, 9, 10)
INITS = ("random", "zero")  # the first token's input weights: PyTorch's init, or 0
VARIANTS = ("RNN", "GRU, bias 3", "LSTM, bias 3")
SEEDS = tuple(range(6))
RESULTS = Path(__file__).resolve().parent.parent / "data" / "rnn_truncation_results.json"

__all__ = ["T_GAP", "TAUS", "INITS", "VARIANTS", "build", "SEEDS", "RESULTS", "truncated_logits",
           "first_token_gradient", "other_first_token", "train", "main"]


def _detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def truncated_logits(net, x, tau):
    """The network's output for ``x`` (n, T + 1, features), back-propagated through
    the steps ``t >= T + 1 - tau`` only (the state before them is detached)."""
    T = x.shape[1] - 1
    cut = T - tau  # steps 1..cut run before the window
    if cut <= 0:
        return net(x)
    _, state = net.rnn(x[:, :cut])
    outputs, _ = net.rnn(x[:, cut:], _detach(state))
    return net.out(outputs[:, -1])


def build(variant, init, seed):
    """The network of :func:`mlhwlib.experiments.rnn_recall.build`; with ``init="zero"``
    the input weights that read the first token are set to 0."""
    net = rr.build(variant, seed)
    if init == "zero":
        with rr._torch().no_grad():
            net.rnn.weight_ih_l0[:, :rr.K_SYM].zero_()
    return net


def first_token_gradient(variant, init, T, tau, seed):
    """Largest absolute gradient of the loss over the input weights that read the first token, at
    initialisation, in float64, under truncation ``tau`` (first batch of :func:`train`)."""
    torch = rr._torch()
    net = build(variant, init, seed).double()
    x, label = rr.make_batch(rr.BATCH, T, torch.Generator().manual_seed(1000 * seed + T))
    loss = torch.nn.functional.cross_entropy(truncated_logits(net, x.double(), tau), label)
    (grad,) = torch.autograd.grad(loss, net.rnn.weight_ih_l0)
    return float(grad[:, :rr.K_SYM].abs().max())


def train(variant, init, T, tau, seed):
    """Train one network with truncated BPTT; return its held-out accuracy, how far the
    first token's input weights moved from their initial values, and how much the
    output on the test set changes when every first symbol is replaced by another
    (``first_token_effect``, the largest change of a logit)."""
    torch = rr._torch()
    net = build(variant, init, seed)
    w_first = net.rnn.weight_ih_l0[:, :rr.K_SYM].detach().clone()
    gen = torch.Generator().manual_seed(1000 * seed + T)
    opt = torch.optim.Adam(net.parameters(), lr=rr.LR)
    for _ in range(rr.STEPS):
        x, label = rr.make_batch(rr.BATCH, T, gen)
        loss = torch.nn.functional.cross_entropy(truncated_logits(net, x, tau), label)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), rr.CLIP)
        opt.step()
    x_test, y_test = rr.make_batch(rr.N_TEST, T, torch.Generator().manual_seed(7))
    with torch.no_grad():
        logits = net(x_test)
        acc = (logits.argmax(dim=1) == y_test).double().mean().item()
        moved = (net.rnn.weight_ih_l0[:, :rr.K_SYM] - w_first).abs().max().item()
        effect = (net(other_first_token(x_test)) - logits).abs().max().item()
    return {"accuracy": round(acc, 4), "first_token_weights_moved": float(moved),
            "first_token_effect": float(effect)}


def other_first_token(x):
    """``x`` with every first symbol ``k`` replaced by ``(k + 1) mod K_SYM``."""
    first = x[:, 0, :rr.K_SYM].argmax(dim=1)
    out = x.clone()
    out[:, 0] = 0.0
    out[rr._torch().arange(x.shape[0]), 0, (first + 1) % rr.K_SYM] = 1.0
    return out


def main(out=RESULTS, quick=False):
    torch = rr._torch()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    if quick:
        for init in INITS:
            for tau in (T_GAP - 1, T_GAP):
                print("LSTM, bias 3", init, f"tau = {tau}",
                      train("LSTM, bias 3", init, T_GAP, tau, 0),
                      first_token_gradient("LSTM, bias 3", init, T_GAP, tau, 0))
        return None
    start = time.perf_counter()
    runs = []
    for variant in VARIANTS:
        for init in INITS:
            for tau in TAUS:
                for seed in SEEDS:
                    run = {"variant": variant, "init": init, "T": T_GAP, "tau": tau,
                           "seed": seed, **train(variant, init, T_GAP, tau, seed),
                           "first_token_gradient": first_token_gradient(
                               variant, init, T_GAP, tau, seed)}
                    runs.append(run)
                    print(run, flush=True)
    data = {"config": {"T": T_GAP, "TAUS": list(TAUS), "INITS": list(INITS),
                       "SEEDS": list(SEEDS),
                       "K_SYM": rr.K_SYM, "N_DIS": rr.N_DIS, "HIDDEN": rr.HIDDEN,
                       "STEPS": rr.STEPS, "BATCH": rr.BATCH, "LR": rr.LR, "CLIP": rr.CLIP,
                       "N_TEST": rr.N_TEST, "SUCCESS": rr.SUCCESS},
            "variants": list(VARIANTS), "torch": torch.__version__,
            "seconds": round(time.perf_counter() - start), "runs": runs}
    Path(out).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return data
