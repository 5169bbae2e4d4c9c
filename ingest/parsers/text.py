"""Plain text and Markdown: the stored text is the file's decoded content, exactly."""

from __future__ import annotations

from pathlib import Path

from ingest.parsers.errors import ParseError
from service.core.domain import ParsedDocument, ParsedPage


def decode_utf8(path: Path, data: bytes) -> str:
    """Decode UTF-8 (a leading BOM is dropped), or raise a ParseError saying how to convert the file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ParseError(
            f"{path.name}: not UTF-8 text (invalid byte at offset {error.start}); "
            "convert it to UTF-8 (e.g. iconv -f WINDOWS-1252 -t UTF-8) and ingest it again"
        ) from error
    if "\x00" in text:
        raise ParseError(f"{path.name}: contains NUL bytes, so it is binary, not text; check the file type")
    return text


def _first_line(text: str) -> str | None:
    for line in text.splitlines():
        if stripped := line.strip().lstrip("#").strip():
            return stripped[:200]
    return None


def parse_text(path: Path) -> ParsedDocument:
    """A ``.txt`` file as one page; character offsets are offsets into the decoded file."""
    text = decode_utf8(path, path.read_bytes())
    return ParsedDocument(media_type="text/plain", pages=(ParsedPage(1, text),), title=_first_line(text))


def parse_markdown(path: Path) -> ParsedDocument:
    """A Markdown file as one page of its source text (markup kept, so offsets stay exact)."""
    text = decode_utf8(path, path.read_bytes())
    return ParsedDocument(media_type="text/markdown", pages=(ParsedPage(1, text),), title=_first_line(text))
