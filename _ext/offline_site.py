"""Sphinx extension: keep the built site free of remote loads.

Jupyter Book 1.x always enables ``sphinx_thebe``, which writes a script that
points at a CDN (and, on incremental builds, declares it twice, a JavaScript
error). The book has launch buttons off and must work offline, so this
extension drops thebe's scripts from every page.
"""

from __future__ import annotations


def _is_thebe(script) -> bool:
    filename = str(getattr(script, "filename", "") or "")
    body = str(getattr(script, "attributes", {}).get("body", ""))
    return "thebe" in filename or "THEBE_JS_URL" in body


def _drop_thebe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if scripts:
        context["script_files"] = [s for s in scripts if not _is_thebe(s)]


def setup(app):
    app.connect("html-page-context", _drop_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
