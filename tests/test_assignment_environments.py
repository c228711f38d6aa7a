"""The assignments outside the repository: what a student installs, and what grades.

``make assignments`` writes, beside each ``student/<chapter>.ipynb``, a ``README.md``, a
``requirements.txt`` and the ``mlhwlib`` wheel, and, for the instructor,
``_build/assignments/requirements-grading.txt`` (exactly the pip part of every autograder
zip's ``environment.yml``) and ``grade_class.py``. Tested here as a student and an instructor
would use them, in temporary folders outside the repository, the repository on no path
(pip's cache is reused):

* **student**: a fresh venv made in a copied ``student/`` folder with its README's commands
  (``python3 -m venv .venv``; ``.venv/bin/pip install -r requirements.txt``; every chapter's
  requirements are the same lines, so one venv serves all). In it, nbclient runs every
  untouched student notebook from the top without an error, each question's
  ``grader.check`` reporting failing public tests (the answers are ``...``), and every student
  notebook with the solutions' code filled in, each ``grader.check`` passing. PyTorch is not
  installed there: no public test needs it.
* **instructor**: in a copy of ``_build/assignments``, a fresh venv made from
  ``requirements-grading.txt`` alone with its README's commands (``mlhwlib`` is *not*
  installed: the zips carry it); there, the README's one-submission command as written
  (``mkdir -p results && grading-venv/bin/otter run ...``) gives a solution full marks, and
  ``grade_class.py``: every chapter's solution full marks, an untouched student notebook zero,
  and an erratum submission less on exactly its questions; the CSV says so. (``otter grade`` and Gradescope build a Docker image from the zip's
  ``environment.yml``; they need the internet and are not tested.)
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import yaml

pytestmark = pytest.mark.notebook

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build" / "assignments"
CHAPTERS = sorted(p.stem for p in (ROOT / "assignments").glob("*.ipynb"))
WHEELS = sorted((ROOT / "dist").glob("mlhwlib-*-py3-none-any.whl"))
ERRATUM_CHAPTER = "bptt"

sys.path.insert(0, str(ROOT / "tools"))
import build_assignments  # noqa: E402  (tools/ is not a package)


@pytest.fixture(scope="module")
def built():
    missing = [c for c in CHAPTERS if not (BUILD / c / "student" / "README.md").is_file()]
    if missing or not (BUILD / "requirements-grading.txt").is_file():
        pytest.fail(f"no assignment build with READMEs for {missing or CHAPTERS}: "
                    "run `make assignments`")
    return BUILD


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def _clean_env(home: Path, venv: Path) -> dict[str, str]:
    """A user's shell: no repository on any path, Jupyter's folders inside ``home``, pip's
    cache where it is (reused), and no retries of an index this machine cannot reach."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "JUPYTER", "VIRTUAL_ENV", "MLHW", "IPYTHON"))}
    env.update({"PATH": f"{venv / 'bin'}:{env.get('PATH', '')}",
                "JUPYTER_PATH": str(venv / "share" / "jupyter"),
                "JUPYTER_DATA_DIR": str(home / "jupyter-data"),
                "JUPYTER_CONFIG_DIR": str(home / "jupyter-config"),
                "IPYTHONDIR": str(home / "ipython"), "MPLCONFIGDIR": str(home / "mpl"),
                "PYTHONNOUSERSITE": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
                # PyTorch's index (requirements-grading.txt) is unreachable offline: fail fast
                "PIP_RETRIES": "0",
                # the same packages, without byte-compiling them all at install time
                "PIP_NO_COMPILE": "1"})
    env.pop("PIP_REQUIRE_VIRTUALENV", None)
    return env


def readme_commands(readme: Path) -> list[str]:
    """The lines of the README's ```bash blocks, in order."""
    blocks = re.findall(r"```bash\n(.*?)```", readme.read_text(encoding="utf-8"), re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def _make_venv(folder: Path, venv_name: str, readme: Path, env: dict) -> Path:
    """The venv made in ``folder`` by the README's own commands (``python3 -m venv ...``, then
    ``.../pip install -r ...``), run as written."""
    commands = [c for c in readme_commands(readme) if " -m venv " in c or " install -r " in c]
    assert len(commands) == 2 and f"-m venv {venv_name}" in commands[0], commands
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=1800)
        assert done.returncode == 0, (command, done.stderr[-3000:])
    return folder / venv_name


