"""Build offline reveal.js slides from the chapter notebooks.

Usage::

    python tools/build_slides.py OUT_DIR NOTEBOOK [NOTEBOOK ...]

Each notebook becomes ``OUT_DIR/<name>.slides.html`` (images in ``OUT_DIR/img``):

* a **title slide** with the chapter's title and its learning goals (the
  "Running this chapter" note is left out);
* then the cells, grouped by their ``slideshow.slide_type`` metadata
  (nbconvert's convention: ``slide``, ``subslide``, ``-``, ``fragment``,
  ``skip``, ``notes``; without metadata a new slide starts at every heading);
* markdown is rendered by :mod:`myst_to_slides` (cross-references as numbered in
  the book, glued values from the notebook's outputs, no solutions);
* everything between a ``{solution-start}`` and a ``{solution-end}`` cell is left
  out, as are ``remove-cell`` cells; cells tagged ``hide-input`` or
  ``remove-input`` show their output only, unless tagged ``slides-show-code``;
  glue outputs (``glue(..., display=False)``) are not shown;
* a slide whose estimated height exceeds the 1280 x 720 slide is split into
  vertical sub-slides (the heading repeated); long code lines wrap; a slide that
  still overflows is zoomed to fit in the browser and marked ``data-fit-zoom``
  (the slide test fails below 0.75);
* slide numbers; math typeset at build time by MathJax 4 under node with the
  book's TeX macros (fonts: the site's ``../mathjax4``; without node, MathJax 3
  from the site's ``../mathjax`` runs in the browser); reveal.js copied from
  ``node_modules``: nothing is loaded from another host.

Cross-reference numbers come from the built site (``_build/html``, or
``--html DIR``): ``make book`` builds the slides after the site.
"""

from __future__ import annotations

import ast
import base64
import html
import json
import re
import shutil
import sys
from pathlib import Path

import nbformat
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from myst_to_slides import (BLOCK_MARK, Context, gate, local_labels,  # noqa: E402
                            render_blocks, render_markdown)

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
THEME = "white"  # uses fonts shipped with reveal.js (no web fonts)
WIDTH, HEIGHT = 1280, 720
BUDGET = HEIGHT - 130  # px of content a slide may hold (margins, slide number, slack)
CHARS_PER_LINE, LINE = 92, 34  # body text at 24 px in a 1180-px column
CODE_CHARS, CODE_LINE = 100, 25  # code at 18 px, wrapped


def copy_assets(out: Path) -> None:
    reveal = out / "reveal.js"
    if reveal.exists():
        shutil.rmtree(reveal)
    for sub in ("dist", "plugin"):
        shutil.copytree(NODE / "reveal.js" / sub, reveal / sub,
                        ignore=shutil.ignore_patterns("*.map"))  # no source maps shipped
    # Only the `white` theme is used; the others import web fonts from a CDN.
    for css in (reveal / "dist" / "theme").glob("*.css"):
        if css.name != f"{THEME}.css":
            css.unlink()


