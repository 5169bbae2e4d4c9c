"""Hybrid ranking behind ``Retriever.search``: document routing, dense and lexical candidates, fusion.

1. **Routing.** The lexical index scores documents against the query by name, title, metadata and
   opening text (``LexicalIndex.route``); the documents within ``route_ratio`` of the best are the
   ones the query names, unless there are more than ``route_max_documents`` of them (then its rare
   words merely occur in several documents, and nothing is routed). The named documents' chunks are
   ranked first, the rest of the collection after them, so a named document with fewer than ``k``
   chunks still gives ``k`` hits.
   Inside the named documents, the words that named them are dropped from the query
   (``strip_names``): they match every chunk of the document (its name is indexed with each chunk)
   and the preamble that lists the parties, so they only add noise there.
2. **Candidates.** FAISS (cosine) and BM25 each return their top ``candidates`` chunks of the tier,
   both restricted to the allowed ids (filters) *before* ranking.
3. **Fusion.** Reciprocal rank fusion: ``sum(1 / (rrf_k + rank))`` over the two rankings. It needs no
   score calibration between cosines and BM25, which differ in scale from query to query.

Measured on the LegalBench-RAG dev split (README, "Retrieval quality"): each step adds recall.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from service.protocols import LexicalIndex, VectorIndex, Vectors
from service.settings import RetrievalSettings

ROUTED_BONUS = 1.0
"""Added to the score of chunks of the documents a query names, so scores fall in rank order."""


@dataclass(frozen=True)
class Ranked:
    """One ranked chunk: its score, and its cosine to the query when the dense search saw it."""

    chunk_id: int
    score: float
    cosine: float | None = None


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]], k: float, weights: Sequence[float] | None = None
) -> list[tuple[int, float]]:
    """Fuse ranked id lists: each id scores ``sum(weight / (k + rank))`` (ranks from 1); best first, ties by id."""
    scores: dict[int, float] = {}
    for position, ranking in enumerate(rankings):
        weight = 1.0 if weights is None else weights[position]
        for rank, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


class HybridRanker:
    """Ranks chunk ids for a query with the configured mode, routing and fusion."""

    def __init__(self, settings: RetrievalSettings) -> None:
        self.settings = settings

    def rank(
        self,
        query: str,
        embed: Callable[[str], Vectors],
        k: int,
        index: VectorIndex,
        lexical: LexicalIndex | None,
        allowed_ids: Sequence[int] | None = None,
    ) -> tuple[list[Ranked], Vectors]:
        """The top ``k`` chunks, best first, and the query vector that ranked them; ``allowed_ids``
        (None: all) restricts every stage.

        One embedding per query: of the question left once the words naming the routed documents are
        removed, or of the whole query when nothing is routed. ``Ranked.cosine`` is the cosine to that
        vector, or None where the dense search did not see the chunk.
        """
        if k <= 0 or (allowed_ids is not None and not allowed_ids):
            return [], embed(query)
        named: list[int] = []
        documents: list[str] = []
        if lexical is not None and self.settings.route_documents:
            routes = lexical.route(query, allowed_ids)
            floor = self.settings.route_ratio * routes[0][1] if routes else 0.0
            documents = [document for document, score in routes if score >= floor]
            if 0 < len(documents) <= self.settings.route_max_documents:
                named = lexical.document_chunks(documents)
                if allowed_ids is not None:
                    allowed = set(allowed_ids)
                    named = [chunk_id for chunk_id in named if chunk_id in allowed]
        if not named:
            vector = embed(query)
            return self._fuse(query, vector, k, index, lexical, allowed_ids), vector
        assert lexical is not None
        # Inside the named documents the words that named them match every chunk's context, or the
        # preamble that lists the parties, and no longer tell chunks apart: rank by the rest.
        question = lexical.without_names(query, documents) if self.settings.strip_names else query
        if not question.strip():
            question = query
        vector = embed(question)
        first = self._fuse(question, vector, k, index, lexical, sorted(named))
        ranked = [Ranked(hit.chunk_id, hit.score + ROUTED_BONUS, hit.cosine) for hit in first]
        if len(ranked) < k:
            seen = {hit.chunk_id for hit in ranked}
            rest = self._fuse(query, vector, k + len(seen), index, lexical, allowed_ids)
            ranked += [hit for hit in rest if hit.chunk_id not in seen][: k - len(ranked)]
        return ranked, vector

    def _fuse(
        self,
        query: str,
        vector: Vectors,
        k: int,
        index: VectorIndex,
        lexical: LexicalIndex | None,
        allowed_ids: Sequence[int] | None,
    ) -> list[Ranked]:
        mode = self.settings.mode if lexical is not None else "dense"
        depth = max(k, self.settings.candidates)
        dense = index.search(vector, depth, allowed_ids=allowed_ids) if mode != "lexical" else []
        if mode == "dense":
            return [Ranked(chunk_id, score, score) for chunk_id, score in dense[:k]]
        assert lexical is not None
        terms = lexical.search(query, depth, allowed_ids=allowed_ids)
        if mode == "lexical":
            return [Ranked(chunk_id, score) for chunk_id, score in terms[:k]]
        cosines = dict(dense)
        fused = reciprocal_rank_fusion(
            [[chunk_id for chunk_id, _ in dense], [chunk_id for chunk_id, _ in terms]], self.settings.rrf_k
        )
        return [Ranked(chunk_id, score, cosines.get(chunk_id)) for chunk_id, score in fused[:k]]
