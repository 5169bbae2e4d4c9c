"""What a lexical index holds in memory: per chunk its document and term ids, per document its name and chunks."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from service.backends.lexical.vocabulary import IntArray, Vocabulary


@dataclass
class IndexedDocument:
    """One document: the term ids of its name (file, title, metadata) and its chunk ids, in insertion order."""

    name: IntArray
    chunk_ids: list[int]


@dataclass
class LexicalState:
    """The tokenised state every BM25 model of a collection is built from, and what is saved."""

    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    chunks: dict[int, tuple[str, IntArray]] = field(default_factory=dict)
    """Chunk id to ``(document_id, term ids of its text)``."""
    documents: dict[str, IndexedDocument] = field(default_factory=dict)

    def document(self, document_id: str) -> IndexedDocument:
        """The document's entry, created empty on first use."""
        return self.documents.setdefault(document_id, IndexedDocument(np.zeros(0, np.int64), []))
