"""The citation index's records: the case, statute and short-form citations found on a document's pages.

They are found at ingest (``service.engine.record.authorities``, with eyecite), stored with the pages in
the document's transaction, and read back through the ``CitationIndex`` seam.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CitationMention:
    """One citation on a page: ``text`` is the page text ``[char_start:char_end]``.

    ``kind`` is ``case``, ``law``, ``journal``, ``short``, ``id`` or ``supra``; ``authority`` is the
    normalised key every mention of one authority shares ("550 U.S. 544", "28 U.S.C. § 1291"), ``None``
    for a short form, id. or supra that could not be resolved.
    """

    page: int
    kind: str
    char_start: int
    char_end: int
    text: str
    authority: str | None
    pin_cite: str | None
    case_name: str | None


@dataclass(frozen=True)
class StoredCitation:
    """A stored mention with its document."""

    document_id: str
    source: str
    title: str
    mention: CitationMention
