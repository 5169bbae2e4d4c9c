"""Parsers turn one file into a ``ParsedDocument``: pages of text plus metadata.

A parser is a callable ``(path) -> ParsedDocument`` chosen by file suffix. Parsers raise
``ParseError`` with a reason a user can act on; they never return silently empty text.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ingest.parsers.docx import parse_docx
from ingest.parsers.email import parse_email
from ingest.parsers.errors import ParseError
from ingest.parsers.html import parse_html
from ingest.parsers.pdf import parse_pdf
from ingest.parsers.text import parse_markdown, parse_text
from service.core.domain import ParsedDocument

Parser = Callable[[Path], ParsedDocument]

PARSERS: dict[str, Parser] = {
    ".pdf": parse_pdf,
    ".txt": parse_text,
    ".text": parse_text,
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".html": parse_html,
    ".htm": parse_html,
    ".docx": parse_docx,
    ".eml": parse_email,
}
"""Suffix (lower case) to parser."""


def parser_for(path: Path) -> Parser | None:
    """The parser for ``path``'s type, or None when docqa does not read that type."""
    return PARSERS.get(path.suffix.lower())


__all__ = ["PARSERS", "ParseError", "Parser", "parser_for"]
