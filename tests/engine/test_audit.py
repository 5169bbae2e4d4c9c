"""The audit trail: every request class writes its row, the CLI exports them, and `docqa audit verify`
passes on an intact chain and fails, naming the row, after any tampering in SQL."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, event, select
from typer.testing import CliRunner

from service.api.app import create_app
from service.backends.generators.openai_chat import OpenAIChatGenerator
from service.backends.sql.tables import AuditRow
from service.cli import app as cli
from service.components import Components
from service.core.audit import GENESIS, content_hash, row_hash
from service.core.settings import LlmSettings, Settings
from tests.support.matters import ALPHA, BRAVO, build_matters, wait_for_job
from tests.support.stored import add_collections


def docqa(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def failing_llm(parts: Components) -> None:
    """An OpenAI-compatible server that answers 500 to every completion (and has no tokenize endpoint)."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/chat/completions"):
            return httpx.Response(500, json={"error": {"message": "CUDA out of memory"}})
        return httpx.Response(404)

    settings = LlmSettings(backend="openai", base_url="http://llm.test/v1", model="tiny", max_retries=0)
    client = httpx.Client(transport=httpx.MockTransport(handler))
    parts.__dict__["generator"] = OpenAIChatGenerator(settings, http_client=client)


def test_every_request_class_writes_its_row(
    tmp_path: Path, components: Components, cli_env: Settings, make_components: Callable[..., Components]
) -> None:
    started = datetime.now(UTC) - timedelta(seconds=1)
    add_collections(components.sql, BRAVO)  # keys name existing collections only
    created = docqa("keys", "create", "--name", "auditor", "--collections", BRAVO)
    assert created.exit_code == 0, created.output
    matters = build_matters(tmp_path, components)
    client, bravo = matters.client, matters.headers(BRAVO)
    chat = {"model": f"docqa/{BRAVO}", "messages": [{"role": "user", "content": "When is the hearing?"}]}

    search = client.post("/v1/search", json={"query": "withheld rent", "collection": BRAVO, "k": 3}, headers=bravo)
    ask = client.post("/v1/ask", json={"question": "How much rent is withheld?", "collection": BRAVO}, headers=bravo)
    question = {"question": "Who is the arbitrator?", "collection": BRAVO, "stream": True}
    streamed = client.post("/v1/ask", json=question, headers=bravo)
    refused = client.post("/v1/ask", json={"question": "Bake banana bread how?", "collection": BRAVO}, headers=bravo)
    chatted = client.post("/v1/chat/completions", json=chat, headers=bravo)
    chat_streamed = client.post("/v1/chat/completions", json={**chat, "stream": True}, headers=bravo)
    bad_filter = {"query": "rent", "collection": BRAVO, "filters": {"filed_after": "June"}}
    assert client.post("/v1/search", json=bad_filter, headers=bravo).status_code == 422
    files = [("files", (f"note{n}.txt", f"Delivery note {n}: 40 pallets.\n".encode(), "text/plain")) for n in (1, 2)]
    upload = client.post(f"/v1/collections/{BRAVO}/documents", files=files, headers=bravo)
    job = wait_for_job(client, upload.json()["job_id"], bravo)
    doomed = next(f["document_id"] for f in job["files"] if f["name"] == "note1.txt")  # type: ignore[index]
    assert client.delete(f"/v1/documents/{doomed}", headers=bravo).status_code == 204
    assert ask.json()["refused"] is False and refused.json()["refused"] is True
    assert all(r.status_code == 200 for r in (search, ask, streamed, chatted, chat_streamed))

    broken = make_components(components.settings)  # the same database, answering with a broken LLM
    failing_llm(broken)
    broken_client = TestClient(create_app(broken.settings, broken))
    assert broken_client.post("/v1/ask", json={**question, "stream": False}, headers=bravo).status_code == 502
    assert broken_client.post("/v1/chat/completions", json={**chat, "stream": True}, headers=bravo).status_code == 502
    assert docqa("keys", "revoke", "auditor").exit_code == 0

    exported = docqa("audit", "--since", started.isoformat(), "--json")
    assert exported.exit_code == 0, exported.output
    rows = json.loads(exported.stdout)
    assert rows == components.audit.export(started)
    outcomes = Counter((row["action"], row["outcome"]) for row in rows)
    assert outcomes == {
        ("key_create", "created"): 1,
        ("upload", "new"): 3,  # alpha's board minutes, bravo's two notes: one row per file
        ("search", "ok"): 1,
        ("search", "error:invalid_input"): 1,
        ("ask", "answered"): 2,
        ("ask", "refused"): 1,
        ("chat", "answered"): 2,
        ("delete", "deleted"): 1,
        ("ask", "error:llm_unavailable"): 1,
        ("chat", "error:llm_unavailable"): 1,
        ("key_revoke", "revoked"): 1,
        ("thread_create", "ok"): 3,  # each /v1/ask answered without a thread_id starts one
    }, outcomes
    for row in rows:
        assert datetime.fromisoformat(row["at"]) >= started
        if row["action"] in ("search", "ask", "chat", "upload", "delete", "thread_create"):
            assert row["key_name"] == ("alpha-team" if row["collection"] == ALPHA else "bravo-team"), row
        assert row["collection"] in (ALPHA, BRAVO, None)

    chunks = components.store.chunks(sorted(components.store.chunk_ids(BRAVO)))
    searched = next(row for row in rows if row["action"] == "search" and row["outcome"] == "ok")
    assert searched["payload"]["query"] == "withheld rent" and searched["payload"]["k"] == 3
    assert [hit["chunk_id"] for hit in searched["payload"]["retrieved"]] == [
        h["chunk_id"] for h in search.json()["hits"]
    ]
    for hit in searched["payload"]["retrieved"]:
        assert hit["sha256"] == content_hash(chunks[hit["chunk_id"]].text)

    answered = [row for row in rows if row["outcome"] == "answered"]
    assert {row["payload"]["question"] for row in answered} == {
        "How much rent is withheld?",
        "Who is the arbitrator?",
        "When is the hearing?",
    }
    first = next(row["payload"] for row in answered if row["payload"]["question"] == "How much rent is withheld?")
    assert first["answer"] == ask.json()["answer"] and first["citations"] == ask.json()["citations"]
    assert first["model"] == "none" and first["mode"] == "extractive" and len(first["prompt_version"]) >= 8
    assert first["retrieved"] and all(len(hit["sha256"]) == 64 for hit in first["retrieved"])
    declined = next(row["payload"] for row in rows if row["outcome"] == "refused")
    assert declined["question"] == "Bake banana bread how?" and declined["citations"] == []
    for row in (r for r in rows if r["outcome"] == "error:llm_unavailable"):
        assert row["payload"]["model"] == "tiny" and "llm.test" in row["payload"]["error"]
        assert row["payload"]["question"] in ("Who is the arbitrator?", "When is the hearing?")
    deleted = next(row for row in rows if row["action"] == "delete")
    assert deleted["payload"] == {"document_id": doomed, "source": "note1.txt"}
    uploads = [row["payload"] for row in rows if row["action"] == "upload" and row["collection"] == BRAVO]
    assert {(u["source"], u["job_id"]) for u in uploads} == {(f"note{n}.txt", job["job_id"]) for n in (1, 2)}
    assert rows[0]["payload"] == {"name": "auditor", "collections": [BRAVO], "role": "reader", "admin": False}

    east = timezone(timedelta(hours=5))  # --since in another time zone means the same moment
    assert json.loads(docqa("audit", "--since", started.astimezone(east).isoformat()).stdout) == rows
    later = docqa("audit", "--since", (datetime.now(UTC) + timedelta(hours=1)).astimezone(east).isoformat())
    assert later.exit_code == 0 and json.loads(later.stdout) == []
    verified = docqa("audit", "verify")
    assert verified.exit_code == 0 and f"{len(rows)} audit rows, chain intact" in verified.stdout


