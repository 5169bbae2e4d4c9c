"""HTML: the visible text, one page, blocks separated by newlines.

Before the tree is built, a streaming pass (lxml's parser with a target that builds nothing) measures how
deep elements nest, so that markup nested hundreds of thousands deep fails at ``max_depth`` without ever
becoming a tree.
"""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup
from lxml import etree

from ingest.parsers.errors import ParseError
from ingest.parsers.limits import DEFAULT_LIMITS, ParseBudget, ParseLimits
from service.core.domain import ParsedDocument, ParsedPage

_BLANK_RUNS = re.compile(r"\n\s*\n\s*(\n\s*)+")
FEED_BYTES = 1 << 16


class _DepthTarget:
    """An lxml parser target that only counts nesting and text, against a budget."""

    def __init__(self, budget: ParseBudget) -> None:
        self.budget = budget
        self.depth = 0

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.depth += 1
        self.budget.check_depth(self.depth)

    def end(self, tag: str) -> None:
        self.depth -= 1

    def data(self, data: str) -> None:
        pass

    def close(self) -> None:
        return None


def check_markup(markup: str | bytes, budget: ParseBudget) -> None:
    """Stream ``markup`` through lxml's HTML parser, refusing it past ``max_depth`` or ``max_parse_s``."""
    parser = etree.HTMLParser(target=_DepthTarget(budget))
    try:
        for start in range(0, len(markup), FEED_BYTES):
            parser.feed(markup[start : start + FEED_BYTES])
            budget.check_time()
        if markup:
            parser.close()
    except etree.LxmlError:
        pass  # only a guard: markup lxml cannot read is BeautifulSoup's to judge


def html_to_text(markup: str | bytes, budget: ParseBudget | None = None) -> tuple[str, str | None]:
    """Visible text of an HTML document and its ``<title>``; with a budget, checked against its limits first."""
    if budget is not None:
        check_markup(markup, budget)
    soup = BeautifulSoup(markup, "lxml")
    for invisible in soup(["script", "style", "noscript", "template", "head"]):
        if invisible.name == "head":
            continue
        invisible.decompose()
    title = soup.title.get_text(strip=True) if soup.title else None
    if soup.head:
        soup.head.decompose()
    text = soup.get_text("\n")
    if budget is not None:
        budget.add_text(len(text))
    text = "\n".join(line.strip() for line in text.splitlines())
    text = _BLANK_RUNS.sub("\n\n", text).strip()
    return text.replace("\x00", ""), title or None


def parse_html(path: Path, limits: ParseLimits = DEFAULT_LIMITS) -> ParsedDocument:
    """An HTML file as one page of visible text."""
    text, title = html_to_text(path.read_bytes(), limits.start(path))
    if not text:
        raise ParseError(f"{path.name}: the HTML has no visible text")
    return ParsedDocument(media_type="text/html", pages=(ParsedPage(1, text),), title=title)
