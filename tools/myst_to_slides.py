"""Turn a chapter's MyST markdown into plain markdown for reveal.js slides.

nbconvert renders markdown cells with a CommonMark renderer that knows nothing of
MyST, so the slide builder rewrites, cell by cell:

* ``(label)=`` target lines: removed;
* roles: ``{cite:p}`key``` becomes "(Author, year)" from ``references.bib``;
  ``{doc}``, ``{ref}``, ``{prf:ref}``, ``{numref}``, ``{eq}`` keep their text;
* directive fences (```` ```{name} ```` and ``:::{name}``): ``solution``
  blocks are dropped (slides are shown to the class), every other block becomes a
  blockquote headed by its kind and title (Theorem, Proof, Exercise, Note, ...).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ROLE = re.compile(r"\{([a-z:]+)\}`([^`]*)`")
TARGET_LINE = re.compile(r"^\s*\([A-Za-z0-9_.:-]+\)=\s*$")
OPEN_FENCE = re.compile(r"^(\s*)(`{3,}|:{3,})\{([A-Za-z0-9_:-]+)\}\s*(.*)$")
OPTION = re.compile(r"^\s*:[A-Za-z_-]+:.*$")

KINDS = {
    "prf:theorem": "Theorem", "prf:lemma": "Lemma", "prf:proof": "Proof",
    "prf:definition": "Definition", "prf:corollary": "Corollary",
    "prf:proposition": "Proposition", "prf:remark": "Remark", "prf:example": "Example",
    "prf:algorithm": "Algorithm", "prf:property": "Property", "prf:observation": "Observation",
    "exercise": "Exercise", "note": "Note", "tip": "Tip", "warning": "Warning",
    "important": "Important", "caution": "Caution", "attention": "Attention", "hint": "Hint",
    "seealso": "See also", "admonition": "",
}


@lru_cache(maxsize=1)
def citations() -> dict[str, str]:
    """``key -> "Author et al., year"`` from references.bib (pybtex ships with Jupyter Book)."""
    from pybtex.database import parse_file

    out = {}
    for key, entry in parse_file(str(ROOT / "references.bib")).entries.items():
        people = entry.persons.get("author", [])
        last = [" ".join(p.last_names).replace("{", "").replace("}", "") for p in people]
        if len(last) > 2:
            names = f"{last[0]} et al."
        else:
            names = " & ".join(last)
        out[key] = f"{names}, {entry.fields.get('year', '')}".strip(", ")
    return out


def _role(match: re.Match) -> str:
    role, text = match.group(1), match.group(2)
    if role.startswith("cite"):
        refs = [citations().get(k.strip(), k.strip()) for k in text.split(",")]
        return "(" + "; ".join(refs) + ")"
    if role == "math":
        return f"${text}$"
    explicit = re.match(r"^(.*?)\s*<([^>]+)>$", text, re.DOTALL)
    if explicit:
        return explicit.group(1)
    if role in ("prf:ref", "ref", "numref", "eq"):
        return "(see the chapter)" if role != "eq" else f"({text})"
    return text


def convert(markdown: str) -> str:
    """Rewrite one markdown cell; see the module docstring."""
    out: list[str] = []
    stack: list[tuple[str, str]] = []  # (closing fence, mode: "quote" | "math" | "drop")
    for line in markdown.splitlines():
        dropped = any(mode == "drop" for _, mode in stack)
        if stack and line.strip() == stack[-1][0]:
            _, mode = stack.pop()
            if mode == "math":
                out.append("$$")
            elif mode == "quote" and not any(m == "drop" for _, m in stack):
                out.append("")
            continue
        opened = OPEN_FENCE.match(line)
        if opened:
            _, fence, name, arg = opened.groups()
            if dropped or name == "solution":
                stack.append((fence, "drop"))
            elif name == "math":
                stack.append((fence, "math"))
                out.append("$$")
            else:
                stack.append((fence, "quote"))
                kind = KINDS.get(name, name.split(":")[-1].capitalize())
                title = ROLE.sub(_role, arg).strip()
                heading = " — ".join(t for t in (kind, title) if t)
                out.extend([f"> **{heading}**" if heading else ">", ">"])
            continue
        if dropped or TARGET_LINE.match(line) or (stack and OPTION.match(line)):
            continue
        text = ROLE.sub(_role, line)
        quoted = any(mode == "quote" for _, mode in stack)
        out.append(f"> {text}" if quoted else text)
    return "\n".join(out).strip() + "\n"
