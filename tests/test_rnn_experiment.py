"""The committed results of :mod:`mlhwlib.experiments.rnn_recall` are reproducible.

The LSTM chapter reads ``mlhwlib/data/rnn_recall_results.json`` (written by
``tools/experiments/rnn_recall.py``) instead of training its networks at build
time. These tests re-run parts of the experiment and compare with the file: one full training run (400 steps), the gradient ratios
at initialisation (a regression check against the file, beside an independent check
of the ratio against hand-written cells), and the file's consistency with the script's configuration.
The training run is deterministic on one thread (``torch.use_deterministic_algorithms``)
on one machine, but not from machine to machine: torch picks float32 kernels by the
CPU's vector width, and 400 steps of training amplify their different rounding. The
test therefore trains each configuration under every kernel the CPU offers
(``ATEN_CPU_CAPABILITY`` = ``default``, ``avx2``, ``avx512``: what another machine
would run) and compares each with the file. The three configurations are ones whose
outcome does not depend on rounding; some runs of the experiment do (see
``CURVE_ATOL``).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from conftest import committed_run, torch_kernels, train_under_kernel

from mlhwlib.book import result
from mlhwlib.experiments import rnn_recall


@pytest.fixture(scope="module")
def rr():
    return rnn_recall


@pytest.fixture(scope="module")
def results():
    return result("rnn_recall_results.json")


def test_results_file_matches_the_script(rr, results):
    cfg = results["config"]
    assert cfg["STEPS"] == rr.STEPS and cfg["BATCH"] == rr.BATCH and cfg["LR"] == rr.LR
    assert cfg["SEEDS"] == list(rr.SEEDS) and len(cfg["SEEDS"]) >= 5
    assert cfg["LENGTHS"] == list(rr.LENGTHS)
    assert cfg["LR_SWEEP"] == list(rr.LR_SWEEP)
    assert cfg["LR_SWEEP_LENGTHS"] == list(rr.LR_SWEEP_LENGTHS)
    assert cfg["LR_EXTEND"] == [{"variant": v, "T": T, "lr": list(rates)}
                                for v, T, rates in rr.LR_EXTEND]
    # every configuration of the script's grid, in its order, each with every seed
    n = len(rr.SEEDS)
    assert [(r["variant"], r["T"], r["lr"]) for r in results["runs"][::n]] == rr.grid()
    assert all([r["seed"] for r in results["runs"][i:i + n]] == list(rr.SEEDS)
               for i in range(0, len(results["runs"]), n))
    # the learning-rate grid is log-spaced around the default, with the default inside
    assert min(rr.LR_SWEEP) < rr.LR < max(rr.LR_SWEEP)
    expected = len(rr.VARIANTS) * len(rr.SEEDS) * (
        len(rr.LENGTHS) + len(rr.LR_SWEEP) * len(rr.LR_SWEEP_LENGTHS))
    expected += len(rr.SEEDS) * sum(len(rates) for *_, rates in rr.LR_EXTEND)
    assert len(results["runs"]) == expected
    # the extension: pairs of the sweep, each rate outside the first grid
    first_grid = set(rr.LR_SWEEP) | {rr.LR}
    for v, T, rates in rr.LR_EXTEND:
        assert v in rr.VARIANTS and T in rr.LR_SWEEP_LENGTHS
        assert all(lr < min(first_grid) or lr > max(first_grid) for lr in rates)
    for v in rr.VARIANTS:
        assert results["variants"][v]["parameters"] == rr.n_parameters(v)
    # the matched RNN is within 5 % of the LSTM's parameter count
    p = results["variants"]
    assert abs(p["RNN (matched)"]["parameters"] / p["LSTM, bias 3"]["parameters"] - 1) < 0.05
    for run in results["runs"]:
        assert len(run["curve"]) == rr.STEPS // rr.CURVE_EVERY
        assert 0.0 <= run["accuracy"] <= 1.0


def test_extend_refuses_a_file_that_is_not_a_prefix_of_the_grid(rr, results, tmp_path):
    rec = dict(results)
    rec["runs"] = results["runs"][len(rr.SEEDS):]  # the first configuration missing
    bad = tmp_path / "results.json"
    bad.write_text(json.dumps(rec), encoding="utf-8")
    with pytest.raises(ValueError, match="out"):
        rr.extend(bad)
    assert json.loads(bad.read_text(encoding="utf-8")) == rec  # left as it was


# How far a training curve (mean loss over 10 steps) moves between torch's CPU kernels,
# measured for the first two configurations below: at most 0.0041 (GRU, T = 40, seed 0,
# AVX-512 kernels of an Intel Xeon against the file written on an AMD EPYC), 0.0017
# with AVX2, 0.0015 with the plain kernels; RNN, T = 10, seed 1: 0. The tolerance
# leaves a factor of about 2.5; "LSTM, bias 3", T = 20, seed 1 at the learning rate 1e-3
# (a rate added to the grid later, trained with the AVX2 kernels): 0 with the plain ones.
# Not every run is this stable: "LSTM, bias 3", T = 40,
# seed 0 ends at accuracy 0.505 with the vector kernels and 0.759 with the plain ones,
# which is why the chapter draws its conclusions from counts over ten seeds.
# On an AMD EPYC with AVX2 only (no AVX-512; 2026-12), the remedies experiment's
# "LSTM, chrono", T = 20, seed 0 moved by 0.0102 at one point of 40 (its other points by
# at most 0.0012): the tolerance is 2e-2, a factor of about 2 over the largest move seen.
CURVE_ATOL = 2e-2


NEW_RATE_RUN = ("LSTM, bias 3", 20, 1, 1e-3)  # from the runs added at the grid's edges
# from the runs beyond the first grid's edge (LR_EXTEND); on the Intel Xeon that wrote them its curve is
# identical under the plain, AVX2 and AVX-512 kernels
EXTENDED_RATE_RUN = ("LSTM, bias 3", 40, 3, 3e-4)


@pytest.mark.parametrize("kernel", torch_kernels())
@pytest.mark.parametrize("variant, T, seed, lr", [("GRU, bias 3", 40, 0, 1e-2),
                                                 ("RNN", 10, 1, 1e-2),
                                                 NEW_RATE_RUN, EXTENDED_RATE_RUN])
def test_one_training_run_reproduces_the_committed_numbers(rr, results, variant, T, seed,
                                                           lr, kernel):
    committed = committed_run(results["runs"], variant=variant, T=T, seed=seed, lr=lr)
    fresh = train_under_kernel(kernel, variant, T, seed, lr)
    assert fresh["accuracy"] == pytest.approx(committed["accuracy"], abs=0.01)
    np.testing.assert_allclose(fresh["curve"], committed["curve"], atol=CURVE_ATOL, rtol=0)


def test_gradient_ratios_regression_against_the_committed_file(rr, results, one_thread):
    """Regression only: the stored ratios were written by ``gradient_ratio`` itself.

    This checks that the function still reproduces the file the chapter reads, not
    that the ratios are right; their correctness is checked independently by
    ``test_gradient_ratio_against_a_hand_written_cell`` (explicit loops of each cell,
    differentiated by autograd, against ``torch.nn.RNN/GRU/LSTM``).
    """
    stored = {(g["variant"], g["T"], g["seed"]): g["ratio"]
              for g in results["gradient_ratios"]}
    for v in rr.VARIANTS:
        for T in (5, 40):
            assert rr.gradient_ratio(v, T, 0) == pytest.approx(stored[(v, T, 0)], rel=1e-6)


def _hand_written_step(kind, layer, H, x_t, h, c):
    """One step of PyTorch's cell of ``kind`` written out from its equations."""
    gi = x_t @ layer.weight_ih_l0.T + layer.bias_ih_l0
    gh = h @ layer.weight_hh_l0.T + layer.bias_hh_l0
    if kind == "RNN":  # Elman, tanh
        return torch.tanh(gi + gh), c
    if kind == "GRU":  # PyTorch's gate order (r, z, n); b_hn inside the reset product
        i_r, i_z, i_n = gi.split(H, dim=1)
        h_r, h_z, h_n = gh.split(H, dim=1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        return (1 - z) * n + z * h, c
    i, f, g, o = (gi + gh).split(H, dim=1)  # LSTM, PyTorch's gate order (i, f, g, o)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


@pytest.mark.parametrize("variant", ["RNN", "GRU, bias 3", "LSTM, bias 3"])
def test_gradient_ratio_against_a_hand_written_cell(rr, one_thread, variant):
    """The experiment's ratio (torch.nn.RNN/GRU/LSTM) equals one from an explicit loop."""
    seed, T, n = 2, 7, 32
    kind = rr.VARIANTS[variant][0]
    net = rr.build(variant, seed).double()
    x, label = rr.make_batch(n, T, torch.Generator().manual_seed(5000 + seed))
    x = x.double().requires_grad_(True)
    layer, H = net.rnn, net.rnn.hidden_size
    h = torch.zeros(n, H, dtype=torch.float64)
    c = torch.zeros(n, H, dtype=torch.float64)
    for t in range(x.shape[1]):
        h, c = _hand_written_step(kind, layer, H, x[:, t], h, c)
    loss = torch.nn.functional.cross_entropy(net.out(h), label)
    (grad,) = torch.autograd.grad(loss, x)
    by_hand = float(grad[:, 0].norm() / grad[:, -1].norm())
    assert rr.gradient_ratio(variant, T, seed, n=n) == pytest.approx(by_hand, rel=1e-10)
    if kind != "RNN":
        # the gate bias really is +3 in the forget/update block and 0 in bias_hh's
        assert torch.all(layer.bias_ih_l0[H:2 * H] == 3.0)
        assert torch.all(layer.bias_hh_l0[H:2 * H] == 0.0)


def test_first_token_gradients_reproduce(rr, results, one_thread):
    stored = {(g["variant"], g["T"], g["seed"]): g["max_abs"]
              for g in results["first_token_gradients"]}
    assert len(stored) == len(rr.VARIANTS) * len(rr.SEEDS)
    for v in rr.VARIANTS:
        assert rr.first_token_gradient(v, 40, 1) == pytest.approx(stored[(v, 40, 1)], rel=1e-6)


@pytest.mark.parametrize("variant", ["LSTM, bias 0", "LSTM, bias 3"])
def test_first_token_gradient_against_a_hand_written_lstm(rr, variant, one_thread):
    """An explicit LSTM loop whose step 1 uses its own copy of the input weights.

    The copy used at steps 2 .. T+1 gets no gradient in the first-token columns
    (they read only the first token), and the step-1 copy's gradient there is the
    experiment's number.
    """
    seed, T = 3, 12
    net = rr.build(variant, seed).double()
    x, label = rr.make_batch(rr.BATCH, T, torch.Generator().manual_seed(1000 * seed + T))
    x = x.double()
    layer, H = net.rnn, net.rnn.hidden_size
    W_first = layer.weight_ih_l0.detach().clone().requires_grad_(True)
    W_rest = layer.weight_ih_l0.detach().clone().requires_grad_(True)
    h = torch.zeros(rr.BATCH, H, dtype=torch.float64)
    c = torch.zeros(rr.BATCH, H, dtype=torch.float64)
    for t in range(x.shape[1]):
        W = W_first if t == 0 else W_rest
        pre = (x[:, t] @ W.T + layer.bias_ih_l0 + h @ layer.weight_hh_l0.T
               + layer.bias_hh_l0)
        i, f, g, o = pre.split(H, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
    loss = torch.nn.functional.cross_entropy(net.out(h), label)
    g_first, g_rest = torch.autograd.grad(loss, (W_first, W_rest))
    assert torch.all(g_rest[:, :rr.K_SYM] == 0)
    by_hand = float(g_first[:, :rr.K_SYM].abs().max())
    assert rr.first_token_gradient(variant, T, seed) == pytest.approx(by_hand, rel=1e-10)
