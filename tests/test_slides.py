"""The reveal.js decks (``make slides``, part of ``make book``) work in a lecture.

Chromium (puppeteer-core, npm) walks every slide of every deck at 1280 x 720:

* no slide is taller or wider than the slide: the builder splits long slides
  into sub-slides (between blocks, sentences, list items, lines of code); a slide
  the browser still had to zoom to fit fails below 95 %;
* no display formula is cut off at the slide's edge (MathJax breaks long ones;
  one that cannot break is set smaller, not below 60 %);
* every slide has a title (a section's slides repeat it, "(continued)"), and every
  section starts a slide of its own; nothing lies outside the slide's box or under
  the navigation arrows;
* no unresolved reference ("??", a raw role, a file name), no raw TeX and no
  MathJax error is left on a slide;
* every deck opens with a title slide (the chapter's title and learning goals)
  and shows slide numbers; every exercise of the chapter is on a slide, no
  solution is; every figure is numbered as in the book.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import HTML, ROOT
from site_server import browser_checks, html_server  # noqa: F401  (fixtures)

DECKS = sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))
MIN_ZOOM = 0.95


@pytest.fixture(scope="module")
def walked(chromium, browser_checks):
    paths = [f"slides/{stem}.slides.html" for stem in DECKS]
    missing = [p for p in paths if not (HTML / p).is_file()]
    assert not missing, f"decks missing (run `make book`): {missing}"
    return browser_checks("slides", paths)


@pytest.mark.parametrize("stem", DECKS)
def test_every_slide_fits_the_screen(walked, stem):
    slides = walked[f"slides/{stem}.slides.html"]
    bad = [f"slide {s['h']}.{s['v']} {s['title']!r}: {s['height']}x{s['width']} px"
           f" (zoom {s['zoom']:.2f})" for s in slides
           if s["height"] > s["slide_height"] + 2 or s["width"] > s["slide_width"] + 2
           or s["zoom"] < MIN_ZOOM]
    assert not bad, f"{stem}: slides that do not fit 1280 x 720:\n" + "\n".join(bad)


@pytest.mark.parametrize("stem", DECKS)
def test_no_unresolved_reference_or_raw_math(walked, stem):
    slides = walked[f"slides/{stem}.slides.html"]
    bad = [f"slide {s['h']}.{s['v']} {s['title']!r}: {s['unresolved']}" for s in slides
           if s["unresolved"]]
    bad += [f"slide {s['h']}.{s['v']}: MathJax error" for s in slides if s["merror"]]
    assert not bad, f"{stem}:\n" + "\n".join(bad)


@pytest.mark.parametrize("stem", DECKS)
def test_title_slide_and_numbers(walked, stem):
    slides = walked[f"slides/{stem}.slides.html"]
    deck = (HTML / "slides" / f"{stem}.slides.html").read_text(encoding="utf-8")
    first = re.search(r'<section class="title-slide">(.*?)</section>', deck, re.DOTALL)
    assert first and "<h1" in first.group(1), f"{stem}: no title slide"
    assert "Running this" not in first.group(1)
    source = json.loads((ROOT / "book" / f"{stem}.ipynb").read_text(encoding="utf-8"))
    opening = " ".join("".join(c["source"]) for c in source["cells"][:3] if c["cell_type"] == "markdown")
    if re.search(r"learning goals", opening, re.I):
        assert re.search(r"learning goals", first.group(1), re.I), f"{stem}: no learning goals"
    assert all(s["number"].strip() for s in slides[1:]), f"{stem}: slides without numbers"


@pytest.mark.parametrize("stem", DECKS)
def test_no_formula_cut_off_and_every_slide_titled(walked, stem):
    slides = walked[f"slides/{stem}.slides.html"]
    cut = [f"slide {s['h']}.{s['v']} {s['title']!r}: {s['cut_formulas']} formulas"
           for s in slides if s["cut_formulas"]]
    assert not cut, f"{stem}: display formulas cut off at the slide's edge:\n" + "\n".join(cut)
    small = [f"slide {s['h']}.{s['v']}: {s['min_formula_scale']:.2f}" for s in slides
             if s["min_formula_scale"] < 0.6]
    assert not small, f"{stem}: formulas shrunk below 60 %: {small}"
    untitled = [f"{s['h']}.{s['v']}" for s in slides[1:] if not s["headed"]]
    assert not untitled, f"{stem}: slides without a title: {untitled}"


@pytest.mark.parametrize("stem", DECKS)
def test_content_inside_the_slide_and_clear_of_the_arrows(walked, stem):
    slides = walked[f"slides/{stem}.slides.html"]
    outside = [f"{s['h']}.{s['v']}" for s in slides if s["outside_slide"]]
    assert not outside, f"{stem}: content outside the slide's box on {outside}"
    under = [f"{s['h']}.{s['v']}" for s in slides if s["under_arrows"]]
    assert not under, f"{stem}: content under the navigation arrows on {under}"


@pytest.mark.parametrize("stem", DECKS)
def test_every_exercise_and_numbered_figure_is_on_a_slide(stem):
    deck = (HTML / "slides" / f"{stem}.slides.html").read_text(encoding="utf-8")
    source = (ROOT / "book" / f"{stem}.ipynb").read_text(encoding="utf-8")
    exercises = len(re.findall(r"```\{exercise\}", source))
    shown = set(re.findall(r'<div class="box-title">Exercise ((?:\d+|[A-Z])\.\d+)', deck))
    assert len(shown) == exercises, (
        f"{stem}: {exercises} exercises in the chapter, {len(shown)} on the slides")
    captions = re.findall(r"<figcaption>(.{0,60})", deck)
    unnumbered = [c for c in captions if not c.startswith("<strong>Fig. ")]
    assert not unnumbered, f"{stem}: figures without their number: {unnumbered[:3]}"


def test_no_solution_on_a_slide():
    for stem in DECKS:
        deck = (HTML / "slides" / f"{stem}.slides.html").read_text(encoding="utf-8")
        assert not re.search(r"Solution to|class=\"box solution", deck), stem


# --- the builder on a synthetic chapter (no browser) --------------------------------

def _synthetic(tmp_path):
    import nbformat

    sys_path = str(ROOT / "tools")
    import sys
    if sys_path not in sys.path:
        sys.path.insert(0, sys_path)
    nb = nbformat.v4.new_notebook()
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    glue_out = nbformat.v4.new_output("display_data", data={"text/plain": "'0.973'"},
                                      metadata={"scrapbook": {"name": "acc", "mime_prefix": ""}})
    # what myst-nb's glue(..., display=False) really stores
    prefix = "application/papermill.record/"
    glue_hidden = nbformat.v4.new_output(
        "display_data", data={prefix + "text/plain": "'41 s'"},
        metadata={"scrapbook": {"name": "secs", "mime_prefix": prefix}})
    nb.cells = [
        md("(syn)=\n# A synthetic chapter\n\n:::{admonition} Running this chapter\n:class: note\n"
           "Runs fast.\n:::\n\n**Learning goals.** After this chapter you can\n\n* add.\n"),
        code("glue('acc', '0.973'); glue('secs', '41 s', display=False)",
             outputs=[glue_out, glue_hidden]),
        md("## Results\n\nAccuracy {glue:text}`acc` in {glue:text}`secs`, by {prf:ref}`syn-thm` and "
           "{numref}`Result %s <syn-thm>` and "
           "{cite:p}`bishop2006prml`; see {doc}`lstm_trace`.\n\n"
           "```{prf:theorem} Addition\n:label: syn-thm\n\n$1 + 1 = 2$\n```\n\n"
           "```{exercise} Add\n:label: syn-ex\n\nAdd.\n```\n"),
        md("````{solution-start} syn-ex\n:class: dropdown\n````\n\nSECRET prose."),
        code("print('SECRET code')", outputs=[nbformat.v4.new_output(
            "stream", name="stdout", text="SECRET output\n")]),
        md("````{solution-end}\n````"),
        md("```{solution} syn-ex\nSECRET block\n```\n\nAfter the solution."),
        code("plot_code_hidden()", outputs=[nbformat.v4.new_output(
            "stream", name="stdout", text="figure stand-in\n")]),
        code("shown_code()"),
    ]
    nb.cells[7].metadata["tags"] = ["hide-input"]
    nb.cells[8].metadata["tags"] = ["hide-input", "slides-show-code"]
    path = tmp_path / "syn.ipynb"
    nbformat.write(nb, path)
    return path


def test_builder_resolves_glue_refs_and_drops_solutions(tmp_path):
    path = _synthetic(tmp_path)
    import build_slides

    out = tmp_path / "out"
    out.mkdir()
    unresolved = build_slides.build(out, path, tmp_path / "no-site")
    deck = (out / "syn.slides.html").read_text(encoding="utf-8")
    assert not unresolved, unresolved
    assert "0.973" in deck and "41 s" in deck and "{glue" not in deck
    assert "Theorem (Addition)" in deck            # no site: the chapter's own label
    assert "(Bishop, 2006)" in deck
    assert "<em>The LSTM memory cell, traced by hand</em>" in deck
    assert "SECRET" not in deck, "solution text on a slide"
    assert "After the solution." in deck
    assert "plot_code_hidden" not in deck and "figure stand-in" in deck
    assert "shown_code()" in deck
    title = re.search(r'<section class="title-slide">(.*?)</section>', deck, re.DOTALL).group(1)
    assert "A synthetic chapter" in title and "Learning goals" in title
    assert "Running this chapter" not in title


def test_builder_numbers_references_from_the_site(tmp_path):
    path = _synthetic(tmp_path)
    import build_slides

    site = tmp_path / "site" / "book"
    site.mkdir(parents=True)
    (site / "syn.html").write_text(
        '<h1><span class="section-number">7. </span>A synthetic chapter</h1>'
        '<div class="theorem admonition" id="syn-thm">\n<p class="admonition-title">'
        '<span class="caption-number">Theorem 12 </span> (Addition)</p></div>'
        '<a class="reference internal" href="#syn-thm" title="x"><span>Theorem 12</span></a>',
        encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    build_slides.build(out, path, tmp_path / "site")
    deck = (out / "syn.slides.html").read_text(encoding="utf-8")
    assert "by Theorem 12 and Result 12 and" in deck
    assert '<div class="box-title">Theorem 12 (Addition)</div>' in deck
    # the deck's title carries the chapter's number, as the page's title
    assert '<h1 class="deck-title"><span class="section-number">7.</span> A synthetic' in deck


def test_long_slides_are_split():
    import sys
    sys.path.insert(0, str(ROOT / "tools"))
    import build_slides

    code = '<pre class="code"><code>' + "\n".join(f"x{i} = {i}" for i in range(70)) + "</code></pre>"
    pieces, _ = build_slides.split(["<h2>Long</h2>", code])
    assert len(pieces) >= 3
    assert all(build_slides.estimate("".join(p)) <= build_slides.HEIGHT for p in pieces)
    assert "(continued)" in pieces[1][0]


def _deck_of(tmp_path, nb) -> str:
    """The deck that tools/build_slides.py makes of notebook ``nb`` (no site)."""
    import sys

    import nbformat
    sys.path.insert(0, str(ROOT / "tools"))
    import build_slides

    path = tmp_path / "t.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "out"
    out.mkdir()
    build_slides.build(out, path, tmp_path / "no-site")
    return (out / "t.slides.html").read_text(encoding="utf-8")


def test_exercise_beside_its_solution_start_reaches_the_slide(tmp_path):
    """An exercise and the {solution-start} of its solution may share a cell: the
    exercise is shown, the solution's text (here and in the next cells) is not."""
    import nbformat

    md = nbformat.v4.new_markdown_cell
    nb = nbformat.v4.new_notebook()
    nb.cells = [md("# T\n\nIntro."),
                md("## Exercises\n\n```{exercise}\n:label: t-ex\nDo it.\n```\n\n"
                   "````{solution-start} t-ex\n:class: dropdown\n````\nSECRET one."),
                nbformat.v4.new_code_cell("print('SECRET two')"),
                md("````{solution-end}\n````\nAfter the solution, in the same cell.")]
    deck = _deck_of(tmp_path, nb)
    assert "Do it." in deck and "After the solution, in the same cell." in deck
    assert "SECRET" not in deck


