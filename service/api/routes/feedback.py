"""Feedback on answers and its export: rate an answer (``answer_id`` from ``/v1/ask`` or chat completions),
read an answer as kept, and (an admin) export a collection's feedback for training or evaluation. Each route is
one call into ``AnswersService`` (``service/engine/feedback.py``), which checks the walls and audits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from service.api.params import AnswerIdPath, CollectionPath
from service.api.schemas import AnswerOut, ErrorEnvelope, FeedbackIn, FeedbackOut
from service.api.state import JsonBody, PrincipalDep, StateDep
from service.core.feedback import EXPORT_FORMATS, ExportFormat
from service.engine.feedback_export import serialise

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorEnvelope} for code in (400, 401, 403, 404, 415, 422, 429)
}
router = APIRouter(prefix="/v1", tags=["feedback"], responses=ERRORS)


@router.post(
    "/answers/{answer_id}/feedback",
    response_model=FeedbackOut,
    dependencies=[JsonBody],
    summary="Rate an answer: thumb up or down, a reason, a comment, a corrected answer.",
)
def give_feedback(answer_id: AnswerIdPath, body: FeedbackIn, state: StateDep, principal: PrincipalDep) -> FeedbackOut:
    """Replaces the answer's earlier feedback. Another key's answer is a 404, as a missing one is."""
    feedback = state.components.answers.give_feedback(
        answer_id, principal, body.rating, body.reason, body.comment, body.correction
    )
    return FeedbackOut.from_feedback(feedback)


@router.get("/answers/{answer_id}", response_model=AnswerOut, summary="An answer as kept, with its feedback.")
def get_answer(answer_id: AnswerIdPath, state: StateDep, principal: PrincipalDep) -> AnswerOut:
    answers = state.components.answers
    record = answers.answer(answer_id, principal)
    return AnswerOut.from_record(record, answers.feedback(record.id, principal))


@router.get(
    "/collections/{collection}/feedback/export",
    summary="An admin's export of a collection's feedback: kto or dpo as JSON Lines, eval as a question file.",
    responses={200: {"content": {"application/x-ndjson": {}, "application/json": {}}}},
)
def export_feedback(
    collection: CollectionPath,
    state: StateDep,
    principal: PrincipalDep,
    format: Annotated[  # the query parameter's name, as the CLI's --format
        ExportFormat, Query(description=f"One of {', '.join(EXPORT_FORMATS)}.")
    ] = "kto",
) -> Response:
    """``kto``: TRL's unpaired preference rows; ``dpo``: TRL's preference pairs, where a lawyer corrected the
    answer; ``eval``: the thumbs-down questions as a question file ``docqa eval`` reads. The header
    ``X-Docqa-Skipped`` counts rated answers that could not become a row."""
    readable = state.readable_collection(principal, collection)
    result = state.components.answers.export(principal, readable, format)
    headers = {"X-Docqa-Skipped": str(result.skipped), "Cache-Control": "no-store"}
    media_type = "application/json" if format == "eval" else "application/x-ndjson"
    return Response(serialise(format, result.rows), media_type=media_type, headers=headers)
