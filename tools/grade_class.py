"""Grade a whole class folder of submitted notebooks with ``otter run`` and write a CSV of scores.

Usage (in the grading environment, ``requirements-grading.txt``; see ``README.md`` beside the
assignments)::

    python grade_class.py SUBMISSIONS_DIR --assignment CHAPTER [--out DIR] [--jobs N]

Every ``*.ipynb`` under ``SUBMISSIONS_DIR`` (one file per student, or one folder per student;
``.ipynb_checkpoints`` are skipped) is graded by ``otter run`` against the chapter's autograder
zip, each in its own process and kernel. ``--assignment`` is a chapter name (its zip is found in
``CHAPTER/autograder/`` or ``CHAPTER/`` beside this script, as in ``_build/assignments/`` and in
the course kit's ``instructors/autograders/``, or in the folder ``--assignments`` names) or the
path of an autograder zip. Written in ``--out``
(default ``results-CHAPTER``):

* ``<submission>/results.json`` -- otter's results for each submission (a score and the test
  output per question), ``<submission>`` being the notebook's path under ``SUBMISSIONS_DIR``
  without ``.ipynb``;
* ``scores.csv`` -- one row per submission: its path, the score of every question, the total,
  the maximum, and an error message where ``otter run`` could not grade it (empty scores then).

The exit status is 1 when a submission could not be graded, else 0.

**Student code runs unsandboxed.** ``otter run`` executes each submitted notebook as the user
who runs this script, with that user's files, network and credentials: a submission can read,
change or send anything that user can. Grade in a throwaway container, virtual machine or user
account that holds nothing but the submissions and the autograder. (``otter grade`` would run
each submission in Docker, but it builds its image from the internet; this script does not.)

Needs only the Python standard library and otter-grader 7 (``python -m otter``) in the running
interpreter's environment.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent


def find_autograder(assignment: str, assignments: Path | None) -> Path:
    """The autograder zip of ``assignment``: a zip's path, or a chapter name looked up in
    ``assignments`` (default: beside this script, else the repository's ``_build/assignments``)."""
    path = Path(assignment)
    if path.suffix == ".zip":
        if not path.is_file():
            raise SystemExit(f"grade_class: no such autograder zip: {path}")
        return path
    folders = [assignments] if assignments else [HERE, HERE.parent / "_build" / "assignments"]
    # CHAPTER/autograder/ in _build/assignments, CHAPTER/ in the course kit's autograders/
    places = [f / assignment / sub for f in folders for sub in ("autograder", "")]
    for place in places:
        zips = sorted(place.glob(f"{assignment}-autograder_*.zip"))
        if len(zips) == 1:
            return zips[0]
        if len(zips) > 1:
            raise SystemExit(f"grade_class: several autograder zips for {assignment}: {zips}")
    raise SystemExit(f"grade_class: no autograder zip for {assignment!r} in "
                     f"{', '.join(str(p) for p in places)}")


def submissions(folder: Path, out: Path) -> list[Path]:
    """Every notebook under ``folder``, except checkpoints and anything under ``out``."""
    found = []
    for path in sorted(folder.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts or out in path.resolve().parents:
            continue
        found.append(path)
    return found


def grade_one(zip_path: Path, notebook: Path, dest: Path, timeout: float) -> dict:
    """``otter run`` on one notebook, results into ``dest/results.json``: ``{"scores":
    {question: (score, max_score)}, "error": str | None}``."""
    dest.mkdir(parents=True, exist_ok=True)
    results = dest / "results.json"
    results.unlink(missing_ok=True)
    command = [sys.executable, "-m", "otter", "run", "--no-logo", "-a", str(zip_path.resolve()),
               "-o", str(dest.resolve()), str(notebook.resolve())]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"scores": {}, "error": f"otter run took longer than {timeout:.0f} s"}
    (dest / "otter-run.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0 or not results.is_file():
        lines = [line for line in (done.stderr or done.stdout).strip().splitlines() if line.strip()]
        return {"scores": {}, "error": f"otter run failed: {lines[-1] if lines else done.returncode}"}
    tests = json.loads(results.read_text(encoding="utf-8"))["tests"]
    return {"scores": {t["name"]: (float(t["score"]), float(t["max_score"]))
                       for t in tests if "max_score" in t},
            "error": None}


def grade_class(folder: Path, zip_path: Path, out: Path, jobs: int = 1,
                timeout: float = 900.0) -> list[dict]:
    """Grade every notebook under ``folder``; write ``out/scores.csv``; return its rows."""
    out.mkdir(parents=True, exist_ok=True)
    notebooks = submissions(folder, out.resolve())
    if not notebooks:
        raise SystemExit(f"grade_class: no .ipynb under {folder}")
    names = [nb.relative_to(folder).with_suffix("").as_posix() for nb in notebooks]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        graded = list(pool.map(lambda a: grade_one(zip_path, a[0], out / a[1], timeout),
                               zip(notebooks, names)))
    questions: list[str] = []
    for g in graded:
        questions += [q for q in g["scores"] if q not in questions]
    rows = []
    for name, g in zip(names, graded):
        row = {"submission": name}
        if g["error"] is None:
            row.update({q: f"{g['scores'][q][0]:g}" if q in g["scores"] else "" for q in questions})
            row["total"] = f"{sum(s for s, _ in g['scores'].values()):g}"
            row["possible"] = f"{sum(m for _, m in g['scores'].values()):g}"
        row["error"] = g["error"] or ""
        rows.append(row)
    with open(out / "scores.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["submission", *questions, "total", "possible",
                                               "error"], restval="")
        writer.writeheader()
        writer.writerows(rows)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, metavar="SUBMISSIONS_DIR")
    parser.add_argument("--assignment", required=True,
                        help="chapter name (e.g. bptt) or the path of an autograder zip")
    parser.add_argument("--assignments", type=Path, metavar="DIR",
                        help="the folder holding CHAPTER/autograder/ (default: beside this script)")
    parser.add_argument("--out", type=Path, help="results folder (default: results-CHAPTER)")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded at once")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds allowed for one submission (default 900)")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder")
    zip_path = find_autograder(args.assignment, args.assignments)
    label = zip_path.name.split("-autograder_")[0]
    out = args.out or Path(f"results-{label}")
    rows = grade_class(args.submissions, zip_path, out, jobs=args.jobs, timeout=args.timeout)
    for row in rows:
        score = f"{row['total']} / {row['possible']}" if not row["error"] else row["error"]
        print(f"{row['submission']}: {score}")
    failed = sum(bool(r["error"]) for r in rows)
    print(f"{len(rows)} submissions graded with {zip_path.name}, {failed} not gradable; "
          f"scores in {out / 'scores.csv'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
