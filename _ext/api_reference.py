"""Sphinx extension: settings for the API reference appendix (``book/api.md``).

``book/api.md`` documents every public name of :mod:`mlhwlib` (each module's
``__all__``) with ``sphinx.ext.autodoc`` and ``sphinx.ext.napoleon`` (numpydoc
sections). This extension keeps their settings in one place and makes sure
that the *source tree's* ``mlhwlib`` is the one documented.

The build stays nitpicky (``-n -W``): a docstring's ``:ref:`` to a label that no
chapter defines still fails it, and so does a cross-reference to an
``mlhwlib`` object that does not exist. Only references that cannot resolve in
an offline build without intersphinx are let through: names in numpy, scipy,
scikit-learn, matplotlib and torch (``np.ndarray`` in a signature, a
``:func:`scipy.special.expit``` in a docstring) and numpydoc's type words
(``array_like``, ``ndarray``, ``optional``...).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# Python-domain targets that an offline build cannot resolve (no intersphinx).
EXTERNAL = r"(np|numpy|scipy|sklearn|matplotlib|mpl|torch|numbers|dataclasses)(\..+)?"
TYPE_WORDS = r"(array_like|array-like|ndarray|callable|optional|default|scalar|shape|of|or)"


def _configure(app, config):
    config.autodoc_member_order = "bysource"
    config.autodoc_typehints = "signature"
    config.autodoc_preserve_defaults = True
    # Parameters/Returns as plain field lists: the numpydoc types ("array_like,
    # shape (N, d)") are text, not cross-references.
    config.napoleon_google_docstring = False
    config.napoleon_numpy_docstring = True
    config.napoleon_use_param = False
    config.napoleon_use_rtype = False
    # "Attributes" like "Parameters": a plain field list. (As ``:ivar:`` fields
    # their types would become cross-references, and "z, z_i : ndarray, shape
    # (T,)" would look for classes named z_i and T.)
    config.napoleon_custom_sections = [("Attributes", "params_style")]
    config.napoleon_preprocess_types = False
    ignore = list(config.nitpick_ignore_regex or [])
    for domain in ("py:class", "py:func", "py:meth", "py:obj", "py:mod", "py:data",
                   "py:exc", "py:attr"):
        ignore.append((domain, EXTERNAL))
    ignore.append(("py:class", TYPE_WORDS))
    config.nitpick_ignore_regex = ignore


_EXCEPTION_NAMES = re.compile(r"^[A-Za-z_][\w.]*(\s*,\s*[A-Za-z_][\w.]*)*$")


def _end_raises_before_prose(app, what, name, obj, options, lines):
    """End a numpydoc *Raises* section at the first unindented line that is prose.

    numpydoc allows no free text after a section, but a docstring such as
    ``mlhwlib.bptt.tanh_derivative``'s ends with a "Derived in ..." paragraph
    right after *Raises*; napoleon would read each of its lines as an exception
    name (a nitpicky warning). A *Notes* heading is inserted before such a
    paragraph, so it renders as a note.
    """
    in_raises = False
    i = 0
    while i < len(lines):
        line = lines[i]
        underline = i + 1 < len(lines) and re.fullmatch(r"-{3,}", lines[i + 1].strip())
        if underline:
            in_raises = line.strip() == "Raises"
            i += 2
            continue
        if in_raises and line and not line[0].isspace() and not _EXCEPTION_NAMES.match(line):
            lines[i:i] = ["Notes", "-----"]
            in_raises = False
            i += 2
        i += 1


def _skip_member(app, what, name, obj, skip, options):
    """Skip what a class documents elsewhere or does not own.

    * methods a class gets from another library (scikit-learn's
      ``set_*_request``), whose docstrings point into that library's docs;
    * data attributes of a class (the fields of the result dataclasses): the
      class's *Attributes* section lists them with their shapes (properties
      are kept).

    Module-level names are never skipped here: ``:undoc-members:`` keeps every
    name of ``__all__``, documented or not.
    """
    if what != "class":
        return None
    if callable(obj) and not isinstance(obj, type):
        module = getattr(obj, "__module__", None)
        if module and not module.startswith("mlhwlib"):
            return True
        return None
    if isinstance(obj, (property, type)):
        return None
    return True

def setup(app):
    # Document the mlhwlib of this source tree, whatever is installed.
    root = str(Path(app.srcdir).resolve())
    if root not in sys.path:
        sys.path.insert(0, root)
    app.setup_extension("sphinx.ext.autodoc")
    app.setup_extension("sphinx.ext.napoleon")
    app.connect("config-inited", _configure)
    app.connect("autodoc-skip-member", _skip_member)
    # before napoleon (priority 500) turns the numpydoc sections into fields
    app.connect("autodoc-process-docstring", _end_raises_before_prose, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
