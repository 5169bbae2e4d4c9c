"""Background ingestion of uploaded files: one worker thread, one job per upload request.

Uploads are saved under ``<data_dir>/uploads/<collection>/`` (the source viewer renders page
images from them) and ingested through the same pipeline as the CLI. Jobs live in memory: after
a restart their status is gone, but every document's own status and error stay in SQL.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ingest.discover import Candidate
from ingest.pipeline import FileResult, IngestPipeline
from service.errors import NotFound

JobStatus = Literal["queued", "running", "done"]


def previous_copy(path: Path) -> Path:
    """Where an upload puts the file it replaces until the new version is ingested (or fails)."""
    return path.with_name(f".{path.name}.previous")


@dataclass
class Job:
    """An upload being ingested; ``files`` fill in as they finish."""

    job_id: str
    collection: str
    names: list[str]
    key_name: str | None = None
    status: JobStatus = "queued"
    results: dict[str, FileResult] = field(default_factory=dict)


class JobRunner:
    """Runs ingestion jobs one at a time, so writes to an index never interleave."""

    def __init__(
        self,
        pipeline: Callable[[str], IngestPipeline],
        on_file_done: Callable[[Job, FileResult], None] | None = None,
        max_jobs: int = 1000,
    ) -> None:
        self._pipeline = pipeline
        self._on_file_done = on_file_done
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="docqa-ingest")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._max_jobs = max_jobs

    def submit(self, collection: str, files: list[tuple[str, Path]], key_name: str | None = None) -> Job:
        """Queue ``(name, saved_path)`` files for ingestion into ``collection``."""
        job = Job(secrets.token_hex(8), collection, [name for name, _ in files], key_name)
        with self._lock:
            if len(self._jobs) >= self._max_jobs:  # forget the oldest finished jobs
                for old in [j for j in self._jobs.values() if j.status == "done"][: self._max_jobs // 10 or 1]:
                    del self._jobs[old.job_id]
            self._jobs[job.job_id] = job
        self._executor.submit(self._run, job, files)
        return job

    def get(self, job_id: str, can_read: Callable[[str], bool]) -> Job:
        """A job, if the caller may read its collection (else the same NotFound as a missing one)."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or not can_read(job.collection):
            raise NotFound(f"job {job_id!r} not found")
        return job

    def _run(self, job: Job, files: list[tuple[str, Path]]) -> None:
        job.status = "running"
        pipeline = self._pipeline(job.collection)
        try:
            with pipeline.writing():
                self._ingest(job, files, pipeline)
        finally:
            job.status = "done"

    def _ingest(self, job: Job, files: list[tuple[str, Path]], pipeline: IngestPipeline) -> None:
        for name, path in files:
            result = pipeline.ingest_file(Candidate(path, name))
            previous = previous_copy(path)
            if previous.exists():
                if result.outcome == "failed":
                    # The stored version was kept (the pipeline's rule); so is its original file,
                    # which the source viewer renders page images and highlights from.
                    previous.replace(path)
                else:
                    previous.unlink()
            job.results[name] = result
            if self._on_file_done:
                self._on_file_done(job, result)

    def wait_idle(self, timeout_s: float = 60) -> None:
        """Block until queued jobs finish (tests and shutdown)."""
        self._executor.submit(lambda: None).result(timeout=timeout_s)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=False)
