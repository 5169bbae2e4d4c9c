"""Batch ingestion end to end on real parts: bad files, re-runs, changes, deletes, prune, CLI."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ingest.discover import Candidate
from service.api.app import create_app
from service.cli import app
from service.components import Components
from service.core.domain import DocumentStatus
from service.core.seams import Embedder, Vectors
from service.core.settings import IngestSettings, Settings
from tests.support.documents import LOREM_LEGAL, encrypt_pdf, write_docx, write_eml, write_pdf
from tests.support.matters import wait_for_job
from tests.support.paths import DATA


class CountingEmbedder:
    """The real embedder, counting the passages it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.passages = 0

    id = property(lambda self: self.inner.id)
    dimension = property(lambda self: self.inner.dimension)
    max_tokens = property(lambda self: self.inner.max_tokens)

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        self.passages += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> Vectors:
        return self.inner.embed_query(text)


def corpus(root: Path) -> Path:
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "lease.txt").write_text("The tenant shall pay rent of $4,200 on the first day of each month.\n" * 3)
    write_pdf(root / "brief.pdf", [LOREM_LEGAL * 3, None, "The injunction was denied on appeal."], "Appellate brief")
    (root / "sub" / "notes.md").write_text("# Deposition notes\n\nThe witness recalled the meeting of 3 May.\n")
    write_docx(root / "sub" / "memo.docx", ["Memo", "The limitation period expires in June 2027."])
    write_eml(root / "sub" / "deeper" / "offer.eml", "Offer", "We propose a settlement of $40,000.")
    (root / "sub" / "page.html").write_text("<html><body><p>Hearing set for 9 April.</p></body></html>")
    return root


