"""The committed results of ``tools/experiments/gated_jacobians.py`` are reproducible.

The LSTM chapter's figure of long-range state Jacobians reads
``mlhwlib/data/gated_jacobians_results.json``. This test re-runs the script's
``--quick`` configuration (one network: the LSTM with the forget bias 3, seed 0,
untrained and after the experiment's 400 training steps) and compares it with
the file. The untrained network's numbers are float64 computations from torch's
seeded initialisation and must agree to the file's rounding; the trained ones
pass through 400 steps of float32 training, whose kernels differ between CPUs
(see ``tests/test_rnn_experiment.py``), so they get a tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import committed_run, experiment_script, torch_one_thread

from mlhwlib.book import result

ROUNDING = 1e-4 + 1e-9      # the file stores log10 values to 4 decimals
TRAINED_LOG10_ATOL = 0.25   # another CPU's float32 kernels: a factor of 10**0.25
TRAINED_ACC_ATOL = 0.05


@pytest.fixture(scope="module")
def script():
    return experiment_script("gated_jacobians")


@pytest.fixture(scope="module")
def committed():
    return result("gated_jacobians_results.json")


def test_config_matches_script(script, committed):
    cfg = committed["config"]
    assert cfg["T"] == script.T_GAP and cfg["SEEDS"] == list(script.SEEDS)
    assert cfg["N_SEQ"] == script.N_SEQ and cfg["SEQ_SEED"] == script.SEQ_SEED
    assert cfg["STEPS"] == script.rr.STEPS and cfg["LR"] == script.rr.LR
    assert {(r["variant"], r["seed"]) for r in committed["runs"]} == {
        (v, s) for v in script.rr.VARIANTS for s in script.SEEDS}


def test_quick_run_reproduces_file(script, committed):
    with torch_one_thread():
        got = script.run("LSTM, bias 3", 0, script.held_out())
    ref = committed_run(committed["runs"], variant="LSTM, bias 3", seed=0)
    for key in ("log10_sigma_max", "log10_norm_product", "log10_spectrum_T"):
        np.testing.assert_allclose(got["init"][key], ref["init"][key], rtol=0, atol=ROUNDING,
                                   err_msg=key)
        np.testing.assert_allclose(got["trained"][key], ref["trained"][key], rtol=0,
                                   atol=TRAINED_LOG10_ATOL, err_msg=key)
    assert abs(got["accuracy"] - ref["accuracy"]) <= TRAINED_ACC_ATOL
