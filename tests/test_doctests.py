"""Every example in mlhwlib's docstrings runs and prints what it shows (doctest).

One test per module; a module whose docstrings have no example still runs (and
passes), but the library as a whole must have examples, so that this test
cannot pass by finding none. Option flags as in ``pyproject.toml``
(``doctest_optionflags``): whitespace-insensitive, ``...`` allowed.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import mlhwlib

MODULES = ["mlhwlib"] + [f"mlhwlib.{m.name}" for m in pkgutil.iter_modules(mlhwlib.__path__)
                         if not m.name.startswith("_")]
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _examples(module) -> list[doctest.DocTest]:
    return [t for t in doctest.DocTestFinder().find(module) if t.examples]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = []
    for test in _examples(module):
        runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)


def test_the_library_has_examples():
    counts = {name: sum(len(t.examples) for t in _examples(importlib.import_module(name)))
              for name in MODULES}
    assert sum(counts.values()) >= 20, counts
