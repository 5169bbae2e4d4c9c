"""Follow-up questions and saved threads over HTTP, on SQLite and PostgreSQL with the real parts (extractive mode):
a follow-up is answered about the case its thread is about, through ``/v1/ask`` with a ``thread_id`` and
through ``/v1/chat/completions`` with the earlier messages; threads are listed, reopened, renamed and deleted,
walled per key and matter, audited, and a deleted thread leaves none of its words in the database.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from service.api.app import create_app
from service.components import Components
from service.core.errors import NotFound
from service.core.settings import Settings
from service.core.threads import TITLE_MAX_CHARS, ThreadTurn
from tests.support.court import CA1_OPINION, CA9_MOTION, CACD_ORDER
from tests.support.matters import ALPHA, BRAVO, Matters, bearer, build_matters
from tests.support.paths import COURT

COURT_COLLECTION = "court"
FIRST = (
    "Did the court require a bond when it granted Experian's preliminary injunction in ConsumerInfo.com, Inc. v. Leon?"
)
FOLLOW_UP = "On what findings did it grant the injunction?"


@pytest.fixture
def matters(tmp_path: Path, components: Components) -> Matters:
    return build_matters(tmp_path, components)


def ask(client: TestClient, headers: dict[str, str], question: str, collection: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/v1/ask", json={"question": question, "collection": collection, **extra}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_follow_up_is_answered_about_the_case_of_its_thread(tmp_path: Path, components: Components) -> None:
    """Three filings that all discuss preliminary injunctions: asked in the thread about Experian's case, the
    follow-up quotes that order, through /v1/ask and chat completions alike."""
    folder = tmp_path / "court"
    folder.mkdir()
    for name in (CACD_ORDER, CA1_OPINION, CA9_MOTION):
        shutil.copy(COURT / name, folder / name)
    components.pipeline(COURT_COLLECTION).ingest([folder])
    client = TestClient(create_app(components.settings, components))

    first = ask(client, {}, FIRST, COURT_COLLECTION)
    assert first["rewritten_question"] is None and first["thread_id"]
    assert {citation["source"] for citation in first["citations"]} == {CACD_ORDER}
    follow = ask(client, {}, FOLLOW_UP, COURT_COLLECTION, thread_id=first["thread_id"])
    assert follow["thread_id"] == first["thread_id"]
    assert follow["rewritten_question"].startswith("On what findings did it grant the injunction (in ")
    assert "Leon" in follow["rewritten_question"]
    assert follow["citations"] and {citation["source"] for citation in follow["citations"]} == {CACD_ORDER}

    # a follow-up naming its own case inherits nothing
    own = ask(client, {}, "Which judge wrote the opinion in Calvary Chapel of Bangor v. Mills?", COURT_COLLECTION,
              thread_id=first["thread_id"])  # fmt: skip
    assert own["rewritten_question"] is None

    chat = client.post(
        "/v1/chat/completions",
        json={
            "model": f"docqa/{COURT_COLLECTION}",
            "messages": [
                {"role": "user", "content": FIRST},
                {"role": "assistant", "content": first["answer"]},
                {"role": "user", "content": FOLLOW_UP},
            ],
        },
    )
    assert chat.status_code == 200, chat.text
    completion = chat.json()
    assert "Leon" in completion["rewritten_question"]
    assert completion["citations"] and {citation["source"] for citation in completion["citations"]} == {CACD_ORDER}

    turns = client.get(f"/v1/threads/{first['thread_id']}").json()["turns"]
    assert [turn["question"] for turn in turns] == [FIRST, FOLLOW_UP, turns[2]["question"]] and len(turns) == 3
    assert turns[1]["rewritten_question"] == follow["rewritten_question"]
    assert turns[0]["cited_documents"][0]["title"]
    audited = [row for row in components.audit.export() if row["action"] == "ask"]
    assert audited[1]["payload"]["rewritten_question"] == follow["rewritten_question"]
    assert audited[0]["payload"]["rewritten_question"] is None


def test_threads_are_listed_reopened_renamed_and_deleted_behind_the_walls(matters: Matters, settings: Settings) -> None:
    client, alpha, admin = matters.client, matters.headers(ALPHA), matters.headers("admin")
    first = ask(client, alpha, "How much did Halvorsen Maritime settle Project NIGHTJAR for?", ALPHA)
    thread_id = first["thread_id"]
    follow = ask(client, alpha, "Who reserved its rights under a policy?", ALPHA, thread_id=thread_id)
    assert follow["thread_id"] == thread_id and "Halvorsen Maritime" in follow["rewritten_question"]
    bravo = ask(client, matters.headers(BRAVO), "What rent does Brightwater Foods withhold?", BRAVO)

    listed = client.get("/v1/threads", params={"collection": ALPHA}, headers=alpha).json()["threads"]
    assert [(item["id"], item["turn_count"], item["key_name"]) for item in listed] == [(thread_id, 2, "alpha-team")]
    assert listed[0]["title"] == "How much did Halvorsen Maritime settle Project NIGHTJAR for?"
    reopened = client.get(f"/v1/threads/{thread_id}", headers=alpha).json()
    assert [turn["answer"] for turn in reopened["turns"]] == [first["answer"], follow["answer"]]

    # walls: another matter's key, and a reader of the same matter, meet the 404 of a missing thread
    reader = bearer(matters.parts.keys.create("alpha-reader", [ALPHA], "reader"))
    missing = client.get("/v1/threads/0123456789abcdef", headers=alpha)
    assert missing.status_code == 404
    for headers in (matters.headers(BRAVO), reader):
        for method in ("GET", "DELETE"):
            walled = client.request(method, f"/v1/threads/{thread_id}", headers=headers)
            assert walled.status_code == 404
            assert walled.json()["error"]["message"] == f"thread {thread_id!r} not found"
        renamed = client.patch(f"/v1/threads/{thread_id}", json={"title": "x"}, headers=headers)
        assert renamed.status_code == 404
        asked = client.post(
            "/v1/ask", json={"question": "Who?", "collection": ALPHA, "thread_id": thread_id}, headers=headers
        )
        assert asked.status_code == 404
    assert client.get("/v1/threads", params={"collection": ALPHA}, headers=reader).json()["threads"] == []
    assert client.get("/v1/threads", params={"collection": ALPHA}, headers=matters.headers(BRAVO)).status_code == 404
    # the other matter's thread cannot be continued in this matter's collection either
    crossed = client.post(
        "/v1/ask", json={"question": "Who?", "collection": ALPHA, "thread_id": bravo["thread_id"]}, headers=alpha
    )
    assert crossed.status_code == 404
    # an admin sees every key's threads
    every = client.get("/v1/threads", params={"collection": ALPHA}, headers=admin).json()["threads"]
    assert [item["id"] for item in every] == [thread_id]

    # rename: a title over the limit is a 422 naming it; a good one is kept
    too_long = client.patch(f"/v1/threads/{thread_id}", json={"title": "x" * (TITLE_MAX_CHARS + 1)}, headers=alpha)
    assert too_long.status_code == 422
    assert str(TITLE_MAX_CHARS) in too_long.json()["error"]["message"]
    assert too_long.json()["error"]["detail"] == {"field": "title", "max": TITLE_MAX_CHARS}
    assert client.patch(f"/v1/threads/{thread_id}", json={"title": " "}, headers=alpha).status_code == 422
    title = "Quillfeather ballast pump zanzibarquux"
    renamed = client.patch(f"/v1/threads/{thread_id}", json={"title": title}, headers=alpha)
    assert renamed.status_code == 200 and renamed.json()["title"] == title

    # delete: gone for everyone, and none of its words are left in the thread tables or the database file
    assert client.delete(f"/v1/threads/{thread_id}", headers=alpha).status_code == 204
    assert client.get(f"/v1/threads/{thread_id}", headers=admin).status_code == 404
    assert client.delete(f"/v1/threads/{thread_id}", headers=alpha).status_code == 404
    with matters.parts.sql.engine.connect() as connection:
        dumped = str(connection.execute(text("SELECT * FROM threads")).all())
        dumped += str(connection.execute(text("SELECT * FROM thread_turns")).all())
    assert thread_id not in dumped and "Halvorsen" not in dumped and "brightwater" in dumped.lower()
    actions = [(row["action"], row["payload"].get("thread_id")) for row in matters.parts.audit.export()]
    assert [action for action in actions if action[1] == thread_id] == [
        ("thread_create", thread_id),
        ("thread_rename", thread_id),
        ("thread_delete", thread_id),
    ]
    assert "zanzibarquux" not in str(matters.parts.audit.export())
    if settings.resolved_database_url.startswith("sqlite"):
        matters.parts.sql.engine.dispose()
        database = Path(settings.resolved_database_url.removeprefix("sqlite:///"))
        raw = b"".join(path.read_bytes() for path in database.parent.glob(database.name + "*"))
        assert raw and b"zanzibarquux" not in raw


def test_an_existing_database_gets_the_thread_tables_on_open(components: Components) -> None:
    store = components.sql
    with store.engine.begin() as connection:
        connection.execute(text("DROP TABLE thread_turns"))
        connection.execute(text("DROP TABLE threads"))
    store.create_schema()
    record = components.thread_store.create("someone", "alpha", "A title")
    found = components.thread_store.get(record.id)
    assert found is not None and (found.key_name, found.collection, found.title) == ("someone", "alpha", "A title")
    # turns are numbered by the store, whatever ordinal they come with
    turn = ThreadTurn(0, "Who?", None, "Nobody.", "answered", (), datetime.now(UTC))
    assert [components.thread_store.add_turn(record.id, turn) for _ in range(3)] == [1, 2, 3]
    assert [saved.ordinal for saved in components.thread_store.turns(record.id)] == [1, 2, 3]
    components.thread_store.delete(record.id)
    assert components.thread_store.turns(record.id) == [] and components.thread_store.get(record.id) is None
    with pytest.raises(NotFound):  # a turn saved after its thread was deleted has nowhere to go
        components.thread_store.add_turn(record.id, turn)
