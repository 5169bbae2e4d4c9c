"""ORM rows. Text and metadata live here; vectors are kept too, so FAISS can always be rebuilt.

Chunk ids are the FAISS ids. ``sqlite_autoincrement`` makes SQLite never reuse a deleted id, as
PostgreSQL sequences never do, so a stale FAISS entry can never point at a newer chunk.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored time in UTC: SQLite gives them back naive, PostgreSQL in the session's time zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every docqa table."""


class CollectionRow(Base):
    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DocumentRow(Base):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("collection_id", "source", name="uq_documents_collection_source"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id"), index=True)
    source: Mapped[str] = mapped_column(String(1024))
    origin: Mapped[str] = mapped_column(String(4096), default="")
    """Absolute path of the file when ingested (page images are rendered from it)."""
    title: Mapped[str] = mapped_column(String(512), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    mtime_ns: Mapped[int] = mapped_column(BigInteger, default=0)
    media_type: Mapped[str] = mapped_column(String(128), default="")
    page_count: Mapped[int] = mapped_column(Integer, default=0)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PageRow(Base):
    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("document_id", "number", name="uq_pages_document_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    char_start: Mapped[int] = mapped_column(Integer)
    char_end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    needs_ocr: Mapped[bool] = mapped_column(Boolean, default=False)
    text_source: Mapped[str] = mapped_column(String(16))
    ocr_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    label: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ocr_words: Mapped[list[list[float]] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    """An OCR'd page's words, ``[char_start, char_end, left, top, right, bottom, line]`` each (``OcrWord``)."""


class CitationRow(Base):
    """One citation on a page (the citation index); ``char_start``/``char_end`` are in the page text."""

    __tablename__ = "citations"
    __table_args__ = (Index("ix_citations_authority", "authority"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    page: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    char_start: Mapped[int] = mapped_column(Integer)
    char_end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    authority: Mapped[str | None] = mapped_column(String(512), nullable=True)
    pin_cite: Mapped[str | None] = mapped_column(String(128), nullable=True)
    case_name: Mapped[str | None] = mapped_column(String(512), nullable=True)


class CitedDocumentRow(Base):
    """A document whose citations were looked for (those stored before the index existed have no row)."""

    __tablename__ = "cited_documents"

    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    finder: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """``FINDER_VERSION`` of the finder that looked (``NULL``: one from before versions were kept)."""


class ChunkRow(Base):
    __tablename__ = "chunks"
    __table_args__ = (
        Index("ix_chunks_collection_id", "collection_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id"))
    ordinal: Mapped[int] = mapped_column(Integer)
    page_start: Mapped[int] = mapped_column(Integer)
    page_end: Mapped[int] = mapped_column(Integer)
    char_start: Mapped[int] = mapped_column(Integer)
    char_end: Mapped[int] = mapped_column(Integer)
    token_count: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class ApiKeyRow(Base):
    """An API key, stored as the SHA-256 of its secret (keys are random, so no salt is needed)."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    collections: Mapped[list[str]] = mapped_column(JSON, default=list)
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    """``role == 'admin'``; kept so an older docqa reading this database still sees its admins."""
    role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    """reader, editor or admin (``service.core.access``); NULL only in rows made before roles, which
    ``SqlDocumentStore.create_schema`` sets to editor (admin for admin keys)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuditRow(Base):
    """One append-only audit entry; ``hash`` chains it to the entry before."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    key_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    action: Mapped[str] = mapped_column(String(32))
    collection: Mapped[str | None] = mapped_column(String(128), nullable=True)
    outcome: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class UploadJobRow(Base):
    """An upload's ingestion job, so any server process answers its status and a restart keeps it.

    ``results`` maps a file name to its ``FileResult`` fields once that file is done; ``owner`` is the
    process running the job, ``"<host>:<pid>"``.
    """

    __tablename__ = "upload_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    collection: Mapped[str] = mapped_column(String(128))
    """A name, not a key: the job's first file creates the collection."""
    key_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    names: Mapped[list[str]] = mapped_column(JSON)
    """The files' names, in upload order."""
    status: Mapped[str] = mapped_column(String(16), index=True)
    results: Mapped[dict[str, dict[str, Any]]] = mapped_column(JSON, default=dict)
    owner: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ThreadRow(Base):
    """A saved conversation thread (``service.core.threads``): one key's questions about one collection."""

    __tablename__ = "threads"
    __table_args__ = (Index("ix_threads_collection_key", "collection", "key_name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    """The owner; NULL for a thread started while the API was open."""
    collection: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ThreadTurnRow(Base):
    """One question of a thread with its answer; deleted with the thread."""

    __tablename__ = "thread_turns"
    __table_args__ = (UniqueConstraint("thread_id", "ordinal", name="uq_thread_turns_thread_ordinal"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    thread_id: Mapped[str] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(Text)
    rewritten_question: Mapped[str | None] = mapped_column(Text, nullable=True)
    answer: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    cited: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    """``[document_id, title]`` of each document the answer quotes."""
    answer_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The answer kept for feedback (``answers``); NULL in turns saved before answers were kept."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EntityMentionRow(Base):
    """One mention of an entity on a page (the entity index, ``ingest.legal.entities``): page-text characters
    ``[char_start, char_end)``; written and deleted with its document's pages, in the same transaction."""

    __tablename__ = "entity_mentions"
    __table_args__ = (Index("ix_entity_mentions_collection_type", "collection_id", "type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id"))
    page: Mapped[int] = mapped_column(Integer)
    char_start: Mapped[int] = mapped_column(Integer)
    char_end: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(512))
    name: Mapped[str] = mapped_column(String(512))
    role: Mapped[str | None] = mapped_column(String(32), nullable=True)


class AnswerRow(Base):
    """One answer as kept for feedback (``service.core.feedback.AnswerRecord``); deleted with its thread."""

    __tablename__ = "answers"
    __table_args__ = (Index("ix_answers_collection", "collection", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    collection: Mapped[str] = mapped_column(String(128))
    thread_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    """The thread the answer is a turn of (None for a chat completion): deleting the thread deletes it."""
    action: Mapped[str] = mapped_column(String(16))
    question: Mapped[str] = mapped_column(Text)
    rewritten_question: Mapped[str | None] = mapped_column(Text, nullable=True)
    answer: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(256))
    prompt_version: Mapped[str] = mapped_column(String(32))
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """The retrieved passages in rank order: chunk_id, document_id, source, title, page, text."""
    cited_pages: Mapped[list[list[Any]]] = mapped_column(JSON, default=list)
    """``[source, page]`` of each page the answer cites."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FeedbackRow(Base):
    """The latest feedback on an answer; deleted with it."""

    __tablename__ = "answer_feedback"

    answer_id: Mapped[str] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True)
    key_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    rating: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    correction: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DocumentSummaryRow(Base):
    """A document version's extractive summary (``service.engine.summaries``): written and deleted with its pages,
    in the same transaction; ``sha256`` is the version it was made from."""

    __tablename__ = "document_summaries"

    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """``SummaryLine`` fields, one object a line."""
    generated: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    """The LLM's summary of this version, checked (``GeneratedSummary.to_json``), once one was asked for."""
    rules: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """``DIGEST_RULES`` of the rules that made it (``NULL``: rules from before versions were kept)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DatedEventRow(Base):
    """One dated event of a document (the chronology): the sentence on page ``page``, characters
    ``[char_start, char_end)``; written and deleted with its document's pages, like its summary."""

    __tablename__ = "dated_events"
    __table_args__ = (Index("ix_dated_events_collection_date", "collection_id", "date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id"))
    date: Mapped[str] = mapped_column(String(10))
    """ISO ``YYYY-MM-DD``: sorts as the dates do."""
    kind: Mapped[str] = mapped_column(String(16))
    page: Mapped[int] = mapped_column(Integer)
    char_start: Mapped[int] = mapped_column(Integer)
    char_end: Mapped[int] = mapped_column(Integer)
    sentence: Mapped[str] = mapped_column(Text)
