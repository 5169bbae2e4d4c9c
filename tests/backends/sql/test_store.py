"""What SQLite adds to the ``DocumentStore`` contract (tests/backends/contracts/): a deleted document's text
leaves the database file."""

from __future__ import annotations

from pathlib import Path

from service.backends.sql.store import SqlDocumentStore, make_engine
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