PROBE = textwrap.dedent('''
    import importlib.util, json, sys
    spec = importlib.util.find_spec("mlhwlib")
    print(json.dumps({"mlhwlib": spec.origin if spec else None,
                      "torch": importlib.util.find_spec("torch") is not None,
                      "otter": importlib.util.find_spec("otter") is not None,
                      "path": sys.path}))
''')


def _probe(venv: Path, env: dict, cwd: Path) -> dict:
    done = subprocess.run([str(venv / "bin" / "python"), "-c", PROBE], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert not any(str(ROOT) in p for p in probe["path"] if p), probe["path"]
    return probe


# --- what the student folder holds -------------------------------------------------------------
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_folder_says_what_to_install_and_to_submit(built, chapter):
    student = BUILD / chapter / "student"
    assert len(WHEELS) == 1, f"expected one wheel in dist/ (make dist), found {WHEELS}"
    wheel = WHEELS[0]
    assert sorted(p.name for p in student.iterdir()) == sorted(
        [f"{chapter}.ipynb", "README.md", "requirements.txt", wheel.name])
    assert (student / wheel.name).read_bytes() == wheel.read_bytes()
    lines = _lines((student / "requirements.txt").read_text(encoding="utf-8"))
    assert f"./{wheel.name}" in lines
    assert "otter-grader>=7,<8" in lines
    assert any(re.match(r"jupyterlab>=4", line) for line in lines)
    assert not any(re.match(r"torch\b", line) for line in lines), "no public test needs PyTorch"
    assert not any("==" in line for line in lines), f"ranges, not pins: {lines}"
    readme = (student / "README.md").read_text(encoding="utf-8")
    for text in ("python3 -m venv .venv", ".venv/bin/pip install -r requirements.txt",
                 f".venv/bin/jupyter lab {chapter}.ipynb", 'grader.check("<question>")',
                 f"Hand in `{chapter}.ipynb` itself", "Restart Kernel and Run All Cells",
                 "PyTorch is not needed", "otter-grader"):
        assert text in readme, text
    # the README names the chapter as the notebook does (resolved from the site)
    nb = nbformat.read(student / f"{chapter}.ipynb", as_version=4)
    chapter_ref = re.search(r"goes with (.+?) of the book", nb.cells[1].source).group(1)
    assert chapter_ref in readme


def test_every_chapter_asks_for_the_same_packages(built):
    """One venv serves every assignment (and the fresh-venv test below uses one)."""
    texts = {c: _lines((BUILD / c / "student" / "requirements.txt").read_text()) for c in CHAPTERS}
    assert len({tuple(t) for t in texts.values()}) == 1, texts


# --- the grading environment the zips declare --------------------------------------------------
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_autograder_zip_declares_the_grading_environment(built, chapter):
    """The zip's environment.yml installs exactly requirements-grading.txt (PyTorch pinned to
    its CPU build from PyTorch's index, never a bare ``torch``) and it carries mlhwlib."""
    grading = _lines((BUILD / "requirements-grading.txt").read_text(encoding="utf-8"))
    assert f"--extra-index-url {build_assignments.TORCH_INDEX}" in grading
    torch = [line for line in grading if re.match(r"torch\b", line)]
    assert len(torch) == 1 and re.fullmatch(r"torch==[\d.]+\+cpu", torch[0]), torch
    assert any(re.fullmatch(r"otter-grader\[grading\]==7\.[\d.]+", line) for line in grading)
    for name in ("numpy", "scipy", "scikit-learn"):
        assert any(line.startswith(f"{name}==") for line in grading), name
    zips = sorted((BUILD / chapter / "autograder").glob(f"{chapter}-autograder_*.zip"))
    with zipfile.ZipFile(zips[0]) as zf:
        environment = yaml.safe_load(zf.read("environment.yml"))
        names = set(zf.namelist())
    pip = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict)]
    assert pip == [grading], pip
    assert "python=3.11" in environment["dependencies"]
    with zipfile.ZipFile(WHEELS[0]) as wheel:
        shipped = {n for n in wheel.namelist() if n.startswith("mlhwlib/")}
    assert shipped and {f"files/{n}" for n in shipped} <= names


