"""The licences are stated wherever a reader meets the book.

The code is under the MIT License (``LICENSE``; ``pyproject.toml`` says
``license = "MIT"``), the text and figures under Creative Commons
Attribution-ShareAlike 4.0 (``LICENSE-text.md``). Both are stated in the README,
in the footer of every page of the site and of the student edition, and on the
back of the title page of the PDF and of the student PDF.
"""

from __future__ import annotations

import re
import subprocess

import pytest
import tomllib
from bs4 import BeautifulSoup
from conftest import ROOT, STUDENT_HTML, require_build, toc_files
from test_pdf import PDF, STUDENT_PDF, _require

CC_URL = "https://creativecommons.org/licenses/by-sa/4.0/"
MIT_GRANT = ("Permission is hereby granted, free of charge, to any person obtaining a copy\n"
             "of this software and associated documentation files (the \"Software\"), to deal\n"
             "in the Software without restriction")


def states_both(text: str) -> bool:
    """CC BY-SA 4.0 with the address of the licence, and the MIT License."""
    text = " ".join(text.split())
    return "CC BY-SA 4.0" in text and CC_URL in text and "MIT License" in text


def test_license_files():
    mit = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert mit.startswith("MIT License\n") and MIT_GRANT in mit
    assert re.search(r"^Copyright \(c\) 20\d\d The mlhw-book authors$", mit, re.M)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT"
    text = " ".join((ROOT / "LICENSE-text.md").read_text(encoding="utf-8").split())
    assert "Creative Commons Attribution-ShareAlike 4.0 International" in text
    assert states_both(text) and "LICENSE" in text


def test_readme_states_the_licences():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Licen[cs]e\n(.*?)(?=^## |\Z)", readme, re.M | re.DOTALL)
    assert section, "README has no Licence section"
    assert states_both(section.group(1))
    assert "LICENSE-text.md" in section.group(1) and "(LICENSE)" in section.group(1)


def _footer(path) -> str:
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    footer = soup.select_one("footer .extra_footer")
    if footer is None:
        return ""
    links = " ".join(a.get("href", "") for a in footer.select("a[rel~=license]"))
    return footer.get_text(" ") + " " + links


@pytest.mark.parametrize("build", ["site", "student"])
def test_every_page_footer_states_the_licences(html_dir, build):
    root = html_dir if build == "site" else require_build(STUDENT_HTML, "make book-student")
    pages = [root / f"{page}.html" for page in toc_files()] + [root / "search.html",
                                                                 root / "genindex.html"]
    missing = [p.name for p in pages if not states_both(_footer(p))]
    assert not missing, f"{build}: pages whose footer does not state the licences: {missing}"


@pytest.mark.parametrize("pdf", [PDF, STUDENT_PDF], ids=["teacher", "student"])
def test_pdf_front_matter_states_the_licences(pdf):
    pages = subprocess.run(["pdftotext", "-l", "4", str(_require(pdf)), "-"], capture_output=True,
                           text=True, check=True).stdout.split("\f")
    contents = next(i for i, page in enumerate(pages) if re.search(r"^\s*Contents\s*$", page,
                                                                    re.M | re.I))
    licence = [i for i, page in enumerate(pages) if states_both(page)]
    assert licence and licence[0] < contents, (
        f"{pdf.name}: no page before the contents states both licences")
    assert "2026 by The mlhw-book authors" in " ".join(pages[licence[0]].split())