def test_sections_start_slides_and_every_piece_is_titled():
    import sys
    sys.path.insert(0, str(ROOT / "tools"))
    import build_slides
    from myst_to_slides import Context

    class Cell(dict):
        def __init__(self, source):
            super().__init__(cell_type="markdown", source=source, metadata={})
            self.__dict__ = self

    nb = type("NB", (), {"cells": [Cell("## One\n\nFirst.\n\n### Sub\n\nSecond.\n\n"
                                        "## Two\n\nThird.")]})()
    deck = build_slides.slides_of(Context(stem="x"), None, nb, 0)
    titles = [[re.sub(r"<[^>]+>|\s", "", sub[0]) for sub in slide] for slide in deck]
    assert titles == [["One", "Sub"], ["Two"]]
    # a heading followed by more than a slide of list: never a heading alone, and the
    # pieces after the first repeat it
    items = "".join(f"<li><p>{'word ' * 60}{i}</p></li>" for i in range(12))
    pieces, last = build_slides.split(["<h2>Summary</h2>", f"<ul>{items}</ul>"])
    assert len(pieces) >= 2 and all(len(p) >= 2 for p in pieces)
    assert all("Summary" in p[0] for p in pieces) and "(continued)" in pieces[1][0]
    assert all(build_slides.estimate("".join(p)) <= build_slides.HEIGHT for p in pieces)
    # a slide that opens without a heading continues the previous one's
    pieces, _ = build_slides.split(["<p>More.</p>"], last)
    assert "Summary" in pieces[0][0] and "(continued)" in pieces[0][0]