def mathjax_macros() -> dict:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return config["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]


# --- estimating heights (px at 1280 x 720) ---------------------------------------

def _text_height(text: str, chars: int = CHARS_PER_LINE, line: int = LINE) -> int:
    lines = sum(max(1, -(-len(part) // chars)) for part in text.split("\n"))
    return lines * line


def estimate(block: str) -> int:
    """A rough height of one rendered block; the browser has the last word (zoom)."""
    if block.startswith('<pre class="code"') or block.startswith('<pre class="output"'):
        text = html.unescape(re.sub(r"<[^>]+>", "", block))
        return _text_height(text.rstrip("\n"), CODE_CHARS, CODE_LINE) + 24
    height = 0
    for match in re.finditer(r'<img[^>]*data-h="(\d+)"', block):
        height += int(match.group(1)) + 10
    height += 80 * len(re.findall(r'class="display-math"', block))
    height += 28 * len(re.findall(r"\\\\", block))
    height += 44 * len(re.findall(r"<tr", block))
    height += 50 * len(re.findall(r'class="box-title"', block))
    height += 20 * len(re.findall(r"<li", block))
    height += 30 * len(re.findall(r"<pre", block))
    text = re.sub(r'<div class="display-math">.*?</div>', "", block, flags=re.DOTALL)
    text = re.sub(r"<pre.*?</pre>", lambda m: "\n" * m.group(0).count("\n"), text,
                  flags=re.DOTALL)
    text = re.sub(r"\\\(.*?\\\)", "xxxxxx", text, flags=re.DOTALL)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    if re.match(r"\s*<h[1-3]", block):
        return 70
    height += _text_height(" ".join(text.split())) if text.strip() else 0
    return height + 14


# --- cells -------------------------------------------------------------------------

def glue_values(nb) -> dict[str, str]:
    out = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            record = o.get("metadata", {}).get("scrapbook", {})
            name = record.get("name")
            # glue(display=False) stores the value under its mime prefix
            # (myst-nb: "application/papermill.record/text/plain")
            key = record.get("mime_prefix", "") + "text/plain"
            data = o.get("data", {})
            if name and (key in data or "text/plain" in data):
                text = data.get(key, data.get("text/plain"))
                try:
                    value = ast.literal_eval(text)
                    text = value if isinstance(value, str) else text
                except (ValueError, SyntaxError):
                    pass
                out[name] = str(text)
    return out


def _image(ctx: Context, out: Path, data: str, ext: str, cell, k: int,
           meta: dict) -> str:
    name = f"img/{ctx.stem}-{cell.get('id', id(cell))}-{k}.{ext}"
    target = out / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if ext == "svg":
        target.write_text(data, encoding="utf-8")
    else:
        target.write_bytes(base64.b64decode(data))
    mystnb = cell.metadata.get("mystnb", {})
    alt = mystnb.get("image", {}).get("alt") or mystnb.get("figure", {}).get("caption", "")
    caption = mystnb.get("figure", {}).get("caption", "")
    width = meta.get("width")
    height = meta.get("height")
    if not (width and height) and ext == "png":
        raw = base64.b64decode(data)
        width, height = int.from_bytes(raw[16:20], "big"), int.from_bytes(raw[20:24], "big")
    width, height = int(width or 640), int(height or 360)
    shown_h = min(460, int(height * min(1.0, 1100 / width) * 1.3))
    cap = f"<figcaption>{render_markdown(ctx, caption)}</figcaption>" if caption else ""
    return (f'<figure><img src="{name}" alt="{html.escape(alt)}" data-h="{shown_h}" '
            f'style="max-height:{shown_h}px">{cap}</figure>')


def outputs_html(ctx: Context, out: Path, cell) -> list[str]:
    blocks = []
    for k, o in enumerate(cell.get("outputs", [])):
        if o.get("metadata", {}).get("scrapbook"):
            continue  # glued values are inserted where the prose names them
        kind = o.get("output_type")
        if kind == "stream":
            if o.get("name") == "stderr":
                continue
            blocks.append(f'<pre class="output">{html.escape(o["text"].rstrip())}</pre>')
        elif kind in ("display_data", "execute_result"):
            data, meta = o.get("data", {}), o.get("metadata", {})
            if "image/svg+xml" in data:
                blocks.append(_image(ctx, out, data["image/svg+xml"], "svg", cell, k, {}))
            elif "image/png" in data:
                blocks.append(_image(ctx, out, data["image/png"], "png", cell, k,
                                     meta.get("image/png", {})))
            elif "text/markdown" in data:
                blocks.extend(render_blocks(ctx, data["text/markdown"]))
            elif "text/html" in data:
                blocks.append(f'<div class="output-html">{data["text/html"]}</div>')
            elif "text/latex" in data:
                blocks.append(f'<div class="display-math">{html.escape(data["text/latex"])}</div>')
            elif "text/plain" in data:
                blocks.append(f'<pre class="output">{html.escape(data["text/plain"])}</pre>')
    return blocks


def cell_blocks(ctx: Context, out: Path, cell) -> list[str]:
    tags = set(cell.metadata.get("tags", []))
    if "remove-cell" in tags:
        return []
    if cell.cell_type == "markdown":
        return render_blocks(ctx, cell.source)
    if cell.cell_type != "code":
        return []
    blocks = []
    hidden = tags & {"hide-input", "remove-input", "hide-cell"}
    if cell.source.strip() and (not hidden or "slides-show-code" in tags):
        blocks.append(f'<pre class="code"><code class="language-python">'
                      f"{html.escape(cell.source)}</code></pre>")
    if "remove-output" not in tags:
        blocks.extend(outputs_html(ctx, out, cell))
    return blocks


def _is_running_note(block: str) -> bool:
    return bool(re.match(r'<div class="box [^"]*"><div class="box-title">Running this chapter',
                         block))


def title_slide(ctx: Context, nb) -> tuple[str, int]:
    """The title and learning goals (from the first markdown cells); index of the next cell."""
    title = ""
    goals: list[str] = []
    used = 0
    for i, cell in enumerate(nb.cells[:3]):
        if cell.cell_type != "markdown":
            continue
        blocks = [b for b in render_blocks(ctx, cell.source) if not _is_running_note(b)]
        for b in blocks:
            if b.startswith("<h1"):
                title = re.sub(r"</?h1[^>]*>", "", b)
            elif title:
                goals.append(b)
        if title:
            used = i + 1
            break
    body = f'<h1 class="deck-title">{title}</h1>' + "".join(goals)
    return f'<section class="title-slide">{body}</section>', used


def slides_of(ctx: Context, out: Path, nb, start: int) -> list[list[list[str]]]:
    """Horizontal slides, each a list of vertical sub-slides, each a list of blocks."""
    deck: list[list[list[str]]] = []
    in_solution = False
    has_meta = any(c.metadata.get("slideshow") for c in nb.cells)
    for cell in nb.cells[start:]:
        if cell.cell_type == "markdown":
            g = gate(cell.source)
            if g == "start":
                in_solution = True
                continue
            if g == "end":
                in_solution = False
                continue
        if in_solution:
            continue
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if kind == "skip":
            continue
        blocks = cell_blocks(ctx, out, cell)
        if not blocks:
            continue
        if kind == "notes":
            if deck:
                deck[-1][-1].append('<aside class="notes">' + "".join(blocks) + "</aside>")
            continue
        if not has_meta and cell.cell_type == "markdown" and re.match(r"<h[1-3]", blocks[0]):
            kind = "slide"
        if kind == "slide" or not deck:
            deck.append([[]])
        elif kind == "subslide":
            deck[-1].append([])
        deck[-1][-1].extend(blocks)
    return deck


CODE_LINES_PER_SLIDE = 20


def _chunk_code(block: str) -> list[str]:
    """A code or output block longer than a slide becomes several blocks of whole lines."""
    m = re.match(r'(<pre class="(?:code|output)"[^>]*>(?:<code[^>]*>)?)(.*?)((?:</code>)?</pre>)$',
                 block, re.DOTALL)
    if not m:
        return [block]
    head, body, tail = m.groups()
    lines = body.split("\n")
    if len(lines) <= CODE_LINES_PER_SLIDE + 4:
        return [block]
    return [head + "\n".join(lines[i:i + CODE_LINES_PER_SLIDE]) + tail
            for i in range(0, len(lines), CODE_LINES_PER_SLIDE)]


BOX = re.compile(r'^(<div class="box [^"]*"><div class="box-title">)(.*?)(</div>)(.*)</div>$',
                 re.DOTALL)


def _chunk_box(block: str) -> list[str]:
    """A theorem, proof or exercise box taller than a slide continues in a second box."""
    m = BOX.match(block)
    if not m or estimate(block) <= BUDGET or BLOCK_MARK not in m.group(4):
        return [block]
    open_, title, close, inner = m.groups()
    parts, current, used = [], [], 50
    for piece in inner.split(BLOCK_MARK):
        h = estimate(piece)
        if current and used + h > BUDGET - 60:
            parts.append(current)
            current, used = [], 50
        current.append(piece)
        used += h
    parts.append(current)
    return [open_ + (title if i == 0 else title + " (continued)") + close + "".join(p) + "</div>"
            for i, p in enumerate(parts)]


def split(blocks: list[str]) -> list[list[str]]:
    """Split one slide's blocks into pieces that fit the slide (heading repeated)."""
    blocks = [piece for block in blocks for box in _chunk_box(block) for piece in _chunk_code(box)]
    pieces, current, used = [], [], 0
    heading = next((b for b in blocks[:1] if re.match(r"<h[1-4]", b)), None)
    for block in blocks:
        h = estimate(block)
        if current and used + h > BUDGET and not block.startswith('<aside class="notes"'):
            pieces.append(current)
            current, used = [], 0
            if heading is not None:
                cont = re.sub(r"(</h[1-4]>)", r' <span class="cont">(continued)</span>\1',
                              heading, count=1)
                current, used = [cont], estimate(heading)
        current.append(block)
        used += h
    if current:
        pieces.append(current)
    return pieces


TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} (slides)</title>
<link rel="stylesheet" href="reveal.js/dist/reset.css">
<link rel="stylesheet" href="reveal.js/dist/reveal.css">
<link rel="stylesheet" href="reveal.js/dist/theme/{theme}.css">
<style>
.reveal {{ font-size: 24px; }}
.reveal .slides {{ text-align: left; }}
.reveal .slides section {{ height: 100%; box-sizing: border-box !important; padding: 10px 40px 30px !important; }}
.reveal h1.deck-title {{ font-size: 1.9em; margin: 30px 0 24px; text-transform: none; }}
.reveal h1, .reveal h2, .reveal h3, .reveal h4 {{ text-transform: none; margin: 0 0 14px; }}
.reveal h2 {{ font-size: 1.45em; }} .reveal h3 {{ font-size: 1.2em; }} .reveal h4 {{ font-size: 1.05em; }}
.reveal h2 .cont, .reveal h3 .cont {{ font-size: .6em; color: #555; font-weight: normal; }}
.reveal p, .reveal li {{ line-height: 1.35; margin: 0 0 10px; }}
.reveal ul, .reveal ol {{ display: block; margin-left: 1.2em; }}
.reveal pre {{ width: auto; box-sizing: border-box; margin: 6px 0 12px; box-shadow: none; font-size: 17px; }}
.reveal pre code {{ white-space: pre-wrap; word-break: break-word; max-height: none;
  padding: 8px 12px; background: #f5f5f5; line-height: 1.4; }}
.reveal pre.output {{ white-space: pre-wrap; word-break: break-word; background: #fbfbf2;
  padding: 6px 12px; border-left: 3px solid #ccc; }}
.reveal .box {{ border: 1px solid #c9d6df; border-left: 5px solid #0a5f6e; border-radius: 4px;
  padding: 6px 16px 8px; margin: 8px 0 14px; background: #f6fafb; }}
.reveal .box.prf-proof, .reveal .box.proof {{ border-left-color: #888; background: #fafafa; }}
.reveal .box.exercise {{ border-left-color: #7a3a00; background: #fdf8f3; }}
.reveal .box-title {{ font-weight: bold; margin-bottom: 6px; }}
.reveal figure {{ margin: 6px 0; text-align: center; }}
.reveal figure img {{ max-width: 100%; margin: 0 auto; object-fit: contain; }}
.reveal figcaption {{ font-size: .75em; color: #333; }}
.reveal table {{ font-size: .8em; }}
.reveal .display-math {{ margin: 8px 0; overflow-x: auto; max-width: 100%; }}
.reveal .output-html {{ max-width: 100%; overflow-x: auto; }}
.reveal mjx-container[display="true"] {{ max-width: 100%; overflow-x: auto; overflow-y: hidden; }}
.reveal table {{ display: block; max-width: 100%; overflow-x: auto; }}
.reveal figure img, .reveal img {{ max-width: 100%; }}
.reveal .slide-number {{ font-size: 16px; }}
.reveal .fit-inner {{ transform-origin: top left; }}
</style>
<script>
window.MathJax = {{
  tex: {{inlineMath: [['\\\\(', '\\\\)']], displayMath: [['\\\\[', '\\\\]']],
         processEnvironments: true, macros: {macros}}},
  options: {{enableMenu: false}},
  startup: {{typeset: true}}
}};
</script>
<script defer src="{mathjax}"></script>
<script defer src="reveal.js/dist/reveal.js"></script>
<script defer src="reveal.js/plugin/notes/notes.js"></script>
</head>
<body>
<div class="reveal"><div class="slides">
{slides}
</div></div>
<script>
// Fit: a slide still taller than the 1280 x 720 slide is zoomed to fit (data-fit-zoom).
function mlhwFit(slide) {{
  if (!slide || slide.dataset.fitDone) return;
  slide.style.zoom = '';
  var h = slide.scrollHeight, limit = {height};
  if (h > limit) {{
    var z = Math.max(0.5, limit / h);
    slide.style.zoom = z;
    slide.dataset.fitZoom = z.toFixed(2);
  }}
  slide.dataset.fitDone = '1';
}}
window.addEventListener('load', function () {{
  var ready = (window.MathJax && MathJax.startup) ? MathJax.startup.promise : Promise.resolve();
  ready.then(function () {{
    Reveal.initialize({{
      width: {width}, height: {height}, margin: 0.02, center: false, hash: true,
      slideNumber: 'h.v', showSlideNumber: 'all', controls: true, progress: true,
      transition: 'none', plugins: [RevealNotes]
    }}).then(function () {{
      mlhwFit(Reveal.getCurrentSlide());
      Reveal.on('slidechanged', function (e) {{ mlhwFit(e.currentSlide); }});
      document.body.dataset.deckReady = '1';
    }});
  }});
}});
</script>
</body>
</html>
"""


def deck_html(ctx: Context, out: Path, nb, title: str) -> str:
    first, start = title_slide(ctx, nb)
    sections = [first]
    for horizontal in slides_of(ctx, out, nb, start):
        verticals = [piece for sub in horizontal for piece in split(sub) if piece]
        if len(verticals) == 1:
            sections.append("<section>" + "\n".join(verticals[0]) + "</section>")
        elif verticals:
            sections.append("<section>" + "".join(
                "<section>" + "\n".join(v) + "</section>" for v in verticals) + "</section>")
    return TEMPLATE.format(title=html.escape(title), theme=THEME,
                           macros=json.dumps(mathjax_macros()),
                           mathjax="../mathjax/tex-mml-chtml.js",
                           slides="\n".join(sections), width=WIDTH, height=HEIGHT)


def build(out: Path, path: Path, html_dir: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    markdowns = [c.source for c in nb.cells if c.cell_type == "markdown"]
    ctx = Context(stem=path.stem, glue=glue_values(nb), html_dir=str(html_dir),
                  labels=local_labels(markdowns))
    from myst_to_slides import chapter_title
    body = deck_html(ctx, out, nb, chapter_title(path.stem) or path.stem)
    for name, src in ctx.images:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, out / name)
    (out / f"{path.stem}.slides.html").write_text(body, encoding="utf-8")
    return ctx.unresolved


def prerender(decks: list[Path]) -> bool:
    """Typeset the decks' math at build time (MathJax 4, as for the site): in-line
    formulas break at operators instead of running off the slide, and no MathJax runs
    during the lecture. Without node the decks keep MathJax 3 in the browser."""
    import subprocess
    import tempfile

    node = shutil.which("node")
    if not (node and (NODE / "mathjax4").is_dir() and decks):
        print("slides: node or node_modules/mathjax4 missing: MathJax runs in the browser")
        return False
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as cfg:
        json.dump({"macros": mathjax_macros()}, cfg)
    try:
        # A rare failure of MathJax 4's dynamic font loader in a fresh node_modules
        # (seen once in a fresh clone; the same call then succeeds): retry, as the site does.
        for attempt in range(3):
            done = subprocess.run([node, str(ROOT / "_ext" / "prerender_math.mjs"), cfg.name,
                                   *map(str, decks)], cwd=ROOT, capture_output=True, text=True)
            if done.returncode == 0:
                break
            print(f"slides: prerender_math.mjs failed (attempt {attempt + 1}), retrying")
    finally:
        Path(cfg.name).unlink()
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if len(line) < 400]
        raise SystemExit("prerender_math.mjs failed:\n" + "\n".join(lines[-30:]))
    for deck in decks:
        text = deck.read_text(encoding="utf-8").replace("FONTURL_PLACEHOLDER",
                                                        "../mathjax4/woff2")
        text = re.sub(r"(@font-face(?:\s*/\*[^*]*\*/)?\s*\{)", r"\1 font-display: swap;", text)
        text = re.sub(r"<script>\s*window\.MathJax\s*=.*?</script>\s*", "", text, flags=re.DOTALL)
        text = re.sub(r'<script[^>]*src="[^"]*mathjax/tex-mml-chtml\.js"[^>]*>\s*</script>\s*',
                      "", text)
        deck.write_text(text, encoding="utf-8")
    return True


def main(argv: list[str]) -> None:
    html_dir = ROOT / "_build" / "html"
    if len(argv) >= 2 and argv[0] == "--html":
        html_dir, argv = Path(argv[1]), argv[2:]
    if len(argv) < 1:
        raise SystemExit(__doc__)
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out)
    decks = []
    for path in map(Path, argv[1:]):
        unresolved = build(out, path, html_dir)
        note = f" ({len(unresolved)} unresolved: {', '.join(unresolved[:5])})" if unresolved else ""
        print(f"slides: {out / (path.stem + '.slides.html')}{note}")
        decks.append(out / f"{path.stem}.slides.html")
    prerender(decks)


if __name__ == "__main__":
    main(sys.argv[1:])
