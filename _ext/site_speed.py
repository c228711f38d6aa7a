"""Sphinx extension: a light, fast, phone-readable site (issue 18).

After the HTML builder has written the site, every page is post-processed:

* **Icons as inline SVG.** pydata-sphinx-theme loads Font Awesome's 1.5 MB
  script to turn a dozen ``<i class="fa-solid fa-…">`` tags into SVG. The SVG
  paths are read from that script once and written into the pages; the script
  is neither loaded nor shipped.
* **Font Awesome: only the icons the site shows.** The theme's stylesheet carries
  the class rules of all ~1900 icons and three icon fonts (156 kB for the solid
  one), fetched before a page is painted. The rules of icons that no page or
  script names are dropped, and the fonts are cut down (fontTools, a matplotlib
  dependency) to the glyphs the remaining rules use: a few kB.
* **Math typeset at build time.** ``_ext/prerender_math.mjs`` (MathJax 4 under
  node, npm ``mathjax4``) turns every formula into CHTML, with MathML for
  screen readers; pages load no MathJax script, nothing is typeset on the
  reader's phone and formulas are not tab stops. MathJax 4 breaks long in-line
  formulas at top-level operators; display formulas scroll inside their own
  box (``static/mlhw-site.css``). The woff2 fonts are copied to
  ``mathjax4/woff2`` (for the slides) and, cut down to the characters the pages'
  formulas show, to ``mathjax4/subset`` (for the pages: the main font is 94 kB
  whole, and a phone on a slow network may wait for it before its first paint).
  Without node or ``node_modules`` the pages keep the MathJax 3 script (a
  warning says so).
* **No layout of the whole page at load.** Long chapters lay out a section only when
  it nears the screen (``content-visibility`` in ``static/mlhw-site.css``).
  pydata-sphinx-theme measures every code block when a page loads (to make the ones
  that scroll keyboard stops), which lays out the whole page: seconds on a phone.
  That sweep is removed from the theme's script; the build marks every box that may
  scroll on a 390-px phone (code by its longest line, tables, display formulas by
  their width: ``prerender_math.mjs``) and ``static/mlhw-site.js``, at each Tab
  key press, measures the boxes the focus may reach next and corrects their marks
  (only keyboard users pay for that layout, a few boxes at a time).
* **Images load lazily** (``loading="lazy"``): a chapter's figures are not fetched
  before its first screen is painted; their size becomes ``width``/``height``
  attributes, so a figure shrunk to a phone's column keeps its shape.
* **No source maps** are shipped (``*.map`` removed, their comments stripped).
* **No search index on content pages**: the theme loads the whole index
  (``searchindex.js``) on every page for a search-as-you-type box that is off.
* Unique element ids (sphinx-proof and sphinx-exercise repeat theirs).
* One search box: the sidebar's search field is dropped in ``_config.yml``
  (``html_sidebars``), the header's search button stays.

Pages already processed carry ``<meta name="mlhw-site" content="processed">``,
so incremental builds only touch the pages Sphinx rewrote.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from functools import lru_cache
from html import unescape
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
MARK = '<meta name="mlhw-site" content="processed">'
SKIP_DIRS = {"_static", "_sources", "slides", "mathjax", "mathjax4", "_images"}
FONTS = Path("node_modules") / "@mathjax" / "mathjax-newcm-font" / "chtml" / "woff2"


@lru_cache(maxsize=1)
def _icons() -> dict[str, tuple[int, int, str]]:
    """Font Awesome's solid icons, ``name -> (width, height, path)``, from the theme's script."""
    import pydata_sphinx_theme

    js = (Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
          / "scripts" / "fontawesome.js").read_text(encoding="utf-8")
    # Each icon set is an object literal followed by its registration d("fas", …).
    defines = [(m.start(), m.group(1)) for m in re.finditer(r'\bd\("(fa[a-z]*)",', js)]
    icons: dict[str, tuple[int, int, str]] = {}
    pattern = re.compile(r'(?:"([a-z0-9-]+)"|\b([a-z][a-z0-9]*)):\[(\d+),(\d+),\[[^\]]*\],'
                         r'"[0-9a-f]*","([^"]+)"\]')
    for match in pattern.finditer(js):
        after = next((name for pos, name in defines if pos > match.start()), None)
        if after == "fas":
            icons.setdefault(match.group(1) or match.group(2),
                             (int(match.group(3)), int(match.group(4)), match.group(5)))
    return icons


ICON_TAG = re.compile(r'<(i|span)\s+class="([^"]*\bfa-[^"]*)"([^>]*)>\s*</\1>')
STYLE_ONLY = {"fa-solid", "fas", "fa-regular", "far", "fa-brands", "fab", "fa-lg", "fa-fw",
              "fa-sm", "fa-xs", "fa-2x"}


def _svg(match: re.Match) -> str:
    classes = match.group(2).split()
    names = [c[3:] for c in classes if c.startswith("fa-") and c not in STYLE_ONLY]
    icon = next((_icons()[n] for n in names if n in _icons()), None)
    if icon is None:
        return match.group(0)
    width, height, path = icon
    # the icon's own attributes stay (the colour-mode icons are shown by their data-mode);
    # a title would only be a tooltip on an icon hidden from screen readers
    extra = re.sub(r'\s(?:title|aria-hidden|focusable)="[^"]*"', "", match.group(3)).strip()
    extra = f" {extra}" if extra else ""
    return (f'<svg class="{" ".join(classes)} mlhw-icon"{extra} aria-hidden="true" '
            f'focusable="false" viewBox="0 0 {width} {height}"><path fill="currentColor" '
            f'd="{path}"/></svg>')


def _strip_scripts(html: str) -> str:
    html = re.sub(r'<script[^>]*src="[^"]*fontawesome\.js[^"]*"[^>]*>\s*</script>\s*', "", html)
    # thebe is off (see offline_site.py); its configuration block is dead weight
    html = re.sub(r'<script type="text/x-thebe-config">.*?</script>\s*', "", html, flags=re.DOTALL)
    return html


def _drop_search_scripts(html: str) -> str:
    """pydata-sphinx-theme loads Sphinx's search scripts and the whole search index
    (``searchindex.js``) on every page for its search-as-you-type box; with that off
    (the default) they do nothing there: the search button opens a form that goes to
    ``search.html``, which loads them itself."""
    if ("DOCUMENTATION_OPTIONS.search_as_you_type = false" not in html
            or "DOCUMENTATION_OPTIONS.pagename = 'search'" in html):
        return html
    return re.sub(r'<script src="[^"]*(?:_static/searchtools\.js|_static/language_data\.js|'
                  r'searchindex\.js)"></script>\s*', "", html)


SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>\s*", re.DOTALL)


def _scripts_to_end(html: str) -> str:
    """Move the head's blocking scripts (and the in-line ones that use them) to the end
    of the body, in their order: the page renders before any script runs. The first
    in-line script (the colour mode, which must run before the first paint) and the
    deferred ones stay."""
    head_end = html.find("</head>")
    if head_end < 0 or "</body>" not in html:
        return html
    head, rest = html[:head_end], html[head_end:]
    moved, kept_first = [], False

    def take(match: re.Match) -> str:
        nonlocal kept_first
        tag = match.group(0)
        opening = tag[:tag.find(">") + 1]
        if re.search(r"\s(defer|async)\b", opening) or 'type="module"' in opening:
            return tag
        if "src=" not in opening and not kept_first and "dataset.mode" in tag:
            kept_first = True
            return tag
        moved.append(tag.strip())
        return ""
    head = SCRIPT.sub(take, head)
    body_end = rest.rfind("</body>")
    rest = rest[:body_end] + "\n".join(moved) + "\n" + rest[body_end:]
    return head + rest


def _unique_ids(html: str) -> str:
    """sphinx-proof and sphinx-exercise give every block the same ``id`` ("proof",
    "exercise-content", ...); nothing links to them. Keep the first, number the rest."""
    seen: dict[str, int] = {}

    def rename(match: re.Match) -> str:
        name = match.group(1)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == 1:
            return match.group(0)
        return f' id="{name}-{seen[name]}"'
    return re.sub(r'\sid="([^"]+)"', rename, html)


def _accessibility(html: str) -> str:
    # The search field's accessible name "Search" must contain its visible text
    # ("Search Ctrl+K"): let the name come from the text.
    html = re.sub(r'(<button[^>]*\bsearch-button-field\b[^>]*?)\s+aria-label="Search"', r"\1",
                  html)
    # myst-nb's "Show code cell source" toggles are named "Toggle hidden content":
    # the name must contain the visible text, so let the text name them.
    html = html.replace('<summary aria-label="Toggle hidden content">', "<summary>")
    # sphinxcontrib-bibtex marks entries doc-biblioentry inside role="list": a list
    # needs listitem children.
    return html.replace('role="doc-biblioentry"', 'role="listitem"')


# pydata-sphinx-theme's load-time sweep over every code block, output and table
# (minified: ``"complete"===document.readyState?I():window.addEventListener("load",I)``,
# where I reads scrollWidth of each): removed, see the module docstring.
THEME_SWEEP = re.compile(r'"complete"===document\.readyState\?(\w+)\(\):'
                         r'window\.addEventListener\("load",\1\)')


def _drop_theme_sweep(outdir: Path) -> None:
    script = outdir / "_static" / "scripts" / "pydata-sphinx-theme.js"
    if not script.exists():
        return
    text = script.read_text(encoding="utf-8")
    match = THEME_SWEEP.search(text)
    if match is None:
        if "mlhw: load-time sweep removed" not in text:
            logger.warning("site_speed: pydata-sphinx-theme.js changed: its load-time sweep "
                           "over code blocks was not found (see _ext/site_speed.py)",
                           type="mlhw", subtype="theme")
        return
    name = match.group(1)
    body = re.search(r"function " + re.escape(name) + r"\(\)\{(.{0,400})", text)
    if body is None or "scrollWidth" not in body.group(1):
        logger.warning("site_speed: pydata-sphinx-theme.js changed: the function it runs at "
                       "load no longer measures scrollWidth (see _ext/site_speed.py)",
                       type="mlhw", subtype="theme")
        return
    text = text[:match.start()] + "/* mlhw: load-time sweep removed */void 0" + text[match.end():]
    script.write_text(text, encoding="utf-8")


# A code line longer than this may not fit a phone: the narrowest code box measured
# at 390 px is 332 px, 300 px inside its padding, 35 characters of 14-px monospace
# (8.4 px each); 30 leaves room for narrower phones and fonts.
PHONE_CODE_CHARS = 30
PRE = re.compile(r"<pre(\s[^>]*)?>(.*?)</pre>", re.DOTALL)


def _scroll_marks(html: str) -> str:
    """Make the boxes that may scroll sideways on a phone keyboard stops: code whose
    longest line is longer than ``PHONE_CODE_CHARS``, and table boxes. (Display
    formulas are marked by ``prerender_math.mjs``, which knows their width.)"""
    def pre(match: re.Match) -> str:
        attrs = match.group(1) or ""
        text = unescape(re.sub(r"<[^>]+>", "", match.group(2))).expandtabs(8)
        longest = max((len(line) for line in text.splitlines()), default=0)
        if longest <= PHONE_CODE_CHARS or "tabindex=" in attrs:
            return match.group(0)
        return f'<pre{attrs} tabindex="0">{match.group(2)}</pre>'
    html = PRE.sub(pre, html)
    return html.replace('<div class="pst-scrollable-table-container">',
                        '<div class="pst-scrollable-table-container" tabindex="0">')


FA_FONTS = Path("vendor") / "fontawesome" / "webfonts"
FA_ICON_RULE = re.compile(r"^\.fa-([a-z0-9-]+):(?:before|after)$")
CSS_RULE = re.compile(r"[^{}]+\{[^{}]*\}")
CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?")


def _icon_codepoints(css: str) -> set[int]:
    """Font Awesome's glyphs live in the Private Use Area: every such character a
    stylesheet names, written as itself or as an escape."""
    chars = {ord(c) for c in css if 0xE000 <= ord(c) <= 0xF8FF}
    chars |= {int(h, 16) for h in CSS_ESCAPE.findall(css) if 0xE000 <= int(h, 16) <= 0xF8FF}
    return chars


def _font_awesome(outdir: Path) -> None:
    """Drop the rules of icons nobody uses; subset the icon fonts to what is left."""
    static = outdir / "_static"
    theme_css = static / "styles" / "pydata-sphinx-theme.css"
    fonts = static / FA_FONTS
    if not theme_css.exists() or not fonts.is_dir():
        return
    used = set()
    for path in list(outdir.rglob("*.html")) + list(static.rglob("*.js")):
        used |= set(re.findall(r"\bfa-([a-z0-9-]+)",
                               path.read_text(encoding="utf-8", errors="replace")))

    def keep(match: re.Match) -> str:
        names = [FA_ICON_RULE.match(sel.strip()) for sel in match.group(0).split("{")[0].split(",")]
        if all(names) and not any(n.group(1) in used for n in names):
            return ""
        return match.group(0)
    css = CSS_RULE.sub(keep, theme_css.read_text(encoding="utf-8"))
    codepoints = set()
    for sheet in static.rglob("*.css"):
        codepoints |= _icon_codepoints(css if sheet == theme_css
                                       else sheet.read_text(encoding="utf-8", errors="replace"))
    from fontTools import subset
    from fontTools.ttLib import TTFont

    for face in re.findall(r"@font-face\{[^}]*\}", css):
        ttf = re.search(r"url\(([^)]*/([\w-]+)\.ttf)\)", face)
        if ttf is None or not (fonts / f"{ttf.group(2)}.ttf").exists():
            continue
        name = ttf.group(2)
        font = TTFont(fonts / f"{name}.ttf")
        options = subset.Options()
        options.flavor = "woff"  # zlib: no Brotli needed, and the subset is a few kB
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=codepoints)
        subsetter.subset(font)
        font.flavor = "woff"
        font.save(fonts / f"{name}.subset.woff")
        src = re.search(r"src:[^;}]*", face).group(0)
        base = ttf.group(1).rsplit("/", 1)[0]
        css = css.replace(face, face.replace(
            src, f'src:url({base}/{name}.subset.woff) format("woff")'))
        for old in (fonts / f"{name}.woff2", fonts / f"{name}.ttf"):
            old.unlink(missing_ok=True)
    theme_css.write_text(css, encoding="utf-8")


# the text column of a 390-px phone (tests/test_phone.py checks the cue against it)
PHONE_COLUMN_PX = 350
IMG_SIZE_STYLE = re.compile(r'\sstyle="width:\s*(\d+)px;\s*height:\s*(\d+)px;?"')


def _images(html: str) -> str:
    """Images load lazily, and keep their shape when the column is narrower than they
    are: myst-nb writes a figure's size as an in-line style (``width: 890px; height:
    329px``), whose fixed height beats ``height: auto`` and stretches a shrunk figure;
    as ``width``/``height`` attributes the browser keeps the aspect ratio (and reserves
    the space before the image arrives)."""
    def one(match: re.Match) -> str:
        tag = match.group(0)
        size = IMG_SIZE_STYLE.search(tag)
        tag = IMG_SIZE_STYLE.sub(r' width="\1" height="\2" style="--mlhw-figure-width: \1px"',
                                 tag)
        if size and 0.75 * int(size.group(1)) > PHONE_COLUMN_PX:
            # wider than a phone's column even at three quarters: it scrolls there, and
            # a line under it says so (mlhw-site.css), since its caption may say "right"
            tag = tag.replace("<img", '<img data-mlhw-wide=""', 1)
        if " loading=" not in tag:
            tag = tag.replace("<img", '<img loading="lazy" decoding="async"', 1)
        return tag
    return re.sub(r"<img\b[^>]*>", one, html)


INLINE_MATH_END = re.compile(r"</mjx-container></span>([.,;:!?)\]’”]{1,3})")


INLINE_MATH_START = re.compile(r"([(\[‘“]{1,3})(<span class=\"math notranslate nohighlight\">)(<mjx-container)")


def _punctuation_with_formula(html: str) -> str:
    """A full stop or comma right after an in-line formula moves into the formula's
    span, which does not wrap (mlhw-site.css): when MathJax breaks a long formula,
    the punctuation stays on the formula's last line instead of starting the next.
    An opening bracket or quotation mark right before a formula moves in likewise, so
    that a line never ends with "(" and the formula starts the next one."""
    html = INLINE_MATH_START.sub(r"\2\1\3", html)
    return INLINE_MATH_END.sub(r"</mjx-container>\1</span>", html)


def _strip_mathjax(html: str) -> str:
    html = re.sub(r"<script>\s*window\.MathJax\s*=.*?</script>\s*", "", html, flags=re.DOTALL)
    html = re.sub(r'<script[^>]*src="[^"]*mathjax/tex-mml-chtml\.js[^"]*"[^>]*>\s*</script>\s*',
                  "", html)
    return html


def _remove_source_maps(outdir: Path) -> None:
    for path in outdir.rglob("*.map"):
        path.unlink()
    static = outdir / "_static"
    for path in list(static.rglob("*.js")) + list(static.rglob("*.css")):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        if "sourceMappingURL" in text:
            text = re.sub(r"\n?(//|/\*)# sourceMappingURL=[^\n]*", "", text)
            path.write_text(text, encoding="utf-8", errors="surrogateescape")


def _pages(outdir: Path) -> list[Path]:
    return [p for p in sorted(outdir.rglob("*.html"))
            if not SKIP_DIRS & set(p.relative_to(outdir).parts[:-1])
            and not p.name.startswith("_probe_")]


def _node() -> str | None:
    return shutil.which("node")


def _prerender(app, pages: list[Path], outdir: Path) -> bool:
    root = Path(app.srcdir)
    script = HERE / "prerender_math.mjs"
    fonts = root / FONTS
    if not (_node() and fonts.is_dir() and (root / "node_modules" / "mathjax4").is_dir()):
        logger.warning("site_speed: node or node_modules/mathjax4 missing (run `make assets`): "
                       "pages keep the MathJax script", type="mlhw", subtype="math")
        return False
    target = outdir / "mathjax4" / "woff2"
    if not target.is_dir():
        shutil.copytree(fonts, target)
    macros = app.config.mathjax3_config.get("tex", {}).get("macros", {})
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as cfg:
        json.dump({"macros": macros}, cfg)
    try:
        for _attempt in range(2):  # a rare failure of MathJax's font loader: retry once
            done = subprocess.run([_node(), str(script), cfg.name, *map(str, pages)], cwd=root,
                                  capture_output=True, text=True)
            if done.returncode == 0:
                break
            tail = [line for line in done.stderr.splitlines() if len(line) < 400][-5:]
            logger.info("site_speed: prerender_math.mjs failed, retrying:\n" + "\n".join(tail))
    finally:
        os.unlink(cfg.name)
    if done.returncode != 0:
        log = outdir.parent / "prerender_math.log"
        log.write_text(done.stdout + done.stderr, encoding="utf-8")
        lines = [line for line in done.stderr.splitlines() if len(line) < 400]
        raise RuntimeError("prerender_math.mjs failed (full output in " f"{log}):\n"
                           + "\n".join(lines[-30:]))
    logger.info(done.stdout.strip())
    subset = outdir / "mathjax4" / "subset"
    for page in pages:
        rel = os.path.relpath(subset, page.parent).replace(os.sep, "/")
        text = page.read_text(encoding="utf-8").replace("FONTURL_PLACEHOLDER", rel)
        text = _punctuation_with_formula(text)
        # formulas show in a fallback font until their font arrives (no invisible text)
        text = re.sub(r"(@font-face(?:\s*/\*[^*]*\*/)?\s*\{)", r"\1 font-display: swap;", text)
        page.write_text(_strip_mathjax(text), encoding="utf-8")
    return True


def _finish(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    _remove_source_maps(outdir)
    _drop_theme_sweep(outdir)
    _font_awesome(outdir)
    fa = outdir / "_static" / "scripts" / "fontawesome.js"
    if fa.exists():
        fa.unlink()
    todo, math_pages = [], []
    for page in _pages(outdir):
        html = page.read_text(encoding="utf-8")
        if MARK in html:
            continue
        html = _drop_search_scripts(_strip_scripts(html))
        html = _accessibility(_unique_ids(ICON_TAG.sub(_svg, html)))
        html = _scripts_to_end(_images(_scroll_marks(html)))
        if 'class="math notranslate' not in html:
            html = _strip_mathjax(html)
        html = html.replace("<head>", "<head>\n" + MARK, 1)
        page.write_text(html, encoding="utf-8")
        todo.append(page)
        if 'class="math notranslate' in html:
            math_pages.append(page)
    if math_pages:
        _prerender(app, math_pages, outdir)
    _subset_math_fonts(outdir, Path(app.srcdir) / FONTS)
    _drop_unused_mathjax3(outdir)
    _palette_images(outdir)


# A figure's PNG as matplotlib writes it is true colour; with at most 256 colours (an octree
# palette, no dithering) it is about a third of the size. Kept only where the palette
# changes no pixel noticeably (mean error below 2 levels of 255) and saves a fifth or more.
# The one home of this rule: ``make execute`` applies it to the notebooks' figures too
# (tools/notebook_outputs.py), so most arrive here already in palette form.
PALETTE_MEAN_ERROR = 2.0


def palette_png(data: bytes) -> bytes:
    """``data`` (a PNG file's bytes) as a palette PNG, or ``data`` itself when the palette
    would not pay (not true colour, transparent, a visible change, or a saving under a fifth).
    Same pixel size and density; deterministic, and idempotent (a palette PNG is returned
    as it is)."""
    import io

    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        if image.mode not in ("RGB", "RGBA"):
            return data
        rgba = image.convert("RGBA")
        # the pixel density (pHYs: 200 dpi for the 2x figures) sets a figure's size in the PDF
        keep = {"dpi": image.info["dpi"]} if "dpi" in image.info else {}
    pixels = np.asarray(rgba)
    if pixels[..., 3].min() < 255:  # transparency: keep the file as it is
        return data
    palette = rgba.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    error = np.abs(np.asarray(palette.convert("RGBA"), dtype=np.int16) - pixels).mean()
    out = io.BytesIO()
    palette.save(out, "PNG", optimize=True, **keep)
    if error < PALETTE_MEAN_ERROR and out.tell() < 0.8 * len(data):
        return out.getvalue()
    return data


def _palette_images(outdir: Path) -> None:
    for path in sorted((outdir / "_images").glob("*.png")):
        data = path.read_bytes()
        compact = palette_png(data)
        if compact is not data:
            path.write_bytes(compact)


def _drop_unused_mathjax3(outdir: Path) -> None:
    """MathJax 3 (``_extra/mathjax``, 2 MB) is only the fallback of a page whose formulas
    could not be typeset at build time; when no page loads it, the site does not ship it."""
    folder = outdir / "mathjax"
    if not folder.is_dir():
        return
    for page in outdir.rglob("*.html"):
        if "mathjax/tex-mml-chtml.js" in page.read_text(encoding="utf-8", errors="replace"):
            return
    shutil.rmtree(folder)


MJX_MATH = re.compile(r"<mjx-math\b[^>]*>(.*?)</mjx-math>", re.DOTALL)
MJX_FONT_URL = re.compile(r'url\("[^"]*/mathjax4/subset/([\w-]+\.woff2)"\)')


def math_characters(html: str) -> set[int]:
    """Every character a page's typeset formulas show (the text of its mjx-math
    elements; MathJax's CHTML sets each glyph as text in the element's font)."""
    chars = set()
    for body in MJX_MATH.findall(html):
        chars |= {ord(c) for c in unescape(re.sub(r"<[^>]+>", "", body))}
    return chars


def _subset_math_fonts(outdir: Path, fonts: Path) -> None:
    """The site's pages load MathJax's fonts cut to the characters their formulas
    show (the main one, 94 kB whole, is about 20 kB; a phone on a slow network waits
    for it before the page's first paint). All pages share one set of cut fonts, from
    the characters of every page, so a page rebuilt alone still finds its glyphs. The
    slides typeset at build time with the whole fonts (``mathjax4/woff2``)."""
    names, chars = set(), set()
    for page in _pages(outdir):
        html = page.read_text(encoding="utf-8")
        if "<mjx-math" not in html:
            continue
        names |= set(MJX_FONT_URL.findall(html))
        chars |= math_characters(html)
    if not names:
        return
    from fontTools import subset
    from fontTools.ttLib import TTFont

    target = outdir / "mathjax4" / "subset"
    target.mkdir(parents=True, exist_ok=True)
    stamp = target / "characters.txt"
    wanted = "".join(map(chr, sorted(chars)))
    if (stamp.exists() and stamp.read_text(encoding="utf-8") == wanted
            and all((target / name).exists() for name in names)):
        return
    for name in sorted(names):
        font = TTFont(fonts / name)
        options = subset.Options()
        options.flavor = "woff2"
        options.name_IDs = ["*"]
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=chars)
        subsetter.subset(font)
        font.flavor = "woff2"
        font.save(target / name)
    stamp.write_text(wanted, encoding="utf-8")


def _static_path(app):
    app.config.html_static_path.append(str(HERE / "static"))


def setup(app):
    app.connect("builder-inited", _static_path)
    app.add_css_file("mlhw-site.css")
    app.add_js_file("mlhw-site.js", loading_method="defer")
    app.connect("build-finished", _finish)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
