"""What the HTTP API tests share: a small realistic corpus with planted facts, a database and app per
module, and readers for Server-Sent Events and the error envelope.

The corpus is three generated documents (a two-page lease PDF, a settlement PDF, a DOCX memo), a
plain-text note and two real court filings from ``tests/data/court``. Each ``Fact`` is a question the
corpus answers, the file that answers it and words the answer must quote.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import httpx2
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.components import Components
from service.core.domain import PAGE_SEPARATOR, DocumentRecord
from service.core.seams import Embedder
from service.core.settings import Settings
from tests.support.court import CA1_ORDER, CACD_ORDER
from tests.support.databases import fresh_database, make_settings
from tests.support.documents import LOREM_LEGAL, write_docx, write_pdf
from tests.support.llm import free_port
from tests.support.paths import COURT

COLLECTION = "matter"

RENT = "The Tenant shall pay a monthly rent of $4,200 to the Landlord on the first day of each month."
TERM = "The lease term ends on 31 May 2029. Either party may terminate this lease with ninety days written notice."
FEE = "The Defendant agrees to pay the Plaintiff a settlement fee of $40,000 within thirty days."
DEPOSITION = "The deposition of the witness Maria Lopez is scheduled for 14 October 2026 in Boston."
WARRANTY = "The limitation period for the warranty claim expires in June 2027."


@dataclass(frozen=True)
class Fact:
    """A question the corpus answers: the file holding the answer and words a quote must contain."""

    question: str
    source: str
    words: str


FACTS = (
    Fact("What monthly rent does the tenant pay?", "lease.pdf", "$4,200"),
    Fact("When does the lease term end?", "lease.pdf", "31 May 2029"),
    Fact("How much is the settlement fee?", "settlement.pdf", "$40,000"),
    Fact("When is the deposition of Maria Lopez?", "deposition.txt", "14 October 2026"),
    Fact("When does the limitation period for the warranty claim expire?", "warranty_memo.docx", "June 2027"),
    Fact("Is a bond required for the preliminary injunction?", CACD_ORDER, "no bond is required"),
    Fact("Until when is the time for filing the appellant briefs extended?", CA1_ORDER, "March 8, 2013"),
)
UNRELATED = (
    "What is the boiling point of water at sea level?",
    "Who won the 1998 football world cup?",
    "How do I bake sourdough bread?",
    "What is the capital of Australia?",
    "Explain photosynthesis in green plants.",
)


def write_corpus(folder: Path) -> Path:
    """The corpus's files in ``folder``."""
    folder.mkdir(parents=True)
    write_pdf(
        folder / "lease.pdf",
        [f"COMMERCIAL LEASE\n\n{RENT} A late fee of five percent applies after the tenth day.", TERM],
        "Commercial lease",
    )
    write_pdf(folder / "settlement.pdf", [f"SETTLEMENT AGREEMENT\n\n{FEE}\n\n{LOREM_LEGAL}"], "Settlement agreement")
    write_docx(folder / "warranty_memo.docx", ["Warranty memo", WARRANTY], "Warranty memo")
    (folder / "deposition.txt").write_text(f"Scheduling note.\n\n{DEPOSITION}\n")
    for name in (CA1_ORDER, CACD_ORDER):
        shutil.copy(COURT / name, folder / name)
    return folder


@dataclass
class Corpus:
    """The ingested corpus: its settings (data folder and database) and its documents by file name."""

    settings: Settings
    embedder: Embedder
    documents: dict[str, DocumentRecord]

    def components(self, settings: Settings | None = None) -> Components:
        """Fresh components over the corpus's data (the caller closes them)."""
        return Components(settings or self.settings, embedder=self.embedder)


@contextlib.contextmanager
def ingested_corpus(
    kind: str, folder: Path, models_cache: Path, embedder: Embedder, **overrides: object
) -> Iterator[Corpus]:
    """Write the corpus, create a database of ``kind`` and ingest the corpus into ``COLLECTION``."""
    with fresh_database(kind, folder) as url:
        settings = make_settings(folder / "data", url, models_cache, **overrides)
        parts = Components(settings, embedder=embedder)
        try:
            summary = parts.pipeline(COLLECTION).ingest([write_corpus(folder / "corpus")])
            assert summary.count("failed") == 0 and summary.count("new") == 6, summary.as_dict()
            documents = {record.source: record for record in parts.store.list_documents(COLLECTION)}
        finally:
            parts.close()
        yield Corpus(settings, embedder, documents)


class Recorder:
    """An httpx request hook that keeps the JSON body of every chat completion request."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> None:
        if request.url.path.endswith("/chat/completions"):
            self.bodies.append(json.loads(request.read()))


@contextlib.contextmanager
def api_client(parts: Components) -> Iterator[TestClient]:
    """A ``TestClient`` over ``create_app(settings, parts)``; server errors come back as responses."""
    with TestClient(create_app(parts.settings, parts), raise_server_exceptions=False) as client:
        yield client


@contextlib.contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """``app`` behind a real uvicorn on a free port, in a thread; yields ``http://127.0.0.1:<port>``."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, name="docqa-uvicorn")
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def sse_events(body: str) -> list[tuple[str, Any]]:
    """``(event, data)`` pairs of a ``text/event-stream`` body; ``data`` decoded from JSON."""
    events = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields.get("event", "message"), json.loads(fields["data"])))
    return events


def assert_envelope(response: httpx2.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert the one error shape, ``{"error": {"code", "message", "detail"}}``; returns ``error``."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "detail"}, error
    assert isinstance(error["code"], str) and isinstance(error["message"], str) and error["message"].strip()
    if code is not None:
        assert error["code"] == code, error
    for leak in ("Traceback", 'File "', "site-packages", "/work/"):
        assert leak not in response.text, response.text
    return dict(error)


def document_text(client: TestClient, document_id: str) -> str:
    """The document text as the API serves it: every page's text, joined by the page separator."""
    document = client.get(f"/v1/documents/{document_id}").json()
    pages = [client.get(f"/v1/documents/{document_id}/pages/{n}").json() for n in range(1, document["page_count"] + 1)]
    return PAGE_SEPARATOR.join(page["text"] for page in pages)


def wait_for_job(client: TestClient, job_id: str, timeout_s: float = 60) -> dict[str, Any]:
    """Poll ``/v1/jobs/{job_id}`` until it is done; returns the last status."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = client.get(f"/v1/jobs/{job_id}")
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["status"] == "done":
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']} after {timeout_s} s"
        time.sleep(0.05)
