"""``mlhwlib.book``: what lets a chapter run outside the repository.

* :func:`mlhwlib.book.result` reads the committed results shipped in
  ``mlhwlib/data`` (compared here with the files read directly);
* :func:`mlhwlib.book.glue` is myst-nb's ``glue`` where myst-nb is installed and a
  plain display (or nothing, for ``display=False``) where it is not;
* :func:`mlhwlib.book.torch_available` prints one line and returns False where
  PyTorch cannot be imported.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from mlhwlib import book

DATA = Path(__file__).resolve().parent.parent / "mlhwlib" / "data"


def test_every_shipped_result_reads_as_the_file_says():
    names = book.result_names()
    on_disk = sorted(p.name for p in DATA.iterdir() if p.suffix in (".json", ".md"))
    assert names == on_disk and len(names) >= 6
    for name in names:
        text = (DATA / name).read_text(encoding="utf-8")
        expected = json.loads(text) if name.endswith(".json") else text
        assert book.result(name) == expected, name


def test_running_time_is_the_shipped_record_rounded_up():
    record = json.loads((DATA / "results_build.json").read_text(encoding="utf-8"))
    seconds = record["notebooks_s"]["bptt.ipynb"]
    whole = int(seconds) + (seconds > int(seconds))
    assert book.running_time("bptt") == f"{whole} s on {record['machine']['cores']} cores"


def test_glue_uses_myst_nb_when_it_is_installed(monkeypatch):
    import myst_nb

    calls = []
    monkeypatch.setattr(myst_nb, "glue", lambda *a: calls.append(a))
    book.glue("x", 1.5, display=False)
    assert calls == [("x", 1.5, False)]


def test_glue_without_myst_nb_displays_or_does_nothing(monkeypatch, capsys):
    import IPython.display

    monkeypatch.setitem(sys.modules, "myst_nb", None)  # import myst_nb -> ImportError
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda v: shown.append(v))
    book.glue("x", 2.5, display=False)
    assert shown == [] and capsys.readouterr().out == ""
    book.glue("y", "text", display=True)
    assert shown == ["text"]


def test_torch_available_prints_one_line_where_torch_is_missing(monkeypatch, capsys):
    assert book.torch_available() is (importlib.util.find_spec("torch") is not None)
    assert capsys.readouterr().out == ""
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else real(name, *a))
    assert book.torch_available() is False
    assert capsys.readouterr().out == book.NO_TORCH + "\n"
    assert "pip install torch" in book.NO_TORCH


def test_the_experiment_module_imports_without_torch(monkeypatch):
    """mlhwlib.experiments.rnn_recall loads PyTorch only when a function runs."""
    import mlhwlib.experiments.rnn_recall as rr

    monkeypatch.setitem(sys.modules, "torch", None)
    fresh = importlib.util.module_from_spec(importlib.util.find_spec(rr.__name__))
    fresh.__spec__.loader.exec_module(fresh)
    assert fresh.K_SYM == rr.K_SYM and "LSTM, bias 3" in fresh.VARIANTS
    fresh._recall_class.cache_clear()
    with pytest.raises(ImportError, match="needs PyTorch: pip install torch"):
        fresh.build("RNN", 0)


def _table_cells(markdown):
    # an independent reading of the table: markdown-it-py's GFM table rule
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("gfm-like").parse(markdown)
    rows, row, aligns = [], None, []
    for tok in tokens:
        if tok.type == "tr_open":
            row = []
        elif tok.type == "th_open":
            aligns.append((tok.attrGet("style") or "").removeprefix("text-align:"))
        elif tok.type == "inline" and row is not None:
            row.append(tok.content)
        elif tok.type == "tr_close":
            rows.append(row)
            row = None
    return rows, aligns


def test_markdown_table_reads_back_cell_by_cell():
    rows = [[1, "0.2500", "$|x|$"], [2, "0.1111", "a b"]]
    text = book.markdown_table(rows, ["round", "$D_{t+1}$", "norm"], align=["right", "center", "left"])
    cells, aligns = _table_cells(text)
    assert cells[0] == ["round", "$D_{t+1}$", "norm"]
    assert cells[1:] == [["1", "0.2500", "$|x|$"], ["2", "0.1111", "a b"]]   # "|" escaped, one cell
    assert aligns == ["right", "center", "left"]


def test_markdown_table_rejects_ragged_rows_and_bad_alignment():
    with pytest.raises(ValueError, match="rows\\[1\\] has 1 cells"):
        book.markdown_table([["a", "b"], ["c"]], ["h1", "h2"])
    with pytest.raises(ValueError, match="align"):
        book.markdown_table([["a"]], ["h"], align=["middle"])
