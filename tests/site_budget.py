"""What a page of the built site costs on first load, computed from the files.

Shared by ``tests/test_audit.py`` and ``tools/site_audit.py``. A page's first
load is the HTML, every script and stylesheet it names, its images, and the
fonts its stylesheets declare (an upper bound: a browser fetches only the fonts
it uses). "Transferred" bytes are those of a server that gzips text (level 6),
as every static host does; fonts and images are sent as they are.
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
TEXT = {".html", ".js", ".css", ".svg", ".json", ".txt", ".xml"}
BUDGET_BYTES = 1_500_000


@cache
def transferred(path: Path) -> int:
    data = path.read_bytes()
    if path.suffix in TEXT:
        return len(gzip.compress(data, compresslevel=6, mtime=0))
    return len(data)


def _local(page: Path, url: str) -> Path | None:
    if not url or REMOTE.match(url) or url.startswith(("data:", "#", "mailto:", "javascript:")):
        return None
    target = (page.parent / unquote(urlsplit(url).path)).resolve()
    return target if target.is_file() else None


def _css_urls(css_text: str) -> list[str]:
    return re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", css_text)


def first_load(page: Path) -> dict[Path, int]:
    """``resource -> transferred bytes`` for one page's first load."""
    html = page.read_text(encoding="utf-8")
    out = {page: transferred(page)}
    urls = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)
    urls += [m.group(2) for m in re.finditer(r'<link([^>]*)\shref="([^"]+)"', html)
             if re.search(r'rel="(stylesheet|preload|modulepreload)"', m.group(1))]
    urls += re.findall(r'<img[^>]*\ssrc="([^"]+)"', html)
    for url in urls:
        target = _local(page, url)
        if target is None:
            continue
        out[target] = transferred(target)
        if target.suffix == ".css":
            text = target.read_text(encoding="utf-8", errors="replace")
            for inner in _css_urls(text):
                font = _local(target, inner)
                if font is not None and font.suffix in {".woff", ".woff2", ".ttf", ".otf"}:
                    out[font] = transferred(font)
    for style in re.findall(r"<style[^>]*>(.*?)</style>", html, re.DOTALL):
        for inner in _css_urls(style):
            font = _local(page, inner)
            if font is not None:
                out[font] = transferred(font)
    return out


def page_cost(page: Path) -> int:
    return sum(first_load(page).values())
