"""Build the autograded assignments: ``otter assign`` on every master notebook.

``make assignments`` (after ``make book`` and the wheel, ``make dist``) runs::

    python tools/build_assignments.py --out _build/assignments --html _build/html \
        --wheel dist/mlhwlib-<version>-py3-none-any.whl assignments/*.ipynb

Each master ``assignments/<chapter>.ipynb`` (otter's assign format, committed executed) is
first *staged* in a temporary folder: every ``{ref}`label``` in its Markdown is replaced by
what the built site prints for that label ("Exercise 3.3", "Section 3.2 (*Relation to
SAMME*)", "Chapter 3 (*...*)"; an unknown label stops the build), and beside it go the files
its ``# ASSIGNMENT CONFIG`` names: ``requirements-grading.txt`` (the grading environment, see
below) and ``mlhwlib/``, the package as the wheel ships it (otter's ``autograder_files``). Then
``otter assign`` writes

* ``<out>/<chapter>/student/``: ``<chapter>.ipynb``, the notebook handed out (solutions
  replaced by ``...``, public tests only, run with ``grader.check(...)``), and, written here,
  ``README.md`` (install, work, submit), ``requirements.txt`` (ranges: the wheel, otter-grader
  7, JupyterLab; no PyTorch, which no public test needs) and the ``mlhwlib`` wheel;
* ``<out>/<chapter>/autograder/``: the solution notebook ``<chapter>.ipynb`` and the autograder
  zip ``<chapter>-autograder_<timestamp>.zip`` with every test, whose ``environment.yml``
  declares the grading environment and whose ``files/mlhwlib`` otter puts beside the
  submission when it grades;

and, for all chapters, ``<out>/requirements-grading.txt`` (the packages ``otter run`` needs:
otter-grader, PyTorch's CPU build, mlhwlib's dependencies at the lock's versions),
``<out>/README.md`` (how to grade) and ``<out>/grade_class.py`` (a copy of
``tools/grade_class.py``: a whole class folder, a CSV of scores).

``otter assign`` grades the solution notebook with every test as it builds (its
``run_tests``), so a build fails when a solution does not pass its own tests. Grading a
submission needs no Docker (it runs the student's code unsandboxed: see ``README.md``)::

    mkdir -p results && otter run -a <out>/<chapter>/autograder/<chapter>-autograder_*.zip -o results SUBMISSION.ipynb

The chapters are built in parallel (one ``otter assign`` process each, ``--jobs`` at a time).

``--errata DIR`` (after a build) writes the source notes' mistakes as submissions instead
(``assignments/errata.py``): ``DIR/<chapter>-<name>/<chapter>.ipynb``, the solution notebook
with the erratum's cell, one notebook per erratum submission, to grade with ``otter run``.
"""

from __future__ import annotations

import argparse
import html as htmllib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
GRADING_REQUIREMENTS = "requirements-grading.txt"
# What every master's ``# ASSIGNMENT CONFIG`` must say about the grading environment: the zip
# declares the requirements (its environment.yml) and carries mlhwlib (files/mlhwlib).
# (overwrite_requirements: exactly requirements-grading.txt, which names otter-grader itself.)
ENVIRONMENT_CONFIG = {"python_version": "3.11", "requirements": GRADING_REQUIREMENTS,
                      "overwrite_requirements": True, "autograder_files": ["mlhwlib"]}


def otter_command() -> list[str]:
    """``otter`` of the running interpreter (the project's .venv), never another one on PATH."""
    return [sys.executable, "-m", "otter"]


def cell_source(cell) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


# --- references to the book, as the built site numbers them ----------------------------------
REF = re.compile(r"\{ref\}`([^`]*)`")
ROLE = re.compile(r"\{[\w:-]+\}`")
SECTION = re.compile(
    r'<section[^>]*\sid="[^"]+"[^>]*>\s*((?:<span id="[^"]*"></span>\s*)*)'
    r'<h([1-6])><span class="section-number">([^<]*)</span>(.*?)<a class="headerlink"', re.S)


