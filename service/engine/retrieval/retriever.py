"""Retrieval: the one search path behind the CLI, ``/v1/search``, ``/v1/ask`` and ``docqa eval``."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date

from service.core.access import Principal
from service.core.domain import SearchHit, StoredChunk
from service.core.errors import InvalidInput
from service.core.seams import DocumentStore, Embedder, LexicalIndex, Reranker, VectorIndex
from service.core.settings import RetrievalSettings
from service.engine.entities import ENTITY_FILTER, entity_chunks
from service.engine.retrieval.hybrid import HybridRanker, Ranked

log = logging.getLogger(__name__)

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


FILTER_FIELDS = frozenset(
    {
        # docket metadata (ingest/legal/docket.py) and the title's case name
        "court",
        "case_number",
        "case_name",
        "pacer_case_id",
        "document_number",
        "attachment_number",
        "entry_id",
        "filed",
        "document_type",
        # what the parsers keep: PDF and DOCX properties, e-mail headers
        "author",
        "subject",
        "creationdate",
        "from",
        "to",
        "cc",
        "date",
    }
)
"""Metadata fields docqa itself sets; a collection's documents may carry more (``docqa ingest --meta``)."""


def check_filters(filters: Mapping[str, str] | None) -> dict[str, str]:
    """Validate filter names and values before anything is read; dates must be real ISO ``YYYY-MM-DD`` dates.

    Each ``InvalidInput`` names the filter as ``filters.<name>``."""
    checked: dict[str, str] = {}
    for key, value in (filters or {}).items():
        if not key.replace("_", "").isalnum():
            raise InvalidInput(
                f"filters.{key}: not a metadata field name; {valid_filters_text(FILTER_FIELDS)}",
                detail={"field": f"filters.{key}", "valid": valid_filters(FILTER_FIELDS)},
            )
        if key in RANGE_FILTERS and not is_iso_date(value):
            raise InvalidInput(
                f"filters.{key}: needs a date as YYYY-MM-DD, got {value!r}",
                detail={"field": f"filters.{key}"},
            )
        checked[key] = str(value)
    return checked


