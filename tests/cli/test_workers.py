"""``docqa serve --workers 2``: a real server of two worker processes on one socket.

Each request below opens a new connection, so the kernel hands them to both workers; the test asserts
what must hold whichever worker answers: a job's status, a new document found, a deleted one gone,
metrics summed over the workers.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.core.settings import Settings
from tests.support.documents import LOREM_LEGAL
from tests.support.llm import free_port
from tests.support.paths import REPO

ASKS = 12
"""Requests sent on fresh connections per check: both workers answer some of them."""


@pytest.fixture
def served(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    folder = tmp_path / "filings"
    folder.mkdir()
    (folder / "lease.txt").write_text("Zanzibar lease. " + LOREM_LEGAL * 3)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    port = free_port()
    env = {
        **os.environ,
        "DOCQA_DATA_DIR": str(settings.data_dir),
        "DOCQA_DATABASE_URL": settings.resolved_database_url,
        "DOCQA_EMBEDDING__CACHE_DIR": str(settings.embedding.cache_dir),
        "DOCQA_OCR__ENABLED": "false",
        "TMPDIR": str(scratch),  # where the workers' metrics folder goes
        "HF_HUB_OFFLINE": "1",
    }
    command = [sys.executable, "-m", "service", "serve", "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(
        [*command, "--ingest", str(folder), "-c", "matter"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while not ready(base):
            assert server.poll() is None, server.communicate()[0]
            assert time.monotonic() < deadline, "the server did not become ready in 120 s"
            time.sleep(0.2)
        yield base, server, scratch
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()


def ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def worker_pids(server: subprocess.Popen[str]) -> list[int]:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return [int(pid) for pid in children if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()]


def sources_found(base: str, query: str) -> list[set[str]]:
    found = []
    for _ in range(ASKS):  # httpx.post opens a new connection each time
        response = httpx.post(f"{base}/v1/search", json={"query": query, "collection": "matter", "k": 4}, timeout=30)
        assert response.status_code == 200, response.text
        found.append({hit["source"] for hit in response.json()["hits"]})
    return found


def test_every_worker_sees_uploads_deletes_and_jobs_of_the_others(
    served: tuple[str, subprocess.Popen[str], Path],
) -> None:
    base, server, scratch = served
    assert len(worker_pids(server)) == 2
    assert all(found == {"lease.txt"} for found in sources_found(base, "Zanzibar lease"))

    upload = httpx.post(
        f"{base}/v1/collections/matter/documents",
        files={"files": ("loan.txt", b"Quixotic loan. " + LOREM_LEGAL.encode() * 3, "text/plain")},
        timeout=30,
    )
    assert upload.status_code == 202, upload.text
    job_id = upload.json()["job_id"]
    deadline = time.monotonic() + 60
    while True:  # every poll may land on either worker: the job is in SQL, not in one worker's memory
        job = httpx.get(f"{base}/v1/jobs/{job_id}", timeout=10)
        assert job.status_code == 200, job.text
        if job.json()["status"] == "done":
            break
        assert time.monotonic() < deadline, job.text
        time.sleep(0.05)
    (result,) = job.json()["files"]
    assert result["outcome"] == "new", result

    assert all("loan.txt" in found for found in sources_found(base, "Quixotic loan"))
    deleted = httpx.delete(f"{base}/v1/documents/{result['document_id']}", timeout=30)
    assert deleted.status_code == 204, deleted.text
    assert all("loan.txt" not in found for found in sources_found(base, "Quixotic loan"))

    metrics = httpx.get(f"{base}/metrics", timeout=10).text
    searches = re.search(r'docqa_requests_total\{route="/v1/search",status="200"\} (\S+)', metrics)
    assert searches is not None and float(searches.group(1)) == 3 * ASKS  # both workers' counts, summed
    assert list(scratch.glob("docqa-metrics-*")), "the workers keep their metrics in a folder under TMPDIR"

    server.send_signal(signal.SIGTERM)
    server.communicate(timeout=30)
    assert server.returncode == 0
    assert not list(scratch.glob("docqa-metrics-*"))  # the metrics folder is removed at exit
