"""One table of bad inputs for every public function, class and method of mlhwlib.

Each row is ``(callable, kwargs, exception type, regex)``: calling
``callable(**kwargs)`` must raise that exception (``ValueError`` or
``TypeError``; the few documented ``OverflowError`` rows are listed as such)
with a message matching the regex, which names the offending argument and what
was expected.  Warnings are errors while a row runs, so a row that warns before
it raises fails.

:func:`test_every_public_name_has_cases` enumerates the public API from each
module's ``__all__`` (classes with their public methods) and fails when a name
has no row: a new public function needs validation cases here.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import re
import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.linear_model import RidgeClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

import mlhwlib
from mlhwlib import (
    adaboost,
    book,
    bptt,
    clipping,
    em,
    gmm,
    lstm,
    matrix_calculus,
    numerics,
    plotting,
    rtrl,
    vector_rnn,
)

NAN, INF = float("nan"), float("inf")
OBJ = np.array([[1.0, None]], dtype=object)          # an object array
STR2 = np.array([["a", "b"], ["c", "d"]])            # a string array

# Public names that are not callable: each must be acknowledged here.
NON_CALLABLE = {"mlhwlib.__version__", "mlhwlib.plotting.BOOK_COLORS", "mlhwlib.book.NO_TORCH",
                "mlhwlib.numerics.SUM_TO_ONE_ATOL",
                "mlhwlib.numerics.SYMMETRY_RTOL"}

# Result types the library returns: they freeze what the library computed and do not
# re-validate it (issue 17), so they have no bad-input rows; tests/test_<module>.py
# checks that their arrays are read-only.
# Public callables without arguments to get wrong (a row would only test Python's own
# "unexpected keyword argument" error, not mlhwlib).
NO_ARGUMENTS = {"mlhwlib.plotting.use_book_style",
                "mlhwlib.book.result_names", "mlhwlib.book.torch_available",
                # a warning category: Python's Warning takes any message
                "mlhwlib.plotting.FigureLayoutWarning"}

RESULT_TYPES = {"mlhwlib.lstm.LSTMTrace", "mlhwlib.bptt.BPTTResult",
                "mlhwlib.lstm.VectorLSTMResult", "mlhwlib.lstm.VectorGRUResult",
                "mlhwlib.vector_rnn.VectorBPTTResult", "mlhwlib.rtrl.RTRLResult",
                "mlhwlib.rtrl.VectorRTRLResult", "mlhwlib.adaboost.BoostingResult"}


# ---------------------------------------------------------------------------
# the public API, enumerated
# ---------------------------------------------------------------------------
def _modules():
    yield mlhwlib
    for info in pkgutil.iter_modules(mlhwlib.__path__):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"mlhwlib.{info.name}")


def public_api() -> tuple[set[str], set[str]]:
    """(callables, non-callables) as dotted names; classes also list their public methods."""
    callables, others = set(), set()
    for mod in _modules():
        names = getattr(mod, "__all__", None)
        if names is None:  # no __all__: every public callable defined in the module
            names = [n for n, v in vars(mod).items()
                     if not n.startswith("_") and callable(v)
                     and getattr(v, "__module__", None) == mod.__name__]
        for name in names:
            obj = getattr(mod, name)
            dotted = f"{mod.__name__}.{name}"
            if not callable(obj):
                others.add(dotted)
                continue
            home = getattr(obj, "__module__", mod.__name__)
            if home != mod.__name__ and home.startswith("mlhwlib."):
                continue  # a re-export (adaboost re-exports stump): covered in its home module
            callables.add(dotted)
            if inspect.isclass(obj):
                for meth, value in vars(obj).items():
                    # methods, and those scikit-learn's available_if makes conditional
                    if not meth.startswith("_") and (inspect.isfunction(value) or
                                                     inspect.isfunction(getattr(value, "fn", None))):
                        callables.add(f"{dotted}.{meth}")
    return callables, others


def target_of(func) -> str:
    """Dotted name of what a row exercises (helpers name it with :func:`covers`)."""
    if hasattr(func, "_covers"):
        return func._covers
    if inspect.ismethod(func):
        func = func.__func__
    return f"{func.__module__}.{func.__qualname__}"


def covers(name):
    def mark(helper):
        helper._covers = name
        return helper
    return mark


# ---------------------------------------------------------------------------
# valid inputs and fitted objects the rows start from
# ---------------------------------------------------------------------------
LSTM_OK = dict(X=[[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], w=[1.0, 0.0], w_i=[0.0, 1.0],
               w_f=[1.0, 1.0], w_o=[0.5, 0.5])
CELL_OK = dict(x=[1.0, 0.0], h=[0.0, 0.5], c=[0.3, 0.0], W=np.zeros((8, 2)),
               U=np.zeros((8, 2)), b=np.zeros(8))
BPTT_OK = dict(x=[1.0, -0.5, 2.0], y=1.0, w0=0.7, w_h=0.4, w_i=-0.3)

X6 = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, 0.0], [3.0, 1.5], [4.0, 2.0], [5.0, 0.2]])
Y6 = np.array([0, 0, 1, 1, 2, 2])

XG = np.array([[0.0, 0.1], [0.2, -0.1], [-0.1, 0.0], [5.0, 5.1], [5.2, 4.9], [4.9, 5.0]])
W2 = np.array([0.5, 0.5])
M2 = np.array([[0.0, 0.0], [5.0, 5.0]])
C2 = np.array([np.eye(2), np.eye(2)])


@functools.cache
def fitted(name: str):
    """The fitted models the rows call, fitted on first use (never at import time)."""
    if name == "ada":
        return adaboost.MultiClassAdaBoost(n_estimators=3).fit(X6, Y6)
    if name == "ada_r":
        return adaboost.MultiClassAdaBoost(n_estimators=3, algorithm="SAMME.R",
                                           estimator=DecisionTreeClassifier(max_depth=1),
                                           random_state=0).fit(X6, Y6)
    return gmm.GaussianMixture(2, means_init=M2, random_state=0).fit(XG)


def on_fitted(name: str, method: str):
    """A row target: ``method`` of the fitted model ``name`` ("ada" or "gmm")."""
    cls = adaboost.MultiClassAdaBoost if name.startswith("ada") else gmm.GaussianMixture

    def call(**kwargs):
        return getattr(fitted(name), method)(**kwargs)

    call._covers = f"{cls.__module__}.{cls.__qualname__}.{method}"
    return call
LJ = np.log([[0.1, 0.3], [0.2, 0.2]])


@covers("mlhwlib.adaboost_estimator.MultiClassAdaBoost")
def ada_params_at_fit(**params):
    """Constructor parameters are checked when ``fit`` runs (scikit-learn's rule)."""
    return adaboost.MultiClassAdaBoost(**params).fit(X6, Y6)


@covers("mlhwlib.gmm.GaussianMixture")
def gmm_params_at_fit(**params):
    return gmm.GaussianMixture(**{"n_components": 2, **params}).fit(XG)


UNFITTED_ADA = adaboost.MultiClassAdaBoost()
UNFITTED_GMM = gmm.GaussianMixture(2)


def bptt_args(**change):
    return {**BPTT_OK, **change}


def gmm_args(**change):
    return {"X": XG, "weights": W2, "means": M2, "covariances": C2, **change}


NOT_PD = np.array([np.eye(2), [[1.0, 2.0], [2.0, 1.0]]])
ASYM = np.array([[[1.0, 0.5], [0.0, 1.0]], np.eye(2)])

C = []  # the table: (callable, kwargs, exception, regex)


def rows(func, *cases):
    for kwargs, exc, regex in cases:
        C.append((func, kwargs, exc, regex))


V, T = ValueError, TypeError

# ---------------------------------------------------------------- numerics
rows(numerics.sigmoid,
     (dict(z="1.0"), T, r"z must be a numeric array, got a string"),
     (dict(z=OBJ), T, r"z must be a numeric .* dtype object"),
     (dict(z=None), T, r"z must be a numeric array, got None"),
     (dict(z=[0.0, NAN]), V, r"z must not contain NaN"))
rows(numerics.log_sigmoid,
     (dict(z="x"), T, r"z must be a numeric array"),
     (dict(z=np.array([True])), T, r"z must be a numeric .* dtype bool"),
     (dict(z=NAN), V, r"z must not contain NaN"))
rows(numerics.logsumexp,
     (dict(a="abc"), T, r"a must be a numeric array"),
     (dict(a=[1.0, NAN]), V, r"a must not contain NaN"),
     (dict(a=[]), V, r"a must not be empty"),
     (dict(a=[1.0, 2.0, 3.0], b=2.0), V, r"b must have shape \(3\)"),   # no broadcast
     (dict(a=[1.0, 2.0], b=[1.0, INF]), V, r"b must contain only finite"))
rows(numerics.as_float_array,
     (dict(value="abc", name="X"), T, r"X must be a numeric array, got a string"),
     (dict(value=OBJ, name="X"), T, r"X must be a numeric .* dtype object"),
     (dict(value=[True, False], name="X"), T, r"X must be a numeric .* dtype bool"),
     (dict(value=[[1.0]], name="X", ndim=1), V, r"X must be 1-D, got an array of shape \(1, 1\)"),
     (dict(value=[1.0, 2.0], name="X", shape=(3,)), V, r"X must have shape \(3\), got \(2,\)"),
     (dict(value=[], name="X"), V, r"X must not be empty"),
     (dict(value=[1.0, -INF], name="X"), V, r"X must contain only finite"))
rows(numerics.as_finite_float,
     (dict(value="1", name="x"), T, r"x must be a real number, got str"),
     (dict(value=True, name="x"), T, r"x must be a real number, got bool"),
     (dict(value=1j, name="x"), T, r"x must be a real number, got complex"),
     (dict(value=[1.0], name="x"), T, r"x must be a real number, got list"),
     (dict(value=NAN, name="x"), V, r"x must be finite, got nan"),
     (dict(value=-INF, name="x"), V, r"x must be finite, got -inf"))
rows(numerics.as_int,
     (dict(value=1.5, name="n"), T, r"n must be an integer, got float"),
     (dict(value=True, name="n"), T, r"n must be an integer, got bool"),
     (dict(value="3", name="n"), T, r"n must be an integer, got str"),
     (dict(value=0, name="n", minimum=1), V, r"n must be an integer >= 1, got 0"))
rows(numerics.as_probability_vector,
     (dict(value=[-0.5, 1.5], name="p"), V, r"p must be non-negative, got minimum -0.5"),
     (dict(value=[0.5, 0.6], name="p"), V, r"p must sum to 1"),
     (dict(value=[0.5, NAN], name="p"), V, r"p must contain only finite"),
     (dict(value=[[0.5, 0.5]], name="p"), V, r"p must be 1-D"),
     (dict(value=[], name="p"), V, r"p must not be empty"),
     (dict(value=["a"], name="p"), T, r"p must be a numeric"),
     (dict(value=[1.0], name="p", shape=(2,)), V, r"p must have shape \(2\)"))
rows(numerics.log_normalize,
     (dict(a="abc"), T, r"a must be a numeric array"),
     (dict(a=[0.0, NAN]), V, r"a must not contain NaN"),
     (dict(a=[0.0, INF]), V, r"a must not contain \+inf"),
     (dict(a=[[0.0, 1.0], [-INF, -INF]]), V, r"a must have a finite entry in every slice"),
     (dict(a=[]), V, r"a must not be empty"))
rows(numerics.as_probability_array,
     (dict(value=[[0.5, 0.5], [0.9, 0.2]], name="q", ndim=2), V,
      r"each row of q must sum to 1 .* worst \|row sum - 1\| = 0.1"),
     (dict(value=[0.5, 0.5], name="q", shape=(3,)), V, r"q must have shape \(3\)"),
     (dict(value=[[1.5, -0.5]], name="q", ndim=2), V, r"q must be non-negative"),
     (dict(value=[0.5, 0.5], name="q", ndim=2), V, r"q must be 2-D"),
     (dict(value=[[0.5, NAN]], name="q", ndim=2), V, r"q must contain only finite"),
     (dict(value=OBJ, name="q", ndim=2), T, r"q must be a numeric"))
rows(numerics.check_symmetric,
     (dict(value=[[1.0, 2.0], [0.0, 1.0]], name="X"), V, r"X must be symmetric, got max \|A - A\^T\| = 2"),
     (dict(value=np.stack([np.eye(2), [[1.0, 1.0], [0.0, 1.0]]]), name="covariances"), V,
      r"covariances\[1\] must be symmetric"),
     (dict(value=np.ones((2, 3)), name="X"), V, r"X must be square"),
     (dict(value=np.ones(3), name="X"), V, r"X must be 2-D or 3-D"),
     (dict(value=[[1.0, NAN], [NAN, 1.0]], name="X"), V, r"X must contain only finite"),
     (dict(value="abc", name="X"), T, r"X must be a numeric array"))
rows(numerics.check_sample_weight,
     (dict(sample_weight=[1.0, -1.0], n_samples=2), V, r"sample_weight must be non-negative"),
     (dict(sample_weight=[0.0, 0.0], n_samples=2), V, r"sample_weight must have a positive sum"),
     (dict(sample_weight=[1.0, 1.0, 1.0], n_samples=2), V, r"sample_weight must have shape \(2\)"),
     (dict(sample_weight=[1.0, INF], n_samples=2), V, r"sample_weight must contain only finite"),
     (dict(sample_weight=["a", "b"], n_samples=2), T, r"sample_weight must be a numeric"),
     (dict(sample_weight=1.0, n_samples=2), V, r"sample_weight must have shape \(2\)"),  # no broadcast
     (dict(sample_weight=None, n_samples=0), V, r"n_samples must be an integer >= 1"),
     (dict(sample_weight=None, n_samples=2.0), T, r"n_samples must be an integer, got float"))
rows(numerics.check_callable,
     (dict(value=3, name="f"), T, r"f must be callable or None, got int"))

# ---------------------------------------------------------------- plotting
rows(plotting.figure_overlaps,
     (dict(fig="figure.png"), T, r"fig must be a matplotlib Figure, got str"),
     (dict(fig=None), T, r"fig must be a matplotlib Figure, got NoneType"))

# ---------------------------------------------------------------- book
rows(book.check_close,
     (dict(actual=[1.0], expected=[1.0], atol=-1.0), V, r"atol and rtol must be >= 0"),
     (dict(actual=[1.0], expected=[1.0]), V, r"atol and rtol must be >= 0 and not both 0"),
     (dict(actual="abc", expected=[1.0], atol=1e-9), T, r"actual must be a numeric array"),
     (dict(actual=[1.0], expected=[NAN], atol=1e-9), V, r"expected must contain only finite"),
     (dict(actual=[1.0, 2.0], expected=[1.0, 2.0, 3.0], atol=1e-9), V, r"do not broadcast"))
rows(book.running_time,
     (dict(notebook="no_such_chapter"), V, r"notebook 'no_such_chapter.ipynb' is not in"),
     (dict(notebook=3), T, r"notebook must be a str, got int"))
rows(book.result,
     (dict(name="no_such_result.json"), V, r"name 'no_such_result.json' is not a result shipped"),
     (dict(name=3), T, r"name must be a str, got int"))
rows(book.glue,
     (dict(name=None, variable=1.0), T, r"name must be a str, got NoneType"),
     (dict(name="", variable=1.0), V, r"name must not be empty"))
rows(book.markdown_table,
     (dict(rows=[[1, 2]], headers=["a"]), V, r"rows\[0\] has 2 cells, headers has 1"),
     (dict(rows=[[1]], headers=["a"], align=["middle"]), V,
      r"align must give one of 'left', 'right', 'center' per column"),
     (dict(rows=[[1]], headers=["a"], align=["left", "left"]), V, r"align must give one of"),
     (dict(rows=3, headers=["a"]), T, r"rows must be an iterable of rows, got int"),
     (dict(rows=[[1]], headers=None), T, r"headers must be a sequence of column titles, got NoneType"),
     (dict(rows=[5], headers=["a"]), T, r"rows\[0\] must be a sequence of cells, got int"))
rows(book.glue_running_time,
     (dict(notebook="no_such_chapter"), V, r"notebook 'no_such_chapter.ipynb' is not in"),
     (dict(notebook=None), T, r"notebook must be a str, got NoneType"))

# ---------------------------------------------------------------- lstm
for change, exc, regex in [
    (dict(X="abc"), T, r"X must be a numeric array"),
    (dict(X=OBJ), T, r"X must be a numeric .* dtype object"),
    (dict(X=[0.0, 1.0]), V, r"X must be 2-D"),
    (dict(X=np.empty((0, 2))), V, r"X must not be empty"),
    (dict(X=[[0.0, NAN]]), V, r"X must contain only finite"),
    (dict(X=[[INF, 0.0]]), V, r"X must contain only finite"),
    (dict(w=[1.0, 0.0, 0.0]), V, r"w must have length d = 2"),
    (dict(w=1.0), V, r"w must be 1-D"),                          # no broadcast of a scalar
    (dict(w_i=[1.0]), V, r"w_i must have length d = 2"),
    (dict(w_f=[1.0, 0.0, 0.0]), V, r"w_f must have length d = 2"),
    (dict(w_o=[0.5]), V, r"w_o must have length d = 2"),
    (dict(X=np.zeros((2, 2, 2))), V, r"X must be 2-D"),
    (dict(w_i=[[0.0, 1.0]]), V, r"w_i must be 1-D"),
    (dict(w_f=[NAN, 1.0]), V, r"w_f must contain only finite"),
    (dict(w_o=["a", "b"]), T, r"w_o must be a numeric"),
    (dict(b=NAN), V, r"b must be finite"),
    (dict(b_i=INF), V, r"b_i must be finite"),
    (dict(b_f="0"), T, r"b_f must be a real number"),
    (dict(b_o=[0.0]), T, r"b_o must be a real number"),
    (dict(c0=NAN), V, r"c0 must be finite"),
    (dict(g=3), T, r"g must be callable or None"),
    (dict(h=lambda v: v[:1]), V, r"h must act elementwise"),
    (dict(g=lambda v: np.full(v.shape, "a")), T, r"g must return real numbers"),
    (dict(g=lambda v: np.where(v > 0, NAN, v)), V, r"g returned a non-finite value"),
    (dict(X=[[1e300, 1e300]], w=[1e10, 1e10]), V, r"pre-activation w·x \+ b overflowed"),
    (dict(X=[[1e308], [1e308]], w=[1.0], w_i=[1.0], w_f=[1.0], w_o=[1.0]), V,
     r"the memory c overflowed"),
]:
    C.append((lstm.lstm_trace, {**LSTM_OK, **change}, exc, regex))
for func in (lstm.lstm_cell, lstm.lstm_state_jacobian):
    for change, exc, regex in [
        (dict(x="abc"), T, r"x must be a numeric array"),
        (dict(x=[[1.0, 0.0]]), V, r"x must be 1-D"),
        (dict(h=[0.0, NAN]), V, r"h must contain only finite"),
        (dict(c=[0.0, 0.0, 0.0]), V, r"c must have the length of h, H = 2"),
        (dict(W=np.zeros((8, 3))), V, r"W must have shape \(4H, d\) = \(8, 2\)"),
        (dict(U=np.zeros((4, 2))), V, r"U must have shape \(4H, H\) = \(8, 2\)"),
        (dict(b=np.zeros((8, 1))), V, r"b must be 1-D"),
        (dict(b=np.zeros(7)), V, r"b must have shape \(4H,\) = \(8,\)"),
        (dict(x=[1e308, 1e308], W=np.full((8, 2), 1e10)), V, r"pre-activation W x"),
    ]:
        C.append((func, {**CELL_OK, **change}, exc, regex))

# ---------------------------------------------------------------- bptt
rows(bptt.rnn_forward,
     (dict(x="abc", w_h=1.0, w_i=1.0), T, r"x must be a numeric"),
     (dict(x=[[1.0]], w_h=1.0, w_i=1.0), V, r"x must be 1-D"),
     (dict(x=[], w_h=1.0, w_i=1.0), V, r"x must not be empty"),
     (dict(x=[NAN], w_h=1.0, w_i=1.0), V, r"x must contain only finite"),
     (dict(x=[1.0], w_h=NAN, w_i=1.0), V, r"w_h must be finite"),
     (dict(x=[1.0], w_h=1.0, w_i="1"), T, r"w_i must be a real number"),
     (dict(x=[1.0], w_h=[1.0], w_i=1.0), T, r"w_h must be a real number"),
     (dict(x=[1.0], w_h=1.0, w_i=1.0, h0=INF), V, r"h0 must be finite"),
     (dict(x=[1e300], w_h=1.0, w_i=1e10), OverflowError, r"forward pass overflowed"))
rows(bptt.rnn_bptt,
     (bptt_args(y=1.5), V, r"y must be a target in \[0, 1\]"),
     (bptt_args(y=-0.1), V, r"y must be a target in \[0, 1\]"),
     (bptt_args(y=NAN), V, r"y must be finite"),
     (bptt_args(y=True), T, r"y must be a real number, got bool"),
     (bptt_args(y=[1.0]), T, r"y must be a real number"),
     (bptt_args(w0="0.5"), T, r"w0 must be a real number"),
     (bptt_args(w0=-INF), V, r"w0 must be finite"),
     (bptt_args(x=OBJ[0]), T, r"x must be a numeric"),
     (bptt_args(x=None), T, r"x must be a numeric"),
     (bptt_args(w_h=NAN), V, r"w_h must be finite"),
     (bptt_args(x=[]), V, r"x must not be empty"),
     (bptt_args(x=[[1.0, 2.0]]), V, r"x must be 1-D"),
     (bptt_args(h0=NAN), V, r"h0 must be finite"),
     (bptt_args(x=[0.0] * 400, w_h=10.0, w_i=0.0, h0=0.0), OverflowError,
      r"backward pass overflowed"))
rows(rtrl.rnn_rtrl,
     (bptt_args(y=1.5), V, r"y must be a target in \[0, 1\]"),
     (bptt_args(y=NAN), V, r"y must be finite"),
     (bptt_args(w0="0.5"), T, r"w0 must be a real number"),
     (bptt_args(w_i=INF), V, r"w_i must be finite"),
     (bptt_args(x=[]), V, r"x must not be empty"),
     (bptt_args(x=[[1.0, 2.0]]), V, r"x must be 1-D"),
     (bptt_args(h0=NAN), V, r"h0 must be finite"),
     (bptt_args(x=[1e300, 1e300], w_i=1e10), OverflowError, r"forward pass overflowed"))
rows(bptt.tanh_derivative,
     (dict(a="x"), T, r"a must be a numeric array"),
     (dict(a=OBJ), T, r"a must be a numeric .* dtype object"),
     (dict(a=[0.0, NAN]), V, r"a must not contain NaN"))
rows(clipping.clip_by_norm,
     (dict(grad="abc", max_norm=1.0), T, r"grad must be a numeric"),
     (dict(grad=[[1.0, 2.0]], max_norm=1.0), V, r"grad must be 1-D"),
     (dict(grad=[], max_norm=1.0), V, r"grad must not be empty"),
     (dict(grad=[1.0, NAN], max_norm=1.0), V, r"grad must contain only finite"),
     (dict(grad=[1.0], max_norm=0.0), V, r"max_norm must be positive"),
     (dict(grad=[1.0], max_norm=-1.0), V, r"max_norm must be positive"),
     (dict(grad=[1.0], max_norm=NAN), V, r"max_norm must be finite"),
     (dict(grad=[1.0], max_norm=[1.0]), T, r"max_norm must be a real number"))

# ---------------------------------------------------------------- bptt: vector RNN and global clipping
VEC_OK = dict(X=[[0.5, -1.0], [1.0, 0.0]], targets=[0, 1], U=[[1.0, 0.0], [0.0, 1.0]],
              W=[[0.5, 0.0], [0.0, 0.5]], V=[[1.0, 0.0], [0.0, 1.0]], b=[0.0, 0.0],
              c=[0.0, 0.0])
rows(vector_rnn.vector_rnn_bptt,
     (dict(VEC_OK, X=[0.5, 1.0]), V, r"X must be 2-D"),
     (dict(VEC_OK, X=[[NAN, 0.0], [0.0, 0.0]]), V, r"X must contain only finite"),
     (dict(VEC_OK, U=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), V, r"U must have shape \(2, 2\)"),
     (dict(VEC_OK, W=[[0.5]]), V, r"W must have shape \(2, 2\)"),
     (dict(VEC_OK, V=[[1.0], [0.0]]), V, r"V must have shape \(2, 2\)"),
     (dict(VEC_OK, b=[0.0]), V, r"b must have shape \(2\)"),
     (dict(VEC_OK, c=[0.0, INF]), V, r"c must contain only finite"),
     (dict(VEC_OK, c=[0.0]), V, r"c must have shape \(2\)"),
     (dict(VEC_OK, h0=[0.0]), V, r"h0 must have shape \(2\)"),
     (dict(VEC_OK, targets=None), T, r"targets must hold integer class labels"),
     (dict(VEC_OK, targets=[0, 2]), V, r"targets must hold labels in \[0, K\)"),
     (dict(VEC_OK, targets=[0]), V, r"targets must have shape \(2,\)"),
     (dict(VEC_OK, targets=[0.5, 1.0]), V, r"targets must hold integer class labels \(whole numbers\)"),
     (dict(VEC_OK, targets=["a", "b"]), T, r"targets must hold integer class labels"),
     (dict(VEC_OK, U="abc"), T, r"U must be a numeric"))
# ---------------------------------------------------------------- lstm: vector LSTM and GRU layers
GATED_OK = dict(X=[[0.5, -1.0], [1.0, 0.0]], targets=[0, 1], U=np.full((8, 2), 0.1),
                W=np.full((8, 2), 0.1), V=[[1.0, 0.0], [0.0, 1.0]], b=np.zeros(8),
                c=[0.0, 0.0])
GRU_OK = dict(GATED_OK, U=np.full((6, 2), 0.1), W=np.full((6, 2), 0.1), b_ih=np.zeros(6),
              b_hh=np.zeros(6))
del GRU_OK["b"]
rows(lstm.vector_lstm_bptt,
     (dict(GATED_OK, X=[0.5, 1.0]), V, r"X must be 2-D"),
     (dict(GATED_OK, X=[[NAN, 0.0], [0.0, 0.0]]), V, r"X must contain only finite"),
     (dict(GATED_OK, U=np.zeros((7, 2))), V, r"U must have shape \(4H, d\)"),
     (dict(GATED_OK, U=np.zeros((8, 3))), V, r"U must have shape \(4H, d\) = \(8, 2\)"),
     (dict(GATED_OK, W=np.zeros((8, 3))), V, r"W must have shape \(4H, H\) = \(8, 2\)"),
     (dict(GATED_OK, V=[[1.0], [0.0]]), V, r"V must have shape \(K, H\)"),
     (dict(GATED_OK, b=np.zeros(2)), V, r"b must have shape \(4H,\) = \(8,\)"),
     (dict(GATED_OK, c=[0.0, INF]), V, r"c must contain only finite"),
     (dict(GATED_OK, c=np.zeros(3)), V, r"c must have shape \(K,\) = \(2,\)"),
     (dict(GATED_OK, h0=[0.0]), V, r"h0 must have shape \(2\)"),
     (dict(GATED_OK, c0=[0.0, NAN]), V, r"c0 must contain only finite"),
     (dict(GATED_OK, targets=[0, 2]), V, r"targets must hold labels in \[0, K\)"),
     (dict(GATED_OK, targets=[0]), V, r"targets must have shape \(2,\)"),
     (dict(GATED_OK, targets=["a", "b"]), T, r"targets must hold integer class labels"),
     (dict(GATED_OK, W="abc"), T, r"W must be a numeric"),
     (dict(GATED_OK, X=[[1e308, 1e308], [0.0, 0.0]], U=np.full((8, 2), 1e10)), OverflowError,
      r"forward pass overflowed"))
rows(lstm.vector_gru_bptt,
     (dict(GRU_OK, U=np.zeros((8, 2))), V, r"U must have shape \(3H, d\)"),
     (dict(GRU_OK, W=np.zeros((6, 3))), V, r"W must have shape \(3H, H\) = \(6, 2\)"),
     (dict(GRU_OK, b_ih=np.zeros(5)), V, r"b_ih must have shape \(3H,\) = \(6,\)"),
     (dict(GRU_OK, b_hh=[[0.0] * 6]), V, r"b_hh must be 1-D"),
     (dict(GRU_OK, h0=[0.0, NAN]), V, r"h0 must contain only finite"),
     (dict(GRU_OK, targets=[-1, 0]), V, r"targets must hold labels in \[0, K\)"),
     (dict(GRU_OK, V=None), T, r"V must be a numeric array, got None"))


def _gated_result(kind):
    if kind == "lstm":
        return lstm.vector_lstm_bptt(**GATED_OK)
    return lstm.vector_gru_bptt(**GRU_OK)


for _kind, _cls in (("lstm", "VectorLSTMResult"), ("gru", "VectorGRUResult")):
    @covers(f"mlhwlib.lstm.{_cls}.state_jacobian")
    def _state_jac(_kind=_kind, **kw):
        return _gated_result(_kind).state_jacobian(**kw)

    @covers(f"mlhwlib.lstm.{_cls}.step_jacobian")
    def _step_jac(_kind=_kind, **kw):
        return _gated_result(_kind).step_jacobian(**kw)

    rows(_state_jac,
         (dict(s=2, t=1), V, r"s must not exceed t"),
         (dict(s=-1, t=1), V, r"s must lie in \[0, T\] = \[0, 2\]"),
         (dict(s=0, t=3), V, r"t must lie in \[0, T\] = \[0, 2\]"),
         (dict(s=0.0, t=1), T, r"s must be an integer step, got float"),
         (dict(s=True, t=1), T, r"s must be an integer step, got bool"))
    rows(_step_jac,
         (dict(t=0), V, r"t must lie in \[1, T\]"),
         (dict(t=3), V, r"t must lie in \[0, T\] = \[0, 2\]"),
         (dict(t="1"), T, r"t must be an integer step, got str"))


rows(rtrl.vector_rnn_rtrl,
     (dict(VEC_OK, X=[0.5, 1.0]), V, r"X must be 2-D"),
     (dict(VEC_OK, X=[[NAN, 0.0], [0.0, 0.0]]), V, r"X must contain only finite"),
     (dict(VEC_OK, U=np.zeros((2, 3))), V, r"U must have shape \(2, 2\)"),
     (dict(VEC_OK, W=[[0.5]]), V, r"W must have shape \(2, 2\)"),
     (dict(VEC_OK, b=[0.0]), V, r"b must have shape \(2\)"),
     (dict(VEC_OK, h0=[0.0]), V, r"h0 must have shape \(2\)"),
     (dict(VEC_OK, targets=[0, 2]), V, r"targets must hold labels in \[0, K\)"),
     (dict(VEC_OK, targets=[0.5, 1.0]), V, r"targets must hold integer class labels \(whole numbers\)"),
     (dict(VEC_OK, U="abc"), T, r"U must be a numeric"),
     (dict(VEC_OK, V=[[1e308, 1e308], [0.0, 0.0]], X=[[5.0, 5.0], [5.0, 5.0]]), OverflowError,
      r"forward pass overflowed"))
rows(clipping.clip_by_global_norm,
     (dict(grads=[], max_norm=1.0), V, r"grads must contain at least one array"),
     (dict(grads=np.ones(2), max_norm=1.0), T, r"grads must be a list or tuple"),
     (dict(grads=[[1.0, NAN]], max_norm=1.0), V, r"grads\[0\] must contain only finite"),
     (dict(grads=["a"], max_norm=1.0), T, r"grads\[0\] must be a numeric"),
     (dict(grads=[[1.0]], max_norm=0.0), V, r"max_norm must be positive"),
     (dict(grads=[[1.0]], max_norm=NAN), V, r"max_norm must be finite"),
     (dict(grads=[[1.0]], max_norm=1.0, eps=-1.0), V, r"eps must be >= 0"))



# ---------------------------------------------------------------- adaboost
for f in (adaboost.multiclass_alpha, adaboost.samme_alpha, adaboost.loss_reduction_factor):
    rows(f,
         (dict(eps=0.0, n_classes=3), V, r"eps must lie strictly between 0 and 1, got 0\.0"),
         (dict(eps=1.0, n_classes=3), V, r"eps must lie strictly between 0 and 1, got 1\.0"),
         (dict(eps=-0.1, n_classes=3), V, r"eps must lie strictly between 0 and 1"),
         (dict(eps=NAN, n_classes=3), V, r"eps must be finite"),
         (dict(eps="0.3", n_classes=3), T, r"eps must be a real number"),
         (dict(eps=0.3, n_classes=1), V, r"n_classes must be an integer >= 2"),
         (dict(eps=0.3, n_classes=2.0), T, r"n_classes must be an integer, got float"),
         (dict(eps=0.3, n_classes=True), T, r"n_classes must be an integer, got bool"))
rows(adaboost.loss_reduction_factor,
     (dict(eps=0.3, n_classes=3, alpha=NAN), V, r"alpha must be finite"),
     (dict(eps=0.3, n_classes=3, alpha="1"), T, r"alpha must be a real number"))
rows(adaboost.multiclass_exponential_loss,
     (dict(y=[0, 3], scores=np.zeros((2, 3))), V, r"y must hold labels in \[0, 3\), got values from 0 to 3"),
     (dict(y=[-1, 0], scores=np.zeros((2, 3))), V, r"y must hold labels in \[0, 3\)"),
     (dict(y=[0, 1], scores=np.zeros((3, 3))), V, r"y must have shape \(3,\), got \(2,\)"),
     (dict(y=[0], scores=np.zeros((1, 3))[0]), V, r"scores must be 2-D"),
     (dict(y=[0, 0], scores=np.zeros((2, 1))), V, r"scores must have at least 2 columns"),
     (dict(y=[0, 1], scores=[[0.0, NAN], [0.0, 0.0]]), V, r"scores must contain only finite"),
     (dict(y=[0, 1], scores=STR2), T, r"scores must be a numeric"),
     (dict(y=[0.5, 1.0], scores=np.zeros((2, 2))), V,
      r"y must hold integer class labels \(whole numbers\)"),
     (dict(y=["a", "b"], scores=np.zeros((2, 2))), T, r"y must hold integer class labels"))
rows(adaboost.boost_from_predictions,
     (dict(y=[0, 3, 1], predictions=[[0, 1, 1]], n_classes=3), V, r"y must hold labels in \[0, 3\)"),
     (dict(y=[0, 2, 1], predictions=[[0, 5, 1]], n_classes=3), V,
      r"predictions must hold labels in \[0, 3\)"),
     (dict(y=[0, 2, 1], predictions=[0, 2, 0], n_classes=3), V,
      r"predictions must have shape \(T, 3\)"),
     (dict(y=[0, 2, 1], predictions=[[0, 2]], n_classes=3), V,
      r"predictions must have shape \(T, 3\)"),
     (dict(y=[[0, 1]], predictions=[[0, 1]], n_classes=2), V, r"y must be 1-D"),
     (dict(y=[0, 1], predictions=[[0, 1]], n_classes=1), V, r"n_classes must be an integer >= 2"),
     (dict(y=[0, 1], predictions=[[0, 1]], n_classes=2), V, r"round 0 of predictions has weighted error 0\.0"),
     (dict(y=[0, 1], predictions=[[1, 0]], n_classes=2), V, r"round 0 of predictions has weighted error 1\.0"),
     (dict(y=["a", "b"], predictions=[[0, 1]], n_classes=2), T, r"y must hold integer class labels"),
     (dict(y=[0, 1], predictions=OBJ, n_classes=2), T, r"predictions must hold integer class labels"))
rows(adaboost.Stump,
     (dict(feature="0", threshold=0.5, left=0, right=1), T, r"feature must be an integer, got str"),
     (dict(feature=-2, threshold=0.5, left=0, right=1), V, r"feature must be an integer >= -1"),
     (dict(feature=0, threshold=NAN, left=0, right=1), V, r"threshold must not be NaN"),
     (dict(feature=0, threshold="a", left=0, right=1), T, r"threshold must be a numeric"),
     (dict(feature=0, threshold=0.5, left=-1, right=1), V, r"left must be an integer >= 0"),
     (dict(feature=0, threshold=0.5, left=0, right=1.5), T, r"right must be an integer, got float"))
STUMP = adaboost.Stump(feature=1, threshold=0.5, left=0, right=1)
rows(STUMP.predict,
     (dict(X=[0.0, 1.0]), V, r"X must be 2-D"),
     (dict(X=[[0.0]]), V, r"X must have more than 1 columns .* got shape \(1, 1\)"),
     (dict(X=[[0.0, NAN]]), V, r"X must contain only finite"),
     (dict(X=STR2), T, r"X must be a numeric"))
rows(adaboost.tie_tolerance,
     (dict(n_samples=0, n_classes=2, total_weight=1.0), V, r"n_samples must be"),
     (dict(n_samples=2.5, n_classes=2, total_weight=1.0), T, r"n_samples must be an integer"),
     (dict(n_samples=3, n_classes=0, total_weight=1.0), V, r"n_classes must be"),
     (dict(n_samples=3, n_classes=2, total_weight=-1.0), V, r"total_weight must be non-negative"),
     (dict(n_samples=3, n_classes=2, total_weight=NAN), V, r"total_weight must contain only finite"),
     (dict(n_samples=3, n_classes=2, total_weight="a"), T, r"total_weight must be a numeric"),
     (dict(n_samples=10 ** 14, n_classes=2, total_weight=1.0), V, r"n_samples = .* too large"))
rows(adaboost.fit_stump,
     (dict(X=STR2, y=[0, 1], sample_weight=[1.0, 1.0]), T, r"X must be a numeric"),
     (dict(X=[0.0, 1.0], y=[0, 1], sample_weight=[1.0, 1.0]), V, r"X must be 2-D"),
     (dict(X=[[NAN], [1.0]], y=[0, 1], sample_weight=[1.0, 1.0]), V, r"X must contain only finite"),
     (dict(X=[[0.0], [1.0]], y=[0, 2], sample_weight=[1.0, 1.0], n_classes=2), V,
      r"y must hold labels in \[0, 2\)"),
     (dict(X=[[0.0], [1.0]], y=[-1, 1], sample_weight=[1.0, 1.0]), V, r"y must hold labels in \[0, "),
     (dict(X=[[0.0], [1.0]], y=["a", "b"], sample_weight=[1.0, 1.0]), T,
      r"y must hold integer class labels"),
     (dict(X=[[0.0], [1.0]], y=[NAN, 1.0], sample_weight=[1.0, 1.0]), V,
      r"y must hold integer class labels \(whole numbers\)"),
     (dict(X=[[0.0], [1.0]], y=[0, 1, 1], sample_weight=[1.0, 1.0]), V, r"y must have shape \(2,\)"),
     (dict(X=[[0.0], [1.0]], y=[0, 1], sample_weight=[1.0, -1.0]), V, r"sample_weight must be non-negative"),
     (dict(X=[[0.0], [1.0]], y=[0, 1], sample_weight=1.0), V, r"sample_weight must have shape \(2\)"),
     (dict(X=[[0.0], [1.0]], y=[0, 1], sample_weight=[1.0, INF]), V, r"sample_weight must contain only finite"),
     (dict(X=[[0.0], [1.0]], y=[0, 0], sample_weight=[1.0, 1.0], n_classes=0), V,
      r"n_classes must be an integer >= 1"))
# MultiClassAdaBoost validates with scikit-learn's machinery (its _parameter_constraints,
# validate_data, check_classification_targets, _check_sample_weight): these rows pin the
# messages a user sees.
P = r"The '{}' parameter of MultiClassAdaBoost must be "
rows(ada_params_at_fit,
     (dict(n_estimators=0), V, P.format("n_estimators") + r"an int in the range \[1, inf\)"),
     (dict(n_estimators=2.5), T, P.format("n_estimators") + r"an int"),
     (dict(learning_rate=0.0), V, P.format("learning_rate") + r"a float in the range \(0.0, inf\)"),
     (dict(criterion="entropy"), V, P.format("criterion") + r"a str among"),
     (dict(algorithm="SAMME.X"), V, P.format("algorithm") + r"a str among"),
     (dict(algorithm="SAMME.R"), V, r"algorithm='SAMME.R' needs an estimator with predict_proba"),
     (dict(algorithm="SAMME.R", estimator=RidgeClassifier()), V,
      r"estimator RidgeClassifier has no predict_proba, which algorithm='SAMME.R' needs"),
     (dict(algorithm="SAMME.R", estimator=KNeighborsClassifier(n_neighbors=1)), V,
      r"estimator KNeighborsClassifier does not accept sample_weight"),
     (dict(estimator=3), T, P.format("estimator") + r"an object implementing 'fit' and 'predict'"),
     (dict(estimator=KNeighborsClassifier(n_neighbors=1)), V,
      r"estimator KNeighborsClassifier does not accept sample_weight"),
     (dict(estimator=DecisionTreeClassifier(max_depth=1), random_state="abc"), V,
      P.format("random_state") + r"an int in the range"))
# The data rows are the checks MultiClassAdaBoost chooses (numeric, dense, finite X, a
# classification target with two classes, non-negative weights), one row each; scikit-learn's
# own messages for everything else (1-D or empty X, NaN in y, sample_weight's shape, ...)
# are scikit-learn's estimator checks, run in tests/test_sklearn_api.py.
FIT = adaboost.MultiClassAdaBoost(n_estimators=2).fit
rows(FIT,
     (dict(X=STR2, y=[0, 1]), V, r"dtype='numeric' is not compatible with arrays of bytes/strings"),
     (dict(X=[[0.0], [INF]], y=[0, 1]), V, r"Input X contains infinity"),
     (dict(X=sparse.csr_matrix(X6), y=Y6), T, r"Sparse data was passed for X, but dense data"),
     (dict(X=X6, y=[0.5, 1.5, 2.5, 0.5, 1.5, 2.2]), V, r"Unknown label type: continuous"),
     (dict(X=X6, y=np.zeros(6, dtype=int)), V, r"y must contain samples of at least 2 classes"),
     (dict(X=X6, y=Y6, sample_weight=[1.0, -1.0, 1.0, 1.0, 1.0, 1.0]), V,
      r"Negative values in data passed to `sample_weight`"))
UNFITTED_ADA_R = adaboost.MultiClassAdaBoost(algorithm="SAMME.R")
for name, method in [("ada", m) for m in ("decision_function", "predict",
                                          "staged_decision_function", "staged_predict")] + \
        [("ada_r", m) for m in ("decision_function", "predict", "staged_decision_function",
                                "staged_predict", "predict_proba", "staged_predict_proba",
                                "predict_log_proba")]:
    unfitted = UNFITTED_ADA if name == "ada" else UNFITTED_ADA_R
    rows(getattr(unfitted, method), (dict(X=X6), V, r"This MultiClassAdaBoost instance is not fitted yet"))
    rows(on_fitted(name, method),
         (dict(X=X6[:, :1]), V, r"X has 1 features, but MultiClassAdaBoost is expecting 2"),
         (dict(X=[[0.0, NAN]]), V, r"Input X contains NaN"))

# ---------------------------------------------------------------- em
rows(em.kl_divergence,
     (dict(p=[-0.5, 1.5], q=[0.5, 0.5]), V, r"p must be non-negative"),
     (dict(p=[0.5, 0.6], q=[0.5, 0.5]), V, r"p must sum to 1"),
     (dict(p=[0.5, 0.5], q=[0.2, 0.2]), V, r"q must sum to 1"),
     (dict(p=[0.5, 0.5], q=[1.5, -0.5]), V, r"q must be non-negative"),
     (dict(p=[0.5, 0.5], q=[1.0]), V, r"p and q must have the same shape, got \(2,\) and \(1,\)"),
     (dict(p=[], q=[]), V, r"p must not be empty"),
     (dict(p=[0.5, 0.5], q=[NAN, 1.0]), V, r"q must contain only finite"),
     (dict(p=[0.5, 0.5], q=[INF, 0.0]), V, r"q must contain only finite"),
     (dict(p=["a", "b"], q=[0.5, 0.5]), T, r"p must be a numeric"),
     (dict(p=[[0.5, 0.5]], q=[0.5, 0.5]), V, r"p must be 1-D"))
rows(em.gaussian_kl,
     (dict(mu_p=0.0, sigma_p=0.0, mu_q=0.0, sigma_q=1.0), V, r"sigma_p must be a standard deviation > 0"),
     (dict(mu_p=0.0, sigma_p=1.0, mu_q=0.0, sigma_q=-1.0), V, r"sigma_q must be a standard deviation > 0"),
     (dict(mu_p=NAN, sigma_p=1.0, mu_q=0.0, sigma_q=1.0), V, r"mu_p must be finite"),
     (dict(mu_p=0.0, sigma_p=1.0, mu_q="0", sigma_q=1.0), T, r"mu_q must be a real number"),
     (dict(mu_p=0.0, sigma_p=1.0, mu_q=0.0, sigma_q=INF), V, r"sigma_q must be finite"),
     (dict(mu_p=[0.0], sigma_p=1.0, mu_q=0.0, sigma_q=1.0), T, r"mu_p must be a real number"))
for f in (em.log_evidence, em.posterior):
    rows(f,
         (dict(log_joint=[0.0, NAN]), V, r"log_joint must not contain NaN"),
         (dict(log_joint=[0.0, INF]), V, r"log_joint must not contain \+inf"),
         (dict(log_joint=[[0.0, 0.0], [-INF, -INF]]), V, r"log_joint must have at least one finite entry"),
         (dict(log_joint=[]), V, r"log_joint must not be empty"),
         (dict(log_joint=np.zeros((2, 0))), V, r"log_joint must not be empty"),
         (dict(log_joint=np.zeros((1, 1, 2))), V, r"log_joint must be 1-D or 2-D"),
         (dict(log_joint=["a"]), T, r"log_joint must be a numeric"),
         (dict(log_joint=None), T, r"log_joint must be a numeric"))
rows(em.elbo,
     (dict(q=[0.5, 0.6], log_joint=LJ[0]), V, r"q must sum to 1"),
     (dict(q=[-0.5, 1.5], log_joint=LJ[0]), V, r"q must be non-negative"),
     (dict(q=[1.0], log_joint=LJ[0]), V, r"q and log_joint must have the same shape"),
     (dict(q=[0.5, 0.5], log_joint=LJ), V, r"q and log_joint must have the same shape, got \(2,\) and \(2, 2\)"),
     (dict(q=[[0.5, 0.5], [0.9, 0.2]], log_joint=LJ), V, r"each row of q must sum to 1"),
     (dict(q=[[0.5, 0.5], [1.5, -0.5]], log_joint=LJ), V, r"q must be non-negative"),
     (dict(q=STR2, log_joint=LJ), T, r"q must be a numeric"),
     (dict(q=[0.5, 0.5], log_joint=[NAN, 0.0]), V, r"log_joint must not contain NaN"),
     (dict(q=[0.5, 0.5], log_joint=[0.0, INF]), V, r"log_joint must not contain \+inf"),
     (dict(q=[0.5, 0.5], log_joint=[-INF, -INF]), V, r"log_joint must have at least one finite"),
     (dict(q=[[[0.5, 0.5]]], log_joint=[[[0.0, 0.0]]]), V, r"log_joint must be 1-D or 2-D"),
     (dict(q=[[0.5, NAN], [0.5, 0.5]], log_joint=LJ), V, r"q must contain only finite"))
rows(em.normal_mixture_log_joint,
     (dict(x=[[0.0]], weights=[1.0], means=[0.0], stds=[1.0]), V, r"x must be 1-D"),
     (dict(x=[NAN], weights=[1.0], means=[0.0], stds=[1.0]), V, r"x must contain only finite"),
     (dict(x=["a"], weights=[1.0], means=[0.0], stds=[1.0]), T, r"x must be a numeric"),
     (dict(x=[], weights=[1.0], means=[0.0], stds=[1.0]), V, r"x must not be empty"),
     (dict(x=[0.0], weights=[0.5, 0.6], means=[0.0, 1.0], stds=[1.0, 1.0]), V, r"weights must sum to 1"),
     (dict(x=[0.0], weights=[-0.5, 1.5], means=[0.0, 1.0], stds=[1.0, 1.0]), V, r"weights must be non-negative"),
     (dict(x=[0.0], weights=[0.5, 0.5], means=[0.0], stds=[1.0, 1.0]), V, r"means must have shape \(2\)"),
     (dict(x=[0.0], weights=[0.5, 0.5], means=[0.0, 1.0], stds=1.0), V, r"stds must have shape \(2\)"),
     (dict(x=[0.0], weights=[0.5, 0.5], means=[0.0, 1.0], stds=[1.0, 0.0]), V,
      r"stds must be standard deviations > 0"),
     (dict(x=[0.0], weights=[0.5, 0.5], means=[0.0, INF], stds=[1.0, 1.0]), V, r"means must contain only finite"))

# ---------------------------------------------------------------- gmm
for f in (gmm.log_likelihood, gmm.responsibilities, gmm.em_step):
    rows(f,
         (gmm_args(X=XG[:, :1]), V, r"X must have 2 columns .* got shape \(6, 1\)"),
         (gmm_args(X=STR2), T, r"X must be a numeric"),
         (gmm_args(X=[[0.0, NAN]]), V, r"X must contain only finite"),
         (gmm_args(X=np.empty((0, 2))), V, r"X must not be empty"),
         (gmm_args(X=XG[0]), V, r"X must be 2-D"),
         (gmm_args(weights=[1.5, -0.5]), V, r"weights must be non-negative"),
         (gmm_args(weights=[0.5, 0.6]), V, r"weights must sum to 1"),
         (gmm_args(weights=[0.3, 0.3, 0.4]), V, r"means must have shape \(K, d\) with K = 3"),
         (gmm_args(means=M2[0]), V, r"means must be 2-D"),
         (gmm_args(means=[[0.0, NAN], [1.0, 1.0]]), V, r"means must contain only finite"),
         (gmm_args(covariances=np.eye(2)), V, r"covariances must be 3-D"),           # no broadcast
         (gmm_args(covariances=np.ones((2, 3, 3))), V, r"covariances must have shape \(2, 2, 2\)"),
         (gmm_args(covariances=NOT_PD), V, r"covariances\[1\] is not positive definite"),
         (gmm_args(covariances=np.zeros((2, 2, 2))), V, r"covariances\[0\] is not positive definite"),
         (gmm_args(covariances=ASYM), V, r"covariances\[0\] must be symmetric"),
         (gmm_args(covariances=C2.astype(object)), T, r"covariances must be a numeric"))
rows(gmm.em_step,
     (gmm_args(reg_covar=-1.0), V, r"reg_covar must be >= 0"),
     (gmm_args(reg_covar=NAN), V, r"reg_covar must be finite"),
     (gmm_args(reg_covar="0"), T, r"reg_covar must be a real number"))
# GaussianMixture is a scikit-learn estimator: parameters are validated in fit
# (scikit-learn's InvalidParameterError, a ValueError and TypeError), data by validate_data.
rows(gmm_params_at_fit,
     (dict(n_components=0), V, r"'n_components' parameter of GaussianMixture must be an int"),
     (dict(n_components=1.5), V, r"'n_components' parameter .* Got 1.5"),
     (dict(max_iter=0), V, r"'max_iter' parameter .* range \[1, inf\)"),
     (dict(tol=-1.0), V, r"'tol' parameter .* range \[0.0, inf\)"),
     (dict(tol=NAN), V, r"'tol' parameter .* Got nan"),
     (dict(reg_covar=-1e-6), V, r"'reg_covar' parameter .* range \[0.0, inf\)"),
     (dict(reg_covar="a"), T, r"'reg_covar' parameter .* Got 'a'"),
     (dict(n_init=0), V, r"'n_init' parameter .* range \[1, inf\)"),
     (dict(init_params="means"), V, r"'init_params' parameter .* Got 'means'"),
     (dict(n_components=7), V, r"Expected n_samples >= n_components but got n_components = 7"),
     (dict(weights_init=[0.5, 0.6]), V, r"initial parameters: weights must sum to 1"),
     (dict(weights_init=[1.5, -0.5]), V, r"initial parameters: weights must be non-negative"),
     (dict(means_init=M2[:1]), V, r"initial parameters: means must have shape"),
     (dict(means_init=np.zeros((2, 3))), V, r"initial parameters: means must have shape \(2, 2\)"),
     (dict(covariances_init=NOT_PD), V, r"initial parameters: covariances\[1\] is not positive definite"),
     (dict(covariances_init=ASYM), V, r"initial parameters: covariances\[0\] must be symmetric"),
     (dict(covariances_init=np.full((2, 2, 2), NAN)), V, r"covariances must contain only finite"),
     (dict(precisions_init=-C2), V, r"initial parameters: precisions\[0\] is not positive definite"),
     (dict(precisions_init=np.eye(2)), V, r"initial parameters: precisions must be 3-D"),
     (dict(precisions_init=C2, covariances_init=C2), V, r"precisions_init or covariances_init, not both"),
     (dict(random_state="abc"), V, r"'random_state' parameter of GaussianMixture must be an int"),
     (dict(random_state=-1), V, r"'random_state' parameter of GaussianMixture must be an int"))
for method in ("fit", "fit_predict"):
    rows(getattr(gmm.GaussianMixture(2), method),
         (dict(X=STR2), T, r"X must be a numeric array, got dtype <U1"),
         (dict(X=[[0.0, 1.0]]), V, r"minimum of 2 is required by GaussianMixture"),
         (dict(X=[[0.0, 1.0], [INF, 0.0]]), V, r"Input X contains infinity"),
         (dict(X=[[1e154, 0.0], [-1e154, 1.0], [0.0, 2.0]]), V,
          r"X has entries of magnitude 1.0e\+154 \(from the mean\): sums of their squares "
          r"over 3 rows and 2 columns would overflow float64 \(the limit is 2.74e\+153\); rescale"))
rows(gmm.GaussianMixture(2, reg_covar=0.0, init_params="random", random_state=0).fit,
     (dict(X=[[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]), V,      # collapsed data, no ridge
      r"covariances\[0\] is not positive definite.*use reg_covar > 0"))
rows(gmm.GaussianMixture(2, init_params="random_from_data").fit,
     (dict(X=[[1.0, 1.0]] * 4), V, r"needs n_components = 2 distinct points, X has only 1"))
for method in ("score_samples", "score", "predict_proba", "predict", "bic", "aic"):
    rows(getattr(UNFITTED_GMM, method), (dict(X=XG), V, r"not fitted yet\. Call 'fit'"))
    rows(on_fitted("gmm", method),
         (dict(X=XG[:, :1]), V, r"X has 1 features, but GaussianMixture is expecting 2"),
         (dict(X=[[NAN, 0.0]]), V, r"Input X contains NaN"),
         (dict(X=STR2), T, r"X must be a numeric array"))
rows(UNFITTED_GMM.standard_errors, (dict(X=XG), V, r"not fitted yet\. Call 'fit'"))
rows(on_fitted("gmm", "standard_errors"),
     (dict(X=XG[:, :1]), V, r"X has 1 features, but GaussianMixture is expecting 2"),
     (dict(X=STR2), T, r"X must be a numeric array"))
rows(gmm.louis_information,
     (gmm_args(X=XG[:, :1]), V, r"X must have 2 columns .* got shape \(6, 1\)"),
     (gmm_args(weights=[0.5, 0.6]), V, r"weights must sum to 1"),
     (gmm_args(weights=[1.0, 0.0]), V, r"weights must all be > 0"),
     (gmm_args(covariances=NOT_PD), V, r"covariances\[1\] is not positive definite"))
rows(gmm_params_at_fit, (dict(accelerate="aitken"), V, r"'accelerate' parameter .* Got 'aitken'"))
rows(UNFITTED_GMM.sample, (dict(n_samples=3), V, r"not fitted yet\. Call 'fit'"))
rows(on_fitted("gmm", "sample"),
     (dict(n_samples=0), V, r"n_samples must be an integer >= 1"),
     (dict(n_samples=2.0), T, r"n_samples must be an integer, got float"))


# BayesianGaussianMixture: parameters validated in fit, as GaussianMixture's.
@covers("mlhwlib.gmm.BayesianGaussianMixture")
def bgm_params_at_fit(**params):
    return gmm.BayesianGaussianMixture(**{"n_components": 2, **params}).fit(XG)


@functools.cache
def fitted_bgm():
    return gmm.BayesianGaussianMixture(n_components=2, random_state=0).fit(XG)


def on_fitted_bgm(method: str):
    def call(**kwargs):
        return getattr(fitted_bgm(), method)(**kwargs)

    call._covers = f"mlhwlib.gmm.BayesianGaussianMixture.{method}"
    return call


rows(bgm_params_at_fit,
     (dict(covariance_type="diag"), V, r"'covariance_type' parameter of BayesianGaussianMixture must be a str among \{'full'\}"),
     (dict(n_components=0), V, r"'n_components' parameter of BayesianGaussianMixture must be an int"),
     (dict(tol=NAN), V, r"'tol' parameter .* Got nan"),
     (dict(reg_covar=-1.0), V, r"'reg_covar' parameter .* range \[0.0, inf\)"),
     (dict(init_params="means"), V, r"'init_params' parameter .* Got 'means'"),
     (dict(weight_concentration_prior_type="dp"), V, r"'weight_concentration_prior_type' parameter"),
     (dict(weight_concentration_prior=0.0), V, r"'weight_concentration_prior' parameter .* Got 0.0"),
     (dict(weight_concentration_prior="a"), T, r"'weight_concentration_prior' parameter .* Got 'a'"),
     (dict(mean_precision_prior=-1.0), V, r"'mean_precision_prior' parameter"),
     (dict(degrees_of_freedom_prior=0.5), V, r"degrees_of_freedom_prior must be > d - 1 = 1"),
     (dict(mean_prior=[0.0]), V, r"mean_prior must have shape \(2\)"),
     (dict(mean_prior=[NAN, 0.0]), V, r"mean_prior must contain only finite"),
     (dict(mean_prior=[1e200, 0.0]), V, r"mean_prior has entries of magnitude"),
     (dict(covariance_prior=np.eye(3)), V, r"covariance_prior must have shape \(2, 2\)"),
     (dict(covariance_prior=-np.eye(2)), V, r"covariance_prior is not positive definite"),
     (dict(covariance_prior=[[1.0, 0.5], [0.0, 1.0]]), V, r"covariance_prior\[0\] must be symmetric"),
     (dict(covariance_prior=STR2), T, r"covariance_prior must be a numeric"),
     (dict(n_components=7), V, r"Expected n_samples >= n_components but got n_components = 7"),
     (dict(random_state="abc"), V, r"'random_state' parameter of BayesianGaussianMixture"))
for method in ("fit", "fit_predict"):
    rows(getattr(gmm.BayesianGaussianMixture(n_components=2), method),
         (dict(X=STR2), T, r"X must be a numeric array, got dtype <U1"),
         (dict(X=[[0.0, 1.0]]), V, r"minimum of 2 is required by BayesianGaussianMixture"),
         (dict(X=[[0.0, 1.0], [INF, 0.0]]), V, r"Input X contains infinity"),
         (dict(X=[[1e154, 0.0], [-1e154, 1.0], [0.0, 2.0]]), V,
          r"X has entries of magnitude 1.0e\+154 \(from the mean\): sums of their squares "
          r"over 3 rows and 2 columns would overflow float64 \(the limit is 2.74e\+153\); rescale"))
UNFITTED_BGM = gmm.BayesianGaussianMixture(n_components=2)
for method in ("score_samples", "score", "predict_proba", "predict"):
    rows(getattr(UNFITTED_BGM, method), (dict(X=XG), V, r"not fitted yet\. Call 'fit'"))
    rows(on_fitted_bgm(method),
         (dict(X=XG[:, :1]), V, r"X has 1 features, but BayesianGaussianMixture is expecting 2"),
         (dict(X=[[NAN, 0.0]]), V, r"Input X contains NaN"),
         (dict(X=STR2), T, r"X must be a numeric array"))
rows(UNFITTED_BGM.sample, (dict(n_samples=3), V, r"not fitted yet\. Call 'fit'"))
rows(on_fitted_bgm("sample"),
     (dict(n_samples=0), V, r"n_samples must be an integer >= 1"),
     (dict(n_samples=2.0), T, r"n_samples must be an integer, got float"))


def map_args(**change):
    return {**gmm_args(), "psi": np.eye(2), "nu": 3.0, **change}


for f in (gmm.map_em_step, gmm.log_posterior):
    rows(f,
         (map_args(X=XG[:, :1]), V, r"X must have 2 columns"),
         (map_args(weights=[0.5, 0.6]), V, r"weights must sum to 1"),
         (map_args(covariances=NOT_PD), V, r"covariances\[1\] is not positive definite"),
         (map_args(psi=np.eye(3)), V, r"psi must have shape \(2, 2\)"),
         (map_args(psi=-np.eye(2)), V, r"psi is not positive definite"),
         (map_args(psi=[[1.0, 0.5], [0.0, 1.0]]), V, r"psi\[0\] must be symmetric"),
         (map_args(nu=1.0), V, r"nu must be > d - 1 = 1"),
         (map_args(nu="3"), T, r"nu must be a real number"),
         (map_args(nu=NAN), V, r"nu must be finite"))
rows(gmm.inverse_wishart_logpdf,
     (dict(covariances=np.eye(2), psi=np.eye(2), nu=3.0), V, r"covariances must be 3-D"),
     (dict(covariances=np.ones((2, 2, 3)), psi=np.eye(2), nu=3.0), V,
      r"covariances must have shape \(K, d, d\)"),
     (dict(covariances=NOT_PD, psi=np.eye(2), nu=3.0), V, r"covariances\[1\] is not positive definite"),
     (dict(covariances=C2, psi=np.eye(2), nu=0.5), V, r"nu must be > d - 1"))

# ---------------------------------------------------------------- matrix_calculus
SING = np.array([[1.0, 2.0], [2.0, 4.0]])
for _fn in (matrix_calculus.tied_entry_gradient, matrix_calculus.symmetrize_gradient):
    rows(_fn,
         (dict(G=np.ones((2, 3))), V, r"G must be square, got shape \(2, 3\)"),
         (dict(G=[1.0, 2.0]), V, r"G must be 2-D"),
         (dict(G=[[NAN, 0.0], [0.0, 1.0]]), V, r"G must contain only finite"),
         (dict(G=STR2), T, r"G must be a numeric"))
rows(matrix_calculus.logdet_gradient,
     (dict(X=SING), V, r"X must be invertible"),
     (dict(X=np.ones((2, 3))), V, r"X must be square"),
     (dict(X=[[1.0, 2.0], [0.0, 1.0]], symmetric=True), V, r"X must be symmetric when symmetric=True"),
     (dict(X=np.eye(2), symmetric="no"), T, r"symmetric must be True or False, got str"),
     (dict(X=[[INF, 0.0], [0.0, 1.0]]), V, r"X must contain only finite"),
     (dict(X=np.empty((0, 0))), V, r"X must not be empty"))
rows(matrix_calculus.trace_product_gradient,
     (dict(X=np.ones((2, 3)), B=np.ones((2, 3))), V, r"B must have shape \(3, 2\)"),
     (dict(X=STR2, B=np.ones((2, 2))), T, r"X must be a numeric"),
     (dict(X=np.eye(2), B=[[NAN, 0.0], [0.0, 0.0]]), V, r"B must contain only finite"),
     (dict(X=np.eye(2), B=np.eye(2), symmetric="yes"), T, r"symmetric must be True or False"),
     (dict(X=np.ones((2, 3)), B=np.ones((3, 2)), symmetric=True), V, r"X must be square"))
rows(matrix_calculus.quadratic_inverse_gradient,
     (dict(X=np.eye(2), a=[1.0, 2.0, 3.0]), V, r"a must have shape \(2\)"),
     (dict(X=np.eye(2), a=1.0), V, r"a must be 1-D"),
     (dict(X=np.eye(2), a=[NAN, 1.0]), V, r"a must contain only finite"),
     (dict(X=SING, a=[1.0, 1.0]), V, r"X must be invertible"),
     (dict(X=np.eye(2), a=[1.0, 1.0], symmetric=1), T, r"symmetric must be True or False, got int"))
rows(matrix_calculus.covariance_gradient_from_precision,
     (dict(Sigma=SING, G_precision=np.eye(2)), V, r"Sigma must be invertible"),
     (dict(Sigma=np.eye(2), G_precision=np.eye(3)), V, r"G_precision must have shape \(2, 2\)"),
     (dict(Sigma=np.ones((2, 3)), G_precision=np.eye(2)), V, r"Sigma must be square"),
     (dict(Sigma=STR2, G_precision=np.eye(2)), T, r"Sigma must be a numeric"))
rows(matrix_calculus.numerical_gradient,
     (dict(f=None, X=np.eye(2)), T, r"f must be callable"),
     (dict(f=3, X=np.eye(2)), T, r"f must be callable"),
     (dict(f=np.sum, X=np.eye(2), step=0.0), V, r"step must be > 0"),
     (dict(f=np.sum, X=np.eye(2), step=NAN), V, r"step must be finite"),
     (dict(f=lambda X: X, X=np.eye(2)), T, r"f must return a real scalar"),
     (dict(f=lambda X: NAN, X=np.eye(2)), V, r"f returned a non-finite value"),
     (dict(f=np.sum, X=[[NAN]]), V, r"X must contain only finite"),
     (dict(f=np.sum, X=[[1.0, 2.0], [0.0, 1.0]], symmetric=True), V, r"X must be symmetric"),
     (dict(f=np.sum, X=np.eye(2), symmetric="yes"), T, r"symmetric must be True or False"))


def _case_id(case):
    func, kwargs, exc, regex = case
    name = target_of(func)
    return f"{name.removeprefix('mlhwlib.')}-{regex[:40]}"


@pytest.mark.parametrize("case", C, ids=[_case_id(c) for c in C])
def test_bad_input_is_rejected_with_a_message_naming_it(case):
    func, kwargs, exc, regex = case
    assert exc in (ValueError, TypeError, OverflowError)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(exc, match=regex) as info:
            func(**kwargs)
    # The message must say which argument and what was wrong, not be a bare numpy error.
    assert not re.search(r"could not convert|ufunc|not supported between|index \d+ is out of bounds",
                         str(info.value))


def test_every_public_name_has_cases():
    callables, others = public_api()
    covered = {target_of(f) for f, *_ in C}
    missing = sorted(callables - covered - RESULT_TYPES - NO_ARGUMENTS)
    assert not missing, f"public names without validation rows: {missing}"
    assert others == NON_CALLABLE, f"acknowledge new public constants: {sorted(others ^ NON_CALLABLE)}"
    # ...and the table names nothing that is not public (a typo would hide a gap).
    assert covered <= callables, sorted(covered - callables)
    assert RESULT_TYPES <= callables and not RESULT_TYPES & covered, RESULT_TYPES


def test_valid_inputs_used_by_the_table_are_accepted():
    """The rows differ from these calls only in the bad argument, so they test that argument."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lstm.lstm_trace(**LSTM_OK)
        lstm.lstm_cell(**CELL_OK)
        lstm.lstm_state_jacobian(**CELL_OK)
        bptt.rnn_bptt(**BPTT_OK)
        for f in (gmm.log_likelihood, gmm.responsibilities, gmm.em_step):
            f(**gmm_args())
        gmm.louis_information(**gmm_args())
        em.elbo(q=[[0.5, 0.5], [0.5, 0.5]], log_joint=LJ)
        ada_params_at_fit()
        fitted("ada").score(X6, Y6, sample_weight=np.ones(6))
        list(fitted("ada").staged_predict(X6))
        for method in ("predict_proba", "staged_predict_proba", "predict_log_proba"):
            np.asarray(list(getattr(fitted("ada_r"), method)(X6)))
        gmm_params_at_fit()
        gmm.map_em_step(**map_args())
        gmm.log_posterior(**map_args())
        gmm.inverse_wishart_logpdf(C2, np.eye(2), 3.0)
        STUMP.predict([[0.0, 1.0]])
        adaboost.fit_stump([[0.0], [1.0]], [0, 1], [1.0, 1.0])
        numerics.logsumexp([1.0, 2.0, 3.0], b=[1.0, 1.0, 1.0])
        matrix_calculus.logdet_gradient(np.eye(2), symmetric=np.bool_(True))

