"""The two recurrent chapters share one notation, the one book/notation.md lists.

Checked mechanically, in the mathematics of the markdown cells of book/bptt.ipynb and
book/lstm_trace.ipynb (the errata sections, which quote the sources in their own
notation, are left out):

* the scalar RNN's input weight is w_x (the course's w_i names the input gate's
  weights \\bw_i of the LSTM);
* the derivative of the loss with respect to the state is \\bar h_t (g is the LSTM's
  cell-input activation; g_t is retired);
* the diagonal of tanh slopes is S_t and the LSTM's block dc_t/dh_(t-1) is Q_t
  (D_t is the boosting weight of notation.md);
* the GRU's update gate is u, never z (z is a pre-activation);
* a vector is bold: a formula with an elementwise product, a diagonal matrix or a
  gradient of the state writes no italic state with a time index;

and notation.md lists these symbols, the glossary writes vectors bold, and the slides'
formulas for the BPTT deck use w_x.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT

CHAPTERS = ("bptt", "lstm_trace")
MATH = re.compile(r"\$\$.*?\$\$|\$[^$]*\$", re.S)
DECLARATION = "The course writes $w_i$ for the input weight."
NOTATION = (ROOT / "book" / "notation.md").read_text(encoding="utf-8")


def own_markdown(name: str) -> list[str]:
    """The chapter's markdown cells, without the errata section (quotations)."""
    nb = json.loads((ROOT / "book" / f"{name}.ipynb").read_text(encoding="utf-8"))
    cells, quoting = [], False
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        if re.search(r"^## What the source notes got wrong", text, re.M):
            quoting = True
        if re.search(r"^## Summary", text, re.M):
            quoting = False
        if not quoting:
            # the one sentence that names the course's symbol, to retire it
            cells.append(text.replace(DECLARATION, ""))
    return cells


def math_of(cells: list[str]) -> list[str]:
    return [m for text in cells for m in MATH.findall(text)]


RETIRED = {
    # the scalar RNN's input weight as the course writes it (not the bold \bw_i)
    "w_i": re.compile(r"(?<![\\A-Za-z])w_i\b"),
    # dL/dh_t as g_t (g is the LSTM's cell-input activation)
    "g_t": re.compile(r"(?<![\\A-Za-z])g_(\{|[0-9A-Za-z])"),
    # the diagonal of slopes / the LSTM's block as D_t (the boosting weight)
    "D_t": re.compile(r"(?<![\\A-Za-z])D_(\{|[0-9A-Za-z])"),
    # the GRU's update gate as z
    "z gate": re.compile(r"z\s*\\odot|\\odot\s*z\b|\(1\s*-\s*z\)|\(r,\s*z,\s*n\)"),
}
# an italic state, gate or memory with a time index (a component h_{t,j} is italic;
# \mathbf{h}_t and \mathbf h_t are bold)
ITALIC_VECTOR = re.compile(
    r"(?<![\\A-Za-z_{])(?<!\\mathbf\{)(?<!\\mathbf )[hcfiournmxa]_(t|s|T|k|0|\{t-1\}|\{t\+1\}|\{t-2\})(?![A-Za-z0-9,])")
VECTOR_CONTEXT = re.compile(r"\\odot|\\diag|\\nabla_")


@pytest.fixture(scope="module", params=CHAPTERS)
def chapter_math(request):
    return request.param, math_of(own_markdown(request.param))


def test_the_chapters_are_read(chapter_math):
    # guards the checks below against a reader that finds nothing
    name, math = chapter_math
    assert len(math) > 100, name


@pytest.mark.parametrize("symbol", sorted(RETIRED))
def test_retired_symbols_are_gone(chapter_math, symbol):
    name, math = chapter_math
    hits = [m for m in math if RETIRED[symbol].search(m)]
    assert not hits, (name, symbol, hits[:5])


def test_vectors_are_bold(chapter_math):
    name, math = chapter_math
    hits = [m for m in math if VECTOR_CONTEXT.search(m) and ITALIC_VECTOR.search(m)]
    assert not hits, (name, hits[:5])


@pytest.mark.parametrize("text, retired", [
    (r"$h_t = \tanh(w_i x_t + w_h h_{t-1})$", "w_i"),
    (r"$g_{t-1} = g_t s_t w_h$", "g_t"),
    (r"$D_t = \diag(1 - h_t^2)$", "D_t"),
    (r"$h' = (1 - z)\odot n + z\odot h$", "z gate"),
])
def test_the_patterns_catch_the_old_notation(text, retired):
    # the old notation of the chapters, as committed before the change
    assert RETIRED[retired].search(text)