# --- a student's machine -----------------------------------------------------------------------
CHECKS = "MLHW-CHECKS "
DRIVER = textwrap.dedent('''
    """Run in the fresh venv: execute notebooks with nbclient, two at a time; after the last
    cell, report what grader.check says about every question."""
    import json, sys, traceback
    from concurrent.futures import ProcessPoolExecutor
    from pathlib import Path

    REPORT = ("import json\\n"
              "print(%r + json.dumps({q: bool(grader.check(q).passed_all_public)\\n"
              "                        for q in %r}))")


    def run(path):
        import nbformat
        from nbclient import NotebookClient
        nb = nbformat.read(path, as_version=4)
        questions = sorted(nb.metadata["otter"]["tests"])
        nb.cells.append(nbformat.v4.new_code_cell(REPORT % (sys.argv[1], questions)))
        try:
            NotebookClient(nb, timeout=300, kernel_name="python3",
                           resources={"metadata": {"path": str(Path(path).parent)}}).execute()
        except Exception:
            return {"path": path, "error": traceback.format_exc()[-3000:]}
        text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
        line = [l for l in text.splitlines() if l.startswith(sys.argv[1])][-1]
        return {"path": path, "error": None, "checks": json.loads(line[len(sys.argv[1]):])}


    if __name__ == "__main__":
        with ProcessPoolExecutor(max_workers=2) as pool:
            print(json.dumps(list(pool.map(run, sys.argv[2:]))))
''')


def solved_student_notebook(chapter: str, dest: Path) -> Path:
    """The student notebook with the solutions' code in place of its ``...`` (cells matched by
    id; otter keeps them): what a student who got everything right submits."""
    student = nbformat.read(BUILD / chapter / "student" / f"{chapter}.ipynb", as_version=4)
    solution = {c.id: c for c in nbformat.read(
        BUILD / chapter / "autograder" / f"{chapter}.ipynb", as_version=4).cells}
    changed = 0
    for cell in student.cells:
        if cell.cell_type == "code" and cell.source != solution[cell.id].source:
            cell.source, changed = solution[cell.id].source, changed + 1
    assert changed >= 3, chapter
    dest.mkdir(parents=True)
    nbformat.write(student, dest / f"{chapter}.ipynb")
    return dest / f"{chapter}.ipynb"


@pytest.fixture(scope="module")
def machines(built, tmp_path_factory):
    """Both machines, outside the repository, their venvs installed side by side (two pips at
    once: the slow part of this file), each with its README's two commands as written. Student:
    every student/ folder copied, the venv made in the first one from its requirements.txt.
    Instructor: a copy of _build/assignments, the venv made in it from requirements-grading.txt
    alone."""
    student = tmp_path_factory.mktemp("student-machine")
    grading = tmp_path_factory.mktemp("grading-machine")
    assert ROOT not in student.parents and ROOT not in grading.parents
    for chapter in CHAPTERS:
        shutil.copytree(BUILD / chapter / "student", student / chapter)
    kit = grading / "assignments"
    shutil.copytree(BUILD, kit, ignore=shutil.ignore_patterns(".built"))
    jobs = {"student": (student / CHAPTERS[0], ".venv"), "grading": (kit, "grading-venv")}
    homes = {name: where / "home" for name, where in (("student", student), ("grading", grading))}

    def install(name):
        folder, venv_name = jobs[name]
        homes[name].mkdir()
        env = _clean_env(homes[name], folder / venv_name)
        env["HOME"] = os.environ.get("HOME", str(homes[name]))  # pip's cache may be reused
        return _make_venv(folder, venv_name, folder / "README.md", env)

    with ThreadPoolExecutor(max_workers=2) as pool:
        venvs = dict(zip(jobs, pool.map(install, jobs)))
    envs = {}
    for name, venv in venvs.items():
        envs[name] = _clean_env(homes[name], venv)
        envs[name]["HOME"] = str(homes[name])
    return {"student": (student, venvs["student"], envs["student"]),
            "grading": (grading, kit, venvs["grading"], envs["grading"])}


@pytest.fixture(scope="module")
def student_machine(machines):
    return machines["student"]


