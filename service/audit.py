"""The audit trail: an append-only, hash-chained log of asks, searches and document changes.

Each row's hash is SHA-256 over the previous row's hash and the row's canonical JSON, so a
changed, inserted or deleted row breaks the chain; ``verify`` finds the first broken row.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text

from service.store.sql import SqlDocumentStore
from service.store.tables import AuditRow, utcnow

GENESIS = "0" * 64


def content_hash(value: str) -> str:
    """The SHA-256 of a text, as recorded for retrieved chunks."""
    return hashlib.sha256(value.encode()).hexdigest()


def _row_hash(
    prev_hash: str,
    at: datetime,
    key_name: str | None,
    action: str,
    collection: str | None,
    outcome: str,
    payload: Mapping[str, Any],
) -> str:
    canonical = json.dumps(
        {
            "at": at.isoformat(),
            "key_name": key_name,
            "action": action,
            "collection": collection,
            "outcome": outcome,
            "payload": payload,
        },
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


@dataclass(frozen=True)
class Verification:
    ok: bool
    rows: int
    first_bad_id: int | None = None
    message: str = ""


class AuditLog:
    """Appends and verifies audit rows."""

    def __init__(self, store: SqlDocumentStore) -> None:
        self.store = store
        self._lock = threading.Lock()

    def record(
        self,
        action: str,
        key_name: str | None,
        collection: str | None,
        outcome: str,
        payload: Mapping[str, Any],
    ) -> None:
        """Append one row, chained to the last (serialised within and across processes)."""
        payload = json.loads(json.dumps(payload, default=str))  # what JSON columns will give back
        with self._lock, self.store.session() as session, session.begin():
            if self.store.engine.dialect.name == "postgresql":
                session.execute(text("LOCK TABLE audit_log IN EXCLUSIVE MODE"))
            last = session.scalar(select(AuditRow.hash).order_by(AuditRow.id.desc()).limit(1)) or GENESIS
            at = utcnow()
            row_hash = _row_hash(last, at, key_name, action, collection, outcome, payload)
            session.add(
                AuditRow(
                    at=at,
                    key_name=key_name,
                    action=action,
                    collection=collection,
                    outcome=outcome,
                    payload=payload,
                    prev_hash=last,
                    hash=row_hash,
                )
            )

    def export(self, since: datetime | None = None) -> list[dict[str, Any]]:
        with self.store.session() as session:
            query = select(AuditRow).order_by(AuditRow.id)
            if since is not None:
                query = query.where(AuditRow.at >= since)
            return [
                {
                    "id": row.id,
                    "at": _aware(row.at).isoformat(),
                    "key_name": row.key_name,
                    "action": row.action,
                    "collection": row.collection,
                    "outcome": row.outcome,
                    "payload": row.payload,
                    "prev_hash": row.prev_hash,
                    "hash": row.hash,
                }
                for row in session.scalars(query)
            ]

    def verify(self) -> Verification:
        """Recompute the chain; report the first row whose hash or link does not match."""
        previous = GENESIS
        count = 0
        with self.store.session() as session:
            for row in session.scalars(select(AuditRow).order_by(AuditRow.id)):
                count += 1
                expected = _row_hash(
                    previous, _aware(row.at), row.key_name, row.action, row.collection, row.outcome, row.payload
                )
                if row.prev_hash != previous or row.hash != expected:
                    return Verification(
                        False, count, row.id, f"audit row {row.id} was altered, inserted or a row before it removed"
                    )
                previous = row.hash
        return Verification(True, count, None, f"{count} audit rows, chain intact")


def _aware(moment: datetime) -> datetime:
    """Times in UTC: SQLite gives them back naive, PostgreSQL in the session's time zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