def add_bad_files(root: Path) -> None:
    bad = root / "bad"
    bad.mkdir()
    (bad / "empty.pdf").write_bytes(b"")
    (bad / "corrupt.pdf").write_bytes(b"%PDF-1.4\n\x00\x01garbage")
    good = write_pdf(bad / "tmp.pdf", [LOREM_LEGAL])
    (bad / "truncated.pdf").write_bytes(good.read_bytes()[:400])
    encrypt_pdf(good, bad / "locked.pdf")
    good.unlink()
    (bad / "legacy.txt").write_bytes("Caf\xe9".encode("latin-1"))
    (bad / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0jpeg")
    (bad / "huge.txt").write_text("x" * 3_000_000)
    os.symlink("..", bad / "loop")  # a symlink loop back to the root
    os.symlink("missing-target.txt", bad / "dangling.txt")


def run_batch(components: Components, root: Path, prune: bool = False):  # type: ignore[no-untyped-def]
    return components.pipeline("matter").ingest([root], prune=prune)


def test_a_batch_with_bad_files_goes_on_and_says_why(
    tmp_path: Path, settings: Settings, embedder: Embedder, make_components: Callable[..., Components]
) -> None:
    root = corpus(tmp_path / "in")
    add_bad_files(root)
    limited = settings.model_copy(update={"ingest": IngestSettings(max_file_mb=1)})
    components = make_components(limited)
    summary = run_batch(components, root)
    reasons = {result.source: result.error for result in summary.files if result.outcome == "failed"}
    assert summary.count("new") == 6, reasons
    expected = {
        "bad/empty.pdf": "empty (0 bytes)",
        "bad/corrupt.pdf": "truncated or corrupt",
        "bad/truncated.pdf": "truncated or corrupt",
        "bad/locked.pdf": "password-protected",
        "bad/legacy.txt": "not UTF-8",
        "bad/photo.jpg": "unsupported file type",
        "bad/huge.txt": "above the limit of 1 MiB",
        "bad/dangling.txt": "broken symbolic link",
    }
    assert set(reasons) == set(expected)
    for source, fragment in expected.items():
        assert fragment in (reasons[source] or ""), (source, reasons[source])
        assert source.split("/")[-1] in (reasons[source] or "")
    # the loop was cut: nothing was ingested twice under bad/loop/...
    assert not [r for r in summary.files if r.source.startswith("bad/loop/")]
    brief = next(r for r in components.store.list_documents("matter") if r.source == "brief.pdf")
    assert brief.status is DocumentStatus.NEEDS_OCR and brief.needs_ocr_pages == (2,)
    index = components.index("matter")
    assert index.ids() == components.store.chunk_ids("matter") and index.count == summary.chunks


def test_rerun_costs_nothing_and_changes_replace_chunks(
    tmp_path: Path, settings: Settings, embedder: Embedder, make_components: Callable[..., Components]
) -> None:
    root = corpus(tmp_path / "in")
    counting = CountingEmbedder(embedder)
    components = make_components(settings, counting)
    first = run_batch(components, root)
    assert first.count("new") == 6 and counting.passages == first.chunks > 0

    again = run_batch(make_components(settings, counting), root)
    assert again.count("unchanged") == 6 and counting.passages == first.chunks  # nothing embedded

    os.utime(root / "lease.txt")  # touched but identical: hashed, still unchanged
    assert run_batch(make_components(settings, counting), root).count("unchanged") == 6

    lease = next(r for r in components.store.list_documents("matter") if r.source == "lease.txt")
    old_ids = {c for c in components.store.chunk_ids("matter")} - _other_chunks(components, lease.id)
    (root / "lease.txt").write_text("Rent is now $5,000, payable quarterly in advance.\n")
    fresh = make_components(settings, counting)
    changed = run_batch(fresh, root)
    assert changed.count("updated") == 1 and changed.count("unchanged") == 5
    ids = fresh.store.chunk_ids("matter")
    assert not old_ids & ids and fresh.index("matter").ids() == ids
    texts = [c.text for c in fresh.store.chunks(sorted(ids)).values() if c.document_id == lease.id]
    assert texts == ["Rent is now $5,000, payable quarterly in advance."]


def _other_chunks(components: Components, document_id: str) -> set[int]:
    ids = sorted(components.store.chunk_ids("matter"))
    return {c.chunk_id for c in components.store.chunks(ids).values() if c.document_id != document_id}


def test_delete_and_prune_leave_no_trace(
    tmp_path: Path, settings: Settings, embedder: Embedder, make_components: Callable[..., Components]
) -> None:
    root = corpus(tmp_path / "in")
    components = make_components(settings)
    run_batch(components, root)
    records = {r.source: r for r in components.store.list_documents("matter")}

    components.pipeline("matter").delete(records["lease.txt"].id)
    (root / "sub" / "notes.md").unlink()
    summary = run_batch(make_components(settings), root, prune=True)
    assert summary.count("new") == 1 and summary.count("removed") == 1  # lease re-added; notes pruned
    fresh = make_components(settings)
    assert "sub/notes.md" not in {r.source for r in fresh.store.list_documents("matter")}
    assert fresh.index("matter").ids() == fresh.store.chunk_ids("matter")
    texts = " ".join(c.text for c in fresh.store.chunks(sorted(fresh.store.chunk_ids("matter"))).values())
    assert "Deposition" not in texts
    if settings.resolved_database_url.startswith("sqlite"):
        fresh.store.engine.dispose()
        raw = b"".join(p.read_bytes() for p in settings.data_dir.glob("docqa.db*"))
        assert b"The witness recalled" not in raw


def test_a_file_that_vanishes_mid_batch_is_reported(tmp_path: Path, components: Components) -> None:
    gone = tmp_path / "gone.txt"
    result = components.pipeline("matter").ingest_file(Candidate(gone, "gone.txt"))
    assert result.outcome == "failed" and "gone.txt: cannot read file" in (result.error or "")


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Settings:
    monkeypatch.setenv("DOCQA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DOCQA_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("DOCQA_EMBEDDING__CACHE_DIR", str(settings.embedding.cache_dir))
    monkeypatch.setenv("DOCQA_OCR__ENABLED", "false")
    return settings


def test_cli_ingest_documents_search_delete(tmp_path: Path, cli_env: Settings) -> None:
    root = corpus(tmp_path / "in")
    (root / "bad.pdf").write_bytes(b"")
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", str(root), "--collection", "matter", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["new"], summary["failed"], summary["unchanged"]) == (6, 1, 0)
    assert summary["failures"] == [{"source": "bad.pdf", "error": "bad.pdf: the file is empty (0 bytes)"}]
    assert summary["pages"] >= 8 and summary["chunks"] >= 6

    listed = json.loads(runner.invoke(app, ["documents", "-c", "matter", "--json"]).stdout)
    assert {d["source"]: d["status"] for d in listed}["bad.pdf"] == "failed"

    hits = json.loads(
        runner.invoke(app, ["search", "what rent does the tenant pay", "-c", "matter", "-k", "3", "--json"]).stdout
    )
    assert hits[0]["source"] == "lease.txt" and "$4,200" in hits[0]["text"]
    keys = {
        "chunk_id",
        "document_id",
        "source",
        "title",
        "page_start",
        "page_end",
        "char_start",
        "char_end",
        "score",
        "text",
    }
    assert set(hits[0]) == keys

    deleted = runner.invoke(app, ["delete", hits[0]["document_id"]])
    assert deleted.exit_code == 0 and "lease.txt" in deleted.stdout
    hits = json.loads(runner.invoke(app, ["search", "rent", "-c", "matter", "--json"]).stdout)
    assert all(hit["source"] != "lease.txt" for hit in hits)


def test_cli_usage_errors_exit_non_zero(tmp_path: Path, cli_env: Settings) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["ingest", str(tmp_path / "nope"), "-c", "m"])
    assert missing.exit_code == 2 and "no such file or folder" in missing.stderr
    bad_name = runner.invoke(app, ["ingest", str(tmp_path), "-c", "../x"])
    assert bad_name.exit_code == 2 and "collection name" in bad_name.stderr
    unknown = runner.invoke(app, ["search", "x", "-c", "never-made"])
    assert unknown.exit_code == 2 and "not found" in unknown.stderr
    gone = runner.invoke(app, ["delete", "0123456789abcdef"])
    assert gone.exit_code == 1 and "not found" in gone.stderr


def test_cli_delete_removes_the_uploaded_copy_and_keeps_the_users_own_file(tmp_path: Path, cli_env: Settings) -> None:
    """``docqa delete`` does what ``DELETE /v1/documents/{id}`` does: an uploaded copy under
    ``<data_dir>/uploads/`` goes with the document; a file ingested from elsewhere is the user's, and stays."""
    uploaded = cli_env.data_dir / "uploads" / "matter" / "lease.txt"
    uploaded.parent.mkdir(parents=True)
    uploaded.write_text("The tenant pays rent of $4,200 a month.\n")
    own = tmp_path / "mine" / "memo.txt"
    own.parent.mkdir()
    own.write_text("The board approved the merger with Halvorsen Maritime.\n")
    runner = CliRunner()
    for folder in (uploaded.parent, own.parent):
        assert runner.invoke(app, ["ingest", str(folder), "-c", "matter"]).exit_code == 0
    listed = {
        d["source"]: d["id"] for d in json.loads(runner.invoke(app, ["documents", "-c", "matter", "--json"]).stdout)
    }
    assert set(listed) == {"lease.txt", "memo.txt"}

    for source in ("lease.txt", "memo.txt"):
        deleted = runner.invoke(app, ["delete", listed[source]])
        assert deleted.exit_code == 0 and source in deleted.stdout, deleted.output
    assert not uploaded.exists()
    assert own.read_text() == "The board approved the merger with Halvorsen Maritime.\n"
    assert json.loads(runner.invoke(app, ["documents", "-c", "matter", "--json"]).stdout) == []


def test_real_filings_ingest(tmp_path: Path, components: Components) -> None:
    root = tmp_path / "filings"
    shutil.copytree(DATA / "court", root)
    summary = run_batch(components, root)
    assert summary.count("failed") == 0 and summary.count("new") == len(list(root.iterdir()))


def test_cli_documents_shows_titles(tmp_path: Path, cli_env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "filings"
    root.mkdir()
    caption = "UNITED STATES DISTRICT COURT\nJOHN DOE,\nPlaintiff,\nv.\nACME CORP.,\nDefendant.\nORDER\nDenied.\n"
    write_pdf(root / "order.pdf", [caption], title="A9Rmahfa4_1laaz8q_bg.tmp")
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(root), "-c", "titles"]).exit_code == 0
    [listed] = json.loads(runner.invoke(app, ["documents", "-c", "titles", "--json"]).stdout)
    assert listed["title"] == "Order \u2014 John Doe v. Acme Corp."
    monkeypatch.setenv("COLUMNS", "200")  # one table row per line
    table = runner.invoke(app, ["documents", "-c", "titles"]).stdout
    assert "title" in table and "Order \u2014 John Doe v. Acme Corp." in table


