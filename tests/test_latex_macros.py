"""The book's TeX macros are written once (``mathjax3_config`` in ``_config.yml``).

The PDF's definitions and bookmark texts are generated from that list by
``_ext/latex_book.py``; these tests check the generated LaTeX against the list and
that nobody defines a macro by hand again in the LaTeX preamble.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
import latex_book  # noqa: E402

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["sphinx"]["config"]
MACROS = CONFIG["mathjax3_config"]["tex"]["macros"]


def test_every_macro_is_defined_once_for_latex():
    tex = latex_book.latex_macro_definitions(MACROS)
    defined = re.findall(r"\\newcommand\{\\([A-Za-z]+)\}", tex)
    assert sorted(defined) == sorted(MACROS)
    for name, value in MACROS.items():
        nargs = value[1] if isinstance(value, list) else 0
        line = next(ln for ln in tex.splitlines() if ln.startswith(f"\\newcommand{{\\{name}}}"))
        assert (f"[{nargs}]" in line) == bool(nargs), line
        body = value[0] if isinstance(value, list) else value
        if name not in latex_book.LATEX_BODY:
            assert body in line, f"{name}: LaTeX body differs from MathJax's: {line}"


def test_zero_argument_macros_are_one_group_except_operators():
    # p_\btheta must subscript the whole bold theta, as in MathJax; an operator keeps its limits
    tex = latex_book.latex_macro_definitions(MACROS)
    assert "\\newcommand{\\btheta}{{\\boldsymbol{\\theta}}}" in tex
    assert "\\newcommand{\\argmax}{\\operatorname*{arg\\,max}}" in tex


def test_bookmarks_have_a_plain_form_of_every_zero_argument_macro():
    tex = latex_book.latex_macro_definitions(MACROS)
    plain = dict(re.findall(r"\\def\\([A-Za-z]+)(?:#1#2)?\{([^}]*)\}", tex))
    for name in MACROS:
        assert name in plain, f"no bookmark text for \\{name}"
        assert plain[name].isascii() and "\\" not in plain[name]
    assert plain["btheta"] == "theta" and plain["argmax"] == "arg max" and plain["KL"] == "KL(#1||#2)"
    # the Python side (\\texorpdfstring of headings) reads the same list
    assert latex_book._macro_bookmark_text(MACROS)["bSigma"] == "Σ"


def test_the_preamble_defines_no_book_macro_by_hand():
    preamble = CONFIG["latex_elements"]["preamble"]
    by_hand = [n for n in MACROS if re.search(rf"\\(?:newcommand|DeclareMathOperator\*?)\{{\\{n}\}}", preamble)]
    assert not by_hand, f"defined by hand in _config.yml's LaTeX preamble: {by_hand}"
