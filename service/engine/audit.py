"""What every action records in the audit trail, in one place.

Every ask, chat, search, upload, ingest, delete and key change goes through ``Audit``, which turns it into
one row of the ``AuditLog`` seam (the hash-chained log, ``service.core.audit``): who (the key's name), where
(the collection), how it ended (the outcome) and a payload. Retrieved chunks are recorded by id and SHA-256,
never by text; an answer is recorded whole, with its citations and checked claims.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

from service.core.access import Principal
from service.core.answers import AnswerResult
from service.core.audit import Verification, content_hash
from service.core.domain import DocumentRecord, SearchHit
from service.core.errors import DocqaError
from service.core.feedback import Feedback
from service.core.ingestion import FileResult, IngestSummary, Job
from service.core.seams import AuditLog
from service.core.threads import ThreadRecord


def retrieved_for_audit(hits: Iterable[SearchHit]) -> list[dict[str, object]]:
    """Retrieved chunks as the audit keeps them: id and the SHA-256 of the text."""
    return [{"chunk_id": hit.chunk_id, "sha256": content_hash(hit.text)} for hit in hits]


class Audit:
    """Records each kind of action; ``log`` is called on first use (the database may be down at start)."""

    def __init__(self, log: Callable[[], AuditLog]) -> None:
        self._log = log

    def search(
        self, principal: Principal, collection: str, query: str, k: int, filters: Mapping[str, str] | None,
        hits: Iterable[SearchHit],
    ) -> None:  # fmt: skip
        payload = {"query": query, "k": k, "filters": filters, "retrieved": retrieved_for_audit(hits)}
        self._log().record("search", principal.key_name, collection, "ok", payload)

    def record_search(self, principal: Principal, action: str, collection: str, payload: Mapping[str, Any]) -> None:
        """A search of the whole record (``record_search``, ``term_report``, ``authorities``): what was asked,
        the filters and the counts found."""
        self._log().record(action, principal.key_name, collection, "ok", dict(payload))

    def record(self, action: str, key_name: str | None, collection: str, payload: Mapping[str, Any]) -> None:
        """A read that is neither a search nor an answer (``entities``, ``mentions``): what was asked."""
        self._log().record(action, key_name, collection, "ok", payload)

    def answer(self, principal: Principal, action: str, result: AnswerResult, answer_id: str | None = None) -> None:
        """An ask or a chat that was answered (or refused); ``answer_id`` names the answer kept for feedback
        (``service.engine.feedback``)."""
        self._log().record(
            action,
            principal.key_name,
            result.collection,
            "refused" if result.refused else result.state.value,
            {
                "answer_id": answer_id,
                "question": result.question,
                "rewritten_question": result.rewritten_question,
                "retrieved": retrieved_for_audit(result.retrieved),
                "mode": result.mode,
                "model": result.model,
                "prompt_version": result.prompt_version,
                "answer": result.answer,
                "citations": [asdict(citation) for citation in result.citations],
                "dropped_markers": result.dropped_markers,
                "claims": [asdict(claim) for claim in result.claims],
            },
        )

    def failure(
        self, principal: Principal, action: str, collection: str, question: str, error: DocqaError,
        answerer: Mapping[str, str],
    ) -> None:  # fmt: skip
        """An ask, chat or search that failed; ``answerer`` names the mode, model and prompt version."""
        payload: dict[str, Any] = {"question": question, "error": error.message, **answerer}
        self._log().record(action, principal.key_name, collection, f"error:{error.code}", payload)

    def uploaded(self, job: Job, result: FileResult) -> None:
        """Every document change through an upload."""
        payload = {"job_id": job.job_id, "source": result.source, "document_id": result.document_id}
        self._log().record("upload", job.key_name, job.collection, result.outcome, {**payload, "error": result.error})

    def job_cancelled(self, key_name: str | None, job: Job) -> None:
        """An upload job cancelled; the files it had not done by then are named."""
        pending = [name for name in job.names if name not in job.results]
        self._log().record("cancel", key_name, job.collection, "ok", {"job_id": job.job_id, "not_ingested": pending})

    def ingested(self, summary: IngestSummary) -> None:
        """Every document change of a CLI batch (unchanged files are not changes)."""
        for result in summary.files:
            if result.outcome != "unchanged":
                payload = {"source": result.source, "document_id": result.document_id, "error": result.error}
                self._log().record("ingest", None, summary.collection, result.outcome, payload)

    def deleted(self, key_name: str | None, record: DocumentRecord) -> None:
        payload = {"document_id": record.id, "source": record.source}
        self._log().record("delete", key_name, record.collection, "deleted", payload)

    def thread_changed(self, principal: Principal, action: str, thread: ThreadRecord) -> None:
        """A thread created, renamed or deleted (``thread_create``, ``thread_rename``, ``thread_delete``), by id:
        titles are not kept, so deleting a thread leaves none behind. Its turns are audited as the asks they were."""
        self._log().record(action, principal.key_name, thread.collection, "ok", {"thread_id": thread.id})

    def feedback(self, principal: Principal, collection: str, feedback: Feedback) -> None:
        """Feedback given on an answer: the thumb, the reason, and the lawyer's words."""
        payload = {
            "answer_id": feedback.answer_id,
            "rating": feedback.rating,
            "reason": feedback.reason,
            "comment": feedback.comment,
            "correction": feedback.correction,
        }
        self._log().record("feedback", principal.key_name, collection, feedback.rating, payload)

    def feedback_export(self, principal: Principal, collection: str, fmt: str, rows: int, skipped: int) -> None:
        """A collection's feedback exported for training or evaluation: the format and how many rows."""
        payload = {"format": fmt, "rows": rows, "skipped": skipped}
        self._log().record("feedback_export", principal.key_name, collection, "ok", payload)

    def key_created(self, name: str, collections: list[str], role: str) -> None:
        payload = {"name": name, "collections": collections, "role": role, "admin": role == "admin"}
        self._log().record("key_create", None, None, "created", payload)

    def key_revoked(self, name: str) -> None:
        self._log().record("key_revoke", None, None, "revoked", {"name": name})

    def export(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """The rows since ``since`` (all by default), oldest first."""
        return self._log().export(since)

    def verify(self) -> Verification:
        return self._log().verify()
