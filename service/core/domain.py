"""Domain types shared by ingestion, retrieval and the HTTP API.

These are plain dataclasses: the ORM rows (``service.backends.sql.tables``) and the HTTP schemas
(``service.api.schemas``) are separate classes converted explicitly at the edges.

Offsets are half-open character offsets into the *document text*: the text of every page,
joined by ``PAGE_SEPARATOR``. For a plain-text file the document text is the file's decoded
content exactly, so offsets are offsets into the file.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote

PAGE_SEPARATOR = "\f"
"""Joins page texts into the document text (the form feed is the traditional page break)."""

_CAMEL_CASE = re.compile(r"(?<=[a-z])(?=[A-Z])")


def document_name(source: str, title: str, metadata: Mapping[str, Any]) -> str:
    """The words that name a document, for lexical matching: its file name (URL escapes decoded, and
    ``FullStory`` also as ``Full Story``), its title and its metadata values."""
    stem = unquote(source.rsplit("/", 1)[-1])
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    values = [str(value) for value in metadata.values() if isinstance(value, str | int | float)]
    return " ".join([stem, _CAMEL_CASE.sub(" ", stem), title, *values])


class TextSource(enum.StrEnum):
    """Where a page's text came from."""

    TEXT_LAYER = "text_layer"
    OCR = "ocr"
    NONE = "none"


class AnswerState(enum.StrEnum):
    """How far the documents support an answer; a client shows each state differently."""

    ANSWERED = "answered"
    """Every part of the answer is supported by the passages it cites."""
    NOT_FOUND = "not_found"
    """Refused: the documents do not answer the question; ``closest`` holds the nearest passages."""
    LOW_SUPPORT = "low_support"
    """Shown with a warning (``message`` says why): the cited passages support the answer only in part."""


class DocumentStatus(enum.StrEnum):
    """Lifecycle of a stored document."""

    INGESTED = "ingested"
    NEEDS_OCR = "needs_ocr"
    """Stored, but some pages had no text layer and wait for OCR."""
    FAILED = "failed"


@dataclass(frozen=True)
class OcrWord:
    """Where Tesseract read one word of an OCR'd page: page-text characters ``[char_start, char_end)`` and its
    box on the page in PDF points, origin top-left (as highlight boxes are). ``line`` numbers the page's
    lines, so that the boxes of one line's words merge into one highlight, as a text layer's do."""

    char_start: int
    char_end: int
    left: float
    top: float
    right: float
    bottom: float
    line: int


@dataclass(frozen=True)
class ParsedPage:
    """One page of a parsed document, numbered from 1."""

    number: int
    text: str
    needs_ocr: bool = False
    text_source: TextSource = TextSource.TEXT_LAYER
    ocr_confidence: float | None = None
    label: str | None = None
    """The page label a lawyer would cite (e.g. the printed page number), when it differs."""
    skip_spans: tuple[tuple[int, int], ...] = ()
    """Page-relative spans (running heads, ECF stamps) that chunks must not contain."""
    ocr_words: tuple[OcrWord, ...] = ()
    """An OCR'd page's words and their boxes (the source viewer's highlights); empty for a text layer."""


@dataclass(frozen=True)
class ParsedDocument:
    """What a parser returns: pages of text plus what the file says about itself."""

    media_type: str
    pages: tuple[ParsedPage, ...]
    title: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The document text: page texts joined by ``PAGE_SEPARATOR``."""
        return PAGE_SEPARATOR.join(page.text for page in self.pages)

    def page_offsets(self) -> list[tuple[int, int]]:
        """``(char_start, char_end)`` of every page inside ``text``."""
        offsets: list[tuple[int, int]] = []
        position = 0
        for page in self.pages:
            offsets.append((position, position + len(page.text)))
            position += len(page.text) + len(PAGE_SEPARATOR)
        return offsets


@dataclass(frozen=True)
class ChunkDraft:
    """A chunk before it is stored: an exact slice of the document text."""

    ordinal: int
    page_start: int
    page_end: int
    char_start: int
    char_end: int
    token_count: int
    text: str
    context: str = ""
    """The section heading the chunk sits under; embedded with it, never part of ``text``."""

    @property
    def embedding_text(self) -> str:
        """What is embedded: the context line, then the text."""
        return f"{self.context}\n{self.text}" if self.context else self.text


@dataclass(frozen=True)
class SearchHit:
    """One ranked retrieval result."""

    chunk_id: int
    document_id: str
    collection: str
    source: str
    title: str
    page_start: int
    page_end: int
    char_start: int
    char_end: int
    score: float
    """The ranking score (its scale depends on the retrieval mode)."""
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    relevance: float = 0.0
    """Cosine similarity of query and chunk, comparable across modes: what refusals are decided on."""


@dataclass(frozen=True)
class FileFacts:
    """What identifies one version of a source file."""

    source: str
    """Path relative to the ingested root (or the uploaded file name)."""
    sha256: str
    size_bytes: int
    mtime_ns: int
    origin: str = ""
    """Absolute path of the file read."""


@dataclass(frozen=True)
class DocumentRecord:
    """A stored document, as listed to users."""

    id: str
    collection: str
    source: str
    title: str
    sha256: str
    size_bytes: int
    mtime_ns: int
    media_type: str
    page_count: int
    metadata: dict[str, Any]
    status: DocumentStatus
    error: str | None
    needs_ocr_pages: tuple[int, ...]
    created_at: datetime
    updated_at: datetime
    origin: str = ""


@dataclass(frozen=True)
class PageRecord:
    """One stored page of a document."""

    document_id: str
    number: int
    char_start: int
    char_end: int
    text: str
    needs_ocr: bool
    text_source: TextSource
    ocr_confidence: float | None
    label: str | None
    ocr_words: tuple[OcrWord, ...] = ()
    """An OCR'd page's word boxes (``ParsedPage.ocr_words``); empty for a text layer."""


@dataclass(frozen=True)
class StoredChunk:
    """A stored chunk with what a hit or a citation needs of its document."""

    chunk_id: int
    document_id: str
    collection: str
    source: str
    title: str
    ordinal: int
    page_start: int
    page_end: int
    char_start: int
    char_end: int
    token_count: int
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


ENTITY_TYPES = ("person", "org", "place", "court", "statute", "date", "money")
"""What the entity index records: people (judges too, with the role ``judge``), organisations, places, courts,
statutes and rules, dates, and amounts of money."""


@dataclass(frozen=True)
class EntityMention:
    """One mention of an entity on a page: page-text characters ``[char_start, char_end)``, so that
    ``page.text[char_start:char_end] == text``. ``name`` is the mention as a name (role words, honorifics and
    line breaks gone, capitals of an all-caps name lowered); ``role`` is what the filing calls the person
    (``plaintiff``, ``judge``...), when it says."""

    page: int
    char_start: int
    char_end: int
    type: str
    text: str
    name: str
    role: str | None = None


@dataclass(frozen=True)
class StoredMention:
    """A stored mention with the document it is in."""

    mention: EntityMention
    document_id: str
    source: str
    title: str
