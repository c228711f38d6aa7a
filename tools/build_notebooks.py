"""Clean notebooks for download: every chapter as a notebook that plain Jupyter renders.

Usage::

    python tools/build_notebooks.py --html _build/html --wheel dist/mlhwlib-X-py3-none-any.whl \\
        [--student] [--baseurl URL] book/*.ipynb

For every chapter or appendix with code (``book/<stem>.ipynb``) it writes
``HTML/notebooks/<stem>.ipynb``, and it writes the bundle ``HTML/mlhw-notebooks.zip``
(``mlhw-notebooks/``: ``notebooks/*.ipynb``, the ``mlhwlib`` wheel, a
``requirements.txt`` with ranges and JupyterLab, no PyTorch, and a ``README.md``
with the three commands) and a copy of the wheel at the site's root.

A downloaded notebook needs neither the repository nor the book's build tools:

* the markdown is parsed with MyST's own parser (markdown-it-py and
  mdit-py-plugins, as the slide builder does, :mod:`myst_to_slides`) and written
  back as plain Markdown: theorems, proofs, exercises, solutions and admonitions
  become block quotes with a bold title numbered as on the site; cross-references
  and citations become their text ("Theorem 3", "(Bishop, 2006)") linked to the
  page on the site; glued values are written in; MyST targets and comments
  disappear; a ``literalinclude`` becomes the code it shows;
* the book's TeX macros (``mathjax3_config`` in ``_config.yml``) are expanded in
  every formula, so JupyterLab, VS Code, Colab and GitHub render them;
* a display formula inside a block quote is written on one line (a renderer
  takes the ``>`` of a continued line into the formula otherwise);
* code cells are unchanged (they call :func:`mlhwlib.book.glue`, which works
  without myst-nb); glue records are dropped from the outputs (their values are
  in the prose), every other committed output is kept, so a student sees the
  results before running anything; a figure's caption follows it as a
  markdown cell; cells hidden on the site (``hide-input``) are collapsed;
* the student edition (``--student``) leaves out every solution: ``{solution}``
  blocks and everything between ``{solution-start}`` and ``{solution-end}``,
  code cells included.

Links point to the site: relative to ``notebooks/`` (so they resolve on the
published site) unless ``--baseurl`` (or ``html_baseurl`` in ``_config.yml``)
gives the site's address, which makes them absolute.
"""

from __future__ import annotations

import argparse
import copy
import functools
import re
import sys
import zipfile
from pathlib import Path

import nbformat
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
from build_slides import glue_values
from checks_links import CHECKS
from myst_to_slides import (
    KINDS,
    Context,
    _included,
    _parser,
    _split_options,
    chapter_title,
    citations,
    local_labels,
    outside_solutions,
    site_references,
)

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = "mlhw-notebooks"  # the zip's name on each site; its top folder names the edition
LICENCE = ("Text and figures: CC BY-SA 4.0 (`LICENSE-text.md`); code: MIT (`LICENSE`), "
           "© the mlhw-book authors.")


def bundle_folder(student: bool) -> str:
    """The zip's top folder: the two editions unpack side by side."""
    return f"{BUNDLE}-student" if student else BUNDLE
DROP = {"toctree", "bibliography", "tableofcontents", "glossary", "include", "code-cell",
        "raw", "only", "solution-end"}


class ConversionError(RuntimeError):
    """A construct the converter cannot write as plain Markdown (the build fails)."""


# --- TeX macros ----------------------------------------------------------------------

