"""Static checks that tie the book's claims to cells (the rules of README, "What the tests cover").

Each function takes a notebook (the parsed ``.ipynb`` JSON) and returns a list of
problems (empty when the notebook follows the rule). ``tests/test_checked_claims.py``
runs them over every notebook and also on deliberately broken copies, so that each
rule is shown to fail when it should.

* :func:`undeclared_numbers` — **numbers in prose come from cells**: a number typed
  in a markdown cell must be glued (``{glue:text}`key```), be in math, or be a
  declared constant of the notebook (``metadata.mlhw.prose_constants``).
* :func:`solution_problems` — **solutions run**: solution code lives in code cells
  between ``{solution-start}`` and ``{solution-end}`` and asserts what it claims.
* :func:`unchecked_results` — **every result has a check**: each theorem,
  proposition, lemma and corollary has a code cell with ``# checks: <label>`` and
  an ``assert``.
* :func:`experiment_problems` — **comparisons over seeds**: a cell tagged
  ``experiment`` reports ``<N> seeds`` with N >= 5.
* :func:`running_time_problems` — **measured running times**: the "Running this
  chapter" note glues ``running_time``; a code cell calls ``glue_running_time``.
"""

from __future__ import annotations

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


def declared_constants(nb: dict) -> list[str]:
    return [str(c) for c in nb.get("metadata", {}).get("mlhw", {}).get("prose_constants", [])]


# --- 1. numbers in prose ----------------------------------------------------------

_FENCE_OPEN = re.compile(r"^(\s*)(`{3,}|~{3,}|:{3,})\s*(\{[^}]*\})?\s*(.*)$")
_CODE_DIRECTIVES = {"{code-cell}", "{code-block}", "{code}", "{math}", "{glue:math}",
                    "{raw}", "{literalinclude}", "{mermaid}", "{image}", "{figure}"}
_ROLE = re.compile(r"\{[A-Za-z0-9_:+-]+\}`[^`]*`")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.DOTALL)
_ENV_MATH = re.compile(r"\\begin\{([A-Za-z*]+)\}.*?\\end\{\1\}", re.DOTALL)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)(?:[^$\n]|\n(?!\s*\n))+?(?<![\\])\$")
_TARGET = re.compile(r"^\s*\([^)\s]+\)=\s*$", re.MULTILINE)
_OPTION = re.compile(r"^\s*:[A-Za-z_-]+:.*$", re.MULTILINE)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_LINK_URL = re.compile(r"\]\([^)]*\)")
_BARE_URL = re.compile(r"<?https?://\S+>?")
_LIST_MARKER = re.compile(r"^(\s*)\d+[.)](?=\s)", re.MULTILINE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:[eE][-−+]?\d+)?")
_REFERENCE_WORD = re.compile(
    r"(§|\bch\.|\bChapter|\bSection|\bsec\.|\beqs?\.|\bEqs?\.|\bequations?|\bAlgorithm|"
    r"\bLemma|\bTheorem|\bProposition|\bCorollary|\bDefinition|\bFigure|\bFig\.|\bTable|"
    r"\bpp?\.|\blines?|\b[Qq]uestions?|\b[Pp]roblems?|\b[Pp]arts?|\bQ)\s*\(?$")


def _strip_code_fences(text: str) -> str:
    """Remove code blocks and math blocks; keep the prose inside other directives."""
    out, stack = [], []  # stack of (fence, drop?)
    for line in text.splitlines():
        if stack and line.strip() == stack[-1][0]:
            stack.pop()
            continue
        opened = _FENCE_OPEN.match(line)
        if opened and (opened.group(3) or opened.group(2)[0] in "`~"):
            fence, name, arg = opened.group(2), opened.group(3), opened.group(4)
            if name is None and fence[0] == ":":
                out.append(line)
                continue
            drop = bool(name is None or name in _CODE_DIRECTIVES or (stack and stack[-1][1]))
            stack.append((fence, drop))
            if not drop:
                out.append(arg)  # a directive's title is prose
            continue
        if stack and stack[-1][1]:
            continue
        out.append(line)
    return "\n".join(out)