def test_the_patterns_spare_the_new_notation():
    new = (r"$h_t = \tanh(w_x x_t + w_h h_{t-1})$ $\bar h_{t-1} = \bar h_t s_t w_h$ "
           r"$z_i = \bw_i^\top \bx_t + b_i$ $S_t = \diag(1 - \mathbf{h}_t^2)$ "
           r"$\mathbf{h}' = (1 - \mathbf{u})\odot \mathbf{n} + \mathbf{u}\odot \mathbf{h}$ "
           r"$g(z_t)$ $\sigma(z_{f,t})$")
    for name, pattern in RETIRED.items():
        assert not pattern.search(new), name
    vector = r"$\diag(\mathbf{f}_t) + Q_t\,\diag(\mathbf{o}_{t-1}\odot(1 - \tanh^2 \mathbf{c}_{t-1}))$"
    assert not ITALIC_VECTOR.search(vector)
    assert ITALIC_VECTOR.search(r"$\diag(f_t) + D_t$")


def test_the_errata_keep_the_sources_notation():
    # the quotations are left out above, not rewritten: the erratum still quotes w_i
    nb = (ROOT / "book" / "bptt.ipynb").read_text(encoding="utf-8")
    assert r"\\sech^2(w_i x_2 + w_h h_1)" in nb
    assert "The course writes $w_i$ for the input weight" in nb


@pytest.mark.parametrize("symbol", [
    r"$w_x$", r"$\bar h_t = \partial L/\partial h_t$", r"$S_t = \diag(1 - \mathbf{h}_t^2)$",
    r"$Q_t$", r"$\mathbf{u}_t$", r"$g$, $\phi$", r"$D_t(i)$"])
def test_notation_lists_the_symbols(symbol):
    assert symbol in NOTATION, symbol


def test_notation_names_the_code_keyword():
    # the library keeps the course's name: the page says how the two correspond
    rnn = NOTATION.split("## Recurrent networks", 1)[1]
    assert "`w_i`" in rnn and "`grad_w_i`" in rnn and "`grad_h[t]`" in rnn


def test_the_new_symbols_are_used_in_the_chapters():
    bptt = "".join(own_markdown("bptt"))
    lstm = "".join(own_markdown("lstm_trace"))
    assert "w_x" in bptt and "w_x" in lstm
    assert r"\bar h_t" in bptt and r"\bar{\mathbf{h}}_t" in bptt
    assert r"S_t = \diag(1 - \mathbf{h}_t^2)" in bptt
    assert "Q_t" in lstm and r"\mathbf{u}_t" in lstm


def test_the_glossary_writes_vectors_bold():
    glossary = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    math = MATH.findall(glossary)
    hits = [m for m in math if (VECTOR_CONTEXT.search(m) or r"\|" in m)
            and ITALIC_VECTOR.search(m)]
    assert not hits, hits
    assert r"\partial \mathbf{h}_T/\partial \mathbf{h}_k" in glossary


def test_the_slides_use_the_chapters_notation():
    for deck in ("bptt", "lstm_trace"):
        text = (ROOT / "lectures" / f"{deck}.yml").read_text(encoding="utf-8")
        assert not re.search(r"(?<![\\A-Za-z])w_i\b", text), deck
        assert not RETIRED["g_t"].search(text) and not RETIRED["D_t"].search(text), deck


def test_notation_says_which_matrix_is_the_input_one_in_each_function():
    # two conventions meet in mlhwlib.lstm: lstm_cell takes the LSTM chapter's W (input)
    # and U (recurrent), vector_lstm_bptt / vector_gru_bptt take vector_rnn_bptt's and
    # PyTorch's U (weight_ih) and W (weight_hh). The notation page must say which is which,
    # and what it says must match the functions' documented shapes.
    import inspect

    from mlhwlib import lstm

    rnn = re.sub(r"\s+", " ", NOTATION.split("## Recurrent networks", 1)[1])
    assert "lstm_cell(x, h, c, W, U, b)`" in rnn
    assert "`U` is `weight_ih_l0`" in rnn and "`W` is `weight_hh_l0`" in rnn
    assert list(inspect.signature(lstm.lstm_cell).parameters)[3:5] == ["W", "U"]
    assert "W : array_like, shape (4H, d)" in lstm.lstm_cell.__doc__  # input
    for func, k in ((lstm.vector_lstm_bptt, 4), (lstm.vector_gru_bptt, 3)):
        assert list(inspect.signature(func).parameters)[2:4] == ["U", "W"]
        assert f"U : array_like, shape ({k}H, d)" in func.__doc__  # input
        assert f"W : array_like, shape ({k}H, H)" in func.__doc__  # recurrent
    # the LSTM chapter says the same where the library's arguments appear
    lstm_text = re.sub(r"\s+", " ", " ".join(own_markdown("lstm_trace")))
    assert "`U` is PyTorch's `weight_ih_l0`" in lstm_text
