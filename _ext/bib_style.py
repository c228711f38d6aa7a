"""Sphinx extension: author-year citations in round brackets.

``{cite:p}`key``` renders as "(Hochreiter and Schmidhuber, 1997)" and
``{cite:t}`key``` as "Hochreiter and Schmidhuber (1997)", the usual author-year
form; ``_config.yml`` selects the style with
``bibtex_reference_style: author_year_round``. The bibliography itself is
sorted by author and shows no numbers (CSS in ``static/mlhw-site.css``, the
LaTeX list in ``_config.yml``'s preamble).
"""

from __future__ import annotations

import dataclasses

import sphinxcontrib.bibtex.plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle


def _round() -> BracketStyle:
    return BracketStyle(left="(", right=")")


@dataclasses.dataclass
class RoundAuthorYearReferenceStyle(AuthorYearReferenceStyle):
    bracket_parenthetical: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_textual: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_author: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_label: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_year: BracketStyle = dataclasses.field(default_factory=_round)


sphinxcontrib.bibtex.plugin.register_plugin(
    "sphinxcontrib.bibtex.style.referencing", "author_year_round",
    RoundAuthorYearReferenceStyle)


def setup(app):
    return {"parallel_read_safe": True, "parallel_write_safe": True}
