"""The reveal.js decks (``make slides``, part of ``make book``) work in a lecture.

Chromium (puppeteer-core, npm) walks every slide of every deck at 1280 x 720:

* no slide is taller or wider than the slide: the builder splits long slides
  into sub-slides; a slide the browser still had to zoom to fit fails below 75 %;
* no unresolved reference ("??", a raw role, a file name), no raw TeX and no
  MathJax error is left on a slide;
* every deck opens with a title slide (the chapter's title and learning goals)
  and shows slide numbers; no solution reaches a slide.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from conftest import HTML, IN_CI, ROOT
from site_server import html_server  # noqa: F401  (a fixture)

DECKS = sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))
MIN_ZOOM = 0.75


@pytest.fixture(scope="module")
def walked(chromium, html_server):
    if shutil.which("node") is None or not (ROOT / "node_modules" / "puppeteer-core").is_dir():
        message = "node or node_modules/puppeteer-core missing: run `make assets`"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    paths = [f"slides/{stem}.slides.html" for stem in DECKS]
    missing = [p for p in paths if not (HTML / p).is_file()]
    assert not missing, f"decks missing (run `make book`): {missing}"
    done = subprocess.run(["node", str(ROOT / "tests" / "browser_checks.mjs"), "slides",
                           html_server, *paths], capture_output=True, text=True, timeout=900,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


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
    assert "Running this chapter" not in first.group(1)
    source = json.loads((ROOT / "book" / f"{stem}.ipynb").read_text(encoding="utf-8"))
    opening = " ".join("".join(c["source"]) for c in source["cells"][:3] if c["cell_type"] == "markdown")
    if re.search(r"learning goals", opening, re.I):
        assert re.search(r"learning goals", first.group(1), re.I), f"{stem}: no learning goals"
    assert all(s["number"].strip() for s in slides[1:]), f"{stem}: slides without numbers"


def test_no_solution_on_a_slide():
    for stem in DECKS:
        deck = (HTML / "slides" / f"{stem}.slides.html").read_text(encoding="utf-8")
        assert not re.search(r"Solution to|class=\"box solution", deck), stem
