"""Uploaded files: which types the service reads, where an uploaded copy is kept, and deleting a document
together with that copy (the same for ``DELETE /v1/documents/{id}`` and ``docqa delete``)."""

from __future__ import annotations

from pathlib import Path

from ingest.parsers import PARSERS
from ingest.pipeline import IngestPipeline
from service.core.domain import DocumentRecord
from service.core.errors import InvalidInput


def uploads_folder(data_dir: Path) -> Path:
    """Where uploads are kept, one folder per collection (the source viewer renders pages from them)."""
    return data_dir / "uploads"


def check_supported(name: str) -> None:
    """``InvalidInput`` naming the file and the types docqa reads, unless a parser reads ``name``."""
    if Path(name).suffix.lower() not in PARSERS:
        known = ", ".join(sorted(PARSERS))
        raise InvalidInput(f"{name}: unsupported file type (docqa reads {known})", {"field": "files", "file": name})


def delete_document(
    record: DocumentRecord, pipeline: IngestPipeline, data_dir: Path, wait_s: float | None = None
) -> None:
    """Delete the document's rows, text and vectors (waiting at most ``wait_s`` for another writer of its
    collection), then its uploaded copy. A file the document was ingested from elsewhere is the user's own,
    and stays."""
    pipeline.delete(record.id, wait_s=wait_s)
    uploads = uploads_folder(data_dir).resolve()
    origin = Path(record.origin) if record.origin else None
    if origin and origin.is_relative_to(uploads):
        origin.unlink(missing_ok=True)
