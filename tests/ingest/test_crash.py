"""SIGKILL a real ingest at several points; the next run repairs and finishes with nothing lost or doubled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from service.backends.sql.tables import ChunkRow, DocumentRow
from service.components import Components
from service.core.settings import Settings
from tests.support.documents import LOREM_LEGAL, write_pdf
from tests.support.paths import REPO


def make_corpus(root: Path, files: int) -> None:
    root.mkdir()
    for number in range(files):
        if number % 4 == 0:
            write_pdf(root / f"filing-{number:03}.pdf", [f"Filing {number}. " + LOREM_LEGAL * 4] * 3)
        else:
            (root / f"note-{number:03}.txt").write_text(f"Note {number}: " + LOREM_LEGAL * (2 + number % 5))


def ingest_command(root: Path) -> list[str]:
    return [sys.executable, "-m", "service", "ingest", str(root), "--collection", "crash", "--json"]


def environment(settings: Settings, save_every_s: float) -> dict[str, str]:
    return {
        **os.environ,
        "DOCQA_DATA_DIR": str(settings.data_dir),
        "DOCQA_DATABASE_URL": settings.resolved_database_url,
        "DOCQA_EMBEDDING__CACHE_DIR": str(settings.embedding.cache_dir),
        "DOCQA_INGEST__SAVE_EVERY_S": str(save_every_s),
        "DOCQA_OCR__ENABLED": "false",
    }


def documents_stored(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count(DocumentRow.id))) or 0)
    except Exception:  # the schema may not exist yet in the first instants
        return 0
    finally:
        engine.dispose()


def kill_when(process: subprocess.Popen[bytes], url: str, documents: int, timeout_s: float = 120) -> bool:
    """SIGKILL ``process`` once ``documents`` rows exist; False if it finished first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if documents_stored(url) >= documents:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.02)
    process.kill()
    raise AssertionError("ingest made no progress")


@pytest.mark.slow
def test_sigkill_at_several_points_then_rerun(
    tmp_path: Path, settings: Settings, make_components: Callable[..., Components]
) -> None:
    root = tmp_path / "in"
    files = 24
    make_corpus(root, files)
    url = settings.resolved_database_url
    kills = 0
    logs: list[Path] = []
    # Kill early (before any index save), mid-way with frequent saves, and late.
    for run, (threshold, save_every_s) in enumerate(((2, 30.0), (9, 0.05), (17, 0.3))):
        logs.append(tmp_path / f"run-{run}.log")
        with open(logs[-1], "wb") as log:
            process = subprocess.Popen(
                ingest_command(root),
                cwd=REPO,
                env=environment(settings, save_every_s),
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            kills += kill_when(process, url, threshold)
    assert kills >= 2, "the ingest finished before it could be killed; make the corpus larger"
    # The first kill came before any index save, so the next run had to repair from SQL, and said so.
    assert "repaired the index" in logs[1].read_text()

    finish = subprocess.run(
        ingest_command(root), cwd=REPO, env=environment(settings, 30.0), capture_output=True, text=True, timeout=300
    )
    assert finish.returncode == 0, finish.stderr

    components = make_components(settings)
    records = components.store.list_documents("crash")
    assert sorted(r.source for r in records) == sorted(p.name for p in root.iterdir())
    assert all(r.status.value == "ingested" for r in records)
    sql_ids = components.store.chunk_ids("crash")
    assert components.index("crash").ids() == sql_ids

    # The same corpus ingested cleanly gives the same chunks: nothing lost, nothing doubled.
    clean = make_components(settings.model_copy(update={"data_dir": tmp_path / "clean", "database_url": None}))
    clean_summary = clean.pipeline("crash").ingest([root])
    assert clean_summary.chunks == len(sql_ids)
    engine = create_engine(url)
    with engine.connect() as connection:
        per_document = connection.execute(
            select(ChunkRow.document_id, func.count(ChunkRow.id)).group_by(ChunkRow.document_id)
        ).all()
    engine.dispose()
    assert len(per_document) == files
