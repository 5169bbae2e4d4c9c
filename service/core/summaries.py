"""What a filing says in short, and when things happened: the extractive summary and the chronology's events.

Both are computed from a document's pages, metadata and entity mentions when it is ingested
(``service.engine.summaries``) and stored with its pages in one transaction, so that a stored summary always
belongs to the stored version of its document; deleting the document deletes them.

Offsets are page-text offsets (``page.text[char_start:char_end]``), as entity mentions' are. A line taken from
the document's metadata alone (a docket number read from the file name) has no span.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

SUMMARY_FIELDS = ("court", "parties", "docket", "document_type", "date", "disposition", "relief", "holding")
"""The kinds of line an extractive summary has, in the order it shows them."""

DIGEST_RULES = 2
"""The version of the rules that make digests (``service.engine.summaries``): bumped when they change what a
summary or the chronology holds, so that digests stored by older rules are made again on first use."""

EVENT_KINDS = ("filed", "decided", "hearing", "signed", "due", "accident", "contract", "other")
"""What a dated event is, from the words of its sentence; ``other`` when the sentence names none."""


@dataclass(frozen=True)
class SummaryLine:
    """One line of a summary: ``field`` (one of ``SUMMARY_FIELDS``), its text, and where it comes from:
    page ``page``, characters ``[char_start, char_end)`` of that page's text (all ``None`` for metadata that no
    page spells out)."""

    field: str
    text: str
    page: int | None = None
    char_start: int | None = None
    char_end: int | None = None


@dataclass(frozen=True)
class DatedEvent:
    """A dated event of a filing: ``date`` (ISO ``YYYY-MM-DD``), its ``kind`` (``EVENT_KINDS``), and the sentence
    that dates it: page, its characters ``[char_start, char_end)`` and its text on one line."""

    date: str
    kind: str
    page: int
    char_start: int
    char_end: int
    sentence: str


@dataclass(frozen=True)
class DocumentDigest:
    """What ingest computes for one document version: its summary lines and its dated events."""

    lines: tuple[SummaryLine, ...]
    events: tuple[DatedEvent, ...]


@dataclass(frozen=True)
class StoredSummary:
    """A document's stored summary and the version it was made from (the file's SHA-256)."""

    document_id: str
    sha256: str
    lines: tuple[SummaryLine, ...]
    created_at: datetime
    generated: dict[str, object] | None = None
    """The checked LLM summary of this version, as stored (``GeneratedSummary.to_json``), once one was made."""
    rules: int | None = None
    """``DIGEST_RULES`` of the rules that made it (``None``: rules from before versions were kept)."""

    @property
    def current(self) -> bool:
        """Made by today's rules."""
        return self.rules is not None and self.rules >= DIGEST_RULES


@dataclass(frozen=True)
class StoredEvent:
    """A stored event with the document it is in."""

    event: DatedEvent
    document_id: str
    source: str
    title: str
