"""Build the lecture decks: one reveal.js deck and one PDF handout per chapter.

Usage::

    python tools/build_slides.py [--html SITE_DIR] OUT_DIR NOTEBOOK [NOTEBOOK ...]

A deck is what an instructor shows in one or two 75-minute lectures, not the
chapter cut into pages. What it shows is chosen by the chapter's **outline**,
``lectures/<chapter>.yml`` (see ``lectures/README.md``): per slide a title and the
few things to show, named in the chapter -- a theorem by its label, a display
formula by TeX it contains, a code cell (code and output) or its output alone by
the cell's id, a figure by its name, a paragraph or a list item by a phrase it
contains, or a line of slide text. Everything is taken from the chapter as it is
now: a name that no longer exists stops the build with a message naming the
outline, the slide and the name.

The chapter's prose becomes **speaker notes** (reveal.js's notes plugin; ``S``
opens the speaker view): each slide starts where the first thing it names stands in
the chapter, and its notes are the chapter's prose from there to the start of the
next slide, less what the slides show (solutions never; a code cell only as the notes
of a slide that shows what it printed and has no prose of its own). So no paragraph of
the chapter is lost, and none is in two slides' notes.

Per deck ``OUT_DIR/<chapter>.slides.html``, with

* a title slide, then the learning goals, then the outline's slides; references
  numbered as in the built site (``--html``, default ``_build/html``), glued values
  filled in, no solution anywhere (slides or notes);
* for a deck of two lectures (``lectures: 2``, or their names), the break the outline
  marks (``lecture: 2`` on the first slide of lecture 2): the title slide lists the
  lectures with their slides, that slide carries a "Lecture 2" mark and the id
  ``lecture-2`` (``<chapter>.slides.html#/lecture-2`` opens it), the notes say where
  lecture 1 ends; a missing, extra or misplaced mark stops the build;
* code highlighted at build time (Pygments, the site's highlighter), its output on
  the same slide; plotting code never shown (``hide-input`` cells show their output);
* math typeset at build time by MathJax 4 under node; the formulas of the speaker
  notes become MathML (the speaker view has no MathJax stylesheet; Chromium and
  Firefox draw MathML themselves);
* text at 28 px and nothing below 24 px on the 1280 x 720 slide; on a phone
  (narrower than 600 px) the deck reads as one scrolling page of slides instead;

and ``OUT_DIR/<chapter>.handout.pdf``, one slide per page, printed by Chromium from
the deck's ``?print-pdf`` view (``tools/deck_pdf.mjs``; without Chromium, or
before the site is built, no handout is made and a line says so).

The folder is self-contained: reveal.js, the MathJax fonts the decks use, the
images and the handouts are inside it, addressed by relative paths, so it works
copied anywhere (a USB stick, a course LMS) and opened from ``file://``.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chapter_items import Chapter, OutlineError
from myst_to_slides import (
    Context,
    _inline,
    _parser,
    _render_tokens,
    _split_options,
    chapter_number,
    chapter_title,
    code_block,
    local_labels,
    render_markdown,
    site_references,
)

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
LECTURES = ROOT / "lectures"
MATH_FONTS = NODE / "@mathjax" / "mathjax-newcm-font" / "chtml" / "woff2"
THEME = "white"  # fonts shipped with reveal.js (no web fonts)
WIDTH, HEIGHT = 1280, 720
MAX_SLIDES = 45
# Display formulas are broken into lines of this width (em of the formula's font, which
# MathJax sets at 113 % of the 28-px text: about the 1184-px column); one that cannot be
# broken (a wide matrix, an underbrace) is set smaller in the browser, not below 24 px.
LINE_WIDTH = "36em"
CODE_LINES_MAX = 16  # code lines a slide holds beside a title and a short output
PYGMENTS_STYLE = "default"

SLIDE_KEYS = {"title", "from", "show", "columns", "notes", "lecture"}
PART_KEYS = {"statement", "formula", "in", "cell", "output", "figure", "text", "block",
             "item", "exercises"}


# --- outputs of code cells ---------------------------------------------------------

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


def _shown_outputs(cell) -> list[dict]:
    """The outputs a slide shows, in order: no glue records (their values are inserted
    where the prose names them), no stderr, and what the cell printed in a row as one
    output (as on the site, ``nb_merge_streams``)."""
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


def _masked_text(text: str) -> str:
    """``text`` with tags and formulas blanked out (same length): where a sentence may end."""
    def blank(m: re.Match) -> str:
        return "x" * len(m.group(0))
    text = re.sub(r"\\\(.*?\\\)|\\\[.*?\\\]", blank, text, flags=re.DOTALL)
    return re.sub(r"<[^>]*>", blank, text)


def first_sentence(ctx: Context, markdown: str) -> str:
    """The first sentence of ``markdown``, rendered in-line (a figure's caption, an
    exercise's statement)."""
    rendered = _inline(ctx, " ".join(markdown.split()))
    masked = _masked_text(rendered)
    m = re.search(r"[.!?](?=\s+[A-Z(\\])", masked)
    return rendered[:m.end()] if m else rendered


@dataclass
class Deck:
    """What is being built for one chapter."""

    chapter: Chapter
    ctx: Context
    out: Path
    images: list[str] = field(default_factory=list)

    def _image(self, data: str, ext: str, cell, k: int) -> tuple[str, str, str]:
        name = f"img/{self.ctx.stem}-{cell.get('id', 'cell')}-{k}.{ext}"
        target = self.out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if ext == "svg":
            target.write_text(data, encoding="utf-8")
        else:
            target.write_bytes(base64.b64decode(data))
        mystnb = cell.metadata.get("mystnb", {})
        figure = mystnb.get("figure", {})
        alt = mystnb.get("image", {}).get("alt") or figure.get("caption", "")
        return name, html.escape(" ".join(alt.split())), figure.get("caption", "")

    def outputs(self, cell, notes: list[str]) -> list[str]:
        """The HTML of a cell's shown outputs; a figure's full caption goes to ``notes``."""
        blocks = []
        for k, o in enumerate(_shown_outputs(cell)):
            kind = o.get("output_type")
            if kind == "stream":
                blocks.append(f'<pre class="output">{html.escape(o["text"].rstrip())}</pre>')
                continue
            if kind not in ("display_data", "execute_result"):
                continue
            data = o.get("data", {})
            image = next(((data[m], ext) for m, ext in (("image/svg+xml", "svg"),
                                                        ("image/png", "png")) if m in data), None)
            if image:
                src, alt, caption = self._image(image[0], image[1], cell, k)
                figure = cell.metadata.get("mystnb", {}).get("figure", {})
                number = site_references(self.ctx.html_dir).get(
                    "#number:" + figure.get("name", ""), "")
                cap = ""
                if caption:
                    label = f"<strong>{html.escape(number)}</strong> " if number else ""
                    cap = f"<figcaption>{label}{first_sentence(self.ctx, caption)}</figcaption>"
                    notes.append(f"<p><strong>{html.escape(number or 'Figure')}</strong> "
                                 f"{render_markdown(self.ctx, caption)}</p>")
                name = html.escape(figure.get("name", ""))
                blocks.append(f'<figure data-name="{name}"><img src="{src}" alt="{alt}">{cap}</figure>')
            elif "text/markdown" in data:
                blocks.append('<div class="output-md">'
                              + render_markdown(self.ctx, data["text/markdown"]) + "</div>")
            elif "text/html" in data:
                blocks.append(f'<div class="output-html">{data["text/html"]}</div>')
            elif "text/latex" in data:
                blocks.append(f'<div class="display-math">{html.escape(data["text/latex"])}</div>')
            elif "text/plain" in data:
                blocks.append(f'<pre class="output">{html.escape(data["text/plain"])}</pre>')
        return blocks


def highlight(code: str) -> str:
    return code_block(code, "python")


def pygments_css() -> str:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style=PYGMENTS_STYLE).get_style_defs(".reveal pre.code .highlight")


