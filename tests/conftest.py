"""Shared fixtures (paths, the built site, headless Chromium) and the test markers.

Every test gets exactly one of three markers, assigned here by file so that
test files need no edits (a test or file that sets one itself keeps it):

* ``lib`` -- the library alone (``make test-lib`` = ``pytest -m lib``): no
  notebook, no build;
* ``notebook`` -- the notebooks: nbval items under ``book/``, and the files
  of ``NOTEBOOK_FILES`` / ``NOTEBOOK_PATTERNS`` (notebook sources, outputs
  under the second numeric profile, committed experiment results);
* ``site`` -- needs a built site (``SITE_FILES``, or any file with a test
  that uses a fixture of ``SITE_FIXTURES``): without a build these tests are
  *skipped* with a message, except under ``make test`` (which passes
  ``--require-build`` after building) and under ``CI=true``, where a missing
  build *fails*.

Any other file under ``tests/`` is a library test.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
from fnmatch import fnmatch
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
STUDENT_HTML = ROOT / "_build" / "student" / "_build" / "html"
IN_CI = os.environ.get("CI", "").lower() == "true"

# How hard the randomised tests look: "full" (``make test``, CI, a plain ``pytest``) or
# "quick" (``make test-lib``, the contributor's loop). Quick runs every test, with fewer
# random cases where a test repeats one check over many draws: property tests draw a
# fifth of their examples, loops over random cases run a fifth of their cases (never
# fewer than 3). A test whose assertion is about the count itself keeps its count.
DEPTH = os.environ.get("MLHW_TEST_DEPTH", "full")
if DEPTH not in ("full", "quick"):
    raise ValueError(f"MLHW_TEST_DEPTH must be 'full' or 'quick', not {DEPTH!r}")
if IN_CI and DEPTH != "full":
    raise ValueError("CI runs the tests at full depth: unset MLHW_TEST_DEPTH")


def cases(n: int) -> int:
    """How many random cases a repeated check runs: ``n`` at full depth, ``n // 5``
    (at least 3) at quick depth."""
    return n if DEPTH == "full" else max(3, n // 5)


def hypothesis_settings(max_examples: int, **kw):
    """``hypothesis.settings`` with ``cases(max_examples)`` examples and no deadline
    (timing on a shared machine is no property of the code)."""
    from hypothesis import settings

    kw.setdefault("deadline", None)
    return settings(max_examples=cases(max_examples), **kw)


# The five source notes are files named like 000_b358372b585ad7a0.txt; readers see them
# by the readable names of the errata's table of sources, never by file name or number.
SOURCE_FILE_NAME = re.compile(r"\b00[0-4](?:_[0-9a-f]{16}(?:\.txt)?|\.txt)\b|"
                              r"\b(?:source|note|notes|file|seed|error in)\s+00[0-4]\b", re.I)


def source_file_names(html: str) -> list[str]:
    """The file names of source notes a page shows a reader: in its text and in the
    alt text, titles and labels of its elements (not in scripts or styles)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    shown = soup.get_text(" ") + " ".join(
        str(v) for t in soup.find_all(True) for k, v in t.attrs.items()
        if k in ("alt", "title", "aria-label"))
    return [m.group(0) for m in SOURCE_FILE_NAME.finditer(shown)]


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


MARKERS = ("lib", "notebook", "site")
# Tests that read a built site, student edition or PDF: marker ``site``. A file
# is also a site file when one of its tests uses a fixture of SITE_FIXTURES.
SITE_FILES = {"test_site.py", "test_student_edition.py", "test_pdf.py",
              "test_api_reference.py", "test_audit.py", "test_phone.py", "test_downloads.py",
              "test_course.py", "test_licence.py", "test_numbering.py", "test_slides.py",
              "test_toc_numbering.py"}  # the last builds small Sphinx projects, no site
SITE_FIXTURES = {"html_dir", "chromium", "html_server", "browser_checks", "student_files", "pdf_text",
                 "api_anchors"}
# Tests of the notebooks -- their sources, their outputs under another numeric
# profile, the committed experiment results they read: marker ``notebook``.
NOTEBOOK_FILES = {"test_book_structure.py", "test_checked_claims.py",
                  "test_numeric_profiles.py", "test_assignments.py",
                  "test_assignment_environments.py"}
NOTEBOOK_PATTERNS = ("test_*notebook*.py", "test_*profile*.py", "test_*experiment*.py")

_REQUIRE_BUILD = IN_CI


