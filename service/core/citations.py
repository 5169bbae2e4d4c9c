"""The citation index's records: the case, statute and short-form citations found on a document's pages.

They are found at ingest (``service.engine.record.authorities``, with eyecite), stored with the pages in
the document's transaction, and read back through the ``CitationIndex`` seam.
"""

from __future__ import annotations

from dataclasses import dataclass

FINDER_VERSION = 2
"""The version of the citation finder (``service.engine.record.authorities``) that indexed a document. Raise it
when the finder finds more or other citations: documents indexed by an older one are indexed again on first
use, like those stored before the index existed. 2: codes and court rules eyecite lacks, pin ranges, star-page
and statute ids (tests/benchmarks/README.md, the hand-checked sample)."""


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