def test_literalinclude_shows_the_code():
    import sys
    sys.path.insert(0, str(ROOT / "tools"))
    from myst_to_slides import Context, render_markdown

    html = render_markdown(Context(stem="x"), "```{literalinclude} ../mlhwlib/experiments/"
                           "rnn_recall.py\n:language: python\n:pyobject: train\n```")
    assert "def train(" in html and "return" in html and "Literalinclude" not in html


def test_long_code_stays_in_the_chapter_and_prints_join(tmp_path):
    """A cell of more code than two slides hold shows its output and a line pointing
    to the chapter (unless tagged ``slides-show-code``); what a cell printed around a
    glue call is one box, as on the site."""
    import nbformat
    import sys
    sys.path.insert(0, str(ROOT / "tools"))
    import build_slides

    long = "\n".join(f"value_{i} = {i}" for i in range(build_slides.SLIDE_CODE_MAX + 1))
    out_text = nbformat.v4.new_output("stream", name="stdout", text="LONG OUTPUT\n")
    glue = nbformat.v4.new_output("display_data", data={"text/plain": "'x'"},
                                  metadata={"scrapbook": {"name": "x"}})
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# T\n\nIntro."),
                nbformat.v4.new_code_cell(long, outputs=[out_text]),
                nbformat.v4.new_code_cell(long.replace("value_", "shown_"), outputs=[]),
                nbformat.v4.new_code_cell("print(1); glue(); print(2)", outputs=[
                    nbformat.v4.new_output("stream", name="stdout", text="row one\n"), glue,
                    nbformat.v4.new_output("stream", name="stdout", text="row two\n")])]
    nb.cells[2].metadata["tags"] = ["slides-show-code"]
    deck = _deck_of(tmp_path, nb)
    assert "value_1 =" not in deck and "LONG OUTPUT" in deck
    assert f"({build_slides.SLIDE_CODE_MAX + 1} lines)" in deck and "../book/t.html" in deck
    assert "shown_1 =" in deck
    assert re.search(r'<pre class="output">row one\nrow two</pre>', deck)
