"""Render a chapter's MyST markdown to HTML for the reveal.js slides.

The markdown is parsed with MyST's own markdown-it-py parser (``myst_parser``,
built on markdown-it-py and mdit-py-plugins, the parser Jupyter Book uses), and
rendered here:

* roles are resolved to what the book shows: ``{prf:ref}``, ``{ref}``,
  ``{numref}`` and ``{eq}`` to Sphinx's own text ("Theorem 3.2", "(3)", a
  section title), read from the built HTML site when there is one (else from
  the chapter's labels, without numbers); ``{doc}`` to the chapter's title;
  ``{cite:p}``/``{cite:t}`` to "(Author, year)"; ``{glue:text}``/``{glue}`` to
  the glued value stored in the notebook's outputs; ``{term}``, ``{math}``, ...;
  anything unresolvable renders as "??" (the slide test fails on it);
* directives: theorem-like blocks and exercises become titled boxes numbered as
  in the book; ``solution`` blocks are dropped (slides are shown to the class;
  gated solutions are dropped by :mod:`chapter_items`); admonitions become boxes;
  ``math`` becomes display math; MyST targets and comments disappear;
* math stays TeX between ``\\(``/``\\)`` and ``\\[``/``\\]`` for MathJax;
* code is highlighted by Pygments (:func:`code_block`).

:func:`render_blocks` returns one HTML string per top-level block; the lecture decks
(:mod:`build_slides`) show the blocks an outline names and put the rest in the notes.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

ROOT = Path(__file__).resolve().parent.parent

KINDS = {
    "prf:theorem": "Theorem", "prf:lemma": "Lemma", "prf:proof": "Proof",
    "prf:definition": "Definition", "prf:corollary": "Corollary",
    "prf:proposition": "Proposition", "prf:remark": "Remark", "prf:example": "Example",
    "prf:algorithm": "Algorithm", "prf:property": "Property", "prf:observation": "Observation",
    "prf:conjecture": "Conjecture", "prf:criterion": "Criterion", "prf:axiom": "Axiom",
    "prf:assumption": "Assumption", "prf:notation": "Notation",
    "exercise": "Exercise", "note": "Note", "tip": "Tip", "warning": "Warning",
    "important": "Important", "caution": "Caution", "attention": "Attention", "hint": "Hint",
    "seealso": "See also", "danger": "Danger", "error": "Error", "admonition": "",
    "margin": "", "sidebar": "", "topic": "", "epigraph": "",
}
DROP = {"solution", "toctree", "bibliography", "tableofcontents", "glossary", "include",
        "code-cell", "raw", "only"}
GATES = {"solution-start", "solution-end"}


@lru_cache(maxsize=1)
def _parser():
    config = MdParserConfig(enable_extensions={"amsmath", "colon_fence", "deflist",
                                               "dollarmath", "substitution"})
    return create_md_parser(config, RendererHTML)


@lru_cache(maxsize=1)
def citations() -> dict[str, tuple[str, str]]:
    """``key -> (authors, year)`` from references.bib (pybtex ships with Jupyter Book)."""
    from pybtex.database import parse_file

    out = {}
    for key, entry in parse_file(str(ROOT / "references.bib")).entries.items():
        people = entry.persons.get("author", []) or entry.persons.get("editor", [])
        last = [" ".join(p.last_names).replace("{", "").replace("}", "") for p in people]
        if len(last) > 2:
            names = f"{last[0]} et al."
        elif len(last) == 2:
            names = f"{last[0]} and {last[1]}"
        else:
            names = "".join(last)
        out[key] = (names, entry.fields.get("year", ""))
    return out


@cache
def chapter_title(stem: str) -> str:
    md, nb = ROOT / "book" / f"{stem}.md", ROOT / "book" / f"{stem}.ipynb"
    if md.exists():
        lines = md.read_text(encoding="utf-8").splitlines()
    elif nb.exists():
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        lines = [line for c in cells if c["cell_type"] == "markdown"
                 for line in "".join(c["source"]).splitlines()]
    else:
        return ""
    return next((line[2:].strip() for line in lines if line.startswith("# ")), stem)


@cache
def site_references(html_dir: str) -> dict[str, str]:
    """``anchor -> text`` as Sphinx resolved it in the built site.

    Every internal link's text (``<a href="page.html#anchor">Theorem 3.2</a>``),
    and the number of every numbered block (``id="anchor"`` with a caption number).
    """
    out: dict[str, str] = {}
    root = Path(html_dir)
    if not root.is_dir():
        return out
    link = re.compile(r'<a class="reference internal" href="[^"#]*#([^"]+)"[^>]*>(.*?)</a>',
                      re.DOTALL)
    # a numbered block (theorem, exercise, ...), perhaps behind a MyST target's span
    block = re.compile(r'id="([^"]+)"[^>]*>\s*(?:<span id="[^"]*"></span>\s*)*'
                       r'<p class="admonition-title">\s*'
                       r'<span class="caption-number">([^<]*)</span>', re.DOTALL)
    figure = re.compile(r'<figure[^>]*\sid="([^"]+)"[^>]*>(?:(?!</figure>).)*?'
                        r'<span class="caption-number">([^<]*)</span>', re.DOTALL)
    for page in sorted(root.glob("book/*.html")):
        text = page.read_text(encoding="utf-8")
        for anchor, number in block.findall(text) + figure.findall(text):
            out.setdefault("#number:" + anchor, number.strip())
        for anchor, inner in link.findall(text):
            if "<mjx-" in inner:  # a formula in the link text: keep the plain text
                inner = re.sub(r"<mjx-assistive-mml.*?</mjx-assistive-mml>", "", inner,
                               flags=re.DOTALL)
            plain = " ".join(re.sub(r"<[^>]+>", "", inner).split())
            if plain:
                out.setdefault(anchor, html.unescape(plain))
    return out


@cache
def chapter_number(html_dir: str, stem: str) -> str:
    """The chapter's number on the site ("3", "A"; "" if unnumbered or no site): the
    section number of its page's title, from the numbered parts of ``_toc.yml``."""
    page = Path(html_dir) / "book" / f"{stem}.html"
    if not page.is_file():
        return ""
    match = re.search(r'<h1>\s*<span class="section-number">([^<]*)</span>',
                      page.read_text(encoding="utf-8"))
    return match.group(1).strip().rstrip(".") if match else ""


