"""Input the databases would choke on, answered before they see it, and the HTTP details around errors, on
SQLite and PostgreSQL: bounded page numbers, control characters in ids and names, unknown or malformed
filters, keep-alive after a 500, ``OPTIONS`` and ``Allow``, and the non-200 answers of ``/readyz`` and
``/metrics`` in OpenAPI.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.components import Components
from service.core.seams import Embedder
from service.engine.retrieval.retriever import FILTER_FIELDS
from tests.support.api import COLLECTION, Corpus, api_client, assert_envelope, ingested_corpus, serving
from tests.support.court import CA1_ORDER

ASK = {"question": "What monthly rent does the tenant pay?", "collection": COLLECTION}
SEARCH = {"query": "monthly rent", "collection": COLLECTION}
CHAT = {"model": f"docqa/{COLLECTION}", "messages": [{"role": "user", "content": "What rent?"}]}
TAGGED = "tagged"


@dataclass
class Api:
    corpus: Corpus
    parts: Components
    client: TestClient

    def document_id(self, source: str) -> str:
        return self.corpus.documents[source].id


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, models_cache: Path, embedder: Embedder
) -> Iterator[Api]:
    folder = tmp_path_factory.mktemp(f"hardening-{request.param}")
    with ingested_corpus(request.param, folder, models_cache, embedder) as corpus:
        parts = corpus.components()
        # a collection whose documents carry a field of their own (``docqa ingest --meta matter_code=A-17``)
        tagged = folder / "tagged"
        tagged.mkdir()
        (tagged / "memo.txt").write_text("The escrow agent releases the deposit of $9,100 on closing.\n")
        parts.pipeline(TAGGED, {"matter_code": "A-17"}).ingest([tagged])
        with api_client(parts) as client:
            yield Api(corpus, parts, client)
        parts.close()


def fields_of(error: dict[str, Any]) -> list[str]:
    detail = error["detail"]
    return [problem["field"] for problem in detail] if isinstance(detail, list) else [detail["field"]]


# --- Path parameters -------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [2**31, 2**31 + 1, 2**63, 2**64, 10**30, -1])
def test_page_numbers_beyond_what_a_database_stores_are_422(api: Api, number: int) -> None:
    pdf = api.document_id("lease.pdf")
    for suffix in ("", "/image", "/highlight?start=0&end=5"):
        error = assert_envelope(api.client.get(f"/v1/documents/{pdf}/pages/{number}{suffix}"), 422, "invalid_input")
        assert fields_of(error) == ["number"] and error["message"].startswith("invalid request: number:")


def test_the_largest_page_number_is_a_plain_404(api: Api) -> None:
    pdf = api.document_id("lease.pdf")
    error = assert_envelope(api.client.get(f"/v1/documents/{pdf}/pages/{2**31 - 1}"), 404, "not_found")
    assert "has 2 pages" in error["message"]


def test_highlight_offsets_are_bounded(api: Api) -> None:
    pdf = api.document_id("lease.pdf")
    error = assert_envelope(
        api.client.get(f"/v1/documents/{pdf}/pages/1/highlight", params={"start": 0, "end": 2**63}), 422
    )
    assert fields_of(error) == ["end"]
    inside = api.client.get(f"/v1/documents/{pdf}/pages/1/highlight", params={"start": 0, "end": 2**31 - 1})
    assert inside.status_code == 200 and inside.json()["rects"]  # the whole page


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/v1/documents/0123%00abcd", "document_id"),
        ("/v1/documents/0123%00abcd/pages/1", "document_id"),
        ("/v1/documents/%1b%5b31m/pages/1/image", "document_id"),
        ("/v1/jobs/ab%00cd", "job_id"),
        ("/v1/collections/mat%00ter/documents", "collection"),
        ("/v1/collections/mat%7fter/documents", "collection"),
        ("/v1/documents/" + "a" * 201, "document_id"),
    ],
)
def test_control_characters_in_path_ids_are_422_naming_the_field(api: Api, url: str, field: str) -> None:
    error = assert_envelope(api.client.get(url), 422, "invalid_input")
    assert fields_of(error) == [field] and field in error["message"]
    assert "control characters" in error["message"] or "at most 200" in error["message"]


def test_deleting_or_uploading_with_a_control_character_is_422(api: Api) -> None:
    assert fields_of(assert_envelope(api.client.delete("/v1/documents/ab%00cd"), 422)) == ["document_id"]
    upload = api.client.post("/v1/collections/ma%00tter/documents", files={"files": ("a.txt", b"a")})
    assert fields_of(assert_envelope(upload, 422)) == ["collection"]


# --- Bodies ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "body", "field"),
    [
        ("/v1/ask", {**ASK, "question": "What rent?\x00"}, "question"),
        ("/v1/ask", {**ASK, "collection": "mat\x00ter"}, "collection"),
        ("/v1/ask", {**ASK, "question": "rent \x1b[2J"}, "question"),
        ("/v1/search", {**SEARCH, "query": "\x00"}, "query"),
        ("/v1/search", {**SEARCH, "collection": "matter\n"}, "collection"),
        ("/v1/search", {**SEARCH, "filters": {"court\x00": "ca1"}}, "filters.court\x00.[key]"),
        ("/v1/search", {**SEARCH, "filters": {"court": "ca\x001"}}, "filters.court"),
        ("/v1/chat/completions", {**CHAT, "model": "docqa/mat\x00ter"}, "model"),
        ("/v1/chat/completions", {**CHAT, "messages": [{"role": "user", "content": "rent\x00"}]}, "messages"),
        (
            "/v1/chat/completions",
            {**CHAT, "messages": [{"role": "user", "content": [{"type": "text", "text": "\x00"}]}]},
            "messages",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and value.startswith("/") else None,
)
def test_nul_and_control_characters_in_bodies_are_422_naming_the_field(
    api: Api, route: str, body: dict[str, Any], field: str
) -> None:
    error = assert_envelope(api.client.post(route, json=body), 422, "invalid_input")
    assert field in fields_of(error), error
    assert "control characters" in error["message"] and "U+00" in error["message"]


def test_line_breaks_and_tabs_in_a_question_are_text(api: Api) -> None:
    response = api.client.post("/v1/ask", json={**ASK, "question": "What monthly rent\n\tdoes the tenant pay?\r\n"})
    assert response.status_code == 200 and "$4,200" in response.json()["answer"]


# --- Filters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["/v1/search", "/v1/ask"])
def test_an_unknown_filter_is_422_listing_the_valid_ones(api: Api, route: str) -> None:
    body = {**(SEARCH if route == "/v1/search" else ASK), "filters": {"colour": "red"}}
    error = assert_envelope(api.client.post(route, json=body), 422, "invalid_input")
    assert error["message"].startswith("filters.colour: no such filter")
    assert error["detail"]["field"] == "filters.colour"
    assert {"court", "document_type", "filed_after", "filed_before"} <= set(error["detail"]["valid"])
    assert "court" in error["message"] and "filed_after" in error["message"]


def test_a_field_the_documents_carry_is_a_valid_filter(api: Api) -> None:
    assert "matter_code" not in FILTER_FIELDS
    hits = api.client.post(
        "/v1/search", json={"query": "escrow deposit", "collection": TAGGED, "filters": {"matter_code": "A-17"}}
    )
    assert hits.status_code == 200 and len(hits.json()["hits"]) == 1
    error = assert_envelope(
        api.client.post("/v1/search", json={"query": "escrow", "collection": TAGGED, "filters": {"colour": "red"}}),
        422,
    )
    assert "matter_code" in error["detail"]["valid"] and "matter_code" in error["message"]
    # ... of that collection only: in another, the field is unknown
    error = assert_envelope(api.client.post("/v1/search", json={**SEARCH, "filters": {"matter_code": "A-17"}}), 422)
    assert "matter_code" not in error["detail"]["valid"]


@pytest.mark.parametrize("value", ["2020-13-45", "2021-02-29", "2020-1-5", "20200105", "2020-01-05T00:00", ""])
def test_a_malformed_date_filter_is_422_naming_the_filter(api: Api, value: str) -> None:
    for route, body in (("/v1/search", SEARCH), ("/v1/ask", ASK)):
        response = api.client.post(route, json={**body, "filters": {"filed_after": value}})
        error = assert_envelope(response, 422, "invalid_input")
        assert error["detail"] == {"field": "filters.filed_after"} and "YYYY-MM-DD" in error["message"]


def test_a_real_date_filters(api: Api) -> None:
    response = api.client.post("/v1/search", json={**SEARCH, "k": 50, "filters": {"filed_before": "2016-02-29"}})
    assert response.status_code == 200
    assert {hit["document_id"] for hit in response.json()["hits"]} == {api.document_id(CA1_ORDER)}


# --- HTTP around errors ----------------------------------------------------------------------------


def http_exchange(connection: socket.socket, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send one HTTP/1.1 request on an open connection and read its whole response (Content-Length)."""
    connection.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        assert chunk, "the server closed the connection"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in lines[1:])}
    while len(body) < int(headers.get("content-length", "0")):
        chunk = connection.recv(65536)
        assert chunk, "the server closed the connection mid-response"
        body += chunk
    return int(lines[0].split()[1]), headers, body


