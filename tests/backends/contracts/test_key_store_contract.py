"""The ``KeyStore`` contract (``service.core.seams``), over every implementation: ``SqlKeyStore`` on SQLite and on
PostgreSQL. Open while no key was ever made, and never again by revoking (unless the operator reopens); a key's
secret is shown once and authenticates to its role and its existing collections; a revoked key stops at once and
always; names stay taken; keys made before roles become editors."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from service.backends.sql.api_keys import SqlKeyStore
from service.backends.sql.store import SqlDocumentStore
from service.core.access import OPEN, Principal
from service.core.errors import Conflict, InvalidInput, NotFound, Unauthorized
from service.core.seams import KeyStore
from tests.support.stored import add_collections


@pytest.fixture
def keys(sql_store: SqlDocumentStore) -> KeyStore:
    add_collections(sql_store, "alpha", "alpha-2", "bravo")
    return SqlKeyStore(sql_store)


def test_open_while_no_key_exists(keys: KeyStore) -> None:
    assert not keys.any_active() and keys.list() == []
    assert keys.authenticate(None) == OPEN
    assert keys.authenticate("dq_anything") == OPEN


def test_a_key_authenticates_to_its_collections(keys: KeyStore) -> None:
    secret = keys.create("alpha-team", ["alpha", "alpha-2", "alpha"])
    assert keys.any_active()
    assert keys.authenticate(secret) == Principal("alpha-team", frozenset({"alpha", "alpha-2"}), "reader")
    admin_secret = keys.create("ops", [], "admin")
    assert keys.authenticate(admin_secret) == Principal("ops", None, "admin")
    editor_secret = keys.create("paralegal", ["bravo"], "editor")
    assert keys.authenticate(editor_secret) == Principal("paralegal", frozenset({"bravo"}), "editor")
    assert secret != admin_secret
    with pytest.raises(Unauthorized, match="required"):
        keys.authenticate(None)
    with pytest.raises(Unauthorized, match="not valid"):
        keys.authenticate(secret + "x")


def test_the_list_shows_keys_but_never_their_secrets(keys: KeyStore) -> None:
    secret = keys.create("bravo-team", ["bravo"])
    keys.create("admin", [], "admin")
    listed = keys.list()
    assert [(key.name, key.collections, key.role, key.revoked) for key in listed] == [
        ("admin", [], "admin", False),
        ("bravo-team", ["bravo"], "reader", False),
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


def test_revoking_the_last_key_never_reopens(keys: KeyStore, sql_store: SqlDocumentStore) -> None:
    secret = keys.create("alpha-team", ["alpha"])
    keys.revoke("alpha-team")
    assert not keys.any_active() and not keys.is_open()
    with pytest.raises(Unauthorized, match="revoked"):
        keys.authenticate(None)
    for sent in (secret, "dq_anything"):
        with pytest.raises(Unauthorized, match="not valid or was revoked"):
            keys.authenticate(sent)
    # the operator's deliberate choice reopens it, yet the revoked key itself still gets a 401
    reopened = SqlKeyStore(sql_store, open_when_all_revoked=True)
    assert reopened.is_open() and reopened.authenticate(None) == OPEN
    with pytest.raises(Unauthorized, match="revoked"):
        reopened.authenticate(secret)
    fresh = reopened.create("bravo-team", ["bravo"])  # a new key closes it again
    assert not reopened.is_open() and reopened.authenticate(fresh).key_name == "bravo-team"
    with pytest.raises(Unauthorized, match="required"):
        reopened.authenticate(None)


def test_keys_made_before_roles_become_editors(keys: KeyStore, sql_store: SqlDocumentStore) -> None:
    keys.create("old-reader", ["alpha"])
    keys.create("old-admin", [], "admin")
    with sql_store.engine.begin() as connection:  # as a database written by docqa before roles
        connection.execute(text("ALTER TABLE api_keys DROP COLUMN role"))
    sql_store.create_schema()  # every start migrates
    assert {key.name: key.role for key in keys.list()} == {"old-admin": "admin", "old-reader": "editor"}
    with sql_store.engine.connect() as connection:
        stored = dict(connection.execute(text("SELECT name, role FROM api_keys")).all())
    assert stored == {"old-admin": "admin", "old-reader": "editor"}


def test_bad_keys_are_refused(keys: KeyStore) -> None:
    with pytest.raises(InvalidInput, match="name"):
        keys.create(" ", ["alpha"])
    with pytest.raises(InvalidInput, match="--collections"):
        keys.create("nothing", [])
    with pytest.raises(InvalidInput, match="collection name"):
        keys.create("escape", ["../etc"])
    with pytest.raises(InvalidInput, match="no collection named 'filingz'; the collections are: alpha, alpha-2, bravo"):
        keys.create("typo", ["alpha", "filingz"])
    with pytest.raises(InvalidInput, match="every collection"):
        keys.create("boss", ["alpha"], "admin")
    with pytest.raises(InvalidInput, match="unknown role 'owner'"):
        keys.create("boss", [], "owner")  # type: ignore[arg-type]  # as a caller without types would
    with pytest.raises(NotFound):
        keys.revoke("never-made")
    assert keys.list() == []
