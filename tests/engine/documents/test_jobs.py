"""Upload jobs live in SQL, on SQLite and PostgreSQL: another server process (a second app on the same
database and data folder) reads a job and each file's result as it finishes, a job outlives its app,
a job whose process died reads as ``interrupted``, walls hold, and finished jobs are pruned.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.api.app import create_app
from service.backends.sql.tables import UploadJobRow
from service.components import Components
from service.core.errors import NotFound
from service.core.ingestion import FileResult, Job
from service.core.settings import Settings
from service.engine.documents.jobs import JobRunner, process_owner
from tests.support.matters import bearer, wait_for_job
from tests.support.stored import add_collections

NOTE = b"Delivery note: 40 pallets of tinned tomatoes reached the Leith warehouse on 3 March.\n"
FILES = {"files": ("note.txt", NOTE, "text/plain")}


@pytest.fixture
def second(settings: Settings, make_components: Callable[..., Components]) -> Iterator[TestClient]:
    """An app on the same database and data folder, as another server process would be."""
    with TestClient(create_app(settings, make_components(settings))) as client:
        yield client


def dead_pid() -> int:
    """The pid of a process on this host that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def store_job(parts: Components, owner: str, status: str, created_at: datetime | None = None) -> str:
    """Write a job row directly, as another process would have: ``a.txt`` done, ``b.txt`` without a result."""
    job_id = secrets.token_hex(8)
    result = {"source": "a.txt", "outcome": "new", "document_id": "0123456789abcdef", "pages": 1, "chunks": 1}
    row = UploadJobRow(
        id=job_id,
        collection="bravo",
        names=["a.txt", "b.txt"],
        status=status,
        results={"a.txt": {**result, "error": None}},
        owner=owner,
    )
    if created_at is not None:
        row.created_at = created_at
    with parts.store.session() as session, session.begin():
        session.add(row)
    return job_id


def read_all(_collection: str) -> bool:
    return True


def test_another_app_reads_the_job_and_it_outlives_its_app(
    components: Components, second: TestClient, settings: Settings
) -> None:
    with TestClient(create_app(settings, components)) as first:
        files = [("files", ("note.txt", NOTE, "text/plain")), ("files", ("empty.pdf", b"", "application/pdf"))]
        created = first.post("/v1/collections/bravo/documents", files=files)
        assert created.status_code == 202, created.text
        job_id = created.json()["job_id"]
        seen_by_second = wait_for_job(second, job_id, {})  # polled on the other app only
        assert wait_for_job(first, job_id, {}) == seen_by_second
    assert set(seen_by_second) == {"job_id", "collection", "status", "files"}
    assert seen_by_second["collection"] == "bravo" and seen_by_second["status"] == "done"
    files_out: Any = seen_by_second["files"]
    assert [file["name"] for file in files_out] == ["note.txt", "empty.pdf"]  # upload order
    assert all(set(file) == {"name", "outcome", "document_id", "error"} for file in files_out)
    note, empty = files_out
    assert note["outcome"] == "new" and note["error"] is None
    assert second.get(f"/v1/documents/{note['document_id']}").json()["source"] == "note.txt"
    assert empty["outcome"] == "failed" and empty["document_id"] and "empty.pdf" in empty["error"]
    # the first app is gone (its lifespan ended): the job is still there
    assert second.get(f"/v1/jobs/{job_id}").json() == seen_by_second


def test_another_runner_sees_each_file_as_it_finishes(
    components: Components, make_components: Callable[..., Components]
) -> None:
    folder = components.settings.data_dir / "uploads" / "bravo"
    folder.mkdir(parents=True)
    files = []
    for number in (1, 2):
        (folder / f"note{number}.txt").write_bytes(NOTE.replace(b"40", f"{number}0".encode()))
        files.append((f"note{number}.txt", folder / f"note{number}.txt"))
    release = threading.Event()
    other = make_components(components.settings)
    reader = JobRunner(lambda: other.upload_jobs, other.pipeline)

    def hold_after_first(job: Job, result: FileResult) -> None:
        if result.source == "note1.txt":
            assert release.wait(60)

    runner = JobRunner(lambda: components.upload_jobs, components.pipeline, hold_after_first)
    try:
        job = runner.submit("bravo", files, key_name="bravo-team")
        deadline = time.monotonic() + 60
        while not (seen := reader.get(job.job_id, read_all)).results:
            assert time.monotonic() < deadline, seen
            time.sleep(0.05)
        assert seen.status == "running" and seen.names == ["note1.txt", "note2.txt"]
        assert list(seen.results) == ["note1.txt"] and seen.results["note1.txt"].outcome == "new"
        assert seen.key_name == "bravo-team" and seen.collection == "bravo"
    finally:
        release.set()
        runner.shutdown()
    done = reader.get(job.job_id, read_all)
    assert done.status == "done" and [done.results[name].outcome for name in done.names] == ["new", "new"]
    assert done.results["note2.txt"] == job.results["note2.txt"]  # every FileResult field kept