def book_macros() -> dict[str, tuple[str, int]]:
    """``name -> (body, number of arguments)`` from the MathJax configuration."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    macros = config["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
    return {name: (value, 0) if isinstance(value, str) else (value[0], int(value[1]))
            for name, value in macros.items()}


def _tex_argument(tex: str, i: int) -> tuple[str, int]:
    """The argument of a macro starting at ``tex[i]``: a braced group or one token."""
    while i < len(tex) and tex[i] in " \t\n":
        i += 1
    if i >= len(tex):
        raise ConversionError(f"a macro argument is missing at the end of {tex!r}")
    if tex[i] == "{":
        depth, j = 0, i
        while j < len(tex):
            if tex[j] == "\\":
                j += 2
                continue
            depth += {"{": 1, "}": -1}.get(tex[j], 0)
            if depth == 0:
                return tex[i + 1:j], j + 1
            j += 1
        raise ConversionError(f"unbalanced braces in {tex!r}")
    if tex[i] == "\\":
        m = re.compile(r"\\(?:[A-Za-z]+|.)").match(tex, i)
        return m.group(0), m.end()
    return tex[i], i + 1


def expand_macros(tex: str, macros: dict[str, tuple[str, int]]) -> str:
    """``tex`` with the book's macros replaced by their definitions (recursively).

    TeX is scanned token by token (``\\\\`` is a control symbol, not the start of
    a macro name). A macro that stands as a sub- or superscript (``p_\\btheta``) is
    expanded inside braces, as TeX would take it as one token.
    """
    out: list[str] = []
    i = 0
    while i < len(tex):
        ch = tex[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        m = re.compile(r"\\([A-Za-z]+)").match(tex, i)
        if not m:  # a control symbol such as \\ or \{
            out.append(tex[i:i + 2])
            i += 2
            continue
        name, i = m.group(1), m.end()
        if name not in macros:
            out.append(m.group(0))
            continue
        body, nargs = macros[name]
        for k in range(1, nargs + 1):
            arg, i = _tex_argument(tex, i)
            body = body.replace(f"#{k}", arg)
        body = expand_macros(body, macros)
        # As the PDF's preamble defines them: a macro is one group, so that p_\btheta
        # or \hat\btheta take all of it; an operator (\operatorname...) stays bare,
        # keeping its spacing and limits, unless a script or a command takes it.
        before = "".join(out).rstrip()
        taken = before.endswith(("_", "^")) or re.search(r"\\[A-Za-z]+$", before)
        operator = body.startswith("\\operatorname")
        out.append("{" + body + "}" if taken or not operator else body)
    return "".join(out)


# --- references -----------------------------------------------------------------------

_ANCHOR = re.compile(r'\sid="([^"]+)"')


@functools.cache
def site_anchors(html_dir: str) -> dict[str, str]:
    """``anchor -> page stem`` for every element id of the site's chapter pages."""
    out: dict[str, str] = {}
    for page in sorted(Path(html_dir).glob("book/*.html")):
        for anchor in _ANCHOR.findall(page.read_text(encoding="utf-8")):
            out.setdefault(anchor, page.stem)
    return out


