"""HTML: the visible text, one page, blocks separated by newlines."""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup

from ingest.parsers.errors import ParseError
from service.core.domain import ParsedDocument, ParsedPage

_BLANK_RUNS = re.compile(r"\n\s*\n\s*(\n\s*)+")


def html_to_text(markup: str | bytes) -> tuple[str, str | None]:
    """Visible text of an HTML document and its ``<title>``."""
    soup = BeautifulSoup(markup, "lxml")
    for invisible in soup(["script", "style", "noscript", "template", "head"]):
        if invisible.name == "head":
            continue
        invisible.decompose()
    title = soup.title.get_text(strip=True) if soup.title else None
    if soup.head:
        soup.head.decompose()
    text = soup.get_text("\n")
    text = "\n".join(line.strip() for line in text.splitlines())
    text = _BLANK_RUNS.sub("\n\n", text).strip()
    return text.replace("\x00", ""), title or None


def parse_html(path: Path) -> ParsedDocument:
    """An HTML file as one page of visible text."""
    text, title = html_to_text(path.read_bytes())
    if not text:
        raise ParseError(f"{path.name}: the HTML has no visible text")
    return ParsedDocument(media_type="text/html", pages=(ParsedPage(1, text),), title=title)
