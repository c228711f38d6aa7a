"""The built site works offline in a real browser.

* every page of ``_toc.yml`` was built;
* no page loads a script, stylesheet, font or image from another host;
* in headless Chromium, MathJax typesets every formula (no ``mjx-merror``)
  and every ``<img>`` loads;
* every internal link resolves to an existing file and anchor;
* no source note is named by its file name (site pages and slides);
* the math fonts, cut to the characters the formulas show, lost no glyph a page
  shows;
* the search page finds a chapter, fits a phone, and shows each formula of a
  snippet once;
* the header's buttons work (sidebars, colour mode).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import HTML, ROOT, SOURCE_FILE_NAME, source_file_names, toc_files
from site_server import browser_checks, html_server  # noqa: F401  (fixtures)

PAGES = toc_files()
REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)

# A probe appended to a copy of each page: after `load`, it loads every <img>'s
# file now (the page's images are lazy: those below the first screen wait for the
# reader) and records whether the browser decoded it, so --dump-dom shows the result.
PROBE = """
<script>
window.addEventListener('load', function () {
  var images = Array.prototype.slice.call(document.querySelectorAll('img'));
  Promise.all(images.map(function (img) {
    return new Promise(function (done) {
      var copy = new Image();
      copy.onload = function () { done(copy.naturalWidth > 0); };
      copy.onerror = function () { done(false); };
      copy.src = img.src;
    }).then(function (ok) { img.setAttribute('data-probe-loaded', ok ? 'yes' : 'no'); });
  })).then(function () { document.body.setAttribute('data-probe-done', 'yes'); });
});
</script>
"""


def page_path(name: str) -> Path:
    return HTML / f"{name}.html"


def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@pytest.mark.parametrize("name", PAGES)
def test_page_was_built(html_dir, name):
    assert page_path(name).is_file(), f"{name} is in _toc.yml but {page_path(name)} is missing"


def loaded_resources(soup: BeautifulSoup):
    """(tag, url) for everything the browser fetches while loading the page."""
    for tag in soup.find_all(["script", "img", "source", "iframe", "embed", "audio", "video"]):
        if tag.get("src"):
            yield tag.name, tag["src"]
    for tag in soup.find_all("link"):
        rel = " ".join(tag.get("rel", []))
        if tag.get("href") and rel not in ("canonical", "alternate", "next", "prev", "index",
                                           "search", "author", "license", "help"):
            yield f"link[{rel}]", tag["href"]
    for tag in soup.find_all("object"):
        if tag.get("data"):
            yield "object", tag["data"]
    for tag in soup.find_all(style=True):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", tag["style"]):
            yield "style", url


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_nothing_from_another_host(html_dir, name):
    remote = [(tag, url) for tag, url in loaded_resources(soup_of(page_path(name)))
              if REMOTE.match(url)]
    assert not remote, f"{name} loads from another host: {remote}"


def test_stylesheets_load_nothing_from_another_host(html_dir):
    offenders = []
    for css in sorted(html_dir.rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="replace")
        for url in re.findall(r"(?:url\(\s*['\"]?|@import\s+['\"])([^'\")]+)", text):
            if REMOTE.match(url.strip()):
                offenders.append(f"{css.relative_to(html_dir)}: {url}")
    assert not offenders, "stylesheets fetch remote resources:\n" + "\n".join(offenders)


def test_math_is_served_locally_and_mathjax3_only_when_a_page_needs_it(html_dir):
    """Formulas are typeset at build time with MathJax 4, whose fonts the site serves;
    MathJax 3 (2 MB, the fallback) is shipped only if a page still loads it."""
    assert any((html_dir / "mathjax4" / "subset").glob("*.woff2"))
    loaders = [p.relative_to(html_dir) for p in html_dir.rglob("*.html")
               if "mathjax/tex-mml-chtml.js" in p.read_text(encoding="utf-8", errors="replace")]
    assert not loaders, f"pages still load MathJax 3: {loaders[:5]}"
    assert not (html_dir / "mathjax").exists(), "MathJax 3 is shipped but no page loads it"


MATH_FONTS = ROOT / "node_modules" / "@mathjax" / "mathjax-newcm-font" / "chtml" / "woff2"


def test_cut_math_fonts_keep_every_glyph_a_page_shows(html_dir):
    """The pages load MathJax's fonts cut down to the characters their formulas
    show: each font a page names still has every glyph of that page's formulas that
    the whole font has."""
    TTFont = pytest.importorskip("fontTools.ttLib").TTFont
    if not MATH_FONTS.is_dir():
        pytest.fail(f"{MATH_FONTS} missing: run `make assets`")
    cmaps: dict[Path, set[int]] = {}

    def cmap(path: Path) -> set[int]:
        if path not in cmaps:
            cmaps[path] = set(TTFont(path).getBestCmap() or ())  # none: no character kept
        return cmaps[path]
    checked, lost = 0, []
    for page in sorted(html_dir.rglob("*.html")):
        if "slides" in page.parts or page.name.startswith("_probe_"):
            continue
        text = page.read_text(encoding="utf-8")
        if "<mjx-math" not in text:
            continue
        shown = {ord(c) for m in BeautifulSoup(text, "html.parser").find_all("mjx-math")
                 for c in m.get_text()}
        for url in re.findall(r'url\("([^"]+\.woff2)"\)', text):
            font = (page.parent / url).resolve()
            assert font.is_file(), f"{page.relative_to(html_dir)} names a missing font {url}"
            whole = MATH_FONTS / font.name
            missing = (cmap(whole) & shown) - cmap(font)
            checked += 1
            if missing:
                lost.append(f"{page.relative_to(html_dir)}: {font.name} lacks "
                            + "".join(sorted(map(chr, missing))))
    assert checked > 100, f"only {checked} page fonts checked"
    assert not lost, "cut fonts lost glyphs:\n" + "\n".join(lost)


def test_no_source_is_named_by_its_file_name(html_dir):
    """Site pages and slides (text, titles, alt text) name the sources readably."""
    pages = [p for p in sorted(html_dir.rglob("*.html")) if not p.name.startswith("_probe_")]
    assert len(pages) > 20
    found = [f"{page.relative_to(html_dir)}: {name!r}" for page in pages
             for name in source_file_names(page.read_text(encoding="utf-8"))]
    assert not found, "sources named by file name:\n" + "\n".join(found[:20])


def test_source_file_name_pattern_catches_file_names():
    for text in ("see 000_b358372b585ad7a0.txt", "the error in 002", "source 004 says",
                 "003_0aeb92cac6b7d8cd"):
        assert SOURCE_FILE_NAME.search(text), text
    for text in ("Homework 4 solutions (Chinese)", "tol = 0.002", "N = 1000", "x_002"):
        assert not SOURCE_FILE_NAME.search(text), text


@pytest.mark.parametrize("name", PAGES)
def test_page_in_chromium(html_dir, chromium, name):
    source = page_path(name)
    text = source.read_text(encoding="utf-8")
    n_math = len(re.findall(r'class="math[ "]', text))
    probe_copy = source.with_name(f"_probe_{source.name}")
    probe_copy.write_text(text.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    try:
        dom = chromium(probe_copy.as_uri(), "--dump-dom")
    finally:
        probe_copy.unlink()
    assert 'data-probe-done="yes"' in dom, f"{name}: the page never finished loading"
    n_typeset = dom.count("<mjx-container")
    if n_math:
        assert n_typeset >= n_math, (
            f"{name}: {n_math} formulas but MathJax typeset only {n_typeset}")
    assert "<mjx-merror" not in dom, f"{name}: MathJax reported a TeX error"
    not_loaded = re.findall(r'<img[^>]*data-probe-loaded="no"[^>]*>', dom)
    assert not not_loaded, f"{name}: images failed to load: {not_loaded[:3]}"


def _ids(path: Path, cache: dict) -> set[str]:
    if path not in cache:
        soup = soup_of(path)
        cache[path] = {tag["id"] for tag in soup.find_all(id=True)} | {
            tag["name"] for tag in soup.find_all("a", attrs={"name": True})}
    return cache[path]


def test_internal_links_resolve(html_dir):
    """Every relative href and src of every built page points to a file (and anchor) that exists."""
    problems, cache = [], {}
    for page in sorted(html_dir.rglob("*.html")):
        if page.name.startswith("_probe_") or {"_sources", "_static"} & set(page.relative_to(html_dir).parts):
            continue
        soup = soup_of(page)
        for tag in soup.find_all(["a", "link", "img", "script"]):
            url = tag.get("href") or tag.get("src")
            if not url or REMOTE.match(url) or url.startswith(("mailto:", "javascript:", "data:")):
                continue
            parts = urlsplit(url)
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems.append(f"{page.relative_to(html_dir)}: {url} (no such file)")
                continue
            fragment = parts.fragment
            if fragment.startswith("/") and target.name.endswith(".slides.html"):
                fragment = fragment[1:]  # reveal.js: #/lecture-2 is the slide with that id
            if fragment and target.suffix == ".html":
                # browsers match the fragment as written or percent-decoded
                ids = _ids(target, cache)
                if fragment not in ids and unquote(fragment) not in ids:
                    problems.append(f"{page.relative_to(html_dir)}: {url} (no such anchor)")
    assert not problems, f"{len(problems)} broken internal links:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("name", PAGES)
def test_no_stray_dollar_signs(html_dir, name):
    """Every $ of the sources became math: a leftover $ is TeX that failed to parse
    (e.g. display math opening a proof, see _ext/proof_fix.py)."""
    soup = soup_of(page_path(name))
    for tag in soup.find_all(["script", "style", "pre", "code", "mjx-container", "kbd"]):
        tag.decompose()
    article = soup.find("article") or soup
    text = article.get_text(" ")
    stray = [text[max(0, m.start() - 40):m.end() + 40] for m in re.finditer(r"\$", text)]
    assert not stray, f"{name}: stray '$' in the text: {stray[:3]}"


def test_search_finds_a_chapter(html_dir, chromium, browser_checks):
    """Content pages do not load the search index (``_ext/site_speed.py``); the search
    page does, and finds the chapters."""
    found = browser_checks("search", ["search.html?q=Jensen"])["search.html?q=Jensen"]
    assert any("em_elbo_kl.html" in href for href in found["links"]), (
        f"searching for 'Jensen' did not find the ELBO chapter: {found['links'][:5]}")
    # on a phone: the results fit, and a formula in a snippet is there once
    assert not found["page_scrolls_sideways"], "the search results scroll sideways at 390 px"
    repeated = [m.group(0) for s in found["snippets"] for m in re.finditer(r"(\S{5,})\1", s)]
    assert not repeated, f"text repeated in a search snippet: {repeated[:3]}"


def test_bibliography_is_author_year(html_dir):
    """Each entry: authors, last name first, then the year: "Akaike, H. (1974). ..."."""
    soup = soup_of(page_path("book/bibliography"))
    for label in soup.select("div.citation > span.label"):
        label.decompose()  # the hidden label ("Akaike, 1974")
    entries = [" ".join(c.get_text(" ").split()) for c in soup.select("div.citation")]
    assert len(entries) >= 20
    bad = [e[:80] for e in entries if not re.match(r"^[^()\d]+ \(\d{4}[a-z]?\)\.", e)]
    assert not bad, f"entries not in author-year form: {bad[:3]}"


@pytest.mark.parametrize("size", ["390x844", "1280x900"])
def test_header_buttons_work(html_dir, chromium, browser_checks, size):
    """The sidebar buttons (chapters, and the page's contents) open their sidebar, and the
    colour-mode button shows its icon (site_speed.py turns the icons into SVG)."""
    found = browser_checks("chrome", [f"book/em_elbo_kl.html@{size}"])[f"book/em_elbo_kl.html@{size}"]
    phone = size.startswith("390")
    assert found["primary"] == ("opens" if phone else "folds"), (
        f"the chapters button at {size}: {found['primary']}")
    # on a wide screen the page's contents are a column of their own, with no button
    assert found["secondary"] == ("opens" if phone else "no visible button"), (
        f"the contents button at {size}: {found['secondary']}")
    assert found["colour_mode_icon"], f"the colour-mode button at {size} shows no icon"


CHAPTERS = sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))


def _checks_labels(stem: str) -> list[list[str]]:
    """Per checking cell of a notebook (in order), the labels of its ``# checks:`` lines."""
    import json

    cells = json.loads((ROOT / "book" / f"{stem}.ipynb").read_text(encoding="utf-8"))["cells"]
    found = []
    for cell in cells:
        src = "".join(cell["source"])
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] != "code" or {"remove-cell", "remove-input"} & set(tags):
            continue
        labels = [x.strip() for m in re.finditer(r"^\s*#\s*checks:\s*([\w:,\s-]+?)\s*(?:\(.*\))?$",
                                                 src, flags=re.M)
                  for x in m.group(1).split(",") if x.strip()]
        if labels:
            found.append(labels)
    return found


