"""The book's sources are complete and committed in the state the tests expect."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from conftest import ROOT, toc_files

sys.path.insert(0, str(ROOT / "tools"))
import claims

BOOK = ROOT / "book"
TOC = set(toc_files())
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
# Fragments included into another page (not pages of their own).
FRAGMENT_DIRS = {BOOK / "errata_parts"}


def test_every_page_under_book_is_in_the_toc():
    pages = [p for p in sorted(BOOK.rglob("*")) if p.suffix in {".md", ".ipynb"}
             and not any(d in p.parents for d in FRAGMENT_DIRS)
             and ".ipynb_checkpoints" not in p.parts]
    missing = [str(p.relative_to(ROOT)) for p in pages
               if str(p.relative_to(ROOT).with_suffix("")) not in TOC]
    assert not missing, f"pages under book/ missing from _toc.yml: {missing}"


def test_every_toc_entry_exists():
    for name in TOC:
        candidates = [ROOT / f"{name}.md", ROOT / f"{name}.ipynb"]
        assert sum(c.exists() for c in candidates) == 1, f"{name}: expected exactly one source file"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_executed(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert code, f"{path.name} has no code cells"
    unexecuted = [i for i, c in enumerate(code) if c.get("execution_count") is None]
    assert not unexecuted, f"{path.name}: code cells {unexecuted} were never executed"
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"{path.name}: execution counts {counts} are not 1..n: execute it top to bottom")
    errors = [c for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{path.name} has stored error outputs"
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3"


# Chapters (every notebook but the performance appendix, which reports measurements)
CHAPTERS = [p for p in NOTEBOOKS if p.stem != "performance"]


def _markdown(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_has_running_note_summary_and_exercises(path):
    text = _markdown(path)
    assert re.search(r"\{admonition\} Running this (chapter|appendix)", text.split("\n## ")[0]), (
        f"{path.name} must open with a 'Running this chapter' note")
    assert "\n## Summary" in text, f"{path.name} has no '## Summary' section"
    exercises = text.count("```{exercise}")
    solutions = claims.count_solutions(json.loads(path.read_text(encoding="utf-8")))
    assert exercises >= 4, f"{path.name} has {exercises} exercises (at least 4 expected)"
    assert solutions >= exercises, f"{path.name}: {exercises} exercises, {solutions} solutions"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_has_a_lecture_outline(path):
    """Every notebook has its lecture deck's outline (lectures/README.md); `make slides`
    stops on a notebook without one."""
    outline = ROOT / "lectures" / f"{path.stem}.yml"
    assert outline.is_file(), f"{path.name}: no lecture outline {outline.relative_to(ROOT)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_name_no_machine_paths(path):
    """Outputs are compared by nbval on other machines: no absolute or site-packages paths."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    texts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            texts.append("".join(out.get("text", "")))
            texts.extend("".join(v) for k, v in out.get("data", {}).items()
                         if k.startswith("text/"))
    leaked = [t[:120] for t in texts if str(ROOT) in t or "site-packages" in t]
    assert not leaked, f"{path.name} stores machine-specific paths: {leaked}"


API_TARGETS = {"adaboost": "api-adaboost", "bptt": "api-bptt", "em_elbo_kl": "api-em",
               "gmm_em": "api-gmm", "lstm_trace": "api-lstm",
               "matrix_calculus": "api-matrix-calculus"}


@pytest.mark.parametrize("stem", sorted(API_TARGETS))
def test_chapter_links_to_the_api_entries_of_what_it_derives(stem):
    """The chapter's running note links to its module's section of book/api.md (a
    stale target fails the nitpicky build; a missing link fails here)."""
    nb = json.loads((BOOK / f"{stem}.ipynb").read_text(encoding="utf-8"))
    assert f"<{API_TARGETS[stem]}>`" in "".join(nb["cells"][0]["source"])
    assert f"({API_TARGETS[stem]})=" in (BOOK / "api.md").read_text(encoding="utf-8")


def _figure_cells(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code" and any(
                mime.startswith("image/") for out in cell.get("outputs", [])
                for mime in out.get("data", {})):
            yield index, cell


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_figures_have_number_caption_alt_text_and_hidden_code(path):
    """Every figure a cell draws is a numbered figure (a name to cite it by and a
    caption), has alt text that describes it (not a file name), and its plotting code
    is folded away (a toggle shows it) unless the cell is tagged ``show-input``."""
    problems = []
    for index, cell in _figure_cells(path):
        meta = cell["metadata"].get("mystnb", {})
        figure, image = meta.get("figure", {}), meta.get("image", {})
        tags = cell["metadata"].get("tags", [])
        where = f"{path.name} cell {index}"
        if not figure.get("name") or len(figure.get("caption", "").split()) < 5:
            problems.append(f"{where}: no figure name or no caption (mystnb.figure)")
        alt = image.get("alt", "")
        if len(alt.split()) < 8 or re.search(r"\.(png|svg|jpe?g)\b|_images/", alt):
            problems.append(f"{where}: no alt text describing the figure (mystnb.image.alt)")
        if "show-input" not in tags and not {"hide-input", "remove-input"} & set(tags):
            problems.append(f"{where}: plotting code not hidden (tag hide-input)")
    assert not problems, "\n".join(problems)