class Converter:
    """Plain Markdown for one chapter's MyST markdown."""

    def __init__(self, ctx: Context, base: str, student: bool):
        self.ctx = ctx
        self.base = base  # the site's root as seen from the notebook, ending in "/"
        self.student = student
        self.macros = book_macros()
        self.anchors = site_anchors(ctx.html_dir)
        self.refs = site_references(ctx.html_dir)

    # -- links
    def page(self, stem: str, anchor: str = "") -> str:
        return f"{self.base}book/{stem}.html" + (f"#{anchor}" if anchor else "")

    def anchor_href(self, target: str, role: str) -> str:
        keys = [target, target.lower(), target.replace("_", "-").lower()]
        if role == "eq":
            keys = [f"equation-{k}" for k in keys]
        for key in keys:
            if key in self.anchors:
                return self.page(self.anchors[key], key)
        raise ConversionError(f"{{{role}}}`{target}`: no element with this id on the site")

    def tex(self, tex: str) -> str:
        return expand_macros(tex, self.macros)

    # -- inline
    def role(self, name: str, content: str) -> str:
        explicit = re.match(r"^(.*?)\s*<([^>]+)>$", content, re.DOTALL)
        text, target = (explicit.group(1), explicit.group(2)) if explicit else (None, content)
        if name.startswith("cite"):
            bib = self.page("bibliography")
            found = []
            for key in (k.strip() for k in target.split(",") if k.strip()):
                if key not in citations():
                    raise ConversionError(f"{{{name}}}`{target}`: unknown citation {key!r}")
                found.append(citations()[key])
            if name in ("cite:t", "cite:ts"):
                return "; ".join(f"[{a} ({y})]({bib})" for a, y in found)
            return "(" + "; ".join(f"[{a}, {y}]({bib})" for a, y in found) + ")"
        if name == "math":
            return f"${self.tex(content)}$"
        if name in ("glue:text", "glue", "glue:md"):
            key, _, spec = target.partition(":")
            if key not in self.ctx.glue:
                raise ConversionError(f"{{{name}}}`{target}`: nothing glued under {key!r}")
            value = self.ctx.glue[key]
            if spec:
                value = format(float(value), spec)
            return self.inline(value) if name == "glue:md" else value
        if name == "doc":
            stem = target.rsplit("/", 1)[-1].removesuffix(".md").removesuffix(".ipynb")
            title = chapter_title(stem)
            if not title:
                raise ConversionError(f"{{doc}}`{target}`: no such page")
            return f"[{self.inline(text) if text else '*' + title + '*'}]({self.page(stem)})"
        if name in ("ref", "numref", "prf:ref", "eq"):
            resolved = self.ctx.ref(name, target)
            if resolved == "??":
                raise ConversionError(f"{{{name}}}`{target}`: not resolved on the site")
            href = self.anchor_href(target, name)
            if text is not None and "%s" in text:
                number = re.search(r"[\dA-Z]+(?:\.\d+)*\s*$", resolved)
                label = self.inline(text.replace("%s", number.group(0).strip()
                                                 if number else resolved))
            elif text is not None:
                label = self.inline(text)
            else:
                # a section's title (not "Theorem 3", "(4)") reads as a title
                plain = not re.match(r"^\(?[A-Z][a-z]*\.? ?[\dA-Z]+(\.\d+)*\)?$|^\(", resolved)
                label = f"*{resolved}*" if name == "ref" and plain else resolved
            return f"[{label}]({href})"
        if name.startswith("py:"):  # {py:func}`name <mlhwlib.mod.name>`: its entry in the API
            return f"[`{text if text is not None else target}`]({self.anchor_href(target, name)})"
        if name in ("term", "abbr", "dfn", "index"):
            return re.sub(r"\s*\(.*\)$", "", text if text is not None else target)
        if name in ("code", "samp", "file", "command", "program", "kbd"):
            return f"`{target}`"
        if name in ("sub", "sup"):
            return f"<{name}>{target}</{name}>"
        if name in ("strong", "emphasis"):
            mark = "**" if name == "strong" else "*"
            return f"{mark}{target}{mark}"
        raise ConversionError(f"role {{{name}}} is not supported by the notebook converter")

    def inline(self, text: str) -> str:
        """One line of MyST inline markup as plain Markdown."""
        return self.rewrite(text, [t for t in _parser().parse(text, {}) if t.type == "inline"])

    def rewrite(self, src: str, inlines) -> str:
        """``src`` with every role and formula of the ``inlines`` tokens rewritten
        (inline tokens, and display formulas nested in a list item).

        The tokens come from parsing ``src``, in order of appearance; each is found
        in the source from a moving cursor (continuation lines of a list item or a
        block quote may carry indentation or ``>`` that the token's content lacks).
        """
        out, cursor = [], 0

        def find(pieces: list[str]) -> re.Match:
            pattern = r"\n[ \t>]*".join(re.escape(p) for p in pieces)
            m = re.compile(pattern).search(src, cursor)
            if m is None:
                raise ConversionError(f"cannot locate {''.join(pieces)!r} in {src!r}")
            return m

        for tok in inlines:
            if tok.type in ("math_block", "math_block_label", "amsmath"):
                # a display formula inside a list item: its lines keep their indentation
                m = find(tok.content.strip("\n").split("\n"))
                out.append(src[cursor:m.start()])
                out.append(self.tex(m.group(0)))
                cursor = m.end()
                continue
            for child in tok.children or []:
                if child.type == "code_inline":
                    m = find([child.markup])
                    end = src.find(child.markup, m.end())
                    out.append(src[cursor:end + len(child.markup)])
                    cursor = end + len(child.markup)
                elif child.type in ("math_inline", "math_inline_double"):
                    delim = "$" if child.type == "math_inline" else "$$"
                    m = find((delim + child.content + delim).split("\n"))
                    out.append(src[cursor:m.start()])
                    out.append(delim + self.tex(child.content) + delim)
                    cursor = m.end()
                elif child.type == "myst_role":
                    name = child.meta.get("name", "")
                    m = re.compile(r"\{" + re.escape(name) + r"\}(`+)").search(src, cursor)
                    if m is None:
                        raise ConversionError(f"cannot locate role {name!r} in {src!r}")
                    ticks = m.group(1)
                    end = src.find(ticks, m.end())
                    out.append(src[cursor:m.start()])
                    out.append(self.role(name, child.content))
                    cursor = end + len(ticks)
        out.append(src[cursor:])
        return "".join(out)

    # -- blocks
    def markdown(self, text: str, *, one_line_math: bool = False) -> str:
        """A markdown cell (or a directive's body) as plain Markdown."""
        tokens = _parser().parse(text, {})
        lines = text.split("\n")
        out: list[str] = []
        pos = 0
        k = 0
        while k < len(tokens):
            tok = tokens[k]
            # the top-level block starting at tok: up to its matching close
            end_k, depth = k, tok.nesting
            while depth > 0:
                end_k += 1
                depth += tokens[end_k].nesting
            block = tokens[k:end_k + 1]
            k = end_k + 1
            if tok.map is None:
                continue
            start, stop = tok.map
            if tok.type == "amsmath":  # its map can stop a line short (at the end of a cell)
                stop = start + tok.content.rstrip("\n").count("\n") + 1
            out.extend(lines[pos:start])
            pos = stop
            source = "\n".join(lines[start:stop])
            if tok.type in ("myst_target", "myst_line_comment", "front_matter",
                            "myst_block_break"):
                continue
            if tok.type in ("fence", "colon_fence"):
                # a block quote or a code fence needs blank lines around it: a directive may
                # follow another on the next line (a theorem, then its proof), and quotes on
                # adjacent lines would merge into one
                if out and out[-1].strip():
                    out.append("")
                out.append(self.directive(tok.info, tok.content, tok.markup))
                if stop < len(lines) and lines[stop].strip():
                    out.append("")
            elif tok.type in ("math_block", "math_block_label"):
                out.append(self.display_math(tok.content, one_line_math))
            elif tok.type == "amsmath":
                out.append(self.display_math(tok.content, one_line_math, wrap=False))
            elif tok.type == "html_block" and tok.content.lstrip().startswith("<!--"):
                continue
            else:
                out.append(self.rewrite(source, [t for t in block if t.type in (
                    "inline", "math_block", "math_block_label", "amsmath")]))
                nested = [t for t in block[1:] if t.type in ("fence", "colon_fence")
                          and t.info.strip().startswith("{")]
                if nested:
                    raise ConversionError(f"a directive inside a block: {nested[0].info!r}")
        out.extend(lines[pos:])
        return "\n".join(out).strip("\n")

    def display_math(self, tex: str, one_line: bool, wrap: bool = True) -> str:
        body = self.tex(tex.strip())
        if one_line:
            if re.search(r"(?<!\\)%", body):
                raise ConversionError(f"a TeX comment in a formula cannot go on one line: {tex!r}")
            body = " ".join(line.strip() for line in body.split("\n"))
            return f"$${body}$$"
        return f"$$\n{body}\n$$" if wrap else body

    def checks_comments(self, code: str) -> str:
        """``# checks: em-thm-wu`` -> ``# checks Theorem 4.5: <its address on the site>``."""
        def line(text: str) -> str:
            match = CHECKS.match(text)
            if not match:
                return text
            labels = [x.strip() for x in match.group("labels").split(",") if x.strip()]
            names = [self.number(label) or label for label in labels]
            note = f" {match.group('note')}" if match.group("note") else ""
            where = "; ".join(self.anchor_href(label, "prf:ref") for label in labels)
            return f"# checks {' and '.join(names)}{note}: {where}"
        return "\n".join(line(text) for text in code.split("\n"))

    def number(self, label: str) -> str:
        return self.refs.get("#number:" + label, "") if label else ""

    def quote(self, title: str, body: str) -> str:
        text = f"**{title}**" + (f"\n\n{body}" if body.strip() else "")
        return "\n".join("> " + line if line.strip() else ">" for line in text.split("\n"))

    def directive(self, info: str, body: str, markup: str = "```") -> str:
        match = re.match(r"^\{([A-Za-z0-9_:-]+)\}\s*(.*)$", info.strip())
        if not match:  # a plain code fence
            return f"{markup}{info}\n{body}{markup}"
        name, arg = match.groups()
        options, content = _split_options(body)
        if name in DROP:
            return ""
        if name == "solution" and self.student:
            return ""
        if name == "math":
            return self.display_math(content, False)
        if name in ("code-block", "code", "sourcecode"):
            return f"```{arg}\n{content.rstrip()}\n```"
        if name == "literalinclude":
            code = _included(arg, options)
            if code is None:
                raise ConversionError(f"literalinclude {arg!r}: no such file or object")
            return f"```python\n{code}\n```"
        if name in ("solution", "solution-start"):
            exercise = arg.strip()
            number = self.number(exercise) or self.ctx.ref("prf:ref", exercise)
            href = self.anchor_href(exercise, "ref")
            title = f"Solution to [{number}]({href})"
            if name == "solution-start":
                return f"**{title}**"
            return self.quote(title, self.markdown(content, one_line_math=True))
        if name in ("figure", "image"):
            raise ConversionError(f"{{{name}}} in a notebook's markdown is not supported")
        kind = KINDS.get(name, name.split(":")[-1].replace("-", " ").capitalize())
        inner = self.markdown(content, one_line_math=True)
        if name == "prf:proof":
            return self.quote("Proof.", inner + "\n\n∎")
        title = self.inline(arg) if arg else ""
        if name == "admonition":
            return self.quote(f"{title}.", inner)
        heading = self.number(options.get("label", "")) or kind
        if title:
            heading += f" ({title})"
        return self.quote(f"{heading}.", inner)