# --- an outline's slides --------------------------------------------------------------

@dataclass
class Slide:
    title: str
    parts: list[str]
    anchor: int | None            # chapter position where the slide's notes start
    shown: set[int] = field(default_factory=set)   # items shown whole (not notes)
    extra_notes: list[str] = field(default_factory=list)
    notes: str = ""
    columns: bool = False
    css: str = ""
    where: str = ""
    fixed: bool = False           # the anchor was given (`from:`): it is not moved
    used: set[int] = field(default_factory=set)    # items it shows (whole or in part)
    code_notes: list[str] = field(default_factory=list)  # code of cells shown as output only
    lecture: int = 0              # the first slide of this lecture (2, 3, ...), else 0
    lecture_name: str = ""


def _fail(where: str, message: str):
    raise SystemExit(f"lecture outline {where}: {message}")


def load_outline(stem: str, lectures: Path = LECTURES) -> dict:
    path = lectures / f"{stem}.yml"
    if not path.is_file():
        raise SystemExit(f"no lecture outline for book/{stem}.ipynb: write {path.relative_to(ROOT)}"
                         " (see lectures/README.md)")
    try:
        outline = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise SystemExit(f"lectures/{path.name}: not valid YAML: {err}") from None
    unknown = set(outline) - {"slides", "goals", "lectures"}
    if unknown:
        _fail(f"lectures/{path.name}", f"unknown keys {sorted(unknown)}")
    if not outline.get("slides"):
        _fail(f"lectures/{path.name}", "no slides")
    lectures = outline.get("lectures", 1)
    if isinstance(lectures, list) and lectures and \
            all(isinstance(n, str) and n.strip() for n in lectures):
        outline["lecture_names"], outline["lectures"] = lectures, len(lectures)
    elif isinstance(lectures, int) and not isinstance(lectures, bool) and lectures >= 1:
        outline["lecture_names"], outline["lectures"] = [], lectures
    else:
        _fail(f"lectures/{path.name}", "`lectures` is the number of lectures (1 or 2) or "
              f"the list of their names, one a line; got {lectures!r}")
    return outline


