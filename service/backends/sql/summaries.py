"""``SqlSummaryIndex``: documents' extractive summaries and dated events in SQL (tables ``document_summaries`` and
``dated_events``).

The store writes a document's digest in the transaction that writes its pages and drops it with them, so a stored
summary is always its stored version's; a document stored before summaries existed has none, and the engine
computes and stores it on first use (``set_digest``), as the citation index does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import Engine, delete, or_, select
from sqlalchemy.orm import Session

from service.backends.sql.tables import CollectionRow, DatedEventRow, DocumentRow, DocumentSummaryRow, as_utc
from service.core.domain import DocumentStatus
from service.core.summaries import DIGEST_RULES, DatedEvent, DocumentDigest, StoredEvent, StoredSummary, SummaryLine

_LINE_FIELDS = {"field", "text", "page", "char_start", "char_end"}


def _line(stored: dict[str, Any]) -> SummaryLine:
    return SummaryLine(**{key: value for key, value in stored.items() if key in _LINE_FIELDS})


class SqlSummaryIndex:
    """The summaries and dated events of one database's documents. Implements ``SummaryIndex``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- writing (inside the store's transactions) -------------------------------------------------

    @staticmethod
    def write(session: Session, row: DocumentRow, digest: DocumentDigest) -> None:
        """Store ``digest`` as the version of document ``row`` (after ``remove``), in ``session``'s transaction."""
        session.add(
            DocumentSummaryRow(
                document_id=row.id,
                sha256=row.sha256,
                lines=[asdict(line) for line in digest.lines],
                rules=DIGEST_RULES,
            )
        )
        session.add_all(
            DatedEventRow(
                document_id=row.id,
                collection_id=row.collection_id,
                date=event.date,
                kind=event.kind,
                page=event.page,
                char_start=event.char_start,
                char_end=event.char_end,
                sentence=event.sentence,
            )
            for event in digest.events
        )

    @staticmethod
    def remove(session: Session, document_id: str) -> None:
        """Drop a document's summary and events, in ``session``'s transaction."""
        session.execute(delete(DatedEventRow).where(DatedEventRow.document_id == document_id))
        session.execute(delete(DocumentSummaryRow).where(DocumentSummaryRow.document_id == document_id))

    def set_digest(self, document_id: str, sha256: str, digest: DocumentDigest) -> bool:
        """Store the digest of an already stored document (replacing any) if it is still version ``sha256``;
        False (nothing written) when it was deleted or changed meanwhile."""
        with Session(self.engine) as session, session.begin():
            row = session.get(DocumentRow, document_id)
            if row is None or row.sha256 != sha256:
                return False
            self.remove(session, document_id)
            self.write(session, row, digest)
            return True

    def set_generated(self, document_id: str, sha256: str, generated: dict[str, object]) -> bool:
        """Keep a generated summary beside the extractive one if the document is still version ``sha256``."""
        with Session(self.engine) as session, session.begin():
            row = session.get(DocumentSummaryRow, document_id)
            if row is None or row.sha256 != sha256:
                return False
            row.generated = generated
            return True

    # --- reading -----------------------------------------------------------------------------------

    def summaries(self, document_ids: Sequence[str]) -> dict[str, StoredSummary]:
        """The stored summaries of those of ``document_ids`` that have one."""
        found: dict[str, StoredSummary] = {}
        with Session(self.engine) as session:
            for start in range(0, len(document_ids), 500):
                batch = list(document_ids[start : start + 500])
                for row in session.scalars(select(DocumentSummaryRow).where(DocumentSummaryRow.document_id.in_(batch))):
                    lines = tuple(_line(line) for line in row.lines)
                    found[row.document_id] = StoredSummary(
                        row.document_id, row.sha256, lines, as_utc(row.created_at), row.generated, row.rules
                    )
        return found

    def documents_to_summarise(self, collection: str) -> list[str]:
        """Ids of the readable documents of ``collection`` that have no summary (stored before summaries existed) or
        one made by older rules than ``DIGEST_RULES``."""
        with Session(self.engine) as session:
            return list(
                session.scalars(
                    select(DocumentRow.id)
                    .join(CollectionRow, CollectionRow.id == DocumentRow.collection_id)
                    .outerjoin(DocumentSummaryRow, DocumentSummaryRow.document_id == DocumentRow.id)
                    .where(
                        CollectionRow.name == collection,
                        DocumentRow.status != DocumentStatus.FAILED.value,
                        or_(
                            DocumentSummaryRow.document_id.is_(None),
                            DocumentSummaryRow.rules.is_(None),
                            DocumentSummaryRow.rules < DIGEST_RULES,
                        ),
                    )
                    .order_by(DocumentRow.source)
                )
            )

    def events(self, collection: str, kinds: Iterable[str] | None = None) -> list[StoredEvent]:
        """The dated events of ``collection`` (of ``kinds`` only, when given), by date, then document and place."""
        query = (
            select(DatedEventRow, DocumentRow.source, DocumentRow.title)
            .join(DocumentRow, DocumentRow.id == DatedEventRow.document_id)
            .join(CollectionRow, CollectionRow.id == DatedEventRow.collection_id)
            .where(CollectionRow.name == collection)
            .order_by(DatedEventRow.date, DocumentRow.source, DatedEventRow.page, DatedEventRow.char_start)
        )
        if kinds is not None:
            query = query.where(DatedEventRow.kind.in_(list(kinds)))
        with Session(self.engine) as session:
            rows = session.execute(query).all()
        return [
            StoredEvent(
                DatedEvent(row.date, row.kind, row.page, row.char_start, row.char_end, row.sentence),
                row.document_id,
                source,
                title,
            )
            for row, source, title in rows
        ]