@pytest.mark.parametrize("stem", CHAPTERS)
def test_checking_cells_name_their_result_with_a_link(html_dir, stem):
    """A reader sees "Checks Proposition 1.2" linked to it, not the label the tests read."""
    soup = soup_of(html_dir / "book" / f"{stem}.html")
    article = soup.select_one(".bd-article")
    code = " ".join(pre.get_text() for pre in article.select("div.cell_input pre"))
    assert "# checks:" not in code
    captions = article.select("p.mlhw-checks")
    expected = _checks_labels(stem)
    assert len(captions) == len(expected)
    for caption, labels in zip(captions, expected):
        links = caption.select("a.reference.internal")
        assert [a["href"].rpartition("#")[2] for a in links] == labels
        for a in links:
            assert re.fullmatch(r"(Theorem|Proposition|Lemma|Corollary) [0-9A-Z]+\.\d+", a.get_text()), \
                a.get_text()
        # the caption is right before the code cell it describes
        nxt = caption.find_next_sibling()
        assert nxt is not None and "cell" in nxt.get("class", [])


@pytest.mark.parametrize("stem", CHAPTERS)
def test_solution_titles_link_without_a_leading_space(html_dir, stem):
    soup = soup_of(html_dir / "book" / f"{stem}.html")
    for title in soup.select(".solution .admonition-title"):
        for a in title.select("a"):
            assert a.get_text() == a.get_text().lstrip(), f"{stem}: {title.get_text()!r}"
        assert "Solution to Exercise" in " ".join(title.get_text().split())


