"""Committed notebook outputs do not depend on how this machine rounds.

``make test`` runs nbval over every notebook with the machine's own numerics. This
file re-executes every notebook under a **second numeric profile** and compares
with the committed outputs in the same way (nbval, same sanitizer):

* numpy's highest SIMD dispatch level switched off (``NPY_DISABLE_CPU_FEATURES``,
  naming only features this CPU has: on an AVX-512 machine numpy falls back to its
  AVX2 kernels, on an AVX2 machine to the baseline);
* another OpenBLAS kernel (``OPENBLAS_CORETYPE``, one this CPU can run and not the
  one OpenBLAS chose);
* one BLAS thread (``OPENBLAS_NUM_THREADS=1``, another reduction order).

The profile really changes rounding, so the comparison cannot pass vacuously:
:func:`test_the_second_profile_changes_rounding` computes a raw full-precision sum
of 10⁵ standard-normal numbers (``x @ ones``, through BLAS) in a fresh process
under each profile and requires the two printed values to differ. On the book's
reference machine (AMD EPYC with AVX-512) they were ``-90.8250773120617`` and
``-90.82507731206155``.

The profile is defined in ``tools/numeric_profile.py``; run any command under it
with ``python tools/numeric_profile.py --run CMD ...``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import numeric_profile

NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
PROFILE = numeric_profile.second_profile()


def test_the_second_profile_changes_rounding():
    assert "OPENBLAS_CORETYPE" in PROFILE and PROFILE["OPENBLAS_NUM_THREADS"] == "1", PROFILE
    default = numeric_profile.raw_sums()
    second = numeric_profile.raw_sums(PROFILE)
    assert default != second, (
        f"the second profile {PROFILE} rounds exactly like the default one "
        f"({default}): the profile test would be vacuous")


def test_the_profile_names_only_features_this_cpu_has():
    from numpy._core import _multiarray_umath as umath

    disabled = PROFILE.get("NPY_DISABLE_CPU_FEATURES", "").split()
    assert disabled, "this CPU has a dispatched SIMD level above numpy's baseline"
    assert all(umath.__cpu_features__.get(name) for name in disabled), disabled


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_outputs_under_the_second_profile(path: Path):
    env = dict(os.environ, **PROFILE)
    cmd = [sys.executable, "-m", "pytest", str(path.relative_to(ROOT)), "--nbval",
           "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "-p", "no:cacheprovider",
           "-q", "--no-header", "-o", "addopts="]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    tail = "\n".join(done.stdout.splitlines()[-60:])
    assert done.returncode == 0, (
        f"{path.name} differs from its committed outputs under {PROFILE}:\n{tail}\n"
        f"{done.stderr[-2000:]}")
    assert " passed" in done.stdout and " skipped" not in done.stdout, tail