def write_rows(parts: Components, count: int = 5) -> None:
    for number in range(count):
        parts.audit_log.record("search", "bravo-team", BRAVO, "ok", {"query": f"question {number}", "retrieved": []})


def tamper(parts: Components, change: Callable[[Any], None]) -> None:
    with parts.store.session() as session, session.begin():
        change(session)


def edit_payload(session: Any) -> None:
    session.get(AuditRow, 3).payload = {"query": "something else", "retrieved": []}


def edit_key_name(session: Any) -> None:
    session.get(AuditRow, 3).key_name = "alpha-team"


def drop_middle(session: Any) -> None:
    session.execute(delete(AuditRow).where(AuditRow.id == 3))


def forge_after(previous_id: int, key: bytes) -> Callable[[Any], None]:
    """Append a row that links correctly to its predecessor, hashed with a key that is not the chain's."""

    def forge(session: Any) -> None:
        last = session.get(AuditRow, previous_id)
        at = datetime.now(UTC)
        payload = {"query": "who was never asked", "retrieved": []}
        forged = row_hash(key, last.hash, at, "bravo-team", "search", BRAVO, "ok", payload)
        session.add(
            AuditRow(
                at=at,
                key_name="bravo-team",
                action="search",
                collection=BRAVO,
                outcome="ok",
                payload=payload,
                prev_hash=last.hash,
                hash=forged,
            )
        )

    return forge


