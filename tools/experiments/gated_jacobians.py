"""Long-range state Jacobians of the recall task's RNN, GRU and LSTM, before and after training.

The LSTM chapter's section :ref:`lstm-sec-gated-jacobian-figure` reads the results
file this script writes, ``mlhwlib/data/gated_jacobians_results.json``::

    .venv/bin/python tools/experiments/gated_jacobians.py          # about 2 min, one thread
    .venv/bin/python tools/experiments/gated_jacobians.py --quick  # one network, printed

The networks are those of the chapter's experiment (:mod:`mlhwlib.experiments.rnn_recall`:
the same task, variants, initialisation, data generator, optimiser, learning rate
``rr.LR``, clipping and ``rr.STEPS`` training steps) at the longest gap ``T = 40``
and the seeds ``SEEDS``. For each network, untrained and trained, the script takes
``N_SEQ`` held-out sequences (``T + 1`` steps each), runs the cell in float64 with
the library (:func:`mlhwlib.vector_rnn.vector_rnn_bptt`, :func:`mlhwlib.lstm.vector_gru_bptt`,
:func:`mlhwlib.lstm.vector_lstm_bptt`) and records, for every distance
``k = 0, ..., T``, the largest singular value of the state Jacobian
``d state_(1 + k) / d state_1`` (state 1: after reading the first token; the LSTM's
state is ``[c; h]``) and the product of the step Jacobians' spectral norms (the
bound of Pascanu et al. 2013), both as base-10 logarithms, median over the
sequences; and the full singular spectrum at the longest distance (median over the
sequences, index by index). For the RNN it also records ``log10 ||W_hh||_2``, which
bounds every step Jacobian's norm (``|tanh'| <= 1``).

Deterministic on one thread on one machine; training uses float32 kernels that
differ between CPUs (see ``tests/test_rnn_experiment.py``), so the trained numbers
may change slightly on another machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the repository's mlhwlib, when run as a script

from mlhwlib.bptt import tanh_derivative  # noqa: E402
from mlhwlib.experiments import rnn_recall as rr  # noqa: E402
from mlhwlib.lstm import vector_gru_bptt, vector_lstm_bptt  # noqa: E402
from mlhwlib.vector_rnn import vector_rnn_bptt  # noqa: E402

T_GAP = 40                  # the longest gap of the experiment
SEEDS = tuple(range(5))
N_SEQ = 16                  # held-out sequences per network
SEQ_SEED = 9                # their generator's seed (the training data use 1000 * seed + T)
ROUND = 4                   # decimals of the stored logarithms
OUT = ROOT / "mlhwlib" / "data" / "gated_jacobians_results.json"


def _torch():
    import torch
    return torch


def train_net(variant, seed, T=T_GAP, steps=rr.STEPS, lr=rr.LR):
    """The trained network of :func:`mlhwlib.experiments.rnn_recall.train` (same loop)."""
    torch = _torch()
    net = rr.build(variant, seed)
    gen = torch.Generator().manual_seed(1000 * seed + T)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    for _ in range(steps):
        x, label = rr.make_batch(rr.BATCH, T, gen)
        loss = torch.nn.functional.cross_entropy(net(x), label)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), rr.CLIP)
        opt.step()
    x_test, y_test = rr.make_batch(rr.N_TEST, T, torch.Generator().manual_seed(7))
    with torch.no_grad():
        acc = (net(x_test).argmax(dim=1) == y_test).double().mean().item()
    return net, round(acc, 4)


def step_jacobians(net, X):
    """Per-step state Jacobians (list over steps 1..T+1) of ``net`` on one sequence ``X``."""
    P = {k: v.detach().double().numpy() for k, v in net.rnn.named_parameters()}
    V = net.out.weight.detach().double().numpy()
    c = net.out.bias.detach().double().numpy()
    y = np.zeros(len(X), dtype=int)  # the Jacobians do not depend on the targets
    kind = type(net.rnn).__name__
    if kind == "LSTM":
        res = vector_lstm_bptt(X, y, P["weight_ih_l0"], P["weight_hh_l0"], V,
                               P["bias_ih_l0"] + P["bias_hh_l0"], c)
        return [res.step_jacobian(t) for t in range(1, len(X) + 1)]
    if kind == "GRU":
        res = vector_gru_bptt(X, y, P["weight_ih_l0"], P["weight_hh_l0"], V,
                              P["bias_ih_l0"], P["bias_hh_l0"], c)
        return [res.step_jacobian(t) for t in range(1, len(X) + 1)]
    Wh = P["weight_hh_l0"]
    b = P["bias_ih_l0"] + P["bias_hh_l0"]
    res = vector_rnn_bptt(X, y, P["weight_ih_l0"], Wh, V, b, c)
    a = X @ P["weight_ih_l0"].T + res.h[:-1] @ Wh.T + b  # pre-activations a_1..a_T
    return [tanh_derivative(a[t])[:, None] * Wh for t in range(len(X))]


def measure(net, X_all):
    """Median over the sequences of the recorded quantities (see the module docstring)."""
    top, bound, spectra = [], [], []
    for X in X_all:
        Js = step_jacobians(net, X)[1:]  # steps 2..T+1: from state 1 onwards
        n = Js[0].shape[0]
        P, log_bound = np.eye(n), 0.0
        t_row, b_row = [0.0], [0.0]
        for J in Js:
            P = J @ P
            log_bound += np.log10(np.linalg.norm(J, 2))
            t_row.append(np.log10(np.linalg.norm(P, 2)))
            b_row.append(log_bound)
        top.append(t_row)
        bound.append(b_row)
        spectra.append(np.log10(np.linalg.svd(P, compute_uv=False)))
    def med(v):
        return [round(float(x), ROUND) for x in np.median(np.asarray(v), axis=0)]

    out = {"log10_sigma_max": med(top), "log10_norm_product": med(bound),
           "log10_spectrum_T": med(spectra)}
    if type(net.rnn).__name__ == "RNN":
        Wh = net.rnn.weight_hh_l0.detach().double().numpy()
        out["log10_norm_W"] = round(float(np.log10(np.linalg.norm(Wh, 2))), ROUND)
    return out


def held_out():
    torch = _torch()
    x, _ = rr.make_batch(N_SEQ, T_GAP, torch.Generator().manual_seed(SEQ_SEED))
    return x.double().numpy()


def run(variant, seed, X_all):
    net0 = rr.build(variant, seed)
    init = measure(net0, X_all)
    net, acc = train_net(variant, seed)
    return {"variant": variant, "seed": seed, "accuracy": acc,
            "init": init, "trained": measure(net, X_all)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="one network (LSTM, bias 3, seed 0), printed, no file written")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    torch = _torch()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    X_all = held_out()
    if args.quick:
        print(json.dumps(run("LSTM, bias 3", 0, X_all)))
        return
    start, runs = time.perf_counter(), []
    for variant in rr.VARIANTS:
        for seed in SEEDS:
            runs.append(run(variant, seed, X_all))
            r = runs[-1]
            print(f"{variant:14s} seed {seed}: accuracy {r['accuracy']:.3f}, "
                  f"log10 sigma_max init {r['init']['log10_sigma_max'][-1]:.2f}, "
                  f"trained {r['trained']['log10_sigma_max'][-1]:.2f}", flush=True)
    rec = {"config": {"T": T_GAP, "SEEDS": list(SEEDS), "N_SEQ": N_SEQ, "SEQ_SEED": SEQ_SEED,
                      "STEPS": rr.STEPS, "LR": rr.LR, "BATCH": rr.BATCH, "CLIP": rr.CLIP},
           "torch": torch.__version__, "seconds": round(time.perf_counter() - start, 1),
           "runs": runs}
    Path(args.out).write_text(json.dumps(rec, indent=None, separators=(",", ":")) + "\n",
                              encoding="utf-8")
    print(f"wrote {args.out} in {rec['seconds']} s")


if __name__ == "__main__":
    main()