def _plain(fragment: str) -> str:
    """A heading's HTML as text: formulas as ``$TeX$`` (MathJax's ``data-latex``), no tags."""
    fragment = re.sub(r"<mjx-assistive-mml.*?</mjx-assistive-mml>", "", fragment, flags=re.S)
    fragment = re.sub(r'<mjx-container[^>]*>\s*<mjx-math data-latex="([^"]*)".*?</mjx-container>',
                      lambda m: f"${htmllib.unescape(m.group(1))}$", fragment, flags=re.S)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def book_references(html_dir: Path) -> dict[str, str]:
    """``label -> text`` as the built site prints it: ``Exercise 3.3`` and ``Theorem 3.2`` for
    numbered blocks (``myst_to_slides.site_references``), ``Section 3.2 (*title*)`` for a
    numbered section, ``Chapter 3 (*title*)`` or ``Appendix A (*title*)`` for a chapter."""
    from myst_to_slides import site_references

    pages = sorted(Path(html_dir).glob("book/*.html"))
    if not pages:
        raise SystemExit(f"build_assignments: no built site in {html_dir}: run `make book` first")
    refs = {key.removeprefix("#number:"): text
            for key, text in site_references(str(html_dir)).items() if key.startswith("#number:")}
    for page in pages:
        for m in SECTION.finditer(page.read_text(encoding="utf-8")):
            number = m.group(3).strip().rstrip(".")
            if not number:
                continue
            kind = ("Section" if m.group(2) != "1" else
                    "Appendix" if number.isalpha() else "Chapter")
            text = f"{kind} {number} (*{_plain(m.group(4))}*)"
            # a label's target is the span before the heading (the section's own id is a
            # slug of its title, the same in many chapters: not a label)
            for anchor in re.findall(r'id="([^"]*)"', m.group(1)):
                refs.setdefault(anchor, text)
    return refs


def resolve_references(text: str, refs: dict[str, str], where: str = "") -> str:
    """``text`` with every ``{ref}`label``` replaced by ``refs[label]``; an unknown label, or
    any other MyST role left in ``text``, is an error (``SystemExit``)."""
    from docutils.nodes import make_id

    def sub(m):
        label = m.group(1).strip()
        for key in (label, make_id(label)):  # Sphinx's ids: lstm_trace -> lstm-trace
            if key in refs:
                return refs[key]
        raise SystemExit(f"build_assignments: {where}: unknown label {label!r} in "
                         f"{m.group(0)} (not on the built site: a typo, or run `make book`)")

    out = REF.sub(sub, text)
    left = ROLE.search(out)
    if left:
        raise SystemExit(f"build_assignments: {where}: only {{ref}} is resolved, found "
                         f"{out[left.start():left.start() + 40]!r}")
    return out


# --- the grading environment and what students get -------------------------------------------
def lock_versions(lock: Path = ROOT / "requirements.txt") -> dict[str, str]:
    """``name -> version`` from the exact lock (``name==version`` lines)."""
    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


def library_dependencies() -> list[str]:
    """The names of mlhwlib's runtime dependencies (``[project] dependencies``)."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [re.match(r"[A-Za-z0-9_.-]+", d).group(0).lower() for d in project["dependencies"]]


def grading_requirements(version: str) -> str:
    """``requirements-grading.txt``: what ``otter run`` needs for these assignments, pinned to
    the lock (the versions the book is built and tested with)."""
    pins = lock_versions()
    torch = pins["torch"]
    if "+cpu" not in torch:
        raise SystemExit(f"build_assignments: the lock pins torch=={torch}, not a +cpu build")
    libs = "\n".join(f"{name}=={pins[name]}" for name in library_dependencies())
    return (
        f"# The grading environment of the assignments of \"ML, Worked and Checked\" (mlhwlib {version}):\n"
        "# what `otter run` needs to grade a submission. Every autograder zip declares exactly these\n"
        "# lines (the pip part of its environment.yml) and carries mlhwlib itself (files/mlhwlib,\n"
        "# which otter puts beside the submission).\n"
        "# Python 3.11 to 3.13. In a folder of your choice:\n"
        "#   python3 -m venv grading-venv\n"
        f"#   grading-venv/bin/pip install -r {GRADING_REQUIREMENTS}\n"
        "# PyTorch's CPU build (hidden tests compare with autograd), from PyTorch's own index:\n"
        f"--extra-index-url {TORCH_INDEX}\n"
        f"torch=={torch}\n"
        "# otter-grader, to run the tests:\n"
        f"otter-grader[grading]=={pins['otter-grader']}\n"
        "# mlhwlib's dependencies (the hidden tests also use scipy and scikit-learn):\n"
        f"{libs}\n"
    )


def student_requirements(wheel: str, chapter: str) -> str:
    return (
        f"# What {chapter}.ipynb needs. In this folder:\n"
        "#   python3 -m venv .venv\n"
        "#   .venv/bin/pip install -r requirements.txt\n"
        f"#   .venv/bin/jupyter lab {chapter}.ipynb\n"
        "# The book's library, with numpy, scipy, matplotlib and scikit-learn:\n"
        f"./{wheel}\n"
        "# otter-grader, for grader.check (the public tests):\n"
        "otter-grader>=7,<8\n"
        "# JupyterLab and the Python kernel:\n"
        "jupyterlab>=4.4,<5\n"
        "# PyTorch is not needed: no public test uses it.\n"
    )


def student_readme(chapter: str, title: str, book_ref: str, wheel: str,
                   questions: list[str]) -> str:
    listing = ", ".join(f"`{q}`" for q in questions)
    return f"""# {title}

