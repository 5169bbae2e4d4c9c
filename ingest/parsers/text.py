"""Plain text and Markdown: the stored text is the file's decoded content, exactly.

The file is read and decoded in blocks, each counted against the parse limits as it arrives, so a giant file
fails at the limit instead of after it has been read whole.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from ingest.parsers.errors import ParseError
from ingest.parsers.limits import DEFAULT_LIMITS, ParseBudget, ParseLimits
from service.core.domain import ParsedDocument, ParsedPage

BLOCK_BYTES = 1 << 20


def _not_utf8(path: Path, offset: int) -> ParseError:
    return ParseError(
        f"{path.name}: not UTF-8 text (invalid byte at offset {offset}); "
        "convert it to UTF-8 (e.g. iconv -f WINDOWS-1252 -t UTF-8) and ingest it again"
    )


def decode_utf8(path: Path, data: bytes) -> str:
    """Decode UTF-8 (a leading BOM is dropped), or raise a ParseError saying how to convert the file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _not_utf8(path, error.start) from error
    if "\x00" in text:
        raise ParseError(f"{path.name}: contains NUL bytes, so it is binary, not text; check the file type")
    return text


def read_utf8(path: Path, budget: ParseBudget) -> str:
    """The file decoded as UTF-8 (a leading BOM dropped), block by block, each block counted in ``budget``."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    parts: list[str] = []
    offset = 0
    with open(path, "rb") as handle:
        while True:
            block = handle.read(BLOCK_BYTES)
            try:
                text = decoder.decode(block, final=not block)
            except UnicodeDecodeError as error:
                # the decoder's buffer may hold up to 3 bytes of the previous block
                raise _not_utf8(path, max(0, offset + error.start - len(error.object) + len(block))) from error
            if "\x00" in text:
                raise ParseError(f"{path.name}: contains NUL bytes, so it is binary, not text; check the file type")
            budget.add_text(len(text))
            parts.append(text)
            offset += len(block)
            if not block:
                return "".join(parts)


def _first_line(text: str) -> str | None:
    position = 0
    while position < len(text):
        end = text.find("\n", position)
        end = len(text) if end < 0 else end
        # a line is looked at through its first 1,000 characters: a giant one-line file stays cheap
        if stripped := text[position : min(end, position + 1000)].strip().lstrip("#").strip():
            return stripped[:200]
        position = end + 1
    return None


def parse_text(path: Path, limits: ParseLimits = DEFAULT_LIMITS) -> ParsedDocument:
    """A ``.txt`` file as one page; character offsets are offsets into the decoded file."""
    text = read_utf8(path, limits.start(path))
    return ParsedDocument(media_type="text/plain", pages=(ParsedPage(1, text),), title=_first_line(text))


def parse_markdown(path: Path, limits: ParseLimits = DEFAULT_LIMITS) -> ParsedDocument:
    """A Markdown file as one page of its source text (markup kept, so offsets stay exact)."""
    text = read_utf8(path, limits.start(path))
    return ParsedDocument(media_type="text/markdown", pages=(ParsedPage(1, text),), title=_first_line(text))
