"""The remedies experiment (mlhwlib.experiments.rnn_remedies) and its committed results.

Checked independently of the module's own numbers: each remedied network is what its
name says (the orthogonal recurrent matrix against ``Q^T Q = I``; the IRNN's identity
matrix, zero biases and ReLU against PyTorch's ``torch.nn.RNN`` with those weights
written in; the leaky layer against the update written out by hand, and with
``alpha = 1`` against ``torch.nn.RNN`` with the same weights; the chrono biases
against Tallec and Ollivier's recipe), every other weight is the recall experiment's
draw for the same seed, and the committed file was written with the protocol of the
recall experiment (same steps, batch, seeds, learning rates, gaps) and holds every
configuration. Re-training two configurations reproduces the committed outcomes under
every CPU kernel set this machine offers (``ATEN_CPU_CAPABILITY``), as
``tests/test_rnn_experiment.py`` does: the two are runs that reach accuracy 1 with a
wide margin, so the outcome does not depend on the kernels' rounding (the curves are
compared with the recall test's tolerance).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from conftest import committed_run, torch_kernels, train_under_kernel

# the recall experiment's tolerance between kernels (its test says why)
from test_rnn_experiment import CURVE_ATOL

from mlhwlib.book import result
from mlhwlib.experiments import rnn_recall as rr
from mlhwlib.experiments import rnn_remedies as rm


@pytest.fixture(scope="module")
def results():
    return result("rnn_remedies_results.json")


@pytest.fixture(scope="module")
def recall():
    return result("rnn_recall_results.json")


def _other_weights_equal(net, base, skip):
    for (name, p), (name_b, q) in zip(net.named_parameters(), base.named_parameters()):
        assert name == name_b
        if not any(name.endswith(s) for s in skip):
            assert torch.equal(p, q), name


def test_orthogonal_and_identity_recurrent_matrices():
    net = rm.build("RNN, orthogonal", 3, 40)
    Q = net.rnn.weight_hh_l0.detach().double().numpy()
    np.testing.assert_allclose(Q.T @ Q, np.eye(rr.HIDDEN), atol=1e-6)
    np.testing.assert_allclose(np.linalg.svd(Q, compute_uv=False), 1.0, atol=1e-6)
    _other_weights_equal(net, rr.build("RNN", 3), skip=("weight_hh_l0",))
    irnn = rm.build("IRNN", 3, 40)
    assert irnn.rnn.nonlinearity == "relu"
    assert torch.equal(irnn.rnn.weight_hh_l0, torch.eye(rr.HIDDEN))
    assert not irnn.rnn.bias_ih_l0.any() and not irnn.rnn.bias_hh_l0.any()


def test_irnn_is_relu_with_the_identity():
    """The IRNN's output equals the recursion h_t = relu(W_x x_t + h_(t-1)), by hand."""
    net = rm.build("IRNN", 1, 20).double()
    x, _ = rr.make_batch(5, 6, torch.Generator().manual_seed(2))
    x = x.double()
    Wx = net.rnn.weight_ih_l0.detach()
    h = torch.zeros(5, rr.HIDDEN, dtype=torch.float64)
    for t in range(x.shape[1]):
        h = torch.relu(x[:, t] @ Wx.T + h)
    torch.testing.assert_close(net(x), net.out(h), rtol=0, atol=1e-12)