@dataclass
class Context:
    """What a chapter's markdown needs to be rendered."""

    stem: str
    glue: dict[str, str] = field(default_factory=dict)
    html_dir: str = str(ROOT / "_build" / "html")
    labels: dict[str, str] = field(default_factory=dict)  # label -> fallback text
    unresolved: list[str] = field(default_factory=list)
    images: list[tuple[str, Path]] = field(default_factory=list)

    def ref(self, role: str, target: str) -> str:
        refs = site_references(self.html_dir)
        anchor = target.strip()
        if role == "eq":
            key = f"equation-{anchor}"
            if key in refs:
                return refs[key]
            return self.labels.get(anchor, self._missing(role, target))
        for key in (anchor, anchor.lower(), anchor.replace("_", "-").lower()):
            if key in refs:
                return refs[key]
            if "#number:" + key in refs:
                return refs["#number:" + key]
        if anchor in self.labels:
            return self.labels[anchor]
        return self._missing(role, target)

    def _missing(self, role: str, target: str) -> str:
        self.unresolved.append(f"{{{role}}}`{target}`")
        return "??"


def _role(ctx: Context, name: str, content: str) -> str:
    explicit = re.match(r"^(.*?)\s*<([^>]+)>$", content, re.DOTALL)
    text, target = (explicit.group(1), explicit.group(2)) if explicit else (None, content)
    if name.startswith("cite"):
        keys = [k.strip() for k in target.split(",") if k.strip()]
        found = [citations().get(k) for k in keys]
        if None in found:
            return html.escape(ctx._missing(name, target))
        if name in ("cite:t", "cite:ts"):
            return "; ".join(f"{html.escape(a)} ({y})" for a, y in found)
        return "(" + "; ".join(f"{html.escape(a)}, {y}" for a, y in found) + ")"
    if name == "math":
        return "\\(" + html.escape(content) + "\\)"
    if name in ("glue:text", "glue", "glue:md"):
        key, _, spec = target.partition(":")
        if key not in ctx.glue:
            return html.escape(ctx._missing(name, target))
        value = ctx.glue[key]
        if spec:
            try:
                value = format(float(value), spec)
            except ValueError:
                pass
        return html.escape(value)
    if text is not None and "%s" in text and name in ("numref", "prf:ref", "ref"):
        resolved = ctx.ref(name, target)
        number = re.search(r"[\dA-Z]+(?:\.\d+)*\s*$", resolved)
        return _inline(ctx, text.replace("%s", number.group(0).strip() if number else resolved))
    if name.startswith("py:"):  # {py:func}`name <mlhwlib.mod.name>`: code, as on the site
        return f"<code>{html.escape(text if text is not None else target)}</code>"
    if text is not None and name != "glue:text":
        return _inline(ctx, text)
    if name == "doc":
        stem = target.rsplit("/", 1)[-1].removesuffix(".md").removesuffix(".ipynb")
        title = chapter_title(stem)
        return f"<em>{html.escape(title)}</em>" if title else html.escape(ctx._missing(name, target))
    if name in ("ref", "numref", "prf:ref", "eq", "download", "any"):
        text = ctx.ref(name, target)
        # a section's title (not "Theorem 3", "Fig. 2", "(4)") reads as a title
        if name in ("ref", "any") and not re.match(r"^\(?[A-Z][a-z]*\.? ?[\dA-Z]+(\.\d+)*\)?$|^\(", text):
            return f"<em>{html.escape(text)}</em>"
        return html.escape(text)
    if name in ("term", "abbr", "sub", "sup", "kbd", "code", "samp", "file", "guilabel",
                "command", "program", "dfn", "strong", "emphasis", "index"):
        word = re.sub(r"\s*\(.*\)$", "", target) if name == "abbr" else target
        tag = {"sub": "sub", "sup": "sup", "kbd": "kbd", "code": "code", "strong": "strong",
               "emphasis": "em"}.get(name)
        return f"<{tag}>{html.escape(word)}</{tag}>" if tag else html.escape(word)
    return html.escape(ctx._missing(name, target))


