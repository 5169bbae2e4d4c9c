"""``SqlDocumentStore``: collections, documents, pages and chunks in SQLite or PostgreSQL.

Every change to one document happens in one transaction, so SQL is always self-consistent; the
FAISS index is derived from the vectors stored here and repaired from them after a crash.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import Engine, bindparam, create_engine, delete, event, func, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from service.backends.sql.citations import SqlCitationIndex
from service.backends.sql.record_index import SqlRecordIndex
from service.backends.sql.summaries import SqlSummaryIndex
from service.backends.sql.tables import Base, ChunkRow, CollectionRow, DocumentRow, EntityMentionRow, PageRow, utcnow
from service.core.citations import CitationMention
from service.core.domain import (
    ChunkDraft,
    DocumentRecord,
    DocumentStatus,
    EntityMention,
    FileFacts,
    OcrWord,
    PageRecord,
    ParsedDocument,
    StoredChunk,
    StoredMention,
    TextSource,
)
from service.core.errors import NotFound
from service.core.seams import Vectors
from service.core.summaries import DocumentDigest

POOL_SIZE = 16
"""Connections an engine keeps open (and as many more it may open at once)."""


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and zeroed deletes (no trace left on disk)."""
    parsed: URL = make_url(url)
    # A server answers requests on up to 40 threads: a pool of 5 would make most of them open (and, for
    # SQLite, configure) a connection of their own per request.
    pool = {"pool_size": POOL_SIZE, "max_overflow": POOL_SIZE}
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, **pool)
    engine = create_engine(parsed, connect_args={"timeout": 30, "check_same_thread": False}, **pool)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "secure_delete=ON", "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    return engine


_CHUNKS_BY_ID = (
    select(
        ChunkRow.id.label("chunk_id"),
        ChunkRow.document_id,
        CollectionRow.name.label("collection"),
        DocumentRow.source,
        DocumentRow.title,
        ChunkRow.ordinal,
        ChunkRow.page_start,
        ChunkRow.page_end,
        ChunkRow.char_start,
        ChunkRow.char_end,
        ChunkRow.token_count,
        ChunkRow.text,
        DocumentRow.meta.label("metadata"),
    )
    .join(DocumentRow, DocumentRow.id == ChunkRow.document_id)
    .join(CollectionRow, CollectionRow.id == ChunkRow.collection_id)
    .where(ChunkRow.id.in_(bindparam("ids", expanding=True)))
)
"""Chunks with their document's fields, as plain rows (not ORM objects): built once, read on every search."""


ADDED_COLUMNS = (
    ("api_keys", "role", "VARCHAR(16)"),
    ("pages", "ocr_words", "JSON"),
    ("cited_documents", "finder", "INTEGER"),
    ("thread_turns", "answer_id", "VARCHAR(32)"),
    ("document_summaries", "generated", "JSON"),
    ("document_summaries", "rules", "INTEGER"),
)
"""Columns added after the first release: ``create_schema`` adds them to an older database (all nullable)."""


def new_document_id() -> str:
    """A short random id; never derived from the path, so it leaks nothing."""
    return secrets.token_hex(8)


