"""The PDFs (``make pdf``, ``make pdf-student``) are print-ready.

* every page of ``_toc.yml`` is in the PDF and no reference is unresolved (``??``);
* no character outside the CJK blocks is set in a CJK font (poppler's
  ``pdftohtml -xml`` gives every text fragment with its font);
* nothing runs off the page: LaTeX's log has no overfull line (``\\hbox``) wider
  than 1 pt and no page overfull by more than a line; a display equation that
  ``\\mlhwdisplay`` had to shrink is reported, and fails below 60 % of its size;
* the front matter is unnumbered (the first chapter is Chapter 1), the contents
  list the parts of ``_toc.yml``, there is one bibliography and no proof index;
* no page is blank;
* the code of cells tagged ``hide-input`` (plotting code) is not printed;
* every PDF bookmark is plain text (hyperref dropped no token from a heading);
* no space separates a quotation mark from the Chinese text it quotes;
* the indicator prints as the double-struck one, and figures are numbered within
  their chapter, 1.1, 1.2, ..., A.1, as on the site (``tests/test_numbering.py``
  compares every number with the site's);
* the student PDF has no solution;
* a cell's output starts on the page where its code ends;
* no source note is named by its file name.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata

import pytest
import yaml
from conftest import IN_CI, ROOT, SOURCE_FILE_NAME, toc_files

PDF = ROOT / "_build" / "latex" / "mlhw-book.pdf"
LOG = PDF.with_suffix(".log")
STUDENT_PDF = ROOT / "_build" / "student-pdf" / "_build" / "latex" / "mlhw-book.pdf"
CJK_FONTS = re.compile(r"UMing|UKai|Noto\s*(Sans|Serif)\s*CJK|SimSun|SimHei|Fandol|Nanum|Source\s*Han",
                       re.IGNORECASE)


def _require(path):
    if shutil.which("pdftotext") is None or shutil.which("pdftohtml") is None or not path.exists():
        message = (f"{path} or poppler missing: install texlive (see README) "
                   "and poppler-utils, then `make pdf pdf-student`")
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def _title(name: str) -> str:
    md, nb = ROOT / f"{name}.md", ROOT / f"{name}.ipynb"
    if md.exists():
        lines = md.read_text(encoding="utf-8").splitlines()
    else:
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        lines = [line for c in cells if c["cell_type"] == "markdown"
                 for line in "".join(c["source"]).splitlines()]
    return next(line[2:].strip() for line in lines if line.startswith("# "))


def _key(text: str) -> str:
    """Compare on letters and digits only: LaTeX changes dashes, quotes and math."""
    text = re.sub(r"\$[^$]*\$", "", text)
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _text(path, *args) -> str:
    return subprocess.run(["pdftotext", "-layout", *args, str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


@pytest.fixture(scope="module")
def pdf_text():
    return _text(_require(PDF))


@pytest.fixture(scope="module")
def pdf_pages(pdf_text):
    return pdf_text.split("\f")


def _contents(pdf_pages) -> str:
    """The text of the table of contents (from "Contents" to the first chapter page)."""
    start = next(i for i, p in enumerate(pdf_pages) if re.search(r"^\s*CONTENTS\s*$", p, re.M))
    out = []
    for page in pdf_pages[start:]:
        out.append(page)
        if re.search(r"^\s*Index\s+\d+\s*$", page, re.M):
            break
    return "\n".join(out)


@pytest.mark.parametrize("name", toc_files())
def test_every_page_title_is_in_the_pdf(pdf_text, name):
    title = _title(name)
    assert _key(title) in _key(pdf_text), f"title {title!r} of {name} not found in the PDF"


def test_pdf_has_no_unresolved_references(pdf_text):
    assert "??" not in pdf_text, "the PDF contains '??' (an unresolved reference)"


def _is_cjk(ch: str) -> bool:
    if ch.isspace():
        return True
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK", "HANGUL", "HIRAGANA", "KATAKANA", "BOPOMOFO", "IDEOGRAPHIC",
                            "FULLWIDTH", "HALFWIDTH")) or 0x3000 <= ord(ch) <= 0x303F


@pytest.mark.parametrize("pdf", [PDF, STUDENT_PDF], ids=["teacher", "student"])
def test_only_cjk_characters_are_set_in_a_cjk_font(pdf):
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-q", "-stdout", str(_require(pdf))],
                         capture_output=True, text=True, check=True).stdout
    fonts = dict(re.findall(r'<fontspec id="(\d+)"[^>]*family="([^"]*)"', xml))
    cjk = {fid for fid, family in fonts.items() if CJK_FONTS.search(family)}
    wrong = {}
    for fid, fragment in re.findall(r'<text [^>]*font="(\d+)"[^>]*>(.*?)</text>', xml):
        if fid in cjk:
            text = re.sub(r"<[^>]+>", "", fragment)
            text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
            for ch in text:
                if not _is_cjk(ch):
                    wrong.setdefault(ch, text)
    assert not wrong, "non-CJK characters set in a CJK font: " + "; ".join(
        f"{ch!r} (U+{ord(ch):04X}) in {ctx!r}" for ch, ctx in list(wrong.items())[:15])


def _log():
    _require(PDF)
    return LOG.read_text(encoding="utf-8", errors="replace")


def test_no_line_runs_off_the_page():
    over = [(float(pt), line) for pt, line in
            re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\) (.*)", _log())]
    wide = [f"{pt:.1f} pt: {line}" for pt, line in over if pt > 1.0]
    assert not wide, "lines wider than the text (see _build/latex/mlhw-book.log):\n" + "\n".join(wide)


def test_no_page_overfull_by_more_than_a_line():
    over = [(float(pt), line) for pt, line in
            re.findall(r"Overfull \\vbox \(([\d.]+)pt too high\) (.*)", _log())]
    tall = [f"{pt:.1f} pt: {line}" for pt, line in over if pt > 12.0]
    assert not tall, "pages taller than the text block:\n" + "\n".join(tall)


def test_scaled_displays_stay_legible():
    scaled = [(float(line_w) / float(natural), where) for line_w, natural, where in re.findall(
        r"mlhw: display scaled to ([\d.]+)pt from ([\d.]+)pt (on input line \d+)", _log())]
    for factor, where in scaled:
        print(f"display equation scaled to {factor:.0%} {where} of mlhw-book.tex")
    small = [f"{f:.0%} {w}" for f, w in scaled if f < 0.6]
    assert not small, ("display equations too wide even for scaling (break them into "
                       "aligned lines): " + ", ".join(small))


def test_front_matter_is_unnumbered_and_parts_are_listed(pdf_pages):
    contents = _contents(pdf_pages)
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    # (a part without a caption, the bibliography, has no line of its own)
    parts = [p for p in toc["parts"] if p.get("caption", "front matter").lower() != "front matter"]
    for part in parts:
        assert re.search(rf"^\s*{re.escape(part['caption'])}\s+\d+\s*$", contents, re.M), (
            f"part {part['caption']!r} is not in the contents")
    first = _title(parts[0]["chapters"][0]["file"])
    numbered = re.search(r"^\s*1\s+(\S.*?)\s{2,}\d+\s*$", contents, re.M)
    assert numbered and _key(numbered.group(1)) in _key(first), (
        f"Chapter 1 should be {first!r}, the contents say {numbered and numbered.group(1)!r}")
    assert re.search(r"^\s*Introduction\s+\d+\s*$", contents, re.M), "no unnumbered Introduction"


def test_one_bibliography_and_no_proof_index(pdf_pages):
    contents = _contents(pdf_pages)
    assert len(re.findall(r"^\s*(?:[A-Z]\s+|\d+\s+)?Bibliography\s+\d+\s*$", contents, re.M)) == 1
    assert not re.search(r"Proof Index", contents, re.I), "a proof index of internal labels"
    tex = PDF.with_suffix(".tex").read_text(encoding="utf-8")
    assert tex.count("\\begin{sphinxthebibliography}") == 1
    assert "\\chapter{Bibliography}" not in tex, "an empty numbered Bibliography chapter"


def test_bibliography_is_author_year(pdf_pages):
    page = next(p for p in pdf_pages if "Long short-term memory" in p
                and re.search(r"Hochreiter, S\. and Schmidhuber, J\.\s+\(1997\)\.", p))
    assert not re.search(r"^\s*\[\d+\]", page, re.M), "numbered bibliography entries"


def test_no_blank_pages(pdf_pages):
    # a page with no more than its header and number is blank; the last '\f' ends the file
    blank = [i + 1 for i, page in enumerate(pdf_pages[:-1]) if len(page.split()) <= 2]
    assert not blank, f"blank pages: {blank}"


def test_student_pdf_has_no_solutions(pdf_text):
    student = _text(_require(STUDENT_PDF))
    assert "Solution to Exercise" in pdf_text, "the teacher PDF should show solutions"
    assert not re.search(r"Solution to Exercise", student), "the student PDF shows solutions"
    assert "student edition" in student.lower()
    # every exercise is still there
    heads = re.compile(r"^\s*Exercise (?:\d+|[A-Z])\.\d+\s*$", re.M)
    assert len(heads.findall(student)) == len(heads.findall(pdf_text)) > 0


def _hidden_code() -> list[list[str]]:
    """The lines of every cell tagged hide-input (plotting code) that are long (28
    letters or more) and appear nowhere else in the book's sources."""
    hidden, shown = [], []
    for nb in sorted((ROOT / "book").glob("*.ipynb")):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code" and "hide-input" in cell["metadata"].get("tags", []):
                hidden.append(source.splitlines())
            else:
                shown.append(_key(source))
    elsewhere = "|".join(shown)
    return [[line for line in cell if len(_key(line)) >= 28 and _key(line) not in elsewhere]
            for cell in hidden]


