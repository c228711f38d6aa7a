"""Keep each chapter notebook and its MyST Markdown text in step (jupytext).

``book/<chapter>.ipynb`` is paired with ``chapters/<chapter>.md`` (``jupytext.toml``):
the Markdown is what people edit and review; the notebook carries the executed
outputs the book shows. Three modes::

    python tools/sync_notebooks.py            # chapters/*.md -> book/*.ipynb (sources)
    python tools/sync_notebooks.py --to-md    # book/*.ipynb -> chapters/*.md
    python tools/sync_notebooks.py --check    # exit 1 if a pair differs

Markdown to notebook replaces the notebook's cells' sources, types and metadata and its
metadata (kernel, ``mlhw``, ``mystnb``) with the Markdown's, and keeps the outputs and
cell ids of the cells jupytext matches (a new or rewritten cell gets a new id and no
outputs: run ``make execute`` next). Names of chapters (``gmm_em``) restrict any mode to them.
A file is written only when it changes.
"""

from __future__ import annotations

import argparse
import sys
from functools import lru_cache
from pathlib import Path

import jupytext
import nbformat
from jupytext.combine import combine_inputs_with_outputs
from jupytext.config import load_jupytext_configuration_file

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "book"
TEXTS = ROOT / "chapters"
FORMAT = "md:myst"
#: the notebook metadata the text carries (jupytext.toml's notebook_metadata_filter)
BOOK_METADATA = ("kernelspec", "mlhw", "mystnb")


@lru_cache(maxsize=1)
def config():
    return load_jupytext_configuration_file(str(ROOT / "jupytext.toml"))


def text_path(notebook: Path) -> Path:
    return TEXTS / (notebook.stem + ".md")


def notebook_path(text: Path) -> Path:
    return NOTEBOOKS / (text.stem + ".ipynb")


def to_text(nb) -> str:
    """The MyST Markdown of a notebook, as jupytext writes it under jupytext.toml."""
    return jupytext.writes(nb, FORMAT, config=config())


def read_text(path: Path):
    """The notebook (sources, no outputs) a chapter's Markdown describes."""
    return jupytext.read(path, fmt=FORMAT, config=config())


def differences(nb, text_nb) -> list[str]:
    """What differs between a notebook and its Markdown's notebook: cell count, types,
    sources, cell metadata and the book's notebook metadata; empty when in step.
    Sources are compared through the notebook's own Markdown, so what the text cannot
    hold (a trailing newline of a cell's source) is no difference."""
    own = jupytext.reads(to_text(nb), FORMAT, config=config())
    found = []
    for key in BOOK_METADATA:
        if nb.metadata.get(key) != text_nb.metadata.get(key):
            found.append(f"notebook metadata {key!r}")
    if len(nb.cells) != len(text_nb.cells):
        found.append(f"{len(nb.cells)} cells in the notebook, {len(text_nb.cells)} in the text")
    for i, (cell, a, b) in enumerate(zip(nb.cells, own.cells, text_nb.cells)):
        where = f"cell {i} ({cell.get('id', '?')})"
        if cell.cell_type != b.cell_type:
            found.append(f"{where}: {cell.cell_type} in the notebook, {b.cell_type} in the text")
        elif a.source != b.source:
            found.append(f"{where}: source")
        elif cell.metadata != b.metadata:
            found.append(f"{where}: metadata")
    return found


def md_to_notebook(text: Path) -> bool:
    """Write the notebook's sources from its Markdown; True if the notebook changed."""
    target = notebook_path(text)
    source = read_text(text)
    if target.exists():
        old = nbformat.read(target, as_version=4)
        before = nbformat.writes(old)
        nb = combine_inputs_with_outputs(source, nbformat.read(target, as_version=4), fmt=FORMAT)
    else:
        before, nb = None, source
    nb.metadata.pop("jupytext", None)
    nbformat.validate(nb)
    after = nbformat.writes(nb)
    if after == before:
        return False
    target.write_text(after + "\n", encoding="utf-8")
    return True


def notebook_to_md(notebook: Path) -> bool:
    """Write a notebook's Markdown; True if the Markdown changed."""
    target = text_path(notebook)
    text = to_text(nbformat.read(notebook, as_version=4))
    if target.exists() and target.read_text(encoding="utf-8") == text:
        return False
    target.parent.mkdir(exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--to-md", action="store_true", help="write chapters/*.md from book/*.ipynb")
    mode.add_argument("--check", action="store_true", help="exit 1 if a notebook and its text differ")
    parser.add_argument("chapters", nargs="*", help="chapter names (default: every chapter)")
    args = parser.parse_args(argv)
    names = set(args.chapters)
    pick = (lambda p: not names or p.stem in names)
    if args.to_md:
        for notebook in filter(pick, sorted(NOTEBOOKS.glob("*.ipynb"))):
            if notebook_to_md(notebook):
                print(f"written: {text_path(notebook).relative_to(ROOT)}")
        return 0
    texts = list(filter(pick, sorted(TEXTS.glob("*.md"))))
    if args.check:
        status = 0
        for notebook in filter(pick, sorted(NOTEBOOKS.glob("*.ipynb"))):
            if not text_path(notebook).exists():
                print(f"{notebook.relative_to(ROOT)}: no {text_path(notebook).relative_to(ROOT)}")
                status = 1
        for text in texts:
            if not notebook_path(text).exists():
                print(f"{text.relative_to(ROOT)}: no notebook")
                status = 1
                continue
            found = differences(nbformat.read(notebook_path(text), as_version=4), read_text(text))
            if found:
                print(f"{text.relative_to(ROOT)} and its notebook differ: " + "; ".join(found))
                status = 1
        return status
    for text in texts:
        if md_to_notebook(text):
            print(f"sources written: {notebook_path(text).relative_to(ROOT)} (now `make execute`)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
