"""Word (.docx): paragraphs and tables in document order, one page (DOCX has no fixed pages)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from ingest.parsers.errors import ParseError
from service.core.domain import ParsedDocument, ParsedPage


def _blocks(document: docx.document.Document) -> list[str]:
    blocks: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            blocks.append(item.text)
        elif isinstance(item, Table):
            for row in item.rows:
                blocks.append(" | ".join(cell.text.strip() for cell in row.cells))
    return blocks


def parse_docx(path: Path) -> ParsedDocument:
    """A .docx file as one page; paragraphs become lines."""
    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise ParseError(f"{path.name}: not a readable .docx file ({error}); open and re-save it in Word") from error
    text = "\n".join(_blocks(document)).strip().replace("\x00", "")
    if not text:
        raise ParseError(f"{path.name}: the document has no text")
    title = document.core_properties.title or None
    metadata = {"author": document.core_properties.author} if document.core_properties.author else {}
    return ParsedDocument(
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        pages=(ParsedPage(1, text),),
        title=title,
        metadata=metadata,
    )