def test_hidden_plotting_code_is_not_printed(pdf_text):
    cells = _hidden_code()
    assert len(cells) >= 15
    text = _key(pdf_text)
    printed = [next(line for line in cell if _key(line) in text) for cell in cells
               if any(_key(line) in text for line in cell)]
    assert not printed, (f"code of {len(printed)} hide-input cells printed in the PDF, e.g. "
                         f"{printed[:3]}")


def test_bookmarks_are_plain_text():
    dropped = re.findall(r"Token not allowed in a PDF string.*?\n.*?removing `([^']*)'", _log(),
                         re.DOTALL)
    assert not dropped, f"headings whose PDF bookmark lost TeX: {len(dropped)} tokens removed"


def test_no_space_inside_quotation_marks_around_chinese(pdf_text):
    cjk = "\u3400-\u4dbf\u4e00-\u9fff"
    spaced = re.findall(f"[“‘] +[{cjk}].{{0,12}}|.{{0,12}}[{cjk}] +[”’]", pdf_text)
    assert "第三個" in pdf_text
    assert not spaced, f"a space between a quotation mark and Chinese text: {spaced[:3]}"


def test_indicator_and_figure_numbers(pdf_text):
    """The indicator is the double-struck one (amssymb's \\mathbb{1} prints another
    symbol, U+22AE), and figures are numbered within their chapter, 1.1, 1.2, ..., as
    on the site; the appendices' figures are lettered (C.1, not 3.1)."""
    assert "\u22ae" not in pdf_text and "\U0001d7d9" in pdf_text
    numbers = re.findall(r"^\s*Fig\. (\d+|[A-Z])\.(\d+):", pdf_text, re.M)
    by_chapter = {}
    for chapter, n in numbers:
        by_chapter.setdefault(chapter, []).append(int(n))
    assert len(numbers) >= 20 and all(ns == list(range(1, len(ns) + 1))
                                      for ns in by_chapter.values()), numbers
    assert "C" in by_chapter, "appendix C's figure is not lettered"


