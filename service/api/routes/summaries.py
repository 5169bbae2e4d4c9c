"""Summaries of filings and a matter's chronology over HTTP (``service/engine/summaries/service.py``): walled like
every read of a matter, and audited."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import AfterValidator, BaseModel, Field

from service.api.params import MAX_NAME_CHARS, DocumentIdPath, check_name
from service.api.schemas import ClaimOut, ErrorEnvelope
from service.api.state import AppState, PrincipalDep, StateDep
from service.core.summaries import StoredEvent, SummaryLine
from service.engine.summaries.export import chronology_csv, event_row
from service.engine.summaries.generated import GeneratedSummary
from service.engine.summaries.service import SummariesService, headline

ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorEnvelope} for code in (401, 404, 422, 429)}
router = APIRouter(prefix="/v1", tags=["summaries"], responses=ERRORS)

SummaryField = Literal["court", "parties", "docket", "document_type", "date", "disposition", "relief", "holding"]
EventKind = Literal["filed", "decided", "hearing", "signed", "due", "accident", "contract", "other"]
CollectionQuery = Annotated[
    str,
    Query(min_length=1, max_length=MAX_NAME_CHARS, description="The collection (matter)."),
    AfterValidator(check_name),
]


class SummaryLineOut(BaseModel):
    field: SummaryField = Field(description="What the line says: court, parties, docket, ..., disposition, holding.")
    text: str = Field(description="The document's own words (a sentence, or its metadata).")
    page: int | None = Field(description="The page it is on; null for metadata that no page spells out.")
    start: int | None = Field(description="Page-text character offset where it starts.")
    end: int | None = Field(description="Page-text character offset just after it.")

    @classmethod
    def of(cls, line: SummaryLine) -> SummaryLineOut:
        return cls(
            field=line.field,
            text=line.text,
            page=line.page,
            start=line.char_start,
            end=line.char_end,
        )


class GeneratedOut(BaseModel):
    model: str = Field(description="The LLM that wrote it.")
    text: str = Field(description="The summary, each sentence citing the numbered summary lines it rests on ([n]).")
    state: Literal["answered", "low_support", "not_found"] = Field(
        description="answered: every sentence supported; low_support: some are marked; not_found: none supported."
    )
    claims: list[ClaimOut] = Field(description="Each sentence checked like an answer: supported, or why not.")

    @classmethod
    def of(cls, generated: GeneratedSummary) -> GeneratedOut:
        return cls(
            model=generated.model,
            text=generated.text,
            state=generated.state,
            claims=[ClaimOut.from_claim(claim) for claim in generated.claims],
        )


class SummaryOut(BaseModel):
    document_id: str
    collection: str
    title: str
    source: str
    sha256: str = Field(description="The document version the summary was made from.")
    headline: SummaryLineOut | None = Field(description="The one line that says most: disposition, relief sought...")
    lines: list[SummaryLineOut] = Field(
        description="Court, parties, docket, type, date, disposition or relief, holdings."
    )
    generated: GeneratedOut | None = Field(
        None,
        description="With generated=true: the LLM's summary of the lines, checked like an answer ([n] is lines[n-1]).",
    )


class HeadlineOut(SummaryLineOut):
    document_id: str


class HeadlinesResponse(BaseModel):
    collection: str
    headlines: list[HeadlineOut]


class EventOut(BaseModel):
    date: str = Field(description="ISO date, YYYY-MM-DD.")
    kind: EventKind
    document_id: str
    source: str
    title: str
    page: int
    start: int = Field(description="Page-text character offset where the sentence starts.")
    end: int = Field(description="Page-text character offset just after the sentence.")
    sentence: str = Field(description="The sentence that dates the event, on one line.")

    @classmethod
    def of(cls, stored: StoredEvent) -> EventOut:
        return cls.model_validate(event_row(stored))


class ChronologyResponse(BaseModel):
    collection: str
    events: list[EventOut]


def _service(state: AppState) -> SummariesService:
    return state.components.summaries(state.documents)


@router.get("/documents/{document_id}/summary", response_model=SummaryOut, summary="A document's extractive summary.")
def document_summary(
    document_id: DocumentIdPath,
    state: StateDep,
    principal: PrincipalDep,
    generated: Annotated[
        bool, Query(description="Also the configured LLM's summary, checked like an answer (422 without an LLM).")
    ] = False,
) -> SummaryOut:
    """Court, parties, docket number, document type, date, disposition or relief sought and key holdings, each line
    the document's own words with its page and page-text span (which open the source viewer). Made at ingest for
    each version of the document."""
    found = _service(state).summary(document_id, principal, generated)
    top = headline(found.lines)
    return SummaryOut(
        document_id=found.document.id,
        collection=found.document.collection,
        title=found.document.title,
        source=found.document.source,
        sha256=found.document.sha256,
        headline=SummaryLineOut.of(top) if top is not None else None,
        lines=[SummaryLineOut.of(line) for line in found.lines],
        generated=GeneratedOut.of(found.generated) if found.generated is not None else None,
    )


@router.get("/summaries", response_model=HeadlinesResponse, summary="Each document's one-line summary.")
def collection_headlines(state: StateDep, principal: PrincipalDep, collection: CollectionQuery) -> HeadlinesResponse:
    """The headline of every summarised document of the collection: its disposition, relief sought or first
    holding, else its type and title."""
    found = _service(state).headlines(collection, principal)
    return HeadlinesResponse(
        collection=collection,
        headlines=[
            HeadlineOut(document_id=document_id, **SummaryLineOut.of(line).model_dump())
            for document_id, line in found.items()
        ],
    )


@router.get(
    "/chronology",
    response_model=ChronologyResponse,
    responses={200: {"content": {"text/csv": {}}}},
    summary="A matter's dated events in time order (JSON, or CSV with format=csv).",
)
def chronology(
    state: StateDep,
    principal: PrincipalDep,
    collection: CollectionQuery,
    kind: Annotated[
        list[EventKind] | None, Query(description="Only events of these kinds (repeat the parameter).")
    ] = None,
    format: Annotated[Literal["json", "csv"], Query(description="json (default) or csv.")] = "json",
) -> Any:
    """Every dated event of the collection's documents (filed, decided, hearing, signed, due, accident, contract,
    other), by date, each with its sentence, document, page and page-text span."""
    found = _service(state).chronology(collection, principal, kind)
    if format == "csv":
        return Response(
            chronology_csv(found),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="chronology.csv"'},
        )
    return ChronologyResponse(collection=collection, events=[EventOut.of(stored) for stored in found])
