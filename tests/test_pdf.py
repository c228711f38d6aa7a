"""The PDF (``make pdf``) has every chapter and no unresolved reference."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from conftest import IN_CI, ROOT, toc_files

PDF = ROOT / "_build" / "latex" / "mlhw-book.pdf"


def _title(name: str) -> str:
    md, nb = ROOT / f"{name}.md", ROOT / f"{name}.ipynb"
    if md.exists():
        lines = md.read_text(encoding="utf-8").splitlines()
    else:
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        lines = [line for c in cells if c["cell_type"] == "markdown"
                 for line in "".join(c["source"]).splitlines()]
    return next(line[2:].strip() for line in lines if line.startswith("# "))


def _key(text: str) -> str:
    """Compare on letters and digits only: LaTeX changes dashes, quotes and math."""
    text = re.sub(r"\$[^$]*\$", "", text)
    return re.sub(r"[^a-z0-9]", "", text.lower())


@pytest.fixture(scope="module")
def pdf_text():
    if shutil.which("pdftotext") is None or not PDF.exists():
        message = (f"{PDF.name} or pdftotext missing: install texlive (see README) "
                   "and poppler-utils, then `make pdf`")
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    done = subprocess.run(["pdftotext", "-layout", str(PDF), "-"], capture_output=True,
                          text=True, check=True)
    return done.stdout


@pytest.mark.parametrize("name", toc_files())
def test_every_page_title_is_in_the_pdf(pdf_text, name):
    title = _title(name)
    assert _key(title) in _key(pdf_text), f"title {title!r} of {name} not found in the PDF"


def test_pdf_has_no_unresolved_references(pdf_text):
    assert "??" not in pdf_text, "the PDF contains '??' (an unresolved reference)"
