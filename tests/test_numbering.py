"""Exercises, theorem-like blocks and figures are numbered within their chapter.

The chapter numbers are the book's order: the numbered parts of ``_toc.yml`` count
1, 2, ... (numbering continues from part to part), the part "Appendices" is
lettered A, B, ...; the front matter and the bibliography are unnumbered. So
Exercise 3.2 is the second exercise of Chapter 3, and adding an exercise to a
chapter renumbers that chapter only.

* on the site, every page's title carries its chapter number and every numbered
  block reads "<kind> <chapter>.<n>", n = 1, 2, ... for each kind within the
  chapter, in the order of the page;
* every link whose text is a block's number ("Theorem A.5", "Solution to
  Exercise 3.2") shows the number of the block it points to;
* the student edition numbers every block exactly as the site does;
* the PDF (and the student PDF) number the chapters, blocks, figures and
  solutions as the site: the same numbers, kind by kind, in the same order;
* (each chapter's slides number what they show as its page: tests/test_slides.py).
"""

from __future__ import annotations

import re
import subprocess
from collections import defaultdict
from functools import cache
from urllib.parse import urlsplit

import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import ROOT, STUDENT_HTML, require_build, toc_files
from test_pdf import PDF, STUDENT_PDF, _require, _title

KIND = (r"Exercise|Theorem|Lemma|Proposition|Corollary|Definition|Algorithm|Remark|Example|"
        r"Conjecture|Criterion|Axiom|Assumption|Notation|Observation|Property|Fig\.|Table|"
        r"Listing")
NUMBER = r"(?:\d+|[A-Z])\.\d+"
LABEL = re.compile(rf"^({KIND}) ({NUMBER})$")


