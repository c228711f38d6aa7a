"""Sphinx extension: a proof may open with display math, a list or a block.

sphinx-proof 0.4 writes "Proof. " in front of the first line of a ``prf:proof``
body. When that line opens a block (``$$``, ``\\begin{...}``, a list, a fence),
the block is destroyed: "Proof. $$" is read as a paragraph with stray dollar
signs (the AdaBoost loss-factor proof showed "$" in HTML and PDF). This
extension inserts two empty lines in front in that case, so that "Proof." stands as
its own paragraph and the block parses as written.
"""

from __future__ import annotations

import re

BLOCK_START = re.compile(r"^\s*(\$\$|\\begin\{|```|~~~|:::|[-*+]\s|\d+[.)]\s|>|\|)")


def setup(app):
    from sphinx_proof.directive import ProofDirective

    if getattr(ProofDirective, "_mlhw_patched", False):
        return {"parallel_read_safe": True, "parallel_write_safe": True}
    original = ProofDirective.run

    def run(self):
        if self.content and BLOCK_START.match(self.content[0]):
            source, offset = self.content.info(0)
            # "Proof. " goes on the first empty line, the second ends its paragraph
            self.content.insert(0, "", source, offset)
            self.content.insert(0, "", source, offset)
        return original(self)

    ProofDirective.run = run
    ProofDirective._mlhw_patched = True
    return {"parallel_read_safe": True, "parallel_write_safe": True}
