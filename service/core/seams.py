"""The seams of docqa: one required job per role, implementations named by technology.

``service.components`` is the only module that maps settings to concrete implementations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from service.core.access import KeyInfo, Principal, Role
from service.core.audit import Verification
from service.core.citations import CitationMention, StoredCitation
from service.core.domain import (
    ChunkDraft,
    DocumentRecord,
    EntityMention,
    FileFacts,
    PageRecord,
    ParsedDocument,
    StoredChunk,
    StoredMention,
)
from service.core.feedback import AnswerRecord, Feedback
from service.core.ingestion import Job, StoredJob
from service.core.record_query import Query
from service.core.summaries import DocumentDigest, StoredEvent, StoredSummary
from service.core.threads import ThreadRecord, ThreadTurn

Vectors = npt.NDArray[np.float32]
"""A ``(n, dimension)`` float32 matrix of L2-normalised rows."""


class DocumentStore(Protocol):
    """Collections, documents, pages and chunks (text, metadata and vectors): the source of truth that every index
    is derived from. Implemented by ``SqlDocumentStore`` (SQLite or PostgreSQL)."""

    def collections(self) -> dict[str, int]:
        """Collection name to the count of its readable documents; files that failed to ingest are not counted."""
        ...

    def collection_exists(self, name: str) -> bool: ...

    def find_document(self, collection: str, source: str) -> DocumentRecord | None:
        """The document stored for ``source`` in ``collection``, if any."""
        ...

    def get_document(self, document_id: str, collections: Iterable[str] | None = None) -> DocumentRecord:
        """One document; ``NotFound`` when it does not exist or is outside ``collections``."""
        ...

    def list_documents(self, collection: str) -> list[DocumentRecord]: ...

    def sources(self, collection: str) -> dict[str, str]:
        """Source path to document id."""
        ...

    def replace_document(
        self,
        collection: str,
        facts: FileFacts,
        parsed: ParsedDocument,
        drafts: Sequence[ChunkDraft],
        vectors: Vectors,
        citations: Sequence[CitationMention] | None = None,
        mentions: Sequence[EntityMention] = (),
        digest: DocumentDigest | None = None,
    ) -> tuple[str, list[int], list[int]]:
        """Store a new or changed document in one transaction; ``(document_id, new_chunk_ids, replaced_chunk_ids)``.

        ``citations`` are the citations found on its pages, for the citation index (``None``: not looked for);
        ``mentions`` its entity mentions (``ingest.legal.entities``), replacing those stored before; ``digest``
        its summary and dated events (``service.engine.summaries``; ``None``: made on first use).
        """
        ...

    def mentions(self, collection: str, types: Iterable[str] | None = None) -> list[StoredMention]:
        """Every entity mention of ``collection`` (of ``types`` only, when given), by document and position."""
        ...

    def chunk_ids_on_pages(self, collection: str, pages: dict[str, set[int]]) -> set[int]:
        """Chunk ids of ``collection`` that hold one of ``pages`` (document id to page numbers)."""
        ...

    def record_failure(self, collection: str, facts: FileFacts, error: str) -> str:
        """Note that a file could not be ingested (a document stored before keeps its content); its id."""
        ...

    def delete_document(self, document_id: str) -> list[int]:
        """Delete a document with its pages, chunks and entity mentions; returns the chunk ids the indexes must drop."""
        ...

    def get_page(self, document_id: str, number: int) -> PageRecord:
        """One page; ``NotFound`` names the valid range."""
        ...

    def pages(self, document_id: str) -> list[PageRecord]: ...

    def missing_names(self, collection: str, names: Iterable[str]) -> list[str]:
        """Those of ``names`` that no page of ``collection`` contains."""
        ...

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]: ...

    def chunk_ids(self, collection: str) -> set[int]:
        """Every chunk id of a collection (what its indexes must hold)."""
        ...

    def chunk_ids_where(self, collection: str, keep: Callable[[dict[str, Any]], bool]) -> set[int]:
        """Chunk ids of the documents of ``collection`` whose metadata ``keep`` accepts."""
        ...

    def vectors(self, chunk_ids: Sequence[int], dimension: int) -> tuple[list[int], Vectors]:
        """Stored vectors of those of ``chunk_ids`` that still exist, for rebuilding an index."""
        ...

    def ping(self) -> None:
        """Raise unless the database answers."""
        ...

    def close(self) -> None: ...


class KeyStore(Protocol):
    """API keys: created, listed, revoked, and turned into the ``Principal`` of a request. ``SqlKeyStore``."""

    def any_active(self) -> bool: ...

    def is_open(self) -> bool:
        """Whether a request without a key is let in (no key was ever made, or the operator reopened)."""
        ...

    def create(self, name: str, collections: Sequence[str], role: Role = "reader") -> str:
        """Create a key with a role for existing collections (none for an admin); returns the secret, shown
        once and never stored."""
        ...

    def list(self) -> list[KeyInfo]: ...

    def revoke(self, name: str) -> None: ...

    def authenticate(self, secret: str | None) -> Principal:
        """The principal for a request's key; ``OPEN`` while the API is open; ``Unauthorized`` otherwise
        (always for a revoked key)."""
        ...


class JobStore(Protocol):
    """Upload jobs, readable by every server process. ``SqlJobStore``."""

    def add(self, job: Job, owner: str, owner_gone: Callable[[str, datetime], bool], keep: int) -> None:
        """Record a new job owned by ``owner``; mark the unfinished jobs of gone owners interrupted and forget
        finished jobs beyond the newest ``keep``."""
        ...

    def get(self, job_id: str) -> StoredJob | None: ...

    def save(self, job: Job) -> None:
        """Record the job's status and its files' results so far; a cancelled job stays cancelled."""
        ...

    def cancel(self, job_id: str) -> bool:
        """Mark a queued or running job cancelled; False when it was not (any more) queued or running."""
        ...


class ThreadStore(Protocol):
    """Saved conversation threads and their turns (``service.core.threads``). ``SqlThreadStore``."""

    def create(self, key_name: str | None, collection: str, title: str) -> ThreadRecord: ...

    def get(self, thread_id: str) -> ThreadRecord | None:
        """The thread, whoever owns it (walls are the caller's: ``ThreadsService``)."""
        ...

    def listed(self, collection: str, key_name: str | None, every_key: bool = False) -> list[ThreadRecord]:
        """Threads of ``collection`` owned by ``key_name`` (of every key when ``every_key``), newest first."""
        ...

    def turns(self, thread_id: str) -> list[ThreadTurn]:
        """The thread's turns, oldest first."""
        ...

    def add_turn(self, thread_id: str, turn: ThreadTurn) -> int:
        """Add ``turn`` as the thread's next turn, numbering it (``turn.ordinal`` is ignored); its ordinal."""
        ...

    def rename(self, thread_id: str, title: str) -> ThreadRecord: ...

    def delete(self, thread_id: str) -> None:
        """Delete the thread, every turn of it, and the answers kept of its turns with their feedback."""
        ...


class AnswerStore(Protocol):
    """Answers as kept for feedback, and the feedback on them (``service.core.feedback``). ``SqlAnswerStore``."""

    def add(self, record: AnswerRecord) -> None: ...

    def get(self, answer_id: str) -> AnswerRecord | None:
        """The answer, whoever's it is (walls are the caller's: ``AnswersService``)."""
        ...

    def set_feedback(self, feedback: Feedback) -> None:
        """Keep ``feedback`` as the answer's feedback, replacing any earlier."""
        ...

    def feedback(self, answer_id: str) -> Feedback | None: ...

    def rated(self, collection: str) -> list[tuple[AnswerRecord, Feedback]]:
        """Every answer of ``collection`` that has feedback, with it, oldest first."""
        ...


class AuditLog(Protocol):
    """The append-only, hash-chained audit trail (``service.core.audit``). ``SqlAuditLog``."""

    def record(
        self, action: str, key_name: str | None, collection: str | None, outcome: str, payload: Mapping[str, Any]
    ) -> None:
        """Append one row, chained to the last; returns once it is committed."""
        ...

    def export(self, since: datetime | None = None) -> list[dict[str, Any]]: ...

    def verify(self) -> Verification:
        """Walk the chain; the first broken row, or the head hash."""
        ...


class RateLimit(Protocol):
    """Token buckets per key: ``RateLimiter`` (one process) or ``SharedRateLimiter`` (several, one SQLite file)."""

    def check(self, key: str) -> None:
        """Spend one of ``key``'s tokens; ``RateLimited`` (saying when to retry) when none is left."""
        ...

    def close(self) -> None: ...


class Embedder(Protocol):
    """Turns text into normalised vectors. Queries and documents go through separate calls."""

    @property
    def id(self) -> str:
        """Names the model *and* the numeric backend; written into index manifests."""
        ...

    @property
    def dimension(self) -> int: ...

    @property
    def max_tokens(self) -> int:
        """Longest input, in the model's tokens including special tokens; longer input is cut."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Embed passages, batched; returns one normalised row per text."""
        ...

    def embed_query(self, text: str) -> Vectors:
        """Embed one query; returns a ``(1, dimension)`` normalised matrix."""
        ...


class DerivedIndex(Protocol):
    """What every index derived from SQL offers ``IndexRegistry``: one per collection, saved to files that
    other processes may replace, repaired from the ``DocumentStore`` (the source of truth) at load."""

    @property
    def collection(self) -> str: ...

    def newer_on_disk(self) -> bool:
        """Whether another process saved the index since this one read it (cheap: no lock)."""
        ...

    def refresh_if_changed(self) -> bool:
        """Reload when another process saved a newer index (unless this one has unsaved changes)."""
        ...

    def reconcile(self, store: DocumentStore) -> tuple[int, int]:
        """Make the index hold exactly the chunks ``store`` holds; ``(added, removed)``."""
        ...

    def save(self) -> None:
        """Persist atomically (temporary file, fsync, rename)."""
        ...


class VectorIndex(DerivedIndex, Protocol):
    """Nearest-neighbour search over vectors whose ids are chunk ids, one per collection. ``FaissIndex``."""

    @property
    def count(self) -> int: ...

    def similarity(self, query: Vectors, ids: Sequence[int]) -> dict[int, float]:
        """The query's score against each of ``ids`` that the index holds."""
        ...

    def add(self, ids: Sequence[int], vectors: Vectors) -> None: ...

    def remove(self, ids: Sequence[int]) -> None: ...

    def search(self, query: Vectors, k: int, allowed_ids: Sequence[int] | None = None) -> list[tuple[int, float]]:
        """Top ``k`` ``(chunk_id, score)`` pairs, best first; ``allowed_ids`` restricts the candidates."""
        ...

    def ids(self) -> set[int]: ...


class LexicalIndex(DerivedIndex, Protocol):
    """Term-matching search over chunk text (ids are chunk ids), and routing to the documents a query names.

    It is derived from SQL chunk text, like the vector index from SQL vectors, and kept in step with it.
    """

    def add_document(self, document_id: str, name: str, ids: Sequence[int], texts: Sequence[str]) -> None:
        """Index chunks ``ids`` with ``texts`` of one document; ``name`` is what names it (file, title, metadata)."""
        ...

    def remove(self, ids: Sequence[int]) -> None: ...

    def search(self, query: str, k: int, allowed_ids: Sequence[int] | None = None) -> list[tuple[int, float]]:
        """Top ``k`` ``(chunk_id, score)`` pairs that share a term with ``query``; ``allowed_ids`` restricts
        the candidates before ranking."""
        ...

    def route(self, query: str, allowed_ids: Sequence[int] | None = None) -> list[tuple[str, float]]:
        """``(document_id, score)`` of the documents the query names, best first (empty: it names none);
        with ``allowed_ids``, only documents that have an allowed chunk."""
        ...

    def document_chunks(self, document_ids: Iterable[str]) -> list[int]:
        """Chunk ids of the given documents."""
        ...

    def without_names(self, query: str, document_ids: Iterable[str]) -> str:
        """``query`` without the words that name the given documents (file name, title, metadata): what is
        left asks about their content."""
        ...

    def ids(self) -> set[int]: ...

    @property
    def built(self) -> bool:
        """Whether its ranking models are built (else the next search builds them)."""
        ...

    def build(self) -> None:
        """Build the ranking models now, so that no search has to."""
        ...


@dataclass(frozen=True)
class CandidatePage:
    """A page a record search may match, with what a hit needs of its document, and either its text or where
    the words the search asks for occur on it."""

    page_id: int
    document_id: str
    source: str
    title: str
    metadata: Mapping[str, Any]
    number: int
    label: str | None
    char_start: int
    """Where the page starts in its document's text."""
    text: str | None
    """The page's text; ``None`` when ``positions`` stand for it (``RecordIndex.page_texts`` reads it)."""
    positions: Mapping[str, Sequence[int]] | None = None
    """When ``text`` is ``None``: for every word key the search's queries name, and every key starting with one
    of their prefix stems, the indexes of the page's words with that key, ascending (``words.words``); a key
    missing here does not occur on the page."""
    counts: Mapping[int, int] | None = None
    """When ``text`` is ``None``: the hits on this page of the queries the index counted exactly, by their
    index in the search's queries (the evaluator need not count them again)."""


class RecordIndex(Protocol):
    """The full-text index of every stored page's words (SQLite FTS5, PostgreSQL ``tsvector``), for searching
    the whole record.

    The document store keeps it in the transaction that writes or deletes the pages, so it is never behind
    them; a store opened without it builds it. It only narrows a search: the exact evaluator
    (``service.engine.record.matching``) confirms every page, so the index may return pages that do not
    match, never leave out one that does.
    """

    def candidate_pages(
        self, collection: str, queries: Sequence[Query]
    ) -> Iterator[tuple[CandidatePage, tuple[int, ...]]]:
        """Every page of ``collection`` that may match one of ``queries``, each with the indexes of the queries
        it may match (for each query, a superset of the pages it matches), in document order: by source path,
        then page number. Each page is read once, however many queries it may match."""
        ...

    def page_texts(self, page_ids: Sequence[int]) -> dict[int, str]:
        """The text of each of these pages (by ``CandidatePage.page_id``) that still exists."""
        ...


class CitationIndex(Protocol):
    """The citations found on every stored page (eyecite, at ingest), kept by the document store in the
    transaction that writes the pages."""

    def citations(
        self, collection: str, document_id: str | None = None, authorities: Sequence[str] | None = None
    ) -> list[StoredCitation]:
        """The citations of ``collection`` (of one document, or of the given authority keys), in document
        order: by source path, page and position."""
        ...

    def documents_without_citations(self, collection: str) -> list[str]:
        """Ids of the documents stored before the citation index existed (whose citations were never looked
        for), or whose citations an older finder than ``service.core.citations.FINDER_VERSION`` found."""
        ...

    def set_citations(self, document_id: str, citations: Sequence[CitationMention]) -> None:
        """Store the citations of an already stored document (replacing any), in one transaction."""
        ...


class SummaryIndex(Protocol):
    """Each document's extractive summary and dated events, kept by the document store in the transaction that
    writes the pages (``SqlSummaryIndex``)."""

    def summaries(self, document_ids: Sequence[str]) -> dict[str, StoredSummary]:
        """The stored summaries of those of ``document_ids`` that have one."""
        ...

    def documents_to_summarise(self, collection: str) -> list[str]:
        """Ids of the readable documents of ``collection`` stored before summaries existed, or whose digest older
        rules than ``service.core.summaries.DIGEST_RULES`` made."""
        ...

    def set_digest(self, document_id: str, sha256: str, digest: DocumentDigest) -> bool:
        """Store the digest of a stored document if it is still version ``sha256``; False when it is not."""
        ...

    def set_generated(self, document_id: str, sha256: str, generated: dict[str, object]) -> bool:
        """Keep a checked LLM summary beside the stored one if the document is still version ``sha256``."""
        ...

    def events(self, collection: str, kinds: Iterable[str] | None = None) -> list[StoredEvent]:
        """The dated events of ``collection`` (of ``kinds`` only, when given), by date."""
        ...


class Reranker(Protocol):
    """Re-scores ``(query, passage)`` pairs jointly (a cross-encoder); higher is more relevant."""

    def score(self, query: str, passages: Sequence[str]) -> list[float]: ...


@dataclass(frozen=True)
class ChatMessage:
    """One message of a chat prompt."""

    role: Literal["system", "user", "assistant"]
    content: str


class Generator(Protocol):
    """Writes an answer from a chat prompt (an LLM, or none for the extractive mode)."""

    @property
    def mode(self) -> str:
        """``openai``, ``transformers`` or ``extractive``; reported in every answer."""
        ...

    @property
    def model(self) -> str: ...

    @property
    def context_window(self) -> int:
        """Prompt plus answer, in the generator's own tokens."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` with the generator's own tokenizer."""
        ...

    def stream(self, messages: Sequence[ChatMessage], max_tokens: int) -> Iterator[str]:
        """Yield answer text deltas as they are produced."""
        ...

    def generate(self, messages: Sequence[ChatMessage], max_tokens: int) -> str:
        """The whole answer; by default the joined ``stream``."""
        ...
