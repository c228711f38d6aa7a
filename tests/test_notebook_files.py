"""The committed notebooks as files: re-executing an unchanged notebook leaves no diff,
and the figures are stored compactly without losing their 2x resolution or alt text.

A kernel flushes printed text at times that vary from run to run, so the same
output arrives as one stream or as several; ``make execute`` joins them and
stores each figure as a palette PNG (``tools/notebook_outputs.py``). These tests
check that the committed notebooks are in that form, that the joining never
changes the text and that the compaction keeps every figure's pixels, density
and alt text.
"""

from __future__ import annotations

import base64
import io

import nbformat
import numpy as np
import pytest
from conftest import ROOT, load_module
from PIL import Image

NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
# Size budget of the figures (PNG bytes), after compaction: the largest is about 100 kB
# (adaboost's 1421 x 1375 grid), a whole chapter's about 400 kB (true colour: 520 kB and 1.6 MB).
FIGURE_BUDGET = 150_000
CHAPTER_FIGURES_BUDGET = 600_000


def _tool():
    return load_module(ROOT / "tools" / "notebook_outputs.py")


def _stream(name, text):
    return nbformat.v4.new_output("stream", name=name, text=text)


def _figures(path):
    """(cell, output, PNG bytes) of every PNG output of a notebook."""
    nb = nbformat.read(path, as_version=4)
    return [(cell, out, base64.b64decode("".join(out["data"]["image/png"])))
            for cell in nb.cells if cell.cell_type == "code"
            for out in cell.outputs if "image/png" in out.get("data", {})]


def _png(mode="RGBA"):
    """A small figure as matplotlib writes it for the book (2x: 200 dpi, true colour)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3.0, 1.8))
    x = np.linspace(0, 6, 200)
    ax.plot(x, np.sin(x), label="sin")
    ax.plot(x, np.cos(x), "--", label="cos")
    ax.legend()
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=200, metadata={"Software": None})
    plt.close(fig)
    if mode == "RGBA":
        return out.getvalue()
    with Image.open(out) as image:
        again = io.BytesIO()
        image.convert(mode).save(again, "PNG", dpi=(200, 200))
    return again.getvalue()


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


def test_compact_png_keeps_pixels_size_and_density_and_is_idempotent():
    data = _png()
    b64 = base64.b64encode(data).decode("ascii")
    compact = _tool().compact_png(b64)
    out = base64.b64decode(compact)
    assert len(out) < 0.8 * len(data)
    with Image.open(io.BytesIO(data)) as a, Image.open(io.BytesIO(out)) as b:
        assert b.mode == "P" and b.size == a.size
        assert b.info["dpi"] == pytest.approx(a.info["dpi"], abs=0.01)
        error = np.abs(np.asarray(b.convert("RGBA"), dtype=float) - np.asarray(a.convert("RGBA"))).mean()
        assert error < 2.0
    assert _tool().compact_png(compact) == compact
    # nbformat's list-of-lines form is read too
    assert _tool().compact_png([b64[:50], b64[50:]]) == compact


def test_compact_png_leaves_transparent_and_non_rgb_images_alone():
    tool = _tool()
    for data in (_png(mode="L"), _png(mode="P")):
        b64 = base64.b64encode(data).decode("ascii")
        assert tool.compact_png(b64) == b64
    pixels = np.full((40, 60, 4), 200, dtype=np.uint8)
    pixels[:5, :5, 3] = 0
    out = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(out, "PNG")
    b64 = base64.b64encode(out.getvalue()).decode("ascii")
    assert tool.compact_png(b64) == b64


def test_tidy_twice_changes_nothing():
    b64 = base64.b64encode(_png()).decode("ascii")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        _stream("stdout", "a\n"), _stream("stdout", "b\n"),
        nbformat.v4.new_output("display_data", data={"image/png": b64, "text/plain": "<Figure>"},
                               metadata={"image/png": {"width": 150, "height": 60}})])])
    tool = _tool()
    tool.tidy(nb)
    once = nbformat.writes(nb)
    out = nb.cells[0].outputs
    assert [o["output_type"] for o in out] == ["stream", "display_data"]
    assert out[1]["data"]["image/png"] != b64
    assert out[1]["metadata"] == {"image/png": {"width": 150, "height": 60}}
    tool.tidy(nb)
    assert nbformat.writes(nb) == once


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_has_no_split_streams(path):
    nb = nbformat.read(path, as_version=4)
    split = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             for a, b in zip(cell.outputs, cell.outputs[1:])
             if a.output_type == b.output_type == "stream" and a.name == b.name]
    assert not split, (f"{path.name}: cells {sorted(set(split))} hold split streams; "
                       "run `python tools/notebook_outputs.py` on it (make execute does)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_figures_are_compact_2x_and_have_alt_text(path):
    palette_png = _tool()._palette_png()
    total = 0
    for cell, out, data in _figures(path):
        where = f"{path.name}, cell {cell.id}"
        with Image.open(io.BytesIO(data)) as image:
            mode, (w, h), dpi = image.mode, image.size, image.info.get("dpi")
        # 2x ("retina"): twice the pixels of the displayed size, at 200 dpi (the PDF's size)
        shown = out.get("metadata", {}).get("image/png", {})
        assert (shown.get("width"), shown.get("height")) == (w // 2, h // 2), where
        assert dpi is not None and dpi == pytest.approx((200, 200), abs=0.01), where
        assert mode == "P" or palette_png(data) is data, (
            f"{where}: a true-colour figure; run `python tools/notebook_outputs.py {path.relative_to(ROOT)}` "
            "(make execute does)")
        assert len(data) <= FIGURE_BUDGET, f"{where}: {len(data)} bytes"
        alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt", "")
        assert len(alt.split()) >= 5, f"{where}: a figure without alt text (mystnb.image.alt)"
        total += len(data)
    assert total <= CHAPTER_FIGURES_BUDGET, f"{path.name}: figures of {total} bytes"
