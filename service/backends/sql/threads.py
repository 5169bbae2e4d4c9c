"""``SqlThreadStore``: saved conversation threads in SQL (tables ``threads`` and ``thread_turns``). Implements
``ThreadStore``; ``SqlDocumentStore.create_schema`` creates the tables in an existing database on open."""

from __future__ import annotations

import secrets

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from service.backends.sql.store import SqlDocumentStore
from service.backends.sql.tables import AnswerRow, FeedbackRow, ThreadRow, ThreadTurnRow, as_utc, utcnow
from service.core.errors import Conflict, NotFound
from service.core.threads import ThreadRecord, ThreadTurn


def thread_not_found(thread_id: str) -> NotFound:
    """A thread deleted under a rename: the 404 ``ThreadsService`` gives a missing thread."""
    return NotFound(f"thread {thread_id!r} not found", detail={"field": "thread_id"})


def _record(row: ThreadRow, turn_count: int = 0) -> ThreadRecord:
    return ThreadRecord(
        row.id, row.key_name, row.collection, row.title, as_utc(row.created_at), as_utc(row.updated_at), turn_count
    )


class SqlThreadStore:
    """Threads and turns, each change in one short transaction."""

    def __init__(self, store: SqlDocumentStore) -> None:
        self.store = store

    def create(self, key_name: str | None, collection: str, title: str) -> ThreadRecord:
        row = ThreadRow(id=secrets.token_hex(8), key_name=key_name, collection=collection, title=title)
        with self.store.session() as session, session.begin():
            session.add(row)
        return _record(row)

    def get(self, thread_id: str) -> ThreadRecord | None:
        with self.store.session() as session:
            row = session.get(ThreadRow, thread_id)
            if row is None:
                return None
            count = session.scalar(select(func.count()).where(ThreadTurnRow.thread_id == thread_id)) or 0
        return _record(row, count)

    def listed(self, collection: str, key_name: str | None, every_key: bool = False) -> list[ThreadRecord]:
        counts = (
            select(ThreadTurnRow.thread_id, func.count().label("turns")).group_by(ThreadTurnRow.thread_id).subquery()
        )
        query = (
            select(ThreadRow, func.coalesce(counts.c.turns, 0))
            .outerjoin(counts, counts.c.thread_id == ThreadRow.id)
            .where(ThreadRow.collection == collection)
            .order_by(ThreadRow.updated_at.desc(), ThreadRow.id)
        )
        if not every_key:
            query = query.where(ThreadRow.key_name.is_(None) if key_name is None else ThreadRow.key_name == key_name)
        with self.store.session() as session:
            return [_record(row, turns) for row, turns in session.execute(query).all()]

    def turns(self, thread_id: str) -> list[ThreadTurn]:
        query = (
            select(ThreadTurnRow, FeedbackRow.rating)
            .outerjoin(FeedbackRow, FeedbackRow.answer_id == ThreadTurnRow.answer_id)
            .where(ThreadTurnRow.thread_id == thread_id)
            .order_by(ThreadTurnRow.ordinal)
        )
        with self.store.session() as session:
            rows = session.execute(query).all()
        return [
            ThreadTurn(
                row.ordinal,
                row.question,
                row.rewritten_question,
                row.answer,
                row.state,
                tuple((document_id, title) for document_id, title in row.cited),
                as_utc(row.created_at),
                row.answer_id,
                rating,
            )
            for row, rating in rows
        ]

    def add_turn(self, thread_id: str, turn: ThreadTurn) -> int:
        """Add ``turn`` as the thread's next (its ``ordinal`` is ignored); the ordinal given. Two follow-ups
        saved at once both get one: the loser of the unique ``(thread_id, ordinal)`` tries the next."""
        for _attempt in range(5):
            try:
                with self.store.session() as session, session.begin():
                    last = session.scalar(
                        select(func.max(ThreadTurnRow.ordinal)).where(ThreadTurnRow.thread_id == thread_id)
                    )
                    ordinal = (last or 0) + 1
                    session.add(
                        ThreadTurnRow(
                            thread_id=thread_id,
                            ordinal=ordinal,
                            question=turn.question,
                            rewritten_question=turn.rewritten_question,
                            answer=turn.answer,
                            state=turn.state,
                            cited=[list(pair) for pair in turn.cited],
                            created_at=turn.created_at,
                            answer_id=turn.answer_id,
                        )
                    )
                    session.execute(update(ThreadRow).where(ThreadRow.id == thread_id).values(updated_at=utcnow()))
                return ordinal
            except IntegrityError:
                if self.get(thread_id) is None:  # deleted meanwhile: the turn has nowhere to go
                    raise thread_not_found(thread_id) from None
        raise Conflict(f"thread {thread_id!r} is being written by other requests; ask again")

    def rename(self, thread_id: str, title: str) -> ThreadRecord:
        with self.store.session() as session, session.begin():
            changed = session.execute(
                update(ThreadRow).where(ThreadRow.id == thread_id).values(title=title, updated_at=utcnow())
            )
            if changed.rowcount == 0:  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
                raise thread_not_found(thread_id)
        record = self.get(thread_id)
        if record is None:  # deleted by another request in between
            raise thread_not_found(thread_id)
        return record

    def delete(self, thread_id: str) -> None:
        """Delete the thread, its turns, and the answers kept of them with their feedback (``answers``)."""
        answers = select(AnswerRow.id).where(AnswerRow.thread_id == thread_id)
        with self.store.session() as session, session.begin():
            session.execute(delete(FeedbackRow).where(FeedbackRow.answer_id.in_(answers)))
            session.execute(delete(AnswerRow).where(AnswerRow.thread_id == thread_id))
            session.execute(delete(ThreadTurnRow).where(ThreadTurnRow.thread_id == thread_id))
            session.execute(delete(ThreadRow).where(ThreadRow.id == thread_id))
