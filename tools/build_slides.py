"""Build offline reveal.js slides from the chapter notebooks.

Usage::

    python tools/build_slides.py OUT_DIR NOTEBOOK [NOTEBOOK ...]

Each notebook becomes ``OUT_DIR/<name>.slides.html``; cells are grouped into
slides by their ``slideshow.slide_type`` metadata (nbconvert's convention).
reveal.js, require.js and jQuery are copied from ``node_modules`` into
``OUT_DIR``; MathJax 3 is the site's own copy at ``OUT_DIR/../mathjax`` and the
TeX macros are those of ``_config.yml``, so slides and pages agree. MyST-only
syntax is rewritten by :mod:`myst_to_slides` (solutions are left out). Nothing
is loaded from another host.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import nbformat
import yaml
from nbconvert.exporters import SlidesExporter
from nbconvert.preprocessors import TagRemovePreprocessor

from myst_to_slides import convert

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
THEME = "white"  # uses fonts shipped with reveal.js (no web fonts)


def copy_assets(out: Path) -> None:
    reveal = out / "reveal.js"
    if reveal.exists():
        shutil.rmtree(reveal)
    for sub in ("dist", "plugin"):
        shutil.copytree(NODE / "reveal.js" / sub, reveal / sub,
                        ignore=shutil.ignore_patterns("*.map"))  # no source maps shipped
    # Only the `white` theme is used; the others import web fonts from a CDN.
    for css in (reveal / "dist" / "theme").glob("*.css"):
        if css.name != f"{THEME}.css":
            css.unlink()
    shutil.copy(NODE / "requirejs" / "require.js", out / "require.js")
    shutil.copy(NODE / "jquery" / "dist" / "jquery.min.js", out / "jquery.min.js")


def mathjax_macros() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    macros = config["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
    return json.dumps(macros)


def exporter() -> SlidesExporter:
    exp = SlidesExporter(
        extra_template_basedirs=[str(ROOT / "tools" / "slides_template")],
        template_name="offline",
    )
    exp.reveal_url_prefix = "reveal.js"
    exp.reveal_theme = THEME
    exp.reveal_scroll = True
    exp.require_js_url = "require.js"
    exp.jquery_url = "jquery.min.js"
    exp.mathjax_url = "../mathjax/tex-mml-chtml.js"
    exp.exclude_input_prompt = True
    exp.exclude_output_prompt = True
    # The page's cell tags mean the same on a slide: hidden cells stay hidden,
    # drawing code stays out of sight (only its figure is shown).
    exp.register_preprocessor(TagRemovePreprocessor(
        remove_cell_tags={"remove-cell"},
        remove_input_tags={"remove-input", "hide-input"},
        remove_all_outputs_tags={"remove-output"},
        enabled=True,
    ), enabled=True)
    return exp


def main(argv: list[str]) -> None:
    if len(argv) < 1:
        raise SystemExit(__doc__)
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out)
    exp, macros = exporter(), mathjax_macros()
    for path in map(Path, argv[1:]):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = convert(cell.source)
        body, _ = exp.from_notebook_node(
            nb, resources={"mathjax_macros_json": macros, "metadata": {"name": path.stem}})
        target = out / f"{path.stem}.slides.html"
        target.write_text(body, encoding="utf-8")
        print(f"slides: {target}")


if __name__ == "__main__":
    main(sys.argv[1:])
