"""Roles on keys, generated over every route the API describes: each operation in ``/openapi.json`` is sent by
a reader, an editor and an admin key, and by a revoked one, at the key's own matter (alpha) and at another
(bravo). The right each operation needs is written down below, so a new route fails this test until it is
classified. Checked: who is let in (2xx), who is refused by role (403, only ever inside the key's own matter),
who meets the wall (404, exactly as for a missing thing), and that no response to an alpha key carries a word,
id or name of bravo.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from service.components import Components
from service.core.access import Role
from tests.support.matters import ALPHA, BRAVO, Matters, bearer, build_matters, wait_for_job

Right = Literal["open", "any", "read", "write", "admin"]
"""open: no key needed; any: every key, nothing of a matter named; read: reading a matter; write: changing it;
admin: an admin's only (a reader or an editor is refused inside its own matter, walled outside it)."""

RIGHTS: dict[tuple[str, str], Right] = {
    ("GET", "/healthz"): "open",
    ("GET", "/readyz"): "any",
    ("GET", "/metrics"): "any",
    ("GET", "/v1/whoami"): "any",
    ("GET", "/v1/collections"): "any",
    ("GET", "/v1/models"): "any",
    ("POST", "/v1/search"): "read",
    ("POST", "/v1/record/search"): "read",
    ("POST", "/v1/record/terms"): "read",
    ("POST", "/v1/record/authorities"): "read",
    ("POST", "/v1/record/citing"): "read",
    ("POST", "/v1/ask"): "read",
    ("POST", "/v1/chat/completions"): "read",
    ("GET", "/v1/collections/{collection}/documents"): "read",
    ("GET", "/v1/jobs/{job_id}"): "read",
    ("DELETE", "/v1/jobs/{job_id}"): "write",
    ("GET", "/v1/documents/{document_id}"): "read",
    ("GET", "/v1/documents/{document_id}/pages/{number}"): "read",
    ("GET", "/v1/documents/{document_id}/pages/{number}/image"): "read",
    ("GET", "/v1/documents/{document_id}/pages/{number}/highlight"): "read",
    ("GET", "/v1/documents/{document_id}/pages/{number}/citations"): "read",
    ("GET", "/v1/entities"): "read",
    ("GET", "/v1/entities/{entity_id}/mentions"): "read",
    ("GET", "/v1/documents/{document_id}/summary"): "read",
    ("GET", "/v1/summaries"): "read",
    ("GET", "/v1/chronology"): "read",
    ("POST", "/v1/collections/{collection}/documents"): "write",
    ("DELETE", "/v1/documents/{document_id}"): "write",
    ("GET", "/v1/threads"): "read",
    ("GET", "/v1/threads/{thread_id}"): "read",
    ("PATCH", "/v1/threads/{thread_id}"): "read",
    ("DELETE", "/v1/threads/{thread_id}"): "read",
    ("GET", "/v1/answers/{answer_id}"): "read",
    ("POST", "/v1/answers/{answer_id}/feedback"): "read",
    ("GET", "/v1/collections/{collection}/feedback/export"): "admin",
}
"""A thread, and an answer, is its key's (``read``: any role continues, renames and deletes its own threads and
rates its own answers); the thread or answer a request names at another matter is that matter's key's, which
only an admin may reach."""

FINISHED_JOB_CONFLICT = {("DELETE", "/v1/jobs/{job_id}")}
"""Operations on the world's jobs, which have finished: past the wall and the role, a cancel answers 409."""

BRAVO_TOKENS = ("kestrel", "brightwater", "215,500", "215500", "marchetti", "loading dock", "warehouse")
"""Lower-case words only bravo's documents hold."""

Who = Literal["reader", "editor", "admin", "revoked"]
WHO: tuple[Who, ...] = ("reader", "editor", "admin", "revoked")