def prose_text(markdown: str) -> str:
    """The prose of a markdown cell: math, code, roles, targets, options and URLs removed."""
    text = _HTML_COMMENT.sub(" ", markdown)
    text = _strip_code_fences(text)
    text = _DISPLAY_MATH.sub(" ", text)
    text = _ENV_MATH.sub(" ", text)
    text = _ROLE.sub(" ", text)
    text = _INLINE_CODE.sub(" ", text)
    text = _INLINE_MATH.sub(" ", text)
    text = _TARGET.sub(" ", text)
    text = _OPTION.sub(" ", text)
    text = _LINK_URL.sub("]", text)
    text = _BARE_URL.sub(" ", text)
    text = _LIST_MARKER.sub(r"\1", text)
    return text


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

_SOLUTION_OPEN = re.compile(r"^(`{3,}|:{3,})\{solution\}", re.MULTILINE)
_GATED_START = re.compile(r"^(`{3,}|:{3,})\{solution-start\}\s*(\S*)", re.MULTILINE)
_GATED_END = re.compile(r"^(`{3,}|:{3,})\{solution-end\}", re.MULTILINE)
_CODE_IN_MARKDOWN = re.compile(r"^\s*(`{3,}|~{3,})\s*(python|py|ipython3?|\{code-cell\})",
                               re.MULTILINE)


def _solution_blocks(markdown: str) -> list[str]:
    """Bodies of ``{solution}`` directives (nested fences handled by length)."""
    blocks = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^(`{3,}|:{3,})\{solution\}", lines[i])
        if not m:
            i += 1
            continue
        fence = m.group(1)
        body = []
        i += 1
        while i < len(lines) and lines[i].strip() != fence:
            body.append(lines[i])
            i += 1
        blocks.append("\n".join(body))
        i += 1
    return blocks


def solution_problems(nb: dict) -> list[str]:
    problems = []
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
                has_assert = has_assert or bool(re.search(r"^\s*assert\b", src, re.MULTILINE))
            continue
        if cell["cell_type"] != "markdown":
            continue
        for block in _solution_blocks(src):
            if _CODE_IN_MARKDOWN.search(block):
                problems.append(f"cell {i}: a {{solution}} block contains a code fence; "
                                "put the code in cells of a gated solution")
        starts = _GATED_START.findall(src)
        ends = _GATED_END.findall(src)
        if starts and ends:
            problems.append(f"cell {i}: solution-start and solution-end in one cell")
        if starts:
            if inside is not None:
                problems.append(f"cell {i}: solution-start inside the open solution {inside}")
            inside, has_assert, code_cells = starts[0][1] or f"cell {i}", False, 0
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
    text = "\n".join(_source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    return len(_SOLUTION_OPEN.findall(text)) + len(_GATED_START.findall(text))


# --- 3. results and their checks ------------------------------------------------

_RESULT = re.compile(r"^(`{3,}|:{3,})\{(" + "|".join(RESULT_KINDS) + r")\}[^\n]*\n((?:\s*:[^\n]*\n)*)",
                     re.MULTILINE)
_CHECKS = re.compile(r"#\s*checks:\s*([^\n]+)")


def results(nb: dict) -> list[tuple[int, str, str | None]]:
    """``(cell index, kind, label or None)`` of every theorem-like block."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        for m in _RESULT.finditer(_source(cell)):
            label = re.search(r":label:\s*(\S+)", m.group(3))
            found.append((i, m.group(2), label.group(1) if label else None))
    return found


def checked_labels(nb: dict) -> set[str]:
    """Labels named by ``# checks:`` comments in executed code cells that assert."""
    labels = set()
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or cell.get("execution_count") is None:
            continue
        src = _source(cell)
        if not re.search(r"^\s*assert\b|\bcheck_close\(", src, re.MULTILINE):
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
