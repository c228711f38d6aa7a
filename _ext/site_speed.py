"""Sphinx extension: a light, fast, phone-readable site (issue 18).

After the HTML builder has written the site, every page is post-processed:

* **Icons as inline SVG.** pydata-sphinx-theme loads Font Awesome's 1.5 MB
  script to turn a dozen ``<i class="fa-solid fa-…">`` tags into SVG. The SVG
  paths are read from that script once and written into the pages; the script
  is neither loaded nor shipped.
* **Math typeset at build time.** ``_ext/prerender_math.mjs`` (MathJax 4 under
  node, npm ``mathjax4``) turns every formula into CHTML, with MathML for
  screen readers; pages load no MathJax script, nothing is typeset on the
  reader's phone and formulas are not tab stops. MathJax 4 breaks long in-line
  formulas at top-level operators; display formulas scroll inside their own
  box (``static/mlhw-site.css``). The woff2 fonts are copied to ``mathjax4/``.
  Without node or ``node_modules`` the pages keep the MathJax 3 script (a
  warning says so).
* **No source maps** are shipped (``*.map`` removed, their comments stripped).
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
    return (f'<svg class="{" ".join(classes)} mlhw-icon" aria-hidden="true" focusable="false" '
            f'viewBox="0 0 {width} {height}"><path fill="currentColor" d="{path}"/></svg>')


def _strip_scripts(html: str) -> str:
    html = re.sub(r'<script[^>]*src="[^"]*fontawesome\.js[^"]*"[^>]*>\s*</script>\s*', "", html)
    # thebe is off (see offline_site.py); its configuration block is dead weight
    html = re.sub(r'<script type="text/x-thebe-config">.*?</script>\s*', "", html, flags=re.DOTALL)
    return html


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
        for attempt in range(2):  # a rare failure of MathJax's font loader: retry once
            done = subprocess.run([_node(), str(script), cfg.name, *map(str, pages)], cwd=root,
                                  capture_output=True, text=True)
            if done.returncode == 0:
                break
            logger.info("site_speed: prerender_math.mjs failed, retrying")
    finally:
        os.unlink(cfg.name)
    if done.returncode != 0:
        log = outdir.parent / "prerender_math.log"
        log.write_text(done.stdout + done.stderr, encoding="utf-8")
        lines = [line for line in done.stderr.splitlines() if len(line) < 400]
        raise RuntimeError("prerender_math.mjs failed (full output in " f"{log}):\n"
                           + "\n".join(lines[-30:]))
    logger.info(done.stdout.strip())
    for page in pages:
        rel = os.path.relpath(target, page.parent).replace(os.sep, "/")
        text = page.read_text(encoding="utf-8").replace("FONTURL_PLACEHOLDER", rel)
        # formulas show in a fallback font until their font arrives (no invisible text)
        text = re.sub(r"(@font-face(?:\s*/\*[^*]*\*/)?\s*\{)", r"\1 font-display: swap;", text)
        page.write_text(_strip_mathjax(text), encoding="utf-8")
    return True


def _finish(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    _remove_source_maps(outdir)
    fa = outdir / "_static" / "scripts" / "fontawesome.js"
    if fa.exists():
        fa.unlink()
    todo, math_pages = [], []
    for page in _pages(outdir):
        html = page.read_text(encoding="utf-8")
        if MARK in html:
            continue
        html = _accessibility(_unique_ids(ICON_TAG.sub(_svg, _strip_scripts(html))))
        html = _scripts_to_end(html)
        if 'class="math notranslate' not in html:
            html = _strip_mathjax(html)
        html = html.replace("<head>", "<head>\n" + MARK, 1)
        page.write_text(html, encoding="utf-8")
        todo.append(page)
        if 'class="math notranslate' in html:
            math_pages.append(page)
    if math_pages:
        _prerender(app, math_pages, outdir)


def _static_path(app):
    app.config.html_static_path.append(str(HERE / "static"))


def setup(app):
    app.connect("builder-inited", _static_path)
    app.add_css_file("mlhw-site.css")
    app.add_js_file("mlhw-site.js", loading_method="defer")
    app.connect("build-finished", _finish)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
