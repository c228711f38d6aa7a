"""The deterministic part of the site audit (``make audit`` measures the rest).

* every page of ``_toc.yml`` costs at most 1.5 MB on first load (transferred
  bytes, computed from the files: ``tests/site_budget.py``);
* no page ships a source map or loads Font Awesome's script or MathJax at run time
  (formulas are typeset at build time);
* element ids are unique on every page;
* images load lazily (a chapter's figures are not fetched before its first screen
  is painted), and Font Awesome ships only the glyphs the site uses;
* axe-core (npm, the engine behind Lighthouse's accessibility score) finds no
  violation of impact "serious" or "critical" on any page, in Chromium.
"""

from __future__ import annotations

import collections
import re
from pathlib import Path

import pytest
from conftest import HTML, toc_files
from site_budget import BUDGET_BYTES, first_load, page_cost
from site_server import browser_checks, html_server  # noqa: F401  (fixtures)

PAGES = toc_files()


def _page(name):
    return HTML / f"{name}.html"


@pytest.mark.parametrize("name", PAGES)
def test_first_load_within_budget(html_dir, name):
    cost = page_cost(_page(name))
    biggest = sorted(first_load(_page(name)).items(), key=lambda kv: -kv[1])[:5]
    assert cost <= BUDGET_BYTES, (
        f"{name}: {cost / 1e6:.2f} MB on first load (budget {BUDGET_BYTES / 1e6:.1f} MB); "
        "largest: " + ", ".join(f"{p.name} {b / 1e3:.0f} kB" for p, b in biggest))


def test_no_source_maps_and_no_runtime_typesetting(html_dir):
    maps = sorted(str(p.relative_to(html_dir)) for p in html_dir.rglob("*.map"))
    assert not maps, f"source maps shipped: {maps[:5]}"
    for name in PAGES:
        html = _page(name).read_text(encoding="utf-8")
        assert "fontawesome" not in " ".join(re.findall(r"<script[^>]*>", html)), name
        assert not re.search(r'<script[^>]*src="[^"]*mathjax', html), (
            f"{name} loads MathJax: its formulas were not typeset at build time")


@pytest.mark.parametrize("name", PAGES)
def test_images_load_lazily(html_dir, name):
    images = re.findall(r"<img\b[^>]*>", _page(name).read_text(encoding="utf-8"))
    eager = [tag[:120] for tag in images if 'loading="lazy"' not in tag]
    assert not eager, f"{name}: images without loading=lazy: {eager[:3]}"


def test_icon_fonts_hold_only_the_icons_in_use(html_dir):
    fonts = sorted((html_dir / "_static").rglob("fa-*.*"))
    assert fonts, "no Font Awesome font in _static"
    big = {f.name: f.stat().st_size for f in fonts if f.stat().st_size > 20_000}
    assert not big, f"Font Awesome fonts not cut down to the icons in use: {big}"
    # ... and still hold every icon a stylesheet names that the theme's own fonts have
    import pydata_sphinx_theme
    from fontTools.ttLib import TTFont

    theme = (Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
             / "static" / "vendor" / "fontawesome" / "webfonts")
    had = set().union(*(TTFont(f).getBestCmap() for f in theme.glob("fa-*.ttf")))
    have = set().union(*(TTFont(f).getBestCmap() for f in fonts))
    named = set()
    for sheet in (html_dir / "_static").rglob("*.css"):
        css = sheet.read_text(encoding="utf-8", errors="replace")
        named |= {ord(c) for c in css if 0xE000 <= ord(c) <= 0xF8FF}
        named |= {int(h, 16) for h in re.findall(r"\\([0-9a-fA-F]{4,6})", css)
                  if 0xE000 <= int(h, 16) <= 0xF8FF}
    lost = sorted(hex(c) for c in (named & had) - have)
    assert not lost, f"icons named by the stylesheets but missing from the fonts: {lost}"


@pytest.mark.parametrize("name", PAGES)
def test_element_ids_are_unique(html_dir, name):
    ids = collections.Counter(re.findall(r'<[a-zA-Z][^>]*?\sid="([^"]*)"',
                                         _page(name).read_text(encoding="utf-8")))
    repeated = {i: n for i, n in ids.items() if n > 1}
    assert not repeated, f"{name}: repeated element ids {repeated}"


def test_axe_finds_no_serious_or_critical_violation(chromium, browser_checks):
    results = browser_checks("axe", [f"{name}.html" for name in PAGES])
    bad = {page: [v for v in found if v["impact"] in ("serious", "critical")]
           for page, found in results.items()}
    bad = {page: found for page, found in bad.items() if found}
    assert not bad, "axe-core violations:\n" + "\n".join(
        f"{page}: {v['impact']} {v['id']} ({v['help']}) x{v['nodes']} e.g. {v['targets']}"
        for page, found in bad.items() for v in found)
