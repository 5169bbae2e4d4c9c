"""``/v1/search`` and ``/v1/ask`` (JSON or Server-Sent Events)."""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from service.api.schemas import (
    AskRequest,
    AskResponse,
    CitationOut,
    ClaimOut,
    ErrorEnvelope,
    HitOut,
    SearchRequest,
    SearchResponse,
)
from service.api.state import AppState, JsonBody, PrincipalDep, StateDep
from service.core.access import Principal
from service.core.answers import AnswerResult
from service.core.errors import DocqaError
from service.core.threads import ThreadRecord
from service.engine.answering.followup import Turn
from service.engine.answering.qa import Event

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorEnvelope} for code in (400, 401, 404, 413, 415, 422, 429, 502, 504)
}
router = APIRouter(prefix="/v1", tags=["questions"], responses=ERRORS)
log = logging.getLogger("docqa")


@router.post("/search", response_model=SearchResponse, dependencies=[JsonBody], summary="Rank a collection's chunks.")
async def search(body: SearchRequest, state: StateDep, principal: PrincipalDep) -> SearchResponse:
    """Ranks on the event loop, one search at a time per worker process, and commits the audit row on a
    worker thread.

    Ranking is CPU work (the query's embedding, FAISS, BM25: 3-8 ms on a CPU with AVX-512 VNNI, about
    10-12 on one with AVX2 only) that reads SQL only through a WAL reader. Run on the loop it takes no
    thread hop and never contends for the GIL with other searches: one process served 167-174
    requests/s so against 125-145 on worker threads (tests/benchmarks/README.md). Other requests to the worker
    wait for at most the search running. What may wait goes to a thread, freeing the loop: loading a
    collection's indexes (first use, or after another process saved them) and the audit row's commit
    (the database's write lock may be held by an ingest).
    """
    started = time.perf_counter()
    collection = state.readable_collection(principal, body.collection)
    k = state.bounded_k(body.k)
    if not state.components.indexes_ready(collection):  # first use, or another process saved: ~0.5 s for 31k chunks
        await run_in_threadpool(state.components.prepare_indexes, collection)
    try:
        hits = state.components.retriever.search(body.query, collection, k, body.filters, principal=principal)
    except DocqaError as error:
        await run_in_threadpool(audit_failure, state, principal, "search", collection, body.query, error)
        raise
    took_ms = round(1000 * (time.perf_counter() - started), 3)
    await run_in_threadpool(state.components.audit.search, principal, collection, body.query, k, body.filters, hits)
    return SearchResponse(hits=[HitOut.from_hit(hit) for hit in hits], took_ms=took_ms)


def record_answer(
    state: AppState, principal: Principal, action: str, result: AnswerResult, thread_id: str | None = None
) -> str:
    """Keep the answer for feedback and audit it (``AnswersService.record``); its ``answer_id``."""
    return state.components.answers.record(principal, action, result, thread_id)


def audit_failure(
    state: AppState, principal: Principal, action: str, collection: str, question: str, error: DocqaError
) -> None:
    qa = state.components.qa
    answerer = {"mode": qa.mode, "model": qa.model, "prompt_version": qa.prompts.version}
    state.components.audit.failure(principal, action, collection, question, error, answerer)


def stream_failure(error: Exception) -> DocqaError:
    """What a started stream reports for ``error``: a ``DocqaError`` as it is, anything else as the
    500 envelope, logged with its traceback (which never reaches the client)."""
    if isinstance(error, DocqaError):
        return error
    log.error("unexpected error while streaming an answer", exc_info=error)
    return DocqaError(f"internal error ({type(error).__name__}); see the server log")


def sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def start_stream(events: Iterator[Event]) -> tuple[Event, Iterator[Event]]:
    """Run up to the first event, so errors before any output get a normal status code.

    Chain the two back lazily (``itertools.chain``): unpacking the rest into a list would wait for
    the whole answer before sending its first word, and lose the words sent before an error.
    """
    return next(events), events


@router.post(
    "/ask",
    response_model=AskResponse,
    dependencies=[JsonBody],
    summary="Answer a question with verified citations; with stream=true, as Server-Sent Events.",
    responses={200: {"content": {"text/event-stream": {}}}},
)
def ask(body: AskRequest, state: StateDep, principal: PrincipalDep) -> Any:
    """With ``thread_id``, a follow-up in that thread (its earlier turns stay in scope); without, the question
    starts a new thread. Either way the turn is saved and the response names the thread."""
    collection = state.readable_collection(principal, body.collection)
    k = state.bounded_k(body.k)
    qa = state.components.qa
    thread: ThreadRecord | None = None
    history: list[Turn] = []
    if body.thread_id is not None:
        thread, history = state.threads.history(body.thread_id, collection, principal)

    def saved(result: AnswerResult) -> AskResponse:
        """Keep the answer, audited, and the turn in its thread (a new one for a first question)."""
        kept = thread or state.threads.start(principal, collection, body.question)
        answer_id = record_answer(state, principal, "ask", result, kept.id)
        state.threads.record_turn(kept, result, answer_id)
        return AskResponse.from_result(result, kept.id, answer_id)

    if not body.stream:
        try:
            result = qa.ask(body.question, collection, k, body.filters, principal=principal, history=history)
        except DocqaError as error:
            audit_failure(state, principal, "ask", collection, body.question, error)
            raise
        return saved(result)
    try:
        first, rest = start_stream(
            qa.stream(body.question, collection, k, body.filters, principal=principal, history=history)
        )
    except DocqaError as error:
        audit_failure(state, principal, "ask", collection, body.question, error)
        raise

    def events() -> Iterator[str]:
        try:
            for kind, payload in itertools.chain([first], rest):
                if kind == "delta":
                    yield sse("delta", {"text": payload})
                elif kind == "citations":
                    yield sse("citations", {"citations": [CitationOut.from_citation(c).model_dump() for c in payload]})
                elif kind == "claims":
                    yield sse("claims", {"claims": [ClaimOut.from_claim(claim).model_dump() for claim in payload]})
                elif kind == "done":
                    yield sse("done", saved(payload).model_dump())
        except Exception as caught:  # the status line has gone out: the stream itself must say what failed
            error = stream_failure(caught)
            audit_failure(state, principal, "ask", collection, body.question, error)
            yield sse("error", {"error": {"code": error.code, "message": error.message, "detail": error.detail}})

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})
