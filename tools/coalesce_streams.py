"""Merge consecutive stream outputs (stdout, stderr) of each code cell, in place.

How a cell's printed text is split into stream outputs depends on when the kernel
flushes, which varies from run to run: without this step, re-executing an unchanged
notebook (``make execute``) can change the file. Run after execution::

    python tools/coalesce_streams.py book/*.ipynb

Only the split changes, never the text: the result is what nbval and myst-nb show anyway.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat


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


def main(paths: list[str]) -> int:
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        before = nbformat.writes(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = coalesce(cell.outputs)
        after = nbformat.writes(nb)
        if after != before:
            path.write_text(after + "\n", encoding="utf-8")
            print(f"coalesced streams: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