def lecture_starts(stem: str, outline: dict) -> dict[int, int]:
    """``{lecture: index of its first slide in the outline}`` for lectures 2, 3, ...

    Lecture 1 starts with the title slide; every later lecture is marked by
    ``lecture: N`` on its first slide, once, in order. ``lectures: 2`` without the
    mark, a mark in a one-lecture deck, a mark twice or out of order, stop the build.
    """
    count = outline["lectures"]
    starts: dict[int, int] = {}
    for k, spec in enumerate(outline["slides"]):
        if not isinstance(spec, dict) or "lecture" not in spec:
            continue
        where = f"lectures/{stem}.yml, slide {k + 1}" + (
            f" ({spec['title']!r})" if spec.get("title") else "")
        n = spec["lecture"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            _fail(where, "`lecture: N` marks the first slide of lecture N (2 for the second "
                         f"lecture); got {n!r}")
        if n == 1:
            _fail(where, "lecture 1 starts with the title slide: mark only the first slide "
                         "of lecture 2 (`lecture: 2`)")
        if count == 1:
            _fail(where, f"`lecture: {n}`, but the outline says `lectures: 1` (a one-lecture "
                         "deck has no break): remove the mark or say `lectures: 2`")
        if n > count:
            _fail(where, f"`lecture: {n}`, but the outline says `lectures: {count}`")
        if n in starts:
            _fail(where, f"lecture {n} starts twice: at slide {starts[n] + 1} and here")
        if starts and n < max(starts):
            _fail(where, f"lecture {n} starts after lecture {max(starts)}")
        starts[n] = k
    missing = [n for n in range(2, count + 1) if n not in starts]
    if missing:
        n = missing[0]
        _fail(f"lectures/{stem}.yml", f"`lectures: {count}`, but no slide says `lecture: {n}`: "
              f"put `lecture: {n}` on the slide lecture {n} starts with (lectures/README.md)")
    if 0 in starts.values():
        _fail(f"lectures/{stem}.yml", f"lecture {min(starts)} starts with the outline's "
              "first slide: the lecture before it would have no slide")
    return starts


def build_slide(deck: Deck, spec: dict, where: str) -> Slide:
    chapter, ctx = deck.chapter, deck.ctx
    if not isinstance(spec, dict) or set(spec) - SLIDE_KEYS:
        _fail(where, f"a slide has the keys {sorted(SLIDE_KEYS)}; got {spec!r}")
    parts: list[str] = []
    notes: list[str] = []
    shown: set[int] = set()
    positions: list[int] = []
    code_notes: list[str] = []
    items_open: list[str] = []  # consecutive list items become one list

    def close_items():
        if items_open:
            parts.append("<ul>" + "".join(items_open) + "</ul>")
            items_open.clear()

    for part in spec.get("show") or []:
        if isinstance(part, str):
            part = {"text": part}
        if not isinstance(part, dict) or set(part) - PART_KEYS or \
                len(set(part) - {"in"}) != 1:
            _fail(where, f"each entry of `show` is one of {sorted(PART_KEYS - {'in'})}; "
                         f"got {part!r}")
        (kind, value), = ((k, v) for k, v in part.items() if k != "in")
        if kind != "item":
            close_items()
        if kind == "statement":
            item = chapter.directive(value)
            parts.append(chapter.html(item))
            shown.add(item.pos)
            positions.append(item.pos)
        elif kind == "formula":
            f = chapter.formula(value, part.get("in"))
            tag = ""
            if f.label:
                number = site_references(ctx.html_dir).get(f"equation-{f.label}", "")
                tag = f"\\tag{{{number.strip('()')}}}" if number else ""
            tex = html.escape(f.tex)
            parts.append(f'<div class="display-math">{tex}</div>' if f.environment else
                         f'<div class="display-math">\\[{tex}{tag}\\]</div>')
            positions.append(f.item)
            if chapter.items[f.item].kind == "math":  # the formula is the whole block
                shown.add(f.item)
        elif kind in ("cell", "output", "figure"):
            item = chapter.find(value)
            if item.kind != "code":
                _fail(where, f"{value!r} is not a code cell of the chapter")
            if kind == "figure" and not item.figure:
                _fail(where, f"cell {value!r} has no figure (myst-nb `figure.name`)")
            cell = item.cell
            tags = set(cell.metadata.get("tags", []))
            show_code = kind == "cell" and not tags & {"hide-input", "remove-input", "hide-cell"}
            blocks = []
            printed = [o for o in _shown_outputs(cell) if o.get("output_type") == "stream"]
            if not show_code and printed and len(printed) == len(_shown_outputs(cell)) \
                    and not tags & {"hide-input", "remove-input", "hide-cell"}:
                code_notes.append(highlight(cell.source))  # a printed check, not a table
            if show_code:
                lines = len(cell.source.strip().split("\n"))
                if lines > CODE_LINES_MAX:
                    _fail(where, f"cell {value!r} has {lines} lines of code, more than a "
                                 f"slide shows ({CODE_LINES_MAX}): show its `output:`")
                blocks.append(highlight(cell.source))
            outs = [] if "remove-output" in tags else deck.outputs(cell, notes)
            if not outs and not show_code:
                _fail(where, f"cell {value!r} shows nothing (no output)")
            blocks += outs
            kind_css = "cell figure-cell" if any(b.startswith("<figure") for b in outs) else "cell"
            parts.append(f'<div class="{kind_css}" data-cell="{html.escape(item.cell_id)}">'
                         + "".join(blocks) + "</div>")
            shown.add(item.pos)
            positions.append(item.pos)
        elif kind == "text":
            parts.append(render_markdown(ctx, str(value)))
        elif kind == "block":
            item = chapter.block(value)
            parts.append(chapter.html(item))
            shown.add(item.pos)
            positions.append(item.pos)
        elif kind == "item":
            item, tokens = chapter.list_item(value)
            items_open.append(_render_tokens(ctx, tokens, _parser().renderer))
            positions.append(item.pos)
        elif kind == "exercises":
            found = chapter.exercises() if value == "all" else [
                chapter.directive(label) for label in value]
            if not found:
                _fail(where, "the chapter has no exercises")
            rows = []
            for item in found:
                if item.name != "exercise":
                    _fail(where, f"{item.label!r} is not an exercise")
                refs = site_references(ctx.html_dir)
                number = refs.get("#number:" + item.label, "") or "Exercise"
                options, body = _split_options(item.tokens[0].content)
                first = next((p for p in re.split(r"\n\s*\n", body.strip()) if p.strip()), "")
                rows.append(f'<li data-label="{html.escape(item.label)}">'
                            f'<span class="ex-number">{html.escape(number)}</span> '
                            f"{first_sentence(ctx, first)}</li>")
                positions.append(item.pos)
            parts.append('<ul class="exercises">' + "".join(rows) + "</ul>")
    close_items()
    anchor = None
    if "from" in spec:
        start = spec["from"]
        if isinstance(start, dict) and set(start) == {"block"}:
            anchor = chapter.block(start["block"]).pos
        elif isinstance(start, dict):
            _fail(where, f"`from` is a name or {{block: phrase}}; got {start!r}")
        else:
            anchor = chapter.find(start).pos
    elif positions:
        anchor = min(positions)
    if spec.get("title"):
        title = _inline(ctx, str(spec["title"]))
    else:
        heading = chapter.heading_before(anchor) if anchor is not None else None
        if heading is None:
            _fail(where, "a slide with nothing from the chapter needs a `title`")
        title = _inline(ctx, heading.title)
    if not parts:
        _fail(where, "a slide shows something: `show` is empty")
    return Slide(title=title, parts=parts, anchor=anchor, shown=shown, extra_notes=notes,
                 columns=bool(spec.get("columns")), where=where, fixed="from" in spec,
                 used=set(positions), code_notes=code_notes)


def goals_slide(deck: Deck) -> Slide | None:
    """The chapter's learning goals: the paragraph that names them and the list after it."""
    items = deck.chapter.items
    for k, item in enumerate(items):
        if item.kind == "prose" and re.match(r"\s*\*\*Learning goals", item.source):
            shown = {item.pos}
            intro = re.sub(r"^\s*\*\*Learning goals\.?\*\*\.?\s*", "", item.source)
            parts = [render_markdown(deck.ctx, intro)] if intro.strip() else []
            if k + 1 < len(items) and items[k + 1].tokens and \
                    items[k + 1].tokens[0].type in ("bullet_list_open", "ordered_list_open"):
                parts.append(deck.chapter.html(items[k + 1]))
                shown.add(items[k + 1].pos)
            return Slide(title="Learning goals", parts=parts, anchor=item.pos, shown=shown,
                         css="goals")
    return None


ON_SLIDE = '<p class="on-slide"><em>[on the slide]</em></p>'


def assign_notes(deck: Deck, slides: list[Slide]) -> None:
    """Each slide's notes: the chapter's prose from its anchor to the next slide's anchor
    (in the chapter's order), less what any slide shows whole."""
    chapter = deck.chapter
    shown = set().union(*(s.shown for s in slides))
    # A slide's notes start with what leads up to the first thing it shows: the paragraphs
    # (and code cells no slide shows) right above it and the heading of their section;
    # not a theorem or proof, anything a slide shows, nor the prose of an earlier section.
    used = set().union(*(s.used for s in slides)) | shown | {
        s.anchor for s in slides if s.anchor is not None}
    for slide in sorted((s for s in slides if s.anchor is not None), key=lambda s: s.anchor):
        if slide.fixed:
            continue
        pos, headed = slide.anchor, False
        while pos > 0:
            before = chapter.items[pos - 1]
            if before.pos in used or chapter.is_running_note(before):
                break
            if before.kind == "heading" and before.level > 1:
                headed = True
            elif headed or before.kind not in ("prose", "math", "code"):
                break
            pos -= 1
        used.add(pos)
        slide.anchor = pos
    starts = sorted({s.anchor for s in slides if s.anchor is not None})
    for slide in slides:
        notes = list(slide.extra_notes)
        if slide.anchor is not None:
            later = [p for p in starts if p > slide.anchor]
            end = later[0] if later else len(chapter.items)
            for item in chapter.items[slide.anchor:end]:
                if item.pos in slide.shown and item.is_prose and notes[-1:] != [ON_SLIDE]:
                    notes.append(ON_SLIDE)  # where the slide's own text stands
                if not item.is_prose or item.pos in shown or chapter.is_running_note(item):
                    continue
                if item.kind == "heading":
                    if item.level == 1 or _inline(deck.ctx, item.title) == slide.title:
                        continue
                    notes.append(f'<p class="notes-heading"><strong>'
                                 f"{_inline(deck.ctx, item.title)}</strong></p>")
                    continue
                notes.append(chapter.html(item))
        if all(n == ON_SLIDE for n in notes):
            notes = []  # the slide shows all the chapter says here
        if not notes and slide.code_notes:
            # a check's output with no prose of its own: the notes show what it runs
            notes = ['<p class="notes-heading"><strong>The code (not on the slide)</strong></p>']
            notes += slide.code_notes
        text = "".join(notes)
        text = re.sub(r"<figure\b.*?</figure>", "", text, flags=re.DOTALL)
        slide.notes = text.replace('<div class="box-title">', '<div class="box-title notes-box">')


def slide_html(slide: Slide, index: int) -> str:
    if slide.columns:
        body = '<div class="columns">' + "".join(
            f'<div class="column">{p}</div>' for p in _column_parts(slide.parts)) + "</div>"
    else:
        body = "\n".join(slide.parts)
    notes = f'\n<aside class="notes">{slide.notes}</aside>' if slide.notes.strip() else ""
    css = f' class="{slide.css}"' if slide.css else ""
    mark = ""
    lecture = ""
    if slide.lecture:  # reveal.js opens the slide at deck.slides.html#/lecture-N
        lecture = f' id="lecture-{slide.lecture}" data-lecture="{slide.lecture}"'
        mark = (f'<p class="lecture-mark"><span class="lecture-number">Lecture {slide.lecture}'
                f"</span> {slide.lecture_name}</p>\n")
    return (f'<section{css} data-slide="{index}"{lecture}><div class="slide-body">'
            f"{mark}<h2>{slide.title}</h2>\n{body}</div>{notes}</section>")


def _column_parts(parts: list[str]) -> list[str]:
    """Parts side by side; a single cell puts its code (or its first output) beside the
    rest of what it shows."""
    if len(parts) == 1:
        m = re.match(r'(<div class="cell[^"]*"[^>]*>)(.*)</div>$', parts[0], re.DOTALL)
        blocks = re.findall(r'<pre class="(?:code|output)".*?</pre>|<figure\b.*?</figure>|'
                            r'<div class="output-(?:md|html)">.*?</div>(?=<|$)',
                            m.group(2), re.DOTALL) if m else []
        if len(blocks) >= 2 and "".join(blocks) == m.group(2):
            return [m.group(1) + blocks[0] + "</div>",
                    m.group(1) + "".join(blocks[1:]) + "</div>"]
    return parts


def _section_title(deck: Deck, slide: Slide) -> str:
    """The title of the chapter's section (``##``) a slide starts in, else the slide's."""
    if slide.anchor is not None:
        for item in reversed(deck.chapter.items[:slide.anchor + 1]):
            if item.kind == "heading" and item.level == 2:
                return _inline(deck.ctx, item.title)
    return slide.title


def deck_html(deck: Deck, outline: dict, title: str) -> tuple[str, int]:
    stem = deck.ctx.stem
    starts = lecture_starts(stem, outline)
    slides: list[Slide] = []
    goals = goals_slide(deck) if outline.get("goals", True) else None
    if goals:
        slides.append(goals)
    offset = len(slides)  # slides[offset + k] is the outline's slide k
    for k, spec in enumerate(outline["slides"], start=1):
        where = f"lectures/{stem}.yml, slide {k}" + (
            f" ({spec.get('title')!r})" if isinstance(spec, dict) and spec.get("title") else "")
        try:
            slides.append(build_slide(deck, spec, where))
        except OutlineError as err:
            raise SystemExit(f"{where}: {err}") from None
    # Lecture N starts with outline slide starts[N]; each is named by the outline
    # (`lectures: [names]`) or after the chapter's section its first slide is in.
    lectures = outline["lectures"]
    first_slide = {1: offset, **{n: offset + k for n, k in starts.items()}}
    names = {n: _inline(deck.ctx, outline["lecture_names"][n - 1]) if outline["lecture_names"]
             else _section_title(deck, slides[i]) for n, i in first_slide.items()}
    for n, k in starts.items():
        slides[offset + k].lecture, slides[offset + k].lecture_name = n, names[n]
    # the title slide takes the chapter's opening prose as its notes
    title_slide = Slide(title="", parts=[], anchor=0, css="title-slide")
    assign_notes(deck, [title_slide] + slides)
    total = 1 + len(slides)
    if total > MAX_SLIDES:
        raise SystemExit(f"lectures/{stem}.yml: {total} slides, more than {MAX_SLIDES} "
                         "(one or two 75-minute lectures)")
    plan = ""
    if lectures > 1:
        # slide numbers as reveal.js shows them (the title slide is 1)
        begin = {1: 1, **{n: i + 2 for n, i in first_slide.items() if n > 1}}
        end = {n: begin.get(n + 1, total + 1) - 1 for n in begin}
        plan = '<ol class="deck-lectures">' + "".join(
            f'<li><a href="#/lecture-{n}">Lecture {n}</a>: {names[n]} '
            f'<span class="deck-range">(slides {begin[n]}–{end[n]})</span></li>'
            for n in sorted(begin)) + "</ol>"
        title_slide.notes = f"<p><strong>{lectures} lectures.</strong> " + "; ".join(
            f"Lecture {n} starts at slide {begin[n]} (open the deck at "
            f"<code>#/lecture-{n}</code>)" for n in sorted(begin) if n > 1) + ".</p>" + \
            title_slide.notes
        for n in sorted(begin):
            if n > 1:  # the presenter sees it in the notes of the slide before the break
                last = slides[first_slide[n] - 1]
                last.notes = (f'<p class="notes-break"><strong>Lecture {n - 1} ends with this '
                              f"slide.</strong> Lecture {n} ({names[n]}) starts with the next "
                              "one.</p>" + last.notes)
    lecture_one = ' id="lecture-1" data-lecture="1"' if plan else ""
    first = (f'<section class="title-slide" data-slide="0"{lecture_one}><div class="slide-body">'
             f'<h1 class="deck-title">{title}</h1>'
             f'<p class="deck-sub">Lecture slides for the chapter of <em>ML, Worked and '
             f"Checked</em> · {total} slides, {lectures} lecture"
             f"{'s' if lectures != 1 else ''} of 75 minutes</p>{plan}"
             f'<p class="deck-keys">Speaker notes: press <kbd>S</kbd>. All keys: '
             f"<kbd>?</kbd></p></div>"
             + (f'\n<aside class="notes">{title_slide.notes}</aside>'
                if title_slide.notes.strip() else "") + "</section>")
    sections = [first] + [slide_html(s, i) for i, s in enumerate(slides, start=1)]
    page = TEMPLATE.format(title=html.escape(re.sub(r"<[^>]+>", "", title)), theme=THEME,
                           pygments=pygments_css(),
                           slides="\n".join(sections), width=WIDTH, height=HEIGHT)
    return page, total


# --- the page ---------------------------------------------------------------------------

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} (lecture slides)</title>
<script>
// A phone held upright reads the deck as a page (see the end of the stylesheet).
if (window.matchMedia('(max-width: 600px)').matches
    && !/print-pdf|receiver/.test(location.search)) {{
  document.documentElement.classList.add('mlhw-read');
}}
</script>
<link rel="stylesheet" href="reveal.js/dist/reset.css">
<link rel="stylesheet" href="reveal.js/dist/reveal.css">
<link rel="stylesheet" href="reveal.js/dist/theme/{theme}.css">
<style>
.reveal {{ font-size: 28px; }}
.reveal section.goals {{ font-size: 26px; }}
.reveal .slides {{ text-align: left; }}
.reveal .slides > section {{ height: {height}px; box-sizing: border-box !important;
  padding: 18px 48px 44px !important; }}