def test_an_unexpected_error_keeps_the_connection_open(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire at /srv/secret/path")

    monkeypatch.setattr(api.parts.retriever, "search", explode)
    search = json.dumps(SEARCH).encode()
    with serving(create_app(api.parts.settings, api.parts)) as root:
        port = int(root.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
            requests = [
                b"POST /v1/search HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(search)}\r\n\r\n".encode()
                + search,
                b"GET /v1/documents/ab%00cd HTTP/1.1\r\nHost: t\r\n\r\n",
                b"GET /v1/no-such-endpoint HTTP/1.1\r\nHost: t\r\n\r\n",
                b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n",
            ]
            answers = [http_exchange(connection, request) for request in requests]
    assert [status for status, _, _ in answers] == [500, 422, 404, 200]  # one connection, four answers
    body = answers[0][2]
    assert json.loads(body)["error"]["code"] == "internal" and b"secret" not in body
    assert all(headers.get("connection", "").lower() != "close" for _, headers, _ in answers)


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/v1/documents/{pdf}", "GET, DELETE"),
        ("/v1/collections/matter/documents", "GET, POST"),
        ("/v1/search", "POST"),
        ("/healthz", "GET"),
        ("/static/app.js", "GET, HEAD"),
    ],
)
def test_options_and_405_name_every_method_of_the_path(api: Api, path: str, allowed: str) -> None:
    url = path.format(pdf=api.document_id("lease.pdf"))
    options = api.client.options(url)
    assert options.status_code == 204 and options.headers["allow"] == f"{allowed}, OPTIONS"
    refused = api.client.put(url)
    error = assert_envelope(refused, 405, "method_not_allowed")
    assert refused.headers["allow"] == allowed and error["message"].endswith(f"use {allowed}")
    assert api.client.options("/v1/no-such-endpoint").status_code == 404
    assert (api.client.head(url).status_code == 405) == ("HEAD" not in allowed)  # Allow says what is served


def test_openapi_documents_the_refusals_of_readyz_and_metrics(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    ready = paths["/readyz"]["get"]["responses"]
    metrics = paths["/metrics"]["get"]["responses"]
    for responses, codes in ((ready, ("401", "429", "503")), (metrics, ("401", "429"))):
        for code in codes:
            assert responses[code]["content"]["application/json"]["schema"] == envelope, code
    assert "text/plain" in metrics["200"]["content"]
