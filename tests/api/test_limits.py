"""Limits, each a setting answered with a clear 4xx envelope: request size (413), k (422 naming k),
upload size per file and per request (413), requests per minute per key (429 saying when to retry)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.components import Components
from service.core.settings import IngestSettings, RetrievalSettings, ServerSettings, Settings

MATTER = "bravo"


@pytest.fixture
def limited(
    tmp_path: Path, settings: Settings, make_components: Callable[..., Components]
) -> Callable[..., TestClient]:
    """An app over one small collection, with the given settings groups replaced."""

    def build(**groups: Any) -> TestClient:
        parts = make_components(settings.model_copy(update=groups))
        folder = tmp_path / "in"
        folder.mkdir(exist_ok=True)
        (folder / "lease.txt").write_text("The tenant withholds rent of $215,500 over the loading dock roof.\n")
        parts.pipeline(MATTER).ingest([folder])
        return TestClient(create_app(parts.settings, parts))

    return build


def envelope(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "detail"}, body
    assert body["error"]["code"] == code
    error: dict[str, Any] = body["error"]
    return error


def test_a_request_body_above_the_limit_is_413(limited: Callable[..., TestClient]) -> None:
    client = limited(server=ServerSettings(max_request_mb=0.01))
    big = {"query": "rent " * 4000, "collection": MATTER}
    error = envelope(client.post("/v1/search", json=big), 413, "payload_too_large")
    assert error["detail"] == {"limit_bytes": 10485} and "DOCQA_SERVER__MAX_REQUEST_MB" in error["message"]

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"question": "'
        yield b"x" * 20_000
        yield b'", "collection": "bravo"}'

    sent = client.post("/v1/ask", content=chunked(), headers={"Content-Type": "application/json"})
    envelope(sent, 413, "payload_too_large")
    assert client.post("/v1/search", json={"query": "rent", "collection": MATTER}).status_code == 200


@pytest.mark.parametrize(("path", "field"), [("/v1/search", "query"), ("/v1/ask", "question")])
def test_k_out_of_range_is_422_naming_k(limited: Callable[..., TestClient], path: str, field: str) -> None:
    client = limited(retrieval=RetrievalSettings(max_k=5, default_k=3))
    for k in (0, -1, 201, 6, "many"):
        error = envelope(client.post(path, json={field: "rent", "collection": MATTER, "k": k}), 422, "invalid_input")
        assert "k" in error["message"], error
        fields = [problem["field"] for problem in error["detail"]] if isinstance(error["detail"], list) else []
        assert fields == ["k"] or error["detail"]["field"] == "k", error
    assert client.post(path, json={field: "rent", "collection": MATTER, "k": 5}).status_code == 200


def test_uploads_are_limited_per_file_and_per_request(limited: Callable[..., TestClient], settings: Settings) -> None:
    client = limited(
        ingest=IngestSettings(max_file_mb=0.03),  # about 31 KB a file
        server=ServerSettings(max_upload_mb=0.05),  # about 52 KB a request
    )
    url = f"/v1/collections/{MATTER}/documents"
    one_big = {"files": ("exhibit.txt", b"a" * 40_000, "text/plain")}
    error = envelope(client.post(url, files=one_big), 413, "payload_too_large")
    assert "exhibit.txt" in error["message"] and error["detail"]["file"] == "exhibit.txt"
    assert error["detail"]["limit_bytes"] == int(0.03 * 1048576)
    small_then_big = [("files", ("cover.txt", b"c" * 5_000, "text/plain")), ("files", one_big["files"])]
    envelope(client.post(url, files=small_then_big), 413, "payload_too_large")

    three = [("files", (f"part{n}.txt", b"b" * 20_000, "text/plain")) for n in range(3)]
    error = envelope(client.post(url, files=three), 413, "payload_too_large")
    assert "DOCQA_SERVER__MAX_UPLOAD_MB" in error["message"]
    assert error["detail"]["limit_bytes"] == int(0.05 * 1048576)

    leftovers = sorted(path.name for path in (settings.data_dir / "uploads").rglob("*") if path.is_file())
    assert leftovers == [], leftovers  # a refused upload leaves nothing behind
    assert client.post(url, files=three[:2]).status_code == 202


@pytest.mark.parametrize("workers", [1, 2])
def test_requests_per_minute_per_key_are_limited(limited: Callable[..., TestClient], workers: int) -> None:
    client = limited(server=ServerSettings(rate_limit_per_minute=3, workers=workers))
    parts: Components = client.app.state.docqa.components  # type: ignore[attr-defined]
    first = {"Authorization": f"Bearer {parts.keys.create('first', [MATTER])}"}
    second = {"Authorization": f"Bearer {parts.keys.create('second', [MATTER])}"}
    for _ in range(3):
        assert client.get("/v1/collections", headers=first).status_code == 200
    refused = client.get("/v1/collections", headers=first)
    error = envelope(refused, 429, "rate_limited")
    assert "3 requests per minute" in error["message"] and 0 < error["detail"]["retry_after_s"] <= 20
    # ... and in the header HTTP clients and proxies read: whole seconds, rounded up, at least 1
    assert int(refused.headers["retry-after"]) == max(1, math.ceil(error["detail"]["retry_after_s"]))
    ask = client.post("/v1/ask", json={"question": "rent?", "collection": MATTER}, headers=first)
    envelope(ask, 429, "rate_limited")
    assert client.get("/v1/collections", headers=second).status_code == 200  # each key has its own budget

    # guessing keys is limited too, per client address
    for attempt in range(3):
        envelope(client.get("/v1/collections", headers={"X-API-Key": f"dq_guess{attempt}"}), 401, "unauthorized")
    envelope(client.get("/v1/collections", headers={"X-API-Key": "dq_guess4"}), 429, "rate_limited")
    # with several workers the buckets are in the file every worker opens
    assert (parts.settings.data_dir / "ratelimit.sqlite").exists() == (workers > 1)
