"""Several writers of one collection (server workers, a CLI ingest): none drops another's changes."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from service.components import Components
from service.core.errors import Conflict
from service.core.settings import Settings
from service.core.writer_lock import try_writer_lock, writer_lock
from tests.support.api import api_client, assert_envelope
from tests.support.documents import LOREM_LEGAL
from tests.support.paths import REPO

HOLD_LOCK = """
import sys, time
from pathlib import Path
from service.core.writer_lock import writer_lock
with writer_lock(Path(sys.argv[1]), sys.argv[2]):
    print("held", flush=True)
    time.sleep(float(sys.argv[3]) if len(sys.argv) > 3 else 60)
"""


def hold_lock(index_dir: Path, collection: str, seconds: float = 60) -> subprocess.Popen[str]:
    """Another process holding the collection's writer lock (as a running ingest does)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(index_dir), collection, str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def write_note(folder: Path, name: str, words: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"{words}. " + LOREM_LEGAL * 3)
    return path


def test_two_processes_ingesting_one_collection_keep_both_documents(
    settings: Settings, make_components: Callable[..., Components], tmp_path: Path
) -> None:
    first, second = make_components(settings), make_components(settings)
    # Both hold the collection's indexes in memory before either writes, as two server workers do.
    first_writer, second_writer = first.pipeline("matter"), second.pipeline("matter")

    first_writer.ingest([write_note(tmp_path / "a", "lease.txt", "Zanzibar lease")])
    second_writer.ingest([write_note(tmp_path / "b", "loan.txt", "Quixotic loan")])

    fresh = make_components(settings)
    chunk_ids = fresh.store.chunk_ids("matter")
    assert len(chunk_ids) >= 2
    assert fresh.index("matter").ids() == chunk_ids  # the second save holds the first writer's vectors too
    assert fresh.lexical("matter").ids() == chunk_ids
    assert fresh.repairs == []  # nothing had to be restored from SQL
    titles = {hit.source for hit in fresh.retriever.search("Zanzibar lease Quixotic loan", "matter", 8)}
    assert titles == {"lease.txt", "loan.txt"}


def test_a_delete_in_one_process_is_not_undone_by_another_writer(
    settings: Settings, make_components: Callable[..., Components], tmp_path: Path
) -> None:
    first, second = make_components(settings), make_components(settings)
    folder = tmp_path / "docs"
    write_note(folder, "lease.txt", "Zanzibar lease")
    first.pipeline("matter").ingest([folder])
    second_writer = second.pipeline("matter")  # loaded with the lease in it
    lease = first.store.find_document("matter", "lease.txt")
    assert lease is not None

    first.pipeline("matter").delete(lease.id)
    second_writer.ingest([write_note(tmp_path / "more", "loan.txt", "Quixotic loan")])

    fresh = make_components(settings)
    assert fresh.index("matter").ids() == fresh.store.chunk_ids("matter")
    assert fresh.repairs == []  # the deleted lease's vectors did not come back with the second save
    assert {hit.source for hit in fresh.retriever.search("Zanzibar lease", "matter", 8)} == {"loan.txt"}


def test_the_lock_holds_across_processes_and_a_dead_holder_releases_it(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    holder = hold_lock(index_dir, "matter")
    try:
        with try_writer_lock(index_dir, "matter") as taken:
            assert not taken
        with try_writer_lock(index_dir, "other") as taken:
            assert taken  # one lock per collection
        started = time.monotonic()
        with (
            pytest.raises(Conflict, match="'matter' is being written by an ingest"),
            writer_lock(index_dir, "matter", wait_s=0.3),
        ):
            pass
        assert time.monotonic() - started >= 0.3
    finally:
        holder.kill()  # as a crash would: the kernel releases the lock
        holder.communicate()
    with writer_lock(index_dir, "matter", wait_s=5):
        pass


def test_http_delete_answers_409_while_an_ingest_holds_the_collection(
    settings: Settings, make_components: Callable[..., Components], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import service.api.routes.documents as routes

    parts = make_components(settings)
    parts.pipeline("matter").ingest([write_note(tmp_path / "docs", "lease.txt", "Zanzibar lease")])
    lease = parts.store.find_document("matter", "lease.txt")
    assert lease is not None
    monkeypatch.setattr(routes, "DELETE_WAIT_S", 0.2)
    with api_client(parts) as client:
        with writer_lock(parts.index_dir, "matter"):
            response = client.delete(f"/v1/documents/{lease.id}")
        assert "'matter' is being written" in assert_envelope(response, 409, "conflict")["message"]
        assert parts.store.find_document("matter", "lease.txt") is not None  # nothing was deleted
        assert client.delete(f"/v1/documents/{lease.id}").status_code == 204
    assert parts.store.find_document("matter", "lease.txt") is None


def test_docqa_ingest_says_it_waits_for_another_writer_then_ingests(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from service.cli import app as cli

    monkeypatch.setenv("DOCQA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DOCQA_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("DOCQA_EMBEDDING__CACHE_DIR", str(settings.embedding.cache_dir))
    monkeypatch.setenv("DOCQA_OCR__ENABLED", "false")
    folder = tmp_path / "docs"
    write_note(folder, "lease.txt", "Zanzibar lease")
    holder = hold_lock(settings.data_dir / "index", "matter", seconds=1.5)
    try:
        result = CliRunner().invoke(cli, ["ingest", str(folder), "-c", "matter"])
    finally:
        holder.communicate(timeout=30)
    assert result.exit_code == 0, result.output
    assert "waiting for another ingest into collection 'matter'" in " ".join(result.stderr.split())
    assert "matter: 1 new" in result.stdout


def test_a_search_finds_indexes_to_prepare_after_another_process_saved(
    settings: Settings, make_components: Callable[..., Components], tmp_path: Path
) -> None:
    """``/v1/search`` ranks on the event loop; what ``indexes_ready`` reports missing it prepares on a thread."""
    server, other = make_components(settings), make_components(settings)
    other.pipeline("matter").ingest([write_note(tmp_path / "a", "lease.txt", "Zanzibar lease")])
    assert not server.indexes_ready("matter")  # never loaded
    server.prepare_indexes("matter")
    assert server.indexes_ready("matter")

    other.pipeline("matter").ingest([write_note(tmp_path / "b", "loan.txt", "Quixotic loan")])
    assert not server.indexes_ready("matter")  # the other process saved newer indexes
    server.prepare_indexes("matter")
    assert server.indexes_ready("matter")
    assert {hit.source for hit in server.retriever.search("Quixotic loan", "matter", 8)} >= {"loan.txt"}
    assert server.indexes_ready("matter")  # the search itself had nothing left to load
