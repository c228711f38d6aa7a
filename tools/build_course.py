"""``make course``: everything a course needs, in one folder.

Usage::

    python tools/build_course.py --out _build/course

``make course`` first builds what is missing (the site, the student site, both
PDFs when TeX is installed, the decks and their handouts, the assignments, the
notebook bundles and the wheel); this script then copies them into ``OUT``,
writes ``OUT/README.md`` saying what each item is for, and prints the list:

``site/``, ``student-site/``
    the two editions of the book (static: any web server, or open ``index.html``);
``slides/``
    the lecture decks and their PDF handouts (self-contained: copy the folder
    alone to a USB stick or a course page);
``mlhw-book.pdf``, ``mlhw-book-student.pdf``
    the book, with and without solutions;
``assignments/<chapter>/student/``, ``assignments/<chapter>/autograder/``
    what students get, and the autograder zip that grades their notebooks offline;
``mlhw-notebooks.zip``, ``mlhw-notebooks-student.zip``
    every chapter as a notebook with the ``mlhwlib`` wheel (also inside each site);
``mlhwlib-<version>-py3-none-any.whl``
    the library alone.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
STUDENT_HTML = ROOT / "_build" / "student" / "_build" / "html"
PDF = ROOT / "_build" / "latex" / "mlhw-book.pdf"
STUDENT_PDF = ROOT / "_build" / "student-pdf" / "_build" / "latex" / "mlhw-book.pdf"
ASSIGNMENTS = ROOT / "_build" / "assignments"
DIST = ROOT / "dist"

README = """# The course kit of *ML, Worked and Checked*

Built by `make course` from the book's repository{version}. What is here:

| item | what it is for |
| --- | --- |
{rows}

* **Lectures.** Open `slides/<chapter>.slides.html` in a browser (from this folder,
  a USB stick or a web server; nothing is loaded from the internet). `S` opens the
  speaker notes, `F` full screen, `?` the keys. `slides/<chapter>.handout.pdf` is
  the same deck, one slide a page.
* **Assignments.** Give students `assignments/<chapter>/student/`. Grade a
  submitted notebook offline, without Docker:
  `otter run -a assignments/<chapter>/autograder/<chapter>-autograder_*.zip -o results SUBMISSION.ipynb`
  (`results/results.json` has every question's score), in an environment with the
  book's requirements (`pip install -r requirements.txt` in the book's repository,
  or `mlhwlib`, `otter-grader` and `torch`).
* **Sites.** `site/` (instructors: solutions folded under each exercise) and
  `student-site/` (no solutions anywhere) are static: copy either to any web
  server, at the root or under a sub-path, or open its `index.html`.
* **Notebooks.** Students download `mlhw-notebooks.zip` (or
  `mlhw-notebooks-student.zip`) from the site and follow its README: three commands.

The book's instructor's guide (`site/book/instructors.html`) has a 10-week syllabus
and how to customise, rebuild, host and grade.
"""


def _size(path: Path) -> str:
    total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) \
        if path.is_dir() else path.stat().st_size
    return f"{total / 1e6:.1f} MB"


def _copy(src: Path, dst: Path) -> None:
    if not src.exists():
        raise SystemExit(f"build_course: {src} is missing: run `make course` (it builds it)")
    if src.is_dir():
        shutil.copytree(src, dst)
    else:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)


def build(out: Path, with_pdf: bool) -> list[tuple[str, str, Path]]:
    """Copy the kit into ``out``; return (name, purpose, path) for every item."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    items: list[tuple[str, str, Path]] = []

    def add(src: Path, name: str, purpose: str) -> None:
        _copy(src, out / name)
        items.append((name, purpose, out / name))

    add(HTML, "site", "the book, instructors' edition (static site)")
    add(STUDENT_HTML, "student-site", "the book, student edition: no solutions (static site)")
    add(HTML / "slides", "slides", "lecture decks and PDF handouts, one per chapter (self-contained)")
    if with_pdf:
        add(PDF, "mlhw-book.pdf", "the book as a PDF, with solutions")
        add(STUDENT_PDF, "mlhw-book-student.pdf", "the book as a PDF, without solutions")
    chapters = sorted(p.name for p in ASSIGNMENTS.iterdir() if p.is_dir())
    if not chapters:
        raise SystemExit("build_course: no assignments: run `make course` (it builds them)")
    for chapter in chapters:
        add(ASSIGNMENTS / chapter / "student", f"assignments/{chapter}/student",
            f"assignment {chapter}: the notebook students fill in (public tests)")
        add(ASSIGNMENTS / chapter / "autograder", f"assignments/{chapter}/autograder",
            f"assignment {chapter}: solution and autograder zip (hidden tests)")
    add(HTML / "mlhw-notebooks.zip", "mlhw-notebooks.zip",
        "every chapter as a notebook, with the mlhwlib wheel (instructors' edition)")
    add(STUDENT_HTML / "mlhw-notebooks.zip", "mlhw-notebooks-student.zip",
        "every chapter as a notebook, with the mlhwlib wheel (student edition)")
    wheels = sorted(DIST.glob("mlhwlib-*-py3-none-any.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"build_course: expected one wheel in dist/, found {len(wheels)}")
    add(wheels[0], wheels[0].name, "the library mlhwlib alone (pip install it)")
    version = wheels[0].name.split("-")[1]
    rows = "\n".join(f"| `{name}` | {purpose} |" for name, purpose, _ in items)
    (out / "README.md").write_text(README.format(version=f" (mlhwlib {version})", rows=rows),
                                   encoding="utf-8")
    return items


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "_build" / "course")
    ap.add_argument("--no-pdf", action="store_true", help="TeX is not installed: no PDFs")
    args = ap.parse_args(argv)
    items = build(args.out, with_pdf=not args.no_pdf)
    print(f"Course kit in {args.out}:")
    for name, purpose, path in items:
        print(f"  {name:42s} {_size(path):>9s}  {purpose}")
    print(f"  {'README.md':42s} {'':>9s}  what each item is for")


if __name__ == "__main__":
    main()
