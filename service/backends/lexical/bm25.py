"""``Bm25Index``: a collection's lexical index — BM25 (``bm25s``) over chunks, and a document router.

Two BM25 models are built from one tokenised state:

* **chunks**: each chunk's text plus its document's *name* (file name words, title, metadata), so a
  query that names a document ("the Boingo merger agreement") matches every chunk of it, while the
  rest of the query decides between them. ``chunk.text`` itself is never changed.
* **documents** (the router): each document's name plus its opening ``profile_tokens`` tokens, where
  contracts and filings name their parties. ``route`` scores them with query terms weighted by
  ``idf**3`` instead of ``idf``: a term found in one document (a party name) must outweigh a dozen
  terms every agreement shares ("receiving", "party", "confidential"), which plain BM25 lets win.

Like FAISS, the index is derived from SQL: it is saved atomically (the token arrays, then a manifest
written last) and ``reconcile`` makes it hold exactly the chunks SQL holds, re-tokenising what is
missing from the stored chunk text. Chunk ids are never reused, so an equal id set means equal content.
The BM25 matrices are rebuilt from the tokens after every change, lazily, at the next search.

Why not ``bm25s.BM25.index``: it loops over documents in Python (5 s for the dev split's 31k chunks on
this machine), too slow to rebuild after every upload. ``Bm25Matrix`` computes the same Lucene BM25
scores with a few vectorised numpy passes (a test checks them against ``bm25s``); ``bm25s`` still
provides the stop words.
"""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from bm25s.stopwords import STOPWORDS_EN

from service.backends.faiss_index import SavedIndex, write_atomically
from service.core.domain import document_name
from service.core.names import check_collection_name
from service.core.seams import DocumentStore

LEXICAL_RECIPE = 1
"""Bump when tokenisation or what is indexed changes: a saved index of another recipe is rebuilt from SQL."""

_TOKEN = re.compile(r"[^\W_]+")  # letters and digits; '_' splits (file names use it as a space)
_STOPWORDS = frozenset(STOPWORDS_EN) | {"s"}  # "s": the possessive ("Petrolube's")
_RECONCILE_BATCH = 2000

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def tokenize(text: str) -> list[str]:
    """Lower-cased runs of letters and digits, English stop words dropped."""
    return [token for token in _TOKEN.findall(text.lower()) if token not in _STOPWORDS]


@dataclass(frozen=True)
class LexicalManifest:
    """What a saved lexical index holds; an index of another ``recipe`` or ``version`` is rebuilt."""

    recipe: int
    k1: float
    b: float
    profile_tokens: int
    count: int = 0
    documents: int = 0
    version: int = 1


@dataclass(frozen=True)
class Bm25Matrix:
    """Lucene BM25 term scores of a corpus, stored by term (compressed sparse columns).

    ``score(t, d) = idf(t) * tf / (tf + k1 * (1 - b + b * |d| / avg|d|))`` with
    ``idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))``, as ``bm25s`` (method ``lucene``) computes it.
    """

    indptr: IntArray
    """Term ``t``'s entries are ``rows[indptr[t]:indptr[t + 1]]`` and ``values[...]``."""
    rows: IntArray
    values: FloatArray
    idf: FloatArray
    size: int
    """Number of rows (documents or chunks)."""

    @classmethod
    def build(cls, corpus: Sequence[IntArray], terms: int, k1: float, b: float) -> Bm25Matrix:
        """Index ``corpus`` (one array of term ids in ``[0, terms)`` per row)."""
        size = len(corpus)
        lengths = np.asarray([len(row) for row in corpus], dtype=np.int64)
        row_of_token = np.repeat(np.arange(size, dtype=np.int64), lengths)
        term_of_token = np.concatenate([*corpus, np.zeros(0, np.int64)]).astype(np.int64)
        pairs, term_frequency = np.unique(term_of_token * max(size, 1) + row_of_token, return_counts=True)
        terms_of_pairs, rows = np.divmod(pairs, max(size, 1))
        document_frequency = np.bincount(terms_of_pairs, minlength=terms)
        idf = np.log1p((size - document_frequency + 0.5) / (document_frequency + 0.5))
        average = max(float(lengths.mean()) if size else 0.0, 1e-9)
        norm = k1 * (1 - b + b * lengths[rows] / average)
        values = idf[terms_of_pairs] * term_frequency / (term_frequency + norm)
        indptr = np.concatenate([[0], np.cumsum(document_frequency)]).astype(np.int64)
        return cls(indptr, rows, values, idf, size)

    def scores(self, terms: Sequence[int], weights: Sequence[float] | None = None) -> FloatArray:
        """Every row's score for a query of ``terms`` (each counted once, times its weight)."""
        picked = [slice(self.indptr[t], self.indptr[t + 1]) for t in terms]
        if not picked:
            return np.zeros(self.size)
        rows = np.concatenate([self.rows[part] for part in picked])
        values = [self.values[part] for part in picked]
        if weights is not None:
            values = [value * weight for value, weight in zip(values, weights, strict=True)]
        return np.bincount(rows, weights=np.concatenate(values), minlength=self.size).astype(np.float64)


