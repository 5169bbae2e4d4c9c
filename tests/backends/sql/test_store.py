"""What SQLite adds to the ``DocumentStore`` contract (tests/backends/contracts/): a deleted document's text
leaves the database file; an older database gains the columns added since."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from service.backends.sql.store import ADDED_COLUMNS, SqlDocumentStore, make_engine
from tests.support.stored import document, drafts_for, facts, vectors


def test_sqlite_delete_leaves_no_text_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "docqa.db"
    store = SqlDocumentStore(make_engine(f"sqlite:///{path}"))
    store.create_schema()
    secret = "PRIVILEGED-" + "zq" * 400
    parsed = document(secret)
    document_id, _, _ = store.replace_document("m", facts(), parsed, drafts_for(parsed), vectors(1))
    store.delete_document(document_id)
    with store.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.engine.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("docqa.db"))
    assert b"PRIVILEGED-" not in raw


@pytest.mark.parametrize(("table", "column"), [(table, column) for table, column, _ in ADDED_COLUMNS])
def test_create_schema_adds_a_column_an_older_database_lacks(tmp_path: Path, table: str, column: str) -> None:
    store = SqlDocumentStore(make_engine(f"sqlite:///{tmp_path / 'docqa.db'}"))
    store.create_schema()
    with store.engine.begin() as connection:  # as a database from before the column was added
        connection.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
    assert column not in {found["name"] for found in inspect(store.engine).get_columns(table)}
    store.create_schema()
    assert column in {found["name"] for found in inspect(store.engine).get_columns(table)}
