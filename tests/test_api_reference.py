"""The API reference appendix (``book/api.md``, Sphinx autodoc + napoleon).

* every public name of :mod:`mlhwlib` -- each module's ``__all__``, and the
  public methods of its classes -- has an entry (an anchor ``id="mlhwlib..."``)
  in the built ``_build/html/book/api.html``, and every module is on the page;
* a stale back-link -- a docstring's ``:ref:`` to a label that no page defines
  -- fails a nitpicky build with warnings as errors (``-n -W``, as ``make book``
  runs it); the same tiny project with the label defined builds. It runs
  Sphinx with the book's own autodoc settings (``_ext/api_reference.py``) on a
  temporary project, in a few seconds.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
import textwrap

import pytest
from bs4 import BeautifulSoup
from conftest import HTML, ROOT, require_build

import mlhwlib


def public_modules():
    yield mlhwlib
    for info in pkgutil.iter_modules(mlhwlib.__path__):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"mlhwlib.{info.name}")


def public_names() -> list[str]:
    """Dotted names of every ``__all__`` entry and of its classes' public methods."""
    names = []
    for mod in public_modules():
        assert hasattr(mod, "__all__"), f"{mod.__name__} has no __all__"
        for name in mod.__all__:
            obj = getattr(mod, name)
            names.append(f"{mod.__name__}.{name}")
            if inspect.isclass(obj):
                names += [f"{mod.__name__}.{name}.{m}" for m, v in vars(obj).items()
                          if not m.startswith("_") and inspect.isfunction(v)]
    return names


@pytest.fixture(scope="module")
def api_anchors() -> set[str]:
    page = require_build(HTML, "make book") / "book" / "api.html"
    assert page.exists(), f"{page} missing: is book/api in _toc.yml?"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return {tag["id"] for tag in soup.select("dt.sig[id]")}


def test_the_enumeration_is_not_empty():
    names = public_names()
    assert len(names) > 50 and "mlhwlib.gmm.GaussianMixture.fit" in names


@pytest.mark.parametrize("name", public_names())
def test_every_public_name_is_in_the_api_reference(api_anchors, name):
    assert name in api_anchors, f"{name} has no entry in book/api (add its module to book/api.md)"


def test_the_api_reference_lists_nothing_private(api_anchors):
    private = sorted(a for a in api_anchors if any(p.startswith("_") and not p.startswith("__")
                                                     for p in a.split(".")))
    assert not private, f"private names in the API reference: {private}"


# ----------------------------------------------------- stale back-links fail
CONF = """
import sys
sys.path.insert(0, {ext!r})
sys.path.insert(0, {src!r})
extensions = ["myst_parser", "api_reference"]
nitpicky = True
root_doc = "index"
"""
MODULE = '''
"""A module whose docstring links back to the text that derives it."""

__all__ = ["derived"]


def derived(x):
    """Twice ``x``.

    Derived in :ref:`{target}`.

    Parameters
    ----------
    x : float
        Any number.

    Returns
    -------
    float
        ``2 x``.
    """
    return 2 * x
'''
INDEX = """# The chapter

(chapter-derivation)=
## The derivation

```{eval-rst}
.. automodule:: stale_demo
   :members:
```
"""


def _build(tmp_path, target: str) -> subprocess.CompletedProcess:
    src = tmp_path / target
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "stale_demo.py").write_text(textwrap.dedent(MODULE.format(target=target)))
    (src / "index.md").write_text(INDEX)
    (src / "conf.py").write_text(CONF.format(ext=str(ROOT / "_ext"), src=str(src / "pkg")))
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-n", "-W", "-q", "-E",
         str(src), str(src / "_build")],
        capture_output=True, text=True, timeout=300, cwd=src)


def test_a_stale_back_link_fails_the_build_and_a_live_one_passes(tmp_path):
    live = _build(tmp_path, "chapter-derivation")
    assert live.returncode == 0, f"the control build failed:\n{live.stderr[-3000:]}"
    stale = _build(tmp_path, "chapter-no-such-section")
    assert stale.returncode != 0, "a :ref: to a missing label did not fail the -n -W build"
    assert "undefined label" in stale.stderr and "chapter-no-such-section" in stale.stderr, \
        stale.stderr[-3000:]


# ------------------------------------- the API page links back to the chapters
BACKLINK_CONF = """
import sys
sys.path.insert(0, {ext!r})
sys.path.insert(0, {src!r})
extensions = ["myst_parser", "api_reference", "api_backlinks"]
nitpicky = True
root_doc = "index"
mlhw_api_doc = "book/reference"
"""
BACKLINK_MODULE = '''
"""Two documented functions and a class."""

__all__ = ["derived", "Thing", "unused"]


def derived(x):
    """Twice ``x``."""
    return 2 * x


class Thing:
    """A thing."""


def unused():
    """No chapter names this one."""
'''
BACKLINK_INDEX = """# The book

```{toctree}
book/chap
book/reference
```
"""
BACKLINK_CHAPTER = """# The chapter

Prose before any subsection names {{py:func}}`backlink_demo.derived`.

(chap-derivation)=
## The derivation

It is {{py:func}}`backlink_demo.derived`, {{py:func}}`~backlink_demo.derived` again, and {{py:class}}`backlink_demo.Thing`.
{extra}
"""
BACKLINK_API = """# API

The API page's own reference {py:func}`backlink_demo.unused` is not a back-link.

```{eval-rst}
.. automodule:: backlink_demo
   :members:
```
"""


