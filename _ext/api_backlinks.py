"""Sphinx extension: the API reference links back to the chapters (issue 29, item 4).

Every ``{py:func}``/``{py:class}`` (any Python-domain role) in a chapter's prose is
collected from the doctrees as they are read: the object it names, and the section
it stands in. On the API page (``book/api``) each documented object that chapters
refer to gets a line "In the chapters:" under its signature, one link per section
(numbered as on the site: "§3.2 The forget gate"), in the order of the book.
References on the API page itself are not collected; an object no chapter refers
to gets no line.

The source of each object is linked by ``sphinx.ext.viewcode`` (the ``[source]``
links and the ``_modules/`` pages), which this extension sets up.

A role's target is matched to a documented object as Sphinx resolves it (the
Python domain's ``find_obj``, with the role's current module), so ``mlhwlib.rtrl.rnn_rtrl``
and ``~mlhwlib.rtrl.rnn_rtrl`` count as the same object.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes

# the API page (config value ``mlhw_api_doc``)
API_DOC = "book/api"
LABEL = "In the chapters:"
CLASS = "mlhw-derived-in"


def _section(node, top):
    """The innermost section around ``node``: ``(id, title)`` (the id ``""`` for the
    page's own top section: linked as the page), or ``None``."""
    parent = node.parent
    while parent is not None:
        if isinstance(parent, nodes.section) and parent["ids"]:
            title = parent.next_node(nodes.title)
            return ("" if parent is top else parent["ids"][0]), title.astext() if title else ""
        parent = parent.parent
    return None


def collect(app, doctree):
    """``doctree-read``: the Python-domain references of this page (not the API page)."""
    env = app.env
    docname = env.docname
    if not hasattr(env, "mlhw_backlinks"):
        env.mlhw_backlinks = {}
    env.mlhw_backlinks.pop(docname, None)
    if docname == app.config.mlhw_api_doc:
        return
    found = []
    top = doctree.next_node(nodes.section)
    for ref in doctree.findall(addnodes.pending_xref):
        if ref.get("refdomain") != "py" or ref.get("reftype") == "mod":
            continue
        where = _section(ref, top)
        if where is None:
            continue
        found.append((ref.get("reftype"), ref.get("reftarget"), ref.get("py:module"),
                      ref.get("py:class"), where[0], where[1]))
    if found:
        env.mlhw_backlinks[docname] = found


def purge(app, env, docname):
    getattr(env, "mlhw_backlinks", {}).pop(docname, None)


def merge(app, env, docnames, other):
    if not hasattr(env, "mlhw_backlinks"):
        env.mlhw_backlinks = {}
    for docname, found in getattr(other, "mlhw_backlinks", {}).items():
        if docname in docnames:
            env.mlhw_backlinks[docname] = found


def api_page_outdated(app, env):
    """``env-get-updated``: the API page is written again whenever the links collected
    from the chapters changed (an incremental build reads only the chapters)."""
    state = sorted((d, tuple(f)) for d, f in getattr(env, "mlhw_backlinks", {}).items())
    api = app.config.mlhw_api_doc
    if getattr(env, "mlhw_backlinks_written", None) != state and api in env.all_docs:
        env.mlhw_backlinks_written = state
        return [api]
    return []


def backlinks(env) -> dict[str, list[tuple[str, str, str]]]:
    """``full name -> [(docname, section id, title), ...]``: each documented object's
    sections, each once, in the order of the book's table of contents."""
    domain = env.get_domain("py")
    order = {d: i for i, d in enumerate(_doc_order(env))}
    out: dict[str, list[tuple[str, str, str]]] = {}
    for docname in sorted(getattr(env, "mlhw_backlinks", {}), key=lambda d: order.get(d, 1e9)):
        for reftype, target, modname, clsname, sid, title in env.mlhw_backlinks[docname]:
            target = (target or "").lstrip("~.")
            matches = domain.find_obj(env, modname, clsname, target, reftype, 0)
            if not matches:
                matches = domain.find_obj(env, modname, clsname, target, reftype, 1)
            if len(matches) != 1:
                continue
            name = matches[0][0]
            entry = (docname, sid, title)
            if entry not in out.setdefault(name, []):
                out[name].append(entry)
    return out


def _doc_order(env) -> list[str]:
    """The documents in the order of the table of contents (root first)."""
    seen: list[str] = []

    def walk(doc):
        if doc in seen:
            return
        seen.append(doc)
        for child in env.toctree_includes.get(doc, []):
            walk(child)

    walk(env.config.root_doc)
    return seen + sorted(d for d in env.all_docs if d not in seen)


def _number(env, docname, sid) -> str:
    number = env.toc_secnumbers.get(docname, {}).get("#" + sid if sid else "")
    return "§" + ".".join(map(str, number)) + " " if number else ""


def add_lines(app, doctree, docname):
    """``doctree-resolved``: the "In the chapters:" line of each object on the API page."""
    if docname != app.config.mlhw_api_doc:
        return
    env = app.env
    links = backlinks(env)
    if not links:
        return
    for desc in doctree.findall(addnodes.desc):
        if desc.get("domain") != "py":
            continue
        signature = desc.next_node(addnodes.desc_signature)
        content = desc.next_node(addnodes.desc_content)
        if signature is None or content is None:
            continue
        name = next((i for i in signature["ids"] if i in links), None)
        if name is None:
            continue
        paragraph = nodes.paragraph(classes=[CLASS])
        paragraph += nodes.strong(LABEL, LABEL)
        paragraph += nodes.Text(" ")
        for k, (target_doc, sid, title) in enumerate(links[name]):
            if k:
                paragraph += nodes.Text("; ")
            uri = app.builder.get_relative_uri(docname, target_doc)
            if sid:
                uri += "#" + sid
            text = _number(env, target_doc, sid) + title
            paragraph += nodes.reference(text, text, internal=True, refuri=uri)
        paragraph += nodes.Text(".")
        content.insert(0, paragraph)


def setup(app):
    app.setup_extension("sphinx.ext.viewcode")
    app.add_config_value("mlhw_api_doc", API_DOC, "env")
    app.connect("doctree-read", collect)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-get-updated", api_page_outdated)
    app.connect("doctree-resolved", add_lines)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