@dataclass
class _Document:
    name: IntArray
    chunk_ids: list[int]


@dataclass(frozen=True)
class _Models:
    """The BM25 models of one state; replaced as a whole after a change."""

    chunk_ids: IntArray
    """Sorted chunk ids; row ``i`` of the chunk model is ``chunk_ids[i]``."""
    chunks: Bm25Matrix
    document_ids: list[str]
    documents: Bm25Matrix


class Bm25Index(SavedIndex):
    """One collection's lexical index; thread-safe. Implements ``LexicalIndex``."""

    def __init__(self, directory: Path, collection: str, k1: float = 1.2, b: float = 0.75, profile_tokens: int = 1500):
        self.collection = check_collection_name(collection)
        self.data_path = directory / f"{collection}.lexical.npz"
        self.manifest_path = directory / f"{collection}.lexical.json"
        self.expected = LexicalManifest(LEXICAL_RECIPE, k1, b, profile_tokens)
        self._lock = threading.RLock()
        self._vocabulary: dict[str, int] = {}
        self._chunks: dict[int, tuple[str, IntArray]] = {}
        self._documents: dict[str, _Document] = {}
        self._models: _Models | None = None
        self._dirty = False
        self._loaded_mtime: float | None = None
        self._load()

    # --- state ----------------------------------------------------------------------------------

    def _token_ids(self, text: str, grow: bool) -> IntArray:
        ids: list[int] = []
        for token in tokenize(text):
            found = self._vocabulary.get(token)
            if found is None and grow:
                found = self._vocabulary[token] = len(self._vocabulary)
            if found is not None:
                ids.append(found)
        return np.asarray(ids, dtype=np.int64)

    @property
    def count(self) -> int:
        return len(self._chunks)

    def ids(self) -> set[int]:
        with self._lock:
            return set(self._chunks)

    def add_document(self, document_id: str, name: str, ids: Sequence[int], texts: Sequence[str]) -> None:
        """Index chunks ``ids`` (with ``texts``) of document ``document_id``, named by ``name``."""
        if len(ids) != len(texts):
            raise ValueError(f"{len(ids)} chunk ids but {len(texts)} texts")
        with self._lock:
            document = self._documents.setdefault(document_id, _Document(np.zeros(0, np.int64), []))
            document.name = self._token_ids(name, grow=True)
            for chunk_id, text in zip(ids, texts, strict=True):
                if int(chunk_id) not in self._chunks:
                    document.chunk_ids.append(int(chunk_id))
                self._chunks[int(chunk_id)] = (document_id, self._token_ids(text, grow=True))
            self._changed()

    def remove(self, ids: Sequence[int]) -> None:
        """Drop chunks; a document whose chunks are all gone is dropped from the router."""
        if not len(ids):
            return
        with self._lock:
            touched: set[str] = set()
            for chunk_id in ids:
                entry = self._chunks.pop(int(chunk_id), None)
                if entry is not None:
                    touched.add(entry[0])
            for document_id in touched:
                document = self._documents[document_id]
                document.chunk_ids = [chunk_id for chunk_id in document.chunk_ids if chunk_id in self._chunks]
                if not document.chunk_ids:
                    del self._documents[document_id]
            self._changed()

    def document_chunks(self, document_ids: Iterable[str]) -> list[int]:
        """Chunk ids of the given documents (unknown ids are ignored)."""
        with self._lock:
            return [
                chunk_id
                for document_id in document_ids
                if document_id in self._documents
                for chunk_id in self._documents[document_id].chunk_ids
            ]

    def without_names(self, query: str, document_ids: Iterable[str]) -> str:
        """``query`` with every word removed whose token is in the name of one of ``document_ids``."""
        with self._lock:
            named: set[int] = set()
            for document_id in document_ids:
                document = self._documents.get(document_id)
                if document is not None:
                    named.update(document.name.tolist())
        return _TOKEN.sub(
            lambda word: "" if self._vocabulary.get(word.group(0).lower()) in named else word.group(0), query
        )

    def _changed(self) -> None:
        self._models = None
        self._dirty = True

    # --- BM25 ------------------------------------------------------------------------------------

    def _build(self) -> _Models | None:
        if not self._chunks:
            return None
        chunk_ids = np.asarray(sorted(self._chunks), dtype=np.int64)
        document_ids = sorted(self._documents)
        names = {document_id: self._documents[document_id].name for document_id in document_ids}
        chunk_tokens = []
        for chunk_id in chunk_ids.tolist():
            document_id, tokens = self._chunks[chunk_id]
            chunk_tokens.append(np.concatenate([tokens, names[document_id]]))
        profiles = []
        for document_id in document_ids:
            document = self._documents[document_id]
            opening: list[IntArray] = [document.name]
            length = 0
            for chunk_id in sorted(document.chunk_ids):
                if length >= self.expected.profile_tokens:
                    break
                tokens = self._chunks[chunk_id][1][: self.expected.profile_tokens - length]
                opening.append(tokens)
                length += len(tokens)
            profiles.append(np.concatenate(opening))
        terms, k1, b = len(self._vocabulary), self.expected.k1, self.expected.b
        chunks = Bm25Matrix.build(chunk_tokens, terms, k1, b)
        return _Models(chunk_ids, chunks, document_ids, Bm25Matrix.build(profiles, terms, k1, b))

    @property
    def built(self) -> bool:
        """Whether the BM25 models are built (else the next search builds them: 0.16 s for 31k chunks here)."""
        return self._models is not None or not self._chunks

    def build(self) -> None:
        """Build the BM25 models now, if a change or a load left them to the next search."""
        with self._lock:
            self._ready()

    def _ready(self) -> _Models | None:
        if self._models is None:
            self._models = self._build()
        return self._models

    def _query_ids(self, models: _Models, query: str) -> list[int]:
        return sorted({int(i) for i in self._token_ids(query, grow=False) if i < len(models.chunks.idf)})

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
        best = _top(scores, k)
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
            allowed = (
                None
                if allowed_ids is None
                else {self._chunks[int(i)][0] for i in allowed_ids if int(i) in self._chunks}
            )
        # BM25's term score carries one idf factor; two more make it idf**3
        scores = models.documents.scores(tokens, [models.documents.idf[token] ** 2 for token in tokens])
        named = np.flatnonzero(scores > 0)  # the few documents sharing a word with the query, not all of them
        order = named[np.argsort(-scores[named], kind="stable")]
        return [
            (models.document_ids[i], float(scores[i]))
            for i in order.tolist()
            if allowed is None or models.document_ids[i] in allowed
        ]

    # --- persistence -----------------------------------------------------------------------------

    def _load(self) -> None:
        if not self.manifest_path.exists() or not self.data_path.exists():
            return
        try:
            stored = LexicalManifest(**json.loads(self.manifest_path.read_text()))
        except (TypeError, ValueError):
            return  # unreadable or from another version: reconcile rebuilds it from SQL
        if stored.version != self.expected.version or stored.recipe != self.expected.recipe:
            return
        self._loaded_mtime = self.manifest_path.stat().st_mtime
        with np.load(self.data_path, allow_pickle=False) as data:
            words = [str(word) for word in data["words"]]
            document_ids = [str(value) for value in data["document_ids"]]
            name_offsets, name_tokens = data["name_offsets"], data["name_tokens"]
            chunk_ids, chunk_documents = data["chunk_ids"], data["chunk_documents"]
            token_offsets, tokens = data["token_offsets"], data["tokens"]
        self._vocabulary = {word: index for index, word in enumerate(words)}
        self._documents = {
            document_id: _Document(name_tokens[name_offsets[i] : name_offsets[i + 1]], [])
            for i, document_id in enumerate(document_ids)
        }
        self._chunks = {}
        for i, chunk_id in enumerate(chunk_ids.tolist()):
            document_id = document_ids[chunk_documents[i]]
            self._chunks[chunk_id] = (document_id, tokens[token_offsets[i] : token_offsets[i + 1]])
            self._documents[document_id].chunk_ids.append(chunk_id)
        self._models = None
        self._dirty = False

    def save(self) -> None:
        """Write the token arrays, then the manifest, each atomically (the manifest never names newer data).

        Nothing is written when nothing changed since the last load or save.
        """
        with self._lock:
            if not self._dirty and self.manifest_path.exists() and self.data_path.exists():
                return
            self.data_path.parent.mkdir(parents=True, exist_ok=True)
            document_ids = sorted(self._documents)
            position = {document_id: i for i, document_id in enumerate(document_ids)}
            chunk_ids = sorted(self._chunks)
            names = [self._documents[document_id].name for document_id in document_ids]
            chunk_tokens = [self._chunks[chunk_id][1] for chunk_id in chunk_ids]
            words = sorted(self._vocabulary, key=self._vocabulary.__getitem__)
            arrays = {
                "words": np.asarray(words, dtype=np.str_),
                "document_ids": np.asarray(document_ids, dtype=np.str_),
                "name_offsets": _offsets(names),
                "name_tokens": _concatenate(names),
                "chunk_ids": np.asarray(chunk_ids, dtype=np.int64),
                "chunk_documents": np.asarray([position[self._chunks[c][0]] for c in chunk_ids], dtype=np.int64),
                "token_offsets": _offsets(chunk_tokens),
                "tokens": _concatenate(chunk_tokens),
            }

            def write_arrays(path: Path) -> None:
                with open(path, "wb") as handle:
                    np.savez(handle, **arrays)  # type: ignore[arg-type]  # numpy's stub wants positional arrays

            write_atomically(self.data_path, write_arrays)
            manifest = LexicalManifest(
                **{**asdict(self.expected), "count": len(chunk_ids), "documents": len(document_ids)}
            )
            write_atomically(self.manifest_path, lambda path: path.write_text(json.dumps(asdict(manifest), indent=1)))
            self._loaded_mtime = self.manifest_path.stat().st_mtime
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


def _top(scores: npt.NDArray[Any], k: int) -> IntArray:
    """Indices of the ``k`` largest scores, best first (ties by index)."""
    candidates = np.argpartition(-scores, k - 1)[:k] if len(scores) > k else np.arange(len(scores))
    return candidates[np.lexsort((candidates, -scores[candidates]))].astype(np.int64)


def _offsets(arrays: Sequence[IntArray]) -> IntArray:
    return np.concatenate([[0], np.cumsum([len(array) for array in arrays], dtype=np.int64)]).astype(np.int64)


def _concatenate(arrays: Sequence[IntArray]) -> IntArray:
    return np.concatenate([*arrays, np.zeros(0, np.int64)]).astype(np.int64)
