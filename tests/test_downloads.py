"""What a student downloads runs anywhere: the clean notebooks and ``mlhw-notebooks.zip``.

Both editions (the instructor site ``_build/html`` and the student site) publish,
after ``make book`` / ``make book-student`` (``tools/build_notebooks.py``):
``notebooks/<chapter>.ipynb``, ``mlhw-notebooks.zip`` and the ``mlhwlib`` wheel.

* **Runs from the zip alone** (the acceptance test): in a temporary folder outside
  the repository, a fresh venv is made from the zip's ``requirements.txt`` and
  wheel, exactly as its README says (pip's cache may be reused), and every bundled
  notebook of both editions is executed there with nbclient, with the working
  directory outside the repository and the repository on no path. The two zips
  carry the same wheel and requirements byte for byte (asserted), so one venv
  serves both. PyTorch is not installed there: the chapters' cross-checks against
  it must skip with their one line, and every other cell must run.
* **Renders in plain Jupyter**: no MyST syntax is left (directives, roles,
  targets, comments, ``{glue}``), and every formula converts with MathJax 3, what
  JupyterLab ships, *without* the book's macros (an undefined ``\\macro`` is an
  error there: ``tests/tex_check.mjs``).
* **The wheel** imports from the fresh venv and its docstring examples pass there.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from conftest import HTML, ROOT, STUDENT_HTML, load_module, require_build

sys.path.insert(0, str(ROOT / "tools"))
from myst_to_slides import _parser

CHAPTERS = sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))
EDITIONS = {"instructor": HTML, "student": STUDENT_HTML}
BUNDLE = "mlhw-notebooks"  # the zip's name on each site
FOLDER = {"instructor": "mlhw-notebooks", "student": "mlhw-notebooks-student"}  # its top folder
NO_TORCH = "PyTorch not installed: this check ran when the book was built"
TORCH_CHAPTERS = {"lstm_trace", "bptt", "em_elbo_kl"}


def site(edition: str) -> Path:
    return require_build(EDITIONS[edition],
                         "make book" if edition == "instructor" else "make book-student")


@functools.cache
def bundle_files(edition: str) -> dict[str, bytes]:
    with zipfile.ZipFile(site(edition) / f"{BUNDLE}.zip") as zf:
        return {name: zf.read(name) for name in zf.namelist()}


@functools.cache
def bundled_notebooks(edition: str) -> dict[str, nbformat.NotebookNode]:
    files = bundle_files(edition)
    return {Path(name).stem: nbformat.reads(data.decode(), as_version=4)
            for name, data in files.items() if name.endswith(".ipynb")}


# --- what the bundle holds -----------------------------------------------------------

@pytest.mark.parametrize("edition", EDITIONS)
def test_bundle_holds_every_notebook_the_wheel_and_instructions(edition):
    files = bundle_files(edition)
    names = set(files)
    top = FOLDER[edition]
    assert {n.split("/")[0] for n in names} == {top}
    assert {f"{top}/notebooks/{c}.ipynb" for c in CHAPTERS} <= names
    for licence in ("LICENSE", "LICENSE-text.md"):
        assert files[f"{top}/{licence}"] == (ROOT / licence).read_bytes(), licence
    wheels = [n for n in names if n.endswith(".whl")]
    assert len(wheels) == 1, wheels
    wheel = Path(wheels[0]).name
    requirements = files[f"{top}/requirements.txt"].decode()
    lines = [line.strip() for line in requirements.splitlines()
             if line.strip() and not line.startswith("#")]
    assert f"./{wheel}" in lines
    assert any(line.startswith("jupyterlab") for line in lines)
    assert not any(re.match(r"torch\b", line) for line in lines), "torch must stay optional"
    assert not any("==" in line for line in lines), f"ranges, not pins: {lines}"
    readme = files[f"{top}/README.md"].decode()
    assert "CC BY-SA 4.0" in readme and "MIT" in readme
    for command in ("python3 -m venv .venv", ".venv/bin/pip install -r requirements.txt",
                    ".venv/bin/jupyter lab"):
        assert command in readme, command
    # the site publishes the same notebooks one by one, and the wheel at its root
    for chapter in CHAPTERS:
        published = site(edition) / "notebooks" / f"{chapter}.ipynb"
        assert published.read_bytes() == files[f"{top}/notebooks/{chapter}.ipynb"]
        header = "".join(json.loads(published.read_text())["cells"][0]["source"])
        assert "CC BY-SA 4.0" in header and "%pip install" in header, chapter
    assert (site(edition) / wheel).read_bytes() == files[f"{top}/{wheel}"]


def test_both_editions_bundle_the_same_wheel_and_requirements():
    a, b = bundle_files("instructor"), bundle_files("student")
    shared = [n for n in a if not n.startswith(f"{FOLDER['instructor']}/notebooks/") and
              not n.endswith("README.md")]
    same = [n.replace(FOLDER["instructor"], FOLDER["student"], 1) for n in shared]
    assert shared and all(a[n] == b.get(m) for n, m in zip(shared, same)), shared


def test_student_notebooks_have_no_solutions_and_instructor_ones_do():
    for chapter in CHAPTERS:
        teacher = bundled_notebooks("instructor")[chapter]
        student = bundled_notebooks("student")[chapter]
        assert student.metadata["mlhw"]["edition"] == "student"
        text = json.dumps(student.cells)
        assert "Solution to " not in text, chapter
        if chapter not in ("matrix_calculus", "performance"):  # chapters with exercises
            assert "Solution to " in json.dumps(teacher.cells), chapter
            assert "**Exercise" in text, chapter
        assert len(student.cells) <= len(teacher.cells)


def _gated_solution_code(chapter: str) -> list[str]:
    """The code cells between {solution-start} and {solution-end} in a chapter's source."""
    from myst_to_slides import outside_solutions

    nb = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
    hidden, code = False, []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            _, hidden = outside_solutions(cell.source, hidden)
        elif hidden and cell.cell_type == "code":
            code.append(cell.source)
    return code


