"""Audit the built site: Lighthouse (mobile preset) and axe-core on every page.

Usage (``make audit``, after ``make book``)::

    python tools/site_audit.py [--html _build/html] [--out benchmarks/audit]

Serves ``_build/html`` on a local port the way a static host does (text gzipped,
``tests/site_server.py``), runs npm's ``lighthouse`` against Debian's Chromium
on every page of ``_toc.yml`` (mobile preset: a mid-range phone on a slow 4G
connection, simulated), runs axe-core through ``tests/browser_checks.mjs``,
and writes ``<out>.json`` (everything) and ``<out>.md`` (a table). Scores
depend on the machine: this is a report, not a test; ``make test`` checks the
deterministic parts (``tests/test_audit.py``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import toc_files  # noqa: E402
from site_budget import BUDGET_BYTES, page_cost  # noqa: E402
from site_server import serve  # noqa: E402


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    raise SystemExit("Chromium not found: apt-get install chromium")


def lighthouse(url: str, chrome: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        cmd = [str(ROOT / "node_modules" / ".bin" / "lighthouse"), url, "--quiet",
               "--output=json", f"--output-path={out}",
               "--only-categories=performance,accessibility",
               "--chrome-flags=--headless=new --no-sandbox --disable-gpu"]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                              env={**os.environ, "CHROME_PATH": chrome})
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(f"lighthouse failed on {url}:\n{done.stderr[-2000:]}")
        report = json.loads(out.read_text(encoding="utf-8"))
    audits = report["audits"]

    def num(key):
        return audits.get(key, {}).get("numericValue")
    failed_a11y = [ref["id"] for ref in report["categories"]["accessibility"]["auditRefs"]
                   if ref.get("weight", 0) > 0 and audits[ref["id"]].get("score") not in (1, None)]
    return {
        "performance": report["categories"]["performance"]["score"],
        "accessibility": report["categories"]["accessibility"]["score"],
        "fcp_ms": num("first-contentful-paint"),
        "lcp_ms": num("largest-contentful-paint"),
        "tbt_ms": num("total-blocking-time"),
        "cls": num("cumulative-layout-shift"),
        "transfer_bytes": num("total-byte-weight"),
        "failed_accessibility_audits": failed_a11y,
        "lighthouse_version": report.get("lighthouseVersion"),
    }


def axe(base: str, pages: list[str]) -> dict:
    done = subprocess.run(["node", str(ROOT / "tests" / "browser_checks.mjs"), "axe", base,
                           *pages], capture_output=True, text=True, timeout=900, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "audit"))
    parser.add_argument("--runs", type=int, default=3,
                        help="Lighthouse runs per page; the report gives the median run")
    args = parser.parse_args()
    html = Path(args.html)
    if not (html / "index.html").exists():
        raise SystemExit(f"{html} has no index.html: run `make book` first")
    chrome = chromium()
    server, base = serve(html)
    names = toc_files()
    try:
        violations = axe(base, [f"{n}.html" for n in names])
        rows = {}
        for name in names:
            print(f"lighthouse {name} ...", flush=True)
            runs = sorted((lighthouse(base + f"{name}.html", chrome) for _ in range(args.runs)),
                          key=lambda r: r["performance"])
            rows[name] = runs[len(runs) // 2]  # the median run (Lighthouse's advice)
            rows[name]["performance_runs"] = [r["performance"] for r in runs]
            rows[name]["accessibility_runs"] = [r["accessibility"] for r in runs]
            rows[name]["first_load_bytes_from_files"] = page_cost(html / f"{name}.html")
            rows[name]["axe_serious_or_critical"] = [
                v["id"] for v in violations[f"{name}.html"] if v["impact"] in ("serious", "critical")]
    finally:
        server.shutdown()
    meta = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_1min": round(os.getloadavg()[0], 2),
        "chromium": subprocess.run([chrome, "--version"], capture_output=True,
                                   text=True).stdout.strip(),
        "preset": "Lighthouse default (mobile: Moto G Power, slow 4G, simulated throttling)",
        "server": "local, gzip for text (tests/site_server.py)",
        "budget_bytes": BUDGET_BYTES,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps({"meta": meta, "pages": rows}, indent=1) + "\n",
                                        encoding="utf-8")
    lines = [
        "# Site audit", "",
        f"Measured {meta['date']} on {meta['machine']} (load average "
        f"{meta['load_average_1min']} at the end) with {meta['chromium']}, "
        f"Lighthouse {next(iter(rows.values()))['lighthouse_version']}, "
        f"{meta['preset']}; served by a {meta['server']}. Scores vary with the machine: "
        "this is a report (`make audit`), not a test; `make test` checks the byte budget, "
        "axe-core and unique ids.", "",
        f"Each page is measured {args.runs} times; the table gives the median run, and "
        "the performance of every run in brackets. The runs differ because Chromium "
        "sometimes shows a page's first frame up to a second after the page painted it "
        "(seen in the traces on this 2-core machine); Lighthouse then simulates the whole "
        "load, fonts and scripts included, as the time to first paint.", "",
        "| Page | Performance (runs) | Accessibility | FCP (s) | LCP (s) | TBT (ms) | CLS | "
        "Transferred (kB) | axe serious/critical |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['performance']:.2f} "
            f"({', '.join(f'{x:.2f}' for x in r['performance_runs'])}) | "
            f"{r['accessibility']:.2f} | "
            f"{r['fcp_ms'] / 1000:.1f} | {r['lcp_ms'] / 1000:.1f} | {r['tbt_ms']:.0f} | "
            f"{r['cls']:.3f} | {r['transfer_bytes'] / 1000:.0f} | "
            f"{len(r['axe_serious_or_critical'])} |")
    worst_p = min(min(r["performance_runs"]) for r in rows.values())
    worst_a = min(min(r["accessibility_runs"]) for r in rows.values())
    lines += ["", f"Lowest performance of any run {worst_p:.2f}, lowest accessibility {worst_a:.2f} "
              "(goal: at least 0.90 and 1.00 on every page)."]
    failed = {n: r["failed_accessibility_audits"] for n, r in rows.items()
              if r["failed_accessibility_audits"]}
    if failed:
        lines += ["", "Accessibility audits that did not pass:", ""]
        lines += [f"- {n}: {', '.join(ids)}" for n, ids in failed.items()]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
