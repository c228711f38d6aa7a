"""Sphinx extension: link each chapter page to its lecture deck and PDF handout.

``make slides`` (part of ``make book``) writes, for every notebook
``book/<name>.ipynb`` with a lecture outline ``lectures/<name>.yml``, the deck
``slides/<name>.slides.html`` and, where Chromium is installed (it prints them),
the handout ``slides/<name>.handout.pdf``; this extension puts links to both at
the top of the chapter's HTML page. The links are checked like every other
internal link by ``tests/test_site.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def _handouts_made() -> bool:
    """The slide builder prints handouts exactly when it finds Chromium."""
    return any(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome"))


def _add_link(app, pagename, templatename, context, doctree):
    if not pagename.startswith("book/") or "body" not in context:
        return
    stem = pagename.split("/", 1)[1]
    src = Path(app.srcdir)
    if not ((src / "book" / f"{stem}.ipynb").exists() and (src / "lectures" / f"{stem}.yml").exists()):
        return
    handout = (f' · <a class="reference external" href="../slides/{stem}.handout.pdf">'
               "PDF handout</a> (one slide a page)") if _handouts_made() else ""
    context["body"] = (
        '<p class="slides-link"><a class="reference external" '
        f'href="../slides/{stem}.slides.html">&#9654; Lecture slides for this chapter</a> '
        "(reveal.js, works offline; <kbd>S</kbd> opens the speaker notes, <kbd>?</kbd> "
        f"lists the keys){handout}</p>\n"
        + context["body"]
    )


def setup(app):
    app.connect("html-page-context", _add_link)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
