"""Sphinx extension: turn Sphinx's LaTeX output into the book's PDF layout.

Jupyter Book 1.x with ``use_jupyterbook_latex: false`` hands the root page's
sections to LaTeX as chapters and forgets the parts of ``_toc.yml``. After the
LaTeX builder has written ``<target>.tex`` (and before Jupyter Book runs
``make all-pdf``), this extension rewrites the file:

* the root page (the introduction) and every page of a part captioned
  "Front matter" become unnumbered chapters (their sections unnumbered too), so
  the first chapter of the book is Chapter 1;
* every other part of ``_toc.yml`` with a caption gets an entry in the contents
  (and a PDF bookmark) before its first chapter; the part captioned "Appendices"
  starts LaTeX's ``\\appendix`` (chapters A, B, ..., lettered on the site by the
  part's ``style: alphaupper``);
* the bibliography page keeps its labels but loses its own (empty) chapter
  heading: the bibliography environment opens the one "Bibliography" chapter;
* sphinx-proof's untitled proof boxes become a plain ``mlhwproof`` block
  (no empty title bar) ending with a QED square;
* unnumbered display equations go through ``\\mlhwdisplay`` (defined in the
  preamble of ``_config.yml``), which shrinks a display wider than the line to
  the line width and says so in the LaTeX log (``mlhw: display scaled``), so
  nothing runs off the page and ``tests/test_pdf.py`` can report the formula;
* a heading with a formula gets a plain-text twin for the PDF's bookmarks
  (``\\texorpdfstring``): hyperref cannot put TeX math in a bookmark;
* a Latin quotation mark next to a CJK character is boxed, so that xeCJK does not
  put its Latin–CJK space between them (“第三個”, not “ 第三個 ”).

Before that, the LaTeX builder's doctrees lose the code of cells tagged
``hide-input`` (on the site it is folded away; on paper it would fill pages), and a
reference to an exercise of another page (the instructor's guide's syllabus) is
written as sphinx-exercise writes one within a page, ``\\hyperref[exercise:LABEL]``
with its number and page ("Exercise 1.2 (page 20)"): sphinx-exercise converts only references within a
page, and the others printed "Exercise ??" (a ``\\ref`` to a label LaTeX never gets).

The rewrite is idempotent and only touches the LaTeX builder's output.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import yaml
from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

FRONT_CAPTION = "front matter"
APPENDIX_CAPTION = "appendices"


def _toc(srcdir: Path) -> tuple[str, list[tuple[str, list[str]]]]:
    toc = yaml.safe_load((srcdir / "_toc.yml").read_text(encoding="utf-8"))
    parts = [(part.get("caption", ""), [c["file"] for c in part.get("chapters", [])])
             for part in toc.get("parts", [])]
    return toc["root"], parts


def _doc_label(doc: str) -> str:
    return r"\label{\detokenize{" + doc + "::doc}}"


def _chapter_start(tex: str, doc: str) -> int:
    """Index of the ``\\chapter{`` line whose labels name ``doc``; -1 if none."""
    at = tex.find(_doc_label(doc))
    if at < 0:
        return -1
    return tex.rfind("\\chapter{", 0, at)


def _unnumber(segment: str) -> str:
    """Numbered headings of a front-matter page become starred ones with a toc line."""
    def chapter(match: re.Match) -> str:
        title = match.group(1)
        return (f"\\chapter*{{{title}}}\\addcontentsline{{toc}}{{chapter}}{{{title}}}"
                f"\\markboth{{{title}}}{{{title}}}")
    segment = re.sub(r"\\chapter\{((?:[^{}]|\{[^{}]*\})*)\}", chapter, segment)
    return re.sub(r"\\(section|subsection)\{", r"\\\1*{", segment)


def _proofs(tex: str) -> str:
    """Untitled admonitions that open with "Proof." become ``mlhwproof`` blocks."""
    opener = "\\begin{sphinxadmonition}{note}\n\\sphinxAtStartPar\nProof."
    out, pos = [], 0
    while True:
        start = tex.find(opener, pos)
        if start < 0:
            out.append(tex[pos:])
            return "".join(out)
        depth, i = 1, start + len("\\begin{sphinxadmonition}")
        while depth:
            nxt_open = tex.find("\\begin{sphinxadmonition}", i)
            nxt_close = tex.find("\\end{sphinxadmonition}", i)
            if nxt_close < 0:  # malformed: leave the rest alone
                out.append(tex[pos:])
                return "".join(out)
            if 0 <= nxt_open < nxt_close:
                depth, i = depth + 1, nxt_open + 1
            else:
                depth, i = depth - 1, nxt_close + 1
        end = i - 1
        body = tex[start + len(opener):end]
        out.append(tex[pos:start])
        out.append("\\begin{mlhwproof}\n\\sphinxAtStartPar\n\\textit{Proof.}" + body
                   + "\\end{mlhwproof}")
        pos = end + len("\\end{sphinxadmonition}")


DISPLAY = re.compile(r"\\begin\{equation\*\}\n\\begin\{split\}(.*?)\\end\{split\}\n\\end\{equation\*\}",
                     re.DOTALL)


def _displays(tex: str) -> str:
    def wrap(match: re.Match) -> str:
        body = match.group(1)
        if re.search(r"\\(tag|label|intertext|notag|nonumber|shortintertext)\b", body):
            return match.group(0)
        return "\\mlhwdisplay{" + body + "}"
    return DISPLAY.sub(wrap, tex)


# TeX in a heading -> the text of its bookmark (TeX's own commands; the book's macros
# are added from their definitions by ``_macro_bookmark_text``)
BOOKMARK_TEXT = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "varepsilon": "ε",
    "epsilon": "ε", "theta": "θ", "lambda": "λ", "mu": "μ",
    "pi": "π", "sigma": "σ", "Sigma": "Σ", "partial": "∂",
    "ge": "≥", "geq": "≥", "le": "≤", "leq": "≤", "ne": "≠", "neq": "≠", "approx": "≈",
    "mid": "|", "ast": "*", "times": "×", "cdot": "·", "infty": "∞", "to": "→",
    "tanh": "tanh", "log": "log", "exp": "exp",
}
SUBSCRIPT = str.maketrans("0123456789aeijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉ₐₑᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


ACCENTS = {"hat": "\u0302", "tilde": "\u0303", "bar": "\u0304", "dot": "\u0307"}
RELATIONS = {"ge", "geq", "le", "leq", "ne", "neq", "approx", "mid", "to"}


def _plain(math: str) -> str:
    """A readable plain-text form of a short formula (for a PDF bookmark)."""
    text = re.sub(r"\\(hat|tilde|bar|dot)\s*\{?\s*(\w)\s*\}?\s*",
                  lambda m: m.group(2) + ACCENTS[m.group(1)], math)
    text = re.sub(r"\\operatorname\*?\{([^}]*)\}", r"\1", text).replace("\\,", " ")
    text = text.replace("\\{", "\x01").replace("\\}", "\x02")
    text = re.sub(r"\\([A-Za-z]+)\s*", lambda m: (f" {BOOKMARK_TEXT[m.group(1)]} "
                                                  if m.group(1) in RELATIONS
                                                  else BOOKMARK_TEXT.get(m.group(1), "")), text)
    text = re.sub(r"_\{?(\d+|[aeijklmnoprstuvx])\}?", lambda m: m.group(1).translate(SUBSCRIPT),
                  text)
    text = re.sub(r"\^\{?(\d+)\}?", lambda m: m.group(1).translate(SUPERSCRIPT), text)
    text = re.sub(r"[{}_^\\]", "", text).replace("\x01", "{").replace("\x02", "}")
    return " ".join(text.split())


HEADING = re.compile(r"^(\\(?:part|chapter|section|subsection|subsubsection)\*?\{)(.*)\}$", re.M)
HEADING_MATH = re.compile(r"\\protect\\\((.*?)\\protect\\\)")


def _bookmarks(tex: str) -> str:
    def heading(match: re.Match) -> str:
        title = match.group(2)
        if "\\protect\\(" not in title or "\\texorpdfstring" in title:
            return match.group(0)
        title = HEADING_MATH.sub(lambda m: "\\texorpdfstring{\\protect\\(" + m.group(1)
                                 + "\\protect\\)}{" + _plain(m.group(1)) + "}", title)
        return match.group(1) + title + "}"
    return HEADING.sub(heading, tex)


CHAPTER_LINE = re.compile(r"^(\\(?:part|chapter)\*?\{)(.*)\}$", re.M)


def _greek_command(ch: str) -> str:
    """``\\pi`` for a lower-case Greek letter such as π; "" for anything else."""
    name = unicodedata.name(ch, "")
    if not name.startswith("GREEK SMALL LETTER ") or len(name.split()) != 4:
        return ""
    letter = name.split()[-1].lower()
    return "o" if letter == "omicron" else "\\" + letter


def _greek_titles(tex: str) -> str:
    """Lower-case Greek letters in part and chapter titles become math.

    fncychap's Bjarne style (Sphinx's default) sets chapter titles with
    ``\\MakeUppercase``, which turns a text π into Π (a product sign) and μ into Μ (an M).
    Math is not case-changed: ``\\protect\\(\\pi\\protect\\)`` prints π in the capitalised
    title, and :func:`_bookmarks` gives the bookmark its plain π back.
    """
    def title(match: re.Match) -> str:
        text = "".join(f"\\protect\\({cmd}\\protect\\)" if (cmd := _greek_command(ch)) else ch
                       for ch in match.group(2))
        return match.group(1) + text + "}"
    return CHAPTER_LINE.sub(title, tex)


CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"


def _cjk_quotes(tex: str) -> str:
    tex = re.sub(f"([“‘])(?=[{CJK}])", r"\\mbox{\1}", tex)
    return re.sub(f"(?<=[{CJK}])([”’])", r"\\mbox{\1}", tex)


def _bibliography(tex: str, doc: str) -> str:
    start = _chapter_start(tex, doc)
    if start < 0:
        return tex
    line_end = tex.find("\n", tex.find(_doc_label(doc)))
    labels = "".join(re.findall(r"\\label\{\\detokenize\{[^}]*\}\}", tex[start:line_end]))
    rest = tex[line_end + 1:]
    begin = "\\begin{sphinxthebibliography}"
    if not rest.lstrip().startswith(begin):
        return tex
    rest = rest.lstrip()
    begin_end = rest.find("\n") + 1
    return (tex[:start] + rest[:begin_end] + "\\phantomsection" + labels + "\n"
            + rest[begin_end:])


CODE_THEN_OUTPUT = re.compile(
    r"(\\begin\{sphinxuseclass\}\{cell_input\})(\s*\\begin\{sphinxVerbatim\}"
    r"(?:(?!\\end\{sphinxVerbatim\}).)*"  # within this cell's code
    r"\\end\{sphinxVerbatim\}\s*\\end\{sphinxuseclass\}\s*"
    r"\\begin\{sphinxuseclass\}\{cell_output\})", re.DOTALL)


NO_BREAK = "\\csname @{}parpenalty\\endcsname=10000\\relax"


def _output_with_code(tex: str) -> str:
    """A cell's printed output starts on the page where its code ends: no page break
    between the code's box and the output (the lists that set code and output end and
    begin with penalties that invite one; around this pair they forbid it). Long code
    still breaks between its lines, taking its last lines to the output's page: no
    output line is left alone at the top of a page, as one was before Appendix B."""
    return CODE_THEN_OUTPUT.sub(
        lambda m: (m.group(1) + NO_BREAK.format("end") + m.group(2)
                   + NO_BREAK.format("begin")), tex)


# A block of code of at most this many lines is never split by a page break; nor is a
# chapter's first cell (its imports) of at most IMPORT_CELL_LINES.
SHORT_CODE_LINES = 20
IMPORT_CELL_LINES = 45
VERBATIM = re.compile(r"\\begin\{sphinxVerbatim\}((?:(?!\\end\{sphinxVerbatim\}).)*)"
                      r"\\end\{sphinxVerbatim\}", re.DOTALL)
# (the code's lines, in a smaller font, plus one for the frame's padding)
NEEDSPACE = "\\needspace{{{lines}\\baselineskip}}%\n"


# "Checks Theorem 5.5 (page 217):" right before a cell (_ext/checks_links.py)
CHECKS_BEFORE = re.compile(r"\\sphinxAtStartPar\nChecks [^\n]*\n\n\\begin\{sphinxuseclass\}\{cell\}\n"
                           r"\\begin\{sphinxuseclass\}\{cell_input\}[^\n]*\n$")


def _keep_short_code(tex: str) -> str:
    """A short block of code (most cells) starts on a new page when the rest of this
    page cannot hold it whole (``\\needspace``, which Sphinx loads): it is never split
    across a page break, and neither is a chapter's first code cell (its imports) of up
    to ``IMPORT_CELL_LINES`` lines. A longer block still breaks between its lines.

    The space is asked for before a cell's code (with the "Checks ..." line above it,
    which moves with it), never before its output: the output already stays with the
    code (:func:`_output_with_code`), and a ``\\needspace`` between the two would be
    the only place left to break, with the space it asks for left on the page.
    (Code inside a box -- a solution -- is framed whole by the preamble's patch.)"""
    out, at, first = [], 0, True
    chapters = [m.start() for m in re.finditer(r"\\chapter\{", tex)]
    for match in VERBATIM.finditer(tex):
        if any(at <= c < match.start() for c in chapters):
            first = True  # a new chapter since the last block
        before = tex[max(0, match.start() - 200):match.start()]
        lines = match.group(1).count("\n") - 1
        is_input = "{cell_input}" in before and "{cell_output}" not in before
        is_first = first and is_input
        first = first and not is_first
        keep = ("{cell_output}" not in before
                and lines <= (IMPORT_CELL_LINES if is_first else SHORT_CODE_LINES))
        piece = tex[at:match.start()]
        if keep:
            space = NEEDSPACE.format(lines=max(lines, 1) + 1)
            checks = CHECKS_BEFORE.search(piece[-1000:])
            if checks:  # before the "Checks ..." line, two lines more
                cut = len(piece) - 1000 + checks.start() if len(piece) > 1000 else checks.start()
                piece = (piece[:cut] + NEEDSPACE.format(lines=max(lines, 1) + 3) + piece[cut:])
                space = ""
            piece += space
        out.append(piece)
        out.append(match.group(0))
        at = match.end()
    out.append(tex[at:])
    return "".join(out)


def rewrite(tex: str, srcdir: Path) -> str:
    if "% mlhw-book layout applied" in tex:
        return tex
    root, parts = _toc(srcdir)
    # 1. Front matter: from the root page up to the first chapter of the first main part.
    front_docs = [doc for caption, docs in parts if caption.lower() == FRONT_CAPTION
                  for doc in docs]
    main_parts = [(c, d) for c, d in parts if c.lower() != FRONT_CAPTION and d]
    first_main = _chapter_start(tex, main_parts[0][1][0]) if main_parts else -1
    root_at = tex.find("\\phantomsection" + _doc_label(root))
    if root_at >= 0 and first_main > root_at:
        front = tex[root_at:first_main]
        front = front.replace(
            "\\phantomsection" + _doc_label(root),
            "\\chapter*{Introduction}\\addcontentsline{toc}{chapter}{Introduction}"
            "\\markboth{Introduction}{Introduction}\n" + _doc_label(root), 1)
        # the root page's own sections are sections of the introduction
        labels = [i for i in (front.find(_doc_label(d)) for d in front_docs) if i >= 0]
        first_front = front.rfind("\\chapter{", 0, min(labels)) if labels else len(front)
        intro, others = front[:first_front], front[first_front:]
        intro = re.sub(r"\\chapter\{", r"\\section*{", intro)
        intro = re.sub(r"\\section\{", r"\\subsection*{", intro)
        tex = tex[:root_at] + intro + _unnumber(others) + tex[first_main:]
    # 2. Parts in the contents, appendices lettered.
    for caption, docs in main_parts:
        at = _chapter_start(tex, docs[0])
        if at < 0 or not caption:  # a part without a caption (the bibliography) has no line
            continue
        marker = ""
        if caption.lower() == APPENDIX_CAPTION:
            marker = "\\appendix\n"
        tex = (tex[:at] + "\\clearpage" + marker + "\\phantomsection"
               f"\\addcontentsline{{toc}}{{part}}{{{caption}}}\n" + tex[at:])
    # 3. One bibliography.
    for _, docs in parts:
        for doc in docs:
            if doc.endswith("bibliography"):
                tex = _bibliography(tex, doc)
    # 4. Proof blocks, display equations, Greek in chapter titles, bookmarks, quotation
    #    marks around CJK.
    tex = _cjk_quotes(_bookmarks(_greek_titles(_displays(_proofs(tex)))))
    # 5. A cell's output starts on the page where its code ends.
    tex = _output_with_code(tex)
    # 6. Short code is never split by a page break.
    tex = _keep_short_code(tex)
    return tex.replace("\\begin{document}", "% mlhw-book layout applied\n\\begin{document}", 1)


def _rewrite_latex(app, exception):
    if exception is not None or app.builder.name != "latex":
        return
    for tex_file in Path(app.outdir).glob("*.tex"):
        text = tex_file.read_text(encoding="utf-8")
        if "\\begin{document}" in text:
            tex_file.write_text(rewrite(text, Path(app.srcdir)), encoding="utf-8")


def _drop_hidden_code(app, doctree, docname):
    """On paper, a cell tagged ``hide-input`` shows its output only."""
    if app.builder.name != "latex":
        return
    from docutils import nodes

    for cell in list(doctree.findall(nodes.container)):
        if "tag_hide-input" in cell.get("classes", []):
            for child in list(cell.children):
                if isinstance(child, nodes.container) and "cell_input" in child.get("classes", []):
                    cell.remove(child)


class CrossPageExerciseReferences(SphinxPostTransform):
    """A reference to another page's exercise as sphinx-exercise writes one within a page."""

    default_priority = 23  # after sphinx-exercise's ResolveLinkTextToSolutions (22)
    formats = ("latex",)

    def run(self, **kwargs):
        registry = getattr(self.env, "sphinx_exercise_registry", None)
        if not registry:
            return
        from sphinx_exercise.nodes import exercise_enumerable_node, exercise_latex_number_reference

        # only numbered references ("Exercise %s", which LaTeX would fill with \\ref); a
        # solution's title links its exercise by a plain reference, written as it is
        for node in list(self.document.findall(addnodes.number_reference)):
            if node.get("refid") or isinstance(node, exercise_latex_number_reference):
                continue
            label = node.get("refuri", "").rpartition("#")[2]
            target = registry.get(label, {}).get("node")
            if not isinstance(target, exercise_enumerable_node):
                continue
            new = exercise_latex_number_reference()
            new.attributes = dict(node.attributes)
            new["refid"] = label
            for child in node.children:
                new += child.deepcopy()
            # its page, as the PDF gives for every reference to another page
            page = nodes.raw("", f" (\\autopageref*{{exercise:{label}}})", format="latex")
            node.replace_self([new, page])


# --- the book's TeX macros, defined once -----------------------------------------------
# ``mathjax3_config.tex.macros`` in ``_config.yml`` is the one list (the site, the slides
# and the notebook downloads read it). The PDF's definitions and bookmark texts are made
# from it here; only a macro whose MathJax body LaTeX cannot typeset has its own body.
LATEX_BODY = {
    # amssymb's blackboard bold has no digit one (it prints a different symbol): the
    # double-struck one of the text font (FreeSerif has U+1D7D9)
    "indicator": '\\text{\\char"1D7D9}',
}


# a macro with arguments in a bookmark: its plain text (#1, #2 are the arguments)
PLAIN_WITH_ARGS = {"KL": "KL(#1||#2)"}


def _macro_list(macros: dict) -> dict[str, tuple[str, int]]:
    """``{name: (body, number of arguments)}`` from MathJax's macro configuration."""
    out = {}
    for name, value in macros.items():
        body, nargs = (value[0], int(value[1])) if isinstance(value, (list, tuple)) else (value, 0)
        out[name] = (body, nargs)
    return out


def _macro_bookmark_text(macros: dict) -> dict[str, str]:
    """Each zero-argument macro's plain text (for bookmarks): its body, read as a formula."""
    return {name: _plain(body) for name, (body, nargs) in _macro_list(macros).items() if nargs == 0}


def latex_macro_definitions(macros: dict) -> str:
    """LaTeX definitions of the book's macros, and their plain forms in PDF bookmarks.

    A zero-argument macro is wrapped in an extra group, so that ``p_\\btheta`` works in
    LaTeX as in MathJax (a subscript takes one token), except an operator
    (``\\operatorname``), whose group would move its limits beside it.
    """
    lines, plain = [], []
    for name, (body, nargs) in _macro_list(macros).items():
        body = LATEX_BODY.get(name, body)
        if nargs:
            lines.append(f"\\newcommand{{\\{name}}}[{nargs}]{{{body}}}")
            if name in PLAIN_WITH_ARGS:
                params = "".join(f"#{i + 1}" for i in range(nargs))
                plain.append(f"\\def\\{name}{params}{{{PLAIN_WITH_ARGS[name]}}}")
        elif body.startswith("\\operatorname"):
            lines.append(f"\\newcommand{{\\{name}}}{{{body}}}")
        else:
            lines.append(f"\\newcommand{{\\{name}}}{{{{{body}}}}}")
        if not nargs:
            text = _plain(macros[name] if isinstance(macros[name], str) else macros[name][0])
            if not text.isascii():  # a Greek letter: its name (hyperref's strings stay ASCII)
                text = re.findall(r"\\([A-Za-z]+)", macros[name])[-1]
            plain.append(f"\\def\\{name}{{{text}}}")
    return ("% The book's macros: generated from mathjax3_config in _config.yml (_ext/latex_book.py).\n"
            + "\n".join(lines) + "\n"
            "% PDF bookmarks are plain text: math macros in headings degrade to letters.\n"
            "\\AtBeginDocument{\\pdfstringdefDisableCommands{%\n"
            "  \\def\\boldsymbol#1{#1}\\def\\mathbf#1{#1}\\def\\mathbb#1{#1}\\def\\mathcal#1{#1}%\n"
            + "".join(f"  {d}%\n" for d in plain) + "}}\n")


def _define_macros(app, config) -> None:
    macros = (config.mathjax3_config or {}).get("tex", {}).get("macros", {})
    BOOKMARK_TEXT.update(_macro_bookmark_text(macros))
    elements = dict(config.latex_elements or {})
    elements["preamble"] = elements.get("preamble", "") + "\n" + latex_macro_definitions(macros)
    config.latex_elements = elements


def setup(app):
    app.connect("config-inited", _define_macros)
    app.add_post_transform(CrossPageExerciseReferences)
    app.connect("doctree-resolved", _drop_hidden_code)
    app.connect("build-finished", _rewrite_latex)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
