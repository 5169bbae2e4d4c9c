"""``SqlKeyStore``: API keys in SQL (only a SHA-256 of each secret is stored). Implements ``KeyStore``."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Sequence

from sqlalchemy import select

from service.backends.sql.store import SqlDocumentStore
from service.backends.sql.tables import ApiKeyRow, utcnow
from service.core.access import OPEN, KeyInfo, Principal
from service.core.errors import Conflict, InvalidInput, NotFound, Unauthorized
from service.core.names import check_collection_name

KEY_PREFIX = "dq_"
"""Every secret starts with it, so a leaked key is recognisable."""
ANY_ACTIVE_RECHECK_S = 1.0
"""How stale the server's answer to 'does any key exist?' may be (keys made by another process)."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class SqlKeyStore:
    """Creates, lists, revokes and checks API keys in the SQL store. Implements ``KeyStore``."""

    def __init__(self, store: SqlDocumentStore) -> None:
        self.store = store
        self._any_active: tuple[float, bool] | None = None

    def any_active(self) -> bool:
        """Whether any key is active: read from SQL at most every ``ANY_ACTIVE_RECHECK_S``, and at once after
        this process creates or revokes a key (so a key made by another process counts within a second)."""
        now = time.monotonic()
        if self._any_active is not None and now - self._any_active[0] < ANY_ACTIVE_RECHECK_S:
            return self._any_active[1]
        with self.store.session() as session:
            found = session.scalar(select(ApiKeyRow.id).where(ApiKeyRow.revoked_at.is_(None)).limit(1))
        active = found is not None
        self._any_active = (now, active)
        return active

    def create(self, name: str, collections: Sequence[str], admin: bool = False) -> str:
        """Create a key; returns the secret, which is shown once and never stored."""
        if not name.strip():
            raise InvalidInput("a key needs a name (--name)")
        if not collections and not admin:
            raise InvalidInput("a key needs --collections A,B (or --admin for every collection)")
        for collection in collections:
            check_collection_name(collection)
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
                    admin=admin,
                )
            )
        self._any_active = None
        return secret

    def list(self) -> list[KeyInfo]:
        with self.store.session() as session:
            rows = session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.name)).all()
            return [
                KeyInfo(
                    r.name, r.prefix, list(r.collections), r.admin, r.created_at.isoformat(), r.revoked_at is not None
                )
                for r in rows
            ]

    def revoke(self, name: str) -> None:
        with self.store.session() as session, session.begin():
            row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.name == name, ApiKeyRow.revoked_at.is_(None)))
            if row is None:
                raise NotFound(f"no active key named {name!r} (see docqa keys list)")
            row.revoked_at = utcnow()
        self._any_active = None

    def authenticate(self, secret: str | None) -> Principal:
        """The principal for a request's key; ``OPEN`` while no key exists."""
        if not secret:
            if not self.any_active():
                return OPEN
            raise Unauthorized("an API key is required: send it as 'Authorization: Bearer <key>'")
        with self.store.session() as session:
            row = session.scalar(
                select(ApiKeyRow).where(ApiKeyRow.key_hash == _hash(secret), ApiKeyRow.revoked_at.is_(None))
            )
        if row is None:
            if not self.any_active():
                return OPEN
            raise Unauthorized("the API key is not valid or was revoked")
        return Principal(row.name, None if row.admin else frozenset(row.collections), row.admin)
