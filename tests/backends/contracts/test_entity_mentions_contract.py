"""The entity index's part of the ``DocumentStore`` contract, on SQLite and PostgreSQL: mentions are stored with
their document in its transaction, replaced with it on re-ingest, deleted with it, walled by collection; a store
made before the entity index gets the table on open."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from service.backends.sql.store import SqlDocumentStore
from service.core.domain import EntityMention
from tests.support.stored import document, drafts_for, facts, vectors

PAGE = "Plaintiff Jane Doe sued Acme Corp. in Portland."


def mentions_of(page: str) -> list[EntityMention]:
    doe = page.index("Jane Doe")
    acme = page.index("Acme Corp.")
    return [
        EntityMention(1, doe, doe + 8, "person", "Jane Doe", "Jane Doe", "plaintiff"),
        EntityMention(1, acme, acme + 10, "org", "Acme Corp.", "Acme Corp.", None),
    ]


def test_mentions_are_stored_replaced_and_deleted_with_their_document(sql_store: SqlDocumentStore) -> None:
    parsed = document(PAGE)
    document_id, _, _ = sql_store.replace_document(
        "m", facts(), parsed, drafts_for(parsed), vectors(1), mentions=mentions_of(PAGE)
    )
    stored = sql_store.mentions("m")
    assert [(found.mention, found.document_id, found.source) for found in stored] == [
        (mention, document_id, "a/b.txt") for mention in mentions_of(PAGE)
    ]
    assert [found.mention.type for found in sql_store.mentions("m", ["org"])] == ["org"]
    assert sql_store.mentions("other") == []

    changed = "Defendant Richard Roe answered."
    parsed = document(changed)
    roe = EntityMention(1, 10, 21, "person", "Richard Roe", "Richard Roe", "defendant")
    sql_store.replace_document("m", facts(sha="2" * 64), parsed, drafts_for(parsed), vectors(1), mentions=[roe])
    assert [found.mention for found in sql_store.mentions("m")] == [roe]  # the old mentions are gone

    sql_store.delete_document(document_id)
    assert sql_store.mentions("m") == []


def test_a_replace_that_fails_midway_leaves_the_document_and_its_mentions(sql_store: SqlDocumentStore) -> None:
    parsed = document(PAGE)
    sql_store.replace_document("m", facts(), parsed, drafts_for(parsed), vectors(1), mentions=mentions_of(PAGE))
    changed = document("Defendant Richard Roe answered.")
    # the database refuses this row (no page) after the old pages, chunks and mentions were deleted and the new
    # ones written, inside the one transaction
    broken = EntityMention(None, 10, 21, "person", "Richard Roe", "Richard Roe", None)  # type: ignore[arg-type]
    with pytest.raises(IntegrityError):
        sql_store.replace_document(
            "m", facts(sha="3" * 64), changed, drafts_for(changed), vectors(1), mentions=[broken]
        )
    assert [found.mention for found in sql_store.mentions("m")] == mentions_of(PAGE)
    record = sql_store.find_document("m", "a/b.txt")
    assert record is not None and sql_store.pages(record.id)[0].text == PAGE


def test_a_store_without_the_table_gets_it_on_open(sql_store: SqlDocumentStore) -> None:
    with sql_store.engine.begin() as connection:
        connection.execute(text("DROP TABLE entity_mentions"))
    assert "entity_mentions" not in inspect(sql_store.engine).get_table_names()
    sql_store.create_schema()
    assert "entity_mentions" in inspect(sql_store.engine).get_table_names()
    parsed = document(PAGE)
    sql_store.replace_document("m", facts(), parsed, drafts_for(parsed), vectors(1), mentions=mentions_of(PAGE))
    assert len(sql_store.mentions("m")) == 2