def test_a_job_whose_process_died_reads_interrupted(components: Components, second: TestClient) -> None:
    host = socket.gethostname()
    dead = store_job(components, f"{host}:{dead_pid()}", "running")
    job = second.get(f"/v1/jobs/{dead}").json()
    assert job["status"] == "interrupted"
    assert [(file["name"], file["outcome"]) for file in job["files"]] == [("a.txt", "new"), ("b.txt", "pending")]
    queued = store_job(components, f"{host}:{dead_pid()}", "queued")
    assert second.get(f"/v1/jobs/{queued}").json()["status"] == "interrupted"

    # alive: this process; on another host: cannot be checked, so reported as stored
    alive = store_job(components, process_owner(), "running")
    elsewhere = store_job(components, f"elsewhere.{host}:{dead_pid()}", "running")
    assert second.get(f"/v1/jobs/{alive}").json()["status"] == "running"
    assert second.get(f"/v1/jobs/{elsewhere}").json()["status"] == "running"
    # a live pid that started after the job was created is not its owner (a restarted container's pid 1)
    long_ago = datetime.now(UTC) - timedelta(days=400)
    reused = store_job(components, process_owner(), "running", created_at=long_ago)
    assert second.get(f"/v1/jobs/{reused}").json()["status"] == "interrupted"
    # a finished job is reported as finished whatever became of its process
    done = store_job(components, f"{host}:{dead_pid()}", "done")
    assert second.get(f"/v1/jobs/{done}").json()["status"] == "done"


def test_a_job_is_walled_on_every_app(
    components: Components, settings: Settings, make_components: Callable[..., Components]
) -> None:
    add_collections(components.sql, "alpha", "bravo")
    bravo = bearer(components.keys.create("bravo-team", ["bravo"], "editor"))
    alpha = bearer(components.keys.create("alpha-team", ["alpha"]))
    with TestClient(create_app(settings, components)) as first:
        created = first.post("/v1/collections/bravo/documents", files=FILES, headers=bravo)
        job_id = created.json()["job_id"]
        wait_for_job(first, job_id, bravo)
    interrupted = store_job(components, f"{socket.gethostname()}:{dead_pid()}", "running")
    with TestClient(create_app(settings, make_components(settings))) as second:
        for walled in (job_id, interrupted):
            assert second.get(f"/v1/jobs/{walled}", headers=bravo).status_code == 200
            forbidden = second.get(f"/v1/jobs/{walled}", headers=alpha)
            missing_id = "f" * len(walled)
            missing = second.get(f"/v1/jobs/{missing_id}", headers=alpha)
            assert forbidden.status_code == missing.status_code == 404
            assert forbidden.json() == {
                "error": {"code": "not_found", "message": f"job {walled!r} not found", "detail": None}
            }
            assert forbidden.text.replace(walled, missing_id) == missing.text
            assert sorted(forbidden.headers.items()) == sorted(missing.headers.items())
    with pytest.raises(NotFound, match=f"job '{job_id}' not found"):
        JobRunner(lambda: components.upload_jobs, components.pipeline).get(job_id, lambda name: name == "alpha")


def test_finished_jobs_beyond_max_jobs_are_deleted(components: Components, tmp_path: Path) -> None:
    host, start = socket.gethostname(), datetime.now(UTC) - timedelta(hours=1)
    at = [start + timedelta(minutes=minute) for minute in range(6)]
    gone = f"{host}:{dead_pid()}"
    elsewhere = store_job(components, f"elsewhere.{host}:1", "running", at[0])  # unfinished: kept
    done = [store_job(components, gone, "done", moment) for moment in at[1:5]]
    dead = store_job(components, gone, "running", at[5])
    (tmp_path / "note.txt").write_bytes(NOTE)
    runner = JobRunner(lambda: components.upload_jobs, components.pipeline, max_jobs=3)
    try:
        new = runner.submit("bravo", [("note.txt", tmp_path / "note.txt")]).job_id
    finally:
        runner.shutdown()
    with components.store.session() as session:
        left = {job_id: status for job_id, status in session.execute(select(UploadJobRow.id, UploadJobRow.status))}
    # newest first: new, dead (now interrupted), done[3] | done[2], done[1], done[0] and elsewhere
    assert left == {new: "done", dead: "interrupted", done[3]: "done", elsewhere: "running"}
