"""The student edition (``make book-student``) contains no solution text anywhere.

The teacher build is the reference: every solution block it shows is looked for
in every file of the student site (pages, search index, scripts, downloads).
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import HTML, ROOT, STUDENT_HTML, require_build, source_file_names


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def teacher_solutions() -> list[tuple[str, str]]:
    """(page, solution body text) for every solution block of the teacher build."""
    require_build(HTML, "make book")
    found = []
    for page in sorted((HTML / "book").glob("*.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for block in soup.select("div.solution"):
            title = block.select_one(".admonition-title")
            if title:
                title.extract()
            body = _normalise(block.get_text(" "))
            if body:
                found.append((page.name, body))
    return found


@pytest.fixture(scope="module")
def student_files():
    """Every text file of the student site, and every text file inside its zips (the
    notebook bundle), keyed by path (a zip's member as ``ZIP/member``)."""
    html = require_build(STUDENT_HTML, "make book-student")
    files = {p: p.read_text(encoding="utf-8", errors="replace")
             for p in sorted(html.rglob("*")) if p.is_file() and p.suffix in
             {".html", ".js", ".txt", ".md", ".ipynb", ".json"} and "slides" not in p.parts
             and "mathjax" not in p.parts}
    zips = sorted(html.rglob("*.zip"))
    assert zips, "the student edition publishes its notebook bundle"
    for archive in zips:
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                if Path(name).suffix in {".ipynb", ".md", ".txt", ".json"}:
                    files[archive / name] = zf.read(name).decode("utf-8", errors="replace")
    return files


def test_teacher_build_has_solutions():
    solutions = teacher_solutions()
    pages = {page for page, _ in solutions}
    assert len(solutions) >= 4 * len(pages) and pages, (
        f"expected at least 4 solutions per chapter, found {len(solutions)} on {sorted(pages)}")


def test_student_pages_have_no_solution_blocks(student_files):
    offenders = [p.name for p, text in student_files.items()
                 if p.suffix == ".html" and 'class="solution' in text]
    assert not offenders, f"solution blocks in the student edition: {offenders}"


def test_no_solution_text_leaks_into_student_files(student_files):
    haystack = {p: _normalise(BeautifulSoup(t, "html.parser").get_text(" "))
                if p.suffix == ".html" else _normalise(t) for p, t in student_files.items()}
    leaks = []
    for page, body in teacher_solutions():
        # a distinctive snippet: the solution's first 80 characters
        snippet = body[:80]
        if len(snippet) < 25:
            continue
        for path, text in haystack.items():
            if snippet in text:
                leaks.append(f"{page}: {snippet!r} found in {path.name}")
    assert not leaks, "solution text leaks into the student edition:\n" + "\n".join(leaks[:20])


def test_student_edition_publishes_no_sources_and_only_student_notebooks(student_files):
    html = STUDENT_HTML
    assert not (html / "_sources").exists(), "student edition publishes page sources"
    notebooks = {p: text for p, text in student_files.items() if p.suffix == ".ipynb"}
    chapters = {p.stem for p in (ROOT / "book").glob("*.ipynb")}
    # each chapter twice: on the site (notebooks/) and in the bundle
    assert sorted(p.stem for p in notebooks) == sorted(2 * list(chapters))
    wrong = [str(p) for p, text in notebooks.items()
             if json.loads(text)["metadata"].get("mlhw", {}).get("edition") != "student"]
    assert not wrong, f"notebooks that are not the student edition's: {wrong}"


def test_every_student_page_names_the_edition(student_files):
    pages = [p for p in student_files if p.suffix == ".html" and p.parent.name == "book"]
    assert pages
    unnamed = [p.name for p in pages
               if "Student edition: the exercises without their solutions." not in student_files[p]]
    assert not unnamed, f"student pages without the edition's banner: {unnamed}"


def test_no_source_is_named_by_its_file_name(student_files):
    pages = [p for p in student_files if p.suffix == ".html"]
    assert pages
    found = [f"{page.name}: {name!r}" for page in pages
             for name in source_file_names(student_files[page])]
    assert not found, "student pages name sources by file name:\n" + "\n".join(found[:20])
