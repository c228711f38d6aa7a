"""Sphinx extension: author-year citations and an author-year bibliography.

``{cite:p}`key``` renders as "(Hochreiter and Schmidhuber, 1997)" and
``{cite:t}`key``` as "Hochreiter and Schmidhuber (1997)", the usual author-year
form; ``_config.yml`` selects the style with
``bibtex_reference_style: author_year_round``.

The bibliography (``bibtex_default_style: authoryear``) lists each entry as
"Hochreiter, S. and Schmidhuber, J. (1997). Long short-term memory. *Neural
Computation*, ...": authors last name first, the year right after them, sorted by
author and year, labelled by author and year (the labels are not shown: CSS in
``static/mlhw-site.css``, the LaTeX list in ``_config.yml``'s preamble). pybtex
ships numeric and alphabetic styles only; this one follows its ``unsrt`` templates
for the entry types of ``references.bib`` with the date moved to the front.
"""

from __future__ import annotations

import dataclasses

import pybtex.plugin
import sphinxcontrib.bibtex.plugin
from pybtex.style.formatting import toplevel
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.formatting.unsrt import pages
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.template import field, first_of, join, names, optional, optional_field, sentence, tag, words
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle


def _round() -> BracketStyle:
    """(Bishop, 2006; Dempster et al., 1977): citations separated by semicolons."""
    return BracketStyle(left="(", right=")", sep="; ", sep2="; ", last_sep="; ")


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


class AuthorYearLabels(BaseLabelStyle):
    """Labels "Hochreiter and Schmidhuber, 1997" (cf. the citations)."""

    def format_labels(self, sorted_entries):
        labels = []
        for entry in sorted_entries:
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            last = ["".join(p.last_names) for p in people]
            who = (f"{last[0]} et al." if len(last) > 2 else " and ".join(last)) or entry.key
            labels.append(f"{who}, {entry.fields.get('year', 'n.d.')}")
        # the same authors in the same year: 1997a, 1997b
        for label in set(labels):
            same = [i for i, other in enumerate(labels) if other == label]
            if len(same) > 1:
                for letter, i in zip("abcdefghijklmnopqrstuvwxyz", same):
                    labels[i] = label + letter
        yield from labels


class AuthorYearStyle(UnsrtStyle):
    """Author (year). Title. Venue."""

    default_name_style = "lastfirst"
    default_label_style = "mlhw_authoryear"
    default_sorting_style = "author_year_title"

    def __init__(self, **kwargs):
        kwargs.setdefault("abbreviate_names", True)
        super().__init__(**kwargs)

    def _head(self, role="author"):
        return sentence[join[names(role, sep=", ", sep2=" and ", last_sep=", and "),
                             " (", field("year"), ")"]]

    def get_article_template(self, e):
        volume_and_pages = first_of[
            optional[join[field("volume"), optional["(", field("number"), ")"], ":", pages]],
            words["pages", pages],
        ]
        return toplevel[
            self._head(), self.format_title(e, "title"),
            sentence[tag("em")[field("journal")], optional[volume_and_pages]],
            sentence[optional_field("note")], self.format_web_refs(e),
        ]

    def get_book_template(self, e):
        return toplevel[
            self._head("author" if e.persons.get("author") else "editor"),
            self.format_btitle(e, "title"), self.format_volume_and_series(e),
            sentence[field("publisher"), optional_field("address"), self.format_edition(e)],
            sentence[optional_field("note")], self.format_web_refs(e),
        ]

    def _in(self, e, last):
        return words["In", sentence[
            optional[self.format_editor(e, as_sentence=False)],
            self.format_btitle(e, "booktitle", as_sentence=False),
            self.format_volume_and_series(e, as_sentence=False), last]]

    def get_incollection_template(self, e):
        return toplevel[
            self._head(), self.format_title(e, "title"),
            self._in(e, self.format_chapter_and_pages(e)),
            sentence[optional_field("publisher"), optional_field("address")],
            self.format_web_refs(e),
        ]

    def get_inproceedings_template(self, e):
        return toplevel[
            self._head(), self.format_title(e, "title"), self._in(e, optional[pages]),
            sentence[optional_field("publisher"), optional_field("address")],
            sentence[optional_field("note")], self.format_web_refs(e),
        ]

    def get_misc_template(self, e):
        return toplevel[
            self._head(), optional[self.format_title(e, "title")],
            sentence[optional[field("howpublished")]],
            sentence[optional_field("note")], self.format_web_refs(e),
        ]


pybtex.plugin.register_plugin("pybtex.style.labels", "mlhw_authoryear", AuthorYearLabels)
pybtex.plugin.register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)


def setup(app):
    return {"parallel_read_safe": True, "parallel_write_safe": True}
