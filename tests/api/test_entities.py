"""The entity index end to end, on SQLite and PostgreSQL: real court filings and the walled matters ingested with
the shipped models; ``GET /v1/entities`` and ``GET /v1/entities/{id}/mentions`` walled like search and audited;
consistent through delete and re-ingest; the same over the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app as cli
from service.components import Components
from tests.support.matters import ALPHA, BRAVO, MISSING, Matters, build_matters
from tests.support.paths import COURT

OPINION = "doctor__recap_documents__ca1_00117684624.pdf"
ORDER = "courtlistener__recap_test_assets__gov.uscourts.ca1.12-2209.00106475093.0.pdf"


@pytest.fixture
def matters(tmp_path: Path, components: Components) -> Matters:
    built = build_matters(tmp_path, components)
    court = tmp_path / "court"
    court.mkdir()
    for name in (OPINION, ORDER):
        shutil.copy(COURT / name, court / name)
    summary = components.pipeline(ALPHA).ingest([court])
    assert [result.outcome for result in summary.files] == ["new", "new"], summary.files
    return built


def test_entities_of_a_matter_with_counts_and_types(matters: Matters) -> None:
    client = matters.client
    response = client.get("/v1/entities", params={"collection": ALPHA}, headers=matters.headers(ALPHA))
    assert response.status_code == 200, response.text
    entities = response.json()["entities"]
    by_name = {(entity["type"], entity["name"]): entity for entity in entities}
    halvorsen = by_name[("org", "Halvorsen Maritime")]
    assert halvorsen["documents"] == 3 and halvorsen["mentions"] >= 3  # the PDF, the notes and the upload
    assert ("person", "Ingrid Solvang-Okafor") in by_name
    judges = {entity["name"] for entity in entities if "judge" in entity["roles"]}
    assert {"Howard", "Selya", "Barron"} <= judges
    assert ("court", "United States Court of Appeals For the First Circuit") in by_name
    assert [entity["mentions"] for entity in entities] == sorted((e["mentions"] for e in entities), reverse=True)
    people = client.get("/v1/entities", params={"collection": ALPHA, "type": "person"}, headers=matters.headers(ALPHA))
    assert {entity["type"] for entity in people.json()["entities"]} == {"person"}
    assert all("brightwater" not in entity["name"].lower() for entity in entities)  # nothing of bravo


def test_mentions_have_exact_spans_and_are_paginated(matters: Matters) -> None:
    client, headers = matters.client, matters.headers(ALPHA)
    entities = client.get("/v1/entities", params={"collection": ALPHA}, headers=headers).json()["entities"]
    halvorsen = next(entity for entity in entities if entity["name"] == "Halvorsen Maritime")
    url = f"/v1/entities/{halvorsen['id']}/mentions"
    whole = client.get(url, headers=headers).json()
    assert whole["total"] == halvorsen["mentions"] == len(whole["mentions"])
    for mention in whole["mentions"]:
        page = client.get(f"/v1/documents/{mention['document_id']}/pages/{mention['page']}", headers=headers).json()
        assert page["text"][mention["start"] : mention["end"]] == mention["text"]
        assert mention["text"] in mention["quote"] or " ".join(mention["text"].split()) in mention["quote"]
    second = client.get(url, params={"offset": 1, "limit": 1}, headers=headers).json()
    assert second["mentions"] == whole["mentions"][1:2] and second["offset"] == 1
    bad = client.get(url, params={"limit": 0}, headers=headers)
    assert bad.status_code == 422


def test_walls_bad_input_and_audit(matters: Matters) -> None:
    client = matters.client
    other = client.get("/v1/entities", params={"collection": BRAVO}, headers=matters.headers(ALPHA))
    missing = client.get("/v1/entities", params={"collection": MISSING}, headers=matters.headers(ALPHA))
    assert other.status_code == missing.status_code == 404
    assert other.json()["error"]["message"].replace(BRAVO, MISSING) == missing.json()["error"]["message"]
    bravo_entity = matters.parts.entities().entities(BRAVO, None)[0].id
    hidden = client.get(f"/v1/entities/{bravo_entity}/mentions", headers=matters.headers(ALPHA))
    unknown = client.get("/v1/entities/0123456789abcdef/mentions", headers=matters.headers(ALPHA))
    assert hidden.status_code == unknown.status_code == 404
    assert (
        hidden.json()["error"]["message"].replace(bravo_entity, "0123456789abcdef")
        == unknown.json()["error"]["message"]
    )
    wrong = client.get("/v1/entities", params={"collection": ALPHA, "type": "planet"}, headers=matters.headers(ALPHA))
    assert wrong.status_code == 422 and "type" in json.dumps(wrong.json()["error"])
    own = client.get(f"/v1/entities/{bravo_entity}/mentions", headers=matters.headers(BRAVO))
    assert own.status_code == 200 and own.json()["collection"] == BRAVO
    client.get("/v1/entities", params={"collection": ALPHA, "type": "org"}, headers=matters.headers(ALPHA))
    rows = matters.parts.audit.export()
    actions = [(row["action"], row["key_name"], row["collection"]) for row in rows]
    listed = next(row for row in rows if row["action"] == "entities" and row["key_name"] == "alpha-team")
    assert listed["payload"]["type"] == "org" and listed["payload"]["entities"] >= 1
    assert ("entities", "alpha-team", ALPHA) in actions
    assert ("mentions", "bravo-team", BRAVO) in actions


def test_search_and_ask_filtered_by_an_entity_keep_its_pages(matters: Matters) -> None:
    client, headers = matters.client, matters.headers(ALPHA)
    people = client.get("/v1/entities", params={"collection": ALPHA, "type": "person"}, headers=headers).json()
    mills = next(entity for entity in people["entities"] if entity["name"] == "Janet T. Mills")
    mentions = client.get(f"/v1/entities/{mills['id']}/mentions", params={"limit": 500}, headers=headers).json()
    pages = {(mention["document_id"], mention["page"]) for mention in mentions["mentions"]}
    body = {"query": "the Governor's executive orders", "collection": ALPHA, "k": 20}
    unfiltered = client.post("/v1/search", json=body, headers=headers).json()["hits"]
    filtered = client.post("/v1/search", json={**body, "filters": {"entity": mills["id"]}}, headers=headers)
    assert filtered.status_code == 200, filtered.text
    hits = filtered.json()["hits"]
    assert hits and len(hits) < len(unfiltered)
    for hit in hits:
        spanned = {(hit["document_id"], page) for page in range(hit["page_start"], hit["page_end"] + 1)}
        assert spanned & pages, hit
    asked = client.post(
        "/v1/ask",
        json={"question": "Who is the Governor?", "collection": ALPHA, "filters": {"entity": mills["id"]}},
        headers=headers,
    )
    assert asked.status_code == 200, asked.text
    assert all((c["document_id"], c["page"]) in pages for c in asked.json()["citations"])
    bravo_entity = matters.parts.entities().entities(BRAVO, None)[0].id
    walled = client.post("/v1/search", json={**body, "filters": {"entity": bravo_entity}}, headers=headers)
    assert walled.status_code == 422 and walled.json()["error"]["detail"]["field"] == "filters.entity"


def test_delete_and_reingest_keep_the_index_consistent(matters: Matters, tmp_path: Path) -> None:
    parts = matters.parts

    def selya() -> int:
        found = [entity for entity in parts.entities().entities(ALPHA, "person") if entity.name == "Selya"]
        return len(found[0].mentions) if found else 0

    before = selya()
    assert before >= 1
    opinion = parts.store.find_document(ALPHA, OPINION)
    assert opinion is not None
    parts.pipeline(ALPHA).delete(opinion.id)
    assert selya() == 0
    summary = parts.pipeline(ALPHA).ingest([tmp_path / "court"])
    assert {result.source: result.outcome for result in summary.files} == {OPINION: "new", ORDER: "unchanged"}
    assert selya() == before
    copy = tmp_path / "court" / OPINION
    copy.write_bytes(copy.read_bytes() + b"\n%")  # a changed file is ingested again: its mentions replaced
    summary = parts.pipeline(ALPHA).ingest([tmp_path / "court"])
    assert {result.source: result.outcome for result in summary.files}[OPINION] == "updated"
    assert selya() == before


def test_the_command_line_lists_entities_and_mentions(
    matters: Matters, monkeypatch: pytest.MonkeyPatch, models_cache: Path
) -> None:
    settings = matters.parts.settings
    monkeypatch.setenv("DOCQA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DOCQA_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("DOCQA_EMBEDDING__CACHE_DIR", str(models_cache))
    listed = CliRunner().invoke(cli, ["entities", "-c", ALPHA, "--type", "org", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert {"name", "type", "documents", "mentions"} <= set(rows[0])
    assert {row["type"] for row in rows} == {"org"}
    assert any(row["name"] == "Halvorsen Maritime" and row["documents"] == 3 for row in rows)
    shown = CliRunner().invoke(cli, ["mentions", "halvorsen maritime", "-c", ALPHA, "--json"])
    assert shown.exit_code == 0, shown.output
    mentions = json.loads(shown.stdout)
    assert mentions["entity"] == "Halvorsen Maritime" and mentions["total"] == len(mentions["mentions"]) >= 3
    wrong = CliRunner().invoke(cli, ["entities", "-c", ALPHA, "--type", "planet"])
    assert wrong.exit_code != 0 and "planet" in wrong.output
    nobody = CliRunner().invoke(cli, ["mentions", "Nobody Atall", "-c", ALPHA])
    assert nobody.exit_code != 0 and "no entity called 'Nobody Atall'" in nobody.output


def test_the_index_can_be_turned_off(components: Components, tmp_path: Path) -> None:
    """``DOCQA_INGEST__ENTITIES=false``: documents ingested from then on have no mentions; those before keep theirs."""
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "first.txt").write_text("Plaintiff Jane Doe sued Acme Corp. in Portland, Maine.\n")
    components.pipeline("notes").ingest([folder])
    assert {entity.name for entity in components.entities().entities("notes", "person")} == {"Jane Doe"}
    settings = components.settings
    off = settings.model_copy(update={"ingest": settings.ingest.model_copy(update={"entities": False})})
    parts = Components(off, components.embedder)
    try:
        (folder / "second.txt").write_text("Defendant Richard Roe answered.\n")
        parts.pipeline("notes").ingest([folder])
        assert {entity.name for entity in parts.entities().entities("notes", "person")} == {"Jane Doe"}
        assert len(parts.store.list_documents("notes")) == 2
    finally:
        parts.close()