def pytest_addoption(parser):
    parser.addoption(
        "--require-build", action="store_true", default=False,
        help="fail (instead of skip) the site tests when a build is missing; "
             "`make test` passes it after building, and CI=true implies it")


def pytest_configure(config):
    global _REQUIRE_BUILD
    _REQUIRE_BUILD = IN_CI or bool(config.getoption("--require-build", default=False))


def pytest_collection_finish(session):
    """One BLAS/OpenMP/torch thread in the test process (test modules are imported by now).

    The tests multiply small matrices: a second thread only adds synchronisation, and on
    a busy machine (or beside a second pytest-xdist worker) OpenBLAS's and OpenMP's
    threads spin waiting for each other: scikit-learn's BayesianGaussianMixture took
    15 times the CPU time with two threads (29 s against 1.9 s for the 21 fits of
    tests/test_gmm_variational.py). Only this process: notebook kernels and
    subprocesses keep their defaults.
    """
    import sys

    from threadpoolctl import threadpool_limits

    global _THREAD_LIMITS
    _THREAD_LIMITS = threadpool_limits(limits=1)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


_THREAD_LIMITS = None


class _Torch:
    """``torch``, imported at the first attribute a test reads, on one thread.

    The library tests compare with torch's autograd in six files; importing torch
    costs about 3 s, which every pytest-xdist worker paid at collection although only
    the worker running those tests needs it (they share the xdist group ``torch``, so
    that ``make test-lib``'s ``--dist loadgroup`` gives them one worker). Use
    ``torch = lazy_torch()`` at module level and ``torch.<name>`` as usual.
    """

    def __getattr__(self, name):
        if name.startswith("_"):  # pytest's collection probes objects (__test__, ...)
            raise AttributeError(name)
        import sys

        fresh = "torch" not in sys.modules
        import torch

        if fresh and _THREAD_LIMITS is not None:  # as pytest_collection_finish does
            torch.set_num_threads(1)
        return getattr(torch, name)


def lazy_torch() -> _Torch:
    return _Torch()


def marker_for(path: Path, site_fixture_files=frozenset()) -> str:
    """The marker of a test collected from ``path`` (see the module docstring)."""
    path = Path(path)
    if path.suffix == ".ipynb" or (ROOT / "book") in path.parents:
        return "notebook"
    if path.name in SITE_FILES or path in site_fixture_files:
        return "site"
    if path.name in NOTEBOOK_FILES or any(fnmatch(path.name, p) for p in NOTEBOOK_PATTERNS):
        return "notebook"
    return "lib"


def pytest_ignore_collect(collection_path, config):
    """Under ``-m lib`` alone (``make test-lib``), files whose every test is a notebook or
    site test by name are not even imported: their tests would all be deselected, and
    importing them (nbformat, otter, BeautifulSoup, ...) costs the fast loop seconds."""
    path = Path(collection_path)
    if config.getoption("markexpr", "") != "lib" or path.suffix != ".py" \
            or not path.name.startswith("test_") or path.parent != ROOT / "tests":
        return None
    return True if marker_for(path) != "lib" else None


def pytest_collection_modifyitems(config, items):
    site_fixture_files = frozenset(
        item.path for item in items
        if SITE_FIXTURES & set(getattr(item, "fixturenames", ())))
    for item in items:
        if any(item.get_closest_marker(m) is not None for m in MARKERS):
            continue
        item.add_marker(getattr(pytest.mark, marker_for(item.path, site_fixture_files)))
    # A file none of whose tests is a library test must be named in SITE_FILES or
    # NOTEBOOK_FILES: otherwise ``make test-lib`` imports it (and what it imports) only
    # to deselect every test in it.
    files = {item.path for item in items if item.path.parent == ROOT / "tests"}
    with_lib = {item.path for item in items if item.get_closest_marker("lib") is not None}
    unnamed = sorted(path.name for path in files - with_lib if marker_for(path) == "lib")
    if unnamed:
        raise pytest.UsageError(
            f"tests/conftest.py: {', '.join(unnamed)} hold no library test: add them to "
            "SITE_FILES or NOTEBOOK_FILES so that `make test-lib` does not import them")


