"""Document routing: which documents a query names ("the Boingo merger agreement"), best first.

Each document is profiled by its name (file name words, title, metadata) plus its opening
``profile_tokens`` tokens, where contracts and filings name their parties. ``route`` scores the
profiles with query terms weighted by ``idf**3`` instead of ``idf``: a term found in one document (a
party name) must outweigh a dozen terms every agreement shares ("receiving", "party", "confidential"),
which plain BM25 lets win.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from service.backends.lexical.bm25_matrix import Bm25Matrix
from service.backends.lexical.state import LexicalState
from service.backends.lexical.vocabulary import IntArray


def document_profiles(state: LexicalState, document_ids: Sequence[str], profile_tokens: int) -> list[IntArray]:
    """Per document: its name's term ids, then those of its first chunks up to ``profile_tokens`` tokens."""
    profiles = []
    for document_id in document_ids:
        document = state.documents[document_id]
        opening: list[IntArray] = [document.name]
        length = 0
        for chunk_id in sorted(document.chunk_ids):
            if length >= profile_tokens:
                break
            tokens = state.chunks[chunk_id][1][: profile_tokens - length]
            opening.append(tokens)
            length += len(tokens)
        profiles.append(np.concatenate(opening))
    return profiles


@dataclass(frozen=True)
class DocumentRouter:
    """BM25 over document profiles; never changed, only replaced by a new one after the index changes."""

    document_ids: list[str]
    """Row ``i`` of ``profiles`` is ``document_ids[i]`` (sorted)."""
    profiles: Bm25Matrix

    @classmethod
    def build(cls, state: LexicalState, profile_tokens: int, k1: float, b: float) -> DocumentRouter:
        """Profile every document of ``state`` and index the profiles."""
        document_ids = sorted(state.documents)
        profiles = document_profiles(state, document_ids, profile_tokens)
        return cls(document_ids, Bm25Matrix.build(profiles, len(state.vocabulary), k1, b))

    def route(self, terms: Sequence[int], allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """``(document_id, score)`` of the documents sharing a term with the query, best first; with
        ``allowed``, only those documents."""
        # BM25's term score carries one idf factor; two more make it idf**3
        scores = self.profiles.scores(terms, [self.profiles.idf[term] ** 2 for term in terms])
        named = np.flatnonzero(scores > 0)  # the few documents sharing a word with the query, not all of them
        order = named[np.argsort(-scores[named], kind="stable")]
        return [
            (self.document_ids[i], float(scores[i]))
            for i in order.tolist()
            if allowed is None or self.document_ids[i] in allowed
        ]