@dataclass
class World:
    matters: Matters
    secrets: dict[Who, str]
    jobs: dict[str, str]
    """A finished upload job of each matter."""
    threads: dict[tuple[Who, str], str]
    """The thread a request by ``who`` names at a matter: at alpha the key's own, at bravo bravo's."""
    answers: dict[tuple[Who, str], str]
    """The answer a request by ``who`` names at a matter (the first of its thread), owned as the thread is."""

    def pdf_of(self, collection: str) -> str:
        """The id of the matter's first PDF (page images and highlights need one)."""
        return next(
            document.id
            for document in self.matters.parts.store.list_documents(collection)
            if document.media_type == "application/pdf"
        )

    def thread(self, who: Who, target: str) -> str:
        """A fresh thread that ``who`` would name at ``target``: its own at alpha (a revoked key's is made with
        the editor's key), bravo's key's at bravo, started with a question in that matter's words."""
        return self.asked(who, target)["thread_id"]

    def asked(self, who: Who, target: str) -> dict[str, str]:
        """The ``thread_id`` and ``answer_id`` of a fresh question, asked as ``thread`` says."""
        owner = self.matters.keys[BRAVO] if target == BRAVO else self.secrets["editor" if who == "revoked" else who]
        question = "Which warehouse lease does Brightwater withhold rent under?" if target == BRAVO else "Who settled?"
        response = self.matters.client.post(
            "/v1/ask", json={"question": question, "collection": target}, headers=bearer(owner)
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return {"thread_id": body["thread_id"], "answer_id": body["answer_id"]}

    def entity_of(self, collection: str) -> str:
        """The id of the matter's most mentioned entity."""
        return self.matters.parts.entities().entities(collection, None)[0].id

    def disposable(self, collection: str, name: str) -> str:
        """A fresh document in ``collection``, for a delete that may really happen."""
        folder = self.matters.parts.settings.data_dir.parent / "disposable" / name
        folder.mkdir(parents=True)
        (folder / f"{name}.txt").write_text(f"A throwaway note called {name} for the role test.\n")
        summary = self.matters.parts.pipeline(collection).ingest([folder])
        document_id = summary.files[0].document_id
        assert document_id is not None
        return document_id


@pytest.fixture
def world(tmp_path: Path, components: Components) -> World:
    matters = build_matters(tmp_path, components)
    keys = components.keys
    secrets: dict[Who, str] = {
        "reader": keys.create("alpha-reader", [ALPHA], "reader"),
        "editor": matters.keys[ALPHA],  # alpha-team, an editor
        "admin": matters.keys["admin"],
        "revoked": keys.create("alpha-gone", [ALPHA], "editor"),
    }
    keys.revoke("alpha-gone")
    upload = matters.client.post(
        f"/v1/collections/{BRAVO}/documents",
        files={"files": ("kestrel_addendum.txt", b"Kestrel lease addendum for Brightwater Foods.\n", "text/plain")},
        headers=matters.headers("admin"),
    )
    bravo_job = upload.json()["job_id"]
    wait_for_job(matters.client, bravo_job, matters.headers("admin"))
    made = World(matters, secrets, {ALPHA: matters.alpha_job_id, BRAVO: bravo_job}, {}, {})
    for who, target in itertools.product(WHO, (ALPHA, BRAVO)):
        asked = made.asked(who, target)
        made.threads[(who, target)], made.answers[(who, target)] = asked["thread_id"], asked["answer_id"]
    return made


def operations(client: Any) -> list[tuple[str, str]]:
    """Every ``(METHOD, path)`` the API describes."""
    return [(method.upper(), path) for path, items in client.app.openapi()["paths"].items() for method in items]


def request_for(world: World, method: str, path: str, target: str, turn: int, who: Who) -> dict[str, Any]:
    """The request ``method path`` by ``who`` aimed at ``target``'s things (``turn`` makes disposable names
    unique)."""
    thread_id = world.thread(who, target) if method == "DELETE" else world.threads[(who, target)]
    values = {
        "collection": target,
        "job_id": world.jobs[target],
        "number": "1",
        "thread_id": thread_id,
        "answer_id": world.answers[(who, target)],
    }
    if "{entity_id}" in path:
        values["entity_id"] = world.entity_of(target)
    if "{document_id}" in path:
        values["document_id"] = world.disposable(target, f"note{turn}") if method == "DELETE" else world.pdf_of(target)
    url = re.sub(r"\{(\w+)\}", lambda match: values[match.group(1)], path)
    kwargs: dict[str, Any] = {"method": method, "url": url}
    if path == "/v1/search":
        kwargs["json"] = {"query": "the lease and the settlement", "collection": target, "k": 5}
    elif path == "/v1/ask":
        kwargs["json"] = {"question": "What was the settlement amount?", "collection": target}
    elif path == "/v1/record/search":
        kwargs["json"] = {"query": "lease OR settlement", "collection": target}
    elif path == "/v1/record/terms":
        kwargs["json"] = {"terms": ["lease", "settlement"], "collection": target}
    elif path == "/v1/record/authorities":
        kwargs["json"] = {"collection": target}
    elif path == "/v1/record/citing":
        kwargs["json"] = {"collection": target, "cites": "550 U.S. 544"}
    elif path == "/v1/chat/completions":
        kwargs["json"] = {"model": f"docqa/{target}", "messages": [{"role": "user", "content": "What is the rent?"}]}
    elif path == "/v1/threads":
        kwargs["params"] = {"collection": target}
    elif path.endswith("/feedback"):
        kwargs["json"] = {"rating": "down", "reason": "wrong", "comment": f"Role test {turn}", "correction": "None."}
    elif path.endswith("/feedback/export"):
        kwargs["params"] = {"format": "kto"}
    elif method == "PATCH":
        kwargs["json"] = {"title": f"Renamed by the role test {turn}"}
    elif method == "POST":
        kwargs["files"] = {"files": (f"upload{turn}.txt", b"A note uploaded by the role test.\n", "text/plain")}
    if path in ("/v1/entities", "/v1/summaries", "/v1/chronology"):
        kwargs["params"] = {"collection": target}
    if path.endswith("/highlight"):
        kwargs["params"] = {"start": 0, "end": 40}
    return kwargs


def expected(right: Right, who: Who, target: str) -> int | None:
    """The status class wanted: 2 (done), 401, 403 or 404; None for an operation naming no matter."""
    if right == "open":
        return 2
    if who == "revoked":
        return 401
    if right == "any":
        return 2
    if who != "admin" and target != ALPHA:
        return 404
    if right == "write" and who == "reader":
        return 403
    if right == "admin" and who != "admin":
        return 403
    return 2


def bravo_values(world: World) -> list[str]:
    documents = world.matters.parts.store.list_documents(BRAVO)
    threads = [thread_id for (_, target), thread_id in world.threads.items() if target == BRAVO]
    threads += [answer_id for (_, target), answer_id in world.answers.items() if target == BRAVO]
    return [world.jobs[BRAVO], "bravo-team", *(document.id for document in documents), *threads, *BRAVO_TOKENS]


def assert_nothing_of_bravo(world: World, kwargs: dict[str, Any], response: httpx.Response) -> None:
    sent = (kwargs["url"] + json.dumps(kwargs.get("json"))).lower()
    received = f"{response.headers}\n{response.content.decode('latin-1')}".lower()
    for value in bravo_values(world):
        if value.lower() not in sent:  # a 404 may repeat the id the request named
            assert value.lower() not in received, (kwargs, value, response.text[:400])


def test_every_route_for_every_role_at_own_and_other_matters(world: World) -> None:
    client = world.matters.client
    described = operations(client)
    unclassified = sorted(set(described) - set(RIGHTS) - {("GET", p) for p in ("/docs", "/openapi.json")})
    assert not unclassified, f"say which right these need, in RIGHTS: {unclassified}"
    turn = itertools.count()
    outcomes: dict[tuple[Who, int], int] = {}
    for (method, path), who, target in itertools.product(described, WHO, (ALPHA, BRAVO)):
        if (method, path) not in RIGHTS:
            continue
        right = RIGHTS[(method, path)]
        kwargs = request_for(world, method, path, target, next(turn), who)
        response = client.request(**kwargs, headers=bearer(world.secrets[who]))
        want = expected(right, who, target)
        got = response.status_code // 100 if response.status_code < 300 else response.status_code
        if (method, path) in FINISHED_JOB_CONFLICT and want == 2:
            want = 409
        assert got == want, (who, target, method, path, response.status_code, response.text[:300])
        outcomes[(who, want or 0)] = outcomes.get((who, want or 0), 0) + 1
        if response.status_code >= 400:
            error = response.json()["error"]
            assert set(error) == {"code", "message", "detail"}
        if response.status_code == 403:
            message = response.json()["error"]["message"]
            assert ("reader" in message and "editor" in message) if right == "write" else "'admin'" in message
        if response.status_code == 202:
            wait_for_job(client, response.json()["job_id"], bearer(world.secrets[who]))
        if who != "admin":
            assert_nothing_of_bravo(world, kwargs, response)
    # every outcome was reached, so none of the branches above is vacuous
    assert {key for key, count in outcomes.items() if count} >= {
        ("reader", 2),
        ("reader", 403),
        ("reader", 404),
        ("editor", 2),
        ("editor", 403),
        ("editor", 404),
        ("admin", 2),
        ("revoked", 401),
    }, outcomes


@pytest.mark.parametrize("role", ["reader", "editor"])
def test_a_role_refused_changes_nothing(world: World, role: Role) -> None:
    """A reader's delete and upload are refused with 403 and leave the matter as it was; the same requests
    at another matter are its 404, whatever the role."""
    client, parts = world.matters.client, world.matters.parts
    before = {collection: parts.store.list_documents(collection) for collection in (ALPHA, BRAVO)}
    secret = world.secrets[role]  # type: ignore[index]  # "reader" and "editor" are both Who
    target = world.pdf_of(ALPHA) if role == "reader" else world.pdf_of(BRAVO)
    deleted = client.delete(f"/v1/documents/{target}", headers=bearer(secret))
    assert deleted.status_code == (403 if role == "reader" else 404), deleted.text
    collection = ALPHA if role == "reader" else BRAVO
    files = {"files": ("planted.txt", b"Planted.\n", "text/plain")}
    uploaded = client.post(f"/v1/collections/{collection}/documents", files=files, headers=bearer(secret))
    assert uploaded.status_code == deleted.status_code, uploaded.text
    if role == "reader":
        message = uploaded.json()["error"]["message"]
        assert message == (
            "the key 'alpha-reader' has the role 'reader', which may not upload documents; "
            "an 'editor' or 'admin' key may (docqa keys create --role editor)"
        )
    assert {collection: parts.store.list_documents(collection) for collection in (ALPHA, BRAVO)} == before
    assert not (parts.settings.data_dir / "uploads" / collection / "planted.txt").exists()
    whoami = client.get("/v1/whoami", headers=bearer(secret)).json()
    assert whoami["role"] == role and whoami["collections"] == [ALPHA]