@pytest.mark.parametrize(
    ("change", "bad_row", "says"),
    [
        (edit_payload, 3, "audit row 3 was altered or forged"),
        (edit_key_name, 3, "audit row 3 was altered or forged"),
        (drop_middle, 4, "audit row 4 does not follow the row before it"),
        (forge_after(5, b""), 6, "audit row 6 was altered or forged"),
        (forge_after(5, b"0" * 32), 6, "audit row 6 was altered or forged"),
    ],
    ids=["payload", "key-name", "deleted-row", "forged-unkeyed", "forged-guessed-key"],
)
def test_verify_fails_on_tampering_and_names_the_row(
    components: Components, cli_env: Settings, change: Callable[[Any], None], bad_row: int, says: str
) -> None:
    write_rows(components)
    intact = docqa("audit", "verify")
    assert intact.exit_code == 0 and "5 audit rows, chain intact" in intact.stdout, intact.output
    tamper(components, change)
    broken = docqa("audit", "verify")
    assert broken.exit_code == 1, broken.output
    assert says in " ".join(broken.stderr.split()), broken.stderr
    assert components.audit.verify().first_bad_id == bad_row


def test_verify_needs_the_audit_key(components: Components, cli_env: Settings) -> None:
    write_rows(components, 2)
    (cli_env.data_dir / "audit.key").unlink()
    broken = docqa("audit", "verify")
    said = " ".join(broken.stderr.split())  # the console wraps long lines
    assert broken.exit_code == 1 and "audit key" in said and "audit.key is missing" in said, said


def record_concurrently(writers: list[Components], rows_each: int) -> None:
    """One thread per writer, started together, each recording ``rows_each`` searches by key ``w<n>``."""
    start = threading.Barrier(len(writers))
    errors: list[BaseException] = []

    def append(parts: Components, name: str) -> None:
        start.wait()
        try:
            for number in range(rows_each):
                parts.audit_log.record("search", name, BRAVO, "ok", {"query": f"{name} {number}"})
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=append, args=(parts, f"w{n}")) for n, parts in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors


def test_writers_in_separate_processes_never_fork_the_chain(
    components: Components, make_components: Callable[..., Components]
) -> None:
    """Two components stand for two processes (the server and a CLI command): separate engines and locks."""
    record_concurrently([components, make_components(components.settings)], rows_each=20)
    verification = components.audit.verify()
    assert verification.ok and verification.rows == 40, verification.message
    with components.store.session() as session:
        links = session.scalars(select(AuditRow.prev_hash)).all()
    assert len(set(links)) == 40 and GENESIS in links


def test_rows_recorded_at_once_are_committed_together_and_chain_in_order(components: Components) -> None:
    """Group commit: threads recording at the same moment share transactions, and the chain stays whole."""
    commits: list[int] = []
    event.listen(components.store.engine, "commit", lambda _connection: commits.append(1))
    record_concurrently([components] * 8, rows_each=25)
    verification = components.audit.verify()
    assert verification.ok and verification.rows == 200, verification.message
    assert len(commits) < 200, "every row took a transaction of its own"
    rows = components.audit.export()
    for name in (f"w{n}" for n in range(8)):  # each thread's rows in the order it recorded them
        queries = [row["payload"]["query"] for row in rows if row["key_name"] == name]
        assert queries == [f"{name} {number}" for number in range(25)]


def test_a_row_is_rehashed_only_with_the_key(components: Components) -> None:
    write_rows(components, 1)
    row = components.audit.export()[0]
    key = bytes.fromhex((components.settings.data_dir / "audit.key").read_text())
    at = datetime.fromisoformat(row["at"])
    args = (at, row["key_name"], row["action"], row["collection"], row["outcome"], row["payload"])
    assert row_hash(key, GENESIS, *args) == row["hash"]
    assert row_hash(b"", GENESIS, *args) != row["hash"]
    assert oct((components.settings.data_dir / "audit.key").stat().st_mode & 0o777) == "0o600"


def test_cli_ingest_and_delete_are_audited(tmp_path: Path, cli_env: Settings, components: Components) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "kept.txt").write_text("The escrow agent holds the deposit until closing.\n")
    (folder / "empty.txt").write_text("")
    assert docqa("ingest", str(folder), "-c", "cli-matter", "--json").exit_code == 0
    assert docqa("ingest", str(folder), "-c", "cli-matter", "--json").exit_code == 0  # unchanged: no new rows
    kept = next(d for d in components.store.list_documents("cli-matter") if d.source == "kept.txt")
    assert docqa("delete", kept.id).exit_code == 0
    rows = [row for row in components.audit.export() if row["collection"] == "cli-matter"]
    assert [(row["action"], row["outcome"], row["payload"]["source"]) for row in rows] == [
        ("ingest", "failed", "empty.txt"),
        ("ingest", "new", "kept.txt"),
        ("ingest", "failed", "empty.txt"),
        ("delete", "deleted", "kept.txt"),
    ]
    assert docqa("audit", "verify").exit_code == 0
