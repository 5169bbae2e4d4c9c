"""The whole-record endpoints over the API corpus, on SQLite and PostgreSQL: ``/v1/record/search`` (every hit,
in document order, paged, exact spans) and ``/v1/record/terms`` (JSON and CSV), walled, filtered, audited."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.cli import app as cli
from service.components import Components
from service.core.seams import Embedder
from tests.support.api import CACD_ORDER, COLLECTION, api_client, assert_envelope, document_text, ingested_corpus


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, models_cache: Path, embedder: Embedder
) -> Iterator[tuple[TestClient, Components]]:
    folder = tmp_path_factory.mktemp(f"record-{request.param}")
    with ingested_corpus(request.param, folder, models_cache, embedder) as corpus:
        parts = corpus.components()
        with api_client(parts) as test_client:
            yield test_client, parts
        parts.close()


def record_search(client: TestClient, query: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/v1/record/search", json={"query": query, "collection": COLLECTION, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_every_hit_with_its_exact_span_in_document_order(client: tuple[TestClient, Components]) -> None:
    test_client, _ = client
    body = record_search(test_client, "lease OR tenant")
    hits = body["hits"]
    assert body["total"] == len(hits) >= 4
    assert [(hit["source"], hit["page"], hit["char_start"]) for hit in hits] == sorted(
        (hit["source"], hit["page"], hit["char_start"]) for hit in hits
    )
    assert sum(document["hits"] for document in body["documents"]) == body["total"]
    texts: dict[str, str] = {}
    for hit in hits:
        assert hit["text"].lower() in ("lease", "tenant")
        document_id = hit["document_id"]
        texts.setdefault(document_id, document_text(test_client, document_id))
        assert texts[document_id][hit["char_start"] : hit["char_end"]] == hit["text"]
        page = test_client.get(f"/v1/documents/{document_id}/pages/{hit['page']}").json()
        assert page["text"][hit["page_char_start"] : hit["page_char_end"]] == hit["text"]


def test_pages_of_hits_add_up_to_the_whole(client: tuple[TestClient, Components]) -> None:
    test_client, _ = client
    whole = record_search(test_client, "the", limit=1000)
    assert whole["total"] > 20
    paged: list[dict[str, Any]] = []
    for offset in range(0, whole["total"], 7):
        page = record_search(test_client, "the", offset=offset, limit=7)
        assert page["total"] == whole["total"] and page["documents"] == whole["documents"]
        paged.extend(page["hits"])
    assert paged == whole["hits"]


def test_phrases_proximity_filters_and_court_fields(client: tuple[TestClient, Components]) -> None:
    test_client, parts = client
    body = record_search(test_client, "bond w/3 required")
    assert {hit["source"] for hit in body["hits"]} == {CACD_ORDER}
    assert all("bond" in hit["text"].lower() and "required" in hit["text"].lower() for hit in body["hits"])
    for hit in body["hits"]:
        assert hit["page_label"] == parts.store.get_page(hit["document_id"], hit["page"]).label
    court = parts.store.find_document(COLLECTION, CACD_ORDER)
    assert court is not None and court.metadata.get("court")
    filtered = record_search(test_client, "court", filters={"court": court.metadata["court"]})
    assert filtered["total"] > 0 and {hit["source"] for hit in filtered["hits"]} == {CACD_ORDER}
    assert record_search(test_client, '"monthly rent of"')["hits"][0]["text"] == "monthly rent of"


def test_term_report_json_and_csv_agree_with_search(client: tuple[TestClient, Components]) -> None:
    test_client, _ = client
    terms = ["lease", "settlement w/5 fee", "tenant*", "nonexistentword"]
    response = test_client.post("/v1/record/terms", json={"terms": terms, "collection": COLLECTION})
    assert response.status_code == 200, response.text
    report = response.json()
    assert [term["query"] for term in report["terms"]] == terms
    for index, term in enumerate(report["terms"]):
        searched = record_search(test_client, terms[index], limit=1000)
        assert term["total_hits"] == searched["total"]
        assert term["documents_with_hits"] == len(searched["documents"])
        per_document = {document["document_id"]: document["hits"] for document in searched["documents"]}
        counts = {document["document_id"]: document["counts"][index] for document in report["documents"]}
        assert {key: value for key, value in counts.items() if value} == per_document
    assert report["terms"][3] == {"query": "nonexistentword", "documents_with_hits": 0, "total_hits": 0,
                                  "unique_documents": 0}  # fmt: skip

    exported = test_client.post("/v1/record/terms", json={"terms": terms, "collection": COLLECTION, "format": "csv"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][:4] == ["query", "documents_with_hits", "total_hits", "unique_documents"]
    assert rows[0][4:] == [document["source"] for document in report["documents"]]
    for row, term in zip(rows[1:], report["terms"], strict=True):
        assert row[0] == term["query"] and int(row[2]) == term["total_hits"]


@pytest.mark.parametrize(
    ("body", "position", "words"),
    [
        ({"query": '"monthly rent'}, 0, "never closed"),
        ({"query": "rent AND (lease"}, 9, "never closed"),
        ({"query": "rent w/x lease"}, 5, "needs a number of words"),
        ({"query": "rent near/5 lease"}, 5, "unknown operator"),
        ({"query": "rent AND"}, 5, "no term after"),
        ({"query": "NOT rent"}, 0, "NOT only excludes"),
    ],
)
def test_bad_queries_name_the_position(
    client: tuple[TestClient, Components], body: dict[str, Any], position: int, words: str
) -> None:
    test_client, _ = client
    response = test_client.post("/v1/record/search", json={"collection": COLLECTION, **body})
    error = assert_envelope(response, 422, "invalid_input")
    assert error["detail"] == {"field": "query", "position": position} and words in error["message"], error


def test_bad_term_lists_name_the_line(client: tuple[TestClient, Components]) -> None:
    test_client, _ = client
    bad = test_client.post("/v1/record/terms", json={"terms": ["rent", "lease w/ tenant"], "collection": COLLECTION})
    error = assert_envelope(bad, 422, "invalid_input")
    assert error["detail"] == {"field": "terms", "position": 6, "line": 2} and "line 2" in error["message"]
    huge = test_client.post(
        "/v1/record/terms", json={"terms": [f"word{n}" for n in range(10_000)], "collection": COLLECTION}
    )
    error = assert_envelope(huge, 422, "invalid_input")
    assert "1,000" in error["message"] and "split" in error["message"]
    empty = test_client.post("/v1/record/terms", json={"terms": ["rent", " "], "collection": COLLECTION})
    assert "terms[1] is empty" in assert_envelope(empty, 422, "invalid_input")["message"]


def test_walled_and_audited(client: tuple[TestClient, Components]) -> None:
    test_client, parts = client
    for route, body in (("/v1/record/search", {"query": "rent"}), ("/v1/record/terms", {"terms": ["rent"]})):
        missing = test_client.post(route, json={**body, "collection": "elsewhere"})
        assert assert_envelope(missing, 404, "not_found")["detail"] == {"field": "collection"}
    record_search(test_client, "audited w/2 query")
    test_client.post("/v1/record/search", json={"query": '"monthly rent', "collection": COLLECTION})
    test_client.post("/v1/record/terms", json={"terms": ["rent"], "collection": COLLECTION})
    rows = [row for row in parts.audit.export() if row["action"] in ("record_search", "term_report")]
    done = [row for row in rows if row["outcome"] == "ok" and row["action"] == "record_search"]
    assert any(row["payload"]["query"] == "audited w/2 query" and row["payload"]["total"] == 0 for row in done)
    refused = [row for row in rows if row["outcome"] == "error:invalid_input"]
    assert any(row["payload"]["question"] == '"monthly rent' for row in refused)  # bad queries are audited too
    assert any(row["action"] == "term_report" for row in rows)
    assert all(row["collection"] == COLLECTION for row in rows)


# --- the CLI gives what the API gives ---------------------------------------------------------------


@pytest.fixture
def cli_env(client: tuple[TestClient, Components], monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    settings = client[1].settings
    monkeypatch.setenv("DOCQA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DOCQA_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("DOCQA_EMBEDDING__CACHE_DIR", str(settings.embedding.cache_dir))
    return CliRunner()


def test_grep_equals_the_api(client: tuple[TestClient, Components], cli_env: CliRunner) -> None:
    test_client, _ = client
    result = cli_env.invoke(cli, ["grep", "lease OR tenant*", "-c", COLLECTION, "--json"])
    assert result.exit_code == 0, result.output
    from_cli = json.loads(result.stdout)
    over_http = record_search(test_client, "lease OR tenant*", limit=1000)
    assert from_cli["total"] == over_http["total"] and from_cli["documents"] == over_http["documents"]
    fields = ("document_id", "source", "page", "char_start", "char_end", "text")
    assert [{f: hit[f] for f in fields} for hit in from_cli["hits"]] == [
        {f: hit[f] for f in fields} for hit in over_http["hits"]
    ]
    table = cli_env.invoke(cli, ["grep", '"monthly rent"', "-c", COLLECTION])
    assert table.exit_code == 0 and "lease.pdf · p. 1" in table.stdout and "1 hits in 1 documents" in table.stdout


def test_terms_csv_equals_the_api(client: tuple[TestClient, Components], cli_env: CliRunner, tmp_path: Path) -> None:
    test_client, _ = client
    terms = ["lease", "", "settlement w/5 fee", "=cmd"]
    (tmp_path / "terms.txt").write_text("\n".join(terms) + "\n")
    result = cli_env.invoke(cli, ["terms", str(tmp_path / "terms.txt"), "-c", COLLECTION, "--csv"])
    assert result.exit_code == 0, result.output
    body = {"terms": [term for term in terms if term], "collection": COLLECTION, "format": "csv"}
    over_http = test_client.post("/v1/record/terms", json=body).text
    assert result.stdout.replace("\r\n", "\n") == over_http.replace("\r\n", "\n")
    assert "\n'=cmd," in result.stdout.replace("\r\n", "\n")  # never a spreadsheet formula


def test_cli_errors_are_one_line(client: tuple[TestClient, Components], cli_env: CliRunner, tmp_path: Path) -> None:
    bad = cli_env.invoke(cli, ["grep", "rent w/ lease", "-c", COLLECTION])
    assert bad.exit_code == 2 and "position 5" in bad.output and "Traceback" not in bad.output
    (tmp_path / "terms.txt").write_text("rent\n(lease\n")
    listed = cli_env.invoke(cli, ["terms", str(tmp_path / "terms.txt"), "-c", COLLECTION])
    assert listed.exit_code == 2 and "terms.txt" in listed.output and "line 2" in listed.output
    missing = cli_env.invoke(cli, ["grep", "rent", "-c", "nope"])
    assert missing.exit_code == 2 and "'nope' not found" in missing.output
