"""Sphinx extension: measured build times in prose, read from the committed record.

``{build-time}`clean_make_book_s``` writes the value of that key of
``mlhwlib/data/results_build.json`` (written by ``benchmarks/build_speed.py`` on the
book's 2-core reference machine) as a duration: "38 s", "6 min". A Markdown page
cannot glue from a cell, so this is how a page states a measured time without
typing it. A key that is not in the record fails the build; the record is a
dependency of every page that uses the role (a new measurement rebuilds them).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from docutils import nodes

RECORD = Path(__file__).resolve().parent.parent / "mlhwlib" / "data" / "results_build.json"


def duration(seconds: float) -> str:
    """Seconds as a reader says them: "9 s", "38 s", "4 min", "1 h 5 min" (rounded up)."""
    if seconds < 90:
        return f"{math.ceil(seconds)} s"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def build_time_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    env = inliner.document.settings.env
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    key = text.strip()
    if key not in record or not isinstance(record[key], (int, float)):
        known = sorted(k for k, v in record.items() if isinstance(v, (int, float)))
        message = inliner.reporter.error(
            f"build-time: no measured time {key!r} in {RECORD.name}; known: {known}",
            line=lineno)
        return [inliner.problematic(rawtext, rawtext, message)], [message]
    env.note_dependency(str(RECORD))
    return [nodes.inline(rawtext, duration(float(record[key])), classes=["mlhw-build-time"])], []


def setup(app):
    app.add_role("build-time", build_time_role)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