def _backlink_build(src, extra=""):
    (src / "book").mkdir(parents=True, exist_ok=True)
    (src / "pkg").mkdir(exist_ok=True)
    (src / "pkg" / "backlink_demo.py").write_text(textwrap.dedent(BACKLINK_MODULE))
    (src / "index.md").write_text(BACKLINK_INDEX)
    (src / "book" / "chap.md").write_text(BACKLINK_CHAPTER.format(extra=extra))
    (src / "book" / "reference.md").write_text(BACKLINK_API)
    (src / "conf.py").write_text(BACKLINK_CONF.format(ext=str(ROOT / "_ext"), src=str(src / "pkg")))
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-n", "-W", "-q",
         str(src), str(src / "_build")], capture_output=True, text=True, timeout=300, cwd=src)
    assert done.returncode == 0, done.stderr[-3000:]
    soup = BeautifulSoup((src / "_build" / "book" / "reference.html").read_text(encoding="utf-8"),
                         "html.parser")
    lines = {}
    for dt in soup.select("dt.sig[id]"):
        line = dt.find_next_sibling("dd").select_one("p.mlhw-derived-in")
        lines[dt["id"]] = ([(a["href"], a.get_text()) for a in line.select("a")]
                           if line else None)
    return lines, soup


def test_api_entries_link_back_to_the_sections_that_refer_to_them(tmp_path):
    lines, soup = _backlink_build(tmp_path)
    # each section once, however often it names the object; the page's own section too
    assert lines["backlink_demo.derived"] == [("chap.html", "The chapter"),
                                     ("chap.html#the-derivation", "The derivation")]
    assert lines["backlink_demo.Thing"] == [("chap.html#the-derivation", "The derivation")]
    # named on the API page only: no line
    assert lines["backlink_demo.unused"] is None
    # sphinx.ext.viewcode: the source of each object, on a page of the site
    assert soup.select('a[href$="_modules/backlink_demo.html#derived"]')
    assert (tmp_path / "_build" / "_modules" / "backlink_demo.html").exists()
    # an incremental build after a chapter changed writes the API page again
    lines, _ = _backlink_build(tmp_path, extra="\n## Later\n\nAnd {py:func}`backlink_demo.unused`.\n")
    assert lines["backlink_demo.unused"] == [("chap.html#later", "Later")]


PY_ROLE = re.compile(r"\{py:(?:func|class|meth|data|attr|exc|obj)\}`~?([^`<]*?)(?:\s*<([^>]*)>)?`")


def chapter_role_targets() -> set[str]:
    """The objects the chapters' prose names with a Python role, ``{py:func}`...```."""
    targets = set()
    for path in sorted((ROOT / "book").glob("*.ipynb")) + sorted((ROOT / "book").rglob("*.md")):
        if path.name == "api.md":
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            import json
            text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"]
                             if c["cell_type"] == "markdown")
        for title, target in PY_ROLE.findall(text):
            targets.add((target or title).strip().lstrip("~"))
    return targets


def test_api_entries_link_back_to_the_chapters_that_name_them(api_anchors):
    """Every object a chapter names with a ``{py:...}`` role has an "In the chapters:"
    line on the API page (``_ext/api_backlinks.py``); with no role, nothing to check."""
    soup = BeautifulSoup((HTML / "book" / "api.html").read_text(encoding="utf-8"), "html.parser")
    linked = {}
    for dt in soup.select("dt.sig[id]"):
        line = dt.find_next_sibling("dd").select_one("p.mlhw-derived-in")
        if line is not None:
            linked[dt["id"]] = [a["href"] for a in line.select("a[href]")]
    targets = {t for t in chapter_role_targets() if t in api_anchors}
    missing = sorted(t for t in targets if not linked.get(t))
    assert not missing, f"named in a chapter but not linked back from book/api: {missing}"
    assert len(linked) >= len(targets)
    assert all(href.split("#")[0].endswith(".html") for hrefs in linked.values() for href in hrefs)


def test_api_entries_link_to_their_source(api_anchors):
    """sphinx.ext.viewcode: an entry links to its highlighted source, a page of the site."""
    soup = BeautifulSoup((HTML / "book" / "api.html").read_text(encoding="utf-8"), "html.parser")
    sources = {a["href"] for a in soup.select('dt.sig a[href*="_modules/"]')}
    assert len(sources) > 20, f"only {len(sources)} [source] links on book/api"
    for href in sorted({h.split("#")[0] for h in sources}):
        assert (HTML / "book" / href).resolve().is_file(), f"{href} (from book/api) missing"
