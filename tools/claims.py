"""Static checks that tie the book's claims to cells (the rules of README, "What the tests cover").

Each function takes a notebook (the parsed ``.ipynb`` JSON) and returns a list of
problems (empty when the notebook follows the rule). ``tests/test_checked_claims.py``
runs them over every notebook and also on deliberately broken copies, so that each
rule is shown to fail when it should. Markdown is read with the book's one MyST parser
(markdown-it-py with MyST's extensions, ``myst_to_slides._parser``, as the slides use):
directives, math, roles, code and targets are tokens, not patterns.

* :func:`undeclared_numbers` — **numbers in prose come from cells**: a number typed
  in a markdown cell must be glued (``{glue:text}`key```), be in math, or be a
  declared constant of the notebook (``metadata.mlhw.prose_constants``).
* :func:`broken_math` — **formulas stay formulas**: no TeX is left in the prose
  once the parser has taken the math out (a line starting with ``+ `` inside a
  formula makes a list item of it).
* :func:`solution_problems` — **solutions run**: solution code lives in code cells
  between ``{solution-start}`` and ``{solution-end}`` and asserts what it claims.
* :func:`unchecked_results` — **every result has a check**: each theorem,
  proposition, lemma and corollary has a code cell with ``# checks: <label>`` and
  an ``assert`` (or a call to ``check_close`` or to a function of the notebook
  that asserts).
* :func:`experiment_problems` — **comparisons over seeds**: a cell tagged
  ``experiment`` reports ``<N> seeds`` with N >= 5.
* :func:`running_time_problems` — **measured running times**: the "Running this
  chapter" note glues ``running_time``; a code cell calls ``glue_running_time``.
"""

from __future__ import annotations

import ast
import re

RESULT_KINDS = ("prf:theorem", "prf:proposition", "prf:lemma", "prf:corollary")
MIN_SEEDS = 5

# --- helpers ------------------------------------------------------------------


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _tags(cell: dict) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _output_text(cell: dict) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append("".join(out.get("text", "")))
        for mime, value in out.get("data", {}).items():
            if mime.startswith("text/"):
                parts.append("".join(value) if isinstance(value, list) else str(value))
    return "\n".join(parts)


def _parse(src: str):
    try:
        return ast.parse(src)
    except SyntaxError:  # IPython magics and the like
        return None


def _called_names(tree) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            names.add(f.id if isinstance(f, ast.Name) else getattr(f, "attr", ""))
    return names


def asserting_helpers(nb: dict) -> set[str]:
    """Functions defined in the notebook's code cells that assert (directly or through
    ``check_close`` or another such function): calling one counts as asserting."""
    defs = {}
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        tree = _parse(_source(cell))
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                direct = any(isinstance(n, ast.Assert) for n in ast.walk(node))
                defs[node.name] = (direct, _called_names(node))
    helpers = {"check_close"} | {name for name, (direct, _) in defs.items() if direct}
    changed = True
    while changed:
        changed = False
        for name, (_, calls) in defs.items():
            if name not in helpers and calls & helpers:
                helpers.add(name)
                changed = True
    return helpers


def cell_asserts(src: str, helpers: set[str]) -> bool:
    """Whether a code cell asserts: an ``assert`` statement or a call to an asserting helper."""
    tree = _parse(src)
    if tree is None:
        return bool(re.search(r"^\s*assert\b|\bcheck_close\(", src, re.MULTILINE))
    if any(isinstance(n, ast.Assert) for n in ast.walk(tree)):
        return True
    top_calls = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Call):
            f = node.func
            top_calls.add(f.id if isinstance(f, ast.Name) else getattr(f, "attr", ""))
    return bool(top_calls & helpers)


def declared_constants(nb: dict) -> list[str]:
    return [str(c) for c in nb.get("metadata", {}).get("mlhw", {}).get("prose_constants", [])]


# --- 1. numbers in prose ----------------------------------------------------------