# --- notebooks ------------------------------------------------------------------------

def header_cell(title: str, page: str, student: bool, base: str) -> nbformat.NotebookNode:
    from mlhwlib import __version__

    wheel = f"mlhwlib-{__version__}-py3-none-any.whl"
    edition = " (student edition: the exercises without their solutions)" if student else ""
    if base.startswith(("http://", "https://")):
        colab = f"`%pip install {base}{wheel}` in a first cell"
    else:
        colab = (f"upload `{wheel}` from `mlhw-notebooks.zip` and run "
                 f"`%pip install {wheel}` in a first cell")
    text = (f"*ML, Worked and Checked*{edition} · [{title}]({page}) on the book's site · "
            f"`mlhwlib` {__version__}\n\n"
            "This is the page as a plain Jupyter notebook: formulas, references and the "
            "numbers the text quotes are written in as the site shows them, and the outputs "
            "are those the book was built with. Run it from the top in an environment with "
            "the book's library `mlhwlib` (the `README.md` of `mlhw-notebooks.zip`: "
            "`pip install -r requirements.txt`; in Colab, " + colab + "). PyTorch is "
            "optional: without it the cross-checks against PyTorch print one line and are "
            "skipped. " + LICENCE)
    cell = nbformat.v4.new_markdown_cell(text, metadata={"tags": ["mlhw-header"]})
    cell.id = "mlhw-header"
    return cell