@pytest.mark.parametrize("stem", CHAPTERS)
def test_downloaded_notebooks_name_checked_results(html_dir, stem):
    """The clean notebook's checking cells say "# checks Proposition 1.2: <address>"."""
    import json

    path = html_dir / "notebooks" / f"{stem}.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert "# checks:" not in code
    lines = re.findall(r"^# checks .*$", code, flags=re.M)
    source = json.loads((ROOT / "book" / f"{stem}.ipynb").read_text(encoding="utf-8"))["cells"]
    expected = sum(len(re.findall(r"^\s*#\s*checks:", "".join(c["source"]), flags=re.M))
                   for c in source if c["cell_type"] == "code"
                   and "remove-cell" not in c.get("metadata", {}).get("tags", []))
    assert len(lines) == expected
    for line in lines:
        assert re.match(r"# checks (Theorem|Proposition|Lemma|Corollary) [0-9A-Z]+\.\d+", line), line
        assert re.search(r"book/\w+\.html#[\w-]+$", line), line


@pytest.mark.parametrize("name", PAGES)
def test_no_line_can_end_with_an_opening_bracket_before_a_formula(html_dir, name):
    """'(' or '“' right before an in-line formula sits inside the formula's unbreakable
    span (_ext/site_speed.py), so a line never ends with it."""
    html = page_path(name).read_text(encoding="utf-8")
    bad = re.findall(r'.{30}[(\[‘“]<span class="math notranslate nohighlight">', html)
    assert not bad, f"{name}: {bad[:3]}"
