"""Helpers the chapters use to keep their printed outputs portable and their prose checked.

These are not part of the mathematics: they enforce the book's two rules for
committed outputs (see the README, "What the tests cover").

* **A comparison prints the tolerance it meets, never the round-off.**
  :func:`check_close` asserts ``max |a - b| <= atol + rtol * |b|`` and returns
  the sentence "agree to within 1e-12" (the tolerance, not the error), so the
  output is the same on every CPU.
* **Numbers in prose come from cells.** :func:`glue` is myst-nb's ``glue``
  when the book is built and a plain display elsewhere, so a downloaded
  notebook runs without myst-nb; :func:`glue_running_time` glues the measured
  execution time of a notebook for the "Running this chapter" note.
* **Nothing is read from the repository.** The committed results the chapters
  show (experiment results, benchmark and build timings) ship with the package
  in ``mlhwlib/data``; :func:`result` reads them.
* **Tables are built once.** :func:`markdown_table` formats a chapter's table
  (rows of cells, already formatted as the chapter wants them shown) as a
  Markdown pipe table, with ``tabulate``.
* **PyTorch is optional.** The cross-checks against PyTorch run when the book
  is built; :func:`torch_available` lets a chapter skip them, with one printed
  line, where PyTorch is not installed.
"""

from __future__ import annotations

import importlib.util
import json
from importlib import resources

import numpy as np

from .numerics import as_float_array

__all__ = ["check_close", "glue", "markdown_table", "result", "result_names", "running_time",
           "glue_running_time", "torch_available", "NO_TORCH"]

#: The line a skipped PyTorch cross-check prints (see :func:`torch_available`).
NO_TORCH = ("PyTorch not installed: this check ran when the book was built; "
            "`pip install torch` to rerun it.")


def check_close(actual, expected, *, atol: float = 0.0, rtol: float = 0.0, what: str = "") -> str:
    """Assert that two arrays agree within a stated tolerance; describe the tolerance.

    Parameters
    ----------
    actual, expected : array_like
        Values to compare (broadcastable to a common shape).
    atol, rtol : float
        Absolute and relative tolerance; at least one must be positive.
    what : str
        A short description put in front of the returned sentence.

    Returns
    -------
    str
        ``"<what>: agree to within <tol>"`` where ``<tol>`` is ``atol`` or
        ``rtol`` printed with one significant digit: a machine-independent text.

    Raises
    ------
    AssertionError
        When some element differs by more than ``atol + rtol * |expected|``.
    ValueError
        When both tolerances are zero or one is negative, when ``actual`` or
        ``expected`` contains NaN or an infinity, or when their shapes do not
        broadcast.
    TypeError
        When ``actual`` or ``expected`` is not numeric.
    """
    if atol < 0 or rtol < 0 or (atol == 0 and rtol == 0):
        raise ValueError("check_close: atol and rtol must be >= 0 and not both 0, "
                         f"got atol={atol!r}, rtol={rtol!r}")
    a = as_float_array(actual, "actual", allow_empty=True)
    b = as_float_array(expected, "expected", allow_empty=True)
    try:
        a, b = np.broadcast_arrays(a, b)
    except ValueError:
        raise ValueError(f"check_close: actual of shape {a.shape} and expected of shape "
                         f"{b.shape} do not broadcast") from None
    err = np.abs(a - b)
    bound = atol + rtol * np.abs(b)
    worst = float(np.max(err - bound)) if err.size else 0.0
    if worst > 0:
        raise AssertionError(f"{what or 'check_close'}: max |difference| {float(np.max(err)):.3e} "
                             f"exceeds atol={atol:.0e}, rtol={rtol:.0e}")
    parts = []
    if atol:
        parts.append(f"{atol:.0e}")
    if rtol:
        parts.append(f"{rtol:.0e} relative")
    sentence = "agree to within " + " + ".join(parts)
    return f"{what}: {sentence}" if what else sentence


def _data():
    return resources.files("mlhwlib").joinpath("data")


def result_names() -> list[str]:
    """The names of the result files shipped with mlhwlib, sorted."""
    return sorted(f.name for f in _data().iterdir()
                  if f.is_file() and f.name.endswith((".json", ".md")))


def result(name: str):
    """A committed result shipped with the package (``mlhwlib/data/<name>``).

    Parameters
    ----------
    name : str
        The file's name, one of :func:`result_names`, e.g.
        ``"rnn_recall_results.json"``.

    Returns
    -------
    dict or str
        The parsed JSON of a ``.json`` file; the text of a ``.md`` file.

    Raises
    ------
    TypeError
        When ``name`` is not a str.
    ValueError
        When no result of that name ships with the package.

    Examples
    --------
    >>> from mlhwlib.book import result
    >>> result("results_build.json")["machine"]["cores"]
    2
    """
    if not isinstance(name, str):
        raise TypeError(f"result: name must be a str, got {type(name).__name__}")
    names = result_names()
    if name not in names:
        raise ValueError(f"result: name {name!r} is not a result shipped with mlhwlib; "
                         f"expected one of {names}")
    text = _data().joinpath(name).read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else text


