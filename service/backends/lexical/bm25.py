"""``Bm25Index``: a collection's lexical index — BM25 over chunks, and the document router.

Two BM25 models are built from one tokenised state (``state.py``):

* **chunks**: each chunk's text plus its document's *name* (file name words, title, metadata), so a
  query that names a document ("the Boingo merger agreement") matches every chunk of it, while the
  rest of the query decides between them. ``chunk.text`` itself is never changed.
* **documents** (``router.py``): which documents a query names.

Like FAISS, the index is derived from SQL: it is saved atomically (``persistence.py``) and
``reconcile`` makes it hold exactly the chunks SQL holds, re-tokenising what is missing from the
stored chunk text. Chunk ids are never reused, so an equal id set means equal content. The BM25
matrices (``bm25_matrix.py``) are rebuilt from the tokens after every change, lazily, at the next search.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from service.backends.lexical.bm25_matrix import Bm25Matrix, top_k
from service.backends.lexical.persistence import LEXICAL_RECIPE, LexicalManifest, load_state, save_state
from service.backends.lexical.router import DocumentRouter
from service.backends.lexical.state import LexicalState
from service.backends.lexical.vocabulary import IntArray, tokenize
from service.backends.saved_index import SavedIndex
from service.core.domain import document_name
from service.core.names import check_collection_name
from service.core.seams import DocumentStore

__all__ = ["Bm25Index", "Bm25Matrix", "tokenize"]

_RECONCILE_BATCH = 2000


@dataclass(frozen=True)
class _Models:
    """The BM25 models of one state; replaced as a whole after a change."""

    chunk_ids: IntArray
    """Sorted chunk ids; row ``i`` of the chunk model is ``chunk_ids[i]``."""
    chunks: Bm25Matrix
    router: DocumentRouter


class Bm25Index(SavedIndex):
    """One collection's lexical index; thread-safe. Implements ``LexicalIndex``."""

    def __init__(self, directory: Path, collection: str, k1: float = 1.2, b: float = 0.75, profile_tokens: int = 1500):
        self.collection = check_collection_name(collection)
        self.data_path = directory / f"{collection}.lexical.npz"
        self.manifest_path = directory / f"{collection}.lexical.json"
        self.expected = LexicalManifest(LEXICAL_RECIPE, k1, b, profile_tokens)
        self._lock = threading.RLock()
        self._state = LexicalState()
        self._models: _Models | None = None
        self._dirty = False
        self._loaded_mtime: float | None = None
        self._load()

    # --- state ----------------------------------------------------------------------------------

    @property
    def count(self) -> int:
        return len(self._state.chunks)

    def ids(self) -> set[int]:
        with self._lock:
            return set(self._state.chunks)

    def add_document(self, document_id: str, name: str, ids: Sequence[int], texts: Sequence[str]) -> None:
        """Index chunks ``ids`` (with ``texts``) of document ``document_id``, named by ``name``."""
        if len(ids) != len(texts):
            raise ValueError(f"{len(ids)} chunk ids but {len(texts)} texts")
        with self._lock:
            state = self._state
            document = state.document(document_id)
            document.name = state.vocabulary.token_ids(name, grow=True)
            for chunk_id, text in zip(ids, texts, strict=True):
                if int(chunk_id) not in state.chunks:
                    document.chunk_ids.append(int(chunk_id))
                state.chunks[int(chunk_id)] = (document_id, state.vocabulary.token_ids(text, grow=True))
            self._changed()

    def remove(self, ids: Sequence[int]) -> None:
        """Drop chunks; a document whose chunks are all gone is dropped from the router."""
        if not len(ids):
            return
        with self._lock:
            state = self._state
            touched: set[str] = set()
            for chunk_id in ids:
                entry = state.chunks.pop(int(chunk_id), None)
                if entry is not None:
                    touched.add(entry[0])
            for document_id in touched:
                document = state.documents[document_id]
                document.chunk_ids = [chunk_id for chunk_id in document.chunk_ids if chunk_id in state.chunks]
                if not document.chunk_ids:
                    del state.documents[document_id]
            self._changed()

    def document_chunks(self, document_ids: Iterable[str]) -> list[int]:
        """Chunk ids of the given documents (unknown ids are ignored)."""
        with self._lock:
            documents = self._state.documents
            return [
                chunk_id
                for document_id in document_ids
                if document_id in documents
                for chunk_id in documents[document_id].chunk_ids
            ]

    def without_names(self, query: str, document_ids: Iterable[str]) -> str:
        """``query`` with every word removed whose token is in the name of one of ``document_ids``."""
        with self._lock:
            named: set[int] = set()
            for document_id in document_ids:
                document = self._state.documents.get(document_id)
                if document is not None:
                    named.update(document.name.tolist())
            vocabulary = self._state.vocabulary
        return vocabulary.without(query, named)

    def _changed(self) -> None:
        self._models = None
        self._dirty = True

    # --- BM25 ------------------------------------------------------------------------------------

    def _build(self) -> _Models | None:
        state = self._state
        if not state.chunks:
            return None
        chunk_ids = np.asarray(sorted(state.chunks), dtype=np.int64)
        chunk_tokens = []
        for chunk_id in chunk_ids.tolist():
            document_id, tokens = state.chunks[chunk_id]
            chunk_tokens.append(np.concatenate([tokens, state.documents[document_id].name]))
        k1, b = self.expected.k1, self.expected.b
        chunks = Bm25Matrix.build(chunk_tokens, len(state.vocabulary), k1, b)
        return _Models(chunk_ids, chunks, DocumentRouter.build(state, self.expected.profile_tokens, k1, b))

    @property
    def built(self) -> bool:
        """Whether the BM25 models are built (else the next search builds them: 0.16 s for 31k chunks here)."""
        return self._models is not None or not self._state.chunks

    def build(self) -> None:
        """Build the BM25 models now, if a change or a load left them to the next search."""
        with self._lock:
            self._ready()

    def _ready(self) -> _Models | None:
        if self._models is None:
            self._models = self._build()
        return self._models

    def _query_ids(self, models: _Models, query: str) -> list[int]:
        terms = self._state.vocabulary.token_ids(query, grow=False)
        return sorted({int(i) for i in terms if i < len(models.chunks.idf)})

    def search(self, query: str, k: int, allowed_ids: Sequence[int] | None = None) -> list[tuple[int, float]]:
        """Top ``k`` ``(chunk_id, bm25)`` pairs with a positive score; ``allowed_ids`` filters before ranking."""
        with self._lock:
            models = self._ready()
            if models is None or k <= 0:
                return []
            tokens = self._query_ids(models, query)
        if not tokens:
            return []
        scores = models.chunks.scores(tokens)  # models are never changed, only replaced: no lock needed
        rows: IntArray | None = None
        if allowed_ids is not None:
            wanted = np.asarray(allowed_ids, dtype=np.int64)
            positions = np.searchsorted(models.chunk_ids, wanted)
            inside = positions < len(models.chunk_ids)
            positions, wanted = positions[inside], wanted[inside]
            # an allowed id the index lacks finds its successor's row: keep only exact matches, each once
            rows = positions[models.chunk_ids[positions] == wanted]
            scores = scores[rows]
        best = top_k(scores, k)
        best = best[scores[best] > 0]
        row_ids = rows[best] if rows is not None else best
        return [(int(models.chunk_ids[row]), float(scores[i])) for row, i in zip(row_ids, best, strict=True)]

    def route(self, query: str, allowed_ids: Sequence[int] | None = None) -> list[tuple[str, float]]:
        """Documents the query names, best first: ``(document_id, score)`` with a positive score.

        With ``allowed_ids``, only documents that have an allowed chunk are considered.
        """
        with self._lock:
            models = self._ready()
            if models is None:
                return []
            tokens = self._query_ids(models, query)
            chunks = self._state.chunks
            allowed = None if allowed_ids is None else {chunks[int(i)][0] for i in allowed_ids if int(i) in chunks}
        return models.router.route(tokens, allowed)

    # --- persistence -----------------------------------------------------------------------------

    def _load(self) -> None:
        loaded = load_state(self.data_path, self.manifest_path, self.expected)
        if loaded is None:
            return
        self._state, self._loaded_mtime = loaded
        self._models = None
        self._dirty = False

    def save(self) -> None:
        """Write the token arrays, then the manifest, each atomically (the manifest never names newer data).

        Nothing is written when nothing changed since the last load or save.
        """
        with self._lock:
            if not self._dirty and self.manifest_path.exists() and self.data_path.exists():
                return
            self._loaded_mtime = save_state(self._state, self.data_path, self.manifest_path, self.expected)
            self._dirty = False

    def _reload(self) -> None:
        self._load()

    def reconcile(self, store: DocumentStore) -> tuple[int, int]:
        """Make the index hold exactly the chunks SQL holds (text re-read from SQL); returns ``(added, removed)``."""
        with self._lock:
            wanted = store.chunk_ids(self.collection)
            present = self.ids()
            extra = sorted(present - wanted)
            missing = sorted(wanted - present)
            self.remove(extra)
            for start in range(0, len(missing), _RECONCILE_BATCH):
                chunks = store.chunks(missing[start : start + _RECONCILE_BATCH])
                by_document: dict[str, list[int]] = defaultdict(list)
                for chunk_id in sorted(chunks):
                    by_document[chunks[chunk_id].document_id].append(chunk_id)
                for document_id, ids in by_document.items():
                    first = chunks[ids[0]]
                    name = document_name(first.source, first.title, first.metadata)
                    self.add_document(document_id, name, ids, [chunks[chunk_id].text for chunk_id in ids])
            if extra or missing:
                self.save()
            return len(missing), len(extra)