`{chapter}.ipynb` is an assignment on {book_ref} of *ML, Worked and Checked*.
Its questions ({listing}) each say which exercise or section of the book they extend.

## Install (once)

Python 3.10 or newer. In this folder (on Windows, `.venv\\Scripts\\` instead of `.venv/bin/`):

```bash
python3 -m venv .venv
.venv/bin/pip install -r requirements.txt
.venv/bin/jupyter lab {chapter}.ipynb
```

`requirements.txt` installs the book's library `mlhwlib` (`{wheel}`, in this folder, which
brings numpy, scipy, matplotlib and scikit-learn), `otter-grader` 7 (for `grader.check`) and
JupyterLab. PyTorch is not needed: the public tests use numpy and scipy only.

## Work

Run the first code cell: it starts the grader (`grader = otter.Notebook("{chapter}.ipynb")`).
Derive each answer, replace every `...` with your code, and run the cell
`grader.check("<question>")` below it: it runs that question's *public* tests and shows
which passed. Passing them is not full marks: the autograder also runs hidden tests against
independent computations, with the tolerances each question states.

## Submit

Hand in `{chapter}.ipynb` itself, under that name (no zip, no PDF). Before you do, run it
from top to bottom in a fresh kernel (Kernel > Restart Kernel and Run All Cells), check
that no cell stops with an error, and save. The grader runs your notebook the same way,
from the top in a fresh kernel: code that only worked because of cells run out of order,
or a file outside the notebook, fails there. Keep the names the questions ask for.
"""


GRADING_README = """# Grading the assignments of *ML, Worked and Checked* (mlhwlib {version})

| file | what |
| --- | --- |
{table}| `{requirements}` | the packages `otter run` needs to grade |
| `grade_class.py` | grades a folder of submissions with `otter run`, writes a CSV of scores |

## The grading environment (once)

Copy this folder to where you grade (see below: a throwaway container, virtual machine or
user account; `make assignments` and `make course` replace the folder they build). Then,
with Python 3.11 to 3.13, in the copy:

```bash
python3 -m venv grading-venv
grading-venv/bin/pip install -r {requirements}
```

It installs otter-grader, PyTorch's CPU build (from PyTorch's index, named in the file) and
`mlhwlib`'s dependencies (numpy, scipy, matplotlib, scikit-learn) at the versions the book is
built and tested with. `mlhwlib` itself comes inside each autograder zip.

## Grading

**`otter run` executes the students' code unsandboxed**, as the user who runs it, with that
user's files, network and credentials. Grade in a throwaway container, virtual machine or
user account that holds nothing but the submissions and this folder.

One submission (`results/results.json` gets every question's score and test output):

```bash
mkdir -p results && grading-venv/bin/otter run -a {zip} -o results submitted.ipynb
```

A whole class: put the submitted notebooks in one folder (one `.ipynb` per student, or one
folder per student), then

```bash
grading-venv/bin/python grade_class.py SUBMISSIONS_DIR --assignment {example} --jobs 2
```

grades each with `otter run` and writes `results-{example}/scores.csv` (a row per
submission: every question's score, the total, the maximum, and an error message where a
notebook could not be graded) and `results-{example}/<submission>/results.json`.

## What is tested, and what is not

The book's tests make a fresh virtual environment from `{requirements}` alone, outside the
repository, and grade with `grade_class.py` there, offline: every solution scores full marks,
an untouched student notebook scores zero, a submission with one of the source notes' mistakes
loses exactly its questions. They also install the students' `requirements.txt` in a fresh
environment and run the student notebooks there. *Not* tested: `otter grade` (Docker) and
Gradescope, which build their own image from each zip's `environment.yml` (the same packages
as `{requirements}`, Python {python}) and need the internet to do so.
"""


def grading_readme(version: str, example: str, kit: bool = False) -> str:
    """How to grade, for ``_build/assignments`` (``<chapter>/autograder/``, ``<chapter>/student/``)
    or, ``kit``, for the course kit's ``instructors/autograders`` (``<chapter>/``)."""
    where = "{c}/" if kit else "{c}/autograder/"
    table = ("" if kit else "| `<chapter>/student/` | hand this out: the notebook, its "
             "`README.md`, `requirements.txt` and the `mlhwlib` wheel |\n")
    table += (f"| `{where.format(c='<chapter>')}<chapter>-autograder_*.zip` | every test (public "
              "and hidden), the grading environment, `mlhwlib` |\n"
              f"| `{where.format(c='<chapter>')}<chapter>.ipynb` | the solutions |\n")
    return GRADING_README.format(
        version=version, table=table, requirements=GRADING_REQUIREMENTS, example=example,
        zip=f"{where.format(c=example)}{example}-autograder_*.zip",
        python=ENVIRONMENT_CONFIG["python_version"])


