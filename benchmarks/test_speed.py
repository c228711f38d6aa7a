"""Measure how long the test targets take: writes ``benchmarks/results_tests.json``.

The README's time figures for the tests are read from that file, never typed:
``tests/test_readme_times.py`` fails when a figure of README.md differs from the
record (rounded as the README writes it).

* ``--lib`` (the default): ``make test-lib``'s command once (read from the Makefile,
  run by this Python), its wall time, the CPU time of the
  processes it ran (user + system, pytest-xdist's workers included), the number of
  tests that passed, and the machine's load average before it started (a busy
  machine makes the wall time longer, hardly the CPU time); then its floor: the same
  command with every test deselected (``--deselect tests/``: the workers start and
  collect every library test, and run none), and the wall time of ``import torch``,
  which the first test needing the autograd references pays in its worker;
* ``--downloads``: ``tests/test_downloads.py``'s fresh venv (the setup of its
  ``fresh_venv`` fixture) and the run of every bundled notebook in it (needs
  ``make book`` and ``make book-student`` first);
* ``--assignments``: the CPU time of ``tests/test_assignments.py`` (after ``make
  assignments``), most of it the grading of every submission.

A part not measured keeps its previous record. Usage:
``python benchmarks/test_speed.py [--lib] [--downloads] [--assignments]``; run it on an
otherwise idle machine.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results_tests.json"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], env: dict[str, str] | None = None,
          accept: tuple[int, ...] = (0,)) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the command and its children, its output); stops
    unless the command's exit status is in ``accept`` (pytest's 1: some tests failed, the
    run itself completed; 5: no test ran, every one deselected)."""
    cpu0, wall0 = _children_cpu(), time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "CI": "", **(env or {})})
    wall, cpu = time.perf_counter() - wall0, _children_cpu() - cpu0
    if done.returncode not in accept:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return wall, cpu, done.stdout


def count(output: str, outcome: str) -> int:
    found = re.search(rf"(\d+) {outcome}", output.splitlines()[-1])
    return int(found.group(1)) if found else 0


def test_lib_command() -> tuple[dict[str, str], list[str]]:
    """``make test-lib``'s environment settings and pytest command, read from the
    Makefile, run by this Python."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^test-lib:.*\n\t((?:\w+=\S* )*)\$\(BIN\)/python (-m pytest (?:.*\\\n)*.*)$",
                       makefile, re.M)
    env = dict(item.split("=", 1) for item in recipe.group(1).split())
    return env, [sys.executable, *recipe.group(2).replace("\\\n", " ").split()]


def measure_lib() -> dict:
    load = os.getloadavg()[0]
    env, cmd = test_lib_command()
    wall, cpu, out = timed(cmd, env=env, accept=(0, 1))
    passed, failed = count(out, "passed"), count(out, "failed")
    if failed:
        print(f"make test-lib: {failed} failed (recorded):\n" + "\n".join(
            line for line in out.splitlines() if line.startswith("FAILED")), flush=True)
    floor_cmd = [*cmd, "--deselect", "tests/"]   # every node id starts with tests/
    floor_wall, floor_cpu, _ = timed(floor_cmd, env=env, accept=(5,))   # 5: no test ran
    torch_wall, _, _ = timed([sys.executable, "-c", "import torch"])
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "tests": passed + failed,
            "failed": failed, "load_average_before": round(load, 2),
            "floor_wall_s": round(floor_wall, 1), "floor_cpu_s": round(floor_cpu, 1),
            "torch_import_s": round(torch_wall, 1)}


def measure_downloads() -> dict:
    py = str(ROOT / ".venv" / "bin" / "python")
    _, _, out = timed([py, "-m", "pytest", "tests/test_downloads.py", "-p", "no:cacheprovider",
                       "--require-build", "-q", "--durations=0", "--durations-min=0"])
    durations = re.findall(r"^([\d.]+)s (setup|call|teardown)\s+(\S+)$", out, re.M)
    venv = max(float(s) for s, when, _ in durations if when == "setup")
    (notebooks,) = [float(s) for s, when, node in durations if when == "call"
                    and node.endswith("test_every_bundled_notebook_of_both_editions_runs_in_the_fresh_venv")]
    count = len(list((ROOT / "book").glob("*.ipynb"))) * 2   # both editions
    return {"venv_s": round(venv, 1), "notebooks_s": round(notebooks, 1), "notebooks": count}


def measure_assignments() -> dict:
    py = str(ROOT / ".venv" / "bin" / "python")
    _, cpu, _ = timed([py, "-m", "pytest", "tests/test_assignments.py", "-p", "no:cacheprovider",
                       "--require-build", "-q"])
    return {"cpu_s": round(cpu, 1)}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib", action="store_true", help="time make test-lib (the default)")
    ap.add_argument("--downloads", action="store_true", help="time tests/test_downloads.py's venv and notebooks")
    ap.add_argument("--assignments", action="store_true", help="CPU time of tests/test_assignments.py")
    args = ap.parse_args(argv)
    if not (args.downloads or args.assignments):
        args.lib = True
    record = json.loads(OUT.read_text(encoding="utf-8")) if OUT.exists() else {}
    today = datetime.date.today().isoformat()
    machine = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
               "python": platform.python_version()}
    for key, wanted, measure in (("test_lib", args.lib, measure_lib),
                                 ("downloads", args.downloads, measure_downloads),
                                 ("assignments", args.assignments, measure_assignments)):
        if wanted:
            record[key] = {**measure(), "date": today, "machine": machine}
            print(key, record[key], flush=True)
    OUT.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"written: {OUT}")


if __name__ == "__main__":
    main()
