"""The ``JobStore`` contract (``service.core.seams``), over every implementation: ``SqlJobStore`` on SQLite and on
PostgreSQL. A job reads back as saved; adding one marks the unfinished jobs of gone owners interrupted and forgets
finished jobs beyond the newest ``keep``; a cancelled job stays cancelled whatever its runner saves."""

from __future__ import annotations

from datetime import datetime

import pytest

from service.backends.sql.store import SqlDocumentStore
from service.backends.sql.upload_jobs import SqlJobStore
from service.core.ingestion import FileResult, Job
from service.core.seams import JobStore


@pytest.fixture
def jobs(sql_store: SqlDocumentStore) -> JobStore:
    return SqlJobStore(sql_store)


def nobody_gone(owner: str, created_at: datetime) -> bool:
    return False


def test_a_job_reads_back_as_saved(jobs: JobStore) -> None:
    assert jobs.get("0" * 16) is None
    job = Job("job-1", "matter", ["lease.pdf", "memo.docx"], key_name="alpha-team")
    jobs.add(job, "host:1", nobody_gone, keep=10)
    stored = jobs.get("job-1")
    assert stored is not None and stored.owner == "host:1" and stored.created_at.tzinfo is not None
    assert stored.job == job and stored.job.status == "queued" and stored.job.results == {}

    job.status = "running"
    job.results["lease.pdf"] = FileResult("lease.pdf", "new", document_id="d" * 32, pages=2, chunks=3)
    jobs.save(job)
    running = jobs.get("job-1")
    assert running is not None and running.job == job
    job.status = "done"
    job.results["memo.docx"] = FileResult("memo.docx", "failed", error="memo.docx: not a DOCX file")
    jobs.save(job)
    done = jobs.get("job-1")
    assert done is not None and done.job == job and done.owner == "host:1"


def test_unfinished_jobs_of_gone_owners_read_interrupted(jobs: JobStore) -> None:
    running = Job("running", "matter", ["a.pdf"], status="running")
    jobs.add(running, "dead:1", nobody_gone, keep=10)
    jobs.add(Job("queued", "matter", ["b.pdf"]), "alive:2", nobody_gone, keep=10)
    finished = Job("finished", "matter", ["c.pdf"], status="done")
    jobs.add(finished, "dead:1", nobody_gone, keep=10)
    seen: list[str] = []

    def gone(owner: str, created_at: datetime) -> bool:
        seen.append(owner)
        return owner == "dead:1"

    jobs.add(Job("new", "matter", ["d.pdf"]), "alive:2", gone, keep=10)
    statuses = {
        job_id: stored.job.status for job_id in ("running", "queued", "finished", "new") if (stored := jobs.get(job_id))
    }
    assert statuses == {"running": "interrupted", "queued": "queued", "finished": "done", "new": "queued"}
    assert "dead:1" in seen


def test_finished_jobs_beyond_keep_are_forgotten_and_unfinished_ones_kept(jobs: JobStore) -> None:
    for number in range(5):
        jobs.add(Job(f"done-{number}", "matter", ["a.pdf"], status="done"), "host:1", nobody_gone, keep=10)
    jobs.add(Job("running", "matter", ["a.pdf"], status="running"), "host:1", nobody_gone, keep=10)
    jobs.add(Job("newest", "matter", ["a.pdf"]), "host:1", nobody_gone, keep=2)
    kept = {job_id for job_id in [*(f"done-{n}" for n in range(5)), "running", "newest"] if jobs.get(job_id)}
    assert kept == {"running", "newest"}  # every finished job is older than the newest two


def test_a_cancelled_job_stays_cancelled(jobs: JobStore) -> None:
    job = Job("job-1", "matter", ["lease.pdf", "memo.docx"])
    jobs.add(job, "host:1", nobody_gone, keep=10)
    assert jobs.cancel("job-1") is True
    assert jobs.cancel("job-1") is False  # already cancelled
    assert jobs.cancel("missing") is False
    # the runner, which has not looked yet, saves a result and its own status: the cancel wins
    job.status = "running"
    job.results["lease.pdf"] = FileResult("lease.pdf", "new", document_id="d" * 32)
    jobs.save(job)
    stored = jobs.get("job-1")
    assert stored is not None and stored.job.status == "cancelled" and set(stored.job.results) == {"lease.pdf"}
    finished = Job("done", "matter", ["a.pdf"], status="done")
    jobs.add(finished, "host:1", nobody_gone, keep=10)
    assert jobs.cancel("done") is False
    assert (done := jobs.get("done")) is not None and done.job.status == "done"
