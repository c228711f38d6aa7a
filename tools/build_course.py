"""``make course``: everything a course needs, in one folder.

Usage::

    python tools/build_course.py --out _build/course [--no-pdf]

``make course`` first builds what is missing (the site, the student site, both
PDFs when TeX is installed, the decks and their handouts, the assignments, the
notebook bundles and the wheel); this script then copies them into ``OUT``,
writes ``OUT/README.md`` saying what each item is for, and prints the list. The
kit has two halves, so that nothing with solutions is published by mistake:

``students/`` (publish it as it is)
    ``site/`` (the student edition), ``mlhw-book.pdf`` (without solutions),
    ``slides/`` (the lecture decks and their PDF handouts, self-contained),
    ``assignments/<chapter>/`` (the notebooks to fill in), ``mlhw-notebooks.zip``
    (every chapter as a notebook, no solutions) and the ``mlhwlib`` wheel;
``instructors/`` (keep it private)
    ``site/`` (with solutions), ``mlhw-book.pdf`` (with solutions),
    ``autograders/<chapter>/`` (the solution and the autograder zip with the
    hidden tests), ``autograders/README.md``, ``requirements-grading.txt`` and
    ``grade_class.py`` (how to grade, the environment, a class folder at once) and
    ``mlhw-notebooks.zip`` (with solutions).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_assignments  # noqa: E402  (tools/ is not a package)

HTML = ROOT / "_build" / "html"
STUDENT_HTML = ROOT / "_build" / "student" / "_build" / "html"
PDF = ROOT / "_build" / "latex" / "mlhw-book.pdf"
STUDENT_PDF = ROOT / "_build" / "student-pdf" / "_build" / "latex" / "mlhw-book.pdf"
ASSIGNMENTS = ROOT / "_build" / "assignments"
DIST = ROOT / "dist"

README = """# The course kit of *ML, Worked and Checked*{version}

Built by `make course` from the book's repository. Two folders:

* **`students/`** holds what students may see: publish it as it is (a course page,
  an LMS, a USB stick). Nothing in it contains a solution or a hidden test.
* **`instructors/`** holds the solutions and the autograders: keep it private.

| item | what it is for |
| --- | --- |
{rows}

* **Lectures.** Open `students/slides/<chapter>.slides.html` in a browser (from this
  folder, a USB stick or a web server; nothing is loaded from the internet). `S`
  opens the speaker notes, `F` full screen, `?` the keys.
  `<chapter>.handout.pdf` beside it is the deck, one slide a page. A deck for two
  lectures lists them on its title slide and marks the first slide of lecture 2;
  `<chapter>.slides.html#/lecture-2` opens it there.
* **Sites.** Both sites are static: copy either to any web server, at the root or
  under a sub-path, or open its `index.html`.
* **Assignments.** Students get `students/assignments/<chapter>/` (its `README.md`
  says what to install, how to check and what to hand in); the instructors' guide of
  the book (`book/instructors.html` on either site) says how students install, run
  and submit them, and `instructors/autograders/README.md` how to grade with
  `instructors/autograders/` (the environment, one submission, a class folder;
  `otter run` executes student code unsandboxed).
"""


def _size(path: Path) -> str:
    total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) \
        if path.is_dir() else path.stat().st_size
    return f"{total / 1e6:.1f} MB" if total >= 1e6 else f"{total / 1e3:.0f} kB"


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

    chapters = sorted(p.name for p in ASSIGNMENTS.iterdir() if p.is_dir()) \
        if ASSIGNMENTS.is_dir() else []
    if not chapters:
        raise SystemExit("build_course: no assignments: run `make course` (it builds them)")
    wheels = sorted(DIST.glob("mlhwlib-*-py3-none-any.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"build_course: expected one wheel in dist/, found {len(wheels)}")

    add(STUDENT_HTML, "students/site", "the book, student edition: no solutions (static site)")
    if with_pdf:
        add(STUDENT_PDF, "students/mlhw-book.pdf", "the book as a PDF, without solutions")
    add(HTML / "slides", "students/slides",
        "lecture decks and their PDF handouts, one per chapter (self-contained)")
    for chapter in chapters:
        add(ASSIGNMENTS / chapter / "student", f"students/assignments/{chapter}",
            f"assignment {chapter}: what students fill in (public tests only)")
    add(STUDENT_HTML / "mlhw-notebooks.zip", "students/mlhw-notebooks.zip",
        "every chapter as a notebook with the mlhwlib wheel, no solutions")
    add(wheels[0], f"students/{wheels[0].name}", "the library mlhwlib alone (pip install it)")

    add(HTML, "instructors/site", "the book with solutions (static site)")
    if with_pdf:
        add(PDF, "instructors/mlhw-book.pdf", "the book as a PDF, with solutions")
    for chapter in chapters:
        add(ASSIGNMENTS / chapter / "autograder", f"instructors/autograders/{chapter}",
            f"assignment {chapter}: solution and autograder zip (hidden tests)")
    add(ASSIGNMENTS / "requirements-grading.txt", "instructors/autograders/requirements-grading.txt",
        "the environment that grades (pip install -r): otter-grader, PyTorch's CPU build, ...")
    add(ASSIGNMENTS / "grade_class.py", "instructors/autograders/grade_class.py",
        "grades a folder of submissions with otter run: a CSV of scores")
    grading = out / "instructors" / "autograders" / "README.md"
    grading.write_text(build_assignments.grading_readme(
        wheels[0].name.split("-")[1], "bptt" if "bptt" in chapters else chapters[0], kit=True),
        encoding="utf-8")
    items.append(("instructors/autograders/README.md",
                  "how to grade: the environment, one submission, a class folder", grading))
    add(HTML / "mlhw-notebooks.zip", "instructors/mlhw-notebooks.zip",
        "every chapter as a notebook with the mlhwlib wheel, with solutions")

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
        print(f"  {name:44s} {_size(path):>9s}  {purpose}")
    print(f"  {'README.md':44s} {'':>9s}  what each item is for")


if __name__ == "__main__":
    main()
