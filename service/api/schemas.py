"""HTTP request and response bodies. Domain types convert to these explicitly, in ``from_*`` helpers."""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field

from service.api.params import MAX_NAME_CHARS, Name, Text
from service.core.access import Role
from service.core.answers import AnswerResult, Citation, ClaimCheck
from service.core.domain import AnswerState, DocumentRecord, PageRecord, SearchHit
from service.core.feedback import (
    COMMENT_MAX_CHARS,
    CORRECTION_MAX_CHARS,
    REASONS,
    AnswerRecord,
    Feedback,
    Rating,
    Reason,
)
from service.core.ingestion import JobStatus
from service.core.threads import TITLE_MAX_CHARS, ThreadRecord, ThreadTurn


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. not_found, invalid_input, llm_unavailable.")
    message: str = Field(description="What went wrong and what to do, for a person.")
    detail: Any = Field(None, description="Structured context: the field, the limits, the differences.")


class ErrorEnvelope(BaseModel):
    """The body of every non-2xx response."""

    error: ErrorDetail


Query: Any = Field(min_length=1, max_length=4000)
CollectionName: Any = Field(min_length=1, max_length=64, description="Collection (matter) name.")
Filters: Any = Field(
    default_factory=dict,
    description="Metadata filters: equality (court=ca1, document_type=order) "
    "or filed_after / filed_before (YYYY-MM-DD); entity=<id> (GET /v1/entities) keeps the pages that mention "
    "that entity. An unknown filter name is a 422 that lists the valid ones.",
)


class SearchRequest(Body):
    query: Text = Query
    collection: Name = CollectionName
    k: int | None = Field(None, ge=1, le=200, description="Chunks returned; default from settings.")
    filters: dict[Name, Text] = Filters


class HitOut(BaseModel):
    chunk_id: int
    document_id: str
    source: str
    title: str
    page_start: int
    page_end: int
    char_start: int
    char_end: int
    score: float
    text: str

    @classmethod
    def from_hit(cls, hit: SearchHit) -> HitOut:
        return cls(
            chunk_id=hit.chunk_id,
            document_id=hit.document_id,
            source=hit.source,
            title=hit.title,
            page_start=hit.page_start,
            page_end=hit.page_end,
            char_start=hit.char_start,
            char_end=hit.char_end,
            score=hit.score,
            text=hit.text,
        )


class SearchResponse(BaseModel):
    hits: list[HitOut]
    took_ms: float


class AskRequest(Body):
    question: Text = Query
    collection: Name = CollectionName
    k: int | None = Field(None, ge=1, le=200, description="Chunks retrieved; default from settings.")
    stream: bool = Field(False, description="Answer as Server-Sent Events: delta*, citations, claims, done.")
    filters: dict[Name, Text] = Filters
    thread_id: Name | None = Field(
        None,
        max_length=64,
        description="Ask a follow-up in this thread (from an earlier answer's thread_id): the cases, dockets and "
        "documents of its earlier turns stay in scope. Without it, the question starts a new thread.",
    )


class CitationOut(BaseModel):
    marker: int = Field(description="The [n] in the answer text.")
    document_id: str
    source: str
    title: str
    page: int = Field(description="Physical page, from 1.")
    page_label: str | None = Field(description="The page a lawyer would cite, when it differs (ECF or printed).")
    paragraph: str | None = Field(description="Numbered paragraph holding the quote, when there is one.")
    char_start: int = Field(description="Quote start in the document text.")
    char_end: int
    page_char_start: int = Field(description="Quote start in the page text.")
    page_char_end: int
    quote: str = Field(description="Exact text of the document at [char_start, char_end).")
    verified: bool = Field(description="False when the model's quoted words were not found verbatim in the source.")
    ocr_confidence: float | None = Field(description="Set when the page text came from OCR (0-1).")

    @classmethod
    def from_citation(cls, citation: Citation) -> CitationOut:
        return cls(**citation.__dict__)


class ClaimOut(BaseModel):
    """One sentence of a generated answer, checked against the sources it cites."""

    text: str
    char_start: int = Field(description="Sentence start in the answer text.")
    char_end: int
    markers: list[int] = Field(description="The sources the sentence cites ([n]).")
    facts: list[str] = Field(description="Checkable facts and disposition words the sentence states, as written.")
    supported: bool = Field(description="False when a fact or disposition is not in the sources it cites.")
    reasons: list[str] = Field(description='Why not, e.g. "$142,500.00 is not in source [2]", "no citation".')

    @classmethod
    def from_claim(cls, claim: ClaimCheck) -> ClaimOut:
        return cls(**claim.__dict__)


