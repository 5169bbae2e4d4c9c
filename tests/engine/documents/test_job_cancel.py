"""Upload jobs run their parses in a memory-limited worker process and can be cancelled over HTTP, queued or
running (also mid-parse: the worker is killed); files not done are not ingested, nothing stored is lost, and
the cancel is audited. On SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ingest.parse_worker import ParseCancelled, ParseWorker
from ingest.parsers import ParseLimits
from service.api.app import create_app
from service.components import Components
from service.core.settings import IngestSettings, Settings
from service.core.writer_lock import writer_lock
from tests.support import bombs

NOTE = b"Delivery note: 40 pallets of tinned tomatoes reached the Leith warehouse on 3 March.\n"
SLOW_DEPTH = 400_000
"""A <div> nesting this deep takes BeautifulSoup seconds (with the depth limit lifted), in little memory."""


@pytest.fixture
def client(settings: Settings, components: Components) -> Iterator[TestClient]:
    with TestClient(create_app(settings, components)) as client:
        yield client


def wait_for(client: TestClient, job_id: str, statuses: set[str], timeout_s: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        job: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in statuses or time.monotonic() > deadline:
            assert job["status"] in statuses, job
            return job
        time.sleep(0.05)


def upload(client: TestClient, collection: str, *files: tuple[str, bytes]) -> str:
    response = client.post(
        f"/v1/collections/{collection}/documents", files=[("files", (name, data)) for name, data in files]
    )
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job_id"]
    return job_id


def outcomes(job: dict[str, Any]) -> dict[str, str]:
    return {file["name"]: file["outcome"] for file in job["files"]}


def uploaded_files(settings: Settings, collection: str) -> set[str]:
    return {path.name for path in (settings.data_dir / "uploads" / collection).iterdir()}


def test_cancel_a_queued_job_and_a_running_one(client: TestClient, components: Components, settings: Settings) -> None:
    kept = wait_for(client, upload(client, "bravo", ("note.txt", NOTE)), {"done"})
    note_id = kept["files"][0]["document_id"]
    with writer_lock(components.index_dir, "bravo"):  # another writer holds the matter: the first job waits
        running = upload(client, "bravo", ("note.txt", NOTE.replace(b"40", b"50")), ("memo.md", b"# Memo\n\nRent.\n"))
        queued = upload(client, "bravo", ("letter.txt", b"A letter about the lease.\n"))
        wait_for(client, running, {"running"})
        assert client.get(f"/v1/jobs/{queued}").json()["status"] == "queued"
        for job_id in (queued, running):
            cancelled = client.delete(f"/v1/jobs/{job_id}")
            assert cancelled.status_code == 200, cancelled.text
            assert cancelled.json()["status"] == "cancelled"
            assert set(outcomes(cancelled.json()).values()) == {"cancelled"}
        again = client.delete(f"/v1/jobs/{queued}")
        assert again.status_code == 409 and again.json()["error"]["detail"]["status"] == "cancelled"
    for job_id in (running, queued):
        job = wait_for(client, job_id, {"cancelled"})
        assert set(outcomes(job).values()) == {"cancelled"}, job
    client.app.state.docqa.jobs.wait_idle()  # type: ignore[attr-defined]
    assert wait_for(client, running, {"cancelled"})["status"] == "cancelled"  # the runner's last save kept it
    # nothing of the cancelled jobs was ingested; the stored note and its original are untouched
    documents = client.get("/v1/collections/bravo/documents").json()["documents"]
    assert [(document["source"], document["id"]) for document in documents] == [("note.txt", note_id)]
    assert uploaded_files(settings, "bravo") == {"note.txt"}
    assert (settings.data_dir / "uploads" / "bravo" / "note.txt").read_bytes() == NOTE
    assert "40 pallets" in client.get(f"/v1/documents/{note_id}/pages/1").json()["text"]
    # audited, with the files not ingested
    rows = [row for row in components.audit_log.export() if row["action"] == "cancel"]
    assert {row["payload"]["job_id"] for row in rows} == {running, queued}
    assert next(row for row in rows if row["payload"]["job_id"] == running)["payload"]["not_ingested"] == [
        "note.txt",
        "memo.md",
    ]


def test_cancel_mid_parse_kills_the_worker(tmp_path: Path, settings: Settings, make_components: Any) -> None:
    lifted = settings.model_copy(update={"ingest": IngestSettings(max_depth=10**8)})
    slow = bombs.deep_html(tmp_path / "slow.html", SLOW_DEPTH).read_bytes()
    with TestClient(create_app(lifted, make_components(lifted))) as client:
        job_id = upload(client, "bravo", ("slow.html", slow), ("note.txt", NOTE))
        worker = client.app.state.docqa.jobs.worker  # type: ignore[attr-defined]
        wait_for(client, job_id, {"running"})
        deadline = time.monotonic() + 60
        while worker.pid is None:  # the child starts for the first file
            assert time.monotonic() < deadline
            time.sleep(0.02)
        child = worker.pid
        response = client.delete(f"/v1/jobs/{job_id}")
        assert response.status_code == 200, response.text
        job = wait_for(client, job_id, {"cancelled"})
        assert outcomes(job) == {"slow.html": "cancelled", "note.txt": "cancelled"}
        client.app.state.docqa.jobs.wait_idle()  # type: ignore[attr-defined]
        assert worker.pid != child  # killed, not left running
        assert client.get("/v1/collections/bravo/documents").status_code == 404  # nothing stored, not even a failure
        # the next upload gets a fresh worker
        after = wait_for(client, upload(client, "bravo", ("note.txt", NOTE)), {"done"})
        assert outcomes(after) == {"note.txt": "new"}


def test_cancel_answers_404_for_unknown_jobs_and_409_once_done(client: TestClient) -> None:
    missing = client.delete("/v1/jobs/0123456789abcdef")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    done = wait_for(client, upload(client, "bravo", ("note.txt", NOTE)), {"done"})
    refused = client.delete(f"/v1/jobs/{done['job_id']}")
    assert refused.status_code == 409, refused.text
    assert "only a queued or running job can be cancelled" in refused.json()["error"]["message"]
    assert client.get(f"/v1/jobs/{done['job_id']}").json()["status"] == "done"


def test_worker_stops_a_parse_when_asked(tmp_path: Path) -> None:
    worker = ParseWorker(memory_mb=1024)
    slow = bombs.deep_html(tmp_path / "slow.html", SLOW_DEPTH)
    try:
        worker.should_stop = lambda: worker.pid is not None and started_for(0.3)
        started = time.monotonic()

        def started_for(seconds: float) -> bool:
            return time.monotonic() - started > seconds

        with pytest.raises(ParseCancelled):
            worker(slow, ParseLimits(max_depth=10**8))
        assert worker.pid is None
        worker.should_stop = None
        parsed = worker(bombs.deep_html(tmp_path / "small.html", 10), ParseLimits())
        assert parsed.pages[0].text == "deep"
    finally:
        worker.close()
