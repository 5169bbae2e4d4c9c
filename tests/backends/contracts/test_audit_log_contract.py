"""The ``AuditLog`` contract (``service.core.seams``), over every implementation: ``SqlAuditLog`` on SQLite and on
PostgreSQL. Rows append in order, each chained to the one before; ``verify`` walks the chain to its head and names
the first row changed behind its back. (What each request records: tests/engine/test_audit.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from service.backends.sql.audit_log import SqlAuditLog
from service.backends.sql.store import SqlDocumentStore
from service.backends.sql.tables import AuditRow
from service.core.audit import GENESIS
from service.core.seams import AuditLog


@pytest.fixture
def audit(sql_store: SqlDocumentStore, tmp_path: Path) -> Iterator[AuditLog]:
    yield SqlAuditLog(sql_store, tmp_path / "audit.key")


def test_an_empty_log_verifies_at_genesis(audit: AuditLog) -> None:
    assert audit.export() == []
    verification = audit.verify()
    assert verification.ok and verification.rows == 0 and verification.head == GENESIS


def test_rows_export_in_order_each_chained_to_the_last(audit: AuditLog) -> None:
    audit.record("ask", "alpha-team", "alpha", "answered", {"question": "What rent?", "k": 5})
    audit.record("delete", None, "alpha", "ok", {"document_id": "d" * 32})
    audit.record("keys.create", "admin", None, "ok", {"at": datetime(2026, 1, 2, tzinfo=UTC)})
    rows = audit.export()
    assert [(row["action"], row["key_name"], row["collection"], row["outcome"]) for row in rows] == [
        ("ask", "alpha-team", "alpha", "answered"),
        ("delete", None, "alpha", "ok"),
        ("keys.create", "admin", None, "ok"),
    ]
    assert rows[0]["payload"] == {"question": "What rent?", "k": 5}
    assert rows[2]["payload"] == {"at": "2026-01-02 00:00:00+00:00"}  # stored as JSON, as it was hashed
    assert [row["prev_hash"] for row in rows] == [GENESIS, rows[0]["hash"], rows[1]["hash"]]
    assert rows[0]["id"] < rows[1]["id"] < rows[2]["id"]
    verification = audit.verify()
    assert verification.ok and verification.rows == 3 and verification.head == rows[2]["hash"]


def test_export_since_a_time_in_any_zone(audit: AuditLog) -> None:
    audit.record("search", "alpha-team", "alpha", "ok", {})
    assert len(audit.export(since=datetime.now(UTC) - timedelta(minutes=1))) == 1
    # a minute from now, on a New York clock: read as a local wall time, it would be hours ago
    in_new_york = datetime.now(UTC).astimezone(ZoneInfo("America/New_York")) + timedelta(minutes=1)
    assert audit.export(since=in_new_york) == []


def test_verify_names_the_first_row_changed_in_sql(audit: AuditLog, sql_store: SqlDocumentStore) -> None:
    for number in range(4):
        audit.record("ask", "alpha-team", "alpha", "answered", {"n": number})
    rows = audit.export()
    with sql_store.session() as session, session.begin():
        session.execute(update(AuditRow).where(AuditRow.id == rows[2]["id"]).values(outcome="refused"))
    verification = audit.verify()
    assert not verification.ok and verification.first_bad_id == rows[2]["id"]
    assert "altered" in verification.message
