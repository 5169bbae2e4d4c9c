"""``SqlKeyStore``: API keys in SQL (only a SHA-256 of each secret is stored). Implements ``KeyStore``."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from service.backends.sql.store import SqlDocumentStore
from service.backends.sql.tables import ApiKeyRow, utcnow
from service.core.access import OPEN, KeyInfo, Principal, Role, parse_role
from service.core.errors import Conflict, InvalidInput, NotFound, Unauthorized
from service.core.names import check_collection_name

KEY_PREFIX = "dq_"
"""Every secret starts with it, so a leaked key is recognisable."""
ANY_ACTIVE_RECHECK_S = 1.0
"""How stale the server's answer to 'does any key exist?' may be (keys made by another process)."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class _KeyCounts:
    made: int
    active: int


class SqlKeyStore:
    """Creates, lists, revokes and checks API keys in the SQL store. Implements ``KeyStore``.

    The API is open (``OPEN``) only while no key has ever been made, or, with ``open_when_all_revoked``
    (``DOCQA_SERVER__OPEN_WHEN_ALL_KEYS_REVOKED``, the operator's deliberate choice), while every key is
    revoked. A revoked key is refused (401) always.
    """

    def __init__(self, store: SqlDocumentStore, open_when_all_revoked: bool = False) -> None:
        self.store = store
        self.open_when_all_revoked = open_when_all_revoked
        self._counts: tuple[float, _KeyCounts] | None = None

    def _key_counts(self) -> _KeyCounts:
        """Keys made and active: read from SQL at most every ``ANY_ACTIVE_RECHECK_S``, and at once after this
        process creates or revokes a key (so a key made by another process counts within a second)."""
        now = time.monotonic()
        if self._counts is not None and now - self._counts[0] < ANY_ACTIVE_RECHECK_S:
            return self._counts[1]
        with self.store.session() as session:
            made, revoked = session.execute(select(func.count(ApiKeyRow.id), func.count(ApiKeyRow.revoked_at))).one()
        counts = _KeyCounts(made, made - revoked)
        self._counts = (now, counts)
        return counts

    def any_active(self) -> bool:
        """Whether any key is active."""
        return self._key_counts().active > 0

    def is_open(self) -> bool:
        """Whether a request without a key is let in: no key was ever made (or every key is revoked and the
        operator chose to reopen the API then)."""
        counts = self._key_counts()
        return counts.made == 0 or (counts.active == 0 and self.open_when_all_revoked)

    def create(self, name: str, collections: Sequence[str], role: Role = "reader") -> str:
        """Create a key; returns the secret, which is shown once and never stored.

        An admin key reads every collection (``collections`` must be empty); any other key names existing
        collections, so a typo is refused instead of making a key that reads nothing."""
        role = parse_role(role)
        if not name.strip():
            raise InvalidInput("a key needs a name (--name)", detail={"field": "name"})
        if role == "admin" and collections:
            raise InvalidInput(
                "an admin key reads every collection; drop --collections (or pick --role reader or editor)",
                detail={"field": "collections"},
            )
        if role != "admin" and not collections:
            raise InvalidInput(
                f"a {role} key needs --collections A,B (or --role admin for every collection)",
                detail={"field": "collections"},
            )
        for collection in collections:
            check_collection_name(collection)
        known = self.store.collections()
        unknown = sorted({collection for collection in collections if collection not in known})
        if unknown:
            raise InvalidInput(
                f"no collection named {', '.join(repr(name) for name in unknown)}; "
                f"the collections are: {', '.join(known) or 'none yet (ingest into one first)'}",
                detail={"field": "collections", "unknown": unknown, "known": list(known)},
            )
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        with self.store.session() as session, session.begin():
            if session.scalar(select(ApiKeyRow.id).where(ApiKeyRow.name == name)) is not None:
                # names stay unique even after a revoke, so an audit row's key name means one key
                raise Conflict(f"a key named {name!r} exists already (perhaps revoked); pick another name")
            session.add(
                ApiKeyRow(
                    name=name,
                    key_hash=_hash(secret),
                    prefix=secret[:10],
                    collections=sorted(set(collections)),
                    admin=role == "admin",
                    role=role,
                )
            )
        self._counts = None
        return secret

    def list(self) -> list[KeyInfo]:
        with self.store.session() as session:
            rows = session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.name)).all()
            return [
                KeyInfo(
                    r.name, r.prefix, list(r.collections), _role(r), r.created_at.isoformat(), r.revoked_at is not None
                )
                for r in rows
            ]

    def revoke(self, name: str) -> None:
        with self.store.session() as session, session.begin():
            row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.name == name, ApiKeyRow.revoked_at.is_(None)))
            if row is None:
                raise NotFound(f"no active key named {name!r} (see docqa keys list)")
            row.revoked_at = utcnow()
        self._counts = None

    def authenticate(self, secret: str | None) -> Principal:
        """The principal for a request's key; ``OPEN`` while the API is open (``is_open``). A revoked key is
        refused even then."""
        if not secret:
            if self.is_open():
                return OPEN
            if not self.any_active():
                raise Unauthorized(
                    "an API key is required (every key has been revoked; an administrator makes a new one with "
                    "'docqa keys create'): send it as 'Authorization: Bearer <key>'"
                )
            raise Unauthorized("an API key is required: send it as 'Authorization: Bearer <key>'")
        with self.store.session() as session:
            row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == _hash(secret)))
        if row is None or row.revoked_at is not None:
            if row is None and self.is_open():
                return OPEN
            raise Unauthorized("the API key is not valid or was revoked")
        role = _role(row)
        return Principal(row.name, None if role == "admin" else frozenset(row.collections), role)


def _role(row: ApiKeyRow) -> Role:
    """The row's role; a row made before roles and not yet migrated reads as it worked then."""
    if row.role is None:
        return "admin" if row.admin else "editor"
    return parse_role(row.role)
