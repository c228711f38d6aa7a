"""One matplotlib style for every figure of the book.

Call :func:`use_book_style` at the top of a chapter; it sets a small, readable,
colour-blind-safe style and a fixed figure size so that pages look alike and
outputs are deterministic (no timestamps in saved metadata).

Figures are stored as 2x PNG ("retina"): twice the pixels of their displayed
size, which the notebook output records as ``width``/``height`` metadata, so
they are sharp on high-density screens and in print while keeping their size
on the page. The PNG carries no date, and savefig's metadata names no software
version, so the bytes depend only on the figure.

Every figure pyplot makes under this style is checked when it is drawn
(:func:`figure_overlaps`): tick labels of one axis that run into each other, or a
legend drawn over the data, raise a :class:`FigureLayoutWarning`, which a notebook
shows under the figure (and which ``nbval`` then reports as a changed output).
"""

from __future__ import annotations

import itertools
import re
import warnings

import matplotlib as mpl
import numpy as np

__all__ = ["BOOK_COLORS", "FigureLayoutWarning", "figure_overlaps", "use_book_style"]

#: Okabe–Ito colour-blind-safe palette, in the order the book uses it.
BOOK_COLORS = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)


def use_book_style() -> None:
    """Apply the book's matplotlib style (idempotent)."""
    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 3.6),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.prop_cycle": mpl.cycler(color=BOOK_COLORS),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 10,
            "axes.titlesize": 11,
            "legend.frameon": False,
            "lines.linewidth": 1.8,
            "svg.hashsalt": "mlhw-book",
            "figure.hooks": ["mlhwlib.plotting:_watch"],
        }
    )
    _inline_retina()


class FigureLayoutWarning(UserWarning):
    """A drawn figure has overlapping tick labels or a legend over its data."""


# Boxes closer than this (in pixels at 100 dpi) do not count as overlapping: the
# extent of a text includes a little blank space around its glyphs.
_SLACK_PX = 1.0
# Points interpolated on each segment of a line when looking for data under a legend.
_POINTS_PER_SEGMENT = 20


def _shrunk(box, px):
    return box.padded(-px)


def _text(label) -> str:
    """A tick label as it reads: ``$\\mathdefault{10^{3}}$`` -> ``10^{3}``."""
    text = label.get_text().strip()
    text = re.sub(r"\\mathdefault\{(.*)\}", r"\1", text)
    return text.strip("$")


def _tick_labels(axis):
    lo, hi = sorted(axis.get_view_interval())
    tol = 1e-9 * max(abs(lo), abs(hi), 1.0)
    for tick in itertools.chain(axis.get_major_ticks(), axis.get_minor_ticks()):
        label = tick.label1
        if (label.get_visible() and label.get_text().strip()
                and lo - tol <= tick.get_loc() <= hi + tol):
            yield label


def _data_points(ax):
    """Display coordinates of the data drawn in ``ax``: lines (with points along their
    segments) and the offsets of scatter plots."""
    chunks = []
    for line in ax.get_lines():
        if not line.get_visible():
            continue
        xy = np.asarray(line.get_transform().transform(line.get_xydata()), dtype=float)
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        if len(xy) > 1 and line.get_linestyle() not in ("None", "", " "):
            t = np.linspace(0.0, 1.0, _POINTS_PER_SEGMENT, endpoint=False)[:, None, None]
            xy = np.concatenate([(xy[:-1] + t * (xy[1:] - xy[:-1])).reshape(-1, 2), xy[-1:]])
        chunks.append(xy)
    for coll in ax.collections:
        offsets = np.asarray(coll.get_offsets(), dtype=float)
        if coll.get_visible() and offsets.ndim == 2 and len(offsets):
            chunks.append(coll.get_offset_transform().transform(offsets))
    if not chunks:
        return np.empty((0, 2))
    xy = np.concatenate(chunks)
    inside = ax.get_window_extent()
    keep = ((xy[:, 0] >= inside.x0) & (xy[:, 0] <= inside.x1)
            & (xy[:, 1] >= inside.y0) & (xy[:, 1] <= inside.y1))
    return xy[keep]


def figure_overlaps(fig, renderer=None) -> list[str]:
    """What collides in a drawn figure: tick labels of one axis that overlap, and a
    legend drawn over the data of its axes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure; it is drawn first unless ``renderer`` is given.
    renderer : matplotlib renderer, optional
        The renderer of a draw that has just happened (as in a ``draw_event``).

    Returns
    -------
    list of str
        One sentence per collision; empty when nothing collides.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(2, 2))
    >>> _ = ax.plot([0, 1], [0, 1], label="y = x")
    >>> _ = ax.legend(loc="upper left")
    >>> figure_overlaps(fig)
    []
    >>> plt.close(fig)
    """
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if renderer is None:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
    slack = _SLACK_PX * fig.dpi / 100.0
    found = []
    for number, ax in enumerate(fig.axes, start=1):
        if not ax.get_visible():
            continue
        name = f"axes {number}" + (f" ({ax.get_title()!r})" if ax.get_title() else "")
        for which, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            boxes = [(_text(label), _shrunk(label.get_window_extent(renderer), slack))
                     for label in _tick_labels(axis)]
            for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
                if box_a.overlaps(box_b):
                    found.append(f"{name}: {which} tick labels {a!r} and {b!r} overlap")
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            box = _shrunk(legend.get_window_extent(renderer), slack)
            xy = _data_points(ax)
            under = ((xy[:, 0] > box.x0) & (xy[:, 0] < box.x1)
                     & (xy[:, 1] > box.y0) & (xy[:, 1] < box.y1))
            if under.any():
                found.append(f"{name}: the legend covers {int(under.sum())} points of the data")
    return found


def _watch(fig) -> None:
    """pyplot's figure hook (rcParams["figure.hooks"]): check the figure when drawn."""
    reported = set()

    def check(event):
        for problem in figure_overlaps(fig, event.renderer):
            if problem not in reported:
                reported.add(problem)
                warnings.warn(problem, FigureLayoutWarning, stacklevel=2)
    fig.canvas.mpl_connect("draw_event", check)


def _inline_retina() -> None:
    """In a Jupyter kernel, store figures as 2x PNG without a software stamp."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the kernel
        return
    shell = get_ipython()
    if shell is None or "IPKernelApp" not in getattr(shell, "config", {}):
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    # metadata={"Software": None} drops matplotlib's version from the PNG text chunk
    set_matplotlib_formats("retina", metadata={"Software": None})
