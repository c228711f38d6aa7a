"""`make bench`: time mlhwlib against scikit-learn and write mlhwlib/data/results.md.

Runs the two benchmark scripts (each prints its progress and writes its JSON to
``mlhwlib/data``, where the results ship with the package), then writes one
table, with the machine's description, to ``mlhwlib/data/results.md``, and re-executes ``book/performance.ipynb``. The book's performance appendix reads the committed
JSON files; the book build never reruns a benchmark. Timings are the minimum
over repeats; they are not asserted anywhere in the test suite.

Usage::

    python benchmarks/run_all.py            # full run (about five minutes)
    python benchmarks/run_all.py --quick    # fewer repeats and sizes (a smoke run)
    python benchmarks/run_all.py --report   # only rewrite results.md from the JSON

After the two benchmarks it runs the regression guard, ``regression.py``: this
tree's ``mlhwlib`` against the previous release (``git archive`` of
``regression.REFERENCE`` into a temporary folder), both re-measured in the same
run, alternating; a case more than 15 % slower (median) or with different
results is reported as a REGRESSION in the output and in ``results.md``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "mlhwlib" / "data"  # the results ship with the package
PYTHON = sys.executable


def run(script: str, *args: str) -> None:
    print(f"\n=== {script} {' '.join(args)}", flush=True)
    subprocess.run([PYTHON, str(HERE / script), *args], check=True)


def rows(gmm: dict, boost: dict) -> list[dict]:
    t = gmm["target"]
    out = [{
        "case": (f"GMM EM, full covariance, N={t['N']:,}, d={t['d']}, K={t['K']}, "
                 f"{t['iterations']} iterations"),
        "sklearn": t["sklearn_s"], "mlhwlib": t["mlhwlib_s"], "ratio": t["ratio"],
        "equal": (f"yes (means differ by {t['max_abs_diff_means']:.1e})" if t["equal"]
                  else "no"),
    }]
    if "sklearn_1thread_blas_s" in t:
        out.append({
            "case": "  same, scikit-learn with single-threaded BLAS",
            "sklearn": t["sklearn_1thread_blas_s"], "mlhwlib": t["mlhwlib_s"],
            "ratio": t["ratio_vs_sklearn_1thread_blas"], "equal": "(as above)"})
    for case in boost["cases"]:
        acc = (f"accuracy {case['mlhwlib_accuracy']:.4f} vs {case['sklearn_accuracy']:.4f}")
        same = "identical predictions" if case["equal_predictions"] else acc
        out.append({
            "case": f"AdaBoost stumps, `{case['mlhwlib_call']}`",
            "sklearn": case["sklearn_time_s"], "mlhwlib": case["mlhwlib_time_s"],
            "ratio": case["ratio"],
            "equal": ("yes, " if case["equal_results"] else "no, ") + same,
        })
    return out


def regression_lines(reg: dict | None) -> list[str]:
    if not reg:
        return []
    lines = [
        "",
        f"Regression guard (`benchmarks/regression.py`): this tree against "
        f"{reg['reference']} (commit {reg['reference_commit'][:7]}), re-measured in the same run, "
        f"alternating, {reg['rounds']} rounds of fresh processes (best of "
        f"{reg['fits_per_round']} fits each); median (min-max) in seconds; a REGRESSION is "
        f"a median more than {100 * reg['threshold']:.0f} % slower or different results."
        + (f" {reg['note']}." if reg.get("note") else ""),
        "",
        "| case | reference (s) | this tree (s) | change | results | verdict |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for c in reg["cases"]:
        ref, cur = c["reference"], c["current"]
        lines.append(
            f"| {c['case']} | {ref['median_s']:.3f} ({ref['min_s']:.3f}-{ref['max_s']:.3f}) | "
            f"{cur['median_s']:.3f} ({cur['min_s']:.3f}-{cur['max_s']:.3f}) | "
            f"{100 * c['change']:+.0f} % | {'equal' if c['equal_results'] else 'differ'} | "
            f"{'REGRESSION' if c['regression'] else 'ok'} |")
    return lines


def floor_sentence(fl: dict) -> str:
    """The compute floor and mlhwlib's distance from it (older JSON: only the headline)."""
    text = (
        f"Compute floor of one EM iteration (N={fl['N']:,}, d={fl['d']}, K={fl['K']}; how it is "
        f"counted and why these rates: `benchmarks/bench_gmm.py`): "
        f"{fl['flop_per_iteration_minimal']:.3g} flop (mlhwlib computes "
        f"{fl['flop_per_iteration_implemented']:.3g}) at the one-thread GEMM rate of the "
        f"whitened-residual E-step's shape "
        f"({' x '.join(map(str, fl['gemm_shape'][:2]))} times {fl['gemm_shape'][1]} x "
        f"{fl['gemm_shape'][2]}), {fl['gemm_flop_per_s'] / 1e9:.1f} GFlop/s, is "
        f"{fl['floor_s_per_iteration'] * 1e3:.1f} ms; mlhwlib's iteration took "
        f"{fl['mlhwlib_s_per_iteration'] * 1e3:.1f} ms, {fl['mlhwlib_over_floor']:.2f} x that "
        f"floor")
    if "mlhwlib_over_floor_expanded_shape" in fl:
        k, n, c = fl["gemm_shape_expanded"]
        text += (f"; {fl['mlhwlib_over_floor_expanded_shape']:.2f} x the floor at the rate of "
                 f"the product mlhwlib's E-step now runs ({k} x {n} times {n} x {c}, "
                 f"{fl['gemm_expanded_flop_per_s'] / 1e9:.1f} GFlop/s)")
    return text + (f"; {fl['mlhwlib_over_floor_at_512_rate']:.2f} x at the 512 x 512 GEMM "
                   f"rate ({fl['gemm_512_flop_per_s'] / 1e9:.1f} GFlop/s).")