def _inline(ctx: Context, text: str) -> str:
    tokens = _parser().parseInline(text, {})
    return _render_inline(ctx, tokens[0].children or [] if tokens else [])


def _render_inline(ctx: Context, children: list[Token]) -> str:
    out = []
    rules = _parser().renderer
    for i, tok in enumerate(children):
        if tok.type == "myst_role":
            out.append(_role(ctx, tok.meta.get("name", ""), tok.content))
        elif tok.type == "math_inline":
            out.append("\\(" + html.escape(tok.content) + "\\)")
        elif tok.type == "math_inline_double":
            out.append("\\[" + html.escape(tok.content) + "\\]")
        elif tok.type == "text":
            out.append(html.escape(tok.content))
        elif tok.type == "link_open":
            href = tok.attrGet("href") or ""
            if href.endswith((".md", ".ipynb")) or ".ipynb#" in href or ".md#" in href:
                stem = Path(href.split("#")[0]).stem
                out.append(f'<span class="xref" data-chapter="{html.escape(stem)}">')
                tok.meta["mlhw_closed_as"] = "span"
                # the link text itself is kept; a bare link shows the chapter's title
                nxt = children[i + 1] if i + 1 < len(children) else None
                if nxt is not None and nxt.type == "link_close":
                    out.append(f"<em>{html.escape(chapter_title(stem))}</em>")
            else:
                out.append(f'<a href="{html.escape(href)}">')
        elif tok.type == "link_close":
            opener = next((t for t in reversed(children[:i]) if t.type == "link_open"), None)
            out.append("</span>" if opener is not None and
                       opener.meta.get("mlhw_closed_as") == "span" else "</a>")
        else:
            out.append(rules.render([tok], _parser().options, {}))
    return "".join(out)


