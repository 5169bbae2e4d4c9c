"""``DocumentsService``: what the HTTP routes and the command line do with documents, walls included.

Uploads become background jobs; a delete removes the uploaded copy too; listings, pages and page views
(PNG images, highlight boxes) are read only through a collection the caller may read. A document or
collection behind a wall answers the same 404 as a missing one, so a key cannot learn what it may not read.
The command line passes no principal: the operator at the machine sees every collection.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ingest.pipeline import IngestPipeline
from service.core.access import Principal, collection_not_found
from service.core.domain import DocumentRecord, PageRecord
from service.core.errors import InvalidInput, NotFound
from service.core.ingestion import Job
from service.core.names import check_collection_name
from service.core.seams import DocumentStore
from service.engine.audit import Audit
from service.engine.documents import uploads
from service.engine.documents.jobs import JobRunner
from service.engine.documents.pdf_view import highlight_rects, ocr_highlight_rects, page_size, render_png

HighlightBoxes = tuple[float, float, list[tuple[float, float, float, float]]]
"""Page width and height in points, and boxes ``(x0, y0, x1, y1)`` on the page, origin top-left."""


class DocumentsService:
    """Documents of every collection for one set of components; ``jobs`` runs uploads (the server's only)."""

    def __init__(
        self,
        store: Callable[[], DocumentStore],
        pipeline: Callable[[str], IngestPipeline],
        audit: Audit,
        data_dir: Path,
        max_file_mb: float,
        jobs: JobRunner | None = None,
    ) -> None:
        self._store = store  # a factory: building the app must not reach the database
        self._pipeline = pipeline
        self.audit = audit
        self.data_dir = data_dir
        self.max_file_mb = max_file_mb
        self._jobs = jobs

    # --- walls -----------------------------------------------------------------------------------

    def collections(self, principal: Principal) -> dict[str, int]:
        """Document count of each collection the principal may read."""
        counts = self._store().collections()
        return {name: counts[name] for name in principal.visible(counts)}

    def readable_collection(self, principal: Principal, collection: str) -> str:
        """An existing collection the principal may read; otherwise one and the same 404."""
        if not principal.can_read(collection) or not self._store().collection_exists(collection):
            raise collection_not_found(collection)
        return collection

    def collection_for(self, principal: Principal | None, collection: str) -> str:
        """``readable_collection`` for a principal; for none (the command line: every collection), an existing
        collection, or the same 404."""
        if principal is not None:
            return self.readable_collection(principal, collection)
        if not self._store().collection_exists(collection):
            raise collection_not_found(collection)
        return collection

    def document(self, document_id: str, principal: Principal | None = None) -> DocumentRecord:
        """The document, if the principal may read its collection; otherwise the same 404 as a missing one."""
        allowed = None if principal is None else principal.collections
        return self._store().get_document(document_id, collections=allowed)

    # --- reading ---------------------------------------------------------------------------------

    def list(self, collection: str, principal: Principal | None = None) -> list[DocumentRecord]:
        """A collection's documents; with a principal, a 404 unless it exists and the principal may read it."""
        if principal is not None:
            self.readable_collection(principal, collection)
        return self._store().list_documents(collection)

    def page(self, document_id: str, number: int, principal: Principal) -> tuple[DocumentRecord, PageRecord]:
        """One page's text with its document; ``NotFound`` names the valid page range."""
        record = self.document(document_id, principal)
        return record, self._store().get_page(document_id, number)

    def page_image(self, document_id: str, number: int, principal: Principal, width: int) -> bytes:
        """The page rendered as PNG, ``width`` pixels wide (PDFs only)."""
        return render_png(self._original_pdf(document_id, number, principal), number, width)

    def page_highlight(
        self, document_id: str, number: int, principal: Principal, start: int, end: int
    ) -> HighlightBoxes:
        """Boxes covering page-text characters ``[start, end)`` on the page image (PDFs only): from the text
        layer, or on an OCR'd page from the word boxes Tesseract read."""
        if end < start:
            raise InvalidInput("end must not be before start", {"field": "end"})
        pdf = self._original_pdf(document_id, number, principal)
        page = self._store().get_page(document_id, number)
        if page.ocr_words:
            width, height = page_size(pdf, number)
            return width, height, ocr_highlight_rects(page.ocr_words, start, end)
        return highlight_rects(pdf, number, start, end)

    def _original_pdf(self, document_id: str, number: int, principal: Principal) -> Path:
        """The PDF the document was ingested from, unchanged since; otherwise a 404 that says why."""
        record = self.document(document_id, principal)
        self._store().get_page(document_id, number)  # 404 names the page range
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

    # --- writing ---------------------------------------------------------------------------------

    async def upload(
        self, collection: str, files: Sequence[tuple[str | None, uploads.Read]], principal: Principal
    ) -> Job:
        """Save the files under ``<data_dir>/uploads/<collection>/`` and queue a job that ingests them."""
        check_collection_name(collection)
        if not principal.can_read(collection):
            raise NotFound(f"collection {collection!r} not found", detail={"field": "collection"})
        principal.require_writer("upload documents")
        folder = uploads.uploads_folder(self.data_dir) / collection
        runner = self._runner()
        return await uploads.save_uploads(
            folder, files, self.max_file_mb, lambda saved: runner.submit(collection, saved, principal.key_name)
        )

    def job(self, job_id: str, principal: Principal) -> Job:
        """An upload job, if the principal may read its collection (else the same 404 as a missing one)."""
        return self._runner().get(job_id, principal.can_read)

    def cancel_job(self, job_id: str, principal: Principal) -> Job:
        """Cancel a queued or running upload job the principal may read, and audit it; the job, ``cancelled``.
        ``Conflict`` when it has finished; the same 404 as a missing one when behind a wall; ``Forbidden`` for a
        role that may not upload."""
        self.job(job_id, principal)  # the wall first: a 403 never tells a job behind it exists
        principal.require_writer("cancel upload jobs")
        job = self._runner().cancel(job_id, principal.can_read)
        self.audit.job_cancelled(principal.key_name, job)
        return job

    def delete(
        self, document_id: str, principal: Principal | None = None, wait_s: float | None = None
    ) -> DocumentRecord:
        """Delete a document's rows, text and vectors and its uploaded copy, and audit it; the record deleted.

        Waits at most ``wait_s`` (None: as long as it takes) for another writer of its collection, then
        raises ``Conflict``. A principal whose role may not delete gets ``Forbidden`` (only for a document it
        may read: any other is the same 404 as a missing one)."""
        record = self.document(document_id, principal)
        if principal is not None:
            principal.require_writer("delete documents")
        uploads.delete_document(record, self._pipeline(record.collection), self.data_dir, wait_s)
        self.audit.deleted(None if principal is None else principal.key_name, record)
        return record

    def _runner(self) -> JobRunner:
        if self._jobs is None:
            raise RuntimeError("uploads need a JobRunner; build the service with jobs= (the HTTP app does)")
        return self._jobs
