"""The ``KeyStore`` contract (``service.core.seams``), over every implementation: ``SqlKeyStore`` on SQLite and on
PostgreSQL. Open while no key exists; a key's secret is shown once and authenticates to its collections; a revoked
key stops at once; names stay taken."""

from __future__ import annotations

import pytest

from service.backends.sql.api_keys import SqlKeyStore
from service.backends.sql.store import SqlDocumentStore
from service.core.access import OPEN, Principal
from service.core.errors import Conflict, InvalidInput, NotFound, Unauthorized
from service.core.seams import KeyStore


@pytest.fixture
def keys(sql_store: SqlDocumentStore) -> KeyStore:
    return SqlKeyStore(sql_store)


def test_open_while_no_key_exists(keys: KeyStore) -> None:
    assert not keys.any_active() and keys.list() == []
    assert keys.authenticate(None) == OPEN
    assert keys.authenticate("dq_anything") == OPEN


def test_a_key_authenticates_to_its_collections(keys: KeyStore) -> None:
    secret = keys.create("alpha-team", ["alpha", "alpha-2", "alpha"])
    assert keys.any_active()
    assert keys.authenticate(secret) == Principal("alpha-team", frozenset({"alpha", "alpha-2"}), admin=False)
    admin_secret = keys.create("ops", [], admin=True)
    assert keys.authenticate(admin_secret) == Principal("ops", None, admin=True)
    assert secret != admin_secret
    with pytest.raises(Unauthorized, match="required"):
        keys.authenticate(None)
    with pytest.raises(Unauthorized, match="not valid"):
        keys.authenticate(secret + "x")


def test_the_list_shows_keys_but_never_their_secrets(keys: KeyStore) -> None:
    secret = keys.create("bravo-team", ["bravo"])
    keys.create("admin", [], admin=True)
    listed = keys.list()
    assert [(key.name, key.collections, key.admin, key.revoked) for key in listed] == [
        ("admin", [], True, False),
        ("bravo-team", ["bravo"], False, False),
    ]
    bravo = listed[1]
    assert secret.startswith(bravo.prefix) and len(bravo.prefix) < len(secret) // 2
    assert secret not in repr(listed)


def test_a_revoked_key_stops_at_once_and_its_name_stays_taken(keys: KeyStore) -> None:
    secret = keys.create("alpha-team", ["alpha"])
    other = keys.create("bravo-team", ["bravo"])
    keys.revoke("alpha-team")
    with pytest.raises(Unauthorized):
        keys.authenticate(secret)
    assert keys.authenticate(other).key_name == "bravo-team"
    assert [key.revoked for key in keys.list()] == [True, False]
    with pytest.raises(NotFound, match="alpha-team"):
        keys.revoke("alpha-team")
    with pytest.raises(Conflict, match="alpha-team"):
        keys.create("alpha-team", ["alpha"])
    keys.revoke("bravo-team")
    assert not keys.any_active()


def test_bad_keys_are_refused(keys: KeyStore) -> None:
    with pytest.raises(InvalidInput, match="name"):
        keys.create(" ", ["alpha"])
    with pytest.raises(InvalidInput, match="--collections"):
        keys.create("nothing", [])
    with pytest.raises(InvalidInput, match="collection name"):
        keys.create("escape", ["../etc"])
    with pytest.raises(NotFound):
        keys.revoke("never-made")
    assert keys.list() == []
