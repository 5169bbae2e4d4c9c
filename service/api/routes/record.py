"""The whole record: ``/v1/record/search`` (every hit, in document order), ``/v1/record/terms`` (search-term
reports, JSON or CSV), ``/v1/record/authorities`` (tables of authorities) and ``/v1/record/citing`` (the
filings citing an authority), and ``/v1/documents/{id}/pages/{number}/citations`` (one page's citations,
for the source viewer). Each is walled by the caller's collections, takes the metadata filters of
``/v1/search`` and is audited like it; the work is ``RecordSearch`` (``service/engine/record/search.py``)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from service.api.params import DocumentIdPath, PageNumber
from service.api.record_schemas import (
    AuthoritiesRequest,
    AuthoritiesResponse,
    AuthorityOut,
    CitationOut,
    CitingDocumentOut,
    CitingRequest,
    CitingResponse,
    PageCitationsResponse,
    RecordSearchRequest,
    RecordSearchResponse,
    TermReportRequest,
    TermReportResponse,
)
from service.api.routes.qa import audit_failure
from service.api.schemas import ErrorEnvelope
from service.api.state import JsonBody, PrincipalDep, StateDep
from service.core.errors import DocqaError, InvalidInput
from service.engine.record.search import report_csv

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorEnvelope} for code in (400, 401, 404, 413, 415, 422, 429)
}
router = APIRouter(prefix="/v1/record", tags=["record"], responses=ERRORS)
pages_router = APIRouter(prefix="/v1", tags=["record"], responses=ERRORS)
"""The citations of one page, beside the page's other routes (``/v1/documents/{id}/pages/{number}/...``)."""


@router.post(
    "/search",
    response_model=RecordSearchResponse,
    dependencies=[JsonBody],
    summary="Every hit of a query in a collection, in document order, with exact spans (paged).",
)
def record_search(body: RecordSearchRequest, state: StateDep, principal: PrincipalDep) -> RecordSearchResponse:
    """Nothing is ranked away: ``total`` counts every hit, ``hits`` is the page ``offset``..``offset+limit``.
    A query the language refuses is a 422 whose detail names the ``position``."""
    started = time.perf_counter()
    collection = state.readable_collection(principal, body.collection)
    try:
        result = state.components.record.search(collection, body.query, body.filters, body.offset, body.limit)
    except DocqaError as error:
        audit_failure(state, principal, "record_search", collection, body.query, error)
        raise
    payload = {"query": body.query, "filters": body.filters, "total": result.total, "documents": len(result.documents)}
    state.components.audit.record_search(principal, "record_search", collection, payload)
    return RecordSearchResponse.from_result(result, round(1000 * (time.perf_counter() - started), 3))


@router.post(
    "/terms",
    response_model=TermReportResponse,
    dependencies=[JsonBody],
    summary="A search-term report: per query the documents hit, total and unique hits; per document each count.",
    responses={200: {"content": {"text/csv": {}}}},
)
def term_report(body: TermReportRequest, state: StateDep, principal: PrincipalDep) -> Any:
    """With ``format=csv``, the report as a CSV file (one row a query, one column a document)."""
    started = time.perf_counter()
    collection = state.readable_collection(principal, body.collection)
    for index, term in enumerate(body.terms):
        if not term.strip() or "\n" in term or "\r" in term:
            what = "is empty" if not term.strip() else "holds a line break; give each query as its own item"
            raise InvalidInput(f"terms[{index}] {what}", detail={"field": "terms", "line": index + 1})
    lines = "\n".join(body.terms)
    try:
        result = state.components.record.term_report(collection, lines, body.filters)
    except DocqaError as error:
        audit_failure(state, principal, "term_report", collection, lines, error)
        raise
    payload = {
        "terms": body.terms,
        "filters": body.filters,
        "total_hits": [counts.total_hits for counts in result.report.terms],
    }
    state.components.audit.record_search(principal, "term_report", collection, payload)
    if body.format == "csv":
        headers = {"Content-Disposition": f'attachment; filename="{collection}-term-report.csv"'}
        return Response(report_csv(result), media_type="text/csv; charset=utf-8", headers=headers)
    return TermReportResponse.from_result(result, round(1000 * (time.perf_counter() - started), 3))


@router.post(
    "/authorities",
    response_model=AuthoritiesResponse,
    dependencies=[JsonBody],
    summary="The table of authorities of a collection or of one document (citations found at ingest).",
)
def authorities(body: AuthoritiesRequest, state: StateDep, principal: PrincipalDep) -> AuthoritiesResponse:
    collection = state.readable_collection(principal, body.collection)
    if body.document_id is not None:  # a document of another collection looks missing
        state.components.store.get_document(body.document_id, collections=[collection])
    table = state.components.authorities.table(collection, body.document_id, body.filters)
    payload = {"document_id": body.document_id, "filters": body.filters, "authorities": len(table)}
    state.components.audit.record_search(principal, "authorities", collection, payload)
    return AuthoritiesResponse(authorities=[AuthorityOut.from_summary(entry) for entry in table])


@router.post(
    "/citing",
    response_model=CitingResponse,
    dependencies=[JsonBody],
    summary="The filings that cite an authority, with their counts, pin cites and exact spans.",
)
def citing(body: CitingRequest, state: StateDep, principal: PrincipalDep) -> CitingResponse:
    collection = state.readable_collection(principal, body.collection)
    keys, documents = state.components.authorities.citing(collection, body.cites, body.filters)
    payload = {"cites": body.cites, "filters": body.filters, "authorities": keys, "documents": len(documents)}
    state.components.audit.record_search(principal, "citing", collection, payload)
    return CitingResponse(authorities=keys, documents=[CitingDocumentOut.from_document(d) for d in documents])


@pages_router.get(
    "/documents/{document_id}/pages/{number}/citations",
    response_model=PageCitationsResponse,
    summary="The citations on one page (found at ingest), with exact spans and normalised authorities.",
)
def page_citations(
    document_id: DocumentIdPath, number: PageNumber, state: StateDep, principal: PrincipalDep
) -> PageCitationsResponse:
    """What the source viewer highlights: each citation's span in the page text of
    ``/v1/documents/{document_id}/pages/{number}`` and its authority ("550 U.S. 544")."""
    record, _page = state.documents.page(document_id, number, principal)  # the walls, and a 404 past the last page
    found = state.components.authorities.on_page(record.collection, document_id, number)
    payload = {"document_id": document_id, "page": number, "citations": len(found)}
    state.components.audit.record_search(principal, "page_citations", record.collection, payload)
    return PageCitationsResponse(
        document_id=document_id, page=number, citations=[CitationOut.from_mention(mention) for mention in found]
    )
