"""Collections, documents, pages, uploads (background jobs) and deletes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response

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
from service.api.state import AppState, MultipartBody, PrincipalDep, StateDep
from service.core.access import OPEN, Principal
from service.core.domain import DocumentRecord
from service.core.errors import InvalidInput, NotFound, PayloadTooLarge
from service.core.names import check_collection_name
from service.engine.documents import uploads
from service.engine.documents.jobs import previous_copy
from service.engine.documents.pdf_view import highlight_rects, render_png

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorEnvelope} for code in (400, 401, 404, 409, 413, 415, 422, 429)
}
router = APIRouter(prefix="/v1", tags=["documents"], responses=ERRORS)
_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()\[\]-]+")


@router.get("/whoami", response_model=WhoAmI, summary="The caller's key and the collections it may read.")
def whoami(state: StateDep, principal: PrincipalDep) -> WhoAmI:
    visible = principal.visible(state.components.store.collections())
    return WhoAmI(
        auth_required=principal is not OPEN, key_name=principal.key_name, admin=principal.admin, collections=visible
    )


@router.get("/collections", response_model=CollectionsResponse, summary="Collections the caller may read.")
def collections(state: StateDep, principal: PrincipalDep) -> CollectionsResponse:
    counts = state.components.store.collections()
    return CollectionsResponse(
        collections=[CollectionOut(name=name, document_count=counts[name]) for name in principal.visible(counts)]
    )


@router.get(
    "/collections/{collection}/documents", response_model=DocumentsResponse, summary="A collection's documents."
)
def list_documents(collection: str, state: StateDep, principal: PrincipalDep) -> DocumentsResponse:
    state.readable_collection(principal, collection)
    records = state.components.store.list_documents(collection)
    return DocumentsResponse(documents=[DocumentOut.from_record(record) for record in records])


def safe_name(name: str | None) -> str:
    """The upload's base name with only safe characters; never a path."""
    base = Path((name or "").replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    if not cleaned:
        raise InvalidInput(f"upload file name {name!r} is empty or unusable; give the file a name", {"field": "files"})
    return cleaned[:200]


@router.post(
    "/collections/{collection}/documents",
    status_code=202,
    response_model=JobCreated,
    dependencies=[MultipartBody],
    summary="Upload files; they are ingested by a background job (see /v1/jobs/{job_id}).",
)
async def upload(
    collection: str,
    state: StateDep,
    principal: PrincipalDep,
    files: Annotated[list[UploadFile], File(description="One or more documents.")],
) -> JobCreated:
    check_collection_name(collection)
    if not principal.can_read(collection):
        raise NotFound(f"collection {collection!r} not found", detail={"field": "collection"})
    folder = uploads.uploads_folder(state.settings.data_dir) / collection
    folder.mkdir(parents=True, exist_ok=True)
    limit = int(state.settings.ingest.max_file_mb * 1048576)
    saved: list[tuple[str, Path]] = []
    try:
        for upload_file in files:
            name = safe_name(upload_file.filename)
            uploads.check_supported(name)
            partial = folder / f".{name}.upload"
            written = 0
            with open(partial, "wb") as handle:
                while block := await upload_file.read(1 << 20):
                    written += len(block)
                    if written > limit:
                        handle.close()
                        partial.unlink(missing_ok=True)
                        raise PayloadTooLarge(
                            f"{name}: above the per-file limit of {state.settings.ingest.max_file_mb:g} MiB",
                            {"file": name, "limit_bytes": limit},
                        )
                    handle.write(block)
            saved.append((name, partial))
    except BaseException:
        for _, partial in saved:  # a refused request leaves no part of itself behind
            partial.unlink(missing_ok=True)
        raise
    final: list[tuple[str, Path]] = []
    for name, partial in saved:
        target = folder / name
        if target.exists():  # kept until the new version is ingested: a bad upload must not lose the old one
            target.replace(previous_copy(target))
        partial.replace(target)  # only complete uploads replace an earlier version of the file
        final.append((name, target))
    job = state.jobs.submit(collection, final, principal.key_name)
    return JobCreated(job_id=job.job_id)


@router.get("/jobs/{job_id}", response_model=JobOut, summary="An upload job's status and per-file results.")
def job_status(job_id: str, state: StateDep, principal: PrincipalDep) -> JobOut:
    """Any server process answers, and jobs outlive restarts. A job is ``interrupted`` when the process
    running it stopped before it finished: its files still ``pending`` were not ingested; upload them again."""
    job = state.jobs.get(job_id, principal.can_read)
    files = [
        JobFileOut(
            name=name,
            outcome=job.results[name].outcome if name in job.results else "pending",
            document_id=job.results[name].document_id if name in job.results else None,
            error=job.results[name].error if name in job.results else None,
        )
        for name in job.names
    ]
    return JobOut(job_id=job.job_id, collection=job.collection, status=job.status, files=files)


def readable_document(state: AppState, principal: Principal, document_id: str) -> DocumentRecord:
    """The document if the caller may read its collection; otherwise the same 404 as a missing one."""
    allowed = None if principal.collections is None else principal.collections
    return state.components.store.get_document(document_id, collections=allowed)


@router.get("/documents/{document_id}", response_model=DocumentOut, summary="One document.")
def get_document(document_id: str, state: StateDep, principal: PrincipalDep) -> DocumentOut:
    return DocumentOut.from_record(readable_document(state, principal, document_id))


DELETE_WAIT_S = 10.0
"""How long a delete waits for an ingest writing the same collection before it answers 409."""


@router.delete(
    "/documents/{document_id}",
    status_code=204,
    summary="Delete a document: rows, text and vectors (409 while an ingest writes its collection).",
)
def delete_document(document_id: str, state: StateDep, principal: PrincipalDep) -> Response:
    record = readable_document(state, principal, document_id)
    uploads.delete_document(
        record, state.components.pipeline(record.collection), state.settings.data_dir, DELETE_WAIT_S
    )
    state.components.audit.deleted(principal.key_name, record)
    return Response(status_code=204)


@router.get("/documents/{document_id}/pages/{number}", response_model=PageOut, summary="One page's text.")
def get_page(document_id: str, number: int, state: StateDep, principal: PrincipalDep) -> PageOut:
    record = readable_document(state, principal, document_id)
    return PageOut.from_page(record, state.components.store.get_page(document_id, number))


def original_pdf(state: AppState, principal: Principal, document_id: str, number: int) -> Path:
    record = readable_document(state, principal, document_id)
    state.components.store.get_page(document_id, number)  # 404 names the page range
    origin = Path(record.origin) if record.origin else None
    if record.media_type != "application/pdf" or origin is None:
        raise NotFound("no page image: the document is not a PDF; use the page text")
    try:
        stat = origin.stat()
    except OSError as error:
        raise NotFound("no page image: the original file is no longer where it was ingested from") from error
    if (stat.st_size, stat.st_mtime_ns) != (record.size_bytes, record.mtime_ns):
        raise NotFound("no page image: the original file changed since it was ingested; ingest it again")
    return origin


@router.get(
    "/documents/{document_id}/pages/{number}/image",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
    summary="The page rendered as PNG (PDFs only).",
)
def page_image(
    document_id: str,
    number: int,
    state: StateDep,
    principal: PrincipalDep,
    width: Annotated[int, Query(ge=200, le=2400)] = 1100,
) -> Response:
    path = original_pdf(state, principal, document_id, number)
    return Response(render_png(path, number, width), media_type="image/png", headers={"Cache-Control": "private"})


@router.get(
    "/documents/{document_id}/pages/{number}/highlight",
    response_model=HighlightOut,
    summary="Boxes covering page-text characters [start, end) on the page image (PDFs only).",
)
def page_highlight(
    document_id: str,
    number: int,
    state: StateDep,
    principal: PrincipalDep,
    start: Annotated[int, Query(ge=0)],
    end: Annotated[int, Query(ge=0)],
) -> HighlightOut:
    if end < start:
        raise InvalidInput("end must not be before start", {"field": "end"})
    path = original_pdf(state, principal, document_id, number)
    width, height, rects = highlight_rects(path, number, start, end)
    return HighlightOut(width=width, height=height, rects=rects)
