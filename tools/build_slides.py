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
  ``remove-input`` show their output only, unless tagged ``slides-show-code``, and
  so do cells of more code than two slides hold (``SLIDE_CODE_MAX`` lines: a line
  says the code is in the chapter);
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
from myst_to_slides import (BLOCK_MARK, Context, chapter_number, local_labels,  # noqa: E402
                            outside_solutions, render_blocks, render_markdown, site_references)

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
THEME = "white"  # uses fonts shipped with reveal.js (no web fonts)
WIDTH, HEIGHT = 1280, 720
BUDGET = HEIGHT - 130  # px of content a slide may hold (margins, slide number, slack)
CHARS_PER_LINE, LINE = 92, 34  # body text at 24 px in a 1180-px column
CODE_CHARS, CODE_LINE = 100, 25  # code at 18 px, wrapped (a line measures 23.3 px)
OUTPUT_LINE = 21  # printed output, smaller (a line measures 19.7 px)
# Display formulas are broken into lines of this width (em of the formula's font: 27 px
# on a 24-px slide, so about 1080 px of the 1200-px column); one that cannot break (a
# wide matrix) is scaled down in the browser to fit (mlhwFitMath below).
LINE_WIDTH = "40em"


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
        line = CODE_LINE if block.startswith('<pre class="code"') else OUTPUT_LINE
        return _text_height(text.rstrip("\n"), CODE_CHARS, line) + 24
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
    number = site_references(ctx.html_dir).get(
        "#number:" + mystnb.get("figure", {}).get("name", ""), "")
    if caption:
        label = f"<strong>{html.escape(number)}</strong> " if number else ""
        cap = f"<figcaption>{label}{render_markdown(ctx, caption)}</figcaption>"
    else:
        cap = ""
    return (f'<figure><img src="{name}" alt="{html.escape(alt)}" data-h="{shown_h}" '
            f'style="max-height:{shown_h}px">{cap}</figure>')


def _shown_outputs(cell) -> list[dict]:
    """The outputs a slide shows, in order: no glue records (their values are inserted
    where the prose names them), no stderr, and what the cell printed in a row as one
    output (a glue call between two prints splits the notebook's stream, as does the
    kernel's timing; the site merges them too, ``nb_merge_streams``)."""
    shown: list[dict] = []
    for o in cell.get("outputs", []):
        if o.get("metadata", {}).get("scrapbook"):
            continue
        if o.get("output_type") == "stream":
            if o.get("name") == "stderr":
                continue
            if shown and shown[-1].get("output_type") == "stream":
                shown[-1] = {**shown[-1], "text": shown[-1]["text"] + o["text"]}
                continue
        shown.append(o)
    return shown


def outputs_html(ctx: Context, out: Path, cell) -> list[str]:
    blocks = []
    for k, o in enumerate(_shown_outputs(cell)):
        kind = o.get("output_type")
        if kind == "stream":
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


def cell_blocks(ctx: Context, out: Path, cell, source: str | None = None) -> list[str]:
    """The blocks of one cell; ``source`` replaces a markdown cell's text (the part
    outside gated solutions)."""
    tags = set(cell.metadata.get("tags", []))
    if "remove-cell" in tags:
        return []
    if cell.cell_type == "markdown":
        return render_blocks(ctx, cell.source if source is None else source)
    if cell.cell_type != "code":
        return []
    blocks = []
    hidden = tags & {"hide-input", "remove-input", "hide-cell"}
    n_lines = len(cell.source.strip().split("\n"))
    shown = cell.source.strip() and (not hidden or "slides-show-code" in tags)
    if shown and n_lines > SLIDE_CODE_MAX and "slides-show-code" not in tags:
        # more code than two slides hold: a lecture shows what it printed; the code
        # is a click away in the chapter
        blocks.append(f'<p class="code-note">The code of this cell ({n_lines} lines) is in '
                      f'<a href="../book/{ctx.stem}.html">the chapter</a>.</p>')
    elif shown:
        blocks.append(f'<pre class="code"><code class="language-python">'
                      f"{html.escape(cell.source)}</code></pre>")
    if "remove-output" not in tags:
        blocks.extend(outputs_html(ctx, out, cell))
    return blocks


def _is_running_note(block: str) -> bool:
    """The "Running this chapter" (or "appendix") note: for readers of the page."""
    return bool(re.match(r'<div class="box [^"]*"><div class="box-title">Running this ', block))


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
    number = chapter_number(ctx.html_dir, ctx.stem)  # as the site's title: "3. ..."
    if number:
        title = f'<span class="section-number">{number}.</span> {title.strip()}'
    body = f'<h1 class="deck-title">{title}</h1>' + "".join(goals)
    return f'<section class="title-slide">{body}</section>', used


HEADING = re.compile(r"<h([1-4])\b")