def test_solution_code_is_in_the_instructor_notebooks_only():
    total = 0
    for chapter in CHAPTERS:
        solutions = _gated_solution_code(chapter)
        total += len(solutions)
        teacher = {c.source for c in bundled_notebooks("instructor")[chapter].cells}
        student = {c.source for c in bundled_notebooks("student")[chapter].cells}
        assert all(code in teacher for code in solutions), chapter
        assert not any(code in student for code in solutions), chapter
    assert total >= 10, total  # the chapters do have solutions with code


# --- plain Jupyter renders it --------------------------------------------------------

def _markdown_texts(nb) -> list[tuple[str, str]]:
    """(where, markdown) of every markdown cell and markdown output."""
    out = []
    for k, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            out.append((f"cell {k}", cell.source))
        for o in cell.get("outputs", []):
            if "text/markdown" in o.get("data", {}):
                out.append((f"cell {k} output", o["data"]["text/markdown"]))
    return out


def _walk(tokens):
    for tok in tokens:
        yield tok
        yield from _walk(tok.children or [])


MYST_TOKENS = {"myst_role", "myst_target", "myst_line_comment", "myst_block_break",
               "front_matter"}


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_myst_syntax_is_left(edition):
    problems = []
    for chapter, nb in bundled_notebooks(edition).items():
        # a glue role left in what Jupyter renders: in Markdown it is a myst_role token
        # (below; a role quoted in a code span is prose about roles, and text a cell
        # *prints* is shown as it is: the language model's samples imitate the book's roles)
        for cell in nb.cells:
            for o in cell.get("outputs", []):
                if any("{glue" in str(v) for k, v in o.get("data", {}).items()
                       if k in ("text/html", "text/latex")):
                    problems.append(f"{chapter}: '{{glue' in an html/latex output")
        for where, text in _markdown_texts(nb):
            for tok in _walk(_parser().parse(text, {})):
                if tok.type in MYST_TOKENS:
                    problems.append(f"{chapter} {where}: {tok.type} {tok.content[:60]!r}")
                elif tok.type in ("fence", "colon_fence") and tok.info.strip().startswith("{"):
                    problems.append(f"{chapter} {where}: directive {tok.info.strip()!r}")
        for cell in nb.cells:
            if cell.cell_type == "code" and re.search(r"^\s*(from|import) myst_nb\b",
                                                      cell.source, re.M):
                problems.append(f"{chapter}: imports myst_nb")
    assert not problems, "\n".join(problems[:30])