def test_no_source_is_named_by_its_file_name(pdf_text):
    found = [m.group(0) for m in SOURCE_FILE_NAME.finditer(pdf_text)]
    assert not found, f"the PDF names sources by file name: {found[:10]}"


def test_output_starts_on_the_page_where_its_code_ends():
    """The LaTeX rewrite forbids a page break between a cell's code and its output
    (the lists that set them invite one) and leaves a cell without output alone."""
    import sys
    sys.path.insert(0, str(ROOT / "_ext"))
    import latex_book

    verbatim = "\\begin{sphinxVerbatim}[commandchars=\\\\\\{\\}]\nx = 1\n\\end{sphinxVerbatim}\n"
    with_output = ("\\begin{sphinxuseclass}{cell_input}\n" + verbatim + "\n\\end{sphinxuseclass}\n"
                   "\\begin{sphinxuseclass}{cell_output}\n" + verbatim + "\\end{sphinxuseclass}\n")
    alone = "\\begin{sphinxuseclass}{cell_input}\n" + verbatim + "\\end{sphinxuseclass}\nText.\n"
    out = latex_book._output_with_code(alone + with_output)
    assert out.startswith(alone), "a cell without output was changed"
    kept = out[len(alone):]
    assert kept.index("@endparpenalty\\endcsname=10000") < kept.index("\\begin{sphinxVerbatim}")
    assert (kept.index("{cell_output}") < kept.index("@beginparpenalty\\endcsname=10000")
            < kept.rindex("\\begin{sphinxVerbatim}"))