class SqlDocumentStore:
    """Documents, pages and chunks (with their vectors) behind SQLAlchemy 2. Implements ``DocumentStore``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._known_collections: set[str] = set()
        self.record_index = SqlRecordIndex(engine)
        """The full-text index of page words, written in the transactions that write the pages."""
        self.citation_index = SqlCitationIndex(engine)
        """The citations of every page, written with the pages."""
        self.summary_index = SqlSummaryIndex(engine)
        """Each document's extractive summary and dated events, written with the pages."""

    def create_schema(self) -> None:
        """Create missing tables and columns, and build the page-word index of pages without one (idempotent)."""
        Base.metadata.create_all(self.engine)
        for table, column, kind in ADDED_COLUMNS:
            self._add_column(table, column, kind)
        self._add_key_roles()
        self.record_index.create()

    def _add_column(self, table: str, column: str, kind: str) -> None:
        """``ALTER TABLE table ADD COLUMN column kind`` unless the database has it already."""
        if column in {found["name"] for found in inspect(self.engine).get_columns(table)}:
            return
        try:
            with self.engine.begin() as connection:
                connection.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))
        except DBAPIError:
            # another process starting at the same moment added it first
            if column not in {found["name"] for found in inspect(self.engine).get_columns(table)}:
                raise

    def _add_key_roles(self) -> None:
        """Keys of databases made before key roles become editors (what every key could do then: read, upload
        and delete in its collections), and their admin keys admins."""
        with self.engine.begin() as connection:
            connection.execute(
                text("UPDATE api_keys SET role = CASE WHEN admin THEN 'admin' ELSE 'editor' END WHERE role IS NULL")
            )

    def session(self) -> Session:
        return self._sessions()

    def ping(self) -> None:
        """Raise unless the database answers a trivial query."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def close(self) -> None:
        """Release the pooled connections."""
        self.engine.dispose()

    # --- collections ---------------------------------------------------------------------------

    def collections(self) -> dict[str, int]:
        """Collection name to the count of its readable documents (a file that failed is not one)."""
        readable = (DocumentRow.collection_id == CollectionRow.id) & (DocumentRow.status != DocumentStatus.FAILED.value)
        with self.session() as session:
            rows = session.execute(
                select(CollectionRow.name, func.count(DocumentRow.id))
                .outerjoin(DocumentRow, readable)
                .group_by(CollectionRow.name)
                .order_by(CollectionRow.name)
            ).all()
        return {name: count for name, count in rows}

    def collection_exists(self, name: str) -> bool:
        """Whether ``name`` is a collection. Collections are never deleted, so a name found once is
        remembered; a name not found is looked up again next time."""
        if name in self._known_collections:
            return True
        with self.session() as session:
            found = self._collection_id(session, name, create=False) is not None
        if found:
            self._known_collections.add(name)
        return found

    def _collection_id(self, session: Session, name: str, create: bool) -> int | None:
        found = session.scalar(select(CollectionRow.id).where(CollectionRow.name == name))
        if found is not None or not create:
            return found
        row = CollectionRow(name=name)
        session.add(row)
        session.flush()
        return row.id

    # --- documents -----------------------------------------------------------------------------

    def find_document(self, collection: str, source: str) -> DocumentRecord | None:
        """The document stored for ``source`` in ``collection``, if any."""
        with self.session() as session:
            row = session.scalar(
                select(DocumentRow)
                .join(CollectionRow, CollectionRow.id == DocumentRow.collection_id)
                .where(CollectionRow.name == collection, DocumentRow.source == source)
            )
            return self._record(session, row, collection) if row else None

    def get_document(self, document_id: str, collections: Iterable[str] | None = None) -> DocumentRecord:
        """One document; ``NotFound`` when it does not exist or is outside ``collections``."""
        with self.session() as session:
            found = session.execute(
                select(DocumentRow, CollectionRow.name)
                .join(CollectionRow, CollectionRow.id == DocumentRow.collection_id)
                .where(DocumentRow.id == document_id)
            ).first()
            if found is None or (collections is not None and found[1] not in set(collections)):
                raise NotFound(f"document {document_id!r} not found")
            return self._record(session, found[0], found[1])

    def list_documents(self, collection: str) -> list[DocumentRecord]:
        """Every document of ``collection``, by source path."""
        with self.session() as session:
            rows = session.scalars(
                select(DocumentRow)
                .join(CollectionRow, CollectionRow.id == DocumentRow.collection_id)
                .where(CollectionRow.name == collection)
                .order_by(DocumentRow.source)
            ).all()
            return [self._record(session, row, collection) for row in rows]

    def sources(self, collection: str) -> dict[str, str]:
        """Source path to document id, for pruning."""
        with self.session() as session:
            rows = session.execute(
                select(DocumentRow.source, DocumentRow.id)
                .join(CollectionRow, CollectionRow.id == DocumentRow.collection_id)
                .where(CollectionRow.name == collection)
            ).all()
        return {source: document_id for source, document_id in rows}

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
        """Store a new or changed document in one transaction, with its page words and ``citations`` (``None``:
        not looked for; the engine indexes them on first use), its entity ``mentions`` (those stored before
        for it are replaced) and its summary and dated events (``digest``; ``None``: made on first use).

        Returns ``(document_id, new_chunk_ids, replaced_chunk_ids)``; the caller updates FAISS.
        """
        if len(drafts) != len(vectors):
            raise ValueError(f"{len(drafts)} chunks but {len(vectors)} vectors")
        status = DocumentStatus.NEEDS_OCR if any(page.needs_ocr for page in parsed.pages) else DocumentStatus.INGESTED
        with self.session() as session, session.begin():
            collection_id = self._collection_id(session, collection, create=True)
            assert collection_id is not None
            row = session.scalar(
                select(DocumentRow).where(
                    DocumentRow.collection_id == collection_id, DocumentRow.source == facts.source
                )
            )
            replaced: list[int] = []
            if row is None:
                row = DocumentRow(id=new_document_id(), collection_id=collection_id, source=facts.source)
                session.add(row)
            else:
                replaced = self._delete_content(session, row.id)
            row.title = (parsed.title or facts.source.rsplit("/", 1)[-1])[:512]
            row.sha256, row.size_bytes, row.mtime_ns = facts.sha256, facts.size_bytes, facts.mtime_ns
            row.origin = facts.origin
            row.media_type, row.page_count, row.meta = parsed.media_type, len(parsed.pages), dict(parsed.metadata)
            row.status, row.error, row.updated_at = status.value, None, utcnow()
            session.flush()
            page_rows: list[PageRow] = []
            for page, (char_start, char_end) in zip(parsed.pages, parsed.page_offsets(), strict=True):
                page_rows.append(
                    PageRow(
                        document_id=row.id,
                        number=page.number,
                        char_start=char_start,
                        char_end=char_end,
                        text=page.text,
                        needs_ocr=page.needs_ocr,
                        text_source=page.text_source.value,
                        ocr_confidence=page.ocr_confidence,
                        label=page.label,
                        ocr_words=[
                            [w.char_start, w.char_end, w.left, w.top, w.right, w.bottom, w.line] for w in page.ocr_words
                        ]
                        or None,
                    )
                )
            session.add_all(page_rows)
            session.flush()
            self.record_index.add_pages(session, [(page_row.id, page_row.text) for page_row in page_rows])
            if citations is not None:
                self.citation_index.write(session, row.id, citations)
            if digest is not None:
                self.summary_index.write(session, row, digest)
            chunk_rows = [
                ChunkRow(
                    document_id=row.id,
                    collection_id=collection_id,
                    ordinal=draft.ordinal,
                    page_start=draft.page_start,
                    page_end=draft.page_end,
                    char_start=draft.char_start,
                    char_end=draft.char_end,
                    token_count=draft.token_count,
                    text=draft.text,
                    vector=np.ascontiguousarray(vector, dtype=np.float32).tobytes(),
                )
                for draft, vector in zip(drafts, vectors, strict=True)
            ]
            session.add_all(chunk_rows)
            session.add_all(
                EntityMentionRow(
                    document_id=row.id,
                    collection_id=collection_id,
                    page=mention.page,
                    char_start=mention.char_start,
                    char_end=mention.char_end,
                    type=mention.type,
                    text=mention.text[:512],
                    name=mention.name[:512],
                    role=mention.role,
                )
                for mention in mentions
            )
            session.flush()
            return row.id, [chunk.id for chunk in chunk_rows], replaced

    def record_failure(self, collection: str, facts: FileFacts, error: str) -> str:
        """Note that a file could not be ingested. A document stored before keeps its content."""
        with self.session() as session, session.begin():
            collection_id = self._collection_id(session, collection, create=True)
            assert collection_id is not None
            row = session.scalar(
                select(DocumentRow).where(
                    DocumentRow.collection_id == collection_id, DocumentRow.source == facts.source
                )
            )
            if row is None:
                row = DocumentRow(
                    id=new_document_id(),
                    collection_id=collection_id,
                    source=facts.source,
                    origin=facts.origin,
                    title=facts.source.rsplit("/", 1)[-1][:512],
                    sha256=facts.sha256,
                    size_bytes=facts.size_bytes,
                    mtime_ns=facts.mtime_ns,
                    status=DocumentStatus.FAILED.value,
                )
                session.add(row)
            row.error, row.updated_at = error, utcnow()
            session.flush()
            return row.id

    def delete_document(self, document_id: str) -> list[int]:
        """Delete a document with its pages and chunks; returns the chunk ids to drop from FAISS."""
        with self.session() as session, session.begin():
            if session.get(DocumentRow, document_id) is None:
                raise NotFound(f"document {document_id!r} not found")
            removed = self._delete_content(session, document_id)
            session.execute(delete(DocumentRow).where(DocumentRow.id == document_id))
            return removed

    def _delete_content(self, session: Session, document_id: str) -> list[int]:
        removed = list(session.scalars(select(ChunkRow.id).where(ChunkRow.document_id == document_id)))
        self.record_index.remove_document(session, document_id)
        self.citation_index.remove(session, document_id)
        self.summary_index.remove(session, document_id)
        session.execute(delete(ChunkRow).where(ChunkRow.document_id == document_id))
        session.execute(delete(EntityMentionRow).where(EntityMentionRow.document_id == document_id))
        session.execute(delete(PageRow).where(PageRow.document_id == document_id))
        return removed

    # --- entity mentions ------------------------------------------------------------------------

    def mentions(self, collection: str, types: Iterable[str] | None = None) -> list[StoredMention]:
        """Every entity mention of ``collection`` (of ``types`` only, when given), by document and position."""
        query = (
            select(EntityMentionRow, DocumentRow.source, DocumentRow.title)
            .join(DocumentRow, DocumentRow.id == EntityMentionRow.document_id)
            .join(CollectionRow, CollectionRow.id == EntityMentionRow.collection_id)
            .where(CollectionRow.name == collection)
            .order_by(DocumentRow.source, EntityMentionRow.page, EntityMentionRow.char_start, EntityMentionRow.id)
        )
        if types is not None:
            query = query.where(EntityMentionRow.type.in_(list(types)))
        with self.session() as session:
            rows = session.execute(query).all()
        return [
            StoredMention(
                EntityMention(row.page, row.char_start, row.char_end, row.type, row.text, row.name, row.role),
                row.document_id,
                source,
                title,
            )
            for row, source, title in rows
        ]

    def chunk_ids_on_pages(self, collection: str, pages: dict[str, set[int]]) -> set[int]:
        """Chunk ids of ``collection`` that hold one of ``pages`` (document id to page numbers)."""
        if not pages:
            return set()
        with self.session() as session:
            rows = session.execute(
                select(ChunkRow.id, ChunkRow.document_id, ChunkRow.page_start, ChunkRow.page_end)
                .join(CollectionRow, CollectionRow.id == ChunkRow.collection_id)
                .where(CollectionRow.name == collection, ChunkRow.document_id.in_(list(pages)))
            ).all()
        return {
            chunk_id
            for chunk_id, document_id, first, last in rows
            if any(first <= page <= last for page in pages[document_id])
        }

    # --- pages and chunks ----------------------------------------------------------------------

    def get_page(self, document_id: str, number: int) -> PageRecord:
        """One page; ``NotFound`` names the valid range."""
        with self.session() as session:
            row = session.scalar(select(PageRow).where(PageRow.document_id == document_id, PageRow.number == number))
            if row is None:
                count = session.scalar(select(func.count(PageRow.id)).where(PageRow.document_id == document_id))
                raise NotFound(f"page {number} not found; document {document_id!r} has {count or 0} pages")
            return _page_record(row)

    def pages(self, document_id: str) -> list[PageRecord]:
        """Every page of a document, in order."""
        with self.session() as session:
            rows = session.scalars(
                select(PageRow).where(PageRow.document_id == document_id).order_by(PageRow.number)
            ).all()
            return [_page_record(row) for row in rows]

    def missing_names(self, collection: str, names: Iterable[str]) -> list[str]:
        """Those of ``names`` (parties, docket numbers) that no page of ``collection`` contains.

        Case-insensitive substring tests on the page text (ECF stamps and captions included, which
        chunks leave out); one query a name, each a scan of the collection's pages.
        """
        missing: list[str] = []
        with self.session() as session:
            for name in names:
                pattern = "%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                found = session.scalar(
                    select(PageRow.id)
                    .join(DocumentRow, DocumentRow.id == PageRow.document_id)
                    .join(CollectionRow, CollectionRow.id == DocumentRow.collection_id)
                    .where(CollectionRow.name == collection, PageRow.text.ilike(pattern, escape="\\"))
                    .limit(1)
                )
                if found is None:
                    missing.append(name)
        return missing

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]:
        """Chunks by id, with their document's source, title and metadata."""
        if not chunk_ids:
            return {}
        with self.engine.connect() as connection:
            rows = connection.execute(_CHUNKS_BY_ID, {"ids": list(chunk_ids)}).all()
        return {row.chunk_id: StoredChunk(**{**row._mapping, "metadata": dict(row.metadata or {})}) for row in rows}

    def chunk_ids(self, collection: str) -> set[int]:
        """Every chunk id of a collection (what its FAISS index must hold)."""
        with self.session() as session:
            return set(
                session.scalars(
                    select(ChunkRow.id)
                    .join(CollectionRow, CollectionRow.id == ChunkRow.collection_id)
                    .where(CollectionRow.name == collection)
                )
            )

    def chunk_ids_where(self, collection: str, keep: Callable[[dict[str, Any]], bool]) -> set[int]:
        """Chunk ids of the documents of ``collection`` whose metadata ``keep`` accepts."""
        with self.session() as session:
            documents = session.execute(
                select(DocumentRow.id, DocumentRow.meta)
                .join(CollectionRow, CollectionRow.id == DocumentRow.collection_id)
                .where(CollectionRow.name == collection)
            ).all()
            wanted = [document_id for document_id, meta in documents if keep(dict(meta or {}))]
            ids: set[int] = set()
            for start in range(0, len(wanted), 1000):
                ids.update(
                    session.scalars(select(ChunkRow.id).where(ChunkRow.document_id.in_(wanted[start : start + 1000])))
                )
            return ids

    def vectors(self, chunk_ids: Sequence[int], dimension: int) -> tuple[list[int], Vectors]:
        """Stored vectors of ``chunk_ids`` (those that still exist), for rebuilding an index."""
        found_ids: list[int] = []
        rows: list[bytes] = []
        with self.session() as session:
            for start in range(0, len(chunk_ids), 5000):
                batch = list(chunk_ids[start : start + 5000])
                for chunk_id, vector in session.execute(
                    select(ChunkRow.id, ChunkRow.vector).where(ChunkRow.id.in_(batch))
                ):
                    found_ids.append(chunk_id)
                    rows.append(vector)
        matrix = np.frombuffer(b"".join(rows), dtype=np.float32).reshape(len(rows), dimension)
        return found_ids, matrix

    def _record(self, session: Session, row: DocumentRow, collection: str) -> DocumentRecord:
        needs_ocr = session.scalars(
            select(PageRow.number).where(PageRow.document_id == row.id, PageRow.needs_ocr.is_(True))
        ).all()
        return DocumentRecord(
            id=row.id,
            collection=collection,
            source=row.source,
            title=row.title,
            sha256=row.sha256,
            size_bytes=row.size_bytes,
            mtime_ns=row.mtime_ns,
            media_type=row.media_type,
            page_count=row.page_count,
            metadata=dict(row.meta or {}),
            status=DocumentStatus(row.status),
            error=row.error,
            needs_ocr_pages=tuple(sorted(needs_ocr)),
            created_at=row.created_at,
            updated_at=row.updated_at,
            origin=row.origin,
        )


def _page_record(row: PageRow) -> PageRecord:
    return PageRecord(
        document_id=row.document_id,
        number=row.number,
        char_start=row.char_start,
        char_end=row.char_end,
        text=row.text,
        needs_ocr=row.needs_ocr,
        text_source=TextSource(row.text_source),
        ocr_confidence=row.ocr_confidence,
        label=row.label,
        ocr_words=tuple(
            OcrWord(int(start), int(end), left, top, right, bottom, int(line))
            for start, end, left, top, right, bottom, line in row.ocr_words or ()
        ),
    )