@pytest.mark.parametrize("edition", EDITIONS)
def test_blocks_stay_apart_and_environments_balance(edition):
    """Each proof and each solution starts a paragraph of its own (a block quote on the
    line after another merges into it), and no TeX environment is opened or closed twice."""
    problems, titles = [], 0
    for chapter, nb in bundled_notebooks(edition).items():
        for where, text in _markdown_texts(nb):
            starts = {tok.content.split("\n")[0] for tok in _walk(_parser().parse(text, {}))
                      if tok.type == "inline"}
            for title in re.findall(r"\*\*(?:Proof\.|Solution to [^*]*)\*\*", text):
                titles += 1
                if not any(line.startswith(title) for line in starts):
                    problems.append(f"{chapter} {where}: {title} inside another paragraph")
            for env in set(re.findall(r"\\begin\{([^}]+)\}", text)):
                if text.count(f"\\begin{{{env}}}") != text.count(f"\\end{{{env}}}"):
                    problems.append(f"{chapter} {where}: \\begin/\\end{{{env}}} unbalanced")
    assert titles > 20, titles
    assert not problems, "\n".join(problems[:30])


def _formulas(nb, chapter: str) -> list[dict]:
    found = []
    for where, text in _markdown_texts(nb):
        for tok in _walk(_parser().parse(text, {})):
            if tok.type in ("math_inline", "math_inline_double", "math_block",
                            "math_block_label"):
                found.append({"where": f"{chapter} {where}", "tex": tok.content,
                              "display": tok.type != "math_inline"})
            elif tok.type == "amsmath":
                found.append({"where": f"{chapter} {where}", "tex": tok.content,
                              "display": True})
    for k, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []):
            if "text/latex" in o.get("data", {}):
                found.append({"where": f"{chapter} cell {k} latex output",
                              "tex": o["data"]["text/latex"].strip().strip("$"),
                              "display": True})
    return found


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_formula_renders_without_the_books_macros(edition, tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed") if os.environ.get("CI") != "true" else \
            pytest.fail("node is required")
    formulas = [f for chapter, nb in bundled_notebooks(edition).items()
                for f in _formulas(nb, chapter)]
    assert len(formulas) > 1000, len(formulas)  # the check is not vacuous
    # the book's own macros are really used in the sources: expansion is what passes
    sources = "".join((ROOT / "book" / f"{c}.ipynb").read_text() for c in CHAPTERS)
    assert sources.count("\\\\bx") + sources.count("\\\\btheta") > 50
    data = tmp_path / "formulas.json"
    data.write_text(json.dumps(formulas), encoding="utf-8")
    done = subprocess.run([node, str(ROOT / "tests" / "tex_check.mjs"), str(data)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["checked"] == len(formulas)
    errors = [f"{e['where']}: {e['error']} in {e['tex'][:80]!r}" for e in report["errors"]]
    assert not errors, f"{len(errors)} formulas do not render:\n" + "\n".join(errors[:30])


def test_the_macro_check_catches_an_undefined_macro(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    data = tmp_path / "f.json"
    data.write_text(json.dumps([{"where": "x", "tex": "\\bx + \\mathbf{x}", "display": False},
                                {"where": "y", "tex": "\\boldsymbol{\\mu}_k", "display": True}]))
    done = subprocess.run([node, str(ROOT / "tests" / "tex_check.mjs"), str(data)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    report = json.loads(done.stdout)
    assert [e["where"] for e in report["errors"]] == ["x"]


@pytest.mark.parametrize("edition", EDITIONS)
def test_links_point_to_pages_and_anchors_of_the_site(edition):
    html = site(edition)
    link = re.compile(r"\]\(([^)\s]+)\)")
    problems, checked = [], 0
    for chapter, nb in bundled_notebooks(edition).items():
        base = html / "notebooks"
        for where, text in _markdown_texts(nb):
            for url in link.findall(text):
                parts = urlsplit(url)
                if parts.scheme:
                    continue
                target = (base / unquote(parts.path)).resolve()
                checked += 1
                if not target.is_file():
                    problems.append(f"{chapter} {where}: {url} (no such page)")
                elif parts.fragment and f'id="{parts.fragment}"' not in target.read_text():
                    problems.append(f"{chapter} {where}: {url} (no such anchor)")
    assert checked > 200, checked
    assert not problems, "\n".join(problems[:30])


# --- a fresh venv from the zip alone ----------------------------------------------

DRIVER = textwrap.dedent('''
    """Run in the fresh venv: execute notebooks with nbclient, two at a time."""
    import json, sys, traceback
    from concurrent.futures import ProcessPoolExecutor
    from pathlib import Path


    def run(path):
        import nbformat
        from nbclient import NotebookClient
        nb = nbformat.read(path, as_version=4)
        try:
            NotebookClient(nb, timeout=300, kernel_name="python3",
                           resources={"metadata": {"path": str(Path(path).parent)}}).execute()
        except Exception:
            return {"path": path, "error": traceback.format_exc()[-3000:]}
        text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
        return {"path": path, "error": None, "stdout": text}


    if __name__ == "__main__":
        paths = sys.argv[1:]
        with ProcessPoolExecutor(max_workers=2) as pool:
            print(json.dumps(list(pool.map(run, paths))))
''')

PROBE = textwrap.dedent('''
    import importlib.util, json, sys
    import mlhwlib, mlhwlib.gmm, mlhwlib.adaboost, mlhwlib.lstm, mlhwlib.bptt, mlhwlib.em
    print(json.dumps({"mlhwlib": mlhwlib.__file__, "version": mlhwlib.__version__,
                      "torch": importlib.util.find_spec("torch") is not None,
                      "myst_nb": importlib.util.find_spec("myst_nb") is not None,
                      "path": sys.path}))
''')

DOCTESTS = textwrap.dedent('''
    import doctest, importlib, json, pkgutil
    import mlhwlib
    tried = failed = 0
    for info in pkgutil.walk_packages(mlhwlib.__path__, "mlhwlib."):
        module = importlib.import_module(info.name)
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
        tried += result.attempted
        failed += result.failed
    print(json.dumps({"attempted": tried, "failed": failed}))
''')


def _clean_env(home: Path, venv: Path) -> dict[str, str]:
    """The environment of a student's shell: no repository on any path, and Jupyter's
    own folders inside the temporary home (no kernel registered elsewhere is used)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "JUPYTER", "VIRTUAL_ENV", "MLHW", "IPYTHON"))}
    env.update({"HOME": str(home), "PATH": f"{venv / 'bin'}:{env.get('PATH', '')}",
                "JUPYTER_PATH": str(venv / "share" / "jupyter"),
                "JUPYTER_DATA_DIR": str(home / "jupyter-data"),
                "JUPYTER_CONFIG_DIR": str(home / "jupyter-config"),
                "IPYTHONDIR": str(home / "ipython"), "MPLCONFIGDIR": str(home / "mpl"),
                "PYTHONNOUSERSITE": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    env.pop("PIP_REQUIRE_VIRTUALENV", None)
    return env


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory):
    """The instructor zip unpacked in a temporary folder, and a venv made there with the
    README's commands (python3 -m venv .venv; .venv/bin/pip install -r requirements.txt)."""
    where = tmp_path_factory.mktemp("student-machine")
    assert ROOT not in where.parents
    with zipfile.ZipFile(site("instructor") / f"{BUNDLE}.zip") as zf:
        zf.extractall(where)
    folder = where / FOLDER["instructor"]
    home = where / "home"
    home.mkdir()
    venv = folder / ".venv"
    env = _clean_env(home, venv)
    env["HOME"] = os.environ.get("HOME", str(home))  # pip's cache may be reused
    base_python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base_python, "-m", "venv", ".venv"], cwd=folder, check=True, env=env)
    done = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "-r",
                           "requirements.txt"], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    return folder, venv, _clean_env(home, venv)


def _run(venv: Path, env: dict, cwd: Path, code: str, *args: str) -> str:
    done = subprocess.run([str(venv / "bin" / "python"), "-c", code, *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_wheel_imports_from_the_fresh_venv_without_the_repository(fresh_venv):
    folder, venv, env = fresh_venv
    probe = json.loads(_run(venv, env, folder, PROBE))
    assert Path(probe["mlhwlib"]).is_relative_to(venv), probe["mlhwlib"]
    assert not any(str(ROOT) in p for p in probe["path"] if p), probe["path"]
    assert not probe["torch"], "the bundle must not install PyTorch"
    assert not probe["myst_nb"], "the bundle must not need myst-nb"


def test_wheel_doctests_pass_from_the_fresh_venv(fresh_venv):
    folder, venv, env = fresh_venv
    report = json.loads(_run(venv, env, folder, DOCTESTS))
    assert report["attempted"] >= 20 and report["failed"] == 0, report


def test_every_bundled_notebook_of_both_editions_runs_in_the_fresh_venv(fresh_venv):
    folder, venv, env = fresh_venv
    student = folder.parent / "student"
    with zipfile.ZipFile(site("student") / f"{BUNDLE}.zip") as zf:
        zf.extractall(student)
    paths = sorted((folder / "notebooks").glob("*.ipynb")) + sorted(
        (student / FOLDER["student"] / "notebooks").glob("*.ipynb"))
    assert len(paths) == 2 * len(CHAPTERS)
    (folder / "run_notebooks.py").write_text(DRIVER, encoding="utf-8")
    done = subprocess.run([str(venv / "bin" / "python"), "run_notebooks.py",
                           *map(str, paths)], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=3600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    failed = [f"{r['path']}:\n{r['error']}" for r in results if r["error"]]
    assert not failed, "\n\n".join(failed)
    for r in results:  # PyTorch is absent: its cross-checks say so and skip
        chapter = Path(r["path"]).stem
        assert (NO_TORCH in r["stdout"]) == (chapter in TORCH_CHAPTERS), chapter


# --- the site offers them -----------------------------------------------------------

@pytest.mark.parametrize("edition", EDITIONS)
def test_every_page_offers_the_downloads_version_and_date(edition):
    from bs4 import BeautifulSoup

    import mlhwlib

    def part(text: str, start: str, end: str) -> BeautifulSoup:
        """Only the piece of a (long) page that is checked, parsed."""
        i = text.find(start)
        return BeautifulSoup(text[i:text.index(end, i) + len(end)] if i >= 0 else "",
                             "html.parser")

    html = site(edition)
    pages = sorted((html / "book").glob("*.html"))
    assert len(pages) >= 10
    for page in pages:
        text = page.read_text(encoding="utf-8")
        header = part(text, '<div class="article-header-buttons">', "</ul>")
        menu = {a.get_text(strip=True): a["href"]
                for a in header.select(".dropdown-download-buttons a[href]")}
        hrefs = set(menu.values())
        assert "../mlhw-notebooks.zip" in hrefs, (page.name, menu)
        if page.stem in CHAPTERS:
            assert f"../notebooks/{page.stem}.ipynb" in hrefs, (page.name, menu)
            note = part(text, '<p class="mlhw-run-yourself">', "</p>").p
            assert note is not None, page.name
            links = {a["href"] for a in note.find_all("a")}
            assert {f"../notebooks/{page.stem}.ipynb", "../mlhw-notebooks.zip"} <= links
            assert "jupyter lab" in note.get_text()
        if os.environ.get("MLHW_PDF") or (html / "mlhw-book.pdf").exists():
            assert "../mlhw-book.pdf" in hrefs, (page.name, menu)
        footer = part(text, '<p class="mlhw-version">', "</p>").p
        assert footer is not None and re.fullmatch(
            rf"Version {re.escape(mlhwlib.__version__)}, built \d{{4}}-\d{{2}}-\d{{2}}\.",
            footer.get_text(strip=True)), page.name
        # the theme's own downloads (MyST sources, with solutions) are gone
        assert "_sources/" not in str(header)


def _extension():
    return load_module(ROOT / "_ext" / "downloads.py")


def test_the_issue_button_reports_an_erratum():
    from types import SimpleNamespace

    ext = _extension()
    issue = {"type": "link", "label": "source-issues-button", "text": "",
             "url": "https://github.com/o/r/issues/new?title=Issue%20on%20page%20%2Fbook/x.html",
             "tooltip": "Open an issue"}
    context = {"header_buttons": [issue], "pathto": lambda p, k=0: "../"}
    app = SimpleNamespace(srcdir=str(ROOT), config=SimpleNamespace(mlhw_pdf=""))
    ext._downloads(app, "book/errata", "page.html", context, None)
    assert issue["tooltip"] == "Report an erratum or a problem on this page"
    assert "title=Erratum%20on%20page" in issue["url"]
    group = context["header_buttons"][0]
    assert group["label"] == "download-buttons"
    assert [b["url"] for b in group["buttons"]] == ["../mlhw-notebooks.zip"]


def test_repository_buttons_follow_the_repository_setting():
    from types import SimpleNamespace

    ext = _extension()
    for url, shown in [("", False), ("https://github.com/o/r", True)]:
        config = SimpleNamespace(html_theme_options={"repository_url": url})
        ext._configure(None, config)
        options = config.html_theme_options
        assert options["use_issues_button"] is shown
        assert options["use_repository_button"] is shown
        assert options["use_download_button"] is False