def test_leaky_units_follow_their_equation():
    net = rm.build("RNN, leaky", 2, 20).double()
    cell, a = net.rnn.cell, rm.ALPHA
    x, _ = rr.make_batch(4, 7, torch.Generator().manual_seed(3))
    x = x.double()
    h = torch.zeros(4, rr.HIDDEN, dtype=torch.float64)
    for t in range(x.shape[1]):
        pre = x[:, t] @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh
        h = (1 - a) * h + a * torch.tanh(pre)
    torch.testing.assert_close(net(x), net.out(h), rtol=0, atol=1e-12)
    # with alpha = 1 the layer is PyTorch's Elman RNN with the same weights
    leaky = rm._leaky_class()(rr.K_SYM + rr.N_DIS, rr.HIDDEN, 1.0).double()
    elman = torch.nn.RNN(rr.K_SYM + rr.N_DIS, rr.HIDDEN, batch_first=True).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(elman, name + "_l0").copy_(getattr(leaky.cell, name))
    out_l, h_l = leaky(x)
    out_e, h_e = elman(x)
    torch.testing.assert_close(out_l, out_e, rtol=0, atol=1e-12)
    torch.testing.assert_close(h_l, h_e[0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize("T", rm.LENGTHS)
def test_chrono_biases(kind, T):
    H = rr.HIDDEN
    net = rm.build(f"{kind}, chrono", 4, T)
    b_ih, b_hh = net.rnn.bias_ih_l0.detach(), net.rnn.bias_hh_l0.detach()
    keep = b_ih[H:2 * H]  # LSTM forget gate / GRU update gate (multiplies the old state)
    # log u with u in (1, T - 1): the gate sigma(log u) = u / (1 + u) starts in (1/2, 1 - 1/T)
    assert torch.all(keep >= 0) and torch.all(keep <= math.log(T - 1))
    gate = torch.sigmoid(keep)
    assert torch.all(gate >= 0.5) and torch.all(gate <= 1 - 1 / T + 1e-6)
    assert not b_hh[H:2 * H].any()
    skip = ("bias_ih_l0", "bias_hh_l0")
    if kind == "LSTM":
        assert torch.equal(b_ih[:H], -keep) and not b_hh[:H].any()
        untouched = slice(2 * H, 4 * H)
    else:
        untouched = slice(0, H)
    base = rr.build(f"{kind}, bias 0", 4)
    assert torch.equal(b_ih[untouched], base.rnn.bias_ih_l0[untouched])
    _other_weights_equal(net, base, skip=skip)


def test_chrono_draws_are_log_uniform():
    """Over many units, exp(b) is uniform on (1, T_max - 1): a Kolmogorov distance check."""
    T_max, n = 40, 20_000
    u = np.sort(np.exp(rm.chrono_bias(n, T_max, torch.Generator().manual_seed(0)).numpy()))
    cdf = (u - 1) / (T_max - 2)
    assert np.max(np.abs(cdf - (np.arange(1, n + 1) - 0.5) / n)) < 0.02


@pytest.mark.parametrize("bad", [2, 1, 0, 40.0, True, "40"])
def test_chrono_bias_rejects_bad_T_max(bad):
    with pytest.raises(ValueError, match="T_max"):
        rm.chrono_bias(4, bad)


def test_build_rejects_unknown_variant():
    with pytest.raises(ValueError, match="variant"):
        rm.build("RNN", 0, 20)


def test_the_file_matches_the_protocol(results, recall):
    cfg = results["config"]
    rcfg = recall["config"]
    for key in ("K_SYM", "N_DIS", "HIDDEN", "STEPS", "BATCH", "CLIP", "N_TEST",
                "SUCCESS", "CURVE_EVERY", "SEEDS"):
        assert cfg[key] == rcfg[key], key
    assert len(cfg["SEEDS"]) >= 5 and cfg["ALPHA"] == rm.ALPHA
    assert cfg["LRS"] == sorted(set(rcfg["LR_SWEEP"]) | {rcfg["LR"]}) == list(rm.LRS)
    assert set(cfg["LENGTHS"]) <= set(rcfg["LR_SWEEP_LENGTHS"])
    n = len(rm.SEEDS)
    assert [(r["variant"], r["T"], r["lr"]) for r in results["runs"][::n]] == rm.grid()
    assert all([r["seed"] for r in results["runs"][i:i + n]] == list(rm.SEEDS)
               for i in range(0, len(results["runs"]), n))
    assert len(results["runs"]) == len(rm.grid()) * n
    # the baselines were trained at every (T, lr, seed) of the grid
    have = {(r["variant"], r["T"], r["lr"], r["seed"]) for r in recall["runs"]}
    assert all((v, T, lr, s) in have for v in rm.BASELINES for T in rm.LENGTHS
               for lr in rm.LRS for s in rm.SEEDS)
    for run in results["runs"]:
        assert len(run["curve"]) == rr.STEPS // rr.CURVE_EVERY
        assert 0.0 <= run["accuracy"] <= 1.0
    assert results["variants"] == {
        v: sum(p.numel() for p in rm.build(v, 0, max(rm.LENGTHS)).parameters())
        for v in rm.VARIANTS}


REPRODUCED = [("RNN, orthogonal", 20, 0, 1e-2), ("LSTM, chrono", 20, 0, 1e-2)]


@pytest.mark.parametrize("kernel", torch_kernels())
@pytest.mark.parametrize("variant, T, seed, lr", REPRODUCED)
def test_a_training_run_reproduces_the_file(results, variant, T, seed, lr, kernel):
    committed = committed_run(results["runs"], variant=variant, T=T, seed=seed, lr=lr)
    fresh = train_under_kernel(kernel, variant, T, seed, lr, remedies=True)
    assert fresh["accuracy"] >= rr.SUCCESS and committed["accuracy"] >= rr.SUCCESS
    np.testing.assert_allclose(fresh["curve"], committed["curve"], atol=CURVE_ATOL, rtol=0)
