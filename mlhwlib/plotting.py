"""One matplotlib style for every figure of the book.

Call :func:`use_book_style` at the top of a chapter; it sets a small, readable,
colour-blind-safe style and a fixed figure size so that pages look alike and
outputs are deterministic (no timestamps in saved metadata).

Figures are stored as 2x PNG ("retina"): twice the pixels of their displayed
size, which the notebook output records as ``width``/``height`` metadata, so
they are sharp on high-density screens and in print while keeping their size
on the page. The PNG carries no date, and savefig's metadata names no software
version, so the bytes depend only on the figure.
"""

from __future__ import annotations

import matplotlib as mpl

__all__ = ["BOOK_COLORS", "use_book_style"]

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
        }
    )
    _inline_retina()


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
