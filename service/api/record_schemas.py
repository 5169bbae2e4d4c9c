"""Request and response bodies of the whole-record endpoints (``routes/record.py``), with their conversions
from the engine's results (``service.engine.record.search``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from service.api.params import Name, Text
from service.api.schemas import Body, CollectionName, Filters
from service.core.citations import CitationMention
from service.engine.record.citing import AuthoritySummary, CitingDocument
from service.engine.record.search import MAX_PAGE_SIZE, RecordHit, RecordSearchResult, TermReportResult

RecordQuery: Any = Field(
    min_length=1,
    max_length=10_000,
    description='The query: words, "exact phrases", prefixes (negligen*), AND / OR / NOT, parentheses, '
    "w/N (within N words) and pre/N (before, within N words).",
)


class RecordSearchRequest(Body):
    query: Text = RecordQuery
    collection: Name = CollectionName
    filters: dict[Name, Text] = Filters
    offset: int = Field(0, ge=0, description="Hits to skip (in document order).")
    limit: int = Field(100, ge=1, le=MAX_PAGE_SIZE, description="Hits to return.")


class RecordHitOut(BaseModel):
    document_id: str
    source: str
    title: str
    page: int
    page_label: str | None = Field(description='The printed page label ("Page 3 of 12", a folio), if known.')
    paragraph: str | None = Field(description="The numbered paragraph the hit is in, if any.")
    char_start: int = Field(description="Span in the document text (pages joined by \\f).")
    char_end: int
    page_char_start: int = Field(description="Span in the page text (what /highlight takes).")
    page_char_end: int
    text: str

    @classmethod
    def from_hit(cls, hit: RecordHit) -> RecordHitOut:
        return cls(**hit.__dict__)


class DocumentHitsOut(BaseModel):
    document_id: str
    source: str
    title: str
    hits: int


class RecordSearchResponse(BaseModel):
    total: int = Field(description="Every hit in the collection, not only this page's.")
    documents: list[DocumentHitsOut] = Field(description="The documents hit, in document order, with their hits.")
    offset: int
    limit: int
    hits: list[RecordHitOut]
    took_ms: float

    @classmethod
    def from_result(cls, result: RecordSearchResult, took_ms: float) -> RecordSearchResponse:
        return cls(
            total=result.total,
            documents=[DocumentHitsOut(**document.__dict__) for document in result.documents],
            offset=result.offset,
            limit=result.limit,
            hits=[RecordHitOut.from_hit(hit) for hit in result.hits],
            took_ms=took_ms,
        )


class TermReportRequest(Body):
    terms: list[Text] = Field(
        min_length=1, description="The queries, one each (up to 1,000), in the order the report lists them."
    )
    collection: Name = CollectionName
    filters: dict[Name, Text] = Filters
    format: Literal["json", "csv"] = Field("json", description="csv: one row a query, one column a document.")


class TermCountsOut(BaseModel):
    query: str
    documents_with_hits: int
    total_hits: int
    unique_documents: int = Field(description="Documents hit by this query and by no other of the report.")


class DocumentCountsOut(BaseModel):
    document_id: str
    source: str
    title: str
    counts: list[int] = Field(description="Hits of each query, in the order of terms.")


class TermReportResponse(BaseModel):
    terms: list[TermCountsOut]
    documents: list[DocumentCountsOut]
    took_ms: float

    @classmethod
    def from_result(cls, result: TermReportResult, took_ms: float) -> TermReportResponse:
        report = result.report
        return cls(
            terms=[
                TermCountsOut(
                    query=line,
                    documents_with_hits=counts.documents_with_hits,
                    total_hits=counts.total_hits,
                    unique_documents=counts.unique_documents,
                )
                for line, counts in zip(result.lines, report.terms, strict=True)
            ],
            documents=[
                DocumentCountsOut(
                    document_id=document_id,
                    source=result.documents[document_id].source,
                    title=result.documents[document_id].title,
                    counts=list(row),
                )
                for document_id, row in report.per_document.items()
            ],
            took_ms=took_ms,
        )


class AuthoritiesRequest(Body):
    collection: Name = CollectionName
    document_id: Name | None = Field(None, description="One document's table of authorities (else the collection's).")
    filters: dict[Name, Text] = Filters


class AuthorityOut(BaseModel):
    authority: str = Field(description='The normalised citation: "550 U.S. 544", "28 U.S.C. § 1291".')
    kind: str = Field(description="case, law or journal (short, id or supra when only those were found).")
    case_name: str | None
    mentions: int = Field(description="Full citations plus the short forms, id. and supra that refer to it.")
    documents: int
    pages: list[int] = Field(description="The pages it is cited on (for one document's table).")
    pin_cites: list[str]

    @classmethod
    def from_summary(cls, summary: AuthoritySummary) -> AuthorityOut:
        return cls(**{**summary.__dict__, "pages": list(summary.pages), "pin_cites": list(summary.pin_cites)})


class AuthoritiesResponse(BaseModel):
    authorities: list[AuthorityOut]


class CitingRequest(Body):
    collection: Name = CollectionName
    cites: Text = Field(
        min_length=1, max_length=512, description='An authority ("550 U.S. 544") or words of a case name ("Twombly").'
    )
    filters: dict[Name, Text] = Filters


class CitationOut(BaseModel):
    page: int
    kind: str
    char_start: int = Field(description="Span in the page text (what /highlight takes).")
    char_end: int
    text: str
    authority: str | None
    pin_cite: str | None
    case_name: str | None = None

    @classmethod
    def from_mention(cls, mention: CitationMention) -> CitationOut:
        return cls(**mention.__dict__)  # the same fields, by design


class PageCitationsResponse(BaseModel):
    """The citations on one page, for highlighting them in the source viewer."""

    document_id: str
    page: int
    citations: list[CitationOut] = Field(description="In text order; spans are in the page text of /pages/{number}.")


class CitingDocumentOut(BaseModel):
    document_id: str
    source: str
    title: str
    mentions: int
    pin_cites: list[str]
    citations: list[CitationOut]

    @classmethod
    def from_document(cls, document: CitingDocument) -> CitingDocumentOut:
        return cls(
            document_id=document.document_id,
            source=document.source,
            title=document.title,
            mentions=len(document.mentions),
            pin_cites=list(document.pin_cites),
            citations=[CitationOut.from_mention(mention) for mention in document.mentions],
        )


class CitingResponse(BaseModel):
    authorities: list[str] = Field(description="The authorities ``cites`` named.")
    documents: list[CitingDocumentOut] = Field(description="The filings citing them, in document order.")