def _split_options(body: str) -> tuple[dict[str, str], str]:
    options, lines = {}, body.split("\n")
    i = 0
    if lines and lines[0].strip() == "---":  # YAML block of options
        end = next((j for j in range(1, len(lines)) if lines[j].strip() == "---"), 0)
        for line in lines[1:end]:
            key, _, value = line.partition(":")
            options[key.strip()] = value.strip()
        i = end + 1
    while i < len(lines) and re.match(r"^\s*:[A-Za-z_-]+:", lines[i]):
        key, _, value = lines[i].strip()[1:].partition(":")
        options[key.strip()] = value.strip()
        i += 1
    return options, "\n".join(lines[i:])


def _included(arg: str, options: dict[str, str]) -> str | None:
    """The code a ``literalinclude`` shows: the whole file, its ``:lines:`` (``a-b``) or
    the source of its ``:pyobject:`` (a function or class, with its decorators)."""
    import ast

    path = (ROOT / "book" / arg.strip()).resolve()
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if "pyobject" in options:
        name = options["pyobject"]
        node = next((n for n in ast.walk(ast.parse(text))
                     if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     and n.name == name), None)
        if node is None:
            return None
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        return "\n".join(lines[first - 1:node.end_lineno])
    if "lines" in options:
        first, _, last = options["lines"].partition("-")
        return "\n".join(lines[int(first) - 1:int(last or first)])
    return text.rstrip("\n")


