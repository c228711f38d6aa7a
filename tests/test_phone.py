"""The site on a phone: a 390-px viewport in Chromium (puppeteer-core, npm).

On every page of ``_toc.yml``:

* no formula is wider than its text column: an in-line formula's every line box
  stays inside the column (MathJax 4 breaks long ones at their operators), and a
  display formula keeps to the column and scrolls inside its own box;
* the page itself never scrolls sideways;
* every figure keeps the shape of its image file when the column is narrower than
  the figure;
* nothing reaches past the column with every section laid out (a section clips what
  sticks out of it: long code names, paths and signatures must wrap);
* punctuation after an in-line formula stays on the formula's last line;
* figures are shown at three quarters of their size or more (a wider one scrolls
  sideways in its own box, and the line under it says to swipe);
* every box that scrolls sideways (code, an output, a table, a display formula) is a
  keyboard stop, so that it can be scrolled without a mouse: walking a long chapter
  with the Tab key (at 390 and at 1280 px), the focus stops on every box that
  scrolls and on no box that fits;
* while a page loads, its scripts measure at most the boxes on its first screen, not
  every box: measuring them all lays out the whole page at once, seconds of a
  phone's time on a long chapter (``_static/mlhw-site.js``; ``make audit`` reports
  the resulting Lighthouse scores);
* on a wide screen (1280 px), code and printed output whose lines fit the column
  (80 characters) do not scroll, and a box that scrolls shows a cue (shadows).
"""

from __future__ import annotations

import pytest
from conftest import ROOT, toc_files
from site_server import browser_checks, html_server  # noqa: F401  (fixtures)

PAGES = toc_files()


@pytest.fixture(scope="module")
def phone(chromium, browser_checks):
    return browser_checks("phone", [f"{name}.html" for name in PAGES])


@pytest.mark.parametrize("name", PAGES)
def test_no_formula_wider_than_the_column(phone, name):
    result = phone[f"{name}.html"]
    wide = result["wide"]
    assert not wide, (f"{name}: {len(wide)} of {result['formulas']} formulas stick out of the "
                      "390-px column: " + "; ".join(
                          f"{'display' if w['display'] else 'in-line'} {w['tex']!r} "
                          f"({w['width']} px in {w['column']} px)" for w in wide[:8]))


@pytest.mark.parametrize("name", PAGES)
def test_page_does_not_scroll_sideways(phone, name):
    assert not phone[f"{name}.html"]["page_scrolls_sideways"], (
        f"{name} is wider than a 390-px phone screen")


@pytest.mark.parametrize("name", PAGES)
def test_boxes_that_scroll_are_keyboard_stops(phone, name):
    missing = phone[f"{name}.html"]["unfocusable_scrollers"]
    assert not missing, (f"{name}: {len(missing)} boxes scroll sideways at 390 px but are not "
                         "keyboard stops: " + "; ".join(repr(m) for m in missing[:5]))


# The first screen of a page (844 px) holds a handful of boxes at most.
FIRST_SCREEN_BOXES = 8


@pytest.mark.parametrize("name", PAGES)
def test_scripts_measure_only_the_first_screen_at_load(phone, name):
    result = phone[f"{name}.html"]
    assert 0 <= result["measured_at_load"] <= FIRST_SCREEN_BOXES, (
        f"{name}: scripts measured {result['measured_at_load']} of {result['boxes']} boxes "
        f"while the page loaded (at most {FIRST_SCREEN_BOXES}: those on the first screen); "
        "measuring every box lays out the whole page at once")


@pytest.mark.parametrize("name", PAGES)
def test_figures_keep_their_shape(phone, name):
    from conftest import HTML
    from PIL import Image

    bad = []
    for image in phone[f"{name}.html"]["images"]:
        with Image.open(HTML / "book" / image["src"]) as png:
            expected = png.width / png.height
        shown = image["width"] / image["height"] if image["height"] else float("inf")
        if abs(shown / expected - 1) > 0.02:
            bad.append(f"{image['src']}: shown {image['width']:.0f} x {image['height']:.0f} px, "
                       f"aspect {shown:.2f} instead of {expected:.2f}")
    assert not bad, f"{name}: figures stretched at 390 px: " + "; ".join(bad)


@pytest.mark.parametrize("name", PAGES)
def test_nothing_reaches_past_the_column(phone, name):
    out = phone[f"{name}.html"]["sticking_out"]
    assert not out, f"{name}: {len(out)} elements reach past the 390-px column: " + "; ".join(
        out[:6])


@pytest.mark.parametrize("name", PAGES)
def test_punctuation_stays_with_its_formula(phone, name):
    split = phone[f"{name}.html"]["punctuation_alone"]
    assert not split, f"{name}: punctuation carried to the next line: {split[:5]}"


@pytest.mark.parametrize("name", PAGES)
def test_figures_stay_readable(phone, name):
    small = [f"{i['src']}: {i['width'] / i['natural']:.0%}" for i in phone[f"{name}.html"]["images"]
             if i["natural"] and i["width"] < 0.74 * i["natural"]]
    assert not small, f"{name}: figures shrunk below three quarters at 390 px: {small}"