def test_student_notebooks_run_in_a_fresh_venv_from_their_requirements(student_machine):
    where, venv, env = student_machine
    probe = _probe(venv, env, where)
    assert probe["mlhwlib"] and Path(probe["mlhwlib"]).is_relative_to(venv), probe["mlhwlib"]
    assert probe["otter"] and not probe["torch"], probe
    untouched = [where / c / f"{c}.ipynb" for c in CHAPTERS]
    solved = [solved_student_notebook(c, where / "solved" / c) for c in CHAPTERS]
    (where / "run_notebooks.py").write_text(DRIVER, encoding="utf-8")
    done = subprocess.run([str(venv / "bin" / "python"), "run_notebooks.py", CHECKS,
                           *map(str, untouched + solved)], cwd=where, env=env,
                          capture_output=True, text=True, timeout=3600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = {r["path"]: r for r in json.loads(done.stdout.strip().splitlines()[-1])}
    failed = [f"{p}:\n{r['error']}" for p, r in results.items() if r["error"]]
    assert not failed, "\n\n".join(failed)
    for path in untouched:  # runs top to bottom; every public test fails on `...`
        checks = results[str(path)]["checks"]
        assert checks and not any(checks.values()), (path, checks)
    for path in solved:  # the solutions pass every public test in the student's environment
        checks = results[str(path)]["checks"]
        assert checks and all(checks.values()), (path, checks)


# --- an instructor's machine -------------------------------------------------------------------
@pytest.fixture(scope="module")
def grading_machine(machines):
    return machines["grading"]


def _read_scores(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


def test_grade_class_grades_in_a_fresh_venv_from_the_grading_requirements(grading_machine):
    where, kit, venv, env = grading_machine
    probe = _probe(venv, env, where)
    assert probe["mlhwlib"] is None, "mlhwlib must come from the autograder zip, not the venv"
    assert probe["torch"] and probe["otter"], probe
    errata = build_assignments.load_errata()
    erratum = next(s for s in errata.SUBMISSIONS if s.chapter == ERRATUM_CHAPTER)
    classes = {}
    for chapter in CHAPTERS:
        folder = where / "submissions" / chapter
        folder.mkdir(parents=True)
        shutil.copy(kit / chapter / "autograder" / f"{chapter}.ipynb", folder / "solution.ipynb")
        if chapter == ERRATUM_CHAPTER:
            shutil.copy(kit / chapter / "student" / f"{chapter}.ipynb", folder / "untouched.ipynb")
            build_assignments.erratum_notebook(kit / chapter / "autograder" / f"{chapter}.ipynb",
                                               [erratum], folder / "erratum")
        classes[chapter] = folder

    def grade(chapter):
        return subprocess.run(
            ["grading-venv/bin/python", "grade_class.py", str(classes[chapter]),
             "--assignment", chapter, "--out", str(where / f"results-{chapter}"),
             "--jobs", "2" if chapter == ERRATUM_CHAPTER else "1"],
            cwd=kit, env=env, capture_output=True, text=True, timeout=1800)

    # the README's command for one submission, as written (it makes its results folder)
    command = next(c for c in readme_commands(kit / "README.md") if "otter run -a" in c)
    shutil.copy(kit / ERRATUM_CHAPTER / "autograder" / f"{ERRATUM_CHAPTER}.ipynb",
                kit / "submitted.ipynb")
    one = subprocess.run(["bash", "-c", command], cwd=kit, env=env, capture_output=True,
                         text=True, timeout=900)
    assert one.returncode == 0, (command, one.stdout[-2000:], one.stderr[-2000:])
    tests = json.loads((kit / "results" / "results.json").read_text())["tests"]
    scored = [t for t in tests if "max_score" in t]
    assert scored and all(t["score"] == t["max_score"] > 0 for t in scored), tests

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(zip(CHAPTERS, pool.map(grade, CHAPTERS)))
    for chapter, proc in done.items():
        assert proc.returncode == 0, (chapter, proc.stdout[-2000:], proc.stderr[-2000:])
        scores = _read_scores(where / f"results-{chapter}" / "scores.csv")
        solution = scores["solution"]
        assert float(solution["possible"]) > 0 and solution["total"] == solution["possible"], \
            (chapter, solution)
        assert (where / f"results-{chapter}" / "solution" / "results.json").is_file()
    scores = _read_scores(where / f"results-{ERRATUM_CHAPTER}" / "scores.csv")
    assert set(scores) == {"solution", "untouched", f"erratum/{ERRATUM_CHAPTER}"}
    assert float(scores["untouched"]["total"]) == 0 < float(scores["untouched"]["possible"])
    wrong = scores[f"erratum/{ERRATUM_CHAPTER}"]
    full = scores["solution"]
    for question in build_assignments.question_names(nbformat.read(
            ROOT / "assignments" / f"{ERRATUM_CHAPTER}.ipynb", as_version=4)):
        lost = float(wrong[question]) < float(full[question])
        assert lost == (question in erratum.questions), (question, wrong, full)
