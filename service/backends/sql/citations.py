"""``SqlCitationIndex``: the citation index in SQL (tables ``citations`` and ``cited_documents``).

The store writes a document's citations in the transaction that writes its pages, and drops them with
the pages; ``cited_documents`` tells a document whose citations were looked for (and may have none), and by which
version of the finder, from one stored before the index existed or indexed by an older finder, which the
engine indexes (again) on first use.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, delete, or_, select
from sqlalchemy.orm import Session

from service.backends.sql.tables import CitationRow, CitedDocumentRow, CollectionRow, DocumentRow
from service.core.citations import FINDER_VERSION, CitationMention, StoredCitation


def _clip(value: str | None, limit: int) -> str | None:
    return value[:limit] if value is not None else None


class SqlCitationIndex:
    """The citations of one database's documents. Implements ``CitationIndex``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- writing (inside the store's transactions) -------------------------------------------------

    def write(self, session: Session, document_id: str, citations: Sequence[CitationMention]) -> None:
        """Store ``citations`` as the document's (after ``remove``), in ``session``'s transaction."""
        session.add(CitedDocumentRow(document_id=document_id, finder=FINDER_VERSION))
        session.add_all(
            CitationRow(
                document_id=document_id,
                page=mention.page,
                kind=mention.kind,
                char_start=mention.char_start,
                char_end=mention.char_end,
                text=mention.text,
                authority=_clip(mention.authority, 512),
                pin_cite=_clip(mention.pin_cite, 128),
                case_name=_clip(mention.case_name, 512),
            )
            for mention in citations
        )

    @staticmethod
    def remove(session: Session, document_id: str) -> None:
        """Drop a document's citations, in ``session``'s transaction."""
        session.execute(delete(CitationRow).where(CitationRow.document_id == document_id))
        session.execute(delete(CitedDocumentRow).where(CitedDocumentRow.document_id == document_id))

    def set_citations(self, document_id: str, citations: Sequence[CitationMention]) -> None:
        """Store the citations of an already stored document (replacing any), in one transaction."""
        with Session(self.engine) as session, session.begin():
            if session.get(DocumentRow, document_id) is None:
                return  # deleted meanwhile: nothing to index
            self.remove(session, document_id)
            self.write(session, document_id, citations)

    # --- reading -------------------------------------------------------------------------------------

    def documents_without_citations(self, collection: str) -> list[str]:
        """Ids of the documents of ``collection`` whose citations were never looked for, or looked for by an
        older finder than ``FINDER_VERSION``."""
        with Session(self.engine) as session:
            return list(
                session.scalars(
                    select(DocumentRow.id)
                    .join(CollectionRow, CollectionRow.id == DocumentRow.collection_id)
                    .outerjoin(CitedDocumentRow, CitedDocumentRow.document_id == DocumentRow.id)
                    .where(
                        CollectionRow.name == collection,
                        or_(
                            CitedDocumentRow.document_id.is_(None),
                            CitedDocumentRow.finder.is_(None),
                            CitedDocumentRow.finder < FINDER_VERSION,
                        ),
                    )
                    .order_by(DocumentRow.source)
                )
            )

    def citations(
        self, collection: str, document_id: str | None = None, authorities: Sequence[str] | None = None
    ) -> list[StoredCitation]:
        """The citations of ``collection``, of one document or of the given authorities, in document order."""
        statement = (
            select(CitationRow, DocumentRow.source, DocumentRow.title)
            .join(DocumentRow, DocumentRow.id == CitationRow.document_id)
            .join(CollectionRow, CollectionRow.id == DocumentRow.collection_id)
            .where(CollectionRow.name == collection)
            .order_by(DocumentRow.source, CitationRow.page, CitationRow.char_start, CitationRow.id)
        )
        if document_id is not None:
            statement = statement.where(CitationRow.document_id == document_id)
        if authorities is not None:
            statement = statement.where(CitationRow.authority.in_(list(authorities)))
        with Session(self.engine) as session:
            return [
                StoredCitation(
                    row.document_id,
                    source,
                    title,
                    CitationMention(
                        row.page, row.kind, row.char_start, row.char_end, row.text, row.authority, row.pin_cite,
                        row.case_name,
                    ),
                )
                for row, source, title in session.execute(statement).all()
            ]  # fmt: skip