class AskResponse(BaseModel):
    answer: str
    citations: list[CitationOut]
    state: AnswerState = Field(
        description="answered; not_found (refused: the documents do not answer; see message and closest); "
        "low_support (shown with the warning in message: the sources support it only in part)."
    )
    refused: bool = Field(description="True exactly when state is not_found.")
    message: str | None = Field(description="Why an answer was refused, or the warning of a low_support answer.")
    closest: list[HitOut] = Field(description="The nearest passages of a refused question: closest, not an answer.")
    claims: list[ClaimOut] = Field(
        description="A generated answer's sentences with supported flags (empty in extractive mode, whose "
        "sentences are verbatim quotes); on a refusal by this check, the sentences of the answer withheld."
    )
    mode: str = Field(description="extractive, openai or transformers.")
    model: str
    usage: dict[str, int]
    timings: dict[str, float]
    rewritten_question: str | None = Field(
        None, description="A follow-up as the standalone question it was answered as; null when it stood alone."
    )
    thread_id: str | None = Field(None, description="The thread this turn was saved in; pass it to ask a follow-up.")
    answer_id: str | None = Field(
        None, description="The answer as kept: POST /v1/answers/{answer_id}/feedback rates it."
    )

    @classmethod
    def from_result(
        cls, result: AnswerResult, thread_id: str | None = None, answer_id: str | None = None
    ) -> AskResponse:
        return cls(
            rewritten_question=result.rewritten_question,
            thread_id=thread_id,
            answer_id=answer_id,
            answer=result.answer,
            citations=[CitationOut.from_citation(c) for c in result.citations],
            state=result.state,
            claims=[ClaimOut.from_claim(claim) for claim in result.claims],
            refused=result.refused,
            message=result.message,
            closest=[HitOut.from_hit(hit) for hit in result.closest],
            mode=result.mode,
            model=result.model,
            usage=result.usage,
            timings=result.timings,
        )


class DocumentOut(BaseModel):
    id: str
    collection: str
    source: str
    title: str
    status: Literal["ingested", "needs_ocr", "failed"]
    error: str | None
    page_count: int
    media_type: str
    sha256: str
    needs_ocr_pages: list[int]
    metadata: dict[str, Any]
    updated_at: str

    @classmethod
    def from_record(cls, record: DocumentRecord) -> DocumentOut:
        return cls(
            id=record.id,
            collection=record.collection,
            source=record.source,
            title=record.title,
            status=record.status.value,
            error=record.error,
            page_count=record.page_count,
            media_type=record.media_type,
            sha256=record.sha256,
            needs_ocr_pages=list(record.needs_ocr_pages),
            metadata={k: v for k, v in record.metadata.items() if not k.startswith("_")},
            updated_at=record.updated_at.isoformat(),
        )


class DocumentsResponse(BaseModel):
    documents: list[DocumentOut]


class PageOut(BaseModel):
    document_id: str
    title: str
    source: str
    page: int
    page_count: int
    label: str | None
    text: str
    text_source: str
    ocr_confidence: float | None

    @classmethod
    def from_page(cls, document: DocumentRecord, page: PageRecord) -> PageOut:
        return cls(
            document_id=document.id,
            title=document.title,
            source=document.source,
            page=page.number,
            page_count=document.page_count,
            label=page.label,
            text=page.text,
            text_source=page.text_source.value,
            ocr_confidence=page.ocr_confidence,
        )


class HighlightOut(BaseModel):
    width: float
    height: float
    # four numbers as a list, not a tuple: OpenAPI 3.1's prefixItems, which a tuple becomes, trips up
    # common schema validators (schemathesis among them)
    rects: list[Annotated[list[float], Field(min_length=4, max_length=4)]] = Field(
        description="Boxes [left, top, right, bottom] in points, origin top-left."
    )


class CollectionOut(BaseModel):
    name: str
    document_count: int


class CollectionsResponse(BaseModel):
    collections: list[CollectionOut]


class JobFileOut(BaseModel):
    name: str
    outcome: str = Field(
        description="new, updated, unchanged or failed; pending while not done; cancelled when the job was "
        "cancelled before the file was done (it was not ingested)."
    )
    document_id: str | None
    error: str | None


class JobOut(BaseModel):
    job_id: str
    collection: str
    status: JobStatus = Field(
        description="queued, running or done; interrupted when the server process running the job stopped "
        "before finishing it: files still 'pending' were not ingested and must be uploaded again; cancelled "
        "when DELETE /v1/jobs/{job_id} stopped it: files marked 'cancelled' were not ingested."
    )
    files: list[JobFileOut]


class JobCreated(BaseModel):
    job_id: str