def convert_notebook(path: Path, html_dir: str, base: str, student: bool):
    nb = nbformat.read(path, as_version=4)
    stem = path.stem
    markdowns = [c.source for c in nb.cells if c.cell_type == "markdown"]
    ctx = Context(stem=stem, glue=glue_values(nb), html_dir=html_dir,
                  labels=local_labels(markdowns))
    conv = Converter(ctx, base, student)
    cells = [header_cell(chapter_title(stem), conv.page(stem), student, base)]
    hidden = False
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        if "remove-cell" in tags:
            continue
        if cell.cell_type == "markdown":
            source = cell.source
            if student:
                source, hidden = outside_solutions(source, hidden)
                if not source.strip():
                    continue
            text = conv.markdown(source)
            if text.strip():
                new = nbformat.v4.new_markdown_cell(text)
                new.id = cell.id  # ids from the source: the same notebook every build
                cells.append(new)
            continue
        if student and hidden:
            continue
        if cell.cell_type != "code":
            continue
        new = copy.deepcopy(cell)
        meta = new.metadata
        figure = meta.pop("mystnb", {}).get("figure", {})
        meta.pop("slideshow", None)
        if tags & {"hide-input", "remove-input", "hide-cell"}:
            meta["jupyter"] = {**meta.get("jupyter", {}), "source_hidden": True}
        outputs = []
        for o in new.get("outputs", []):
            if o.get("metadata", {}).get("scrapbook"):
                continue  # a glue record: its value is written into the prose
            data = o.get("data", {})
            if "text/markdown" in data:
                data["text/markdown"] = conv.markdown(data["text/markdown"])
            if "text/latex" in data:
                data["text/latex"] = conv.tex(data["text/latex"])
            outputs.append(o)
        new.outputs = outputs
        new.source = conv.checks_comments(new.source)
        cells.append(new)
        if figure.get("caption"):
            number = conv.number(figure.get("name", ""))
            caption = conv.inline(figure["caption"])
            new = nbformat.v4.new_markdown_cell(f"**{number}.** {caption}" if number else caption)
            new.id = f"{cell.id}-caption"
            cells.append(new)
    out = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        # as the kernel reports it (JupyterLab rewrites what differs)
        "language_info": nb.metadata.get("language_info", {"name": "python"}),
        "mlhw": {"source": f"book/{stem}.ipynb", "edition": "student" if student else "instructor"},
    })
    nbformat.validate(out)
    return out


# --- the bundle -----------------------------------------------------------------------