def glue(name: str, variable, display: bool = True) -> None:
    """Glue ``variable`` under ``name`` for the book's prose (myst-nb), or just show it.

    When the book is built, myst-nb is installed and this is
    ``myst_nb.glue(name, variable, display)``: the value is stored in the
    cell's output and the page inserts it where the prose says
    ``{glue:text}`name```. In a plain Jupyter (a downloaded notebook, whose prose
    already has the values written in) myst-nb is not needed: the value is
    displayed when ``display`` is true, and nothing happens otherwise.
    """
    if not isinstance(name, str):
        raise TypeError(f"glue: name must be a str, got {type(name).__name__}")
    if not name:
        raise ValueError("glue: name must not be empty")
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            try:
                from IPython.display import display as show
            except ImportError:  # outside IPython: print it
                print(variable)
            else:
                show(variable)
        return
    myst_glue(name, variable, display)


def markdown_table(rows, headers, *, align=None):
    """A Markdown pipe table of ``rows`` under ``headers`` (``tabulate``'s ``"pipe"`` format).

    Parameters
    ----------
    rows : iterable of sequences
        One sequence of cells per row; each cell is shown as ``str(cell)``, so format
        numbers before (``f"{x:.4f}"``): the table shows what the chapter chose.
        A ``|`` in a cell is escaped (``$|x|$`` stays one cell).
    headers : sequence of str
        One header per column; MyST Markdown (``$D_{t+1}$``) is kept as written.
    align : sequence of {"left", "right", "center"}, optional
        Alignment per column; by default every column is left-aligned.

    Returns
    -------
    str
        The table, one line per row, for ``IPython.display.Markdown``.

    Examples
    --------
    >>> print(markdown_table([[1, "0.25"], [2, "0.11"]], ["round", "$D_{t+1}$"], align=["right", "right"]))
    |   round |   $D_{t+1}$ |
    |--------:|------------:|
    |       1 |        0.25 |
    |       2 |        0.11 |
    """
    from tabulate import tabulate

    def cell(value):  # a "|" inside a cell (|x| in math, say) would end the cell
        return str(value).replace("|", "\\|")

    if isinstance(headers, str) or not hasattr(headers, "__iter__"):
        raise TypeError(f"markdown_table: headers must be a sequence of column titles, got "
                        f"{type(headers).__name__}")
    if isinstance(rows, str) or not hasattr(rows, "__iter__"):
        raise TypeError(f"markdown_table: rows must be an iterable of rows, got {type(rows).__name__}")
    headers = [cell(h) for h in headers]
    rows = list(rows)
    for i, row in enumerate(rows):
        if isinstance(row, str) or not hasattr(row, "__iter__"):
            raise TypeError(f"markdown_table: rows[{i}] must be a sequence of cells, got {type(row).__name__}")
    rows = [[cell(c) for c in row] for row in rows]
    for i, row in enumerate(rows):
        if len(row) != len(headers):
            raise ValueError(f"markdown_table: rows[{i}] has {len(row)} cells, headers has {len(headers)}")
    if align is None:
        align = ["left"] * len(headers)
    align = list(align)
    if len(align) != len(headers) or not set(align) <= {"left", "right", "center"}:
        raise ValueError("markdown_table: align must give one of 'left', 'right', 'center' per column")
    return tabulate(rows, headers=headers, tablefmt="pipe", colalign=align, disable_numparse=True)


def torch_available() -> bool:
    """Whether PyTorch can be imported; if not, print :data:`NO_TORCH` once for this check.

    The book's cross-checks against PyTorch are written
    ``if torch_available(): ...``: they run wherever PyTorch is installed (the
    book build always has it) and are skipped with one printed line elsewhere.
    """
    if importlib.util.find_spec("torch") is not None:
        return True
    print(NO_TORCH)
    return False


def running_time(notebook: str) -> str:
    """The measured execution time of ``book/<notebook>.ipynb``, e.g. ``"9 s on 2 cores"``.

    Read from the shipped result ``results_build.json`` (written by the
    repository's ``benchmarks/build_speed.py``, which measures each notebook in a
    fresh kernel on the book's reference machine, 2 cores). Rounded up to whole
    seconds.
    """
    if not isinstance(notebook, str):
        raise TypeError(f"running_time: notebook must be a str, got {type(notebook).__name__}")
    record = result("results_build.json")
    name = notebook if notebook.endswith(".ipynb") else f"{notebook}.ipynb"
    try:
        seconds = float(record["notebooks_s"][name])
    except KeyError:
        raise ValueError(f"running_time: notebook {name!r} is not in results_build.json; "
                         "run benchmarks/build_speed.py") from None
    cores = record.get("machine", {}).get("cores")
    where = f" on {cores} cores" if cores else ""
    return f"{int(np.ceil(seconds))} s{where}"


def glue_running_time(notebook: str, key: str = "running_time") -> str:
    """Glue :func:`running_time` under ``key`` (no display) and return it."""
    text = running_time(notebook)
    glue(key, text, display=False)
    return text
