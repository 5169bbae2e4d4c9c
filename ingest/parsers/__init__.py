"""Parsers turn one file into a ``ParsedDocument``: pages of text plus metadata.

A parser is a callable ``(path, limits) -> ParsedDocument`` chosen by file suffix. Parsers raise
``ParseError`` with a reason a user can act on; they never return silently empty text. Every parser checks
the ``ParseLimits`` while it reads (``ingest.parsers.limits``) and raises ``LimitExceeded`` past one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ingest.parsers.docx import parse_docx
from ingest.parsers.email import parse_email
from ingest.parsers.errors import ParseError
from ingest.parsers.html import parse_html
from ingest.parsers.limits import DEFAULT_LIMITS, LimitExceeded, ParseLimits
from ingest.parsers.pdf import parse_pdf
from ingest.parsers.text import parse_markdown, parse_text
from service.core.domain import ParsedDocument


class Parser(Protocol):
    """Reads one file type."""

    def __call__(self, path: Path, limits: ParseLimits = DEFAULT_LIMITS, /) -> ParsedDocument: ...


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


__all__ = ["PARSERS", "LimitExceeded", "ParseError", "ParseLimits", "Parser", "parser_for"]
