"""``make course``: everything a course needs, in ``_build/course``.

The kit is a copy of what the other targets build, so these tests check that the
copy is complete and the same as its source: both sites, both PDFs (when TeX is
installed), every deck with its handout, every assignment's ``student/`` and
``autograder/``, both notebook bundles and the wheel, and a README naming each;
and that its ``students/`` half, meant to be published as it is, holds no
solution and no hidden test (the instructors' site, PDF, bundle and autograders
are in ``instructors/``).
"""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import HTML, ROOT, STUDENT_HTML, require_build

COURSE = ROOT / "_build" / "course"
CHAPTERS = sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))
ASSIGNMENTS = sorted(p.stem for p in (ROOT / "assignments").glob("*.ipynb"))
# as the Makefile decides it (HAVE_LATEX): without all three, make course builds no PDF
HAVE_TEX = bool(shutil.which("xelatex") and shutil.which("latexmk") and shutil.which("kpsewhich")
                and subprocess.run(["kpsewhich", "xeCJK.sty"], capture_output=True).returncode == 0)


@pytest.fixture(scope="module")
def course() -> Path:
    require_build(COURSE / "students" / "site", "make course")
    return COURSE


def _same_tree(a: Path, b: Path) -> list[str]:
    """Files that differ or are missing between two folders (recursively)."""
    cmp = filecmp.dircmp(a, b)
    problems = [f"{a}: {name} only on one side" for name in cmp.left_only + cmp.right_only]
    problems += [f"{a / name}: differs" for name in cmp.diff_files]
    for sub in cmp.common_dirs:
        problems += _same_tree(a / sub, b / sub)
    return problems


def test_both_sites_are_copied_whole(course):
    assert not _same_tree(HTML, course / "instructors" / "site")
    assert not _same_tree(STUDENT_HTML, course / "students" / "site")


def test_every_deck_and_its_handout(course):
    for chapter in CHAPTERS:
        assert (course / "students" / "slides" / f"{chapter}.slides.html").is_file(), chapter
        handout = course / "students" / "slides" / f"{chapter}.handout.pdf"
        assert handout.is_file() and handout.read_bytes().startswith(b"%PDF"), chapter


def test_every_assignment_with_its_student_notebook_and_autograder(course):
    assert len(ASSIGNMENTS) >= 5
    for chapter in ASSIGNMENTS:
        student = course / "students" / "assignments" / chapter
        autograder = course / "instructors" / "autograders" / chapter
        assert (student / f"{chapter}.ipynb").is_file(), chapter
        assert list(autograder.glob(f"{chapter}-autograder_*.zip")), chapter


def test_bundles_wheel_pdfs_and_readme(course):
    assert filecmp.cmp(HTML / "mlhw-notebooks.zip",
                       course / "instructors" / "mlhw-notebooks.zip", shallow=False)
    assert filecmp.cmp(STUDENT_HTML / "mlhw-notebooks.zip",
                       course / "students" / "mlhw-notebooks.zip", shallow=False)
    wheels = list((course / "students").glob("mlhwlib-*-py3-none-any.whl"))
    assert len(wheels) == 1
    readme = (course / "README.md").read_text(encoding="utf-8")
    names = ["students/site", "students/slides", "students/mlhw-notebooks.zip",
             f"students/{wheels[0].name}", "instructors/site", "instructors/mlhw-notebooks.zip"]
    names += [f"students/assignments/{c}" for c in ASSIGNMENTS]
    names += [f"instructors/autograders/{c}" for c in ASSIGNMENTS]
    names += [f"instructors/autograders/{n}" for n in
              ("README.md", "requirements-grading.txt", "grade_class.py")]
    if HAVE_TEX:
        names += ["students/mlhw-book.pdf", "instructors/mlhw-book.pdf"]
        for pdf in names[-2:]:
            assert (course / pdf).read_bytes().startswith(b"%PDF"), pdf
        assert (course / names[-2]).stat().st_size < (course / names[-1]).stat().st_size
    for name in names:
        assert f"`{name}`" in readme, name


def test_the_students_half_holds_no_solution_and_no_hidden_test(course):
    """Published as it is: no solution block, no hidden test, no autograder, no instructor
    notebook (each file of students/, and the notebooks inside its zip)."""
    students = course / "students"
    texts = {}
    for path in students.rglob("*"):
        if path.is_dir():
            continue
        if path.suffix in (".html", ".ipynb", ".md", ".txt", ".js", ".json"):
            texts[path] = path.read_text(encoding="utf-8", errors="replace")
        elif path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                assert not any("autograder" in n for n in zf.namelist()), path
                for name in zf.namelist():
                    if name.endswith(".ipynb"):
                        texts[path / name] = zf.read(name).decode()
    assert len(texts) > 50
    leaks = [str(p) for p, t in texts.items()
             if 'class="solution' in t or "# HIDDEN" in t or "BEGIN SOLUTION" in t
             or '"edition": "instructor"' in t]
    assert not leaks, leaks[:10]
    assert not list(students.rglob("*autograder*")), "an autograder in students/"


def test_the_grading_readme_gives_the_commands_as_they_work(course):
    """The grading folder: its README's commands name its own layout (the zip in <chapter>/),
    create otter run's results folder (otter run fails when it is missing) and say that student
    code runs unsandboxed; the grading requirements and grade_class.py are those of the build."""
    grading = course / "instructors" / "autograders"
    readme = (grading / "README.md").read_text(encoding="utf-8")
    assert "grading-venv/bin/pip install -r requirements-grading.txt" in readme
    command = next(line for line in readme.splitlines() if "otter run -a" in line)
    assert command.startswith("mkdir -p results && grading-venv/bin/otter run -a "), command
    pattern = command.split("-a ")[1].split()[0]
    assert len(list(grading.glob(pattern))) == 1, pattern
    assert "grading-venv/bin/python grade_class.py SUBMISSIONS_DIR --assignment" in readme
    assert "unsandboxed" in readme
    for name in ("requirements-grading.txt", "grade_class.py"):
        assert filecmp.cmp(ROOT / "_build" / "assignments" / name, grading / name,
                           shallow=False), name