def _latex_book():
    import sys
    sys.path.insert(0, str(ROOT / "_ext"))
    import latex_book
    return latex_book


def test_greek_letters_in_chapter_titles_become_math():
    """fncychap's Bjarne style capitalises chapter titles: a text π printed as Π (a product
    sign) and μ as Μ (an M). The rewrite turns lower-case Greek letters of part and chapter
    titles into math, which is not case-changed; capitals, section titles and the body are
    left alone, and the PDF bookmark keeps a plain π."""
    lb = _latex_book()
    tex = ("\\chapter{EM for Gaussian mixtures: the π, μ, Σ updates}\n\\label{x}\n"
           "\\section{The π update}\nText with π.\n")
    out = lb._greek_titles(tex)
    assert out.splitlines()[0] == ("\\chapter{EM for Gaussian mixtures: the \\protect\\(\\pi"
                                   "\\protect\\), \\protect\\(\\mu\\protect\\), Σ updates}")
    assert out.splitlines()[1:] == tex.splitlines()[1:]
    marked = lb._bookmarks(out).splitlines()[0]
    assert "\\texorpdfstring{\\protect\\(\\pi\\protect\\)}{π}" in marked
    assert "\\texorpdfstring{\\protect\\(\\mu\\protect\\)}{μ}" in marked


@pytest.mark.skipif(not (shutil.which("xelatex") and shutil.which("pdftotext")),
                    reason="needs xelatex and pdftotext")
def test_capitalised_chapter_title_keeps_its_greek_letters(tmp_path):
    """Compile a chapter title with fncychap's Bjarne style, as written by Sphinx and as
    rewritten: the original prints Π and Μ, the rewrite π and μ (µ, U+00B5, in some fonts)."""
    lb = _latex_book()
    title = "\\chapter{the π, μ, Σ updates}"
    doc = ("\\documentclass{report}\\usepackage{fontspec}\\setmainfont{FreeSerif}"
           "\\usepackage[Bjarne]{fncychap}\\begin{document}\n"
           + title + "\n" + lb._greek_titles(title) + "\n\\end{document}\n")
    (tmp_path / "t.tex").write_text(doc)
    run = subprocess.run(["xelatex", "-interaction=nonstopmode", "t.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=180)
    if not (tmp_path / "t.pdf").exists():
        pytest.skip("xelatex could not compile (FreeSerif missing?)")
    text = subprocess.run(["pdftotext", "t.pdf", "-"], cwd=tmp_path, capture_output=True,
                          text=True, check=True).stdout
    lines = [line for line in text.splitlines() if "THE" in line]
    assert len(lines) == 2, (text, run.stdout[-500:])
    assert "Π" in lines[0] and "Μ" in lines[0]                # the bug, reproduced
    assert "π" in lines[1] and ("μ" in lines[1] or "µ" in lines[1])
    assert "Π" not in lines[1] and "Μ" not in lines[1]


# ------------------------------------------------------------- page breaks
NOTEBOOKS = sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))
SKIPPED_TAGS = {"hide-input", "remove-input", "remove-cell"}


