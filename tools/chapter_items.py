"""A chapter notebook as a sequence of addressable items, for the lecture decks.

:func:`chapter_items` reads ``book/<chapter>.ipynb`` into the items a lecture
outline (``lectures/<chapter>.yml``) can name, in the chapter's order:

* every top-level block of a markdown cell (a heading, a paragraph, a list, a
  table, a display formula, a directive such as a theorem, a proof or an
  exercise), with the MyST label it carries (``(label)=`` before a heading,
  ``:label:`` of a directive, ``$$ ... $$ (label)``);
* every code cell, with its id, tags, figure name and outputs.

Text between a ``{solution-start}`` and a ``{solution-end}`` gate is not an item
(nor are the code cells inside), and ``{solution}`` blocks are dropped: the decks and
their speaker notes never show a solution.

Every display formula of the chapter, nested in a theorem, a proof or a list or not,
is recorded with the item that holds it, so that a slide can show a formula the
chapter already has (``formula: "TeX that it contains"``) instead of a copy typed
again. :class:`Chapter` resolves the names an outline uses and raises
:class:`OutlineError` for a name that no longer exists, or that is ambiguous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from myst_to_slides import Context, _parser, _render_tokens, _split_options, outside_solutions

RUNNING_NOTE = re.compile(r"Running this (chapter|appendix)")


class OutlineError(Exception):
    """An outline names something the chapter does not have (or has twice)."""


@dataclass
class Formula:
    tex: str              # the TeX between the delimiters (or the whole environment)
    environment: bool     # an amsmath environment (\begin{align} ...), not $$ ... $$
    label: str            # "" when unlabelled
    item: int             # position of the item that holds it


@dataclass
class Item:
    pos: int
    kind: str             # heading | directive | math | prose | code
    source: str = ""      # markdown (or code) source
    tokens: list = field(default_factory=list)
    label: str = ""
    name: str = ""        # directive name, e.g. prf:theorem
    level: int = 0        # heading level
    title: str = ""       # heading text (source) or directive argument
    cell: object = None   # the notebook cell (code items)
    cell_id: str = ""
    figure: str = ""      # myst-nb figure name of a code cell

    @property
    def is_prose(self) -> bool:
        return self.kind in ("heading", "directive", "math", "prose")


def _words(text: str) -> str:
    return " ".join(text.split())


def _group_blocks(tokens):
    """Top-level token groups of a markdown token stream."""
    depth, current = 0, []
    for tok in tokens:
        current.append(tok)
        depth += tok.nesting
        if depth == 0:
            yield current
            current = []
    if current:
        yield current


def _formulas(tokens, item: int) -> list[Formula]:
    """Every display formula in ``tokens``, directive bodies included (recursively)."""
    out = []
    for tok in tokens:
        if tok.type in ("math_block", "math_block_label"):
            out.append(Formula(tok.content.strip(), False,
                               tok.info if tok.type == "math_block_label" else "", item))
        elif tok.type == "amsmath":
            out.append(Formula(tok.content.strip(), True, "", item))
        elif tok.type in ("fence", "colon_fence"):
            m = re.match(r"^\{([A-Za-z0-9_:-]+)\}", tok.info.strip())
            if not m or m.group(1) in ("solution", "solution-start", "solution-end",
                                       "code-cell", "code-block", "code", "literalinclude"):
                continue
            options, body = _split_options(tok.content)
            if m.group(1) == "math":
                out.append(Formula(body.strip(), False, options.get("label", ""), item))
            else:
                out.extend(_formulas(_parser().parse(body, {}), item))
    return out


class Chapter:
    """The items of one chapter notebook and the names that address them."""

    def __init__(self, path: Path, ctx: Context):
        self.path = path
        self.ctx = ctx
        self.nb = nbformat.read(path, as_version=4)
        self.items: list[Item] = []
        self.formulas: list[Formula] = []
        self._read()

    # --- reading -------------------------------------------------------------------
    def _read(self) -> None:
        hidden = False  # inside a gated solution
        for cell in self.nb.cells:
            tags = set(cell.metadata.get("tags", []))
            if cell.cell_type == "markdown":
                source, hidden = outside_solutions(cell.source, hidden)
                if "remove-cell" not in tags and source.strip():
                    self._read_markdown(source)
            elif cell.cell_type == "code" and not hidden and "remove-cell" not in tags:
                mystnb = cell.metadata.get("mystnb", {})
                self.items.append(Item(pos=len(self.items), kind="code", source=cell.source,
                                       cell=cell, cell_id=cell.get("id", ""),
                                       figure=mystnb.get("figure", {}).get("name", "")))

    def _read_markdown(self, source: str) -> None:
        lines = source.split("\n")
        pending = ""
        for group in _group_blocks(_parser().parse(source, {})):
            first = group[0]
            if first.type == "myst_target":
                pending = first.content
                continue
            if first.type in ("myst_line_comment", "front_matter", "myst_block_break"):
                continue
            if first.type == "html_block" and first.content.lstrip().startswith("<!--"):
                continue
            text = "\n".join(lines[first.map[0]:first.map[1]]) if first.map else first.content
            item = Item(pos=len(self.items), kind="prose", source=text, tokens=group)
            if first.type == "heading_open":
                item.kind, item.level = "heading", int(first.tag[1])
                item.title = group[1].content
                item.label, pending = pending, ""
            elif first.type in ("fence", "colon_fence"):
                m = re.match(r"^\{([A-Za-z0-9_:-]+)\}\s*(.*)$", first.info.strip())
                if m:
                    if m.group(1) in ("solution", "solution-start", "solution-end"):
                        continue
                    item.kind, item.name, item.title = "directive", m.group(1), m.group(2)
                    options, _ = _split_options(first.content)
                    item.label = options.get("label", "") or options.get("name", "")
            elif first.type in ("math_block", "math_block_label", "amsmath"):
                item.kind = "math"
                item.label = first.info if first.type == "math_block_label" else ""
            if pending and not item.label:
                item.label = pending
            pending = ""
            self.items.append(item)
            self.formulas.extend(_formulas(group, item.pos))

    # --- rendering -------------------------------------------------------------------
    def html(self, item: Item) -> str:
        return _render_tokens(self.ctx, item.tokens, _parser().renderer)

    def is_running_note(self, item: Item) -> bool:
        return item.kind == "directive" and bool(RUNNING_NOTE.search(item.title))

    # --- names -------------------------------------------------------------------------
    @property
    def where(self) -> str:
        return f"book/{self.path.name}"

    def find(self, ref) -> Item:
        """The item named ``ref``: a MyST label, a cell id, a figure name, or a heading
        written as in the chapter (``"## Heading text"``)."""
        ref = str(ref).strip()
        if ref.startswith("#"):
            level = len(ref) - len(ref.lstrip("#"))
            text = _words(ref.lstrip("#"))
            found = [i for i in self.items if i.kind == "heading" and i.level == level
                     and _words(i.title) == text]
        else:
            found = [i for i in self.items if ref in (i.label, i.cell_id, i.figure)]
        if not found:
            raise OutlineError(f"{self.where} has no label, heading, cell id or figure "
                               f"named {ref!r}")
        if len(found) > 1:
            raise OutlineError(f"{self.where}: {ref!r} names {len(found)} items")
        return found[0]

    def directive(self, label: str) -> Item:
        item = self.find(label)
        if item.kind != "directive":
            raise OutlineError(f"{self.where}: {label!r} is not a theorem, "
                               "definition, exercise or other directive")
        return item

    def code(self, ref: str) -> Item:
        item = self.find(ref)
        if item.kind != "code":
            raise OutlineError(f"{self.where}: {ref!r} is not a code cell")
        return item

    def formula(self, text: str, within: str | None = None) -> Formula:
        """The one display formula whose TeX contains ``text`` (spaces ignored),
        optionally among those held by the item named ``within``."""
        want = re.sub(r"\s+", "", text)
        pool = self.formulas
        if within is not None:
            holder = self.find(within).pos
            pool = [f for f in pool if f.item == holder]
        found = [f for f in pool if want in re.sub(r"\s+", "", f.tex)]
        if not found:
            raise OutlineError(f"{self.where}: no display formula contains {text!r}"
                               + (f" in {within!r}" if within else ""))
        if len(found) > 1:
            raise OutlineError(f"{self.where}: {len(found)} display formulas contain "
                               f"{text!r}; name the block that holds it with `in:`")
        return found[0]

    def block(self, phrase: str) -> Item:
        """The one prose block (paragraph, list, table, directive) whose markdown contains
        ``phrase`` (white space normalised)."""
        want = _words(phrase)
        found = [i for i in self.items if i.is_prose and want in _words(i.source)]
        if not found:
            raise OutlineError(f"{self.where}: no block of prose contains {phrase!r}")
        if len(found) > 1:
            raise OutlineError(f"{self.where}: {len(found)} blocks contain {phrase!r}")
        return found[0]

    def list_item(self, phrase: str) -> tuple[Item, list]:
        """The one item of a list (its tokens) whose markdown contains ``phrase``."""
        want = _words(phrase)
        hits = []
        for item in self.items:
            if item.kind != "prose" or item.tokens[0].type not in ("bullet_list_open",
                                                                   "ordered_list_open"):
                continue
            lines = item.source.split("\n")
            base = item.tokens[0].map[0]
            depth, start = 0, None
            for k, tok in enumerate(item.tokens):
                if tok.type == "list_item_open" and depth == 1:
                    start = k
                depth += tok.nesting
                if tok.type == "list_item_close" and depth == 1 and start is not None:
                    a, b = item.tokens[start].map
                    if want in _words("\n".join(lines[a - base:b - base])):
                        hits.append((item, item.tokens[start:k + 1]))
        if not hits:
            raise OutlineError(f"{self.where}: no list item contains {phrase!r}")
        if len(hits) > 1:
            raise OutlineError(f"{self.where}: {len(hits)} list items contain {phrase!r}")
        return hits[0]

    def heading_before(self, pos: int) -> Item | None:
        """The nearest heading at or before position ``pos``."""
        for item in reversed(self.items[:pos + 1]):
            if item.kind == "heading":
                return item
        return None

    def exercises(self) -> list[Item]:
        return [i for i in self.items if i.kind == "directive" and i.name == "exercise"]
