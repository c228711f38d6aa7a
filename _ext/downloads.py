"""Sphinx extension: what a reader downloads, and where the book comes from.

* **Downloads on every page.** The header's download menu offers this page's
  clean notebook (``notebooks/<stem>.ipynb``, written after the site by
  ``tools/build_notebooks.py``: plain Markdown, no MyST, no solutions in the
  student edition), ``mlhw-notebooks.zip`` (every notebook, the ``mlhwlib`` wheel,
  a ``requirements.txt`` and a README) and, where it is published
  (``mlhw_pdf``), the book as a PDF. The theme's own items (the MyST source,
  which renders only inside this repository, and "print to PDF") are replaced:
  both editions offer the same safe downloads.
* **"Running this chapter"** notes end with the three commands and the links,
  on the site (the PDF has no use for download links), where the note is folded
  (a dropdown, sphinx-togglebutton): its title alone keeps a phone's first screen
  for the chapter's title and learning goals; the PDF prints it open.
* **Where the book comes from.** ``repository.url`` in ``_config.yml`` is set by
  whoever publishes the book. When it is set, the theme's repository and issue
  buttons appear and the issue button is labelled for reporting an erratum; the
  ``{source-repository}`` directive (used in the introduction) names the
  repository. When it is not set, both stay silent.
* ``{site-file}`NAME``` links a file published at the site's root (the bundle,
  the wheel, the PDF) from a page's prose.
* **Version and build date** in every page's footer: ``mlhwlib``'s version and
  the date of the build (``SOURCE_DATE_EPOCH`` is honoured).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

NOTEBOOKS_DIR = "notebooks"
BUNDLE = "mlhw-notebooks.zip"
COMMANDS = ("python3 -m venv .venv", ".venv/bin/pip install -r requirements.txt",
            ".venv/bin/jupyter lab")


def _version() -> str:
    text = (Path(__file__).resolve().parent.parent / "mlhwlib" / "__init__.py").read_text()
    return re.search(r'^__version__ = "([^"]+)"', text, re.M).group(1)


def _build_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch
            else dt.datetime.now(dt.timezone.utc))
    return when.strftime("%Y-%m-%d")


def _repository(app) -> str:
    return (app.config.html_theme_options.get("repository_url") or "").strip().rstrip("/")


def _configure(app, config):
    """Issue and repository buttons only with a repository; version and date in the footer."""
    options = config.html_theme_options
    has_repo = bool((options.get("repository_url") or "").strip())
    options["use_issues_button"] = has_repo
    options["use_repository_button"] = has_repo
    # the download menu is this extension's (see _downloads)
    options["use_download_button"] = False
    stamp = (f'<p class="mlhw-version">Version {_version()}, built {_build_date()}.</p>')
    options["extra_footer"] = (options.get("extra_footer") or "") + stamp


def _has_notebook(app, pagename: str) -> bool:
    if not pagename.startswith("book/"):
        return False
    return (Path(app.srcdir) / f"{pagename}.ipynb").exists()


def _downloads(app, pagename, templatename, context, doctree):
    """This page's notebook, the bundle and the PDF in the header's download menu;
    the issue button labelled for errata."""
    if "header_buttons" not in context:
        return
    root = context["pathto"]("", 1).rstrip("/")
    root = (root + "/") if root not in ("", ".") else ""
    items = []
    if _has_notebook(app, pagename):
        stem = pagename.split("/", 1)[1]
        items.append({"type": "link", "url": f"{root}{NOTEBOOKS_DIR}/{stem}.ipynb",
                      "text": ".ipynb", "icon": "fas fa-code",
                      "tooltip": "This page as a Jupyter notebook",
                      "label": "download-notebook-button"})
    items.append({"type": "link", "url": f"{root}{BUNDLE}", "text": ".zip",
                  "icon": "fas fa-file-archive",
                  "tooltip": "Every notebook with the mlhwlib library",
                  "label": "download-bundle-button"})
    if app.config.mlhw_pdf:
        items.append({"type": "link", "url": f"{root}{app.config.mlhw_pdf}", "text": ".pdf",
                      "icon": "fas fa-file-pdf", "tooltip": "The whole book as a PDF",
                      "label": "download-pdf-button"})
    buttons = context["header_buttons"]
    buttons.insert(0, {"type": "group", "tooltip": "Download", "icon": "fas fa-download",
                       "buttons": items, "label": "download-buttons"})
    for button in buttons:
        for b in [button, *button.get("buttons", [])]:
            if b.get("label") == "source-issues-button":
                b["url"] = b["url"].replace("title=Issue%20on%20page", "title=Erratum%20on%20page")
                b["text"] = "Report an erratum" if b.get("text") else ""
                b["tooltip"] = "Report an erratum or a problem on this page"


def _running_note(app, doctree, docname):
    """The three commands and the download links at the end of "Running this ..."."""
    if app.builder.format != "html" or not _has_notebook(app, docname):
        return
    stem = docname.split("/", 1)[1]
    for note in doctree.findall(nodes.admonition):
        title = note.next_node(nodes.title)
        if title is None or not title.astext().startswith("Running this"):
            continue
        para = nodes.paragraph(classes=["mlhw-run-yourself"])
        para += nodes.strong(text="Run it yourself: ")
        para += nodes.Text("download ")
        para += nodes.reference("", f"this notebook ({stem}.ipynb)",
                                refuri=f"../{NOTEBOOKS_DIR}/{stem}.ipynb", internal=False)
        para += nodes.Text(", or ")
        para += nodes.reference("", BUNDLE, refuri=f"../{BUNDLE}", internal=False)
        para += nodes.Text(" (every notebook, the mlhwlib library and a requirements.txt); "
                           "unzip it and, in its folder, run ")
        for k, command in enumerate(COMMANDS):
            para += nodes.literal(text=command)
            para += nodes.Text(", " if k < len(COMMANDS) - 2 else (" and " if k == len(COMMANDS) - 2
                                                                  else ". "))
        para += nodes.Text("Python 3.10 or newer; PyTorch is optional.")
        if app.config.mlhw_pdf:
            para += nodes.Text(" The whole book: ")
            para += nodes.reference("", "PDF", refuri=f"../{app.config.mlhw_pdf}", internal=False)
            para += nodes.Text(".")
        note += para
        if "dropdown" not in note["classes"]:
            note["classes"].append("dropdown")
        return


def site_file_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``{site-file}`mlhw-notebooks.zip``` links a file published at the site's root
    (``{site-file}`wheel``` names the mlhwlib wheel of this version).

    On the site the link is relative to the page; in the PDF it is the site's
    address (``html_baseurl``) when that is set, else the file's name as code.
    """
    env = inliner.document.settings.env
    depth = env.docname.count("/")
    if text == "wheel":  # the library's wheel, named by its version
        text = f"mlhwlib-{_version()}-py3-none-any.whl"
    ref = nodes.reference(rawtext, "", refuri="../" * depth + text, internal=False,
                          classes=["mlhw-site-file"])
    ref["mlhw_file"] = text
    ref += nodes.literal(text=text)
    return [ref], []


