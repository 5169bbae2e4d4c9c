"""Uploaded files: which types the service reads, where an uploaded copy is kept, how an upload is saved
there, and deleting a document together with that copy (the same for ``DELETE /v1/documents/{id}`` and
``docqa delete``)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from ingest.parsers import PARSERS
from ingest.pipeline import IngestPipeline
from service.core.domain import DocumentRecord
from service.core.errors import InvalidInput, PayloadTooLarge
from service.engine.documents.jobs import previous_copy

Read = Callable[[int], Awaitable[bytes]]
"""Reads at most that many bytes of an uploaded file; ``b""`` at its end (``UploadFile.read``)."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()\[\]-]+")


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


def safe_name(name: str | None) -> str:
    """The upload's base name with only safe characters; never a path."""
    base = Path((name or "").replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    if not cleaned:
        raise InvalidInput(f"upload file name {name!r} is empty or unusable; give the file a name", {"field": "files"})
    return cleaned[:200]


async def save_uploads(
    folder: Path, files: Sequence[tuple[str | None, Read]], max_file_mb: float
) -> list[tuple[str, Path]]:
    """Save every file into ``folder`` (created) under a safe name, each ``(name, final_path)``.

    All or nothing: a file of an unsupported type or above ``max_file_mb`` refuses the whole request and
    leaves no part of it behind. Only complete uploads replace an earlier version of a file, which is kept
    (``previous_copy``) until the new version is ingested: a bad upload must not lose the old one.
    """
    folder.mkdir(parents=True, exist_ok=True)
    limit = int(max_file_mb * 1048576)
    saved: list[tuple[str, Path]] = []
    try:
        for filename, read in files:
            name = safe_name(filename)
            check_supported(name)
            partial = folder / f".{name}.upload"
            written = 0
            with open(partial, "wb") as handle:
                while block := await read(1 << 20):
                    written += len(block)
                    if written > limit:
                        handle.close()
                        partial.unlink(missing_ok=True)
                        raise PayloadTooLarge(
                            f"{name}: above the per-file limit of {max_file_mb:g} MiB",
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
    return final