def slides_of(ctx: Context, out: Path, nb, start: int) -> list[list[list[str]]]:
    """Horizontal slides, each a list of vertical sub-slides, each a list of blocks.

    Cells are grouped by their ``slideshow`` metadata, and every heading starts a
    slide of its own wherever it stands: a level-2 heading (a section) a new
    horizontal slide, a deeper one a sub-slide."""
    deck: list[list[list[str]]] = []
    hidden = False  # inside a gated solution
    for cell in nb.cells[start:]:
        source = None
        if cell.cell_type == "markdown":
            source, hidden_after = outside_solutions(cell.source, hidden)
            hidden = hidden_after
            if not source.strip():
                continue
        elif hidden:
            continue
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if kind == "skip":
            continue
        blocks = cell_blocks(ctx, out, cell, source)
        if not blocks:
            continue
        if kind == "notes":
            if deck:
                deck[-1][-1].append('<aside class="notes">' + "".join(blocks) + "</aside>")
            continue
        if kind == "slide" and deck and not HEADING.match(blocks[0]):
            kind = "subslide"  # more of the same section: below it, not beside it
        if kind == "slide" or not deck:
            deck.append([[]])
        elif kind == "subslide":
            deck[-1].append([])
        for block in blocks:
            heading = HEADING.match(block)
            if heading and deck[-1][-1]:
                if int(heading.group(1)) <= 2:
                    deck.append([[]])
                else:
                    deck[-1].append([])
            deck[-1][-1].append(block)
    return deck


CODE_LINES_PER_SLIDE = 20
SLIDE_CODE_MAX = 2 * (CODE_LINES_PER_SLIDE + 4)  # longer code is not put on slides


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
    depth = _bracket_depths(html.unescape(re.sub(r"<[^>]+>", "", body)).split("\n"))
    chunks, start = [], 0
    while len(lines) - start > CODE_LINES_PER_SLIDE + 4:
        cut = _cut(lines, depth, start)
        chunks.append(lines[start:cut])
        start = cut
    chunks.append(lines[start:])
    return [head + "\n".join(chunk) + tail for chunk in chunks]


def _bracket_depths(lines: list[str]) -> list[int]:
    """How many brackets are open at the start of each line (strings and comments aside)."""
    out, depth = [], 0
    for line in lines:
        out.append(depth)
        code = re.sub(r"#.*$", "", re.sub(r"(\"[^\"]*\"|'[^']*')", "", line))
        depth = max(0, depth + sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}"))
    return out


def _cut(lines: list[str], depth: list[int], start: int) -> int:
    """Where the next slide's code begins: before a statement outside any bracket, as
    little indented as possible (a top-level statement before one inside a loop), not
    right after a comment (which belongs to the code below it), as late as possible
    in the slide's share of lines."""
    def text(i):
        return re.sub(r"<[^>]+>", "", lines[i])

    candidates = []
    for i in range(start + 8, min(start + CODE_LINES_PER_SLIDE + 4, len(lines) - 3) + 1):
        line, before = text(i), text(i - 1)
        if not line.strip() or depth[i] or before.rstrip().endswith(("\\", ",")):
            continue
        if before.lstrip().startswith(("#", "@")) or line.lstrip().startswith((")", "]", "}")):
            continue
        indent = len(line) - len(line.lstrip())
        candidates.append((indent, -i))
    if not candidates:
        return start + CODE_LINES_PER_SLIDE
    return -min(candidates)[1]


def _masked(text: str) -> str:
    """``text`` with tags and formulas blanked out (same length): where a sentence may end."""
    def blank(m: re.Match) -> str:
        return "x" * len(m.group(0))
    text = re.sub(r"\\\(.*?\\\)|\\\[.*?\\\]", blank, text, flags=re.DOTALL)
    return re.sub(r"<[^>]*>", blank, text)


def _groups(parts: list[str], wrap, room: int) -> list[str]:
    """Consecutive ``parts`` gathered into as few blocks ``wrap(joined)`` as fit ``room``."""
    out, current = [], []
    for part in parts:
        if current and estimate(wrap("".join(current + [part]))) > room:
            out.append(wrap("".join(current)))
            current = []
        current.append(part)
    if current:
        out.append(wrap("".join(current)))
    return out


def _chunk_text(block: str) -> list[str]:
    """A paragraph or a list taller than a slide (less a title) becomes several: a
    paragraph between sentences, a list between its items (numbering continued)."""
    room = BUDGET - 90
    if estimate(block) <= room:
        return [block]
    para = re.match(r"<p>(.*)</p>\s*$", block, re.DOTALL)
    if para:
        text = para.group(1)
        cuts = [m.end() for m in re.finditer(r"[.!?;:]\s+(?=[A-Z(\\$])", _masked(text))]
        sentences = [text[a:b] for a, b in zip([0] + cuts, cuts + [len(text)])]
        return _groups(sentences, lambda t: f"<p>{t.strip()}</p>", room)
    listing = re.match(r"<(ul|ol)>\s*(.*?)\s*</\1>\s*$", block, re.DOTALL)
    if listing:
        kind, inner = listing.groups()
        items, depth, start = [], 0, 0
        for m in re.finditer(r"<(/?)(li|ul|ol)\b[^>]*>", inner):
            depth += -1 if m.group(1) else 1
            if depth == 0 and m.group(0) == "</li>":
                items.append(inner[start:m.end()])
                start = m.end()
        if len(items) < 2:
            return [block]
        out, first = [], 1
        for group in _groups(items, lambda t: t, room):
            n = len(re.findall(r"<li\b", group)) - len(re.findall(r"<li\b", "".join(
                re.findall(r"<(?:ul|ol)\b.*?</(?:ul|ol)>", group, re.DOTALL))))
            attrs = f' start="{first}"' if kind == "ol" and first > 1 else ""
            out.append(f"<{kind}{attrs}>{group}</{kind}>")
            first += n
        return out
    return [block]


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


