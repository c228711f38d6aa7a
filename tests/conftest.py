"""Shared fixtures: paths of the repository, the built site, and a headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
STUDENT_HTML = ROOT / "_build" / "student" / "_build" / "html"
IN_CI = os.environ.get("CI", "").lower() == "true"


def toc_files() -> list[str]:
    """Every page named in ``_toc.yml`` (e.g. ``book/intro``), in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return files


def require_build(html_dir: Path, command: str) -> Path:
    """Fail (not skip) when a build the test needs is missing: `make test` builds it first."""
    if not (html_dir / "index.html").exists():
        pytest.fail(f"{html_dir} has no index.html: run `{command}` first (make test does)")
    return html_dir


@pytest.fixture(scope="session")
def html_dir() -> Path:
    return require_build(HTML, "make book")


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="session")
def chromium():
    """A function ``run(url, *extra_flags) -> stdout`` driving headless Chromium.

    Skipped with a clear message when Chromium is missing, except under CI=true,
    where a missing browser is a failure (CI installs it in .ci/run).
    """
    exe = find_chromium()
    if exe is None:
        message = ("Chromium not found: install Debian's `chromium` "
                   "(apt-get install chromium) to run the browser tests")
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)

    def run(url: str, *flags: str, timeout: float = 90.0) -> str:
        with tempfile.TemporaryDirectory() as profile:
            cmd = [
                exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-quic", f"--user-data-dir={profile}",
                "--virtual-time-budget=10000", *flags, url,
            ]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise AssertionError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
        return done.stdout

    return run
