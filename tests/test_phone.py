"""The site on a phone: a 390-px viewport in Chromium (puppeteer-core, npm).

On every page of ``_toc.yml``:

* no formula is wider than its text column: an in-line formula's every line box
  stays inside the column (MathJax 4 breaks long ones at their operators), and a
  display formula keeps to the column and scrolls inside its own box;
* the page itself never scrolls sideways.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from conftest import IN_CI, ROOT, toc_files
from site_server import html_server  # noqa: F401  (a fixture)

PAGES = toc_files()


@pytest.fixture(scope="module")
def phone(chromium, html_server):
    if shutil.which("node") is None or not (ROOT / "node_modules" / "puppeteer-core").is_dir():
        message = "node or node_modules/puppeteer-core missing: run `make assets`"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    done = subprocess.run(["node", str(ROOT / "tests" / "browser_checks.mjs"), "phone",
                           html_server, *[f"{name}.html" for name in PAGES]],
                          capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("name", PAGES)
def test_no_formula_wider_than_the_column(phone, name):
    result = phone[f"{name}.html"]
    wide = result["wide"]
    assert not wide, (f"{name}: {len(wide)} of {result['formulas']} formulas stick out of the "
                      "390-px column: " + "; ".join(
                          f"{'display' if w['display'] else 'in-line'} {w['tex']!r} "
                          f"({w['width']} px in {w['column']} px)" for w in wide[:8]))


@pytest.mark.parametrize("name", PAGES)
def test_page_does_not_scroll_sideways(phone, name):
    assert not phone[f"{name}.html"]["page_scrolls_sideways"], (
        f"{name} is wider than a 390-px phone screen")
