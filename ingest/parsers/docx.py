"""Word (.docx): paragraphs and tables in document order, one page (DOCX has no fixed pages).

A .docx is a zip archive of XML parts. Before python-docx expands any of it, the archive is checked from its
central directory (members, expanded size, compression ratio: zip bombs), and every XML part is streamed once
to refuse a DTD or entity declaration, which Word never writes and which billion-laughs attacks need.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from ingest.parsers.errors import ParseError
from ingest.parsers.limits import DEFAULT_LIMITS, LimitExceeded, ParseBudget, ParseLimits
from service.core.domain import ParsedDocument, ParsedPage

_DECLARATIONS = tuple(
    marker.encode(encoding) for marker in ("<!DOCTYPE", "<!ENTITY") for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)
_OVERLAP = max(len(marker) for marker in _DECLARATIONS) - 1
SCAN_BYTES = 1 << 16


def _blocks(document: docx.document.Document) -> Iterator[str]:
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            yield item.text
        elif isinstance(item, Table):
            for row in item.rows:
                yield " | ".join(cell.text.strip() for cell in row.cells)


def _declares_dtd(archive: zipfile.ZipFile, member: zipfile.ZipInfo, budget: ParseBudget) -> bool:
    tail = b""
    with archive.open(member) as stream:
        while block := stream.read(SCAN_BYTES):
            window = tail + block
            if any(marker in window for marker in _DECLARATIONS):
                return True
            tail = window[-_OVERLAP:]
            budget.check_time()
    return False


def check_archive(path: Path, budget: ParseBudget) -> None:
    """Refuse a .docx past the archive limits or with a DTD in any XML part, before python-docx reads it."""
    try:
        with zipfile.ZipFile(path) as archive:
            budget.check_archive(archive)
            for member in archive.infolist():
                if member.filename.lower().endswith((".xml", ".rels")) and _declares_dtd(archive, member, budget):
                    raise ParseError(
                        f"{path.name}: {member.filename} declares a DTD or entities, which Word never writes "
                        "(an XML entity bomb?); refused",
                        {"member": member.filename},
                    )
    except LimitExceeded:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, zlib.error) as error:
        raise ParseError(f"{path.name}: not a readable .docx file ({error}); open and re-save it in Word") from error


def parse_docx(path: Path, limits: ParseLimits = DEFAULT_LIMITS) -> ParsedDocument:
    """A .docx file as one page; paragraphs become lines."""
    budget = limits.start(path)
    check_archive(path, budget)
    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise ParseError(f"{path.name}: not a readable .docx file ({error}); open and re-save it in Word") from error
    blocks: list[str] = []
    for block in _blocks(document):
        budget.add_text(len(block) + 1)
        blocks.append(block)
    text = "\n".join(blocks).strip().replace("\x00", "")
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
