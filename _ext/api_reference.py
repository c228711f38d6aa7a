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

import importlib
import inspect
import pkgutil
import re
import sys
from pathlib import Path

API_DOC = "book/api"

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


# Section names napoleon turns into fields or rubrics itself (numpydoc and Google).
_NAPOLEON_SECTIONS = {
    "args", "arguments", "attention", "attributes", "caution", "danger", "error",
    "example", "examples", "hint", "important", "keyword args", "keyword arguments",
    "methods", "note", "notes", "other parameters", "parameters", "receive", "receives",
    "return", "returns", "raise", "raises", "references", "see also", "tip", "todo",
    "warning", "warnings", "warn", "warns", "yield", "yields",
}


def _headings_to_rubrics(app, what, name, obj, options, lines):
    """Turn a section title inside a docstring ("Public API" + underline) into a rubric.

    A docstring is not a page: a real section title there would end up in the
    page's table of contents, and two modules with the same title give a
    "duplicate target" warning. numpydoc's own sections are left to napoleon.
    """
    i = 0
    while i + 1 < len(lines):
        title, under = lines[i].strip(), lines[i + 1].strip()
        if (title and len(under) >= 3 and len(set(under)) == 1 and under[0] in "-=~^"
                and len(under) >= len(title) and title.lower() not in _NAPOLEON_SECTIONS
                and not lines[i][:1].isspace()):
            lines[i:i + 2] = [f".. rubric:: {title}", ""]
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

def public_modules() -> list[str]:
    """``mlhwlib``'s public modules (no leading underscore), sorted."""
    import mlhwlib

    return sorted(f"mlhwlib.{m.name}" for m in pkgutil.iter_modules(mlhwlib.__path__)
                  if not m.name.startswith("_"))


def _undocumented_data(name: str) -> list[tuple[str, str]]:
    """``(constant, origin)`` for each non-callable ``__all__`` entry autodoc would leave out.

    autodoc documents a module-level constant only where the module's source
    gives it a ``#:`` comment or docstring; a constant re-exported from another
    module (``from mlhwlib.numerics import SUM_TO_ONE_ATOL``) would have no entry.
    ``origin`` is the public module that documents it, or ``""``.
    """
    from sphinx.pycode import ModuleAnalyzer

    mod = importlib.import_module(name)
    documented = {attr for (_, attr) in ModuleAnalyzer.for_module(name).find_attr_docs()}
    out = []
    for attr in getattr(mod, "__all__", []):
        obj = getattr(mod, attr)
        if callable(obj) or inspect.ismodule(obj) or attr in documented or attr.startswith("__"):
            continue
        origin = ""
        for other in public_modules():
            if other != name and attr in getattr(importlib.import_module(other), "__all__", []):
                if getattr(importlib.import_module(other), attr) is obj:
                    docs = {a for (_, a) in ModuleAnalyzer.for_module(other).find_attr_docs()}
                    if attr in docs:
                        origin = other
        out.append((attr, origin))
    return out


def _data_entries(name: str) -> str:
    lines = []
    for attr, origin in _undocumented_data(name):
        text = (f"Re-exported: the same object as :data:`{origin}.{attr}`." if origin
                else "A public constant of this module.")
        lines.append(f"\n.. py:data:: {attr}\n\n   {text}\n")
    return "".join(lines)


def _complete_api_page(app, docname, source):
    """Give every public module and every public name an entry on ``book/api``.

    * The page lists the modules in the book's order, with their chapters; a
      module added to ``mlhwlib`` since (one split out of another, say) is
      appended under *Other modules*, titled by its docstring's first line.
      Move it to its place when convenient.
    * A constant in a module's ``__all__`` that autodoc leaves out (see
      :func:`_undocumented_data`) gets a ``py:data`` entry after the module's
      ``automodule``.
    """
    if docname != API_DOC:
        return
    text = source[0]
    named = set(re.findall(r"automodule::\s+(mlhwlib(?:\.\w+)?)\s", text))
    app.env.mlhw_api_modules = public_modules()
    missing = [m for m in public_modules() if m not in named]
    if missing:
        parts = ["\n## Other modules\n"]
        for name in missing:
            doc = (importlib.import_module(name).__doc__ or "").strip().splitlines()
            title = doc[0].rstrip(".") if doc else name
            # a heading is plain text: roles become their text, a closing remark in
            # brackets ("(chapter :ref:`adaboost`)") goes
            title = re.sub(r"\s*\([^()]*:\w+:`[^`]*`[^()]*\)\s*$", "", title)
            title = re.sub(r":[\w:]+:`~?([^`<]*?)(?:\s*<[^>]*>)?`", r"\1", title)
            parts.append(f"\n### `{name}`: {title}\n\n```{{eval-rst}}\n.. automodule:: {name}\n"
                         "   :members:\n   :undoc-members:\n   :show-inheritance:\n```\n")
        text += "".join(parts)

    def add_data(match):
        return match.group(0) + _data_entries(match.group(1))

    text = re.sub(r"\.\. automodule::\s+(mlhwlib\.\w+)[ \t]*\n(?:[ \t]+:[^\n]*\n)*",
                  add_data, text)
    source[0] = text


def _api_outdated(app, env, added, changed, removed):
    """Re-read ``book/api`` when a public module appears or disappears."""
    if API_DOC in env.found_docs and getattr(env, "mlhw_api_modules", None) != public_modules():
        return [API_DOC]
    return []


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
    app.connect("autodoc-process-docstring", _headings_to_rubrics, priority=400)
    app.connect("source-read", _complete_api_page)
    app.connect("env-get-outdated", _api_outdated)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
