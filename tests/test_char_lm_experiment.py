"""The character-level language model (mlhwlib.experiments.char_lm) and its committed results.

Checked against independent computations: the library's models, trained with
clip_by_global_norm and the numpy Adam along a float64 trajectory with carried,
detached state, have the same losses and end with the same weights as torch.nn's
RNN/GRU/LSTM + Linear trained by autograd, clip_grad_norm_ and torch.optim.Adam;
the counters agree with values worked out by hand; the unit correlations agree with
numpy's corrcoef. Then the committed file: it matches the module's configuration and
corpus, and re-running the quick configuration (stored in the same file by the same
run) reproduces its numbers.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from mlhwlib.book import result
from mlhwlib.experiments import char_lm as cl


@pytest.fixture(scope="module")
def results():
    return result("char_lm_results.json")


@pytest.mark.parametrize("kind", cl.MODELS)
def test_library_model_equals_torch_along_a_training_trajectory(kind):
    pytest.importorskip("torch")
    K, H, chunk, steps = 11, 5, 9, 7
    idx = (3 * np.arange(chunk * steps + 1)) % K  # a periodic text: learnable in a few steps
    lib, ref, gap = cl.torch_trajectory(kind, idx, K, H, chunk, steps, lr=0.05, clip=0.3)
    assert len(lib) == steps
    np.testing.assert_allclose(lib, ref, rtol=1e-12, atol=0)
    assert gap < 1e-12
    assert lib[-1] < lib[0] - 0.1  # the weights moved: a real trajectory, not 7 copies


def test_counters_by_hand():
    text = "a(b[$x$]\n`c`)$$y$$)"
    C = cl.counters(text)
    #            a  (  b  [  $  x  $  ]  \n `  c  `  )  $  $  y  $  $  )
    np.testing.assert_array_equal(
        C["line position"], [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    np.testing.assert_array_equal(
        C["bracket depth"], [0, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(
        C["math ($)"], [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(
        C["code (`)"], [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    # an unmatched dollar sign is forgotten at the next blank line
    np.testing.assert_array_equal(cl.counters("a $b\n\nc $d$")["math ($)"],
                                  [0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0])


def test_unit_correlations_equal_corrcoef():
    rng = np.random.default_rng(0)
    mem = rng.normal(size=(200, 6))
    q = mem[:, 2] + rng.normal(size=200)
    mem[:, 4] = 1.0  # a constant unit: correlation 0 by convention
    r = cl.unit_correlations(mem, q)
    for j in range(6):
        ref = 0.0 if j == 4 else np.corrcoef(mem[:, j], q)[0, 1]
        assert abs(r[j] - ref) < 1e-12


def test_the_file_matches_the_configuration(results):
    assert results["config"] == cl.CONFIG and results["quick"]["config"] == cl.QUICK
    assert len(cl.CONFIG["SEEDS"]) >= 5
    assert results["corpus"]["commit"] == cl.CORPUS_COMMIT
    runs = results["runs"]
    assert sorted((r["model"], r["seed"]) for r in runs) == sorted(
        (m, s) for m in cl.MODELS for s in cl.CONFIG["SEEDS"])
    assert len(results["units"]) == len(cl.CONFIG["SEEDS"])
    assert results["vocab"][0] == cl.UNKNOWN and len(set(results["vocab"])) == len(
        results["vocab"])


def _corpus_or_skip():
    try:
        return cl.corpus()
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:  # no git, shallow clone
        pytest.skip(f"the pinned corpus commit is not available: {exc}")


def test_quick_configuration_reproduces_the_committed_numbers(results):
    text = _corpus_or_skip()
    import hashlib
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == results["corpus"]["sha256"]
    new = cl.main(quick=True, log=lambda *a: None)["quick"]
    old = results["quick"]
    assert new["vocab"] == old["vocab"] == results["vocab"]
    assert (new["n_train"], new["n_val"]) == (old["n_train"], old["n_val"])
    for a, b in zip(new["runs"], old["runs"], strict=True):
        assert (a["model"], a["seed"], a["n_params"]) == (b["model"], b["seed"], b["n_params"])
        np.testing.assert_allclose(a["val_loss"], b["val_loss"], rtol=1e-6)
        np.testing.assert_allclose(a["curve_val"], b["curve_val"], rtol=1e-6)
        np.testing.assert_allclose(a["train_curve"], b["train_curve"], rtol=1e-6)
    assert new["samples"] == old["samples"]
    for a, b in zip(new["units"], old["units"], strict=True):
        for name in cl.COUNTERS:
            assert a[name]["unit"] == b[name]["unit"]
            np.testing.assert_allclose(a[name]["r"], b[name]["r"], rtol=1e-5, atol=1e-7)