# The one MyST parser (markdown-it-py with MyST's extensions), shared with the slide builder.
_CODE_DIRECTIVES = {"code-cell", "code-block", "code", "math", "glue:math", "eval-rst", "tabularcolumns",
                    "raw", "literalinclude", "mermaid", "image", "figure"}
_DIRECTIVE = re.compile(r"^\{([^}\s]+)\}\s*(.*)$", re.DOTALL)
_OPTION_LINES = re.compile(r"\A(?:\s*:[A-Za-z_-]+:[^\n]*\n)*")
_BARE_URL = re.compile(r"<?https?://\S+>?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:[eE][-−+]?\d+)?")
_REFERENCE_WORD = re.compile(
    r"(§|\bch\.|\bChapter|\bSection|\bsec\.|\beqs?\.|\bEqs?\.|\bequations?|\bAlgorithm|"
    r"\bLemma|\bTheorem|\bProposition|\bCorollary|\bDefinition|\bFigure|\bFig\.|\bTable|"
    r"\bpp?\.|\blines?|\b[Qq]uestions?|\b[Pp]roblems?|\b[Pp]arts?|\bQ)\s*\(?$")
# inline tokens that are not prose: a space keeps the words around them apart
_NOT_PROSE_INLINE = {"code_inline", "math_inline", "math_inline_double", "myst_role",
                     "html_inline", "substitution_inline"}


def _tokens(markdown: str):
    from myst_to_slides import _parser

    return _parser().parse(markdown)


def directive(token) -> tuple[str | None, str, str]:
    """``(name, argument, body without its option lines)`` of a fence token; name None for code."""
    match = _DIRECTIVE.match(token.info.strip())
    if not match:
        return None, token.info.strip(), token.content
    body = token.content
    options = _OPTION_LINES.match(body)
    if body.lstrip().startswith("---"):  # YAML options block
        parts = body.split("---", 2)
        body = parts[2] if len(parts) == 3 else ""
    elif options:
        body = body[options.end():]
    return match.group(1), match.group(2), body


def directives(markdown: str):
    """Every directive of a MyST text, nested ones included: ``(name, argument, raw content)``."""
    for token in _tokens(markdown):
        if token.type in ("fence", "colon_fence"):
            name, arg, body = directive(token)
            if name is None:
                continue
            yield name, arg, token.content
            if name not in _CODE_DIRECTIVES:
                yield from directives(body)


