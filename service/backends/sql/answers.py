"""``SqlAnswerStore``: answers kept for feedback, and the feedback (tables ``answers`` and ``answer_feedback``).
Implements ``AnswerStore``; ``SqlDocumentStore.create_schema`` creates the tables in an existing database."""

from __future__ import annotations

from typing import cast

from sqlalchemy import delete, select

from service.backends.sql.store import SqlDocumentStore
from service.backends.sql.tables import AnswerRow, FeedbackRow, as_utc
from service.core.errors import NotFound
from service.core.feedback import AnswerRecord, Feedback, Rating, Reason, SourceText


def _record(row: AnswerRow) -> AnswerRecord:
    return AnswerRecord(
        id=row.id,
        key_name=row.key_name,
        collection=row.collection,
        thread_id=row.thread_id,
        action=row.action,
        question=row.question,
        rewritten_question=row.rewritten_question,
        answer=row.answer,
        state=row.state,
        mode=row.mode,
        model=row.model,
        prompt_version=row.prompt_version,
        sources=tuple(SourceText(**source) for source in row.sources),
        cited_pages=tuple((str(source), int(page)) for source, page in row.cited_pages),
        created_at=as_utc(row.created_at),
    )


def _feedback(row: FeedbackRow) -> Feedback:
    return Feedback(
        row.answer_id,
        row.key_name,
        cast(Rating, row.rating),
        cast(Reason | None, row.reason),
        row.comment,
        row.correction,
        as_utc(row.created_at),
    )


class SqlAnswerStore:
    """Answers and their feedback, each change in one short transaction."""

    def __init__(self, store: SqlDocumentStore) -> None:
        self.store = store

    def add(self, record: AnswerRecord) -> None:
        row = AnswerRow(
            id=record.id,
            key_name=record.key_name,
            collection=record.collection,
            thread_id=record.thread_id,
            action=record.action,
            question=record.question,
            rewritten_question=record.rewritten_question,
            answer=record.answer,
            state=record.state,
            mode=record.mode,
            model=record.model,
            prompt_version=record.prompt_version,
            sources=[source.__dict__ for source in record.sources],
            cited_pages=[list(pair) for pair in record.cited_pages],
            created_at=record.created_at,
        )
        with self.store.session() as session, session.begin():
            session.add(row)

    def get(self, answer_id: str) -> AnswerRecord | None:
        with self.store.session() as session:
            row = session.get(AnswerRow, answer_id)
            return None if row is None else _record(row)

    def set_feedback(self, feedback: Feedback) -> None:
        with self.store.session() as session, session.begin():
            if session.get(AnswerRow, feedback.answer_id) is None:  # its thread was deleted meanwhile
                raise NotFound(f"answer {feedback.answer_id!r} not found", detail={"field": "answer_id"})
            session.execute(delete(FeedbackRow).where(FeedbackRow.answer_id == feedback.answer_id))
            session.add(
                FeedbackRow(
                    answer_id=feedback.answer_id,
                    key_name=feedback.key_name,
                    rating=feedback.rating,
                    reason=feedback.reason,
                    comment=feedback.comment,
                    correction=feedback.correction,
                    created_at=feedback.created_at,
                )
            )

    def feedback(self, answer_id: str) -> Feedback | None:
        with self.store.session() as session:
            row = session.get(FeedbackRow, answer_id)
            return None if row is None else _feedback(row)

    def rated(self, collection: str) -> list[tuple[AnswerRecord, Feedback]]:
        query = (
            select(AnswerRow, FeedbackRow)
            .join(FeedbackRow, FeedbackRow.answer_id == AnswerRow.id)
            .where(AnswerRow.collection == collection)
            .order_by(AnswerRow.created_at, AnswerRow.id)
        )
        with self.store.session() as session:
            return [(_record(answer), _feedback(feedback)) for answer, feedback in session.execute(query).all()]
