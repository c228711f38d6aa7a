"""Every claim in the text is tied to a check (README, "What the tests cover").

The rules live in ``tools/claims.py``; this file runs them over every notebook,
and then on deliberately broken copies of a chapter, so that each rule is seen
to fail when the text breaks it:

* numbers in prose are glued from cells or declared problem constants;
* exercise solutions with code are gated solutions whose code cells run and assert;
* every theorem, proposition, lemma and corollary has an asserting cell that names it;
* an experiment that compares methods reports at least five seeds;
* the "Running this chapter" time is glued from the measured build record.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from mlhwlib.book import result

sys.path.insert(0, str(ROOT / "tools"))
import claims

BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
CHAPTERS = [p for p in NOTEBOOKS if p.stem != "performance"]


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def markdown_cell(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def code_cell(text: str, outputs=(), tags=(), count=1) -> dict:
    return {"cell_type": "code", "metadata": {"tags": list(tags)}, "source": text,
            "execution_count": count, "outputs": list(outputs)}


def stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


# --- the rules hold for every notebook ------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_prose_numbers_are_glued_or_declared(path):
    problems = claims.undeclared_numbers(load(path))
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_formulas_are_not_broken_into_list_items(path):
    problems = claims.broken_math(load(path))
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", sorted(BOOK.glob("*.md")) + sorted(BOOK.glob("*/*.md")),
                         ids=lambda p: p.name)
def test_formulas_on_markdown_pages_are_not_broken_into_list_items(path):
    text = path.read_text(encoding="utf-8")
    if text.startswith("---"):  # front matter
        text = text.split("---", 2)[2]
    problems = claims.broken_math({"cells": [{"cell_type": "markdown", "source": text}]})
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_broken_math_rule_catches_a_formula_cut_by_a_list_item():
    ok = "A sum $a\n+b$ and $x$.\n\n1. item $p = q +\n   r$ fine\n"
    cut = "1. item $p = q\n   + r$ cut\n"
    assert claims.broken_math({"cells": [{"cell_type": "markdown", "source": ok}]}) == []
    assert claims.broken_math({"cells": [{"cell_type": "markdown", "source": cut}]})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_solutions_with_code_are_gated_and_assert(path):
    problems = claims.solution_problems(load(path))
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_result_has_an_asserting_check(path):
    problems = claims.unchecked_results(load(path))
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_experiments_report_at_least_five_seeds(path):
    problems = claims.experiment_problems(load(path))
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_running_time_is_glued_from_the_build_record(path):
    problems = claims.running_time_problems(load(path), path.stem)
    assert not problems, f"{path.name}:\n" + "\n".join(problems)
    record = result("results_build.json")
    assert f"{path.stem}.ipynb" in record["notebooks_s"], (
        f"{path.name} has no measured time: run benchmarks/build_speed.py")


def test_every_chapter_has_results_and_checks():
    """The result rule is not vacuous: the chapters state results and check them."""
    total = sum(len(claims.results(load(p))) for p in CHAPTERS)
    checked = sum(len(claims.checked_labels(load(p))) for p in CHAPTERS)
    assert total >= 20 and checked >= 20, (total, checked)


# --- each rule fails on a deliberately broken copy --------------------------------

CHAPTER = BOOK / "lstm_trace.ipynb"


@pytest.fixture
def chapter() -> dict:
    nb = load(CHAPTER)
    assert not claims.undeclared_numbers(nb), "the chapter itself must pass first"
    return copy.deepcopy(nb)


def test_a_typed_step_count_is_caught(chapter):
    """The LSTM chapter once said '400 steps' while the code ran 280: caught now."""
    chapter["cells"].append(markdown_cell("Each network is trained for 400 steps."))
    problems = claims.undeclared_numbers(chapter)
    assert any("'400'" in p for p in problems), problems


def test_glued_math_and_referenced_numbers_pass():
    nb = {"metadata": {"mlhw": {"prose_constants": ["90"]}}, "cells": [markdown_cell(
        "Trained for {glue:text}`steps` steps with $T = 400$ and\n"
        "$$\\alpha = 0.25$$\nas in Goodfellow et al. §10.2.2 and eqs. 3–5 "
        "(Pascanu et al. 2013), lines 79–85 of the notes; `x = 7` in code; "
        "float64 and a 2-D toy; the source writes 90; see (1).\n"
        "```python\nprint(12345)\n```\n(lab-42)=\n")]}
    assert claims.undeclared_numbers(nb) == []


def test_an_unused_declaration_is_caught():
    nb = {"metadata": {"mlhw": {"prose_constants": ["90", "17"]}},
          "cells": [markdown_cell("The source writes 90.")]}
    problems = claims.undeclared_numbers(nb)
    assert problems == ["declared constant '17' does not appear in the prose any more"]


def test_numbers_inside_directives_are_prose():
    nb = {"metadata": {}, "cells": [markdown_cell(
        "```{prf:theorem} A bound after 12 rounds\n:label: thm-x\n\nIt holds 33 times.\n```\n")]}
    problems = claims.undeclared_numbers(nb)
    assert any("'12'" in p for p in problems) and any("'33'" in p for p in problems)


def test_solution_code_that_never_runs_is_caught(chapter):
    chapter["cells"].append(markdown_cell(
        "```{exercise}\n:label: ex-x\nDo it.\n```\n\n"
        "````{solution} ex-x\n:class: dropdown\n\n```python\nprint(undefined)\n```\n````\n"))
    problems = claims.solution_problems(chapter)
    assert any("code fence" in p for p in problems), problems


def test_hidden_solution_plumbing_is_caught(chapter):
    chapter["cells"].append(code_cell("with contextlib.redirect_stdout(io.StringIO()):\n"
                                      "    print(1)\n", tags=["remove-cell"]))
    assert any("redirect_stdout" in p for p in claims.solution_problems(chapter))


def test_gated_solution_must_assert_and_close():
    start = markdown_cell("````{solution-start} ex-x\n:class: dropdown\n````\n")
    end = markdown_cell("````{solution-end}\n````\n")
    good = {"cells": [start, code_cell("x = 2 + 2\nassert x == 4\n"), end]}
    assert claims.solution_problems(good) == []
    assert claims.count_solutions(good) == 1
    silent = {"cells": [start, code_cell("x = 2 + 2\nprint(x)\n"), end]}
    assert any("assert nothing" in p for p in claims.solution_problems(silent))
    unclosed = {"cells": [start, code_cell("assert True\n")]}
    assert any("without solution-end" in p for p in claims.solution_problems(unclosed))


def test_a_result_without_its_check_is_caught(chapter):
    labels = [label for _, _, label in claims.results(chapter)]
    assert labels, "the chapter states results"
    for cell in chapter["cells"]:
        if cell["cell_type"] == "code":
            src = "".join(cell["source"])
            cell["source"] = src.replace("# checks:", "# (removed):")
    problems = claims.unchecked_results(chapter)
    assert len(problems) == len(labels), problems


def test_a_check_that_asserts_nothing_does_not_count():
    nb = {"cells": [markdown_cell("```{prf:lemma} L\n:label: lem-a\n\nTrue.\n```\n"),
                    code_cell("# checks: lem-a\nprint('fine')\n")]}
    assert claims.unchecked_results(nb) == [
        "cell 0: prf:lemma lem-a has no executed cell with '# checks: lem-a' and an assert"]
    nb["cells"][1]["source"] = "# checks: lem-a\nassert 1 + 1 == 2\n"
    assert claims.unchecked_results(nb) == []


def test_an_experiment_over_too_few_seeds_is_caught():
    few = {"cells": [code_cell("run()", [stream("success over 3 seeds: 2/3\n")],
                               tags=["experiment"])]}
    assert any("3 seeds" in p for p in claims.experiment_problems(few))
    silent = {"cells": [code_cell("run()", [stream("accuracy 0.91\n")], tags=["experiment"])]}
    assert claims.experiment_problems(silent)
    enough = {"cells": [code_cell("run()", [stream("mean ± sd over 10 seeds\n")],
                                  tags=["experiment"])]}
    assert claims.experiment_problems(enough) == []


def test_a_typed_running_time_is_caught(chapter):
    first = chapter["cells"][0]
    first["source"] = "".join(first["source"]).replace("{glue:text}`running_time`", "about 25 s")
    problems = claims.running_time_problems(chapter, CHAPTER.stem)
    assert any("does not glue" in p for p in problems), problems


def test_a_helper_that_asserts_counts_and_one_that_prints_does_not():
    nb = {"cells": [
        code_cell("def report(name, a, b):\n    assert abs(a - b) < 1e-9, name\n"
                  "    print(name, 'ok')\n\ndef show(name, a):\n    print(name, a)\n"),
        markdown_cell("```{prf:lemma} L\n:label: lem-a\n\nTrue.\n```\n"),
        code_cell("# checks: lem-a\nshow('x', 1.0)\n")]}
    assert claims.unchecked_results(nb)
    nb["cells"][2]["source"] = "# checks: lem-a\nreport('x', 1.0, 1.0)\n"
    assert claims.unchecked_results(nb) == []