def _inline_text(children) -> str:
    parts = []
    for child in children or []:
        if child.type in ("text", "text_special"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(" " + _inline_text(child.children) + " ")
        elif child.type in _NOT_PROSE_INLINE:
            parts.append(" ")
    return "".join(parts)


def _prose_parts(markdown: str, out: list[str]) -> None:
    for token in _tokens(markdown):
        if token.type in ("fence", "colon_fence"):
            name, arg, body = directive(token)
            if name is None or name in _CODE_DIRECTIVES:
                continue                   # code, math, figures
            _prose_parts(arg, out)         # a directive's title is prose (with its math)
            _prose_parts(body, out)
        elif token.type == "inline":
            out.append(_inline_text(token.children))


def prose_text(markdown: str) -> str:
    """The prose of a markdown cell: math, code, roles, targets, options and URLs removed."""
    parts: list[str] = []
    _prose_parts(markdown, parts)
    return _BARE_URL.sub(" ", "\n".join(parts))


_LEAKED_TEX = re.compile(r"\$|\\[A-Za-z]+")


def broken_math(nb: dict) -> list[str]:
    """Problems: TeX left in the prose after the parser took out the math. A formula that
    wraps onto a line starting with ``+ ``, ``- `` or ``* `` is cut in two by a list item
    (MyST renders the rest as a bullet with raw TeX); an unbalanced ``$`` does the same."""
    problems = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        text = prose_text(_source(cell))
        for m in _LEAKED_TEX.finditer(text):
            snippet = " ".join(text[max(0, m.start() - 40):m.end() + 30].split())
            problems.append(f"cell {i}: TeX outside math ({snippet!r}): a formula broken across "
                            "a line that starts with '+', '-' or '*', or an unbalanced '$'?")
            break
    return problems


def prose_numbers(markdown: str) -> list[str]:
    """Free-standing numbers in the prose of one markdown cell that need a source.

    Exempt: digits attached to letters (``float64``, ``2-D``, ``Q6``), years
    1900–2099, the integers 0 and 1, equation tags such as ``(1)``, and numbers
    right after a reference word into another work or source (``§10.2``,
    ``eqs. 3–5``, ``Theorem 6``, ``lines 79–85``, ``question 6.4``; a range or
    list continues it).
    """
    text = prose_text(markdown)
    found = []
    prev_end, prev_exempt = -10, False
    for m in _NUMBER.finditer(text):
        start, end, token = m.start(), m.end(), m.group()
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        token = token.rstrip(".,")
        if before.isalnum() or before in "_.^\\" or after.isalnum() or after in "_^":
            continue
        if before in "-‑" and start >= 2 and text[start - 2].isalnum():
            continue                       # L-2, k-3
        if after in "-‑" and end + 1 < len(text) and text[end + 1].isalpha():
            continue                       # 2-D, 1-ulp, 3-fold
        gap = text[prev_end:start]
        if prev_exempt and len(gap) <= 3 and re.fullmatch(r"\s*[–,-]?\s*(and\s*)?", gap):
            prev_end = end
            continue                       # eqs. 3–5, §10.2, 10.7
        prev_end = end
        if _REFERENCE_WORD.search(text[max(0, start - 16):start]):
            prev_exempt = True
            continue
        prev_exempt = False
        if re.fullmatch(r"(19|20)\d\d", token) or token in ("0", "1"):
            continue                       # years; the constants 0 and 1
        if before == "(" and after == ")" and re.fullmatch(r"\d{1,2}", token):
            continue                       # an equation tag such as (1)
        found.append(token)
    return found


def undeclared_numbers(nb: dict) -> list[str]:
    """Problems: typed prose numbers that are not declared constants; unused declarations."""
    declared = set(declared_constants(nb))
    problems, used = [], set()
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        for token in prose_numbers(_source(cell)):
            if token in declared:
                used.add(token)
            else:
                snippet = _context(prose_text(_source(cell)), token)
                problems.append(f"cell {i}: typed number {token!r} ({snippet!r}) — glue it "
                                "or declare it in metadata.mlhw.prose_constants")
    for token in sorted(declared - used):
        problems.append(f"declared constant {token!r} does not appear in the prose any more")
    return problems


def _context(text: str, token: str) -> str:
    k = text.find(token)
    return " ".join(text[max(0, k - 30):k + len(token) + 30].split())


# --- 2. solutions ---------------------------------------------------------------

_CODE_IN_MARKDOWN = re.compile(r"^\s*(`{3,}|~{3,})\s*(python|py|ipython3?|\{code-cell\})",
                               re.MULTILINE)


def _solution_blocks(markdown: str) -> list[str]:
    """Bodies of ``{solution}`` directives."""
    return [content for name, _, content in directives(markdown) if name == "solution"]


def _gated(markdown: str, which: str) -> list[str]:
    """Arguments of the ``{solution-start}`` (``which="start"``) or ``-end`` directives."""
    return [arg.strip() for name, arg, _ in directives(markdown) if name == f"solution-{which}"]


def solution_problems(nb: dict) -> list[str]:
    problems = []
    helpers = asserting_helpers(nb)
    inside: str | None = None
    has_assert = False
    code_cells = 0
    for i, cell in enumerate(nb["cells"]):
        src = _source(cell)
        if cell["cell_type"] == "code":
            if "remove-cell" in _tags(cell) and "redirect_stdout" in src:
                problems.append(f"cell {i}: hidden remove-cell + redirect_stdout plumbing; "
                                "use a gated solution")
            if inside is not None:
                code_cells += 1
                has_assert = has_assert or cell_asserts(src, helpers)
            continue
        if cell["cell_type"] != "markdown":
            continue
        for block in _solution_blocks(src):
            if _CODE_IN_MARKDOWN.search(block):
                problems.append(f"cell {i}: a {{solution}} block contains a code fence; "
                                "put the code in cells of a gated solution")
        starts = _gated(src, "start")
        ends = _gated(src, "end")
        if starts and ends:
            problems.append(f"cell {i}: solution-start and solution-end in one cell")
        if starts:
            if inside is not None:
                problems.append(f"cell {i}: solution-start inside the open solution {inside}")
            inside, has_assert, code_cells = starts[0] or f"cell {i}", False, 0
        if ends:
            if inside is None:
                problems.append(f"cell {i}: solution-end without solution-start")
            elif code_cells and not has_assert:
                problems.append(f"solution {inside}: its code cells assert nothing")
            elif not code_cells:
                problems.append(f"solution {inside}: gated but has no code cell "
                                "(use a plain {solution} block)")
            inside = None
    if inside is not None:
        problems.append(f"solution {inside}: solution-start without solution-end")
    return problems


def count_solutions(nb: dict) -> int:
    return sum(1 for c in nb["cells"] if c["cell_type"] == "markdown"
               for name, _, _ in directives(_source(c)) if name in ("solution", "solution-start"))


# --- 3. results and their checks ------------------------------------------------

_CHECKS = re.compile(r"#\s*checks:\s*([^\n]+)")


def results(nb: dict) -> list[tuple[int, str, str | None]]:
    """``(cell index, kind, label or None)`` of every theorem-like block."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        for name, _, content in directives(_source(cell)):
            if name in RESULT_KINDS:
                options = _OPTION_LINES.match(content).group(0)
                label = re.search(r":label:\s*(\S+)", options)
                found.append((i, name, label.group(1) if label else None))
    return found


def checked_labels(nb: dict) -> set[str]:
    """Labels named by ``# checks:`` comments in executed code cells that assert."""
    labels = set()
    helpers = asserting_helpers(nb)
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or cell.get("execution_count") is None:
            continue
        src = _source(cell)
        if not cell_asserts(src, helpers):
            continue
        for m in _CHECKS.finditer(src):
            labels.update(x.strip() for x in re.split(r"[,\s]+", m.group(1)) if x.strip())
    return labels


def unchecked_results(nb: dict) -> list[str]:
    checked = checked_labels(nb)
    problems = []
    for i, kind, label in results(nb):
        if label is None:
            problems.append(f"cell {i}: a {kind} without :label:")
        elif label not in checked:
            problems.append(f"cell {i}: {kind} {label} has no executed cell with "
                            f"'# checks: {label}' and an assert")
    return problems


# --- 4. experiments over seeds --------------------------------------------------

_SEEDS = re.compile(r"\b(\d+)\s+(?:random\s+)?seeds\b")


def experiment_problems(nb: dict) -> list[str]:
    problems = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or "experiment" not in _tags(cell):
            continue
        counts = [int(n) for n in _SEEDS.findall(_output_text(cell))]
        if not counts:
            problems.append(f"cell {i}: tagged 'experiment' but its output does not say "
                            "over how many seeds ('<N> seeds')")
        elif min(counts) < MIN_SEEDS:
            problems.append(f"cell {i}: experiment over {min(counts)} seeds "
                            f"(at least {MIN_SEEDS})")
    return problems


# --- 5. running time ------------------------------------------------------------


def running_time_problems(nb: dict, stem: str) -> list[str]:
    cells = nb["cells"]
    first = _source(cells[0]) if cells else ""
    problems = []
    if "{glue:text}`running_time`" not in first and "{glue}`running_time`" not in first:
        problems.append("the first cell's running note does not glue `running_time`")
    calls = [_source(c) for c in cells if c["cell_type"] == "code"
             and re.search(r"glue_running_time\(\s*['\"]" + re.escape(stem) + r"['\"]", _source(c))]
    if not calls:
        problems.append(f"no code cell calls glue_running_time({stem!r})")
    return problems