def is_iso_date(value: str) -> bool:
    """True for a real calendar date written ``YYYY-MM-DD`` (``2020-13-45`` is not one)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def valid_filters(fields: Iterable[str]) -> list[str]:
    """The filter names a request may use: the metadata fields given and the date ranges."""
    return sorted({*fields, *RANGE_FILTERS, ENTITY_FILTER})


def valid_filters_text(fields: Iterable[str]) -> str:
    return "valid filters: " + ", ".join(valid_filters(fields))


def unknown_filters(filters: Mapping[str, str], seen: Iterable[str]) -> None:
    """``InvalidInput`` listing the valid names when a filter names a field that neither docqa sets nor any
    document of the collection carries (``{"colour": "red"}`` matches nothing: say so instead of 0 hits)."""
    known = FILTER_FIELDS | {field for field in seen if not field.startswith("_")}
    unknown = sorted(key for key in filters if key not in RANGE_FILTERS and key not in known)
    if unknown:
        raise InvalidInput(
            f"filters.{unknown[0]}: no such filter (no document carries the field); {valid_filters_text(known)}",
            detail={"field": f"filters.{unknown[0]}", "valid": valid_filters(known)},
        )


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


def rerank(reranker: Reranker, query: str, found: Sequence[Ranked], chunks: Mapping[int, StoredChunk]) -> list[Ranked]:
    """Order ``found`` by the reranker's score of (query, chunk text); the score becomes the hit's score."""
    kept = [hit for hit in found if hit.chunk_id in chunks]
    scores = reranker.score(query, [chunks[hit.chunk_id].text for hit in kept])
    rescored = [Ranked(hit.chunk_id, float(score), hit.cosine) for hit, score in zip(kept, scores, strict=True)]
    return sorted(rescored, key=lambda hit: -hit.score)


class Retriever:
    """Ranks a collection's chunks for a query: document routing, dense + lexical fusion, optional reranking
    (``service.engine.retrieval.hybrid``). Filters restrict candidates *before* ranking."""

    def __init__(
        self,
        store: DocumentStore,
        index: Callable[[str], VectorIndex],
        embedder: Callable[[], Embedder],
        lexical: Callable[[str], LexicalIndex] | None = None,
        settings: RetrievalSettings | None = None,
        reranker: Callable[[], Reranker | None] | None = None,
    ) -> None:
        self.store = store
        self._index = index
        self._embedder = embedder
        self._lexical = lexical
        self.settings = settings or RetrievalSettings()
        self._ranker = HybridRanker(self.settings)
        self._reranker = reranker

    def search(
        self,
        query: str,
        collection: str,
        k: int,
        filters: Mapping[str, str] | None = None,
        *,
        principal: Principal | None = None,
    ) -> list[SearchHit]:
        """The top ``k`` chunks of ``collection`` for ``query``, best first.

        The wall is checked here, before anything is ranked: a ``principal`` that may not read
        ``collection`` gets the ``NotFound`` of a missing collection. ``None`` is a trusted local
        caller (the CLI, evaluation). Only chunks of ``collection`` are ever returned, even from an
        index file that wrongly holds others (restored or copied from another collection).
        """
        if principal is not None:
            principal.require(collection)
        checked = check_filters(filters)
        index = self._index(collection)
        entity = checked.pop(ENTITY_FILTER, None)
        seen: set[str] = set()  # the metadata fields of the collection's documents: the valid filter names

        def keep(metadata: Mapping[str, object]) -> bool:
            seen.update(metadata)
            return document_matches(metadata, checked)

        allowed = self.store.chunk_ids_where(collection, keep) if checked else None
        if checked:
            unknown_filters(checked, seen)
        if entity is not None:
            on_pages = entity_chunks(self.store, collection, entity)
            allowed = on_pages if allowed is None else allowed & on_pages
        lexical = self._lexical(collection) if self._lexical is not None else None
        reranker = self._reranker() if self._reranker is not None else None
        depth = max(k, self.settings.rerank_candidates) if reranker is not None else k
        if allowed is not None and not allowed:
            return []  # the filters match no document: nothing to rank, nothing to embed
        allowed_ids = sorted(allowed) if allowed is not None else None
        found, vector = self._ranker.rank(query, self._embedder().embed_query, depth, index, lexical, allowed_ids)
        cosines = {hit.chunk_id: hit.cosine for hit in found if hit.cosine is not None}
        unseen = [hit.chunk_id for hit in found if hit.cosine is None]
        if unseen:  # lexical-only hits: relevance is still the cosine of the ranking vector and the stored one
            cosines |= index.similarity(vector, unseen)
        chunks = self._own_chunks(collection, [hit.chunk_id for hit in found])
        if reranker is not None:
            found = rerank(reranker, query, found, chunks)
        ranked = [(hit.chunk_id, hit.score) for hit in found if hit.chunk_id in chunks][:k]
        return [to_hit(chunks[chunk_id], score, cosines.get(chunk_id, 0.0)) for chunk_id, score in ranked]

    def _own_chunks(self, collection: str, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]:
        """The chunks of ``collection`` among ``chunk_ids``: the wall holds even against an index that
        wrongly holds another collection's ids, and nothing of those chunks reaches a reranker."""
        chunks = self.store.chunks(chunk_ids)
        foreign = [chunk_id for chunk_id, chunk in chunks.items() if chunk.collection != collection]
        if foreign:
            log.error(
                "the index of collection %r holds %d chunks of other collections; they were dropped from the "
                "results (restart the server to rebuild the index from the database)",
                collection,
                len(foreign),
            )
        return {chunk_id: chunk for chunk_id, chunk in chunks.items() if chunk.collection == collection}
