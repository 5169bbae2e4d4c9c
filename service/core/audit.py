"""The audit trail: an append-only, hash-chained log of asks, searches and document changes.

Each row's hash is HMAC-SHA256, keyed by a secret kept outside the database, over the previous
row's hash and the row's canonical JSON. So a changed, inserted or deleted row breaks the chain,
and someone who can write to the database but cannot read the key file cannot forge a consistent
one; ``verify`` finds the first broken row. The key lives in ``<data_dir>/audit.key`` (created on
the first record, mode 0600): back it up with the database, and keep it from database users.

What a chain cannot show is the newest rows cut off the end: ``verify`` reports the head hash,
which is worth recording elsewhere from time to time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
"""The previous hash of the first row."""


def content_hash(value: str) -> str:
    """The SHA-256 of a text, as recorded for retrieved chunks."""
    return hashlib.sha256(value.encode()).hexdigest()


def row_hash(
    key: bytes,
    prev_hash: str,
    at: datetime,
    key_name: str | None,
    action: str,
    collection: str | None,
    outcome: str,
    payload: Mapping[str, Any],
) -> str:
    """The chained hash of one row: HMAC-SHA256 over the previous hash and the row's canonical JSON."""
    canonical = json.dumps(
        {
            "at": (at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)).isoformat(),
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
    return hmac.new(key, (prev_hash + canonical).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Verification:
    ok: bool
    rows: int
    first_bad_id: int | None = None
    message: str = ""
    head: str = GENESIS
    """The hash of the last row checked (GENESIS for an empty log)."""
