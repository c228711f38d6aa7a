"""The lint: ``ruff check`` (pinned in pyproject's ``test`` extra, configured in its
``[tool.ruff]``) over the library, the tests, the tools, the extensions, the benchmarks
and the chapters' notebooks. A ``noqa`` comment that silences nothing is itself a
finding (RUF100), so each one that remains names a rule that would fire."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINTED = ["mlhwlib", "tests", "tools", "_ext", "benchmarks", "book"]


def _ruff():
    exe = Path(sys.executable).with_name("ruff")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("ruff")
    if found is None:
        pytest.fail("ruff is not installed: `pip install -r requirements.txt` (it is pinned there)")
    return [found]


def test_ruff_is_the_pinned_version():
    pin = next(line.split("==")[1].split()[0] for line in (ROOT / "requirements.txt").read_text().splitlines()
               if line.startswith("ruff=="))
    done = subprocess.run([*_ruff(), "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.split()[1] == pin, f"ruff {done.stdout.strip()} runs, the lock pins {pin}"


def test_ruff_finds_nothing():
    done = subprocess.run([*_ruff(), "check", "--no-cache", "--output-format", "concise", *LINTED],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, "ruff check found:\n" + done.stdout + done.stderr


def test_ruff_reads_the_notebooks():
    # the chapters' notebooks are among the files ruff checks (extend-include = *.ipynb)
    done = subprocess.run([*_ruff(), "check", "--no-cache", "--show-files", *LINTED],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    linted = {Path(line.strip()).name for line in done.stdout.splitlines()}
    assert {p.name for p in (ROOT / "book").glob("*.ipynb")} <= linted
