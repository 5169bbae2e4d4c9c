"""Uploaded files: which types the service reads, where an uploaded copy is kept, how an upload is saved
there, and deleting a document together with that copy (the same for ``DELETE /v1/documents/{id}`` and
``docqa delete``)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

from ingest.parsers import PARSERS
from ingest.pipeline import IngestPipeline
from service.core.domain import DocumentRecord
from service.core.errors import Conflict, InvalidInput, PayloadTooLarge
from service.engine.documents.jobs import previous_copy

Submitted = TypeVar("Submitted")
Read = Callable[[int], Awaitable[bytes]]
"""Reads at most that many bytes of an uploaded file; ``b""`` at its end (``UploadFile.read``)."""


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


MAX_NAME_CHARS = 200
MAX_NAME_BYTES = 240
"""A stored name's limit in UTF-8 bytes: file systems allow 255, and ``.<name>.previous`` adds 10."""
_RESERVED = re.compile(r'[<>:"|?*]')  # not allowed in Windows file names, where a data folder may be copied
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")  # direction overrides can disguise a name ("exe.pdf")


def safe_name(name: str | None) -> str:
    """The name an upload is stored under: its base name, NFC-normalised, without control or direction-override
    characters, reserved characters as ``_``, bounded to ``MAX_NAME_CHARS`` characters and ``MAX_NAME_BYTES``
    bytes (the suffix kept). Letters of every script stay: ``契約書.pdf`` and ``証拠.pdf`` are two names."""
    text = unicodedata.normalize("NFC", name or "").replace("\\", "/")
    text = "".join(character for character in text if unicodedata.category(character) != "Cc")
    base = _RESERVED.sub("_", _BIDI.sub("", text.rsplit("/", 1)[-1])).strip(" .")
    if not base:
        raise InvalidInput(f"upload file name {name!r} is empty or unusable; give the file a name", {"field": "files"})
    suffix = Path(base).suffix if len(Path(base).suffix) <= 16 else ""
    stem = base[: len(base) - len(suffix)]
    while len(stem + suffix) > MAX_NAME_CHARS or len((stem + suffix).encode()) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return (stem.rstrip(" .") or "_") + suffix


def check_distinct(names: Sequence[tuple[str | None, str]]) -> None:
    """``InvalidInput`` naming the file when two parts of one upload are stored under one name: which one to
    keep cannot be guessed, and neither may silently replace the other."""
    first: dict[str, str | None] = {}
    for original, stored in names:
        if stored in first:
            given = f"{first[stored]!r} and {original!r}" if first[stored] != original else f"{original!r} twice"
            raise InvalidInput(
                f"files: {given} would both be stored as {stored!r}; send each file once, under its own name",
                {"field": "files", "file": stored},
            )
        first[stored] = original


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def check_not_replacing_another(folder: Path, original: str | None, stored: str, sha256: str) -> None:
    """``Conflict`` when an upload whose name had to be changed (``a/b.pdf``, a control character, a name cut
    short) lands on the name of a stored file with other content: that is a different document, which an
    upload may replace only under its own, unchanged name (a new version)."""
    target = folder / stored
    if stored == unicodedata.normalize("NFC", original or "") or not target.is_file():
        return
    if _sha256(target) != sha256:
        raise Conflict(
            f"{stored}: the upload {original!r} would be stored as {stored!r}, the name of a different document "
            "already in the collection; rename the file and upload it again",
            {"field": "files", "file": stored},
        )


async def save_uploads(
    folder: Path,
    files: Sequence[tuple[str | None, Read]],
    max_file_mb: float,
    submit: Callable[[list[tuple[str, Path]]], Submitted],
) -> Submitted:
    """Save every file into ``folder`` (created) under its ``safe_name`` and hand the ``(name, final_path)``
    pairs to ``submit`` (which queues their ingestion); what ``submit`` returns.

    All or nothing: a file of an unsupported type or above ``max_file_mb``, two files under one name, or a
    renamed file that would replace another document refuses the whole request and leaves no part of it
    behind. Only complete uploads replace an earlier version of a file, which is kept (``previous_copy``)
    until the new version is ingested: a bad upload must not lose the old one. Should ``submit`` fail, every
    file goes back as it was.
    """
    names = [(filename, safe_name(filename)) for filename, _ in files]
    for _, name in names:
        check_supported(name)
    check_distinct(names)
    folder.mkdir(parents=True, exist_ok=True)
    limit = int(max_file_mb * 1048576)
    saved: list[tuple[str, Path]] = []
    try:
        for (filename, name), (_, read) in zip(names, files, strict=True):
            partial = folder / f".{name}.upload"
            saved.append((name, partial))
            written = 0
            digest = hashlib.sha256()
            with open(partial, "wb") as handle:
                while block := await read(1 << 20):
                    written += len(block)
                    if written > limit:
                        raise PayloadTooLarge(
                            f"{name}: above the per-file limit of {max_file_mb:g} MiB",
                            {"file": name, "limit_bytes": limit},
                        )
                    digest.update(block)
                    handle.write(block)
            check_not_replacing_another(folder, filename, name, digest.hexdigest())
    except BaseException:
        for _, partial in saved:  # a refused request leaves no part of itself behind
            partial.unlink(missing_ok=True)
        raise
    final: list[tuple[str, Path]] = []
    kept_aside: list[Path] = []
    for name, partial in saved:
        target = folder / name
        previous = previous_copy(target)
        # Kept until the new version is ingested: a bad upload must not lose the old one. A previous copy
        # already there is the stored version (an upload of the same name is still queued): it stays.
        if target.exists() and not previous.exists():
            target.replace(previous)
            kept_aside.append(target)
        partial.replace(target)  # only complete uploads replace an earlier version of the file
        final.append((name, target))
    try:
        return submit(final)
    except BaseException:
        for _, target in final:  # no job took the files: each stored version goes back in place
            if target in kept_aside:
                previous_copy(target).replace(target)
            else:
                target.unlink(missing_ok=True)
        raise
