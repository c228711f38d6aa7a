"""The instructor's guide (``book/instructors.md``) says what is true of the repository.

An instructor follows the guide's commands and paths literally, so each one is checked
against what exists: every ``make`` target it names is a target of the Makefile, every
repository file it names exists, every folder of the course kit it names is one that
``make course`` builds (``_build/course``), the grading commands are the ones the
grading README of the kit gives, and the build times it shows on the site are the
measured ones of ``mlhwlib/data/results_build.json`` (the page cannot type them: the
``{build-time}`` role writes them, and here the rendered text is parsed back and
compared with the record's seconds).
"""

from __future__ import annotations

import json
import re

import pytest
from bs4 import BeautifulSoup
from conftest import HTML, ROOT, require_build

GUIDE = ROOT / "book" / "instructors.md"
RECORD = ROOT / "mlhwlib" / "data" / "results_build.json"
COURSE = ROOT / "_build" / "course"


def guide_text() -> str:
    return GUIDE.read_text(encoding="utf-8")


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^([a-z][a-z-]*):", text, re.M)}


def test_every_make_target_it_names_exists():
    named = set(re.findall(r"`make ([a-z-]+)", guide_text()))
    assert {"book", "course", "execute", "slides", "assignments", "test"} <= named
    assert named <= makefile_targets(), named - makefile_targets()


def test_every_repository_file_it_names_exists():
    text = guide_text()
    for path in ("lectures/README.md", "assignments/errata.py", "_config.yml"):
        assert f"`{path}`" in text, path
        assert (ROOT / path).exists(), path
    for pattern in ("lectures/<chapter>.yml", "assignments/<chapter>.ipynb"):
        assert f"`{pattern}`" in text, pattern
        folder, name = pattern.split("/")
        assert list((ROOT / folder).glob(name.replace("<chapter>", "*"))), pattern
    # the configuration keys it tells an instructor to set are the ones the build reads
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    for key in ("html_baseurl", "mlhw_student_baseurl"):
        assert key in text and key in config, key
    assert re.search(r"^repository:\s*$", config, re.M) and "repository.url" in text


def test_the_syllabus_cites_every_chapter_and_no_graded_exercise_twice():
    text = guide_text()
    chapters = sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))
    syllabus = text[text.index("## A 10-week course"):text.index("(instructors-build)=")]
    for chapter in chapters:
        assert f"{{doc}}`{chapter}`" in syllabus, chapter
    labels = re.findall(r"\{ref\}`([^`]+)`", syllabus)
    assert len(labels) == len(set(labels)), "an exercise is set twice"
    # each is an exercise of the book, and none is one that an assignment grades
    exercises = set()
    for page in (ROOT / "book").glob("*.*"):
        exercises |= set(re.findall(r":label: ([a-z0-9-]+)", page.read_text(encoding="utf-8")))
    assert set(labels) <= exercises, set(labels) - exercises
    graded = set()
    for master in (ROOT / "assignments").glob("*.ipynb"):
        graded |= set(re.findall(r"\{ref\}`([^`]+)`", master.read_text(encoding="utf-8")))
    assert not set(labels) & graded, set(labels) & graded
    rows = [line for line in syllabus.splitlines() if re.match(r"\| \d+ \|", line)]
    assert [int(r.split("|")[1]) for r in rows] == list(range(1, 11))


@pytest.mark.site  # reads the course folder (make course)
@pytest.mark.parametrize("name", ["README.md", "requirements-grading.txt", "grade_class.py"])
def test_the_grading_files_it_names_are_in_the_kit(name):
    require_build(COURSE / "students" / "site", "make course")
    assert f"`{name}`" in guide_text()
    assert (COURSE / "instructors" / "autograders" / name).is_file(), name


@pytest.mark.site  # reads the course folder (make course)
def test_its_grading_commands_are_those_of_the_kit_readme():
    require_build(COURSE / "students" / "site", "make course")
    readme = (COURSE / "instructors" / "autograders" / "README.md").read_text(encoding="utf-8")
    text = guide_text()
    for command in ("grading-venv/bin/pip install -r requirements-grading.txt",
                    "mkdir -p results && grading-venv/bin/otter run",
                    "grading-venv/bin/python grade_class.py SUBMISSIONS_DIR --assignment bptt"):
        assert command in readme.replace("\\\n    ", ""), command
        assert command in text.replace("\\\n    ", ""), command
    assert "unsandboxed" in text and "unsandboxed" in readme


@pytest.mark.site  # reads the course folder (make course)
def test_the_kit_folders_it_names_exist():
    require_build(COURSE / "students" / "site", "make course")
    text = guide_text()
    named = set(re.findall(r"`((?:students|instructors)/[^`<]*?)/?`", text))
    assert {"students/site", "students/slides", "instructors/site"} <= named
    for path in named:  # a name may be a pattern (students/mlhwlib-*.whl)
        assert list(COURSE.glob(path)), path


def seconds_range(shown: str) -> tuple[float, float]:
    """The seconds a rendered duration ("38 s", "6 min", "1 h 5 min") stands for, rounded up."""
    m = re.fullmatch(r"(\d+) s", shown)
    if m:
        return int(m.group(1)) - 1, int(m.group(1))
    m = re.fullmatch(r"(?:(\d+) h )?(\d+) min", shown)
    assert m, shown
    minutes = 60 * int(m.group(1) or 0) + int(m.group(2))
    return 60 * (minutes - 1), 60 * minutes


def test_the_site_shows_the_measured_build_times():
    html_dir = require_build(HTML, "make book")
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    keys = re.findall(r"\{build-time\}`([a-z_]+)`", guide_text())
    assert len(keys) >= 5
    soup = BeautifulSoup((html_dir / "book" / "instructors.html").read_text(encoding="utf-8"),
                         "html.parser")
    shown = [s.get_text() for s in soup.select(".mlhw-build-time")]
    assert len(shown) == len(keys)
    for key, text in zip(keys, shown):
        low, high = seconds_range(text)
        assert low < record[key] <= high, (key, record[key], text)
