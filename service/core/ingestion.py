"""What ingestion reports: each file's result, a batch's summary, progress callbacks, and upload jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Outcome = Literal["new", "updated", "unchanged", "failed", "removed"]


@dataclass(frozen=True)
class FileResult:
    """What happened to one file of a batch."""

    source: str
    outcome: Outcome
    document_id: str | None = None
    pages: int = 0
    chunks: int = 0
    error: str | None = None


@dataclass
class IngestSummary:
    """Counts of a batch, and every file's result."""

    collection: str
    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, outcome: Outcome) -> int:
        return sum(1 for result in self.files if result.outcome == outcome)

    @property
    def pages(self) -> int:
        return sum(result.pages for result in self.files)

    @property
    def chunks(self) -> int:
        return sum(result.chunks for result in self.files)

    def as_dict(self) -> dict[str, object]:
        return {
            "collection": self.collection,
            **{outcome: self.count(outcome) for outcome in ("new", "updated", "unchanged", "failed", "removed")},
            "pages": self.pages,
            "chunks": self.chunks,
            "seconds": round(self.seconds, 3),
            "pages_per_s": round(self.pages / self.seconds, 2) if self.seconds else 0.0,
            "failures": [{"source": r.source, "error": r.error} for r in self.files if r.outcome == "failed"],
            "removed_documents": [
                {"source": r.source, "document_id": r.document_id} for r in self.files if r.outcome == "removed"
            ],
            "files": [r.__dict__ for r in self.files],
        }


class Progress:
    """Receives progress from the pipeline; the CLI draws a bar, other callers ignore it."""

    def start(self, total_files: int | None) -> None: ...

    def file_done(self, result: FileResult) -> None: ...

    def ocr_page_done(self) -> None: ...


JobStatus = Literal["queued", "running", "done", "interrupted", "cancelled"]
UNFINISHED: tuple[JobStatus, ...] = ("queued", "running")
FINISHED: tuple[JobStatus, ...] = ("done", "interrupted", "cancelled")


@dataclass
class Job:
    """An upload being ingested; ``results`` fill in, by file name, as files finish."""

    job_id: str
    collection: str
    names: list[str]
    key_name: str | None = None
    status: JobStatus = "queued"
    results: dict[str, FileResult] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredJob:
    """A job as stored, with the process that owns it and when it was created."""

    job: Job
    owner: str
    created_at: datetime
