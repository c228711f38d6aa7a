"""Helpers the chapters use to keep their printed outputs portable and their prose checked.

These are not part of the mathematics: they enforce the book's two rules for
committed outputs (see the README, "What the tests cover").

* **A comparison prints the tolerance it meets, never the round-off.**
  :func:`check_close` asserts ``max |a - b| <= atol + rtol * |b|`` and returns
  the sentence "agree to within 1e-12" (the tolerance, not the error), so the
  output is the same on every CPU.
* **Numbers in prose come from cells.** :func:`glue_running_time` glues the
  measured execution time of a notebook (from ``benchmarks/results_build.json``,
  written by ``benchmarks/build_speed.py``) for the "Running this chapter" note.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .numerics import as_float_array

__all__ = ["check_close", "running_time", "glue_running_time"]

_BUILD_RECORD = Path(__file__).resolve().parent.parent / "benchmarks" / "results_build.json"


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


def running_time(notebook: str) -> str:
    """The measured execution time of ``book/<notebook>.ipynb``, e.g. ``"9 s on 2 cores"``.

    Read from ``benchmarks/results_build.json`` (``benchmarks/build_speed.py``
    measures each notebook in a fresh kernel on the book's reference machine,
    2 cores). Rounded up to whole seconds.
    """
    if not isinstance(notebook, str):
        raise TypeError(f"running_time: notebook must be a str, got {type(notebook).__name__}")
    record = json.loads(_BUILD_RECORD.read_text(encoding="utf-8"))
    name = notebook if notebook.endswith(".ipynb") else f"{notebook}.ipynb"
    try:
        seconds = float(record["notebooks_s"][name])
    except KeyError:
        raise ValueError(f"running_time: notebook {name!r} is not in {_BUILD_RECORD.name}; "
                         "run benchmarks/build_speed.py") from None
    cores = record.get("machine", {}).get("cores")
    where = f" on {cores} cores" if cores else ""
    return f"{int(np.ceil(seconds))} s{where}"


def glue_running_time(notebook: str, key: str = "running_time") -> str:
    """Glue :func:`running_time` under ``key`` (no display) and return it."""
    from myst_nb import glue

    text = running_time(notebook)
    glue(key, text, display=False)
    return text