.reveal .slide-body {{ height: 100%; display: flex; flex-direction: column; }}
.reveal .slide-body > * {{ flex: none; }}
.reveal .controls {{ transform: scale(0.6); transform-origin: bottom right; }}
.reveal h1.deck-title {{ font-size: 60px; line-height: 1.15; margin: 150px 0 36px;
  text-transform: none; }}
.reveal .deck-sub, .reveal .deck-keys {{ font-size: 28px; color: #444; }}
/* a deck of two lectures: the title slide lists them, the first slide of lecture 2
   carries a mark (and the id lecture-2: deck.slides.html#/lecture-2 opens it) */
.reveal section.title-slide[data-lecture] h1.deck-title {{ margin-top: 80px; }}
.reveal ol.deck-lectures {{ list-style: none; margin: 0 0 20px; }}
.reveal ol.deck-lectures li {{ margin: 0 0 6px; }}
.reveal ol.deck-lectures a {{ font-weight: bold; color: #0a5f6e; }}
.reveal .deck-range {{ color: #555; }}
.reveal .lecture-mark {{ font-size: 24px; color: #0a5f6e; margin: 0 0 6px; }}
.reveal .lecture-number {{ display: inline-block; font-weight: bold; color: #fff;
  background: #0a5f6e; border-radius: 4px; padding: 0 10px; margin-right: 6px; }}
.reveal h2 {{ font-size: 40px; text-transform: none; margin: 0 0 14px; line-height: 1.15; }}
.reveal p, .reveal li {{ line-height: 1.3; margin: 0 0 12px; }}
.reveal ul, .reveal ol {{ display: block; margin: 0 0 10px 1.1em; }}
.reveal li > p {{ margin: 0; }}
.reveal pre {{ width: auto; box-sizing: border-box; margin: 4px 0 10px; box-shadow: none;
  font-size: 24px; line-height: 1.25; }}
.reveal pre code {{ white-space: pre-wrap; word-break: break-word; max-height: none;
  padding: 6px 12px; background: #f6f6f6; }}
.reveal pre.output {{ white-space: pre-wrap; word-break: break-word; background: #fbfbf2;
  padding: 6px 12px; border-left: 4px solid #bbb; }}
.reveal .box {{ border: 1px solid #c9d6df; border-left: 6px solid #0a5f6e; border-radius: 4px;
  padding: 8px 18px 10px; margin: 6px 0 14px; background: #f6fafb; }}
.reveal .box.exercise {{ border-left-color: #7a3a00; background: #fdf8f3; }}
.reveal .box > p:last-child {{ margin-bottom: 0; }}
.reveal .box-title {{ font-weight: bold; margin-bottom: 6px; }}
/* a figure takes the room the slide has left */
.reveal .cell.figure-cell, .reveal figure {{ flex: 1 1 0; min-height: 0; display: flex;
  flex-direction: column; margin: 0; }}
.reveal figure img {{ flex: 1 1 0; min-height: 0; width: 100%; object-fit: contain;
  margin: 0; }}
.reveal figcaption {{ flex: none; font-size: 24px; color: #333; text-align: left;
  margin-top: 6px; }}
.reveal .columns {{ display: grid; grid-template-columns: 1fr 1fr; gap: 28px;
  flex: 1 1 0; min-height: 0; }}
.reveal .column {{ min-width: 0; display: flex; flex-direction: column; }}
.reveal table {{ font-size: 24px; border-collapse: collapse; margin: 4px 0 10px; }}
.reveal table th, .reveal table td {{ padding: 2px 12px; border-bottom: 1px solid #ccc; }}
.reveal .display-math {{ margin: 6px 0 10px; }}
.reveal blockquote {{ width: auto; margin: 6px 0 14px; padding: 8px 18px; font-style: normal;
  background: #f7f7f7; border-left: 6px solid #bbb; box-shadow: none; }}
.reveal ul.exercises {{ list-style: none; margin-left: 0; }}
.reveal ul.exercises li {{ margin-bottom: 10px; }}
.reveal .ex-number {{ font-weight: bold; color: #7a3a00; }}
.reveal kbd {{ font-family: monospace; border: 1px solid #999; border-radius: 4px;
  padding: 0 6px; }}
.reveal .slide-number {{ font-size: 24px; left: 10px; right: auto; bottom: 8px;
  background: none; color: #555; }}
{pygments}
/* The handout (?print-pdf): reveal.js's print styles drop the slide's padding, set code
   in Courier and end with a blank page; keep the slide as on the screen. */
html.print-pdf .reveal .slides section {{ padding: 18px 48px 44px !important;
  height: {height}px !important; }}
html.print-pdf .reveal pre code {{ font-family: monospace !important; }}
html.print-pdf .reveal .slides .pdf-page:last-of-type {{ page-break-after: auto;
  break-after: auto; }}
html.print-pdf .reveal .slide-number-pdf {{ font-size: 24px; left: 10px; right: auto;
  top: auto; bottom: 8px; color: #555; background: none; }}
/* A phone held upright: the slides one below the other, text at a reading size. */
html.mlhw-read, html.mlhw-read body {{ height: auto; overflow: auto; }}
html.mlhw-read .reveal {{ height: auto; overflow: visible; font-size: 17px; }}
html.mlhw-read .reveal .slides {{ position: static; width: auto; height: auto;
  pointer-events: auto; margin: 0; }}
html.mlhw-read .reveal .slides > section {{ display: block !important; position: static !important;
  height: auto; width: auto; padding: 14px 14px 18px !important; opacity: 1 !important;
  visibility: visible !important; transform: none !important;
  border-bottom: 1px solid #ccc; }}
html.mlhw-read .reveal .slide-body {{ height: auto; display: block; }}
html.mlhw-read .reveal section.goals {{ font-size: inherit; }}
html.mlhw-read .reveal h1.deck-title,
html.mlhw-read .reveal section.title-slide[data-lecture] h1.deck-title {{ font-size: 28px;
  margin: 20px 0 14px; }}
html.mlhw-read .reveal h2 {{ font-size: 23px; }}
html.mlhw-read .reveal .deck-sub, html.mlhw-read .reveal .deck-keys,
html.mlhw-read .reveal figcaption, html.mlhw-read .reveal .lecture-mark {{ font-size: 15px; }}
html.mlhw-read .reveal pre, html.mlhw-read .reveal table {{ font-size: 13px; }}
html.mlhw-read .reveal pre code, html.mlhw-read .reveal pre.output {{ white-space: pre;
  overflow-x: auto; }}
html.mlhw-read .reveal table {{ display: block; overflow-x: auto; }}
html.mlhw-read .reveal mjx-container[display="true"] {{ overflow-x: auto; overflow-y: hidden;
  max-width: 100%; }}
html.mlhw-read .reveal .columns {{ display: block; }}
html.mlhw-read .reveal figure img {{ width: 100%; height: auto; max-height: none; }}
html.mlhw-read .reveal aside.notes, html.mlhw-read .reveal .deck-keys {{ display: none; }}
html.mlhw-read .reveal .controls, html.mlhw-read .reveal .progress,
html.mlhw-read .reveal .slide-number {{ display: none; }}
</style>
<script defer src="reveal.js/dist/reveal.js"></script>
<script defer src="reveal.js/plugin/notes/notes.js"></script>
</head>
<body>
<div class="reveal"><div class="slides">
{slides}
</div></div>
<script>
// A display formula MathJax could not break to the column is set smaller until it fits,
// never below 24 px (data-fit-scale).
function mlhwFitMath(root) {{
  root.querySelectorAll('mjx-container[display="true"]:not([data-fit-scale])').forEach(function (m) {{
    var box = m.parentElement.clientWidth, wide = m.scrollWidth;
    if (box > 0 && wide > box + 1) {{
      var size = parseFloat(getComputedStyle(m).fontSize);
      var z = Math.max(24 / size, 0.98 * box / wide);
      m.style.fontSize = (size * z).toFixed(1) + 'px';
      m.dataset.fitScale = z.toFixed(2);
    }}
  }});
}}
window.addEventListener('load', function () {{
  if (document.documentElement.classList.contains('mlhw-read')) {{
    // the page of slides scrolls to #/lecture-2 as the presentation would show it
    var toLecture = function () {{
      var m = /^#\\/([\\w-]+)$/.exec(location.hash);
      var slide = m && document.getElementById(m[1]);
      if (slide) slide.scrollIntoView();
    }};
    toLecture();
    window.addEventListener('hashchange', toLecture);
    document.body.dataset.deckReady = '1';
    return;
  }}
  Reveal.initialize({{
    width: {width}, height: {height}, margin: 0, center: false, hash: true,
    slideNumber: 'c/t', showSlideNumber: 'all', controls: true, progress: true,
    transition: 'none', pdfMaxPagesPerSlide: 1, pdfSeparateFragments: false,
    plugins: [RevealNotes]
  }}).then(function () {{
    mlhwFitMath(document);
    Reveal.on('slidechanged', function (e) {{ mlhwFitMath(e.currentSlide); }});
    document.body.dataset.deckReady = '1';
  }});
}});
</script>
</body>
</html>
"""


def mathjax_macros() -> dict:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return config["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]


def copy_assets(out: Path) -> None:
    """reveal.js (its core, the white theme and its font, the notes plugin)."""
    reveal = out / "reveal.js"
    if reveal.exists():
        shutil.rmtree(reveal)
    source = NODE / "reveal.js"
    for name in ("reset.css", "reveal.css", "reveal.js", f"theme/{THEME}.css"):
        (reveal / "dist" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source / "dist" / name, reveal / "dist" / name)
    theme_css = (source / "dist" / "theme" / f"{THEME}.css").read_text(encoding="utf-8")
    for font_css in re.findall(r'@import url\(\.?/?([^)]+\.css)\)', theme_css):
        font_dir = (source / "dist" / "theme" / font_css).parent
        shutil.copytree(font_dir, reveal / "dist" / "theme" / font_css.rsplit("/", 1)[0],
                        dirs_exist_ok=True)
    shutil.copytree(source / "plugin" / "notes", reveal / "plugin" / "notes",
                    ignore=shutil.ignore_patterns("*.map", "*.esm.js", "plugin.js"))
    for path in reveal.rglob("*.js"):  # no source maps shipped: drop their comments too
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", text), encoding="utf-8")


def build(out: Path, path: Path, html_dir: Path, lectures: Path = LECTURES) -> tuple[list[str], int]:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    markdowns = [c.source for c in nb.cells if c.cell_type == "markdown"]
    ctx = Context(stem=path.stem, glue=glue_values(nb), html_dir=str(html_dir),
                  labels=local_labels(markdowns))
    outline = load_outline(path.stem, lectures)
    deck = Deck(chapter=Chapter(path, ctx), ctx=ctx, out=out)
    title = _inline(ctx, chapter_title(path.stem) or path.stem) if (ROOT / "book" / path.name).exists() \
        else _inline(ctx, next((i.title for i in deck.chapter.items
                                if i.kind == "heading" and i.level == 1), path.stem))
    number = chapter_number(str(html_dir), path.stem)  # as the page's title: "3. ..."
    if number:
        title = f'<span class="section-number">{number}.</span> {title}'
    body, total = deck_html(deck, outline, title)
    for name, src in ctx.images:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, out / name)
    (out / f"{path.stem}.slides.html").write_text(body, encoding="utf-8")
    return ctx.unresolved, total


# --- math at build time ------------------------------------------------------------

NOTES = re.compile(r'(<aside class="notes">)(.*?)(</aside>)', re.DOTALL)
MJX = re.compile(r"<mjx-container\b[^>]*>.*?<mjx-assistive-mml\b[^>]*>(<math\b.*?</math>)"
                 r"</mjx-assistive-mml></mjx-container>", re.DOTALL)
FONT_URL = re.compile(r'url\("FONTURL_PLACEHOLDER/([\w.-]+\.woff2)"\)')


def prerender(decks: list[Path], out: Path) -> None:
    """Typeset the decks' math at build time (MathJax 4, as for the site), ship the
    fonts it names in ``OUT/mathjax4/woff2``, and turn the notes' formulas into MathML."""
    node = shutil.which("node")
    if not (node and (NODE / "mathjax4").is_dir()):
        raise SystemExit("slides: node and node_modules/mathjax4 are needed (run `make assets`)")
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as cfg:
        json.dump({"macros": mathjax_macros(), "lineWidth": LINE_WIDTH}, cfg)
    try:
        # A rare failure of MathJax 4's dynamic font loader in a fresh node_modules:
        # retry, as the site does.
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
    fonts = set()
    for deck in decks:
        text = deck.read_text(encoding="utf-8")
        fonts |= set(FONT_URL.findall(text))
        text = text.replace("FONTURL_PLACEHOLDER", "mathjax4/woff2")
        text = re.sub(r"(@font-face(?:\s*/\*[^*]*\*/)?\s*\{)", r"\1 font-display: block;", text)
        text = NOTES.sub(lambda m: m.group(1) + MJX.sub(r"\1", m.group(2)) + m.group(3), text)
        deck.write_text(text, encoding="utf-8")
    target = out / "mathjax4" / "woff2"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in sorted(fonts):
        shutil.copy(MATH_FONTS / name, target / name)


# --- handouts ---------------------------------------------------------------------------

def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def handouts(decks: list[Path]) -> list[Path]:
    """One PDF per deck (``<chapter>.handout.pdf``), one slide per page."""
    chromium = find_chromium()
    if chromium is None:
        print("slides: Chromium not found: no PDF handouts (apt-get install chromium)")
        return []
    env = dict(os.environ, CHROME_PATH=os.environ.get("CHROME_PATH", chromium))
    done = subprocess.run(["node", str(ROOT / "tools" / "deck_pdf.mjs"), *map(str, decks)],
                          cwd=ROOT, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit("deck_pdf.mjs failed:\n" + done.stderr[-3000:])
    pdfs = [d.with_name(d.name.replace(".slides.html", ".handout.pdf")) for d in decks]
    for pdf in pdfs:
        _fix_pdf_dates(pdf)
    return pdfs


def _fix_pdf_dates(pdf: Path) -> None:
    """Chromium stamps the time and a random id into a PDF: the same deck makes the same
    bytes with the dates of the deck's content hash instead (same lengths, so the
    cross-reference offsets stay right)."""
    data = pdf.read_bytes()
    data = re.sub(rb"\(D:\d{14}", b"(D:20260101000000", data)
    digest = hashlib.sha256(re.sub(rb"/ID \[<[0-9A-Fa-f]+> <[0-9A-Fa-f]+>\]", b"", data)).hexdigest()
    data = re.sub(rb"/ID \[<([0-9A-Fa-f]+)> <([0-9A-Fa-f]+)>\]",
                  lambda m: b"/ID [<" + digest[:len(m.group(1))].upper().encode() + b"> <" +
                  digest[:len(m.group(2))].upper().encode() + b">]", data)
    pdf.write_bytes(data)


def main(argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser(
        prog="build_slides.py", description=__doc__.split("\n\n")[0],
        epilog="See the module docstring (tools/build_slides.py) for the outlines' format.")
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html", metavar="SITE_DIR",
                        help="the built site whose numbers references take (default _build/html)")
    parser.add_argument("out", type=Path, metavar="OUT_DIR", help="where the decks go")
    parser.add_argument("notebooks", type=Path, nargs="+", metavar="NOTEBOOK",
                        help="the chapters (book/<chapter>.ipynb; outline lectures/<chapter>.yml)")
    args = parser.parse_args(argv)
    html_dir, out = args.html, args.out
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out)
    decks = []
    for path in args.notebooks:
        unresolved, total = build(out, path, html_dir)
        note = f" ({len(unresolved)} unresolved: {', '.join(unresolved[:5])})" if unresolved else ""
        print(f"slides: {out / (path.stem + '.slides.html')}: {total} slides{note}")
        decks.append(out / f"{path.stem}.slides.html")
    prerender(decks, out)
    if any(html_dir.glob("book/*.html")):
        for pdf in handouts(decks):
            print(f"slides: {pdf}")
    else:
        print(f"slides: no site in {html_dir} yet (references unnumbered): no handouts this time")


if __name__ == "__main__":
    main(sys.argv[1:])