def _first_printed_code_cell(stem: str) -> list[str]:
    """The lines of a chapter's first code cell that the PDF prints (its import cell)."""
    cells = json.loads((ROOT / "book" / f"{stem}.ipynb").read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if (cell["cell_type"] == "code" and "".join(cell["source"]).strip()
                and not SKIPPED_TAGS & set(cell["metadata"].get("tags", []))):
            return [line for line in "".join(cell["source"]).splitlines() if _key(line)]
    return []


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_a_chapters_first_code_cell_is_on_one_page(pdf_pages, stem):
    """A short block of code is never split by a page break (``_ext/latex_book.py``): the
    import cell at the start of each chapter is read on one page."""
    sys_path = str(ROOT / "_ext")
    import sys
    if sys_path not in sys.path:
        sys.path.insert(0, sys_path)
    import latex_book

    lines = _first_printed_code_cell(stem)
    if not lines or len(lines) > latex_book.IMPORT_CELL_LINES:
        pytest.skip(f"{stem}: no short code cell to print")
    whole = _key("".join(lines))
    first = _key(lines[0])
    keys = [_key(page) for page in pdf_pages]
    assert any(first in k for k in keys), f"{stem}: its first code cell is not in the PDF"
    assert any(whole in k for k in keys), (
        f"{stem}: its first code cell ({len(lines)} lines) is split across a page break: "
        f"it starts on page {next(i + 1 for i, k in enumerate(keys) if first in k)}")


RUNNING_LINES = {"Machine Learning, Worked and Checked", "(continued from previous page)",
                 "(continues on next page)"}
# the footer: the section's title and the page number, or the number alone
FOOTER = re.compile(r"^(.*\S\s{3,})?[0-9ivxlc]+$")
OPENER = re.compile(r"^(Chapter|CHAPTER|Appendix|APPENDIX)\b|^(Contents|CONTENTS|Index|Bibliography)$")
CAPTION = re.compile(r"^(Fig\.|Table) [0-9A-Z]+\.\d+:")


def _body_lines(page: str) -> list[str]:
    """A page's lines of text without its running header, footer and page number."""
    lines = [s for s in (line.strip() for line in page.splitlines())
             if s and s not in RUNNING_LINES]
    if lines and FOOTER.match(lines[-1]):
        lines.pop()
    return lines


def _image_height_share(number: int, tmp_path) -> float:
    """The tallest image on page ``number`` of the PDF, as a share of the page's height."""
    subprocess.run(["pdftohtml", "-xml", "-q", "-f", str(number), "-l", str(number), str(PDF),
                    str(tmp_path / "page")], check=True, capture_output=True)
    xml = (tmp_path / "page.xml").read_text(encoding="utf-8", errors="replace")
    page = float(re.search(r'<page [^>]*height="([\d.]+)"', xml).group(1))
    heights = [float(h) for h in re.findall(r'<image [^>]*height="([\d.]+)"', xml)]
    return max(heights, default=0.0) / page


def test_no_page_holds_only_a_figure_or_two_lines(pdf_pages, tmp_path):
    """Figures go on top of text pages (the preamble's float parameters), not alone on a
    page: no page holds only a figure (its caption the only text) or fewer than three
    lines of text, the title page and chapter openers aside. A figure over half the
    page's height may have a page of its own (no text would fit beside it)."""
    thin = []
    for number, page in enumerate(pdf_pages[:-1], start=1):
        body = _body_lines(page)
        if number == 1 or any(OPENER.match(line) for line in body):
            continue
        captions = [k for k, line in enumerate(body) if CAPTION.match(line)]
        # a figure page: the caption (one to four lines) is all the text
        only_figure = bool(captions) and captions[0] == 0 and len(body) <= 4
        if only_figure and _image_height_share(number, tmp_path) > 0.5:
            continue
        if len(body) < 3 or only_figure:
            thin.append(f"page {number}: {' / '.join(body)[:90]!r}")
    assert not thin, f"{len(thin)} pages hold only a figure or under three lines: {thin[:6]}"


def test_short_code_asks_for_its_space_before_the_code_not_the_output():
    """``_keep_short_code``: a ``\\needspace`` before a short cell's code (before its
    "Checks ..." line when it has one), none before its output (kept with the code: a
    break there would leave the asked-for space on the page), none before long code."""
    latex_book = _latex_book()

    def verbatim(n):
        return ("\\begin{sphinxVerbatim}[commandchars=\\\\\\{\\}]\n" + "x = 1\n" * n
                + "\\end{sphinxVerbatim}\n")

    def cell(n_code, n_out, checks=False):
        return (("\\sphinxAtStartPar\nChecks Theorem 1.1:\n\n" if checks else "")
                + "\\begin{sphinxuseclass}{cell}\n\\begin{sphinxuseclass}{cell_input}\n"
                + verbatim(n_code) + "\\end{sphinxuseclass}\n"
                + "\\begin{sphinxuseclass}{cell_output}\n" + verbatim(n_out)
                + "\\end{sphinxuseclass}\n\\end{sphinxuseclass}\n")

    long = latex_book.IMPORT_CELL_LINES + 1
    tex = ("\\chapter{A}\nText.\n" + cell(30, 2) + "More.\n" + cell(3, 2, checks=True)
           + cell(long, 1) + "\\chapter{B}\n" + cell(long, 1))
    out = latex_book._keep_short_code(tex)
    # the first cell of chapter A (30 lines, an import cell) and the checked 3-line cell
    assert out.count("\\needspace") == 2
    assert "\\needspace{31\\baselineskip}%\n\\begin{sphinxVerbatim}" in out
    assert "\\needspace{6\\baselineskip}%\n\\sphinxAtStartPar\nChecks" in out
    assert "{cell_output}\n\\needspace" not in out