def expected_chapters() -> dict[str, str]:
    """``page -> chapter number`` from ``_toc.yml``, as sphinx-external-toc numbers them
    with ``use_multitoc_numbering``: numerical parts continue, lettered parts restart."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    out, count = {}, 0
    for part in toc["parts"]:
        if not part.get("numbered"):
            continue
        letters = part.get("style") == "alphaupper"
        for k, chapter in enumerate(part["chapters"], start=1):
            if letters:
                out[chapter["file"]] = chr(ord("A") + k - 1)
            else:
                count += 1
                out[chapter["file"]] = str(count)
    return out


CHAPTERS = expected_chapters()


def test_chapters_are_numbered_in_the_order_of_the_book():
    """The issue's numbering: the chapters 1-5 in the order of the parts, the
    appendices lettered; the front matter and the bibliography unnumbered."""
    assert [CHAPTERS.get(f"book/{s}") for s in
            ("lstm_trace", "bptt", "adaboost", "em_elbo_kl", "gmm_em")] == list("12345")
    assert CHAPTERS.get("book/matrix_calculus") == "A" and CHAPTERS.get("book/performance") == "C"
    assert not {"book/intro", "book/notation", "book/bibliography"} & set(CHAPTERS)


# --------------------------------------------------------------------------- the site
@cache
def _soup(html_dir, page: str) -> BeautifulSoup:
    return BeautifulSoup((html_dir / f"{page}.html").read_text(encoding="utf-8"), "html.parser")


@cache
def _blocks(html_dir, page: str) -> tuple[tuple[str, str, str], ...]:
    """``(anchor, kind, number)`` of every numbered block of a page, in page order."""
    soup = _soup(html_dir, page)
    out = []
    for span in soup.select("span.caption-number"):
        match = LABEL.match(" ".join(span.get_text().split()))
        assert match, f"{page}: a block numbered {span.get_text()!r}, not <kind> <chapter>.<n>"
        owner = next(p for p in span.parents if p.get("id"))
        out.append((owner["id"], match.group(1), match.group(2)))
    return tuple(out)


def _solutions(html_dir, page: str) -> list[str]:
    soup = _soup(html_dir, page)
    return [" ".join(t.get_text(" ").split()) for t in soup.select("div.solution > .admonition-title")]


def _sequences(items) -> dict[str, list[str]]:
    """``kind -> [number, ...]`` in order."""
    out = defaultdict(list)
    for kind, number in items:
        out[kind].append(number)
    return dict(out)


def site_sequences(html_dir, pages=None) -> dict[str, list[str]]:
    """Every numbered block and solution of the book, kind by kind, in book order."""
    items = []
    for page in pages or toc_files():
        items += [(kind, number) for _, kind, number in _blocks(html_dir, page)]
        for title in _solutions(html_dir, page):
            match = re.fullmatch(rf"Solution to (Exercise) ({NUMBER})", title)
            assert match, f"{page}: solution titled {title!r}"
            items.append(("Solution to Exercise", match.group(2)))
    return _sequences(items)


@pytest.mark.parametrize("page", toc_files())
def test_page_title_carries_its_chapter_number(html_dir, page):
    soup = _soup(html_dir, page)
    number = soup.select_one("h1 > span.section-number")
    shown = number.get_text().strip().rstrip(".") if number else None
    assert shown == CHAPTERS.get(page), f"{page}: title numbered {shown!r}, expected {CHAPTERS.get(page)!r}"


@pytest.mark.parametrize("page", toc_files())
def test_blocks_are_numbered_within_their_chapter(html_dir, page):
    blocks = _blocks(html_dir, page)
    if page not in CHAPTERS:
        assert not blocks, f"{page} is unnumbered but has numbered blocks: {blocks[:3]}"
        return
    by_kind = _sequences((kind, number) for _, kind, number in blocks)
    chapter = CHAPTERS[page]
    for kind, numbers in by_kind.items():
        assert numbers == [f"{chapter}.{n}" for n in range(1, len(numbers) + 1)], (
            f"{page}: {kind} numbered {numbers}, expected {chapter}.1, {chapter}.2, ...")


def test_the_book_has_numbered_blocks_in_every_chapter(html_dir):
    seq = site_sequences(html_dir)
    exercises = seq.get("Exercise", [])
    for page, chapter in CHAPTERS.items():
        if page.endswith(("lstm_trace", "bptt", "adaboost", "em_elbo_kl", "gmm_em")):
            assert f"{chapter}.1" in exercises, f"{page}: no Exercise {chapter}.1"
    assert sorted(seq.get("Solution to Exercise", [])) == sorted(exercises), (
        "solutions do not name their exercises")


def _numbers_by_anchor(html_dir) -> dict[tuple[str, str], str]:
    return {(page.split("/")[-1] + ".html", anchor): f"{kind} {number}"
            for page in toc_files() for anchor, kind, number in _blocks(html_dir, page)}


@pytest.mark.parametrize("build", ["site", "student"])
def test_links_show_the_number_of_their_target(html_dir, build):
    root = html_dir if build == "site" else require_build(STUDENT_HTML, "make book-student")
    numbers = _numbers_by_anchor(root)
    checked, wrong = 0, []
    for page in toc_files():
        soup = _soup(root, page)
        for link in soup.select("a.reference.internal[href*='#']"):
            text = " ".join(link.get_text(" ").split())
            if not LABEL.match(text):
                continue
            href = urlsplit(link["href"])
            target = (href.path or page.split("/")[-1] + ".html", href.fragment)
            checked += 1
            if numbers.get(target) != text:
                wrong.append(f"{page}: {text!r} links to {target} = {numbers.get(target)!r}")
    assert checked >= 50, f"only {checked} numbered links found"
    assert not wrong, "\n".join(wrong[:20])


def test_student_edition_numbers_as_the_site(html_dir):
    student = require_build(STUDENT_HTML, "make book-student")
    for page in toc_files():
        assert _blocks(student, page) == _blocks(html_dir, page), (
            f"{page}: the student edition numbers its blocks differently")
    assert _solutions(html_dir, "book/adaboost") and not _solutions(student, "book/adaboost")


# --------------------------------------------------------------------------- the PDF
PDF_BLOCK = re.compile(
    rf"^(?:(?P<kind>{KIND}) (?P<number>{NUMBER})(?: \((?!page \d).*)?"  # a block's title
    rf"|(?P<fig>Fig\.) (?P<fignum>{NUMBER}): .*"                         # a caption
    rf"|(?P<sol>Solution to Exercise) (?P<solnum>{NUMBER}))$", re.M)


def pdf_sequences(path) -> dict[str, list[str]]:
    """The titles of numbered blocks, captions and solutions in the PDF, kind by kind.

    A title starts its line and is followed by nothing or its name in parentheses;
    a reference in the text is followed by its page, "(page 69)", or runs on."""
    text = subprocess.run(["pdftotext", str(_require(path)), "-"], capture_output=True, text=True,
                          check=True).stdout
    items = []
    for m in PDF_BLOCK.finditer(text):
        if m.group("kind"):
            items.append((m.group("kind"), m.group("number")))
        elif m.group("fig"):
            items.append(("Fig.", m.group("fignum")))
        else:
            items.append(("Solution to Exercise", m.group("solnum")))
    return _sequences(items)


def _sorted(seq: dict[str, list[str]]) -> dict[str, list[str]]:
    """Numbers in numeric order (LaTeX may float a figure past the next block)."""
    def key(number):
        chapter, n = number.split(".")
        return (chapter.isalpha(), int(chapter) if chapter.isdigit() else chapter, int(n))
    return {kind: sorted(numbers, key=key) for kind, numbers in seq.items()}


def test_pdf_numbers_blocks_as_the_site(html_dir):
    site, pdf = site_sequences(html_dir), pdf_sequences(PDF)
    assert _sorted(pdf) == _sorted(site), (
        "the PDF numbers differently from the site:\n" + "\n".join(
            f"{kind}: site {site.get(kind)}, PDF {pdf.get(kind)}"
            for kind in sorted(set(site) | set(pdf)) if site.get(kind) != pdf.get(kind)))


def test_student_pdf_numbers_blocks_as_the_site(html_dir):
    site = site_sequences(require_build(STUDENT_HTML, "make book-student"))
    pdf = pdf_sequences(STUDENT_PDF)
    assert "Solution to Exercise" not in pdf and _sorted(pdf) == _sorted(site), (
        f"student PDF {pdf} against the student site {site}")


def test_pdf_chapters_are_numbered_as_the_site():
    text = subprocess.run(["pdftotext", "-layout", "-l", "12", str(_require(PDF)), "-"],
                          capture_output=True, text=True, check=True).stdout
    text = text.replace("\f", "\n")  # a contents line that opens a page starts with a form feed
    contents = {}
    for number, title in re.findall(r"^(\d+|[A-Z]) {1,3}(\S.*?)\s{2,}\d+\s*$", text, re.M):
        contents.setdefault(number, title)
    for page, number in CHAPTERS.items():
        key = re.sub(r"[^a-z0-9]", "", _title(page).lower())[:30]
        assert number in contents and key in re.sub(r"[^a-z0-9]", "", contents[number].lower()), (
            f"the PDF's contents do not list {_title(page)!r} as {number}: {contents.get(number)!r}")


# --------------------------------------------------------------------------- the slides
# A lecture deck shows a selection of the chapter: that every theorem, exercise and figure
# on a slide carries the number the chapter page gives it, and the title slide the
# chapter's number, is tests/test_slides.py::test_numbers_as_on_the_chapter_page.
