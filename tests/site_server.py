"""A local HTTP server for the browser tests and ``make audit``.

It serves a built site the way a static host does: text (HTML, CSS, JS, SVG,
JSON) gzip-compressed when the browser accepts it, fonts and images as they are.
Fonts need HTTP: Chromium refuses ``@font-face`` files from ``file://`` pages.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from conftest import HTML, IN_CI, ROOT

COMPRESS = {".html", ".css", ".js", ".svg", ".json", ".txt", ".xml", ".mjs"}


class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if (path.suffix in COMPRESS and path.is_file()
                and "gzip" in self.headers.get("Accept-Encoding", "")):
            body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "max-age=3600")
            self.end_headers()
            import io
            return io.BytesIO(body)
        return super().send_head()


def serve(directory: Path, port: int = 0):
    """Start serving ``directory`` on 127.0.0.1; returns (server, base URL)."""
    handler = functools.partial(Handler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="session")
def html_server(html_dir):
    server, url = serve(HTML)
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def browser_checks(html_server):
    """``run(mode, paths, base=None) -> dict``: ``tests/browser_checks.mjs`` (puppeteer-core
    driving Chromium) in one of its modes over pages of the served site.

    Skipped with a message when node or puppeteer-core is missing, except under
    CI=true, where that is a failure.
    """
    if shutil.which("node") is None or not (ROOT / "node_modules" / "puppeteer-core").is_dir():
        message = "node or node_modules/puppeteer-core missing: run `make assets`"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)

    def run(mode, paths, base=None):
        done = subprocess.run(["node", str(ROOT / "tests" / "browser_checks.mjs"), mode,
                               base or html_server, *paths], capture_output=True, text=True,
                              timeout=900, cwd=ROOT)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout)
    return run

