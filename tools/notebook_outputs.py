"""The executed notebooks' outputs in their committed form, in place (``make execute``).

Two steps, each deterministic and idempotent, so re-executing an unchanged notebook
(``make execute`` twice) leaves no diff:

* **Streams joined.** How a cell's printed text is split into stream outputs depends
  on when the kernel flushes, which varies from run to run: every run of consecutive
  same-name streams (stdout, stderr) becomes one. Only the split changes, never the
  text: the result is what nbval and myst-nb show anyway.
* **Figures compact.** Each PNG output (2x "retina", 200 dpi, from
  :mod:`mlhwlib.plotting`) becomes a palette PNG where that changes no pixel
  noticeably and saves a fifth or more: about a quarter of the bytes. The rule is the
  site's (``palette_png`` in ``_ext/site_speed.py``, its one home). The pixel size, the
  density, the display size (the output's ``width``/``height`` metadata) and the alt
  text (the cell's ``mystnb.image.alt`` metadata) are kept. nbval does not compare
  images, so a compacted figure never fails ``make test-notebooks``.

Run after execution::

    python tools/notebook_outputs.py book/*.ipynb
"""

from __future__ import annotations

import base64
import importlib.util
import sys
from functools import lru_cache
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


def coalesce(outputs: list) -> list:
    """Outputs with every run of consecutive same-name streams joined into one."""
    merged: list = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and prev is not None
                and prev.get("output_type") == "stream" and prev.get("name") == out.get("name")):
            prev["text"] = "".join(prev["text"]) + "".join(out["text"])
        else:
            merged.append(out)
    return merged


@lru_cache(maxsize=1)
def _palette_png():
    # _ext/site_speed.py is a Sphinx extension, not a package: loaded from its file
    spec = importlib.util.spec_from_file_location("site_speed", ROOT / "_ext" / "site_speed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.palette_png


def compact_png(b64: str | list) -> str:
    """A notebook's base64 PNG (a string, or nbformat's list of lines) in palette form,
    base64 again; unchanged where the palette would not pay (see ``palette_png``)."""
    text = "".join(b64)
    data = base64.b64decode(text)
    compact = _palette_png()(data)
    return text if compact is data else base64.b64encode(compact).decode("ascii")


def tidy(nb) -> None:
    """Join the streams and compact the figures of every code cell of ``nb``, in place."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = coalesce(cell.outputs)
        for out in cell.outputs:
            data = out.get("data", {})
            if "image/png" in data:
                data["image/png"] = compact_png(data["image/png"])


def main(paths: list[str]) -> int:
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        before = nbformat.writes(nb)
        tidy(nb)
        after = nbformat.writes(nb)
        if after != before:
            path.write_text(after + "\n", encoding="utf-8")
            print(f"outputs tidied (streams joined, figures compacted): {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
