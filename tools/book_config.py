"""Write a variant of ``_config.yml`` for a special build.

Jupyter Book 1.x has no command-line switch for single settings, but
``jupyter-book build --config FILE`` takes a whole configuration file. This
script reads ``_config.yml``, applies one named variant and writes the result:

``ci``
    ``execute_notebooks: force``, because jupyter-cache keys on a notebook's
    code only and would not notice a change in ``mlhwlib``.
``student``
    the student edition: every ``{solution}`` block is dropped
    (``hide_solutions``) and nothing that could leak one is published
    (page sources, the download button, source links). Notebooks are not
    re-executed: the committed outputs are used (``make test`` checks with
    nbval that they are current).

Usage::

    python tools/book_config.py ci _build/config-ci.yml
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def variant(name: str) -> dict:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    sphinx_config = config.setdefault("sphinx", {}).setdefault("config", {})
    # Jupyter Book resolves local extension folders against the config file's
    # folder; the variant lives in _build/, so make them absolute.
    local = config["sphinx"].get("local_extensions", {})
    config["sphinx"]["local_extensions"] = {k: str(ROOT / v) for k, v in local.items()}
    if name == "ci":
        config["execute"]["execute_notebooks"] = "force"
    elif name == "student":
        # the site's title stays short (a longer one wraps to three lines in the
        # sidebar); a banner on every page names the edition
        sphinx_config.setdefault("html_theme_options", {})["announcement"] = (
            "Student edition: the exercises without their solutions.")
        latex_docs = config.setdefault("latex", {}).setdefault("latex_documents", {})
        if "title" in latex_docs:
            latex_docs["title"] = latex_docs["title"] + " (student edition)"
        config["execute"]["execute_notebooks"] = "off"
        sphinx_config["hide_solutions"] = True
        # this edition's own address: the pages' canonical links and the {site-file}
        # links of its PDF must not point at the instructors' site (html_baseurl)
        sphinx_config["html_baseurl"] = sphinx_config.get("mlhw_student_baseurl", "") or ""
        sphinx_config["html_copy_source"] = False
        sphinx_config["html_show_sourcelink"] = False
        # the theme's download menu (page sources, with solutions) stays off in every
        # edition; _ext/downloads.py offers this edition's own clean notebooks
        sphinx_config.setdefault("html_theme_options", {})["use_download_button"] = False
    else:
        raise SystemExit(f"unknown variant {name!r}; expected 'ci' or 'student'")
    return config


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        raise SystemExit(__doc__)
    name, out = argv
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(yaml.safe_dump(variant(name), sort_keys=False, allow_unicode=True),
                         encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
