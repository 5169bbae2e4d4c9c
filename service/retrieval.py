"""Retrieval: the one search path behind the CLI, ``/v1/search``, ``/v1/ask`` and ``docqa eval``."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from service.domain import SearchHit, StoredChunk
from service.errors import InvalidInput
from service.protocols import Embedder
from service.store.faiss_index import FaissIndex
from service.store.sql import SqlDocumentStore

RANGE_FILTERS = {"filed_after": ("filed", ">="), "filed_before": ("filed", "<=")}
"""Filters that compare a metadata date (ISO ``YYYY-MM-DD``) instead of testing equality."""


def document_matches(metadata: Mapping[str, object], filters: Mapping[str, str]) -> bool:
    """True when a document's metadata satisfies every filter (equality, or a date range)."""
    for key, wanted in filters.items():
        if key in RANGE_FILTERS:
            field, operator = RANGE_FILTERS[key]
            value = str(metadata.get(field) or "")
            if not value or (value < wanted if operator == ">=" else value > wanted):
                return False
        elif str(metadata.get(key, "")).lower() != wanted.lower():
            return False
    return True


def check_filters(filters: Mapping[str, str] | None) -> dict[str, str]:
    """Validate filter names and values; dates must be ISO ``YYYY-MM-DD``."""
    checked: dict[str, str] = {}
    for key, value in (filters or {}).items():
        if not key.replace("_", "").isalnum():
            raise InvalidInput(f"filter name {key!r} is not a metadata field name", detail={"field": "filters"})
        if key in RANGE_FILTERS and not (len(value) == 10 and value[4] == "-" and value[7] == "-"):
            raise InvalidInput(f"filter {key} needs a date as YYYY-MM-DD, got {value!r}", detail={"field": "filters"})
        checked[key] = str(value)
    return checked


def to_hit(chunk: StoredChunk, score: float, relevance: float) -> SearchHit:
    return SearchHit(
        chunk_id=chunk.chunk_id,
        document_id=chunk.document_id,
        collection=chunk.collection,
        source=chunk.source,
        title=chunk.title,
        page_start=chunk.page_start,
        page_end=chunk.page_end,
        char_start=chunk.char_start,
        char_end=chunk.char_end,
        score=score,
        text=chunk.text,
        metadata=chunk.metadata,
        relevance=relevance,
    )


class Retriever:
    """Ranks a collection's chunks for a query. Filters restrict candidates *before* ranking."""

    def __init__(
        self,
        store: SqlDocumentStore,
        index: Callable[[str], FaissIndex],
        embedder: Callable[[], Embedder],
    ) -> None:
        self.store = store
        self._index = index
        self._embedder = embedder

    def search(self, query: str, collection: str, k: int, filters: Mapping[str, str] | None = None) -> list[SearchHit]:
        """The top ``k`` chunks of ``collection`` for ``query``, best first."""
        checked = check_filters(filters)
        index = self._index(collection)
        allowed = (
            self.store.chunk_ids_where(collection, lambda meta: document_matches(meta, checked)) if checked else None
        )
        vector = self._embedder().embed_query(query)
        ranked = index.search(vector, k, allowed_ids=sorted(allowed) if allowed is not None else None)
        chunks = self.store.chunks([chunk_id for chunk_id, _ in ranked])
        return [to_hit(chunks[chunk_id], score, score) for chunk_id, score in ranked if chunk_id in chunks]