def report(gmm: dict, boost: dict, reg: dict | None = None) -> str:
    m = gmm["machine"]
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`benchmarks/run_all.py`); times in seconds, the minimum",
        "over repeats; ratio = scikit-learn time / mlhwlib time (above 1: mlhwlib is faster).",
        "",
        f"Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores; {m.get('platform', '')}."
        + (f" {gmm['note']}." if gmm.get("note") else ""),
        "Versions: " + ", ".join(f"{k} {v}" for k, v in m.items()
                                  if k not in ("cpu", "cores", "platform")) + ".",
        "",
        "| case | scikit-learn (s) | mlhwlib (s) | ratio | equal results |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for r in rows(gmm, boost):
        lines.append(f"| {r['case']} | {r['sklearn']:.3f} | {r['mlhwlib']:.3f} | "
                     f"{r['ratio']:.2f} | {r['equal']} |")
    mem = gmm["memory"]
    lines += [
        "",
        f"Peak extra memory of one EM step at N={mem['N']:,}, d={mem['d']}, K={mem['K']}: "
        f"mlhwlib {mem['mlhwlib_em_step_peak_bytes'] / 1e6:.1f} MB "
        f"({mem['mlhwlib_em_step_peak_NK']:.2f} × N·K floats), scikit-learn "
        f"{mem['sklearn_one_iteration_peak_bytes'] / 1e6:.1f} MB "
        f"({mem['sklearn_one_iteration_peak_NK']:.2f} × N·K floats), measured with tracemalloc.",
        "",
        "AdaBoost: `criterion=\"gini\"` uses the split criterion of scikit-learn's",
        "`DecisionTreeClassifier(max_depth=1)` (the same stumps unless two features tie",
        "exactly, which scikit-learn breaks at random), so it is the like-for-like comparison; the",
        "default stump minimises the weighted multi-class error directly, as the chapter",
        "derives, and is reported beside it with its test accuracy.",
        "",
        "Scaling (time per EM iteration) is in `results_gmm.json` and plotted in the book's",
        "performance appendix.",
    ]
    fl = gmm.get("floor")
    if fl:
        lines += ["", floor_sentence(fl)]
    lines += regression_lines(reg)
    lines.append("")
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--report", action="store_true", help="only rewrite mlhwlib/data/results.md")
    ap.add_argument("--note", default="", help="e.g. 'shared machine: other jobs ran'; "
                    "recorded in the JSON and printed in results.md")
    args = ap.parse_args(argv)
    if not args.report:
        run("bench_gmm.py", *(["--quick"] if args.quick else []),
            *(["--note", args.note] if args.note else []))
        run("bench_adaboost.py", *(["--repeats", "2"] if args.quick else []))
        note = ["--note", args.note] if args.note else []
        run("regression.py", *(["--fits", "1", "--rounds", "2"] if args.quick else []), *note)
    gmm = json.loads((DATA / "results_gmm.json").read_text(encoding="utf-8"))
    boost = json.loads((DATA / "results_adaboost.json").read_text(encoding="utf-8"))
    reg_path = DATA / "results_regression.json"
    reg = json.loads(reg_path.read_text(encoding="utf-8")) if reg_path.exists() else None
    text = report(gmm, boost, reg)
    (DATA / "results.md").write_text(text, encoding="utf-8")
    print("\n" + text)
    print(f"written: {DATA / 'results.md'}")
    from build_speed import execute_in_place

    execute_in_place(HERE.parent / "book" / "performance.ipynb")
    print("re-executed book/performance.ipynb with the new numbers (commit it)")


if __name__ == "__main__":
    main()
