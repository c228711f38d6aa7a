"""``make course``: everything a course needs, in ``_build/course``.

The kit is a copy of what the other targets build, so these tests check that the
copy is complete and the same as its source: both sites, both PDFs (when TeX is
installed), every deck with its handout, every assignment's ``student/`` and
``autograder/``, both notebook bundles and the wheel, and a README naming each.
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

import pytest

from conftest import HTML, ROOT, STUDENT_HTML, require_build

COURSE = ROOT / "_build" / "course"
CHAPTERS = sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))
ASSIGNMENTS = sorted(p.stem for p in (ROOT / "assignments").glob("*.ipynb"))
HAVE_TEX = bool(shutil.which("xelatex") and shutil.which("latexmk"))


@pytest.fixture(scope="module")
def course() -> Path:
    require_build(COURSE / "site", "make course")
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
    assert not _same_tree(HTML, course / "site")
    assert not _same_tree(STUDENT_HTML, course / "student-site")


def test_every_deck_and_its_handout(course):
    for chapter in CHAPTERS:
        assert (course / "slides" / f"{chapter}.slides.html").is_file(), chapter
        handout = course / "slides" / f"{chapter}.handout.pdf"
        assert handout.is_file() and handout.read_bytes().startswith(b"%PDF"), chapter


def test_every_assignment_with_its_student_notebook_and_autograder(course):
    assert len(ASSIGNMENTS) >= 5
    for chapter in ASSIGNMENTS:
        student = course / "assignments" / chapter / "student"
        autograder = course / "assignments" / chapter / "autograder"
        assert (student / f"{chapter}.ipynb").is_file(), chapter
        assert list(autograder.glob(f"{chapter}-autograder_*.zip")), chapter


def test_bundles_wheel_pdfs_and_readme(course):
    assert filecmp.cmp(HTML / "mlhw-notebooks.zip", course / "mlhw-notebooks.zip", shallow=False)
    assert filecmp.cmp(STUDENT_HTML / "mlhw-notebooks.zip",
                       course / "mlhw-notebooks-student.zip", shallow=False)
    wheels = list(course.glob("mlhwlib-*-py3-none-any.whl"))
    assert len(wheels) == 1
    readme = (course / "README.md").read_text(encoding="utf-8")
    names = ["site", "student-site", "slides", "mlhw-notebooks.zip",
             "mlhw-notebooks-student.zip", wheels[0].name]
    names += [f"assignments/{c}/student" for c in ASSIGNMENTS]
    if HAVE_TEX:
        names += ["mlhw-book.pdf", "mlhw-book-student.pdf"]
        for pdf in ("mlhw-book.pdf", "mlhw-book-student.pdf"):
            assert (course / pdf).read_bytes().startswith(b"%PDF"), pdf
        student_text = (course / "mlhw-book-student.pdf").stat().st_size
        assert student_text < (course / "mlhw-book.pdf").stat().st_size  # no solutions
    for name in names:
        assert f"`{name}`" in readme, name
    assert "otter run -a" in readme