def requirements_text(wheel: str) -> str:
    return (
        "# The notebooks of \"ML, Worked and Checked\": what they need to run.\n"
        "# In this folder:  python3 -m venv .venv\n"
        "#                  .venv/bin/pip install -r requirements.txt\n"
        "#                  .venv/bin/jupyter lab\n"
        "# The book's library, with its own dependencies (numpy, scipy, matplotlib, scikit-learn):\n"
        f"./{wheel}\n"
        "# JupyterLab and the Python kernel:\n"
        "jupyterlab>=4.4,<5\n"
        "# PyTorch is optional (the cross-checks against it are skipped without it):\n"
        "# see https://pytorch.org for the command that installs its CPU build.\n"
    )


def readme_text(wheel: str, student: bool, notebooks: list[str]) -> str:
    from mlhwlib import __version__

    edition = "student edition, without solutions" if student else "instructor edition, with solutions"
    listing = "\n".join(f"- `notebooks/{n}`" for n in notebooks)
    return f"""# ML, Worked and Checked: the notebooks ({edition})

Every chapter and appendix with code, as a Jupyter notebook, and the book's
library `mlhwlib` {__version__} (`{wheel}`). Nothing else is needed: the notebooks
read no file of the book's repository.

## Run them

With Python 3.10 or newer, in this folder (on Windows, `.venv\\Scripts\\` instead of `.venv/bin/`):

```bash
python3 -m venv .venv
.venv/bin/pip install -r requirements.txt
.venv/bin/jupyter lab
```

then open a notebook in `notebooks/` and run it from the top (Run → Run All Cells).
The install takes a minute or two (JupyterLab, numpy, scipy, matplotlib,
scikit-learn); each notebook runs in under a minute.

PyTorch is optional: a few cells compare the book's code with PyTorch; without
PyTorch they print one line and skip. To run them, install PyTorch's CPU build
into the same environment (see https://pytorch.org).

In Google Colab (or any Jupyter without this folder): open a notebook, upload
`{wheel}` and run `%pip install {wheel}` in a first cell.

## Contents

{listing}

## Licence

{LICENCE.replace("`", "")} The licence texts are in this folder.
"""


def _write_zip(path: Path, files: dict[str, bytes]) -> None:
    """A zip whose bytes depend only on its contents (fixed dates, sorted names)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[name])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--html", required=True, help="the built site: read for numbers, written into")
    ap.add_argument("--wheel", required=True, type=Path, help="the mlhwlib wheel to bundle")
    ap.add_argument("--student", action="store_true", help="leave every solution out")
    ap.add_argument("--baseurl", default=None,
                    help="the site's address (default: html_baseurl, or mlhw_student_baseurl "
                         "for the student edition, in _config.yml)")
    ap.add_argument("notebooks", nargs="+", type=Path)
    args = ap.parse_args(argv)
    base = args.baseurl
    if base is None:
        config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
        sphinx = config.get("sphinx", {}).get("config", {}) or {}
        base = sphinx.get("mlhw_student_baseurl" if args.student else "html_baseurl", "") or ""
    if not base:
        print("build_notebooks: the site's address is not set (html_baseurl, and "
              "mlhw_student_baseurl for the student edition, in _config.yml): the "
              "notebooks link to the site relatively, which works from the site only")
    base = base.rstrip("/") + "/" if base else "../"
    folder = bundle_folder(args.student)
    html_dir = Path(args.html)
    out_dir = html_dir / "notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {}
    names = []
    for path in args.notebooks:
        nb = convert_notebook(path, str(html_dir), base, args.student)
        text = nbformat.writes(nb) + "\n"
        (out_dir / path.name).write_text(text, encoding="utf-8")
        files[f"{folder}/notebooks/{path.name}"] = text.encode()
        names.append(path.name)
        print(f"notebook: {out_dir / path.name}")
    wheel = args.wheel.name
    files[f"{folder}/{wheel}"] = args.wheel.read_bytes()
    files[f"{folder}/requirements.txt"] = requirements_text(wheel).encode()
    files[f"{folder}/README.md"] = readme_text(wheel, args.student, names).encode()
    for licence in ("LICENSE", "LICENSE-text.md"):
        files[f"{folder}/{licence}"] = (ROOT / licence).read_bytes()
        (html_dir / licence).write_bytes((ROOT / licence).read_bytes())
    _write_zip(html_dir / f"{BUNDLE}.zip", files)
    (html_dir / wheel).write_bytes(args.wheel.read_bytes())
    print(f"bundle: {html_dir / (BUNDLE + '.zip')} ({len(names)} notebooks, {wheel})")


if __name__ == "__main__":
    main()
