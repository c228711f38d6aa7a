"""The time figures of README.md and CONTRIBUTING.md are measured, not typed.

Each figure is read back from the record that a measurement wrote -- the tests'
times from ``benchmarks/results_tests.json`` (``benchmarks/test_speed.py``), the
notebooks' from ``mlhwlib/data/results_build.json`` (``benchmarks/build_speed.py``)
-- and must equal it rounded as the text writes it. Every time figure of the two
files is one of these (or listed in ``NOT_MEASURED`` with the reason), so a new
typed figure fails here too.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
CONTRIBUTING = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
TESTS = json.loads((ROOT / "benchmarks" / "results_tests.json").read_text(encoding="utf-8"))
BUILD = json.loads((ROOT / "mlhwlib" / "data" / "results_build.json").read_text(encoding="utf-8"))

TIME = re.compile(r"\b\d+(?:\.\d+)?(?:[ -](?:s|seconds?|minutes?|min|hours?)|s)\b")
# Durations that are no measurement of this repository.
NOT_MEASURED = {"75-minute"}   # a lecture's length (the slides' section)


def one(pattern: str, text: str) -> re.Match:
    found = list(re.finditer(pattern, text, re.S))
    assert len(found) == 1, f"{pattern!r} found {len(found)} times"
    return found[0]


TEST_LIB = (r"Measured \(`python benchmarks/test_speed.py`\s+writes `benchmarks/results_tests.json`\): "
            r"(?P<tests>\d+) tests in (?P<wall>\d+) s on the clock and (?P<cpu>\d+) s of CPU time\s+"
            r"\((?P<cores>\d+) cores, load average (?P<load>[\d.]+) when it started\)\. "
            r"The same command with every test\s+deselected \(`--deselect tests/`\) takes "
            r"(?P<floor>\d+) s on the clock: that is the floor.*?Importing torch for the autograd\s+"
            r"references takes (?P<torch>\d+) s more")
DOWNLOADS = (r"The fresh venv and the (?P<n>\d+) notebook\s+runs take about (?P<minutes>\d+) minutes "
             r"on a quiet 2-core machine \(measured: (?P<venv>\d+) s for the venv, with pip's cache "
             r"warm, and (?P<notebooks>\d+) s for the notebooks, two at a time; "
             r"`benchmarks/results_tests.json`")
ASSIGNMENTS = r"\(the whole file: about (?P<cpu>\d+) s of CPU time, `benchmarks/results_tests.json`\)"
BUDGET = r"\*\*A notebook executes in under (?P<budget>\d+) s\*\* on 2 cores"


def test_make_test_lib_figures_are_the_measured_ones():
    m, rec = one(TEST_LIB, README), TESTS["test_lib"]
    assert int(m["tests"]) == rec["tests"]
    assert int(m["wall"]) == round(rec["wall_s"])
    assert int(m["cpu"]) == round(rec["cpu_s"])
    assert int(m["cores"]) == rec["machine"]["cores"]
    assert m["load"] == f"{rec['load_average_before']:.1f}"
    assert int(m["floor"]) == round(rec["floor_wall_s"])
    assert int(m["torch"]) == round(rec["torch_import_s"])


def test_fresh_venv_and_notebook_figures_are_the_measured_ones():
    m, rec = one(DOWNLOADS, README), TESTS["downloads"]
    assert int(m["n"]) == rec["notebooks"]
    assert int(m["venv"]) == round(rec["venv_s"])
    assert int(m["notebooks"]) == round(rec["notebooks_s"])
    assert int(m["minutes"]) == round((rec["venv_s"] + rec["notebooks_s"]) / 60)


def test_assignment_grading_figure_is_the_measured_one():
    m = one(ASSIGNMENTS, README)
    assert int(m["cpu"]) == round(TESTS["assignments"]["cpu_s"], -1)   # "about": tens of seconds


def test_every_notebook_keeps_the_contributing_budget():
    budget = int(one(BUDGET, CONTRIBUTING)["budget"])
    slow = {name: s for name, s in BUILD["notebooks_s"].items() if s >= budget}
    assert not slow, f"notebooks over the {budget} s of CONTRIBUTING.md: {slow}"


@pytest.mark.parametrize("name, text", [("README.md", README), ("CONTRIBUTING.md", CONTRIBUTING)])
def test_every_time_figure_is_checked(name, text):
    checked = [(m.start(), m.end()) for p in (TEST_LIB, DOWNLOADS, ASSIGNMENTS, BUDGET)
               for m in re.finditer(p, text, re.S)]
    loose = [m.group(0) for m in TIME.finditer(text)
             if m.group(0) not in NOT_MEASURED
             and not any(a <= m.start() < b for a, b in checked)]
    assert not loose, f"{name}: time figures not read from a measurement: {loose}"
