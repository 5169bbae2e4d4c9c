"""Background ingestion of uploaded files: one worker thread per process, one job per upload request.

Uploads are saved under ``<data_dir>/uploads/<collection>/`` (the source viewer renders page
images from them) and ingested through the same pipeline as the CLI. Jobs live behind the ``JobStore``
seam (SQL, table ``upload_jobs``): the process that took the upload runs the job and records its status and each
file's result as that file finishes, so any server process answers a status poll and a restart
keeps every job. A job whose process died before finishing it reads as ``interrupted``: its files
without a result were not ingested and must be uploaded again. Every document's own status and
error are in SQL too, as for the CLI.

Each file is parsed in a child process (``ingest.parse_worker.ParseWorker``) limited to
``DOCQA_INGEST__WORKER_MEMORY_MB`` of address space and ``DOCQA_INGEST__MAX_PARSE_S`` of wall time, so a runaway
file costs that process, never the server's requests; a child that dies fails only its file.

With ``DOCQA_RAY__ADDRESS`` set, the job's pipeline reads and embeds its files on that Ray cluster
(``ingest.ray_ingest``), a few files ahead, and stores each here as above; the parse worker's limits are then the
cluster's (a Ray worker that dies on a file is replaced, the file retried, then failed with a reason).

A queued or running job can be cancelled (``cancel``, from any server process: the mark is in SQL, and the
runner looks at it before each file and about once a second while a file is parsed, killing the parse; on Ray,
only between files: the file awaited is stored first, and the files read ahead are cancelled there). Files
not done by then are not ingested: their uploaded copies are removed, and a replaced document keeps its
original; the job reads ``cancelled``.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from ingest.discover import Candidate
from ingest.parse_worker import ParseCancelled, ParseWorker
from ingest.pipeline import IngestPipeline, ParseRunner, parse_here
from service.core.errors import Conflict, NotFound
from service.core.ingestion import UNFINISHED, FileResult, Job
from service.core.seams import JobStore

CANCEL_CHECK_S = 1.0
"""How often a running job looks in the ``JobStore`` for a cancel made by another server process."""

START_SLACK_S = 1.0
"""How much later than a job's creation its owner may seem to have started (``/proc/stat`` gives
the boot time in whole seconds) before its pid counts as reused."""

log = logging.getLogger("docqa")


def previous_copy(path: Path) -> Path:
    """Where an upload puts the file it replaces until the new version is ingested (or fails)."""
    return path.with_name(f".{path.name}.previous")


def process_owner() -> str:
    """This process as the owner of the jobs it runs: ``"<host>:<pid>"``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def process_start(pid: int) -> float | None:
    """When process ``pid`` started, in seconds since the epoch; None where ``/proc`` cannot tell."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(line for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime "))
    except (OSError, StopIteration):
        return None
    ticks = int(stat.rpartition(")")[2].split()[19])  # field 22, starttime; the name before ")" may hold spaces
    return int(boot.split()[1]) + ticks / os.sysconf("SC_CLK_TCK")


def owner_gone(owner: str, created_at: datetime) -> bool:
    """Whether the process that owns a job, created at ``created_at``, is known to have died.

    Only processes on this host can be checked; an owner elsewhere counts as alive.
    """
    host, _, pid_text = owner.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) <= 0:
        return False
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, but another user's
    # A live pid is not proof: a restarted container runs docqa again with the same hostname and,
    # as pid 1 or its first workers, the same pids. A process that started after the job was
    # created cannot be the one that created it.
    started = process_start(pid)
    return started is not None and started > created_at.timestamp() + START_SLACK_S


class JobRunner:
    """Runs ingestion jobs one at a time per process, each under its collection's writer lock (so no
    other process writes that collection meanwhile), and keeps every job in the ``JobStore``, where any process
    reads it.

    ``store`` is called on first use, so an app starts while its database is down (``/readyz`` says so).
    With ``worker_memory_mb``, files are parsed in a child process limited to that much address space;
    without, in this process (under the same parse limits).
    """

    def __init__(
        self,
        store: Callable[[], JobStore],
        pipeline: Callable[[str], IngestPipeline],
        on_file_done: Callable[[Job, FileResult], None] | None = None,
        max_jobs: int = 1000,
        worker_memory_mb: float | None = None,
    ) -> None:
        self._store = store
        self._pipeline = pipeline
        self._on_file_done = on_file_done
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="docqa-ingest")
        self._max_jobs = max_jobs
        self.worker = ParseWorker(worker_memory_mb) if worker_memory_mb else None
        self._cancelled: set[str] = set()  # cancelled through this process: seen at once, without SQL
        self._checked: dict[str, float] = {}  # job id: when the store was last asked about a cancel
        self._lock = threading.Lock()
        self._queued = 0  # jobs submitted and not finished; the worker process is stopped when none is left

    def submit(self, collection: str, files: list[tuple[str, Path]], key_name: str | None = None) -> Job:
        """Record a job for ``(name, saved_path)`` files and queue it for ingestion into ``collection``."""
        job = Job(secrets.token_hex(8), collection, [name for name, _ in files], key_name)
        # the owner is this process now, not at construction: a server may fork after building its app
        self._store().add(job, process_owner(), owner_gone, self._max_jobs)
        with self._lock:
            self._queued += 1
        future = self._executor.submit(self._run, job, files)
        future.add_done_callback(lambda done: _log_failure(job, done))
        return job

    def get(self, job_id: str, can_read: Callable[[str], bool]) -> Job:
        """A job, if the caller may read its collection (else the same NotFound as a missing one)."""
        stored = self._store().get(job_id)
        if stored is None or not can_read(stored.job.collection):
            raise NotFound(f"job {job_id!r} not found")
        job = stored.job
        if job.status in UNFINISHED and owner_gone(stored.owner, stored.created_at):
            job.status = "interrupted"
        return job

    def cancel(self, job_id: str, can_read: Callable[[str], bool]) -> Job:
        """Cancel a queued or running job the caller may read; ``Conflict`` when it has finished already."""
        job = self.get(job_id, can_read)
        if job.status not in UNFINISHED or not self._store().cancel(job_id):
            status = self.get(job_id, can_read).status
            raise Conflict(
                f"job {job_id!r} is {status}: only a queued or running job can be cancelled",
                {"job_id": job_id, "status": status},
            )
        with self._lock:
            self._cancelled.add(job_id)
        return self.get(job_id, can_read)

    def _is_cancelled(self, job: Job, ask_now: bool = False) -> bool:
        with self._lock:
            if job.job_id in self._cancelled:
                return True
            now = time.monotonic()
            if not ask_now and now - self._checked.get(job.job_id, 0.0) < CANCEL_CHECK_S:
                return False
            self._checked[job.job_id] = now
        stored = self._store().get(job.job_id)
        return stored is not None and stored.job.status == "cancelled"

    def _save(self, job: Job) -> None:
        self._store().save(job)

    def _run(self, job: Job, files: list[tuple[str, Path]]) -> None:
        cancelled = True
        try:
            if not self._is_cancelled(job, ask_now=True):
                job.status = "running"
                self._save(job)
                cancelled = not self._ingest(job, files)
        finally:
            if cancelled:
                _discard([(name, path) for name, path in files if name not in job.results])
            job.status = "cancelled" if cancelled else "done"
            self._save(job)
            with self._lock:
                self._cancelled.discard(job.job_id)
                self._checked.pop(job.job_id, None)
                self._queued -= 1
                idle = self._queued == 0
            if idle and self.worker is not None:
                self.worker.close()  # its memory goes back while no upload waits; the next job starts another

    def _parser(self, job: Job) -> ParseRunner:
        if self.worker is None:
            return parse_here
        self.worker.should_stop = lambda: self._is_cancelled(job)
        return self.worker

    def _ingest(self, job: Job, files: list[tuple[str, Path]]) -> bool:
        """Ingest the files in order; False when the job was cancelled before the last was done."""
        pipeline = self._pipeline(job.collection)
        parse = self._parser(job)
        with pipeline.writing():  # one writer per collection, across processes; saves before it lets go
            # Serial: each file is read when the previous result is taken, after the cancel check. On Ray a few
            # files are read ahead; a cancel stops the rest, and no file is stored after it.
            results = pipeline.results([Candidate(path, name) for name, path in files], parse)
            for name, path in files:
                if self._is_cancelled(job, ask_now=True):
                    results.close()
                    return False
                try:
                    result = next(results)
                except ParseCancelled:
                    return False
                previous = previous_copy(path)
                if previous.exists():
                    if result.outcome == "failed":
                        # The stored version was kept (the pipeline's rule); so is its original file,
                        # which the source viewer renders page images and highlights from.
                        previous.replace(path)
                    else:
                        previous.unlink()
                job.results[name] = result
                self._save(job)
                if self._on_file_done:
                    self._on_file_done(job, result)
        return True

    def wait_idle(self, timeout_s: float = 60) -> None:
        """Block until queued jobs finish (tests and shutdown)."""
        self._executor.submit(lambda: None).result(timeout=timeout_s)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=False)
        if self.worker is not None:
            self.worker.close()


def _discard(files: list[tuple[str, Path]]) -> None:
    """Files of a cancelled job that were not ingested: an upload that replaced a document's original gives
    the original back; a new file is removed (no document refers to it)."""
    for _, path in files:
        previous = previous_copy(path)
        if previous.exists():
            previous.replace(path)
        else:
            path.unlink(missing_ok=True)


def _log_failure(job: Job, done: Future[None]) -> None:
    """A job's exception would otherwise stay unseen in its future."""
    error = done.exception()
    if error is not None:
        log.error("upload job %s into %r stopped: %s", job.job_id, job.collection, error, exc_info=error)
