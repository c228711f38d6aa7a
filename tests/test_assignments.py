"""The autograded assignments (otter-grader), graded offline with ``otter run``.

``make assignments`` builds ``_build/assignments/<chapter>/{student,autograder}`` from the
master notebooks ``assignments/<chapter>.ipynb`` (``make test`` builds them first). This file
grades, with ``otter run`` against each chapter's autograder zip and without Docker:

* the solution notebook: full marks on every question;
* the untouched student notebook: zero on every question;
* every wrong submission made from an erratum of the book (``assignments/errata.py``):
  exactly the questions it touches lose points, each with a failing *hidden* test, and every
  other question keeps full marks.

It also checks the build without grading: at least three questions per chapter, each with
public and hidden tests; no solution line and no hidden test in anything a student receives;
and that every erratum of the book is either submitted or listed with the reason it has no
computational form. Each question, and each introduction, names the book's exercise, section
or chapter it extends by label (``{ref}``, never a typed number), and the built notebooks carry
the number the site prints for it (read here with BeautifulSoup); an unknown label stops the
build.

All submissions are graded once by a session fixture, with otter's ``otter run`` function in two
worker processes (each submission in its own kernel). Erratum submissions that touch disjoint
questions of a chapter are graded in one notebook; which questions a submission touches is
derived from the notebook's code and checked against its declaration.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.notebook

ROOT = Path(__file__).resolve().parent.parent
MASTERS = ROOT / "assignments"
BUILD = ROOT / "_build" / "assignments"
CHAPTERS = sorted(p.stem for p in MASTERS.glob("*.ipynb"))
BOOK_CHAPTERS = ("lstm_trace", "bptt", "adaboost", "em_elbo_kl", "gmm_em")


sys.path.insert(0, str(ROOT / "tools"))
import build_assignments  # noqa: E402  (tools/ is not a package)

ERRATA = build_assignments.load_errata()
SUBMISSIONS = ERRATA.SUBMISSIONS


def _id(sub) -> str:
    return f"{sub.chapter}:{sub.name}"


# --- the masters --------------------------------------------------------------------------------
_source = build_assignments.cell_source


def master_questions(chapter: str) -> dict:
    """``{question: [(hidden, test_function_name, source), ...]}`` from the master notebook."""
    nb = nbformat.read(MASTERS / f"{chapter}.ipynb", as_version=4)
    questions, current, in_tests = {}, None, False
    for cell in nb.cells:
        src = _source(cell).strip()
        if cell.cell_type == "raw" and src.startswith("# BEGIN QUESTION"):
            current = re.search(r"^name:\s*(\S+)", src, re.M).group(1)
            questions[current] = []
        elif cell.cell_type == "raw" and src == "# BEGIN TESTS":
            in_tests = True
        elif cell.cell_type == "raw" and src == "# END TESTS":
            in_tests = False
        elif in_tests and cell.cell_type == "code":
            hidden = src.splitlines()[0].strip().upper() == "# HIDDEN"
            name = re.search(r"^def (\w+)\(", src, re.M).group(1)
            questions[current].append((hidden, name, src))
    return questions


def master_solution_lines(chapter: str) -> set[str]:
    """The lines inside ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` of the master's code cells
    that appear nowhere else in the master (shared lines, such as an ``import``, prove nothing)."""
    nb = nbformat.read(MASTERS / f"{chapter}.ipynb", as_version=4)
    inside, outside = set(), set()
    for cell in nb.cells:
        in_block = False
        for line in _source(cell).splitlines():
            text = line.strip()
            if text.startswith("# BEGIN SOLUTION"):
                in_block = True
            elif text.startswith("# END SOLUTION"):
                in_block = False
            elif text and cell.cell_type == "code":
                (inside if in_block else outside).add(text)
    return {line for line in inside - outside if line not in ("...", "#")}


# --- the build ----------------------------------------------------------------------------------
def autograder_zip(chapter: str) -> Path:
    zips = sorted((BUILD / chapter / "autograder").glob(f"{chapter}-autograder_*.zip"))
    assert len(zips) == 1, f"expected one autograder zip for {chapter}, found {zips}"
    return zips[0]


@pytest.fixture(scope="session")
def built():
    """The build of ``make assignments``, checked present and newer than every master."""
    missing = [c for c in CHAPTERS if not (BUILD / c / "student" / f"{c}.ipynb").is_file()]
    stamp = BUILD / ".built"
    if missing or not stamp.is_file():
        pytest.fail(f"no assignment build for {missing or CHAPTERS}: run `make assignments`")
    stale = [c for c in CHAPTERS
             if (MASTERS / f"{c}.ipynb").stat().st_mtime > stamp.stat().st_mtime]
    if stale:
        pytest.fail(f"the assignment build is older than {stale}: run `make assignments`")
    return BUILD


def zip_tests(chapter: str) -> dict:
    """``{question: [hidden, ...]}`` in the order of the test cases, from the autograder zip."""
    out = {}
    with zipfile.ZipFile(autograder_zip(chapter)) as zf:
        for name in zf.namelist():
            if name.startswith("tests/") and name.endswith(".py"):
                text = zf.read(name).decode()
                out[Path(name).stem] = [h == "True" for h in
                                        re.findall(r"@test_case\([^)]*hidden=(True|False)", text)]
    return out


# --- grading ------------------------------------------------------------------------------------
def solution_notebook(chapter: str):
    return nbformat.read(BUILD / chapter / "autograder" / f"{chapter}.ipynb", as_version=4)


def _names(src: str) -> tuple[set, set]:
    """Names a cell defines at top level, and every name it reads."""
    tree = ast.parse(src)
    defined = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined |= {(a.asname or a.name).split(".")[0] for a in node.names}
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return defined, used


def affected_questions(sub) -> set:
    """The questions whose hidden or public tests can see the replaced cell: a question depends
    on the names its tests take as arguments and, transitively, on the names the solution cells
    defining them read."""
    cells = [_source(c) for c in solution_notebook(sub.chapter).cells if c.cell_type == "code"]
    table = [_names(src) for src in cells]
    replaced = [d for src, (d, _) in zip(cells, table) if sub.cell in src]
    assert len(replaced) == 1, f"{_id(sub)}: {len(replaced)} cells contain {sub.cell!r}"
    touched = replaced[0] | _names(sub.code)[0]
    out = set()
    for question, tests in master_questions(sub.chapter).items():
        deps = set()
        for _, _, src in tests:
            fn = next(n for n in ast.parse(src).body if isinstance(n, ast.FunctionDef))
            deps |= {a.arg for a in fn.args.args}
        frontier = set(deps)
        while frontier:
            new = set()
            for defined, used in table:
                if defined & frontier:
                    new |= used - deps
            deps |= new
            frontier = new
        if deps & touched:
            out.add(question)
    return out


def groups(chapter: str) -> list[list]:
    """The chapter's erratum submissions packed into as few notebooks as possible: the
    submissions in one notebook touch disjoint sets of questions (and different cells), so
    each question's result is due to one erratum alone."""
    packed = []
    for sub in (s for s in SUBMISSIONS if s.chapter == chapter):
        for group in packed:
            if all(not set(sub.questions) & set(o.questions) and sub.cell != o.cell for o in group):
                group.append(sub)
                break
        else:
            packed.append([sub])
    return packed


def erratum_notebook(subs: list, dest: Path) -> Path:
    chapter = subs[0].chapter
    return build_assignments.erratum_notebook(
        BUILD / chapter / "autograder" / f"{chapter}.ipynb", subs, dest)


@pytest.fixture(scope="session")
def grades(built, tmp_path_factory):
    """Every submission graded once with otter's ``otter run`` (no Docker), in two worker
    processes: ``{(chapter, kind): {question: {"score", "possible", "cases"}}}`` with kind
    ``solution``, ``student`` or an erratum submission's name."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    root = tmp_path_factory.mktemp("otter")
    jobs = []  # (chapter, kinds, notebook)
    for chapter in CHAPTERS:
        jobs.append((chapter, ["solution"], BUILD / chapter / "autograder" / f"{chapter}.ipynb"))
        jobs.append((chapter, ["student"], BUILD / chapter / "student" / f"{chapter}.ipynb"))
        for i, group in enumerate(groups(chapter)):
            jobs.append((chapter, [s.name for s in group],
                         erratum_notebook(group, root / "subs" / f"{chapter}-{i}")))
    with ProcessPoolExecutor(max_workers=2,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [(chapter, kinds, pool.submit(
            build_assignments.grade, str(autograder_zip(chapter)), str(path),
            str(root / "out" / f"{chapter}-{kinds[0]}")))
            for chapter, kinds, path in jobs]
        out = {}
        for chapter, kinds, future in futures:
            graded = future.result()
            for kind in kinds:
                out[chapter, kind] = graded
    return out


# --- tests: the build ---------------------------------------------------------------------------
def test_every_chapter_has_an_assignment():
    assert set(BOOK_CHAPTERS) <= set(CHAPTERS)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_master_questions(chapter):
    """At least three graded questions, each with public and hidden tests; the master is
    committed executed without an error (its outputs show that the solution runs; the
    tests carry their own expected values: ``ok_format: false``)."""
    questions = master_questions(chapter)
    assert len(questions) >= 3, f"{chapter}: {sorted(questions)}"
    for name, tests in questions.items():
        assert any(h for h, _, _ in tests) and any(not h for h, _, _ in tests), name
    names = [n for tests in questions.values() for _, n, _ in tests]
    assert len(names) == len(set(names)), "test function names must be unique in a chapter"
    nb = nbformat.read(MASTERS / f"{chapter}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "commit the master executed"
    assert not any(o.get("output_type") == "error" for c in code for o in c.outputs)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_autograder_has_every_test(built, chapter):
    """The zip holds every test of the master, hidden ones marked hidden."""
    expected = {q: [h for h, _, _ in tests] for q, tests in master_questions(chapter).items()}
    assert zip_tests(chapter) == expected


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_notebook_has_no_solution_and_no_hidden_test(built, chapter):
    student = BUILD / chapter / "student" / f"{chapter}.ipynb"
    text = student.read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=4)
    lines = {line.strip() for c in nb.cells for line in _source(c).splitlines()}
    leaked = sorted(master_solution_lines(chapter) & lines)
    assert not leaked, f"solution lines in the student notebook: {leaked}"
    assert "BEGIN SOLUTION" not in text and "# HIDDEN" not in text.upper()
    public, hidden = set(), set()
    for tests in master_questions(chapter).values():
        for is_hidden, name, _ in tests:
            (hidden if is_hidden else public).add(name)
    for name in hidden:
        assert name not in text, f"hidden test {name} in the student notebook"
    # the student notebook carries the public tests (for grader.check), and only those
    stored = "\n".join(nb.metadata["otter"]["tests"].values())
    assert {n for n in public | hidden if f"def {n}(" in stored} == public
    # and nothing else handed out (the student folder) holds a hidden test
    for path in (BUILD / chapter / "student").rglob("*"):
        if path.is_file():
            content = path.read_bytes().decode("utf-8", "replace")
            assert not any(name in content for name in hidden), path


# --- tests: the book's exercises and sections, numbered as the site prints them --------------------
REF = re.compile(r"\{ref\}`([^`]+)`")


def question_texts(nb) -> dict[str, str]:
    """``{question: the Markdown cell that states it}`` (it starts ``**Question `name`...``),
    and ``{"": the introduction}`` (the first Markdown cell); of a master or a built notebook."""
    markdown = [_source(c) for c in nb.cells if c.cell_type == "markdown"]
    out = {"": markdown[0]}
    for src in markdown:
        m = re.match(r"\*\*Question `(\w+)`", src)
        if m:
            assert m.group(1) not in out, m.group(1)
            out[m.group(1)] = src
    return out


@functools.cache
def _page(path: Path):
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def site_number(html_dir: Path, label: str) -> str:
    """What the site prints for a label, read here with BeautifulSoup (not with the builder's
    code): "Exercise 3.3", "Theorem 3.2", "Section 3.5", "Chapter 3", "Appendix A"."""
    from docutils.nodes import make_id

    ids = {label, make_id(label)}
    for path in sorted(html_dir.glob("book/*.html")):
        text = path.read_text(encoding="utf-8")
        if not any(f'id="{i}"' in text for i in ids):
            continue
        node = next(n for n in (_page(path).find(id=i) for i in ids) if n is not None)
        caption = node.find(class_="caption-number") if node.name == "div" else None
        if caption is not None:
            return caption.get_text(strip=True)
        section = node if node.name == "section" else node.find_parent("section")
        heading = section.find(re.compile(r"^h[1-6]$"))
        number = heading.find(class_="section-number").get_text(strip=True).rstrip(".")
        if heading.name != "h1":
            return f"Section {number}"
        return f"Appendix {number}" if number.isalpha() else f"Chapter {number}"
    raise AssertionError(f"{label} is on no page of the site")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_question_names_the_exercise_or_section_it_extends(chapter):
    """Each question, and the introduction, cite the book by label ({ref}), never by a typed
    number (numbers are per chapter and move when an exercise is added)."""
    texts = question_texts(nbformat.read(MASTERS / f"{chapter}.ipynb", as_version=4))
    assert set(texts) == {"", *master_questions(chapter)}
    for question, text in texts.items():
        assert REF.search(text), f"{chapter}:{question or 'introduction'} cites no {{ref}}"
        typed = re.search(r"\b(Exercise|Section|Theorem|Proposition|Chapter|Appendix)\s+"
                          r"[0-9A-Z]+(\.\d+)*\b", text)
        assert not typed, f"{chapter}:{question}: typed number {typed.group(0)!r}"
    assert REF.findall(texts[""]) == [chapter], "the introduction names its chapter"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_built_questions_carry_the_numbers_the_site_prints(built, html_dir, chapter):
    master = question_texts(nbformat.read(MASTERS / f"{chapter}.ipynb", as_version=4))
    for kind in ("student", "autograder"):
        nb = nbformat.read(BUILD / chapter / kind / f"{chapter}.ipynb", as_version=4)
        texts = question_texts(nb)
        assert set(texts) == set(master), kind
        for question, text in texts.items():
            assert not re.search(r"\{[\w:-]+\}`", text), (kind, question, text[:200])
            for label in REF.findall(master[question]):
                number = site_number(html_dir, label)
                assert re.search(rf"\b{re.escape(number)}\b", text), \
                    (kind, question, label, number, text[:300])


def test_an_unknown_label_stops_the_build(html_dir, tmp_path):
    refs = build_assignments.book_references(html_dir)
    assert refs["adaboost-ex-chance"] == site_number(html_dir, "adaboost-ex-chance")
    assert build_assignments.resolve_references("see {ref}`lstm_trace`", refs) == \
        f"see {refs['lstm-trace']}"
    with pytest.raises(SystemExit, match="unknown label 'adaboost-ex-nope'"):
        build_assignments.resolve_references("{ref}`adaboost-ex-nope`", refs)
    with pytest.raises(SystemExit, match="only {ref} is resolved"):
        build_assignments.resolve_references("{numref}`fig-adaboost-curves`", refs)
    nb = nbformat.read(MASTERS / "adaboost.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and "{ref}`adaboost-ex-chance`"
                in c.source)
    cell.source = cell.source.replace("adaboost-ex-chance", "adaboost-ex-chanse")
    nbformat.write(nb, tmp_path / "adaboost.ipynb")
    with pytest.raises(SystemExit, match="adaboost-ex-chanse"):
        build_assignments.prepare(tmp_path / "adaboost.ipynb", refs)


# --- tests: grading -----------------------------------------------------------------------------
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_scores_full_marks(grades, chapter):
    graded = grades[chapter, "solution"]
    assert set(graded) == set(master_questions(chapter))
    for question, g in graded.items():
        assert g["possible"] > 0 and g["score"] == g["possible"] == g["results_json"], (question, g)
        assert all(passed for _, passed in g["cases"]), (question, g)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_untouched_student_notebook_scores_zero(grades, chapter):
    graded = grades[chapter, "student"]
    assert set(graded) == set(master_questions(chapter))
    for question, g in graded.items():
        assert g["possible"] > 0 and g["score"] == 0 == g["results_json"], (question, g)
        assert not any(passed for _, passed in g["cases"]), (question, g)


@pytest.mark.parametrize("sub", SUBMISSIONS, ids=_id)
def test_erratum_touches_exactly_its_questions(built, sub):
    """The questions declared for a submission are exactly those whose tests can see the
    replaced cell (so packing submissions with disjoint questions into one notebook is safe)."""
    assert affected_questions(sub) == set(sub.questions)


@pytest.mark.parametrize("sub", SUBMISSIONS, ids=_id)
def test_erratum_submission_loses_its_questions(grades, sub):
    """The notes' mistake is rejected: its questions lose points through a failing hidden
    test; every question no erratum in the graded notebook touches keeps full marks."""
    graded = grades[sub.chapter, sub.name]
    group = next(g for g in groups(sub.chapter) if sub in g)
    others = {q for o in group for q in o.questions}
    assert set(sub.questions) <= set(graded)
    for question, g in graded.items():
        if question in sub.questions:
            assert g["score"] < g["possible"], f"{question} kept full marks"
            assert any(hidden and not passed for hidden, passed in g["cases"]), \
                f"{question}: no hidden test failed ({g['cases']})"
        elif question not in others:
            assert g["score"] == g["possible"], f"{question} lost points ({g['cases']})"


def test_every_erratum_is_submitted_or_explained():
    """Each erratum label of the book is a submission or has a stated reason not to be one."""
    labels = set()
    for part in sorted((ROOT / "book" / "errata_parts").glob("*.md")):
        labels |= set(re.findall(r"^\((erratum-[\w-]+)\)=", part.read_text(encoding="utf-8"), re.M))
    submitted = {s.label for s in SUBMISSIONS}
    explained = set(ERRATA.NOT_COMPUTATIONAL)
    assert not submitted & explained
    assert submitted | explained == labels, (sorted(labels - submitted - explained),
                                             sorted((submitted | explained) - labels))
    assert all(ERRATA.NOT_COMPUTATIONAL.values())
    for sub in SUBMISSIONS:
        assert sub.chapter in CHAPTERS and set(sub.questions) <= set(master_questions(sub.chapter))
        ast.parse(sub.code)
    assert len({_id(s) for s in SUBMISSIONS}) == len(SUBMISSIONS)
