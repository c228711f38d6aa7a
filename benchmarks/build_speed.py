"""Measure how long the book takes to build and each notebook to execute.

Writes ``mlhwlib/data/results_build.json`` (shipped with the package); the
"Running this chapter" notes and the performance appendix show it.

* each notebook under ``book/`` executed once with nbclient (kernel start
  included), one at a time, in a fresh kernel;
* a clean ``make book`` (after ``make clean``: offline assets, slides, every
  notebook executed, the site, the notebook downloads, the PDF with TeX) with
  ``.venv`` already installed;
* a second ``make book`` with nothing changed (the no-op rebuild);
* ``make course`` after that (the student site and PDF, the assignments, the copy
  into ``_build/course``), and once more with nothing changed;
* ``make book`` after a one-line change in one chapter's code (the instructor's
  guide quotes it: a changed constant re-executes that chapter only), after which
  the change is undone and the book rebuilt.

The instructor's guide (``book/instructors.md``) and the performance appendix
read these times (``{build-time}`` role, ``_ext/build_times.py``).

Usage: ``python benchmarks/build_speed.py [--skip-build]``. It rebuilds
``_build/`` and ``_extra/``; run it when nothing else is using them. At the end
it re-executes every notebook of ``book/`` so the pages show the new numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "mlhwlib" / "data" / "results_build.json"


def time_notebook(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start


def execute_in_place(path: Path) -> None:
    """Re-execute a notebook and save its outputs (as ``make execute`` does)."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)


def time_make(*targets: str) -> float:
    start = time.perf_counter()
    subprocess.run(["make", *targets], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "CI": ""})
    return time.perf_counter() - start


BUILD_KEYS = ("clean_make_book_s", "noop_make_book_s", "course_after_book_s",
              "noop_make_course_s", "edit_make_book_s")
EDITED = ROOT / "book" / "matrix_calculus.ipynb"


def time_edited_chapter() -> float:
    """``make book`` after a change to one code cell of one chapter (undone after)."""
    original = EDITED.read_bytes()
    nb = nbformat.read(EDITED, as_version=4)
    cell = next(c for c in reversed(nb.cells) if c.cell_type == "code")
    cell.source += "\n# an instructor's change"
    nbformat.write(nb, EDITED)
    try:
        return time_make("book")
    finally:
        EDITED.write_bytes(original)
        time_make("book")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-build", action="store_true", help="only time the notebooks")
    args = ap.parse_args(argv)
    result = {"machine": {"cpu": platform.processor() or platform.machine(),
                          "cores": os.cpu_count(), "python": platform.python_version()},
              "notebooks_s": {}}
    if OUT.exists():  # the performance page reads this file while it is timed
        previous = json.loads(OUT.read_text(encoding="utf-8"))
    else:
        previous = {"notebooks_s": {}}
        OUT.write_text(json.dumps(previous) + "\n", encoding="utf-8")
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        seconds = time_notebook(path)
        result["notebooks_s"][path.name] = round(seconds, 2)
        print(f"{path.name:28s} {seconds:6.1f} s", flush=True)
    if not args.skip_build:
        time_make("clean")
        for key, targets in [("clean_make_book_s", ["book"]), ("noop_make_book_s", ["book"]),
                             ("course_after_book_s", ["course"]),
                             ("noop_make_course_s", ["course"])]:
            result[key] = round(time_make(*targets), 1)
            print(f"{key}: {result[key]} s", flush=True)
        result["edit_make_book_s"] = round(time_edited_chapter(), 1)
        print(f"edit_make_book_s: {result['edit_make_book_s']} s", flush=True)
    else:
        for key in BUILD_KEYS:
            if key in previous:
                result[key] = previous[key]
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written: {OUT}")
    # every chapter glues its own running time from the record (its "Running this
    # chapter" note), and the performance appendix shows the whole record
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        execute_in_place(path)
    print("re-executed every notebook of book/ with the new numbers (commit them)")


if __name__ == "__main__":
    main()