# A block of this book is cited by its label ({ref}, {prf:ref}, {numref}), never by a
# typed number ("see Exercise 12"): numbers change when a chapter gains an exercise
# (they are numbered within their chapter, tests/test_numbering.py). A number that
# cites another work says whose: "(ESL Algorithm 10.2)", "(Zhu et al., Lemma 1)",
# "{cite:t}`goodfellow2016deep` (Section 10.2.2)".
TYPED_NUMBER = re.compile(
    r"(?:\b(?:Exercises?|Theorems?|Lemmas?|Propositions?|Corollar(?:y|ies)|Definitions?|"
    r"Algorithms?|Examples?|Remarks?|Figs?\.|Figures?|Tables?|Sections?|Chapters?|Appendix)"
    r"\s+|§\s*)(?:\d|[A-Z]\b)")
ANOTHER_WORK = re.compile(r"(?:\bESL|et al\.,|\btheir|CITE)\s*\(?\s*$")


def typed_numbers(markdown: str) -> list[str]:
    """Typed references to numbered blocks, outside roles, code and math."""
    text = re.sub(r"\{cite(?::\w+)?\}`[^`]*`", "CITE", markdown)
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", "ROLE", text)        # {numref}`Fig. %s <x>`
    text = re.sub(r"`[^`\n]*`|\$\$.*?\$\$|\$[^$\n]*\$", "CODE", text, flags=re.DOTALL)
    return [text[max(0, m.start() - 30):m.end() + 10].replace("\n", " ")
            for m in TYPED_NUMBER.finditer(text)
            if not ANOTHER_WORK.search(text[max(0, m.start() - 20):m.start()])]


def test_typed_number_rule():
    assert len(typed_numbers("As Exercise 12 shows, by Theorem A.1, Fig. 3 and §2.1, ...")) == 4
    assert not typed_numbers("(ESL Algorithm 10.2), (Zhu et al., Lemma 1), their Section 2.1, "
                             "ESL (§10.12), {cite:t}`goodfellow2016deep` (Section 10.2.2), "
                             "{numref}`Fig. %s <fig-x>`, {prf:ref}`thm-y`, `Exercise 3`")


@pytest.mark.parametrize("path", sorted(BOOK.rglob("*.md")) + NOTEBOOKS,
                         ids=lambda p: str(p.relative_to(BOOK)))
def test_no_typed_reference_numbers(path):
    text = _markdown(path) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")
    found = typed_numbers(text)
    assert not found, f"{path.name} types the number of a block (use a reference): {found}"


def test_readme_describes_every_sphinx_extension():
    """Each file of ``_ext/`` has its row in the README's table of extensions (and no row is stale)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([^`]+)` \|", readme, flags=re.M))
    on_disk = {p.name for p in (ROOT / "_ext").iterdir()
               if p.suffix in {".py", ".mjs"} and not p.name.startswith("_")} | {"static/"}
    missing = sorted(on_disk - rows)
    assert not missing, f"README's table of _ext/ lacks {missing}"
    stale = sorted(n for n in rows if n.endswith((".py", ".mjs")) and "/" not in n
                   and not (ROOT / "_ext" / n).exists() and not any((ROOT / d / n).exists()
                                                                   for d in ("tools", "tests", "benchmarks", "mlhwlib")))
    assert not stale, f"README names files that do not exist: {stale}"


# A repository file named in a page: tests/…py, tools/…, mlhwlib/…py (and the data
# files mlhwlib ships). Named files must exist (a test file merged into another, or a
# renamed script, leaves a stale name behind).
REPO_PATH = re.compile(r"(?<![\w/.-])((?:tests|tools|mlhwlib)/[\w./-]*\w\.(?:py|json|md|sh|mjs))")
PAGES = sorted([*BOOK.glob("*.ipynb"), *BOOK.glob("*.md"), *BOOK.glob("errata_parts/*.md")])


def repository_paths(text):
    """The repository paths a page's text names (pattern :data:`REPO_PATH`)."""
    return sorted(set(REPO_PATH.findall(text)))


def test_repository_paths_are_found():
    text = ("see `tests/test_sklearn_api.py` and tools/experiments/gmm_spurious.py, "
            "mlhwlib/gmm.py; not a/tests/x.py nor mlhwlib.gmm")
    assert repository_paths(text) == ["mlhwlib/gmm.py", "tests/test_sklearn_api.py",
                                      "tools/experiments/gmm_spurious.py"]


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.relative_to(BOOK).as_posix())
def test_named_repository_files_exist(path):
    if path.suffix == ".ipynb":   # the sources only: outputs are checked elsewhere
        text = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])
    else:
        text = path.read_text()
    missing = [p for p in repository_paths(text) if not (ROOT / p).is_file()]
    assert not missing, f"{path.name} names files that do not exist: {missing}"


EXERCISE_LABEL = re.compile(r"`{3,}\{exercise\}[^\n]*\n:label:\s*(\S+)")
SOLUTION_TARGET = re.compile(r"`{3,}\{solution(?:-start)?\}\s+(\S+)")


def exercise_and_solution_order(text):
    """The labels of the exercises and the targets of the solutions, in page order."""
    return EXERCISE_LABEL.findall(text), SOLUTION_TARGET.findall(text)


def test_exercise_order_is_found():
    text = ("```{exercise}\n:label: a\n```\n```{exercise}\n:label: b\n```\n"
            "````{solution-start} b\n````\n```{solution} a\n```\n")
    assert exercise_and_solution_order(text) == (["a", "b"], ["b", "a"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_solutions_come_in_the_order_of_their_exercises(path):
    """Issue 28: Exercise 18, Exercise 19, Solution 19, Solution 18 on one page."""
    text = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                     if c["cell_type"] == "markdown")
    exercises, solutions = exercise_and_solution_order(text)
    in_order = [e for e in exercises if e in solutions]
    assert solutions == in_order, f"solutions {solutions} vs exercises {exercises}"
