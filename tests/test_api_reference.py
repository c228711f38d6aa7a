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
