"""The lecture decks (``make slides``, part of ``make book``) work in a lecture.

The published ``slides/`` folder is copied alone into a temporary folder and every
deck is opened from there (``file://``) in Chromium (puppeteer-core, npm) at
1280 x 720, slide by slide:

* nothing is requested that is not in the folder, no font fails, every formula is
  typeset (no MathJax error, none of zero size);
* every slide fits the slide, with no text smaller than 24 px, no display formula cut
  off, a title, nothing under the navigation arrows, no unresolved reference;
* a code cell shows its output on the same slide, highlighted (several colours);
* at most three slides of a deck are less than 30 % filled;
* every slide but the title and the learning goals has speaker notes;
* a deck of two lectures marks where lecture 2 starts, once, visibly (a mark on that
  slide, the lectures listed on the title slide), and ``#/lecture-2`` opens that slide;
  a deck of one lecture marks nothing;

and from the decks' HTML and the chapters:

* at most 45 slides, never "(continued)"; no plotting or table-formatting code;
* every paragraph of the chapter is on a slide or in the notes, no solution is in
  either, every exercise is listed; every theorem, exercise and figure on a slide, and
  the chapter on the title slide, carries its number on the site;
* each deck has a PDF handout with one page per slide, the lecture break on its pages
  as on the slides, and the chapter page links deck and handout;
* the speaker view (key ``S``) shows the notes, their formulas as MathML;
* on a 390-px phone a deck reads as a page, with text at a reading size.

The builder itself (no browser) is tested on a synthetic chapter: notes, glue,
references, solutions, lecture breaks, and a loud failure for every name an outline
gets wrong and every lecture break it marks wrongly.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import HTML, ROOT
from site_server import browser_checks, html_server  # noqa: F401  (fixtures)

sys.path.insert(0, str(ROOT / "tools"))

DECKS = sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))
MAX_SLIDES = 45
MIN_TEXT_PX = 23.5  # "nothing smaller than about 24 px" at 1280 x 720
FIT_SLACK = 1       # px: rounding of sub-pixel layout


def _deck_html(stem: str) -> str:
    return (HTML / "slides" / f"{stem}.slides.html").read_text(encoding="utf-8")


def _sections(deck: str) -> list[str]:
    return re.findall(r"<section\b.*?</section>", deck, re.DOTALL)


@pytest.fixture(scope="module")
def copied(html_dir, tmp_path_factory):
    """The published slides folder, copied alone (nothing of the site beside it)."""
    source = html_dir / "slides"
    assert source.is_dir(), "no slides in the site: run `make book`"
    target = tmp_path_factory.mktemp("usb-stick") / "slides"
    shutil.copytree(source, target)
    return target


@pytest.fixture(scope="module")
def walked(chromium, browser_checks, copied):
    paths = [f"{stem}.slides.html" for stem in DECKS]
    missing = [p for p in paths if not (copied / p).is_file()]
    assert not missing, f"decks missing (run `make book`): {missing}"
    return browser_checks("decks-from-files", paths, base=copied.as_uri() + "/")


def _slides(walked, stem):
    return walked[f"{stem}.slides.html"]["slides"]


def _where(s) -> str:
    return f"slide {s['index'] + 1} {s['title']!r}"


# --- the folder works copied alone ------------------------------------------------------

@pytest.mark.parametrize("stem", DECKS)
def test_deck_works_copied_alone(walked, stem):
    deck = walked[f"{stem}.slides.html"]
    assert not deck["failed"], f"{stem}: requests that failed from file://: {deck['failed'][:5]}"
    assert not deck["errors"], f"{stem}: script errors: {deck['errors'][:3]}"
    broken = [f for f in deck["fonts"] if f["status"] == "error"]
    assert not broken, f"{stem}: fonts that did not load: {broken}"
    assert any(f["family"].startswith("MJX") and f["status"] == "loaded" for f in deck["fonts"]), \
        f"{stem}: no math font loaded"
    assert deck["formulas"] > 0 and deck["merrors"] == 0, f"{stem}: {deck['merrors']} MathJax errors"
    typeset = sum(s["formulas"] for s in deck["slides"])
    empty = [f"{_where(s)}: {s['empty_formulas']}" for s in deck["slides"] if s["empty_formulas"]]
    assert typeset > 0 and not empty, f"{stem}: formulas not drawn: {empty}"
    raw = [s for s in deck["slides"] if re.search(r"\\\(|\\\[|\$\$", s["text"])]
    assert not raw, f"{stem}: raw TeX on {[_where(s) for s in raw]}"
    unloaded = [f"{_where(s)}: {i['src']}" for s in deck["slides"] for i in s["images"]
                if not i["loaded"]]
    assert not unloaded, f"{stem}: images that did not load: {unloaded}"


def test_decks_name_nothing_outside_their_folder(html_dir):
    """Every asset a deck loads is addressed inside the slides folder, relatively."""
    for stem in DECKS:
        deck = _deck_html(stem)
        assets = re.findall(r'<(?:link|script|img|source)\b[^>]*\b(?:href|src)="([^"]+)"', deck)
        assets += re.findall(r'url\("?([^")]+)"?\)', deck)
        outside = [a for a in assets if a.startswith(("/", "../", "http:", "https:", "//"))]
        assert assets and not outside, f"{stem}: assets outside the folder: {outside[:5]}"
        for asset in assets:
            if asset.startswith("data:"):
                continue
            assert (html_dir / "slides" / asset.split("?")[0]).is_file(), f"{stem}: {asset} missing"


# --- every slide, in the browser -----------------------------------------------------------

@pytest.mark.parametrize("stem", DECKS)
def test_every_slide_fits_the_screen(walked, stem):
    bad = [f"{_where(s)}: {s['over_bottom']} px too tall, {s['over_right']} px too wide"
           for s in _slides(walked, stem)
           if s["over_bottom"] > FIT_SLACK or s["over_right"] > FIT_SLACK]
    assert not bad, f"{stem}: slides that do not fit 1280 x 720:\n" + "\n".join(bad)


@pytest.mark.parametrize("stem", DECKS)
def test_no_text_smaller_than_24_px(walked, stem):
    slides = _slides(walked, stem)
    small = [f"{_where(s)}: {s['min_font']} px ({s['small'][:2]})" for s in slides
             if s["min_font"] < MIN_TEXT_PX]
    assert not small, f"{stem}: text below 24 px:\n" + "\n".join(small)
    assert all(s["number_size"] >= 24 for s in slides), f"{stem}: slide number below 24 px"


@pytest.mark.parametrize("stem", DECKS)
def test_no_unresolved_reference_or_cut_formula(walked, stem):
    slides = _slides(walked, stem)
    bad = [f"{_where(s)}: {s['unresolved']}" for s in slides if s["unresolved"]]
    bad += [f"{_where(s)}: MathJax error" for s in slides if s["merror"]]
    bad += [f"{_where(s)}: {s['cut_formulas']} display formulas cut off" for s in slides
            if s["cut_formulas"]]
    bad += [f"{_where(s)}: no title" for s in slides if not s["title"].strip()]
    bad += [f"{_where(s)}: content under the arrows" for s in slides if s["under_arrows"]]
    assert not bad, f"{stem}:\n" + "\n".join(bad)


@pytest.mark.parametrize("stem", DECKS)
def test_few_nearly_empty_slides(walked, stem):
    """A slide is there to show something: at most three of a deck are less than 30 %
    filled (the title slide aside)."""
    empty = [f"{_where(s)}: {s['fill']:.0%}" for s in _slides(walked, stem)[1:] if s["fill"] < 0.3]
    assert len(empty) <= 3, f"{stem}: {len(empty)} slides under 30 % filled:\n" + "\n".join(empty)


@pytest.mark.parametrize("stem", DECKS)
def test_code_with_its_output_and_highlighted(walked, stem):
    """A cell shown on a slide shows what it printed on the same slide; code is
    highlighted (keywords, names, strings and comments in different colours)."""
    import nbformat
    from build_slides import _shown_outputs

    nb = nbformat.read(ROOT / "book" / f"{stem}.ipynb", as_version=4)
    printed = {c.get("id"): bool(_shown_outputs(c)) for c in nb.cells if c.cell_type == "code"}
    slides = _slides(walked, stem)
    cells = [(s, c) for s in slides for c in s["cells"]]
    assert cells, f"{stem}: no code cell on any slide"
    alone = [f"{_where(s)}: cell {c['id']}" for s, c in cells if printed.get(c["id"])
             and not c["outputs"]]
    assert not alone, f"{stem}: code without its output:\n" + "\n".join(alone)
    plain = [_where(s) for s in slides if s["code_blocks"] and s["code_colours"] < 3]
    assert not plain, f"{stem}: code not highlighted on {plain}"


@pytest.mark.parametrize("stem", DECKS)
def test_speaker_notes_on_every_slide_with_prose(walked, stem):
    slides = _slides(walked, stem)
    deck = _deck_html(stem)
    kinds = re.findall(r'<section(?: class="([^"]*)")? data-slide="(\d+)"', deck)
    exempt = {int(i) for css, i in kinds if css in ("title-slide", "goals")}
    silent = [_where(s) for s in slides if s["index"] not in exempt and s["notes"] == 0]
    assert not silent, f"{stem}: slides without speaker notes: {silent}"


# --- where each lecture starts ---------------------------------------------------------------

def _lectures(stem: str) -> int:
    """How many lectures the outline says the deck is for (a number, or a list of names)."""
    import yaml

    outline = yaml.safe_load((ROOT / "lectures" / f"{stem}.yml").read_text(encoding="utf-8"))
    n = outline.get("lectures", 1)
    return len(n) if isinstance(n, list) else n


def _break(stem: str) -> int | None:
    """The index of the slide lecture 2 starts with (from the deck's HTML), else None."""
    marked = [i for i, s in enumerate(_sections(_deck_html(stem))) if 'data-lecture="2"' in s[:200]]
    assert len(marked) <= 1, f"{stem}: lecture 2 starts at slides {marked}"
    return marked[0] if marked else None


def test_decks_of_one_and_of_two_lectures():
    counts = {stem: _lectures(stem) for stem in DECKS}
    assert set(counts.values()) == {1, 2}, counts
    assert sorted(s for s, n in counts.items() if n == 2) == \
        ["adaboost", "bptt", "em_elbo_kl", "gmm_em", "lstm_trace"], counts


@pytest.mark.parametrize("stem", DECKS)
def test_lecture_break_is_marked_once_and_visibly(walked, stem):
    """A deck of two lectures: the first slide of lecture 2, and it alone, carries the mark
    "Lecture 2" (on the slide, inside it, seen) and the id ``lecture-2``; the title slide
    lists both lectures with their slides, linked. A deck of one lecture: none of it."""
    slides = _slides(walked, stem)
    marked = [s for s in slides if s["lecture_mark"]]
    ids = [s for s in slides if s["id"].startswith("lecture-")]
    plan = slides[0]["lecture_plan"]
    if _lectures(stem) == 1:
        assert not marked and not ids and not plan, \
            f"{stem}: a one-lecture deck with a lecture break: {[_where(s) for s in marked + ids]}"
        return
    assert len(marked) == 1, f"{stem}: lecture marks on {[_where(s) for s in marked]}"
    mark = marked[0]
    k = mark["index"]
    assert 2 <= k < len(slides) - 1, f"{stem}: lecture 2 starts at {_where(mark)}"
    assert mark["lecture_mark"]["text"].startswith("Lecture 2"), (stem, mark["lecture_mark"])
    assert mark["lecture_mark"]["visible"], f"{stem}: the mark on {_where(mark)} is not seen"
    assert mark["id"] == "lecture-2" and mark["lecture"] == "2", (stem, mark["id"])
    assert [s["index"] for s in ids] == [0, k] and slides[0]["id"] == "lecture-1", stem
    assert [p["href"] for p in plan] == ["#/lecture-1", "#/lecture-2"], (stem, plan)
    total = len(slides)
    assert plan[0]["text"].startswith("Lecture 1") and f"(slides 1–{k})" in plan[0]["text"], \
        (stem, plan)
    assert plan[1]["text"].startswith("Lecture 2") and \
        f"(slides {k + 1}–{total})" in plan[1]["text"], (stem, plan)
    name = plan[1]["text"].split(":", 1)[1].rsplit("(", 1)[0].strip()
    assert name and mark["lecture_mark"]["text"] == f"Lecture 2 {name}", (stem, name, mark)


def test_lecture_anchor_opens_lecture_2(browser_checks, copied):
    """``deck.slides.html#/lecture-2`` (from file://) opens the first slide of lecture 2;
    the title slide's link to lecture 2 goes there too."""
    stems = [s for s in DECKS if _lectures(s) == 2]
    specs = [f"{stem}.slides.html#/lecture-2" for stem in stems]
    views = browser_checks("deck-lecture", specs, base=copied.as_uri() + "/")
    for stem, spec in zip(stems, specs):
        k = _break(stem)
        assert k is not None, f"{stem}: no slide of the deck starts lecture 2"
        opened, clicked = views[spec]["opened"], views[spec]["clicked"]
        assert opened["index"] == k and opened["id"] == "lecture-2", (stem, k, opened)
        assert opened["mark"] and opened["mark"].startswith("Lecture 2"), (stem, opened)
        assert clicked and clicked["index"] == k and clicked["hash"] == "#/lecture-2", \
            (stem, k, clicked)


# --- the decks' HTML against the chapters ---------------------------------------------------

@pytest.mark.parametrize("stem", DECKS)
def test_a_lecture_not_the_chapter_in_pages(html_dir, stem):
    deck = _deck_html(stem)
    sections = _sections(deck)
    assert 5 <= len(sections) <= MAX_SLIDES, f"{stem}: {len(sections)} slides"
    assert not any("<section" in s[8:] for s in sections), f"{stem}: nested (vertical) slides"
    assert "(continued)" not in deck and "continued)" not in deck, f"{stem}: a '(continued)' slide"


PLOTTING = re.compile(r"\bplt\.|\bax\.|\baxes\b|\bfig\b|subplots|savefig|\.plot\(|\.scatter\(")
TABLE_CODE = re.compile(r"""["']\s*\|\s*[^"']*\|?["']|\|-{3}|\bMarkdown\(|display_markdown|\.ljust\(|\.rjust\(""")


@pytest.mark.parametrize("stem", DECKS)
def test_no_plotting_or_table_formatting_code(stem):
    from html import unescape

    deck = _deck_html(stem)
    for code in re.findall(r'<pre class="code"><code[^>]*>(.*?)</code></pre>', deck, re.DOTALL):
        text = unescape(re.sub(r"<[^>]+>", "", code))
        assert not PLOTTING.search(text), f"{stem}: plotting code on a slide:\n{text[:300]}"
        assert not TABLE_CODE.search(text), f"{stem}: table-formatting code on a slide:\n{text[:300]}"


def _plain_runs(markdown: str) -> list[str]:
    """Runs of at least six plain words of a paragraph (no math, roles, code or markup),
    the way the deck's text shows them."""
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$|\{[a-z:]+\}`[^`]*`|`[^`]*`|\[[^\]]*\]\([^)]*\)", " | ",
                  markdown, flags=re.DOTALL)
    text = re.sub(r"[*_>#]|^\s*[-+]\s|^\s*\d+\.\s", " ", text, flags=re.MULTILINE)
    runs = []
    for piece in re.split(r"\s\|\s|[()\[\]{}\"“”;:]", text):
        words = piece.split()
        if len(words) >= 6 and all(re.fullmatch(r"[A-Za-z][A-Za-z'’,.-]*", w) for w in words):
            runs.append(" ".join(words))
    return runs


