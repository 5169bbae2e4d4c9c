"""``AnswersService``: every answer kept once for feedback, feedback on it, and the export, walled and audited.

An answer is kept when it is audited (``record``): the ``answers`` row holds what an export needs (the
question, its standalone form, the model, the prompt version, the answer and its retrieved sources with
their text), and the audit row names it by ``answer_id``. An answer belongs to the key that asked and to
its collection: another key's answer, or one in a collection the key may no longer read, answers the same
404 as a missing one, unless the caller is an admin, as threads do. An answer that is a turn of a thread is
deleted with the thread, its feedback too. Exports are an admin's, per collection.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from service.core.access import Principal
from service.core.answers import AnswerResult
from service.core.errors import Forbidden, InvalidInput, NotFound
from service.core.feedback import (
    COMMENT_MAX_CHARS,
    CORRECTION_MAX_CHARS,
    AnswerRecord,
    ExportFormat,
    Feedback,
    Rating,
    Reason,
    SourceText,
)
from service.core.seams import AnswerStore
from service.engine.answering.prompts import Prompts
from service.engine.audit import Audit
from service.engine.feedback_export import ExportResult, export_rows


def answer_not_found(answer_id: str) -> NotFound:
    """One and the same 404 for a missing answer and another key's: a key learns nothing from it."""
    return NotFound(f"answer {answer_id!r} not found", detail={"field": "answer_id"})


def _bounded(value: str | None, field: str, limit: int) -> str | None:
    """``value`` stripped (None when blank); over ``limit`` characters a 422 naming the field and the limit."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput(
            f"{field} is {len(value)} characters long, above the limit of {limit}; shorten it",
            detail={"field": field, "max": limit},
        )
    return value


def as_record(
    answer_id: str, principal: Principal, action: str, result: AnswerResult, thread_id: str | None
) -> AnswerRecord:
    """What is kept of ``result``."""
    sources = tuple(
        SourceText(hit.chunk_id, hit.document_id, hit.source, hit.title, hit.page_start, hit.text)
        for hit in result.retrieved
    )
    cited = tuple(dict.fromkeys((citation.source, citation.page) for citation in result.citations))
    return AnswerRecord(
        id=answer_id,
        key_name=principal.key_name,
        collection=result.collection,
        thread_id=thread_id,
        action=action,
        question=result.question,
        rewritten_question=result.rewritten_question,
        answer=result.answer,
        state=result.state.value,
        mode=result.mode,
        model=result.model,
        prompt_version=result.prompt_version,
        sources=sources,
        cited_pages=cited,
        created_at=datetime.now(UTC),
    )


class AnswersService:
    """Answers and their feedback for one set of components."""

    def __init__(self, store: Callable[[], AnswerStore], audit: Audit, prompts: Callable[[], Prompts]) -> None:
        self._store = store  # factories: building the app must not reach the database or read the prompts
        self._prompts = prompts
        self.audit = audit

    def record(self, principal: Principal, action: str, result: AnswerResult, thread_id: str | None = None) -> str:
        """Keep an answered (or refused) question and audit it, naming the kept answer; its ``answer_id``."""
        answer_id = secrets.token_hex(8)
        self._store().add(as_record(answer_id, principal, action, result, thread_id))
        self.audit.answer(principal, action, result, answer_id)
        return answer_id

    def answer(self, answer_id: str, principal: Principal) -> AnswerRecord:
        """The answer if the principal may see it (its own, in a collection it reads; any for an admin);
        otherwise the same 404 as a missing one."""
        found = self._store().get(answer_id)
        if found is None or not principal.owns(found.key_name, found.collection):
            raise answer_not_found(answer_id)
        return found

    def give_feedback(
        self, answer_id: str, principal: Principal, rating: Rating, reason: Reason | None = None,
        comment: str | None = None, correction: str | None = None,
    ) -> Feedback:  # fmt: skip
        """Keep the principal's feedback on the answer (replacing any earlier) and audit it."""
        record = self.answer(answer_id, principal)  # the wall first: a 422 would confirm the answer exists
        if rating == "up" and reason is not None:
            raise InvalidInput(
                "reason: a thumb up takes no reason; send rating 'down' with it, or leave it out",
                detail={"field": "reason"},
            )
        feedback = Feedback(
            record.id,
            principal.key_name,
            rating,
            reason,
            _bounded(comment, "comment", COMMENT_MAX_CHARS),
            _bounded(correction, "correction", CORRECTION_MAX_CHARS),
            datetime.now(UTC),
        )
        self._store().set_feedback(feedback)
        self.audit.feedback(principal, record.collection, feedback)
        return feedback

    def feedback(self, answer_id: str, principal: Principal) -> Feedback | None:
        """The answer's feedback (None when it has none), behind the answer's wall."""
        return self._store().feedback(self.answer(answer_id, principal).id)

    def export(self, principal: Principal, collection: str, fmt: ExportFormat) -> ExportResult:
        """The collection's feedback as ``fmt`` rows (``service.engine.feedback_export``); an admin's only. The
        caller has checked that the principal may read ``collection`` (so a 403 never reveals another matter)."""
        if not principal.admin:
            raise Forbidden(
                f"the key {principal.key_name!r} has the role {principal.role!r}, which may not export feedback; "
                "only an 'admin' key may (docqa keys create --role admin), or 'docqa feedback export' on the server",
                detail={"role": principal.role, "needs": ["admin"]},
            )
        result = export_rows(fmt, self._store().rated(collection), self._prompts())
        self.audit.feedback_export(principal, collection, fmt, len(result.rows), result.skipped)
        return result
