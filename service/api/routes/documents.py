"""Collections, documents, pages, uploads (background jobs) and deletes: each route is one call into
``DocumentsService`` (``service/engine/documents/service.py``), which checks the walls."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response

from service.api.params import MAX_INT, CollectionPath, DocumentIdPath, JobIdPath, PageNumber
from service.api.schemas import (
    CollectionOut,
    CollectionsResponse,
    DocumentOut,
    DocumentsResponse,
    ErrorEnvelope,
    HighlightOut,
    JobCreated,
    JobFileOut,
    JobOut,
    PageOut,
    WhoAmI,
)
from service.api.state import MultipartBody, PrincipalDep, StateDep
from service.core.access import OPEN
from service.core.ingestion import Job

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorEnvelope} for code in (400, 401, 403, 404, 409, 413, 415, 422, 429)
}
router = APIRouter(prefix="/v1", tags=["documents"], responses=ERRORS)


@router.get("/whoami", response_model=WhoAmI, summary="The caller's key and the collections it may read.")
def whoami(state: StateDep, principal: PrincipalDep) -> WhoAmI:
    visible = list(state.documents.collections(principal))
    return WhoAmI(
        auth_required=principal is not OPEN,
        key_name=principal.key_name,
        role=principal.role,
        admin=principal.admin,
        collections=visible,
    )


@router.get("/collections", response_model=CollectionsResponse, summary="Collections the caller may read.")
def collections(state: StateDep, principal: PrincipalDep) -> CollectionsResponse:
    counts = state.documents.collections(principal)
    return CollectionsResponse(
        collections=[CollectionOut(name=name, document_count=count) for name, count in counts.items()]
    )


@router.get(
    "/collections/{collection}/documents", response_model=DocumentsResponse, summary="A collection's documents."
)
def list_documents(collection: CollectionPath, state: StateDep, principal: PrincipalDep) -> DocumentsResponse:
    records = state.documents.list(collection, principal)
    return DocumentsResponse(documents=[DocumentOut.from_record(record) for record in records])


@router.post(
    "/collections/{collection}/documents",
    status_code=202,
    response_model=JobCreated,
    dependencies=[MultipartBody],
    summary="Upload files; they are ingested by a background job (see /v1/jobs/{job_id}).",
)
async def upload(
    collection: CollectionPath,
    state: StateDep,
    principal: PrincipalDep,
    files: Annotated[list[UploadFile], File(description="One or more documents.")],
) -> JobCreated:
    job = await state.documents.upload(collection, [(file.filename, file.read) for file in files], principal)
    return JobCreated(job_id=job.job_id)


def job_out(job: Job) -> JobOut:
    """A job as the API shows it; a file without a result is ``pending``, or ``cancelled`` in a cancelled job."""
    waiting = "cancelled" if job.status == "cancelled" else "pending"
    files = [
        JobFileOut(
            name=name,
            outcome=job.results[name].outcome if name in job.results else waiting,
            document_id=job.results[name].document_id if name in job.results else None,
            error=job.results[name].error if name in job.results else None,
        )
        for name in job.names
    ]
    return JobOut(job_id=job.job_id, collection=job.collection, status=job.status, files=files)


@router.get("/jobs/{job_id}", response_model=JobOut, summary="An upload job's status and per-file results.")
def job_status(job_id: JobIdPath, state: StateDep, principal: PrincipalDep) -> JobOut:
    """Any server process answers, and jobs outlive restarts. A job is ``interrupted`` when the process
    running it stopped before it finished: its files still ``pending`` were not ingested; upload them again."""
    return job_out(state.documents.job(job_id, principal))


@router.delete(
    "/jobs/{job_id}",
    response_model=JobOut,
    summary="Cancel a queued or running upload job: files not done yet are not ingested (409 once it finished).",
)
def cancel_job(job_id: JobIdPath, state: StateDep, principal: PrincipalDep) -> JobOut:
    """Any server process takes the cancel; the process running the job stops within about a second, killing
    the parse of the file in progress. Files already done stay ingested; the others are not, their uploaded
    copies are removed and a document they would have replaced keeps its stored version. Audited."""
    return job_out(state.documents.cancel_job(job_id, principal))


@router.get("/documents/{document_id}", response_model=DocumentOut, summary="One document.")
def get_document(document_id: DocumentIdPath, state: StateDep, principal: PrincipalDep) -> DocumentOut:
    return DocumentOut.from_record(state.documents.document(document_id, principal))


DELETE_WAIT_S = 10.0
"""How long a delete waits for an ingest writing the same collection before it answers 409."""


@router.delete(
    "/documents/{document_id}",
    status_code=204,
    summary="Delete a document: rows, text and vectors (409 while an ingest writes its collection).",
)
def delete_document(document_id: DocumentIdPath, state: StateDep, principal: PrincipalDep) -> Response:
    state.documents.delete(document_id, principal, wait_s=DELETE_WAIT_S)
    return Response(status_code=204)


@router.get("/documents/{document_id}/pages/{number}", response_model=PageOut, summary="One page's text.")
def get_page(document_id: DocumentIdPath, number: PageNumber, state: StateDep, principal: PrincipalDep) -> PageOut:
    return PageOut.from_page(*state.documents.page(document_id, number, principal))


@router.get(
    "/documents/{document_id}/pages/{number}/image",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
    summary="The page rendered as PNG (PDFs only).",
)
def page_image(
    document_id: DocumentIdPath,
    number: PageNumber,
    state: StateDep,
    principal: PrincipalDep,
    width: Annotated[int, Query(ge=200, le=2400)] = 1100,
) -> Response:
    image = state.documents.page_image(document_id, number, principal, width)
    return Response(image, media_type="image/png", headers={"Cache-Control": "private"})


@router.get(
    "/documents/{document_id}/pages/{number}/highlight",
    response_model=HighlightOut,
    summary="Boxes covering page-text characters [start, end) on the page image (PDFs only).",
)
def page_highlight(
    document_id: DocumentIdPath,
    number: PageNumber,
    state: StateDep,
    principal: PrincipalDep,
    start: Annotated[int, Query(ge=0, le=MAX_INT)],
    end: Annotated[int, Query(ge=0, le=MAX_INT)],
) -> HighlightOut:
    width, height, rects = state.documents.page_highlight(document_id, number, principal, start, end)
    return HighlightOut(width=width, height=height, rects=[list(rect) for rect in rects])
