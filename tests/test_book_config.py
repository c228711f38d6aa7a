"""``tools/book_config.py``: the student edition's configuration points at its own site.

The instructors' site (``html_baseurl``, with the solutions) must not be named by the
student edition: Sphinx writes ``html_baseurl`` into every page's canonical link, and
the ``{site-file}`` links of the PDF are made from it. Checked on a configuration with
both addresses set (the repository's own leaves them empty) and on one without them.
"""

from __future__ import annotations

import sys

import pytest
import yaml
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import book_config


def write_config(folder, **sphinx_config):
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["sphinx"]["config"].update(sphinx_config)
    (folder / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setattr(book_config, "ROOT", tmp_path)
    return tmp_path


def test_student_edition_takes_the_student_address(root):
    write_config(root, html_baseurl="https://teach.example.edu/ml/",
                 mlhw_student_baseurl="https://learn.example.edu/ml/")
    student = book_config.variant("student")["sphinx"]["config"]
    assert student["html_baseurl"] == "https://learn.example.edu/ml/"
    assert "teach.example" not in yaml.safe_dump(student)
    instructors = book_config.variant("ci")["sphinx"]["config"]
    assert instructors["html_baseurl"] == "https://teach.example.edu/ml/"


def test_student_edition_without_its_address_names_no_site(root):
    write_config(root, html_baseurl="https://teach.example.edu/ml/", mlhw_student_baseurl="")
    assert book_config.variant("student")["sphinx"]["config"]["html_baseurl"] == ""
