"""mlhwlib.plotting: the book's style, and the check that a drawn figure has no
overlapping tick labels and no legend over its data (``figure_overlaps``, run on
every figure pyplot makes under the style)."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.ticker import NullFormatter, ScalarFormatter

from mlhwlib.plotting import FigureLayoutWarning, figure_overlaps, use_book_style

K = [2, 4, 8, 16, 32]
SECONDS = [0.10, 0.16, 0.22, 0.44, 0.75]


@pytest.fixture(autouse=True)
def _close_figures():
    with matplotlib.rc_context():
        yield
    plt.close("all")


def _log_k_panel():
    """The performance appendix's K panel before its fix: a log axis over 2..32 whose
    automatic minor labels (2x10^0, 3x10^0, ...) run into each other at this width."""
    fig, ax = plt.subplots(figsize=(4.5, 3.6))
    ax.loglog(K, SECONDS, "o-")
    return fig, ax


def test_overlapping_tick_labels_are_found():
    fig, _ = _log_k_panel()
    found = figure_overlaps(fig)
    assert found and all("x tick labels" in f for f in found), found


def test_plain_tick_labels_at_the_data_are_not():
    fig, ax = _log_k_panel()
    ax.set_xticks(K)
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    assert figure_overlaps(fig) == []


def test_overlap_is_decided_on_the_drawn_boxes():
    """Independent of the check: the same collision, measured directly."""
    fig, ax = plt.subplots(figsize=(1.5, 1.5))
    ax.set_xticks(np.arange(10))
    ax.set_xticklabels([f"label {i}" for i in range(10)])
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in ax.get_xticklabels()]
    assert boxes[0].x1 > boxes[1].x0  # they do collide
    assert any("'label 0' and 'label 1'" in f for f in figure_overlaps(fig))


def test_legend_over_data_is_found_and_beside_it_is_not():
    x = np.linspace(0, 1, 50)
    fig, ax = plt.subplots(figsize=(3, 3))
    ax.plot(x, np.full_like(x, 0.95), label="a line near the top")
    ax.plot(x, x, label="the diagonal")
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left")
    found = figure_overlaps(fig)
    assert len(found) == 1 and "legend covers" in found[0], found
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    assert figure_overlaps(fig) == []


def test_scatter_under_the_legend_is_found():
    rng = np.random.default_rng(0)
    fig, ax = plt.subplots(figsize=(3, 3))
    ax.scatter(rng.uniform(size=400), rng.uniform(size=400), label="points")
    ax.legend(loc="center")
    assert any("legend covers" in f for f in figure_overlaps(fig))


def test_the_book_style_warns_when_a_figure_is_drawn():
    use_book_style()
    fig, ax = plt.subplots(figsize=(4.5, 3.6))
    ax.loglog(K, SECONDS, "o-")
    with pytest.warns(FigureLayoutWarning, match="x tick labels"):
        fig.savefig(_null(), format="png")
    # a clean figure draws without a warning
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="y = x")
    ax.legend(loc="upper left")
    with warnings.catch_warnings():
        warnings.simplefilter("error", FigureLayoutWarning)
        fig.savefig(_null(), format="png")


def _null():
    import io

    return io.BytesIO()
