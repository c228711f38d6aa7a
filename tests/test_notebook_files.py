"""The committed notebooks as files: re-executing an unchanged notebook leaves no diff.

A kernel flushes printed text at times that vary from run to run, so the same
output arrives as one stream or as several; ``make execute`` joins them
(``tools/coalesce_streams.py``) and these tests check that the committed
notebooks are in that form and that the joining never changes the text.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))


def _tool():
    spec = importlib.util.spec_from_file_location("coalesce_streams", ROOT / "tools" / "coalesce_streams.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _stream(name, text):
    return nbformat.v4.new_output("stream", name=name, text=text)


def test_coalesce_joins_runs_of_one_stream_and_keeps_the_rest_in_order():
    outs = [_stream("stdout", "a\n"), _stream("stdout", ["b\n", "c"]), _stream("stderr", "w\n"),
            _stream("stdout", "d\n"), nbformat.v4.new_output("display_data", data={"text/plain": "x"}),
            _stream("stdout", "e\n"), _stream("stdout", "f\n")]
    got = _tool().coalesce(outs)
    assert [(o["output_type"], o.get("name"), o.get("text")) for o in got] == [
        ("stream", "stdout", "a\nb\nc"), ("stream", "stderr", "w\n"), ("stream", "stdout", "d\n"),
        ("display_data", None, None), ("stream", "stdout", "e\nf\n")]
    # idempotent
    assert _tool().coalesce(got) == got


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_has_no_split_streams(path):
    nb = nbformat.read(path, as_version=4)
    split = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             for a, b in zip(cell.outputs, cell.outputs[1:])
             if a.output_type == b.output_type == "stream" and a.name == b.name]
    assert not split, (f"{path.name}: cells {sorted(set(split))} hold split streams; "
                       "run `python tools/coalesce_streams.py` on it (make execute does)")
