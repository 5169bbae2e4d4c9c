"""The citation index over real filings, on SQLite and PostgreSQL: found at ingest with exact spans, grouped
per authority, kept through re-ingest and deletes, built for documents stored before it existed, and
served by ``/v1/record/authorities``, ``/v1/record/citing``, ``/v1/documents/{id}/pages/{n}/citations`` and
``docqa authorities``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from service.cli import app as cli
from service.components import Components
from service.core.seams import Embedder
from tests.support.api import api_client, assert_envelope
from tests.support.court import CA1_OPINION, CA9_MOTION
from tests.support.databases import DATABASES, fresh_database, make_settings
from tests.support.paths import COURT

MATTER = "appeals"


@pytest.fixture(scope="module", params=DATABASES)
def court(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, models_cache: Path, embedder: Embedder
) -> Iterator[Components]:
    """Two real filings with many citations, ingested once per database (the last test deletes one)."""
    tmp_path = tmp_path_factory.mktemp(f"citing-{request.param}")
    folder = tmp_path / "filings"
    folder.mkdir()
    for name in (CA1_OPINION, CA9_MOTION):
        shutil.copy(COURT / name, folder / name)
    with fresh_database(request.param, tmp_path) as url:
        components = Components(make_settings(tmp_path / "data", url, models_cache), embedder=embedder)
        summary = components.pipeline(MATTER).ingest([folder])
        assert summary.count("new") == 2, summary.as_dict()
        yield components
        components.close()


def document_id(parts: Components, source: str) -> str:
    record = parts.store.find_document(MATTER, source)
    assert record is not None
    return record.id


def test_citations_are_stored_at_ingest_with_exact_spans(court: Components) -> None:
    found = court.citation_index.citations(MATTER)
    assert len(found) >= 40
    for citation in found:
        page = court.store.get_page(citation.document_id, citation.mention.page)
        assert page.text[citation.mention.char_start : citation.mention.char_end] == citation.mention.text
    assert [(c.source, c.mention.page, c.mention.char_start) for c in found] == sorted(
        (c.source, c.mention.page, c.mention.char_start) for c in found
    )


def test_table_of_authorities_and_citing_filings(court: Components) -> None:
    opinion = document_id(court, CA1_OPINION)
    table = court.authorities.table(MATTER, opinion)
    by_key = {entry.authority: entry for entry in table}
    assert by_key["28 U.S.C. § 1291"].kind == "law" and by_key["28 U.S.C. § 1291"].pages
    cases = [entry for entry in table if entry.kind == "case"]
    assert cases and [entry.kind for entry in table] == sorted(
        (entry.kind for entry in table), key=["case", "law", "journal"].index
    )
    assert all(entry.mentions >= 1 and entry.documents == 1 for entry in table)

    whole = court.authorities.table(MATTER)
    assert {entry.authority for entry in whole} >= set(by_key) and all(not entry.pages for entry in whole)

    keys, citing = court.authorities.citing(MATTER, " 28  u.s.c. § 1291 ")
    assert keys == ["28 U.S.C. § 1291"] and [document.source for document in citing] == [CA1_OPINION]
    assert len(citing[0].mentions) == by_key["28 U.S.C. § 1291"].mentions
    named = next(entry for entry in cases if entry.case_name)
    word = max(named.case_name.split(), key=len)  # type: ignore[union-attr]
    keys, citing = court.authorities.citing(MATTER, word.lower())
    assert named.authority in keys and citing


def test_the_api_and_the_cli(court: Components, monkeypatch: pytest.MonkeyPatch) -> None:
    opinion = document_id(court, CA1_OPINION)
    with api_client(court) as client:
        table = client.post("/v1/record/authorities", json={"collection": MATTER, "document_id": opinion})
        assert table.status_code == 200, table.text
        entries = table.json()["authorities"]
        assert "28 U.S.C. § 1291" in [entry["authority"] for entry in entries]
        citing = client.post("/v1/record/citing", json={"collection": MATTER, "cites": "28 U.S.C. § 1291"}).json()
        assert citing["authorities"] == ["28 U.S.C. § 1291"]
        (document,) = citing["documents"]
        page = client.get(f"/v1/documents/{opinion}/pages/{document['citations'][0]['page']}").json()
        first = document["citations"][0]
        assert page["text"][first["char_start"] : first["char_end"]] == first["text"]
        assert document["mentions"] == len(document["citations"])
        elsewhere = client.post("/v1/record/authorities", json={"collection": "other", "document_id": opinion})
        assert_envelope(elsewhere, 404, "not_found")
        rows = [row for row in court.audit.export() if row["action"] in ("authorities", "citing")]
        assert [row["action"] for row in rows] == ["authorities", "citing"]

    settings = court.settings
    monkeypatch.setenv("DOCQA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DOCQA_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("DOCQA_EMBEDDING__CACHE_DIR", str(settings.embedding.cache_dir))
    result = CliRunner().invoke(cli, ["authorities", "-c", MATTER, "--document", opinion, "--json"])
    assert result.exit_code == 0, result.output
    assert [entry["authority"] for entry in json.loads(result.stdout)] == [entry["authority"] for entry in entries]
    cited = CliRunner().invoke(cli, ["authorities", "-c", MATTER, "--cites", "28 U.S.C. § 1291"])
    assert cited.exit_code == 0 and f"{CA1_OPINION}: {document['mentions']} mentions" in cited.stdout


def test_a_pages_citations_for_the_source_viewer(court: Components) -> None:
    opinion = document_id(court, CA1_OPINION)
    with api_client(court) as client:
        response = client.get(f"/v1/documents/{opinion}/pages/8/citations")
        assert response.status_code == 200, response.text
        body = response.json()
        text = client.get(f"/v1/documents/{opinion}/pages/8").json()["text"]
        past_the_end = client.get(f"/v1/documents/{opinion}/pages/999/citations")
    stored = [c.mention for c in court.citation_index.citations(MATTER, opinion) if c.mention.page == 8]
    assert (body["document_id"], body["page"]) == (opinion, 8)
    assert [(c["char_start"], c["char_end"], c["authority"]) for c in body["citations"]] == [
        (m.char_start, m.char_end, m.authority) for m in stored
    ]
    assert ("28 U.S.C. \u00a7 1291", "28 U.S.C. \u00a7 1291") in [
        (c["text"], c["authority"]) for c in body["citations"]
    ]
    assert all(text[c["char_start"] : c["char_end"]] == c["text"] for c in body["citations"])
    assert_envelope(past_the_end, 404, "not_found")
    rows = [row for row in court.audit.export() if row["action"] == "page_citations"]
    assert rows and rows[-1]["collection"] == MATTER


def test_reingest_delete_and_documents_from_before_the_index(court: Components) -> None:
    opinion = document_id(court, CA1_OPINION)
    before = court.authorities.table(MATTER, opinion)
    with court.sql.engine.begin() as connection:  # as a store from before the citation index
        connection.execute(text("DELETE FROM citations"))
        connection.execute(text("DELETE FROM cited_documents"))
    assert court.citation_index.documents_without_citations(MATTER)
    assert court.authorities.table(MATTER, opinion) == before  # indexed on first use
    assert court.citation_index.documents_without_citations(MATTER) == []
    with court.sql.engine.begin() as connection:  # as documents an older finder indexed: some citations missing
        connection.execute(text("DELETE FROM citations WHERE kind = 'law'"))
        connection.execute(text("UPDATE cited_documents SET finder = NULL"))
    assert len(court.citation_index.documents_without_citations(MATTER)) == 2
    assert court.authorities.table(MATTER, opinion) == before  # indexed again by this finder on first use
    assert court.citation_index.documents_without_citations(MATTER) == []
    with court.sql.engine.begin() as connection:  # a database from before finder versions were kept
        connection.execute(text("ALTER TABLE cited_documents DROP COLUMN finder"))
    court.sql.create_schema()  # what opening it does: the column comes back empty
    assert len(court.citation_index.documents_without_citations(MATTER)) == 2
    assert court.authorities.table(MATTER, opinion) == before
    assert court.citation_index.documents_without_citations(MATTER) == []
    court.pipeline(MATTER).delete(opinion)
    assert court.citation_index.citations(MATTER, opinion) == []
    assert court.authorities.citing(MATTER, "28 U.S.C. § 1291") == ([], [])  # only the opinion cited it
