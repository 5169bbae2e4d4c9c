"""``ThreadsService``: saved conversation threads, walled and audited, for the HTTP routes.

A thread belongs to the key that started it (with ``/v1/ask`` and no ``thread_id``) and to one collection.
Another key's thread, or one in a collection the key may no longer read, answers the same 404 as a missing
thread, unless the caller is an admin. Each turn is stored with the standalone form it was answered as and
the documents it quoted, which is what a follow-up inherits (``service.engine.answering.followup``).
Creating, renaming and deleting a thread are audited (by id: titles are the caller's words); each turn is
audited as the ask it was. Deleting a thread deletes its turns and the answers kept of them for feedback: no
question or answer of it stays in the thread and answer tables (SQLite overwrites deleted rows: ``secure_delete``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from service.core.access import Principal
from service.core.answers import AnswerResult
from service.core.errors import InvalidInput, NotFound
from service.core.seams import ThreadStore
from service.core.threads import TITLE_MAX_CHARS, ThreadRecord, ThreadTurn
from service.engine.answering.followup import Turn
from service.engine.audit import Audit


def thread_not_found(thread_id: str) -> NotFound:
    """One and the same 404 for a missing thread and another key's: a key learns nothing from it."""
    return NotFound(f"thread {thread_id!r} not found", detail={"field": "thread_id"})


def check_title(title: str) -> str:
    """A title stripped of surrounding space; empty or over ``TITLE_MAX_CHARS`` is a 422 naming the field."""
    title = " ".join(title.split())
    if not title:
        raise InvalidInput("title is empty; give the thread a name", detail={"field": "title"})
    if len(title) > TITLE_MAX_CHARS:
        raise InvalidInput(
            f"title is {len(title)} characters long, above the limit of {TITLE_MAX_CHARS}; shorten it",
            detail={"field": "title", "max": TITLE_MAX_CHARS},
        )
    return title


def title_from(question: str) -> str:
    """A new thread's title: its first question on one line, cut to ``TITLE_MAX_CHARS`` at a word."""
    text = " ".join(question.split())
    if len(text) <= TITLE_MAX_CHARS:
        return text
    return text[: TITLE_MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"


def as_history(turns: list[ThreadTurn]) -> list[Turn]:
    """Stored turns as the follow-up rule reads them."""
    return [Turn(turn.question, turn.rewritten_question, tuple(title for _, title in turn.cited)) for turn in turns]


class ThreadsService:
    """Threads of every collection for one set of components."""

    def __init__(self, store: Callable[[], ThreadStore], audit: Audit) -> None:
        self._store = store  # a factory: building the app must not reach the database
        self.audit = audit

    def thread(self, thread_id: str, principal: Principal) -> ThreadRecord:
        """The thread if the principal may see it (its own, in a collection it reads; any for an admin);
        otherwise the same 404 as a missing one."""
        found = self._store().get(thread_id)
        if found is None or not principal.owns(found.key_name, found.collection):
            raise thread_not_found(thread_id)
        return found

    def listed(self, collection: str, principal: Principal) -> list[ThreadRecord]:
        """The principal's threads in ``collection`` (an admin's list holds every key's), newest first;
        the caller has checked that the principal may read ``collection``."""
        return self._store().listed(collection, principal.key_name, every_key=principal.admin)

    def turns(self, thread_id: str, principal: Principal) -> tuple[ThreadRecord, list[ThreadTurn]]:
        record = self.thread(thread_id, principal)
        return record, self._store().turns(record.id)

    def history(self, thread_id: str, collection: str, principal: Principal) -> tuple[ThreadRecord, list[Turn]]:
        """The thread a follow-up is asked in and its earlier turns; a thread about another collection is a 422."""
        record, turns = self.turns(thread_id, principal)
        if record.collection != collection:
            raise InvalidInput(
                "thread_id: the thread is about another collection; ask in its collection or start a new thread",
                detail={"field": "thread_id"},
            )
        return record, as_history(turns)

    def start(self, principal: Principal, collection: str, question: str) -> ThreadRecord:
        record = self._store().create(principal.key_name, collection, title_from(question))
        self.audit.thread_changed(principal, "thread_create", record)
        return record

    def record_turn(self, thread: ThreadRecord, result: AnswerResult, answer_id: str | None = None) -> None:
        """Keep an answered (or refused) question as the thread's next turn; ``answer_id`` names the answer
        kept for feedback (``service.engine.feedback``)."""
        cited = tuple({citation.document_id: citation.title for citation in result.citations}.items())
        turn = ThreadTurn(
            0, result.question, result.rewritten_question, result.answer, result.state.value, cited,
            datetime.now(UTC), answer_id,
        )  # fmt: skip
        self._store().add_turn(thread.id, turn)

    def rename(self, thread_id: str, title: str, principal: Principal) -> ThreadRecord:
        self.thread(thread_id, principal)
        record = self._store().rename(thread_id, check_title(title))
        self.audit.thread_changed(principal, "thread_rename", record)
        return record

    def delete(self, thread_id: str, principal: Principal) -> None:
        record = self.thread(thread_id, principal)
        self._store().delete(record.id)
        self.audit.thread_changed(principal, "thread_delete", record)
