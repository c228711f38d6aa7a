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

``--errata DIR`` (after a build) writes the source notes' mistakes as submissions instead
(``assignments/errata.py``): ``DIR/<chapter>-<name>/<chapter>.ipynb``, the solution notebook
with the erratum's cell, one notebook per erratum submission, to grade with ``otter run``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def otter_command() -> list[str]:
    """``otter`` of the running interpreter (the project's .venv), never another one on PATH."""
    return [sys.executable, "-m", "otter"]


def build(master: Path, out: Path) -> tuple[Path, float]:
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
    return dest, elapsed


# --- the errata as submissions -------------------------------------------------------------
def load_errata():
    """``assignments/errata.py`` as a module (``SUBMISSIONS``, ``NOT_COMPUTATIONAL``)."""
    spec = importlib.util.spec_from_file_location("assignment_errata",
                                                  ROOT / "assignments" / "errata.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses looks the module up while building the class
    spec.loader.exec_module(module)
    return module


def cell_source(cell) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


def erratum_notebook(solution: Path, subs, dest: Path) -> Path:
    """The solution notebook with, for each submission, the one code cell containing
    ``sub.cell`` replaced by ``sub.code``; written to ``dest/<solution's name>``."""
    import nbformat

    nb = nbformat.read(solution, as_version=4)
    for sub in subs:
        hits = [c for c in nb.cells if c.cell_type == "code" and sub.cell in cell_source(c)]
        if len(hits) != 1:
            raise ValueError(f"{sub.chapter}:{sub.name}: {len(hits)} cells contain {sub.cell!r}")
        hits[0].source = sub.code.strip("\n")
        hits[0].outputs, hits[0].execution_count = [], None
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / solution.name
    nbformat.write(nb, path)
    return path


def write_errata(out: Path, dest: Path) -> list[Path]:
    """One notebook per erratum submission, from the solution notebooks built in ``out``."""
    paths = []
    for sub in load_errata().SUBMISSIONS:
        solution = out / sub.chapter / "autograder" / f"{sub.chapter}.ipynb"
        paths.append(erratum_notebook(solution, [sub], dest / f"{sub.chapter}-{sub.name}"))
    return paths


# --- grading ---------------------------------------------------------------------------------
def grade(autograder: str, submission: str, out_dir: str) -> dict:
    """Grade one submission offline, as ``otter run -a AUTOGRADER -o OUT_DIR SUBMISSION`` does
    (the same function, called in this process): ``{question: {"score", "possible",
    "results_json", "cases"}}`` with ``results_json`` the score otter wrote to
    ``OUT_DIR/results.json`` and ``cases`` a list of ``(hidden, passed)``, one per test case."""
    import contextlib
    import io

    from otter.run import main as otter_run

    Path(out_dir).mkdir(parents=True, exist_ok=True)
    with contextlib.redirect_stdout(io.StringIO()):
        results = otter_run(submission, autograder=autograder, output_dir=out_dir, no_logo=True)
    written = json.loads((Path(out_dir) / "results.json").read_text(encoding="utf-8"))
    reported = {t["name"]: float(t["score"]) for t in written["tests"] if "max_score" in t}
    return {name: {"score": float(tf.score), "possible": float(tf.possible),
                   "results_json": reported.get(name),
                   "cases": [(bool(r.test_case.hidden), bool(r.passed))
                             for r in tf.test_case_results]}
            for name, tf in results.results.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("masters", nargs="*", type=Path, help="assignments/<chapter>.ipynb")
    parser.add_argument("--out", type=Path, default=Path("_build/assignments"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--errata", type=Path, metavar="DIR",
                        help="write the erratum submissions into DIR (after a build)")
    args = parser.parse_args(argv)
    if args.errata:
        for path in write_errata(args.out, args.errata):
            print(path)
        return 0
    if not args.masters:
        parser.error("name the master notebooks (assignments/*.ipynb)")
    args.out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for dest, elapsed in pool.map(lambda m: build(m, args.out), args.masters):
            print(f"{dest}: student/ and autograder/ ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
