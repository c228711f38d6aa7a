"""The truncation experiment (mlhwlib.experiments.rnn_truncation) and its committed results.

Checked: the truncated forward pass gives the same outputs as the full one (truncation
changes the gradient only); the gradient on the first token's input weights is exactly
zero for tau < T and nonzero for tau = T (a property of the construction, checked in
float64 on fresh networks, independent of the file); the committed file agrees with the
module's configuration and with the proposition (those weights never moved when
tau < T; with them initialised to zero the output does not depend on the first token
at all); and
re-training two configurations reproduces their committed outcomes. The two are
chosen so that the outcome does not depend on the CPU's float32 kernels: with the
reading weights at zero and tau < T the network cannot depend on the first token at
all, and the random-init LSTM with the +3 bias reaches accuracy 1 with a wide margin.
"""

from __future__ import annotations

import pytest
import torch
from conftest import committed_run

from mlhwlib.book import result
from mlhwlib.experiments import rnn_recall as rr
from mlhwlib.experiments import rnn_truncation as rt


@pytest.fixture(scope="module")
def results():
    return result("rnn_truncation_results.json")


@pytest.mark.parametrize("variant", rt.VARIANTS)
def test_truncation_changes_the_gradient_not_the_output(variant):
    net = rt.build(variant, "random", 0).double()
    x, _ = rr.make_batch(8, rt.T_GAP, torch.Generator().manual_seed(1))
    full = net(x.double())
    for tau in rt.TAUS:
        assert torch.allclose(rt.truncated_logits(net, x.double(), tau), full,
                              rtol=0, atol=1e-12)


@pytest.mark.parametrize("variant", rt.VARIANTS)
@pytest.mark.parametrize("init", rt.INITS)
def test_first_token_gradient_is_zero_exactly_when_the_window_misses_step_one(variant, init):
    T = rt.T_GAP
    for tau in (0, T - 1):
        assert rt.first_token_gradient(variant, init, T, tau, seed=2) == 0.0
    assert rt.first_token_gradient(variant, init, T, T, seed=2) > 1e-6


def test_the_file_matches_the_configuration(results):
    cfg = results["config"]
    assert cfg["T"] == rt.T_GAP and cfg["TAUS"] == list(rt.TAUS)
    assert cfg["INITS"] == list(rt.INITS) and cfg["SEEDS"] == list(rt.SEEDS)
    assert len(rt.SEEDS) >= 5
    assert (cfg["STEPS"], cfg["BATCH"], cfg["LR"], cfg["HIDDEN"]) == \
        (rr.STEPS, rr.BATCH, rr.LR, rr.HIDDEN)
    assert len(results["runs"]) == len(rt.VARIANTS) * len(rt.INITS) * len(rt.TAUS) * len(rt.SEEDS)


def test_the_file_obeys_the_proposition(results):
    for run in results["runs"]:
        if run["tau"] < run["T"]:
            assert run["first_token_gradient"] == 0.0 and run["first_token_weights_moved"] == 0.0
            if run["init"] == "zero":  # the output does not depend on the first token
                assert run["first_token_effect"] == 0.0, run
        else:
            assert run["first_token_gradient"] > 0 and run["first_token_weights_moved"] > 0


def test_other_first_token_changes_only_the_first_symbol():
    x, label = rr.make_batch(50, 6, torch.Generator().manual_seed(4))
    y = rt.other_first_token(x)
    assert torch.equal(y[:, 1:], x[:, 1:]) and torch.equal(y.sum(dim=2), x.sum(dim=2))
    assert torch.equal(y[:, 0, :rr.K_SYM].argmax(dim=1), (label + 1) % rr.K_SYM)


@pytest.mark.parametrize("init", rt.INITS)
def test_a_training_run_reproduces_the_file(results, one_thread, init):
    variant, tau, seed = "LSTM, bias 3", rt.T_GAP - 1, 0
    fresh = rt.train(variant, init, rt.T_GAP, tau, seed)
    committed = committed_run(results["runs"], variant=variant, init=init, tau=tau,
                              seed=seed)
    assert fresh["first_token_weights_moved"] == committed["first_token_weights_moved"] == 0.0
    if init == "zero":  # no dependence on the first token at all
        assert fresh["first_token_effect"] == committed["first_token_effect"] == 0.0
    else:  # learned with a wide margin; another CPU's kernels may move the last digits
        assert fresh["accuracy"] >= rr.SUCCESS and committed["accuracy"] >= rr.SUCCESS
