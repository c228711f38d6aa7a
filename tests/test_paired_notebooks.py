"""Each chapter notebook and its MyST Markdown text (jupytext) are in step.

``chapters/<chapter>.md`` is what people edit and review; ``book/<chapter>.ipynb``
carries the executed outputs. ``make sync`` writes the notebooks' sources from the
text (``tools/sync_notebooks.py``), ``make execute`` their outputs. A notebook and
its text that differ in a cell's type, source or metadata (tags, figure caption, alt
text) or in the book's notebook metadata fail here.
"""

from __future__ import annotations

import copy

import nbformat
import pytest
from conftest import ROOT, load_module

NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
TEXTS = sorted((ROOT / "chapters").glob("*.md"))


def _tool():
    return load_module(ROOT / "tools" / "sync_notebooks.py")


def test_every_notebook_has_its_text_and_every_text_its_notebook():
    assert sorted(p.stem for p in NOTEBOOKS) == sorted(p.stem for p in TEXTS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_and_its_text_are_in_step(path):
    tool = _tool()
    text = tool.text_path(path)
    assert text.exists(), f"no {text.relative_to(ROOT)}: python tools/sync_notebooks.py --to-md {path.stem}"
    found = tool.differences(nbformat.read(path, as_version=4), tool.read_text(text))
    assert not found, (f"{path.name} and {text.relative_to(ROOT)} differ: {'; '.join(found)}. "
                       "Edited the text? `make sync` then `make execute`. Edited the notebook? "
                       f"`python tools/sync_notebooks.py --to-md {path.stem}`")


def _small_notebook():
    nb = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python", "pygments_lexer": "ipython3", "version": "3.11.7"},
        "mlhw": {"prose_constants": ["4"]}, "mystnb": {"render_markdown_format": "gfm"}})
    fig = nbformat.v4.new_code_cell("plt.plot([1, 2])", metadata={
        "tags": ["hide-input"], "mystnb": {"figure": {"caption": "A line.", "name": "fig-line"},
                                           "image": {"alt": "A rising straight line."}}},
        outputs=[nbformat.v4.new_output("display_data", data={"text/plain": "<Figure>"})])
    nb.cells = [nbformat.v4.new_markdown_cell("(small)=\n# A chapter\n\nIt is {glue:text}`n` long."),
                nbformat.v4.new_code_cell("from mlhwlib.book import glue\nglue(\"n\", \"4\", display=False)",
                                          outputs=[nbformat.v4.new_output("stream", name="stdout", text="printed by the cell\n")]),
                fig]
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"
    return nb


def test_differences_finds_each_kind_of_change():
    tool = _tool()
    nb = _small_notebook()
    text_nb = tool.jupytext.reads(tool.to_text(nb), tool.FORMAT, config=tool.config())
    assert tool.differences(nb, text_nb) == []

    def changed(edit):
        other = copy.deepcopy(text_nb)
        edit(other)
        return tool.differences(nb, other)

    assert changed(lambda t: setattr(t.cells[0], "source", t.cells[0].source + " More.")) == [
        "cell 0 (cell-0): source"]
    assert changed(lambda t: t.cells[2].metadata["mystnb"]["image"].update(alt="Other.")) == [
        "cell 2 (cell-2): metadata"]
    assert changed(lambda t: t.cells[2].metadata["tags"].clear()) == ["cell 2 (cell-2): metadata"]
    assert changed(lambda t: t.metadata["mlhw"].update(prose_constants=[])) == ["notebook metadata 'mlhw'"]
    assert changed(lambda t: t.cells.pop()) == ["3 cells in the notebook, 2 in the text"]
    assert changed(lambda t: setattr(t.cells[1], "cell_type", "markdown")) == [
        "cell 1 (cell-1): code in the notebook, markdown in the text"]
    # what execution writes (language_info, outputs) and a source's trailing newline are no difference
    other = copy.deepcopy(nb)
    other.metadata["language_info"]["version"] = "3.13.0"
    other.cells[1].outputs = []
    other.cells[2].source += "\n"
    assert tool.differences(other, text_nb) == []


def test_text_holds_what_the_book_needs():
    """The Markdown carries the glue roles, tags, captions, alt text and the book's
    notebook metadata, and not what execution writes."""
    tool = _tool()
    text = tool.to_text(_small_notebook())
    for needed in ("{glue:text}`n`", "hide-input", "fig-line", "A rising straight line.",
                   "prose_constants", "render_markdown_format", "kernelspec", "```{code-cell}"):
        assert needed in text, needed
    assert "language_info" not in text and "3.11.7" not in text and "printed by the cell" not in text


def test_sync_from_text_keeps_ids_and_outputs_of_unchanged_cells(tmp_path, monkeypatch):
    tool = _tool()
    monkeypatch.setattr(tool, "NOTEBOOKS", tmp_path / "book")
    monkeypatch.setattr(tool, "TEXTS", tmp_path / "chapters")
    (tmp_path / "book").mkdir()
    nb = _small_notebook()
    notebook = tmp_path / "book" / "small.ipynb"
    notebook.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    assert tool.notebook_to_md(notebook)
    assert not tool.notebook_to_md(notebook)            # written only when it changes
    text = tool.text_path(notebook)
    assert not tool.md_to_notebook(text)                # in step: the notebook is not touched
    # an edit of the prose and a new cell, in the text
    edited = text.read_text(encoding="utf-8").replace("It is", "It is now").replace(
        "```{code-cell} ipython3\n---\nmystnb", "```{code-cell} ipython3\nx = 1\n```\n\n```{code-cell} ipython3\n---\nmystnb")
    text.write_text(edited, encoding="utf-8")
    assert tool.md_to_notebook(text)
    after = nbformat.read(notebook, as_version=4)
    assert [c.id for c in after.cells][:2] == ["cell-0", "cell-1"] and after.cells[3].id == "cell-2"
    assert after.cells[2].source == "x = 1" and after.cells[2].outputs == []
    assert after.cells[0].source.endswith("It is now {glue:text}`n` long.")
    assert after.cells[1].outputs == nb.cells[1].outputs and after.cells[3].outputs == nb.cells[2].outputs
    assert after.cells[3].metadata == nb.cells[2].metadata
    assert after.metadata == nb.metadata                # language_info kept, no jupytext key
    assert tool.differences(after, tool.read_text(text)) == []
    assert tool.main(["--check", "small"]) == 0
