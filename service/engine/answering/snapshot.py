"""The pages one answer reads, read once: an answer survives documents deleted while it is being written.

Retrieval, the extractive answerer and the citations each read pages; between those reads another
request may delete (or replace) a retrieved document. Every page read goes through one ``PageSnapshot``
per answer: the pages of the retrieved hits are read up front, hits whose page is gone are dropped
(the answer comes from the rest), and later reads of a page return what was read first, so a citation
always matches the text it was drawn from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from service.core.domain import PageRecord, SearchHit
from service.core.errors import NotFound


class PageSnapshot:
    """Pages read at most once each through ``read`` (``DocumentStore.get_page``)."""

    def __init__(self, read: Callable[[str, int], PageRecord]) -> None:
        self._read = read
        self._pages: dict[tuple[str, int], PageRecord] = {}
        self._gone: set[tuple[str, int]] = set()

    def page(self, document_id: str, number: int) -> PageRecord:
        """The page as first read; ``NotFound`` when it was not there (then or now)."""
        key = (document_id, number)
        if key in self._gone:
            raise NotFound(f"page {number} of document {document_id!r} not found")
        if key not in self._pages:
            try:
                self._pages[key] = self._read(document_id, number)
            except NotFound:
                self._gone.add(key)
                raise
        return self._pages[key]

    def present(self, hits: Sequence[SearchHit]) -> list[SearchHit]:
        """The hits whose pages are still stored, with those pages now held; the others' documents vanished
        after retrieval (deleted, or replaced by a version with fewer pages)."""
        kept: list[SearchHit] = []
        for hit in hits:
            try:
                self.page(hit.document_id, hit.page_start)  # the page candidates and citations read
            except NotFound:
                continue
            kept.append(hit)
        return kept