def _continued(heading: str) -> str:
    return re.sub(r"(</h[1-4]>)", r' <span class="cont">(continued)</span>\1',
                  re.sub(r' <span class="cont">\(continued\)</span>', "", heading), count=1)


def split(blocks: list[str], heading: str | None = None) -> tuple[list[list[str]], str | None]:
    """Split one slide's blocks into pieces that fit the slide.

    Every piece is titled: a piece that does not open with a heading repeats the
    latest heading (``heading``, from earlier slides, or the slide's own), marked
    "(continued)"; a heading is never left alone at the foot of a piece. Returns
    the pieces and the latest heading."""
    blocks = [piece for block in blocks for box in _chunk_box(block)
              for text in _chunk_text(box) for piece in _chunk_code(text)]
    pieces: list[list[str]] = []
    current: list[str] = []
    used = 0

    def fresh() -> tuple[list[str], int]:
        if heading is None:
            return [], 0
        return [_continued(heading)], estimate(heading)

    if blocks and not HEADING.match(blocks[0]):
        current, used = fresh()
    for block in blocks:
        h = estimate(block)
        content = [b for b in current if not HEADING.match(b)]
        if content and used + h > BUDGET and not block.startswith('<aside class="notes"'):
            pieces.append(current)
            current, used = ([], 0) if HEADING.match(block) else fresh()
        if HEADING.match(block):
            heading = block
        current.append(block)
        used += h
    if any(not HEADING.match(b) for b in current):
        pieces.append(current)
    elif pieces and current:  # only a heading left: it belongs to nothing
        pass
    return pieces, heading


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
/* only a slide's own box is padded (a stack of sub-slides is not): its content stays
   within 40 px of the sides and clear of the navigation arrows at the bottom right */
.reveal .slides section:not(.stack) {{ height: 100%; box-sizing: border-box !important;
  padding: 10px 40px 72px !important; }}
.reveal .slides section.stack {{ padding: 0 !important; }}
.reveal .controls {{ transform: scale(0.5); transform-origin: bottom right; }}
.reveal h1.deck-title {{ font-size: 1.9em; margin: 30px 0 24px; text-transform: none; }}
.reveal h1, .reveal h2, .reveal h3, .reveal h4 {{ text-transform: none; margin: 0 0 14px; }}
.reveal h2 {{ font-size: 1.45em; }} .reveal h3 {{ font-size: 1.2em; }} .reveal h4 {{ font-size: 1.05em; }}
.reveal h2 .cont, .reveal h3 .cont {{ font-size: .6em; color: #555; font-weight: normal; }}
.reveal p, .reveal li {{ line-height: 1.35; margin: 0 0 10px; }}
.reveal ul, .reveal ol {{ display: block; margin-left: 1.2em; }}
.reveal pre {{ width: auto; box-sizing: border-box; margin: 6px 0 12px; box-shadow: none; font-size: 17px; }}
.reveal pre code {{ white-space: pre-wrap; word-break: break-word; max-height: none;
  padding: 8px 12px; background: #f5f5f5; line-height: 1.4; }}
.reveal p.code-note {{ font-size: .75em; color: #555; font-style: italic; }}
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
/* the number at the bottom left, clear of the navigation arrows at the bottom right */
.reveal .slide-number {{ font-size: 16px; left: 8px; right: auto; bottom: 8px; }}
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
// A display formula that MathJax could not break to the column (a wide matrix) is set
// in a smaller font until it fits (data-fit-scale), never below 60 %.
function mlhwFitMath(slide) {{
  slide.querySelectorAll('mjx-container[display="true"]').forEach(function (m) {{
    var box = m.clientWidth, wide = m.scrollWidth;
    if (box > 0 && wide > box + 1) {{
      var z = Math.max(0.6, 0.98 * box / wide), size = parseFloat(m.style.fontSize) || 100;
      m.style.fontSize = (size * z).toFixed(1) + '%';
      m.dataset.fitScale = z.toFixed(2);
    }}
  }});
}}
// Fit: a slide still taller than the 1280 x 720 slide is zoomed to fit (data-fit-zoom).
function mlhwFit(slide) {{
  if (!slide || slide.dataset.fitDone) return;
  mlhwFitMath(slide);
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
    heading = None
    for horizontal in slides_of(ctx, out, nb, start):
        verticals = []
        for sub in horizontal:
            pieces, heading = split(sub, heading)
            verticals.extend(piece for piece in pieces if piece)
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
        json.dump({"macros": mathjax_macros(), "lineWidth": LINE_WIDTH}, cfg)
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