def require_build(html_dir: Path, command: str) -> Path:
    """Return ``html_dir`` if it holds a build; otherwise skip, or fail where a build is due.

    Skipped (with the command to run) in a plain ``pytest tests``; a failure
    under ``make test`` (``--require-build``, it builds first) and under
    ``CI=true``, so that a missing build is never counted as a pass there.
    """
    if not (html_dir / "index.html").exists():
        message = f"{html_dir} has no index.html: run `{command}` first (make test does)"
        if _REQUIRE_BUILD:
            pytest.fail(message)
        pytest.skip(message)
    return html_dir


@pytest.fixture(scope="session")
def html_dir() -> Path:
    return require_build(HTML, "make book")


def find_chromium() -> str | None:
    """The browser the decks' handouts are printed with (tools/build_slides.py)."""
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    from build_slides import find_chromium as find

    return find()


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


# --- the experiment-reproduction tests (tests/test_*_experiment.py) ------------------
# Each re-runs part of a committed experiment and compares it with the file it wrote:
# the helpers they share. torch is imported only inside them (library tests do not pay it).
EXPERIMENTS = ROOT / "tools" / "experiments"
# torch's CPU kernel sets, narrowest first (``ATEN_CPU_CAPABILITY``).
TORCH_KERNELS = ("DEFAULT", "AVX2", "AVX512")


def load_module(path: Path):
    """The Python file ``path`` imported as a module named after its stem: the
    repository's tools, extensions and experiment scripts are files, not a package."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def experiment_script(name: str):
    """``tools/experiments/<name>.py`` imported as a module (the scripts are no package)."""
    return load_module(EXPERIMENTS / f"{name}.py")


def run_json(args: list[str], *, timeout: float, env: dict | None = None,
             stderr_has: str | None = None, last_line: bool = False) -> dict:
    """Run ``python *args`` in a fresh interpreter (in the repository, ``env`` added to
    the environment) and parse what it prints as JSON (only its last line if
    ``last_line``); a failure shows the end of its stderr."""
    import json
    import sys

    done = subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr[-2000:]
    if stderr_has is not None:
        assert stderr_has in done.stderr, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1] if last_line else done.stdout)


def run_quick(name: str, *, timeout: float, env: dict | None = None, **kw) -> dict:
    """The ``--quick`` configuration of ``tools/experiments/<name>.py``, run in a
    fresh interpreter: what it prints (JSON)."""
    return run_json([str(EXPERIMENTS / f"{name}.py"), "--quick"], timeout=timeout,
                    env=env, **kw)


def torch_kernels() -> list[str]:
    """The kernel sets this CPU can run: torch's own choice and every narrower one
    (what another machine would run)."""
    import torch

    mine = torch.backends.cpu.get_cpu_capability()
    if mine not in TORCH_KERNELS:
        return [mine]
    return list(TORCH_KERNELS[:TORCH_KERNELS.index(mine) + 1])


# A training run in a fresh interpreter under one kernel set: one thread, deterministic
# algorithms; prints the kernel set it ran and the run's accuracy and curve.
_TRAIN_UNDER_KERNEL = """
import json, sys, torch
from mlhwlib.experiments import rnn_recall as rr, rnn_remedies as rm
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
v, T, seed, lr = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
net = rm.build(v, seed, T) if sys.argv[1] == "remedies" else None
run = rr.train(v, T, seed, lr, net=net)
print(json.dumps({"capability": torch.backends.cpu.get_cpu_capability(),
                  "accuracy": float(run["accuracy"]), "curve": [float(c) for c in run["curve"]]}))
"""


def train_under_kernel(kernel: str, variant: str, T: int, seed: int, lr: float, *,
                       remedies: bool = False) -> dict:
    """``rnn_recall.train`` (with ``rnn_remedies.build``'s network if ``remedies``) in a
    fresh interpreter whose torch runs the kernel set ``kernel``: its accuracy and curve."""
    fresh = run_json(["-c", _TRAIN_UNDER_KERNEL, "remedies" if remedies else "recall",
                      variant, str(T), str(seed), repr(lr)], timeout=600, last_line=True,
                     env={"ATEN_CPU_CAPABILITY": kernel.lower()})
    assert fresh["capability"] == kernel
    return fresh


def committed_run(runs: list[dict], **fields) -> dict:
    """The one committed run whose ``fields`` have the given values."""
    (run,) = [r for r in runs if all(r[k] == v for k, v in fields.items())]
    return run


@contextlib.contextmanager
def torch_one_thread():
    """torch on one thread with deterministic algorithms (restored after)."""
    import torch

    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


@pytest.fixture
def one_thread():
    """A test run on one torch thread with deterministic algorithms."""
    with torch_one_thread():
        yield