def code_block(code: str, language: str = "") -> str:
    """A block of code, highlighted by Pygments (the site's highlighter) when its
    language is known."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    language = language.strip().split()[0] if language and language.strip() else ""
    try:
        lexer = get_lexer_by_name(language) if language else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return f'<pre class="code"><code>{html.escape(code.strip(chr(10)))}</code></pre>'
    body = highlight(code.strip("\n"), lexer, HtmlFormatter(nowrap=True)).rstrip()
    return (f'<pre class="code"><code class="language-{html.escape(language)} highlight">'
            f"{body}</code></pre>")


def _directive(ctx: Context, info: str, body: str) -> str:
    match = re.match(r"^\{([A-Za-z0-9_:-]+)\}\s*(.*)$", info.strip())
    if not match:  # a plain code fence
        lang = info.strip().split()[0] if info.strip() else ""
        return code_block(body, lang)
    name, arg = match.groups()
    options, content = _split_options(body)
    if name in DROP or name in GATES:
        return ""
    if name in ("math",):
        return '<div class="display-math">\\[' + html.escape(content.strip()) + "\\]</div>"
    if name in ("code-block", "code", "sourcecode"):
        return code_block(content, arg.strip() or options.get("language", ""))
    if name == "literalinclude":
        code = _included(arg, options)
        if code is None:
            return html.escape(ctx._missing(name, arg))
        return code_block(code, options.get("language", "python"))
    if name in ("figure", "image") and arg:
        src = (ROOT / "book" / arg).resolve()
        alt = options.get("alt", "")
        if src.is_file():
            ctx.images.append((f"img/{ctx.stem}-{src.name}", src))
            caption = render_markdown(ctx, content) if name == "figure" else ""
            return (f'<figure><img src="img/{ctx.stem}-{html.escape(src.name)}" '
                    f'alt="{html.escape(alt)}">{f"<figcaption>{caption}</figcaption>" if caption else ""}'
                    "</figure>")
        return ""
    kind = KINDS.get(name, name.split(":")[-1].replace("-", " ").capitalize())
    label = options.get("label", "")
    number = ""
    if label:
        refs = site_references(ctx.html_dir)
        number = refs.get("#number:" + label, "")
    heading = number or kind
    title = _inline(ctx, arg) if arg else ""
    if name == "admonition":
        heading, title = title, ""
    css = "box " + name.replace(":", "-") + (" proof" if name == "prf:proof" else "")
    head = heading + (f" ({title})" if title and heading else title)
    data = f' data-label="{html.escape(label)}"' if label else ""
    return (f'<div class="{css}"{data}><div class="box-title">{head}</div>'
            + "".join(render_blocks(ctx, content)) + "</div>")


def _blocks(ctx: Context, tokens: list[Token]) -> list[str]:
    """HTML of each top-level block of a token stream."""
    out: list[str] = []
    depth, current = 0, []
    renderer = _parser().renderer
    for tok in tokens:
        current.append(tok)
        depth += tok.nesting
        if depth == 0:
            out.append(_render_tokens(ctx, current, renderer))
            current = []
    if current:
        out.append(_render_tokens(ctx, current, renderer))
    return [b for b in out if b.strip()]


def _render_tokens(ctx: Context, tokens: list[Token], renderer) -> str:
    parts = []
    for tok in tokens:
        if tok.type in ("myst_target", "myst_line_comment", "front_matter", "myst_block_break"):
            continue
        if tok.type in ("fence", "colon_fence"):
            parts.append(_directive(ctx, tok.info, tok.content))
        elif tok.type == "code_block":
            parts.append(f'<pre class="code"><code>{html.escape(tok.content)}</code></pre>')
        elif tok.type in ("math_block", "math_block_label"):
            parts.append('<div class="display-math">\\[' + html.escape(tok.content.strip())
                         + "\\]</div>")
        elif tok.type == "amsmath":
            parts.append('<div class="display-math">' + html.escape(tok.content) + "</div>")
        elif tok.type == "inline":
            parts.append(_render_inline(ctx, tok.children or []))
        elif tok.type == "html_block":
            parts.append("" if tok.content.lstrip().startswith("<!--") else tok.content)
        else:
            parts.append(renderer.render([tok], _parser().options, {}))
    return "".join(parts)


def render_blocks(ctx: Context, markdown: str) -> list[str]:
    """HTML of every top-level block of one markdown cell (see the module docstring)."""
    return _blocks(ctx, _parser().parse(markdown, {}))


def render_markdown(ctx: Context, markdown: str) -> str:
    return "".join(render_blocks(ctx, markdown))


def outside_solutions(markdown: str, hidden: bool) -> tuple[str, bool]:
    """The part of a markdown cell outside gated solutions, and whether a solution is
    still open at its end. ``hidden`` says whether one was open at its start.

    A cell may hold an exercise and the ``{solution-start}`` of its solution (whose
    text follows in the same cell), or end a solution and go on with the chapter:
    only the lines between the gates are dropped."""
    lines = markdown.split("\n")
    kept: list[str] = []
    pos = 0
    for tok in _parser().parse(markdown, {}):
        if tok.level != 0 or tok.map is None or tok.type not in ("fence", "colon_fence"):
            continue
        m = re.match(r"^\{(solution-start|solution-end)\}", tok.info.strip())
        if m:
            if not hidden:
                kept.extend(lines[pos:tok.map[0]])
            pos = tok.map[1]
            hidden = m.group(1) == "solution-start"
    if not hidden:
        kept.extend(lines[pos:])
    return "\n".join(kept), hidden


def local_labels(markdowns: list[str]) -> dict[str, str]:
    """Fallback reference texts from the chapter itself (no numbers): label -> kind (title)."""
    out: dict[str, str] = {}
    pending = None
    for markdown in markdowns:
        for tok in _parser().parse(markdown, {}):
            if tok.type == "myst_target":
                pending = tok.content
            elif tok.type == "heading_open" and pending:
                continue
            elif tok.type == "inline" and pending:
                out[pending] = re.sub(r"[`*$]", "", tok.content)
                pending = None
            elif tok.type in ("fence", "colon_fence"):
                m = re.match(r"^\{([A-Za-z0-9_:-]+)\}\s*(.*)$", tok.info.strip())
                if m:
                    options, _ = _split_options(tok.content)
                    if "label" in options:
                        kind = KINDS.get(m.group(1), m.group(1).split(":")[-1].capitalize())
                        out[options["label"]] = kind + (f" ({m.group(2)})" if m.group(2) else "")
            elif tok.type == "math_block_label":
                out[tok.info] = f"({tok.info})"
    return out
