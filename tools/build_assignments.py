"""Build the autograded assignments: ``otter assign`` on every master notebook.

``make assignments`` runs ``python tools/build_assignments.py --out _build/assignments
assignments/*.ipynb``. For each master ``assignments/<chapter>.ipynb`` (otter's assign
format, committed executed) it writes, through ``otter assign``,

* ``<out>/<chapter>/student/<chapter>.ipynb`` -- the notebook handed out: solutions
  replaced by ``...``, public tests only (run with ``grader.check(...)``);
* ``<out>/<chapter>/autograder/`` -- the solution notebook ``<chapter>.ipynb`` and the
  autograder zip ``<chapter>-autograder_<timestamp>.zip`` with the hidden tests.

``otter assign`` grades the solution notebook with every test as it builds (its
``run_tests``), so a build fails when a solution does not pass its own tests. Grading a
submission needs no Docker::

    otter run -a <out>/<chapter>/autograder/<chapter>-autograder_*.zip -o RESULTS_DIR SUBMISSION.ipynb

The chapters are built in parallel (one ``otter assign`` process each, ``--jobs`` at a time).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def otter_command() -> list[str]:
    """``otter`` of the running interpreter (the project's .venv), never another one on PATH."""
    return [sys.executable, "-m", "otter"]


def build(master: Path, out: Path) -> tuple[Path, float, str]:
    """``otter assign`` of one master into ``out/<stem>`` (emptied first)."""
    dest = out / master.stem
    if dest.exists():
        shutil.rmtree(dest)
    start = time.perf_counter()
    proc = subprocess.run([*otter_command(), "assign", str(master), str(dest)],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"otter assign {master} failed:\n{proc.stdout}\n{proc.stderr}")
    zips = sorted((dest / "autograder").glob(f"{master.stem}-autograder_*.zip"))
    if len(zips) != 1 or not (dest / "student" / master.name).is_file():
        raise SystemExit(f"otter assign {master}: expected one autograder zip and a student "
                         f"notebook in {dest}, found {zips}")
    return dest, elapsed, proc.stdout


def grade(autograder: str, submission: str, out_dir: str) -> dict:
    """Grade one submission offline, as ``otter run -a AUTOGRADER -o OUT_DIR SUBMISSION`` does
    (the same function, called in this process): ``{question: {"score", "possible", "cases"}}``
    with ``cases`` a list of ``(hidden, passed)``, one per test case, in order. ``OUT_DIR``
    receives otter's ``results.json``."""
    import contextlib
    import io

    from otter.run import main as otter_run

    Path(out_dir).mkdir(parents=True, exist_ok=True)
    with contextlib.redirect_stdout(io.StringIO()):
        results = otter_run(submission, autograder=autograder, output_dir=out_dir, no_logo=True)
    import json

    written = json.loads((Path(out_dir) / "results.json").read_text(encoding="utf-8"))
    reported = {t["name"]: float(t["score"]) for t in written["tests"] if "max_score" in t}
    return {name: {"score": float(tf.score), "possible": float(tf.possible),
                   "results_json": reported.get(name),
                   "cases": [(bool(r.test_case.hidden), bool(r.passed))
                             for r in tf.test_case_results]}
            for name, tf in results.results.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("masters", nargs="+", type=Path, help="assignments/<chapter>.ipynb")
    parser.add_argument("--out", type=Path, default=Path("_build/assignments"))
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for dest, elapsed, _ in pool.map(lambda m: build(m, args.out), args.masters):
            print(f"{dest}: student/ and autograder/ ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
