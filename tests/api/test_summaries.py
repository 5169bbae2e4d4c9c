"""Summaries and the chronology end to end, on SQLite and PostgreSQL: real court filings ingested with the shipped
models; ``GET /v1/documents/{id}/summary``, ``GET /v1/summaries`` and ``GET /v1/chronology`` (JSON and CSV) walled
and audited; a summary per document version, through re-ingest and delete, made on first use for a document
stored without one; the same over the command line."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import delete, update
from typer.testing import CliRunner

from service.backends.sql.tables import DatedEventRow, DocumentSummaryRow
from service.cli import app as cli
from service.components import Components
from service.core.settings import LlmSettings
from tests.support.llm import ServedModel
from tests.support.matters import ALPHA, BRAVO, MISSING, Matters, build_matters, ingest_court_filings

OPINION = "doctor__recap_documents__ca1_00117684624.pdf"
ORDER = "courtlistener__recap_test_assets__gov.uscourts.ca1.12-2209.00106475093.0.pdf"


@pytest.fixture
def matters(tmp_path: Path, components: Components) -> Matters:
    built = build_matters(tmp_path, components)
    ingest_court_filings(components, ALPHA, tmp_path / "court", [OPINION, ORDER])
    return built


def document_id(matters: Matters, source: str) -> str:
    found = matters.parts.store.find_document(ALPHA, source)
    assert found is not None
    return found.id


def test_a_summary_cites_the_pages_it_quotes(matters: Matters) -> None:
    client, headers = matters.client, matters.headers(ALPHA)
    opinion = document_id(matters, OPINION)
    response = client.get(f"/v1/documents/{opinion}/summary", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["document_id"] == opinion and body["collection"] == ALPHA and len(body["sha256"]) == 64
    by_field = {line["field"]: line for line in body["lines"]}
    assert by_field["docket"]["text"] == "20-1507" and by_field["date"]["text"] == "2020-12-22"
    assert body["headline"]["field"] == "disposition"
    assert "dismissed without prejudice for lack of appellate jurisdiction" in body["headline"]["text"]
    for line in body["lines"]:
        if line["page"] is None or line["field"] not in ("disposition", "holding", "relief"):
            continue
        page = client.get(f"/v1/documents/{opinion}/pages/{line['page']}", headers=headers).json()
        assert " ".join(page["text"][line["start"] : line["end"]].split()) == line["text"]
    headlines = client.get("/v1/summaries", params={"collection": ALPHA}, headers=headers)
    assert headlines.status_code == 200, headlines.text
    lines = {line["document_id"]: line for line in headlines.json()["headlines"]}
    assert lines[opinion]["text"] == body["headline"]["text"]
    assert "consolidated" in lines[document_id(matters, ORDER)]["text"]


def test_the_chronology_is_in_time_order_as_json_and_csv(matters: Matters) -> None:
    client, headers = matters.client, matters.headers(ALPHA)
    response = client.get("/v1/chronology", params={"collection": ALPHA}, headers=headers)
    assert response.status_code == 200, response.text
    events = response.json()["events"]
    dates = [event["date"] for event in events]
    assert dates == sorted(dates) and len(events) >= 4
    kinds = {(event["date"], event["kind"]) for event in events}
    assert {("2013-01-03", "filed"), ("2013-03-08", "due"), ("2020-12-22", "filed")} <= kinds
    for event in events[:10]:
        page = client.get(f"/v1/documents/{event['document_id']}/pages/{event['page']}", headers=headers).json()
        assert event["sentence"].strip("…") in " ".join(page["text"][event["start"] : event["end"]].split())
    due = client.get("/v1/chronology", params={"collection": ALPHA, "kind": ["due", "filed"]}, headers=headers)
    assert {event["kind"] for event in due.json()["events"]} == {"due", "filed"}
    exported = client.get("/v1/chronology", params={"collection": ALPHA, "format": "csv"}, headers=headers)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [row["date"] for row in rows] == dates and rows[0]["sentence"] == events[0]["sentence"].lstrip("'")
    wrong = client.get("/v1/chronology", params={"collection": ALPHA, "kind": "birthday"}, headers=headers)
    assert wrong.status_code == 422 and "kind" in json.dumps(wrong.json()["error"])


def test_walls_and_audit(matters: Matters) -> None:
    client = matters.client
    for path in ("/v1/chronology", "/v1/summaries"):
        other = client.get(path, params={"collection": BRAVO}, headers=matters.headers(ALPHA))
        missing = client.get(path, params={"collection": MISSING}, headers=matters.headers(ALPHA))
        assert other.status_code == missing.status_code == 404
        assert other.json()["error"]["message"].replace(BRAVO, MISSING) == missing.json()["error"]["message"]
    bravo_document = matters.parts.store.list_documents(BRAVO)[0].id
    hidden = client.get(f"/v1/documents/{bravo_document}/summary", headers=matters.headers(ALPHA))
    unknown = client.get("/v1/documents/0123456789abcdef/summary", headers=matters.headers(ALPHA))
    assert hidden.status_code == unknown.status_code == 404
    own = client.get(f"/v1/documents/{bravo_document}/summary", headers=matters.headers(BRAVO))
    assert own.status_code == 200 and own.json()["collection"] == BRAVO and own.json()["generated"] is None
    no_llm = client.get(f"/v1/documents/{bravo_document}/summary?generated=true", headers=matters.headers(BRAVO))
    assert no_llm.status_code == 422 and no_llm.json()["error"]["detail"]["field"] == "generated"
    client.get("/v1/chronology", params={"collection": ALPHA}, headers=matters.headers(ALPHA))
    client.get("/v1/summaries", params={"collection": ALPHA}, headers=matters.headers(ALPHA))
    actions = {(row["action"], row["key_name"], row["collection"]) for row in matters.parts.audit.export()}
    assert {("summary", "bravo-team", BRAVO), ("chronology", "alpha-team", ALPHA)} <= actions
    assert ("summaries", "alpha-team", ALPHA) in actions


def test_one_summary_per_version_through_reingest_and_delete(matters: Matters, tmp_path: Path) -> None:
    parts = matters.parts
    opinion = document_id(matters, OPINION)
    first = parts.summaries().summary(opinion)
    copy = tmp_path / "court" / OPINION
    copy.write_bytes(copy.read_bytes() + b"\n%")  # a changed file is a new version: its summary is made again
    summary = parts.pipeline(ALPHA).ingest([tmp_path / "court"])
    assert {result.source: result.outcome for result in summary.files}[OPINION] == "updated"
    second = parts.summaries().summary(opinion)
    assert second.document.sha256 != first.document.sha256 and second.lines == first.lines
    stored = parts.summary_index.summaries([opinion])[opinion]
    assert stored.sha256 == second.document.sha256
    before = len(parts.summaries().chronology(ALPHA))
    parts.pipeline(ALPHA).delete(opinion)
    assert parts.summary_index.summaries([opinion]) == {}
    after = parts.summaries().chronology(ALPHA)
    assert len(after) < before and all(event.document_id != opinion for event in after)
    response = matters.client.get(f"/v1/documents/{opinion}/summary", headers=matters.headers(ALPHA))
    assert response.status_code == 404


def test_a_document_stored_without_a_summary_gets_one_on_first_use(matters: Matters) -> None:
    parts = matters.parts
    order = document_id(matters, ORDER)
    made_at_ingest = parts.summaries().summary(order).lines
    events_at_ingest = [stored.event for stored in parts.summaries().chronology(ALPHA) if stored.document_id == order]
    with parts.sql.session() as session, session.begin():  # as a database from before summaries has it
        session.execute(delete(DatedEventRow))
        session.execute(delete(DocumentSummaryRow))
    events = [stored.event for stored in parts.summaries().chronology(ALPHA) if stored.document_id == order]
    assert events == events_at_ingest  # made again from the stored pages, as ingest made them
    assert parts.summary_index.summaries([order])[order].lines == made_at_ingest
    assert parts.summaries().summary(order).lines == made_at_ingest


def test_a_digest_made_by_older_rules_is_made_again_on_first_use(matters: Matters) -> None:
    parts = matters.parts
    order = document_id(matters, ORDER)
    made_now = parts.summaries().summary(order).lines
    events_now = [stored.event for stored in parts.summaries().chronology(ALPHA) if stored.document_id == order]
    with parts.sql.session() as session, session.begin():  # as older rules left it, and a database before versions
        session.execute(update(DatedEventRow).where(DatedEventRow.document_id == order).values(kind="other"))
        session.execute(update(DocumentSummaryRow).values(rules=None))
        session.execute(update(DocumentSummaryRow).where(DocumentSummaryRow.document_id == order).values(rules=1))
    events = [stored.event for stored in parts.summaries().chronology(ALPHA) if stored.document_id == order]
    assert events == events_now and {event.kind for event in events} != {"other"}
    stored = parts.summary_index.summaries([order])[order]
    assert stored.current and stored.lines == made_now
    everything = [record.id for record in parts.store.list_documents(ALPHA)]
    assert all(summary.current for summary in parts.summary_index.summaries(everything).values())


def test_the_command_line_prints_summaries_and_chronologies(
    matters: Matters, monkeypatch: pytest.MonkeyPatch, models_cache: Path
) -> None:
    settings = matters.parts.settings
    monkeypatch.setenv("DOCQA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DOCQA_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("DOCQA_EMBEDDING__CACHE_DIR", str(models_cache))
    shown = CliRunner().invoke(cli, ["summary", document_id(matters, ORDER), "--json"])
    assert shown.exit_code == 0, shown.output
    lines = json.loads(shown.stdout)["lines"]
    assert {"field", "text", "page", "char_start", "char_end"} <= set(lines[0])
    assert any(line["field"] == "disposition" and "consolidated" in line["text"] for line in lines)
    table = CliRunner().invoke(cli, ["chronology", "-c", ALPHA, "--csv"])
    assert table.exit_code == 0, table.output
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert rows and [row["date"] for row in rows] == sorted(row["date"] for row in rows)
    listed = CliRunner().invoke(cli, ["chronology", "-c", ALPHA, "--json", "--kind", "due"])
    assert listed.exit_code == 0 and {row["kind"] for row in json.loads(listed.stdout)} == {"due"}
    unknown = CliRunner().invoke(cli, ["summary", "0123456789abcdef"])
    assert unknown.exit_code != 0 and "0123456789abcdef" in unknown.output


def test_a_generated_summary_from_a_served_model_is_checked_and_kept_per_version(
    matters: Matters,
    tiny_chat_server: ServedModel,
    make_components: Callable[..., Components],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    models_cache: Path,
) -> None:
    """The tiny model's text is gibberish: what is tested is the path (served model, check, cache), not prose."""
    settings = matters.parts.settings
    llm = LlmSettings(
        backend="openai",
        base_url=tiny_chat_server.base_url,
        model=tiny_chat_server.model,
        tokenizer_dir=tiny_chat_server.model_dir,
        answer_tokens=24,  # the tiny model always writes all it may, slowly on a shared CPU
        timeout_s=240,
        max_retries=0,
    )
    parts = make_components(settings.model_copy(update={"llm": llm}), matters.parts.embedder)
    order = document_id(matters, ORDER)
    made = parts.summaries().summary(order, generated=True).generated
    assert made is not None and made.model == tiny_chat_server.model and made.text
    assert made.state in ("answered", "low_support", "not_found")
    assert all(claim.supported == (not claim.reasons) for claim in made.claims)
    kept = parts.summary_index.summaries([order])[order].generated
    assert kept is not None and kept["text"] == made.text
    assert parts.summaries().summary(order, generated=True).generated == made  # from the store, not asked again
    environment = {
        "DOCQA_DATA_DIR": str(settings.data_dir),
        "DOCQA_DATABASE_URL": settings.resolved_database_url,
        "DOCQA_EMBEDDING__CACHE_DIR": str(models_cache),
        "DOCQA_LLM__BACKEND": "openai",
        "DOCQA_LLM__BASE_URL": tiny_chat_server.base_url,
        "DOCQA_LLM__MODEL": tiny_chat_server.model,
        "DOCQA_LLM__TOKENIZER_DIR": str(tiny_chat_server.model_dir),
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    shown = CliRunner().invoke(cli, ["summary", order, "--generated", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["generated"]["text"] == made.text
    copy = tmp_path / "court" / ORDER
    copy.write_bytes(copy.read_bytes() + b"\n%")  # a new version has no generated summary until one is asked for
    parts.pipeline(ALPHA).ingest([tmp_path / "court"])
    assert parts.summary_index.summaries([order])[order].generated is None