def notebook_title(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^# (.+)$", cell_source(cell), re.M)
            if m:
                return m.group(1).strip()
    raise SystemExit("build_assignments: the master has no '# title' in its Markdown")


def assignment_config(nb) -> dict:
    import yaml

    for cell in nb.cells:
        src = cell_source(cell).strip()
        if cell.cell_type == "raw" and src.startswith("# ASSIGNMENT CONFIG"):
            return yaml.safe_load(src) or {}
    raise SystemExit("build_assignments: no '# ASSIGNMENT CONFIG' cell")


def question_names(nb) -> list[str]:
    return [re.search(r"^name:\s*(\S+)", cell_source(c), re.M).group(1) for c in nb.cells
            if c.cell_type == "raw" and cell_source(c).strip().startswith("# BEGIN QUESTION")]


def prepare(master: Path, refs: dict[str, str]):
    """The master as ``otter assign`` is to read it: its configuration checked, every
    ``{ref}`` in its Markdown resolved (an unknown label is a ``SystemExit``)."""
    import nbformat

    nb = nbformat.read(master, as_version=4)
    config = assignment_config(nb)
    wrong = {k: config.get(k) for k, v in ENVIRONMENT_CONFIG.items() if config.get(k) != v}
    if wrong:
        raise SystemExit(f"build_assignments: {master}: its ASSIGNMENT CONFIG must say "
                         f"{ENVIRONMENT_CONFIG} (found {wrong})")
    for k, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            cell.source = resolve_references(cell_source(cell), refs, f"{master.name} cell {k}")
    return nb


def stage(master: Path, where: Path, refs: dict[str, str], wheel: Path, requirements: str) -> Path:
    """The prepared master in ``where``, with the files its configuration names beside it
    (``requirements-grading.txt``, ``mlhwlib/`` as the wheel ships it)."""
    import nbformat

    nb = prepare(master, refs)
    where.mkdir(parents=True, exist_ok=True)
    staged = where / master.name
    nbformat.write(nb, staged)
    (where / GRADING_REQUIREMENTS).write_text(requirements, encoding="utf-8")
    with zipfile.ZipFile(wheel) as zf:
        members = [n for n in zf.namelist() if n.startswith("mlhwlib/")]
        zf.extractall(where, members)
    return staged


def build(master: Path, out: Path, refs: dict[str, str], wheel: Path,
          requirements: str) -> tuple[Path, float]:
    """``otter assign`` of one (staged) master into ``out/<stem>`` (emptied first), then the
    student folder's README, requirements and wheel."""
    import nbformat

    dest = out / master.stem
    if dest.exists():
        shutil.rmtree(dest)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"assign-{master.stem}-") as tmp:
        staged = stage(master, Path(tmp), refs, wheel, requirements)
        proc = subprocess.run([*otter_command(), "assign", str(staged), str(dest.resolve())],
                              capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"otter assign {master} failed:\n{proc.stdout}\n{proc.stderr}")
    zips = sorted((dest / "autograder").glob(f"{master.stem}-autograder_*.zip"))
    student = dest / "student"
    if len(zips) != 1 or not (student / master.name).is_file():
        raise SystemExit(f"otter assign {master}: expected one autograder zip and a student "
                         f"notebook in {dest}, found {zips}")
    nb = nbformat.read(master, as_version=4)
    chapter = master.stem
    shutil.copy2(wheel, student / wheel.name)
    (student / "requirements.txt").write_text(student_requirements(wheel.name, chapter),
                                              encoding="utf-8")
    (student / "README.md").write_text(
        student_readme(chapter, notebook_title(nb), resolve_references(
            f"{{ref}}`{chapter}`", refs, f"{master.name} (its chapter's label)"),
            wheel.name, question_names(nb)), encoding="utf-8")
    return dest, elapsed


