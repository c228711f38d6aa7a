"""Sphinx extension: a checking cell says which result it checks, as a link.

Every theorem, proposition and lemma has a code cell that opens with
``# checks: <label>`` and asserts (``tools/claims.py`` enforces it). The label is
for the tests; a reader expects "Checks Proposition 4.2" and a link to it. On the
site and in the PDF the comment line is taken out of the displayed code and the cell
is preceded by that line, a ``{prf:ref}`` that Sphinx resolves (so a label that does
not exist fails the ``-n -W`` build). A note after the labels, "(one step)", is kept.
The notebooks themselves keep the comment (the tests read it).
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms import SphinxTransform

CHECKS = re.compile(r"^\s*#\s*checks:\s*(?P<labels>[A-Za-z0-9_:-]+(?:\s*,\s*[A-Za-z0-9_:-]+)*)"
                    r"\s*(?P<note>\(.*\))?\s*$")


def checks_lines(code: str) -> tuple[list[tuple[list[str], str]], str]:
    """The ``# checks:`` lines of a cell as ``([labels], note)``, and the code without them."""
    found, keep = [], []
    for line in code.splitlines():
        match = CHECKS.match(line)
        if match:
            labels = [x.strip() for x in match.group("labels").split(",") if x.strip()]
            found.append((labels, (match.group("note") or "").strip()))
        else:
            keep.append(line)
    return found, "\n".join(keep)


class ChecksLinks(SphinxTransform):
    default_priority = 800

    def apply(self):
        for block in list(self.document.findall(nodes.literal_block)):
            cell_input = block.parent
            if not (isinstance(cell_input, nodes.container)
                    and "cell_input" in cell_input.get("classes", [])):
                continue
            found, code = checks_lines(block.astext())
            if not found:
                continue
            block.children = [nodes.Text(code)]
            block.rawsource = code
            para = nodes.paragraph(classes=["mlhw-checks"])
            para += nodes.Text("Checks ")
            for i, (labels, note) in enumerate(found):
                if i:
                    para += nodes.Text("; ")
                for j, label in enumerate(labels):
                    if j:
                        para += nodes.Text(" and " if j == len(labels) - 1 else ", ")
                    ref = addnodes.pending_xref(
                        "", nodes.inline(label, label), refdomain="prf", reftype="ref",
                        reftarget=label, refexplicit=False, refwarn=True,
                        refdoc=self.env.docname)
                    para += ref
                if note:
                    para += nodes.Text(" " + note)
            para += nodes.Text(":")
            cell = cell_input.parent
            cell.parent.insert(cell.parent.index(cell), para)


def setup(app):
    app.add_transform(ChecksLinks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