@pytest.mark.parametrize("name", PAGES)
def test_a_figure_that_scrolls_says_so(phone, name):
    """A figure wider than the column scrolls sideways, one panel at a time, and its
    caption may speak of the right panel: the line under it says to swipe. A figure that
    fits says nothing of the kind."""
    images = [i for i in phone[f"{name}.html"]["images"] if i["scrolls"] is not None]
    silent = [i["src"] for i in images if i["scrolls"] and not i["swipe_cue"]]
    false_cue = [i["src"] for i in images if i["swipe_cue"] and not i["scrolls"]]
    assert not silent, f"{name}: figures scroll at 390 px with no cue: {silent}"
    assert not false_cue, f"{name}: a swipe cue under figures that fit: {false_cue}"


@pytest.fixture(scope="module")
def keyboard(chromium, browser_checks):
    return browser_checks("keyboard", [f"{name}.html@{size}" for name in KEYBOARD_PAGES
                                       for size in ("390x844", "1280x900")])


# Long chapters with code, tables and wide formulas (a walk takes a few seconds a page).
KEYBOARD_PAGES = ["book/lstm_trace", "book/em_elbo_kl", "book/api"]


@pytest.mark.parametrize("size", ["390x844", "1280x900"])
@pytest.mark.parametrize("name", KEYBOARD_PAGES)
def test_tab_stops_on_every_box_that_scrolls_and_no_other(keyboard, name, size):
    result = keyboard[f"{name}.html@{size}"]
    assert result["visited"] > 0, f"{name} at {size}: the walk reached no box"
    assert not result["scrollers_not_stops"], (
        f"{name} at {size}: boxes that scroll but the Tab key passed by: "
        f"{result['scrollers_not_stops'][:4]}")
    assert not result["stops_that_fit"], (
        f"{name} at {size}: the Tab key stopped on boxes that fit: {result['stops_that_fit'][:4]}")


# On a wide screen (1280 px, both sidebars open) the column holds a line of 80
# characters of code; a box with a longer line scrolls and shows that it does.
WIDE_CODE_CHARS = 80


@pytest.fixture(scope="module")
def wide_code(chromium, browser_checks):
    return browser_checks("code", [f"{name}.html@1280x900" for name in PAGES])


@pytest.mark.parametrize("name", PAGES)
def test_code_fits_a_wide_screen_or_shows_it_scrolls(wide_code, name):
    result = wide_code[f"{name}.html@1280x900"]
    needless = [b["start"] for b in result["scrolling"] if b["longest"] <= WIDE_CODE_CHARS]
    assert not needless, (f"{name}: boxes with lines of at most {WIDE_CODE_CHARS} characters "
                          f"scroll at 1280 px: {needless[:5]}")
    no_cue = [b["start"] for b in result["scrolling"] if not b["cue"]]
    assert not no_cue, f"{name}: boxes scroll at 1280 px without a visible cue: {no_cue[:5]}"


# ----------------------------------------------- the first screen of a chapter
# A 390 x 844 phone: the chapter's learning goals start on its first screen (the title
# set smaller than on a wide screen, "Running this chapter" folded away).
PHONE_HEIGHT = 844
# Every chapter (a notebook) states learning goals; the other pages state none.
CHAPTERS = [f"book/{p.stem}" for p in sorted((ROOT / "book").glob("*.ipynb"))]


@pytest.mark.parametrize("name", CHAPTERS)
def test_learning_goals_start_on_a_phones_first_screen(phone, name):
    top = phone[f"{name}.html"]["learning_goals_top"]
    assert top is not None, f"{name} states no learning goals"
    assert top < PHONE_HEIGHT, (f"{name}: the learning goals start {top} px down a "
                                f"{PHONE_HEIGHT}-px phone screen")


# The pages written in Markdown (the chapters' tables of numbers scroll sideways by design).
MARKDOWN_PAGES = [name for name in PAGES if (ROOT / f"{name}.md").exists()]


@pytest.mark.parametrize("name", MARKDOWN_PAGES)
def test_table_cells_break_lines_between_words(phone, name):
    """A table's column on a phone is narrow; its text wraps at spaces (or after a hyphen,
    a dash or a slash), never inside a word, and a table of words fits the screen: none
    is cut by the edge of a table that scrolls sideways."""
    broken = phone[f"{name}.html"]["broken_words"]
    assert not broken, f"{name}: words cut across two lines at 390 px: {broken[:6]}"


# ------------------------------------------------- display formulas on a laptop
# A 1280 x 800 laptop screen (both sidebars open): every display formula fits its box.
# A formula wider than the column scrolls sideways inside its box, but on a laptop it
# should be broken over lines (as in the PDF and on the slides).
@pytest.fixture(scope="module")
def laptop(chromium, browser_checks):
    return browser_checks("laptop", [f"{name}.html@1280x800" for name in PAGES])


@pytest.mark.parametrize("name", PAGES)
def test_display_formulas_fit_a_laptop_screen(laptop, name):
    hidden = laptop[f"{name}.html@1280x800"]["hidden"]
    assert not hidden, (f"{len(hidden)} display formulas scroll sideways at 1280 px: " + "; ".join(
        f"{name}: {h['hidden']} px hidden: {h['tex']}" for h in hidden))