def write_shared(out: Path, wheel: Path, requirements: str, example: str) -> None:
    """What serves every chapter: the grading requirements, how to grade, grade_class.py."""
    version = wheel.name.split("-")[1]
    (out / GRADING_REQUIREMENTS).write_text(requirements, encoding="utf-8")
    (out / "README.md").write_text(grading_readme(version, example), encoding="utf-8")
    shutil.copy2(ROOT / "tools" / "grade_class.py", out / "grade_class.py")


# --- the errata as submissions -------------------------------------------------------------
def load_errata():
    """``assignments/errata.py`` as a module (``SUBMISSIONS``, ``NOT_COMPUTATIONAL``)."""
    spec = importlib.util.spec_from_file_location("assignment_errata",
                                                  ROOT / "assignments" / "errata.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses looks the module up while building the class
    spec.loader.exec_module(module)
    return module


def erratum_notebook(solution: Path, subs, dest: Path) -> Path:
    """The solution notebook with, for each submission, the one code cell containing
    ``sub.cell`` replaced by ``sub.code``; written to ``dest/<solution's name>``."""
    import nbformat

    nb = nbformat.read(solution, as_version=4)
    for sub in subs:
        hits = [c for c in nb.cells if c.cell_type == "code" and sub.cell in cell_source(c)]
        if len(hits) != 1:
            raise ValueError(f"{sub.chapter}:{sub.name}: {len(hits)} cells contain {sub.cell!r}")
        hits[0].source = sub.code.strip("\n")
        hits[0].outputs, hits[0].execution_count = [], None
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / solution.name
    nbformat.write(nb, path)
    return path


def write_errata(out: Path, dest: Path) -> list[Path]:
    """One notebook per erratum submission, from the solution notebooks built in ``out``."""
    paths = []
    for sub in load_errata().SUBMISSIONS:
        solution = out / sub.chapter / "autograder" / f"{sub.chapter}.ipynb"
        paths.append(erratum_notebook(solution, [sub], dest / f"{sub.chapter}-{sub.name}"))
    return paths


# --- grading ---------------------------------------------------------------------------------
def grade(autograder: str, submission: str, out_dir: str) -> dict:
    """Grade one submission offline, as ``otter run -a AUTOGRADER -o OUT_DIR SUBMISSION`` does
    (the same function, called in this process): ``{question: {"score", "possible",
    "results_json", "cases"}}`` with ``results_json`` the score otter wrote to
    ``OUT_DIR/results.json`` and ``cases`` a list of ``(hidden, passed)``, one per test case."""
    import contextlib
    import io

    from otter.run import main as otter_run

    Path(out_dir).mkdir(parents=True, exist_ok=True)
    with contextlib.redirect_stdout(io.StringIO()):
        results = otter_run(submission, autograder=autograder, output_dir=out_dir, no_logo=True)
    written = json.loads((Path(out_dir) / "results.json").read_text(encoding="utf-8"))
    reported = {t["name"]: float(t["score"]) for t in written["tests"] if "max_score" in t}
    return {name: {"score": float(tf.score), "possible": float(tf.possible),
                   "results_json": reported.get(name),
                   "cases": [(bool(r.test_case.hidden), bool(r.passed))
                             for r in tf.test_case_results]}
            for name, tf in results.results.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("masters", nargs="*", type=Path, help="assignments/<chapter>.ipynb")
    parser.add_argument("--out", type=Path, default=Path("_build/assignments"))
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html",
                        help="the built site, whose numbers the references take")
    parser.add_argument("--wheel", type=Path, help="the mlhwlib wheel (make dist)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--errata", type=Path, metavar="DIR",
                        help="write the erratum submissions into DIR (after a build)")
    args = parser.parse_args(argv)
    if args.errata:
        for path in write_errata(args.out, args.errata):
            print(path)
        return 0
    if not args.masters:
        parser.error("name the master notebooks (assignments/*.ipynb)")
    if args.wheel is None or not args.wheel.is_file():
        parser.error(f"--wheel: the mlhwlib wheel is missing ({args.wheel}): run `make dist`")
    refs = book_references(args.html)
    for master in args.masters:  # every reference resolves before the long part starts
        prepare(master, refs)
        resolve_references(f"{{ref}}`{master.stem}`", refs, f"{master.name} (its chapter's label)")
    requirements = grading_requirements(args.wheel.name.split("-")[1])
    args.out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for dest, elapsed in pool.map(
                lambda m: build(m, args.out, refs, args.wheel, requirements), args.masters):
            print(f"{dest}: student/ and autograder/ ({elapsed:.0f} s)")
    example = "bptt" if any(m.stem == "bptt" for m in args.masters) else args.masters[0].stem
    write_shared(args.out, args.wheel, requirements, example)
    return 0


if __name__ == "__main__":
    sys.exit(main())