def test_cli_meta_and_filters(tmp_path: Path, cli_env: Settings) -> None:
    runner = CliRunner()
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "minutes.txt").write_text("The board approved the merger with Halvorsen Maritime.\n")
    (second / "memo.txt").write_text("The board rejected the merger with Halvorsen Maritime.\n")
    tagged = runner.invoke(app, ["ingest", str(first), "-c", "m", "--meta", "case=ABC-1", "--meta", "court=ca1"])
    assert tagged.exit_code == 0, tagged.output
    assert runner.invoke(app, ["ingest", str(second), "-c", "m"]).exit_code == 0
    listed = {d["source"]: d for d in json.loads(runner.invoke(app, ["documents", "-c", "m", "--json"]).stdout)}
    assert set(listed) == {"minutes.txt", "memo.txt"}

    query = ["search", "merger Halvorsen", "-c", "m", "--json"]
    assert len(json.loads(runner.invoke(app, query).stdout)) == 2
    filtered = json.loads(runner.invoke(app, [*query, "--filter", "case=ABC-1"]).stdout)
    assert [hit["source"] for hit in filtered] == ["minutes.txt"]
    bad = runner.invoke(app, [*query, "--filter", "filed_after=yesterday"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.stderr
    malformed = runner.invoke(app, ["ingest", str(first), "-c", "m", "--meta", "nokey"])
    assert malformed.exit_code == 2 and "KEY=VALUE" in malformed.stderr


def test_prune_removes_only_documents_from_the_given_folders_and_names_them(
    tmp_path: Path, cli_env: Settings, make_components: Callable[..., Components]
) -> None:
    """``--prune`` of folder A removes A's vanished files (a failed one too) and says which; a web upload and
    the documents of folder B, absent from A as they are, stay."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "lease.txt").write_text("The tenant pays rent of $4,200 a month.\n")
    (first / "notes.md").write_text("# Notes\n\nThe deposition was adjourned to May.\n")
    (first / "broken.pdf").write_bytes(b"%PDF-1.7 not really")
    (second / "memo.txt").write_text("The board approved the merger with Halvorsen Maritime.\n")
    runner = CliRunner()
    for folder in (first, second):
        assert runner.invoke(app, ["ingest", str(folder), "-c", "matter"]).exit_code == 0
    client = TestClient(create_app(cli_env, make_components(cli_env)))
    upload = client.post(
        "/v1/collections/matter/documents", files={"files": ("invoice.txt", b"Invoice 77: $310 for repairs.\n")}
    )
    wait_for_job(client, upload.json()["job_id"], {})
    listed = {d["source"]: d for d in json.loads(runner.invoke(app, ["documents", "-c", "matter", "--json"]).stdout)}
    assert set(listed) == {"lease.txt", "notes.md", "broken.pdf", "memo.txt", "invoice.txt"}
    assert listed["broken.pdf"]["status"] == "failed"

    (first / "notes.md").unlink()
    (first / "broken.pdf").unlink()
    pruned = runner.invoke(app, ["ingest", str(first), "-c", "matter", "--prune"])
    assert pruned.exit_code == 0, pruned.output
    assert "2 removed" in pruned.stdout
    for source in ("broken.pdf", "notes.md"):
        assert f"removed {source} ({listed[source]['id']}): its file is gone" in pruned.stdout
    left = {d["source"] for d in json.loads(runner.invoke(app, ["documents", "-c", "matter", "--json"]).stdout)}
    assert left == {"lease.txt", "memo.txt", "invoice.txt"}

    as_json = json.loads(runner.invoke(app, ["ingest", str(second), "-c", "matter", "--prune", "--json"]).stdout)
    assert as_json["removed"] == 0 and as_json["removed_documents"] == []  # first's lease and the upload stay
    (second / "memo.txt").unlink()
    as_json = json.loads(runner.invoke(app, ["ingest", str(second), "-c", "matter", "--prune", "--json"]).stdout)
    assert as_json["removed_documents"] == [{"source": "memo.txt", "document_id": listed["memo.txt"]["id"]}]