def _site_files_off_the_site(app, doctree, docname):
    """In the PDF a site file is linked by the site's address, or named."""
    if app.builder.format == "html":
        return
    base = (app.config.html_baseurl or "").rstrip("/")
    for ref in list(doctree.findall(nodes.reference)):
        if "mlhw-site-file" in ref.get("classes", []):
            if base:
                ref["refuri"] = f"{base}/{ref['mlhw_file']}"
            else:
                ref.replace_self(nodes.literal(text=ref["mlhw_file"]))


class SourceRepository(SphinxDirective):
    """A sentence naming the book's source repository, when ``repository.url`` is set."""

    has_content = False

    def run(self):
        url = _repository(self.env.app)
        if not url:
            return []
        para = nodes.paragraph()
        para += nodes.Text("The book's sources (chapters, library, tests) are at ")
        para += nodes.reference("", url, refuri=url)
        para += nodes.Text(". Found a mistake? Every page has a ")
        para += nodes.emphasis(text="Report an erratum")
        para += nodes.Text(" button (the light bulb at the top) that opens an issue there.")
        return [para]


def setup(app):
    # the PDF published beside the site (e.g. "mlhw-book.pdf"), or "" for none;
    # the Makefile sets MLHW_PDF when it builds the PDF (TeX installed)
    app.add_config_value("mlhw_pdf", os.environ.get("MLHW_PDF", ""), "html")
    # the student site's public address (tools/build_notebooks.py links the student
    # edition's notebooks to it; html_baseurl is the instructors' site's)
    app.add_config_value("mlhw_student_baseurl", "", "html")
    app.add_directive("source-repository", SourceRepository)
    app.add_role("site-file", site_file_role)
    app.connect("doctree-resolved", _site_files_off_the_site)
    app.connect("config-inited", _configure)
    app.connect("html-page-context", _downloads, priority=600)
    app.connect("doctree-resolved", _running_note)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
