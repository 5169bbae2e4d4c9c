"""OpenAI-compatible ``/v1/models`` and ``/v1/chat/completions``, so existing clients work unchanged.

The model name selects the collection (``docqa/<collection>``); the last user message is the
question, and the user messages before it are its thread: a follow-up is answered as the standalone
question it stands for (``rewritten_question``, an extra field). Citations travel twice: as numbered
references appended to the content, and as the
extra top-level field ``citations`` (on the response, or on the last chunk of a stream). So do the
claim checks: sentences not supported by their sources are listed after the references, with the
reasons, and every sentence's check is in the extra field ``claims``. The extra field ``answer_id`` names the
answer as kept, for ``POST /v1/answers/{answer_id}/feedback``.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from service.api.params import check_text
from service.api.routes.qa import ERRORS, audit_failure, record_answer, start_stream, stream_failure
from service.api.schemas import ChatCompletionRequest, ChatMessageIn, CitationOut, ClaimOut
from service.api.state import JsonBody, PrincipalDep, StateDep
from service.core.answers import AnswerResult, Citation, ClaimCheck
from service.core.domain import AnswerState
from service.core.errors import DocqaError, InvalidInput
from service.engine.answering.followup import Turn

router = APIRouter(prefix="/v1", tags=["openai-compatible"], responses=ERRORS)
MODEL_PREFIX = "docqa/"


@router.get("/models", summary="One model per readable collection: docqa/<collection>.")
def models(state: StateDep, principal: PrincipalDep) -> dict[str, Any]:
    names = principal.visible(state.components.store.collections())
    return {
        "object": "list",
        "data": [{"id": MODEL_PREFIX + name, "object": "model", "created": 0, "owned_by": "docqa"} for name in names],
    }


def trailer(result: AnswerResult) -> str:
    """What follows the answer in the message: a low-support answer's warning, then its references."""
    warning = f"\n\nWarning: {result.message}" if result.state is AnswerState.LOW_SUPPORT and result.message else ""
    return warning + references(result.citations)


def references(citations: list[Citation]) -> str:
    """Numbered references as a lawyer would write them, appended to the answer."""
    if not citations:
        return ""
    lines = []
    for citation in citations:
        page = f"p. {citation.page}" + (f" ({citation.page_label})" if citation.page_label else "")
        paragraph = f", ¶ {citation.paragraph}" if citation.paragraph else ""
        lines.append(f"[{citation.marker}] {citation.title}, {page}{paragraph}: “{' '.join(citation.quote.split())}”")
    return "\n\nReferences:\n" + "\n".join(lines)


UNSUPPORTED_HEADING = "Not supported by the sources cited:"
# A stream has already shown the sentences when the claim check withholds them: the content must say so.
WITHHELD_HEADING = "Withheld, not supported by the sources cited:"


def unsupported_notes(claims: list[ClaimCheck], heading: str = UNSUPPORTED_HEADING) -> str:
    """The sentences the sources do not bear out, with why, for the end of the content: a client that
    shows only the content still sees which sentences are marked. Empty when every sentence is supported."""
    failed = [claim for claim in claims if not claim.supported]
    if not failed:
        return ""
    lines = [f"- “{claim.text}”: {'; '.join(claim.reasons)}" for claim in failed]
    return f"\n\n{heading}\n" + "\n".join(lines)


def _text(message: ChatMessageIn) -> str | None:
    """A message's text (None when it has none), checked: a 422 naming ``messages`` when it holds NUL or other
    control characters."""
    text = None
    if isinstance(message.content, str):
        text = message.content
    elif isinstance(message.content, list):
        text = " ".join(str(part.get("text", "")) for part in message.content if part.get("type") == "text")
    if text is None:
        return None
    try:
        return check_text(text)
    except ValueError as error:
        raise InvalidInput(f"messages: the question {error}", detail={"field": "messages"}) from error


def question_of(body: ChatCompletionRequest) -> str:
    """The last user message's text: the question (a 422 naming ``messages`` when there is none or it holds NUL
    or other control characters)."""
    for message in reversed(body.messages):
        if message.role == "user" and (question := _text(message)) is not None:
            return question
    raise InvalidInput("messages must contain a user message with the question", detail={"field": "messages"})


def history_of(body: ChatCompletionRequest) -> list[Turn]:
    """The user messages before the last one, oldest first: the thread a follow-up is asked in."""
    asked = [text for message in body.messages if message.role == "user" and (text := _text(message)) is not None]
    return [Turn(text) for text in asked[:-1] if text.strip()]


def collection_of(model: str) -> str:
    return model[len(MODEL_PREFIX) :] if model.startswith(MODEL_PREFIX) else model


def completion(body: ChatCompletionRequest, result: AnswerResult, completion_id: str, answer_id: str) -> dict[str, Any]:
    # A refusal shows none of the withheld sentences, so there is nothing to mark.
    notes = "" if result.refused else unsupported_notes(result.claims)
    content = result.answer + trailer(result) + notes
    usage = result.usage or {"prompt_tokens": 0, "completion_tokens": 0}
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {**usage, "total_tokens": sum(usage.values())},
        "citations": [CitationOut.from_citation(c).model_dump() for c in result.citations],
        "state": result.state.value,
        "claims": [ClaimOut.from_claim(claim).model_dump() for claim in result.claims],
        "refused": result.refused,
        "message": result.message,
        "mode": result.mode,
        "rewritten_question": result.rewritten_question,
        "answer_id": answer_id,
    }


@router.post("/chat/completions", dependencies=[JsonBody], summary="OpenAI chat completions over a collection.")
def chat_completions(body: ChatCompletionRequest, state: StateDep, principal: PrincipalDep) -> Any:
    collection = state.readable_collection(principal, collection_of(body.model))
    question = question_of(body)
    history = history_of(body)
    k = state.bounded_k(None)
    qa = state.components.qa
    completion_id = "chatcmpl-" + secrets.token_hex(12)
    if not body.stream:
        try:
            result = qa.ask(question, collection, k, principal=principal, history=history)
        except DocqaError as error:
            audit_failure(state, principal, "chat", collection, question, error)
            raise
        return completion(body, result, completion_id, record_answer(state, principal, "chat", result))
    try:
        first, rest = start_stream(qa.stream(question, collection, k, principal=principal, history=history))
    except DocqaError as error:
        audit_failure(state, principal, "chat", collection, question, error)
        raise

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        payload = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    def events() -> Iterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        try:
            for kind, payload in itertools.chain([first], rest):
                if kind == "delta" and payload:
                    yield chunk({"content": payload})
                elif kind == "done":
                    answer_id = record_answer(state, principal, "chat", payload)
                    heading = WITHHELD_HEADING if payload.refused else UNSUPPORTED_HEADING
                    yield chunk({"content": trailer(payload) + unsupported_notes(payload.claims, heading)})
                    yield chunk(
                        {},
                        "stop",
                        citations=[CitationOut.from_citation(c).model_dump() for c in payload.citations],
                        state=payload.state.value,
                        claims=[ClaimOut.from_claim(claim).model_dump() for claim in payload.claims],
                        refused=payload.refused,
                        message=payload.message,
                        answer=payload.answer,
                        rewritten_question=payload.rewritten_question,
                        answer_id=answer_id,
                    )
        except Exception as caught:  # the status line has gone out: the stream itself must say what failed
            error = stream_failure(caught)
            audit_failure(state, principal, "chat", collection, question, error)
            error_body = {"error": {"code": error.code, "message": error.message, "detail": error.detail}}
            yield f"data: {json.dumps(error_body)}\n\n"
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})