class WhoAmI(BaseModel):
    auth_required: bool
    key_name: str | None
    role: Role = Field(
        description="reader: search, ask, read; editor: also upload and delete; admin: every collection."
    )
    admin: bool
    collections: list[str]


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionRequest(BaseModel):
    """OpenAI's request shape; unknown OpenAI fields are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: Name = Field(max_length=MAX_NAME_CHARS, description="docqa/<collection>")
    messages: list[ChatMessageIn] = Field(min_length=1)
    stream: bool = False
    max_tokens: int | None = Field(None, ge=1)


class ThreadOut(BaseModel):
    """A saved conversation thread, without its turns."""

    id: str
    collection: str
    title: str
    key_name: str | None = Field(description="The key that started it (null: the API was open).")
    turn_count: int
    created_at: str
    updated_at: str

    @classmethod
    def from_record(cls, record: ThreadRecord) -> ThreadOut:
        return cls(
            id=record.id,
            collection=record.collection,
            title=record.title,
            key_name=record.key_name,
            turn_count=record.turn_count,
            created_at=record.created_at.isoformat(),
            updated_at=record.updated_at.isoformat(),
        )


class ThreadTurnOut(BaseModel):
    """One question of a thread and its answer as given then."""

    ordinal: int = Field(description="1 for the thread's first question.")
    question: str
    rewritten_question: str | None = Field(description="The standalone question it was answered as, if it differed.")
    answer: str
    state: AnswerState
    cited_documents: list[dict[str, str]] = Field(description="{document_id, title} of each document quoted.")
    created_at: str
    answer_id: str | None = Field(description="The answer as kept, for feedback (null for turns saved before).")
    rating: Rating | None = Field(description="The answer's feedback so far: up, down, or null.")

    @classmethod
    def from_turn(cls, turn: ThreadTurn) -> ThreadTurnOut:
        return cls(
            ordinal=turn.ordinal,
            question=turn.question,
            rewritten_question=turn.rewritten_question,
            answer=turn.answer,
            state=AnswerState(turn.state),
            cited_documents=[{"document_id": document_id, "title": title} for document_id, title in turn.cited],
            created_at=turn.created_at.isoformat(),
            answer_id=turn.answer_id,
            rating=cast(Rating | None, turn.rating),
        )


class ThreadDetailOut(ThreadOut):
    turns: list[ThreadTurnOut]


class ThreadsOut(BaseModel):
    threads: list[ThreadOut]


class ThreadRename(Body):
    title: Text = Field(description=f"The thread's new name, 1 to {TITLE_MAX_CHARS} characters.")


class FeedbackIn(Body):
    """A thumb on an answer; a thumb down may say why, and what the answer should have said."""

    rating: Rating = Field(description="up or down.")
    reason: Reason | None = Field(
        None, description=f"Why a thumb down: one of {', '.join(REASONS)}. A thumb up takes none."
    )
    comment: Text | None = Field(
        None, description=f"What was wrong, in the reviewer's words (at most {COMMENT_MAX_CHARS} characters)."
    )
    correction: Text | None = Field(
        None,
        description=f"The answer as it should have been (at most {CORRECTION_MAX_CHARS} characters); "
        "exported as the preferred answer.",
    )


class FeedbackOut(BaseModel):
    answer_id: str
    rating: Rating
    reason: Reason | None
    comment: str | None
    correction: str | None
    key_name: str | None = Field(description="The key that gave it (null: the API was open).")
    created_at: str

    @classmethod
    def from_feedback(cls, feedback: Feedback) -> FeedbackOut:
        return cls(
            answer_id=feedback.answer_id,
            rating=feedback.rating,
            reason=feedback.reason,
            comment=feedback.comment,
            correction=feedback.correction,
            key_name=feedback.key_name,
            created_at=feedback.created_at.isoformat(),
        )


class AnswerOut(BaseModel):
    """An answer as kept, with its feedback (null when it has none)."""

    answer_id: str
    collection: str
    thread_id: str | None
    question: str
    rewritten_question: str | None
    answer: str
    state: AnswerState
    mode: str
    model: str
    prompt_version: str
    retrieved_chunk_ids: list[int]
    created_at: str
    feedback: FeedbackOut | None

    @classmethod
    def from_record(cls, record: AnswerRecord, feedback: Feedback | None) -> AnswerOut:
        return cls(
            answer_id=record.id,
            collection=record.collection,
            thread_id=record.thread_id,
            question=record.question,
            rewritten_question=record.rewritten_question,
            answer=record.answer,
            state=AnswerState(record.state),
            mode=record.mode,
            model=record.model,
            prompt_version=record.prompt_version,
            retrieved_chunk_ids=[source.chunk_id for source in record.sources],
            created_at=record.created_at.isoformat(),
            feedback=None if feedback is None else FeedbackOut.from_feedback(feedback),
        )