def _deck_words(deck: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(deck, "html.parser")
    for tag in soup(["script", "style", "math", "mjx-container"]):
        tag.decompose()
    return _normal(soup.get_text(" "))


def _normal(text: str) -> str:
    """Words alone: punctuation and white space do not decide whether prose is there."""
    return " ".join(re.sub(r"[.,;:!?’'“”\"]", " ", text).split())


@pytest.mark.parametrize("stem", DECKS)
def test_every_paragraph_is_on_a_slide_or_in_the_notes(stem):
    """The deck shows a few things; the rest of the chapter's prose is the speaker
    notes, so nothing the chapter says is lost (solutions and the note on running the
    chapter aside)."""
    from chapter_items import Chapter
    from myst_to_slides import Context

    chapter = Chapter(ROOT / "book" / f"{stem}.ipynb", Context(stem=stem))
    words = _deck_words(_deck_html(stem))
    checked, lost = 0, []
    for item in chapter.items:
        if not item.is_prose or chapter.is_running_note(item):
            continue
        for run in _plain_runs(item.source)[:2]:
            checked += 1
            if _normal(run) not in words:
                lost.append(run)
    assert checked > 20, f"{stem}: only {checked} runs of prose checked"
    assert not lost, f"{stem}: prose of the chapter in neither slides nor notes:\n" + \
        "\n".join(lost[:10])


@pytest.mark.parametrize("stem", DECKS)
def test_no_solution_on_a_slide_or_in_the_notes(stem):
    import nbformat
    from myst_to_slides import outside_solutions

    deck = _deck_html(stem)
    words = _deck_words(deck)
    assert not re.search(r"Solution to|class=\"box solution", deck), stem
    nb = nbformat.read(ROOT / "book" / f"{stem}.ipynb", as_version=4)
    solution_block = re.compile(r"```+\{solution\}.*?\n```+", re.DOTALL)
    hidden, secret, public = False, [], []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            if hidden:
                secret += [line.strip() for line in cell.source.split("\n") if len(line.strip()) > 30]
            else:
                public.append(cell.source)
            continue
        kept, after = outside_solutions(cell.source, hidden)
        dropped = [line for line in cell.source.split("\n") if line not in kept.split("\n")]
        for text in dropped + solution_block.findall(kept):
            secret += _plain_runs(text)
        public.append(solution_block.sub("", kept))
        hidden = after
    public = _normal(" ".join(public))
    secret = [s for s in secret if _normal(s) not in public]  # also said outside a solution
    leaked = [s for s in secret if _normal(s) in words]
    assert secret or stem == "performance", f"{stem}: no solution text found to check"
    assert not leaked, f"{stem}: solution text in the deck: {leaked[:3]}"


def _page_numbers(html_dir, stem) -> dict[str, str]:
    """``anchor -> "Theorem 12"`` for every numbered block and figure of the chapter page."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((html_dir / "book" / f"{stem}.html").read_text(encoding="utf-8"),
                         "html.parser")
    out = {}
    for span in soup.select("span.caption-number"):
        owner = next(p for p in span.parents if p.get("id"))
        out[owner["id"]] = " ".join(span.get_text().split())
    return out


@pytest.mark.parametrize("stem", DECKS)
def test_numbers_as_on_the_chapter_page(html_dir, stem):
    """Every theorem, exercise and figure on a slide carries its number on the site, and
    the title slide the chapter's number."""
    from bs4 import BeautifulSoup

    numbers = _page_numbers(html_dir, stem)
    soup = BeautifulSoup(_deck_html(stem), "html.parser")
    shown = []
    for box in soup.select(".slides .slide-body [data-label]"):
        text = box.select_one(".box-title, .ex-number")
        shown.append((box["data-label"], " ".join(text.get_text().split()) if text else ""))
    for fig in soup.select(".slides .slide-body figure[data-name]"):
        number = fig.select_one("figcaption strong")
        shown.append((fig["data-name"], number.get_text().strip() if number else ""))
    numbered = [(label, text) for label, text in shown if label in numbers]
    assert numbered, f"{stem}: no numbered block on the slides"
    wrong = [f"{label}: {text!r}, the page says {numbers[label]!r}" for label, text in numbered
             if not text.startswith(numbers[label])]
    assert not wrong, f"{stem}: numbers unlike the page's:\n" + "\n".join(wrong)
    page = (html_dir / "book" / f"{stem}.html").read_text(encoding="utf-8")
    chapter = re.search(r'<h1>\s*<span class="section-number">([^<]*)</span>', page)
    if chapter:
        title = soup.select_one("h1.deck-title .section-number")
        assert title and title.get_text().strip() == chapter.group(1).strip(), f"{stem}: deck title"


@pytest.mark.parametrize("stem", DECKS)
def test_exercises_listed_and_figures_numbered(html_dir, stem):
    deck = _deck_html(stem)
    source = (ROOT / "book" / f"{stem}.ipynb").read_text(encoding="utf-8")
    labels = re.findall(r"```\{exercise\}[^`]*?:label: ([\w-]+)", source)
    page = (html_dir / "book" / f"{stem}.html").read_text(encoding="utf-8")
    for label in labels:
        number = re.search(rf'id="{label}"[^>]*>(?:\s*<span id="[^"]*"></span>)*\s*'
                           r'<p class="admonition-title">\s*<span class="caption-number">([^<]*)<',
                           page)
        assert number, f"{stem}: {label} not numbered on the site"
        assert f'<span class="ex-number">{number.group(1).strip()}</span>' in deck, \
            f"{stem}: {number.group(1).strip()} ({label}) not on the exercises slide"
    captions = re.findall(r"<figcaption>(.{0,60})", deck)
    unnumbered = [c for c in captions if not c.startswith("<strong>Fig. ")]
    assert not unnumbered, f"{stem}: figures without their number: {unnumbered[:3]}"


# --- handouts and links ------------------------------------------------------------------------

def _pdf_pages(pdf: Path) -> tuple[int, str]:
    exe = shutil.which("pdfinfo")
    if exe is None:
        pytest.skip("pdfinfo (poppler-utils) missing")
    info = subprocess.run([exe, str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    size = re.search(r"^Page size:\s+(.*)$", info, re.MULTILINE).group(1)
    return pages, size


@pytest.mark.parametrize("stem", DECKS)
def test_pdf_handout_one_page_per_slide(html_dir, chromium, stem):
    pdf = html_dir / "slides" / f"{stem}.handout.pdf"
    assert pdf.is_file(), f"{stem}: no handout {pdf.name} (make book prints it with Chromium)"
    pages, size = _pdf_pages(pdf)
    slides = len(_sections(_deck_html(stem)))
    assert pages == slides, f"{stem}: {pages} handout pages for {slides} slides"
    width, height = map(float, re.match(r"([\d.]+) x ([\d.]+) pts", size).groups())
    assert abs(width / height - 16 / 9) < 0.01, f"{stem}: handout page {size}"


def _pdf_text(pdf: Path) -> list[str]:
    """The text of each page of a PDF (pdftotext)."""
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.skip("pdftotext (poppler-utils) missing")
    text = subprocess.run([exe, "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


@pytest.mark.parametrize("stem", DECKS)
def test_handout_shows_the_lecture_break(html_dir, chromium, stem):
    """The handout's title page lists the lectures and the page of the first slide of
    lecture 2 carries its mark, as on the screen; no other page does (one-lecture decks:
    none)."""
    pages = _pdf_text(html_dir / "slides" / f"{stem}.handout.pdf")
    assert len(pages) == len(_sections(_deck_html(stem))), f"{stem}: {len(pages)} pages"
    marked = [i for i, page in enumerate(pages) if re.search(r"\bLecture 2\b", page)]
    if _lectures(stem) == 1:
        assert not marked and not re.search(r"\bLecture 1\b", pages[0]), \
            f"{stem}: lecture marks on handout pages {[i + 1 for i in marked]}"
        return
    k = _break(stem)
    assert k is not None, f"{stem}: no slide of the deck starts lecture 2"
    assert marked == [0, k], f"{stem}: 'Lecture 2' on handout pages {[i + 1 for i in marked]}, " \
        f"expected 1 and {k + 1}"
    assert re.search(rf"Lecture 1\b.*\(slides 1–{k}\)", " ".join(pages[0].split())), \
        f"{stem}: title page: {pages[0][:400]}"
    assert re.match(r"\s*Lecture 2\b", pages[k]), f"{stem}: page {k + 1}: {pages[k][:200]}"


@pytest.mark.parametrize("stem", DECKS)
def test_chapter_page_links_deck_and_handout(html_dir, chromium, stem):
    page = (html_dir / "book" / f"{stem}.html").read_text(encoding="utf-8")
    assert f'href="../slides/{stem}.slides.html"' in page, f"{stem}: no link to the deck"
    assert f'href="../slides/{stem}.handout.pdf"' in page, f"{stem}: no link to the handout"


def test_speaker_view_shows_the_notes(browser_checks, copied):
    """Key S opens reveal.js's speaker view (from file://): it shows the current slide's
    notes, formulas included as MathML."""
    stem = "em_elbo_kl"
    deck = (copied / f"{stem}.slides.html").read_text(encoding="utf-8")
    index = next(i for i, s in enumerate(_sections(deck))
                 if re.search(r'<aside class="notes">.*?<math\b', s, re.DOTALL))
    spec = f"{stem}.slides.html@{index}"
    view = browser_checks("speaker", [spec], base=copied.as_uri() + "/")[spec]
    assert view["notes"], f"speaker view shows no notes: {view}"
    assert view["mathml"] > 0, "the notes' formulas are not MathML"


def test_decks_read_on_a_phone(browser_checks):
    """At 390 px the slide would be scaled to a third (24-px text at 7 px): the deck reads
    as a page instead, every slide shown, no sideways scrolling, text at a reading size."""
    paths = [f"slides/{stem}.slides.html" for stem in ("em_elbo_kl", "lstm_trace")]
    for path, r in browser_checks("deck-phone", paths).items():
        assert r["reading"], f"{path}: not in the reading view"
        assert r["shown"] == r["sections"], f"{path}: {r['shown']} of {r['sections']} slides shown"
        assert not r["page_scrolls_sideways"] and not r["wider_than_screen"], (path, r)
        assert r["min_text"] >= 15 and r["min_code"] >= 12, (path, r)


# --- the builder, on a synthetic chapter (no browser) ----------------------------------------

def _notebook(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    glue_out = nbformat.v4.new_output("display_data", data={"text/plain": "'0.973'"},
                                      metadata={"scrapbook": {"name": "acc", "mime_prefix": ""}})
    nb.cells = [
        md("(syn)=\n# A synthetic chapter\n\n:::{admonition} Running this chapter\n:class: note\n"
           "RUNNING NOTE.\n:::\n\n**Learning goals.** After this chapter you can\n\n* add.\n"),
        code("glue('acc', '0.973')", outputs=[glue_out]),
        md("(syn-sec)=\n## Results\n\nINTRO prose with accuracy {glue:text}`acc`, by "
           "{prf:ref}`syn-thm` and {cite:p}`bishop2006prml`.\n\n"
           "```{prf:theorem} Addition\n:label: syn-thm\n\n$$\n1 + 1 = 2\n$$\n```\n\n"
           "```{prf:proof}\nPROOF prose.\n```\n\nLEADS to the check.\n"),
        code("print('checked')", outputs=[nbformat.v4.new_output(
            "stream", name="stdout", text="CHECK OUTPUT\n")]),
        md("AFTER the check.\n\n## Exercises\n\n```{exercise}\n:label: syn-ex\n\nAdd two. Then three.\n```\n\n"
           "````{solution-start} syn-ex\n:class: dropdown\n````\n\nSECRET prose."),
        code("print('SECRET code')", outputs=[nbformat.v4.new_output(
            "stream", name="stdout", text="SECRET output\n")]),
        md("````{solution-end}\n````\n\n```{solution} syn-ex\nSECRET block\n```\n\nLAST words."),
        code("plt.plot([1, 2])", outputs=[nbformat.v4.new_output(
            "stream", name="stdout", text="PLOT stand-in\n")]),
    ]
    nb.cells[7].metadata["tags"] = ["hide-input"]
    for k, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{k}"
    path = tmp_path / "syn.ipynb"
    nbformat.write(nb, path)
    return path


OUTLINE = """\
lectures: 1
slides:
  - show:
      - statement: syn-thm
  - title: "Checked: {glue:text}`acc`"
    show:
      - cell: cell-3
  - title: Plot
    show:
      - cell: cell-7
  - show:
      - exercises: all
"""


def _build(tmp_path, outline=OUTLINE, site=None):
    import build_slides

    path = _notebook(tmp_path)
    lectures = tmp_path / "lectures"
    lectures.mkdir(exist_ok=True)
    (lectures / "syn.yml").write_text(outline, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    build_slides.build(out, path, site or tmp_path / "no-site", lectures)
    deck = (out / "syn.slides.html").read_text(encoding="utf-8")
    return deck, dict(re.findall(r'<section[^>]*data-slide="(\d+)".*?'
                                 r'(?:<aside class="notes">(.*?)</aside>)?</section>', deck,
                                 re.DOTALL))


def test_builder_notes_follow_the_chapter(tmp_path):
    deck, notes = _build(tmp_path)
    assert "INTRO prose" in notes["2"] and "PROOF prose" in notes["2"], notes["2"]
    assert notes["2"].index("INTRO") < notes["2"].index("[on the slide]") < notes["2"].index("PROOF")
    # the paragraph that leads to a cell goes with the cell's slide, and what follows too
    assert "LEADS to the check" in notes["3"] and "AFTER the check" in notes["3"]
    assert "LAST words" in notes["4"] and "Exercises" not in notes["3"]
    assert "RUNNING NOTE" not in deck
    assert "0.973" in deck and "{glue" not in deck and "(Bishop, 2006)" in deck
    assert "SECRET" not in deck, "solution text in the deck"
    assert "Theorem (Addition)" in deck                    # no site: unnumbered
    assert 'class="goals"' in deck and "add." in deck
    assert "plt.plot" not in deck and "PLOT stand-in" in deck   # hide-input: output only
    assert "print" in deck and "CHECK OUTPUT" in deck
    assert '<span class="ex-number">Exercise</span> Add two.' in deck


def test_builder_numbers_from_the_site(tmp_path):
    site = tmp_path / "site" / "book"
    site.mkdir(parents=True)
    (site / "syn.html").write_text(
        '<div class="theorem admonition" id="syn-thm">\n<p class="admonition-title">'
        '<span class="caption-number">Theorem 12 </span> (Addition)</p></div>'
        '<div class="exercise admonition" id="syn-ex">\n<p class="admonition-title">'
        '<span class="caption-number">Exercise 3.2 </span></p></div>'
        '<a class="reference internal" href="#syn-thm" title="x"><span>Theorem 12</span></a>',
        encoding="utf-8")
    deck, notes = _build(tmp_path, site=tmp_path / "site")
    assert '<div class="box-title">Theorem 12 (Addition)</div>' in deck
    assert "by Theorem 12 and" in notes["2"]
    assert '<span class="ex-number">Exercise 3.2</span>' in deck


@pytest.mark.parametrize("entry, message", [
    ("statement: syn-nope", "'syn-nope'"),
    ("cell: cell-99", "'cell-99'"),
    ("figure: cell-3", "no figure"),
    ("formula: '3 + 3'", "no display formula contains '3 + 3'"),
    ("block: 'words the chapter never had'", "no block of prose contains"),
    ("item: 'an item nowhere'", "no list item contains"),
    ("statement: syn-sec", "is not a theorem"),
    ("shout: loud", "each entry of `show` is one of"),
])
def test_builder_fails_loudly_on_a_wrong_name(tmp_path, entry, message):
    outline = OUTLINE + f"  - title: Broken\n    show:\n      - {entry}\n"
    with pytest.raises(SystemExit) as err:
        _build(tmp_path, outline)
    text = str(err.value)
    assert "lectures/syn.yml, slide 5" in text and message in text, text


def test_builder_fails_loudly_on_a_wrong_start(tmp_path):
    outline = OUTLINE + "  - title: Broken\n    from: syn-gone\n    show:\n      - text: hi\n"
    with pytest.raises(SystemExit, match=r"slide 5.*'syn-gone'"):
        _build(tmp_path, outline)


def _section_list(deck: str) -> list[str]:
    return re.findall(r"<section\b.*?</section>", deck, re.DOTALL)


TWO_LECTURES = OUTLINE.replace("lectures: 1", "lectures: 2").replace(
    "  - title: Plot\n", "  - title: Plot\n    lecture: 2\n")


def test_builder_marks_where_lecture_2_starts(tmp_path):
    """Title, goals, theorem, check | Plot, exercises: lecture 2 starts at slide 5."""
    deck, notes = _build(tmp_path, TWO_LECTURES)
    sections = _section_list(deck)
    assert [i for i, s in enumerate(sections) if "data-lecture=" in s[:200]] == [0, 4]
    assert [i for i, s in enumerate(sections) if "lecture-mark" in s] == [4]
    assert re.match(r'<section data-slide="4" id="lecture-2" data-lecture="2">', sections[4])
    assert 'id="lecture-1"' in sections[0]
    # unnamed, a lecture is named after the section its first slide is in
    assert '<p class="lecture-mark"><span class="lecture-number">Lecture 2</span> Exercises</p>' \
        in sections[4]
    assert '<a href="#/lecture-1">Lecture 1</a>: Results <span class="deck-range">(slides 1–4)' \
        in sections[0]
    assert '<a href="#/lecture-2">Lecture 2</a>: Exercises <span class="deck-range">' \
        '(slides 5–6)' in sections[0]
    assert "2 lectures of 75 minutes" in sections[0]
    # the presenter is told in the notes: before the break, and on the title slide
    assert "Lecture 1 ends with this slide" in notes["3"]
    assert "ends with this slide" not in notes["4"] + notes["2"]
    assert "Lecture 2 starts at slide 5" in notes["0"] and "#/lecture-2" in notes["0"]


def test_builder_names_the_lectures_as_the_outline_says(tmp_path):
    named = TWO_LECTURES.replace("lectures: 2\n", "lectures:\n  - Adding\n  - Plotting, "
                                 "$1 + 1$\n")
    deck, _ = _build(tmp_path, named)
    sections = _section_list(deck)
    assert '<a href="#/lecture-1">Lecture 1</a>: Adding <span' in sections[0]
    assert '<a href="#/lecture-2">Lecture 2</a>: Plotting, \\(1 + 1\\) <span' in sections[0]
    assert "Lecture 2</span> Plotting, \\(1 + 1\\)</p>" in sections[4]


def test_builder_one_lecture_marks_nothing(tmp_path):
    deck, _ = _build(tmp_path)
    body = deck.split("<body>")[1]
    assert "data-lecture" not in body and "lecture-mark" not in body
    assert 'id="lecture-' not in body and "deck-lectures" not in body
    assert "1 lecture of 75 minutes" in deck


@pytest.mark.parametrize("outline, message", [
    (OUTLINE.replace("lectures: 1", "lectures: 2"),
     "`lectures: 2`, but no slide says `lecture: 2`"),
    (OUTLINE.replace("lectures: 1", "lectures:\n  - One\n  - Two"),
     "`lectures: 2`, but no slide says `lecture: 2`"),
    (TWO_LECTURES.replace("lectures: 2", "lectures: 1"),
     "slide 3 ('Plot'): `lecture: 2`, but the outline says `lectures: 1`"),
    (TWO_LECTURES.replace("lectures: 2\n", ""),
     "slide 3 ('Plot'): `lecture: 2`, but the outline says `lectures: 1`"),
    (TWO_LECTURES.replace("  - show:\n      - exercises",
                          "  - lecture: 2\n    show:\n      - exercises"),
     "slide 4: lecture 2 starts twice: at slide 3 and here"),
    (TWO_LECTURES.replace("    lecture: 2", "    lecture: 3"),
     "slide 3 ('Plot'): `lecture: 3`, but the outline says `lectures: 2`"),
    (TWO_LECTURES.replace("    lecture: 2", "    lecture: 1"),
     "slide 3 ('Plot'): lecture 1 starts with the title slide"),
    (TWO_LECTURES.replace("    lecture: 2", "    lecture: two"),
     "slide 3 ('Plot'): `lecture: N` marks the first slide of lecture N"),
    (TWO_LECTURES.replace("    lecture: 2", "    lecture: true"),
     "`lecture: N` marks the first slide of lecture N"),
    (TWO_LECTURES.replace("    lecture: 2\n", "").replace(
        "  - show:\n      - statement: syn-thm",
        "  - lecture: 2\n    show:\n      - statement: syn-thm"),
     "lecture 2 starts with the outline's first slide"),
    (TWO_LECTURES.replace("lectures: 2", "lectures: 0"), "`lectures` is the number of lectures"),
    (TWO_LECTURES.replace("lectures: 2", "lectures: two"), "`lectures` is the number of lectures"),
    (TWO_LECTURES.replace("lectures: 2", "lectures: []"), "`lectures` is the number of lectures"),
], ids=["two-unmarked", "two-named-unmarked", "one-marked", "default-one-marked", "marked-twice",
        "beyond-the-count", "lecture-1", "not-a-number", "boolean", "first-slide", "zero",
        "a-word", "no-names"])
def test_builder_fails_loudly_on_a_wrong_lecture_break(tmp_path, outline, message):
    with pytest.raises(SystemExit) as err:
        _build(tmp_path, outline)
    text = str(err.value)
    assert "lectures/syn.yml" in text and message in text, text


def test_builder_refuses_too_many_slides_and_long_code(tmp_path):
    import build_slides

    many = "lectures: 1\nslides:\n" + "  - show:\n      - statement: syn-thm\n" * build_slides.MAX_SLIDES
    with pytest.raises(SystemExit, match="more than 45"):
        _build(tmp_path, many)
    long = "\n".join(f"x{i} = {i}" for i in range(build_slides.CODE_LINES_MAX + 1))
    import nbformat
    path = _notebook(tmp_path)
    nb = nbformat.read(path, as_version=4)
    nb.cells[3].source = long
    nbformat.write(nb, path)
    lectures = tmp_path / "lectures"
    (lectures / "syn.yml").write_text(OUTLINE, encoding="utf-8")
    with pytest.raises(SystemExit, match="lines of code, more than a slide shows"):
        build_slides.build(tmp_path / "out", path, tmp_path / "no-site", lectures)


def test_literalinclude_shows_the_code():
    from myst_to_slides import Context, render_markdown

    html = render_markdown(Context(stem="x"), "```{literalinclude} ../mlhwlib/experiments/"
                           "rnn_recall.py\n:language: python\n:pyobject: train\n```")
    text = re.sub(r"<[^>]+>", "", html)
    assert "def train(" in text and "return" in text and "Literalinclude" not in text
    assert "<span" in html, "the code is not highlighted"


def test_api_roles_show_as_code():
    from myst_to_slides import Context, render_markdown

    ctx = Context(stem="x")
    html = render_markdown(ctx, "See {py:func}`kl <mlhwlib.em.kl_divergence>` and "
                                "{py:class}`mlhwlib.gmm.GaussianMixture`.")
    assert "<code>kl</code>" in html and "<code>mlhwlib.gmm.GaussianMixture</code>" in html
    assert not ctx.unresolved
