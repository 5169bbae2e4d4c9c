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
4. **The head by score.** Ranks alone cannot tell a clear winner from a near tie: a chunk first by cosine
   0.70 against 0.55 weighs the same as one first by a hair. The first ``fusion_head`` fused chunks
   are re-ordered by ``dense_weight * cosine' + (1 - dense_weight) * bm25'``, each score min-max
   normalised over those chunks (a convex combination, as in Bruch et al., "An Analysis of Fusion
   Functions for Hybrid Retrieval", 2023). Only their order changes: which chunks reach the head, and
   all below it, stay rank fusion's, so recall at and beyond ``fusion_head`` is unchanged. Over the
   whole list the same combination lets the dense ranking's weak tail in (tests/benchmarks/README.md,
   retrieval study).

Measured on the LegalBench-RAG dev split (tests/benchmarks/README.md, retrieval study): steps 1-3 add recall,
step 4 precision at the top.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from service.core.seams import LexicalIndex, VectorIndex, Vectors
from service.core.settings import RetrievalSettings

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


def convex_order(
    items: Sequence[int], cosines: Sequence[float], bm25: Sequence[float], dense_weight: float
) -> list[int]:
    """``items`` best first by ``dense_weight * cosine' + (1 - dense_weight) * bm25'``, each score min-max
    normalised over ``items`` (a constant score counts 0); ties keep their order in ``items``."""

    def normalised(scores: Sequence[float]) -> list[float]:
        low, high = min(scores, default=0.0), max(scores, default=0.0)
        return [(score - low) / (high - low) if high > low else 0.0 for score in scores]

    combined = [
        dense_weight * cosine + (1 - dense_weight) * lexical
        for cosine, lexical in zip(normalised(cosines), normalised(bm25), strict=True)
    ]
    order = sorted(range(len(items)), key=lambda position: -combined[position])  # stable: ties keep fusion order
    return [items[position] for position in order]


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
        head = min(self.settings.fusion_head, len(fused))
        if head > 1:
            reordered = self._order_head(
                [chunk_id for chunk_id, _ in fused[:head]], vector, query, index, lexical, cosines, dict(terms)
            )
            # each keeps the fusion score of the place it takes: scores still fall in rank order, on one scale
            fused[:head] = [(chunk_id, score) for chunk_id, (_, score) in zip(reordered, fused[:head], strict=True)]
        return [Ranked(chunk_id, score, cosines.get(chunk_id)) for chunk_id, score in fused[:k]]

    def _order_head(
        self,
        head: list[int],
        vector: Vectors,
        query: str,
        index: VectorIndex,
        lexical: LexicalIndex,
        cosines: dict[int, float],
        bm25: dict[int, float],
    ) -> list[int]:
        """``head`` ordered by ``convex_order``; the scores a ranking cut off below its candidates are looked up
        (``cosines`` gains them, so hits keep their cosine)."""
        unseen = [chunk_id for chunk_id in head if chunk_id not in cosines]
        if unseen:
            cosines.update(index.search(vector, len(unseen), allowed_ids=sorted(unseen)))
        unscored = [chunk_id for chunk_id in head if chunk_id not in bm25]
        if unscored:  # no BM25 score: below the lexical candidates, or no query word in it (0)
            bm25.update(lexical.search(query, len(unscored), allowed_ids=sorted(unscored)))
        return convex_order(
            head,
            [cosines.get(chunk_id, 0.0) for chunk_id in head],
            [bm25.get(chunk_id, 0.0) for chunk_id in head],
            self.settings.dense_weight,
        )
