"""Sphinx extension: link each chapter page to its reveal.js slides.

``make slides`` (part of ``make book``) writes ``_extra/slides/<name>.slides.html``
for every notebook ``book/<name>.ipynb``; this extension puts a link to that deck
at the top of the chapter's HTML page. The link is checked like every other
internal link by ``tests/test_site.py``.
"""

from __future__ import annotations

from pathlib import Path


def _add_link(app, pagename, templatename, context, doctree):
    if not pagename.startswith("book/") or "body" not in context:
        return
    stem = pagename.split("/", 1)[1]
    if not (Path(app.srcdir) / "book" / f"{stem}.ipynb").exists():
        return
    href = f"../slides/{stem}.slides.html"
    context["body"] = (
        '<p class="slides-link"><a class="reference external" '
        f'href="{href}">&#9654; Slides for this chapter</a> '
        "(reveal.js, works offline; press <kbd>?</kbd> in the deck for keys)</p>\n"
        + context["body"]
    )


def setup(app):
    app.connect("html-page-context", _add_link)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
