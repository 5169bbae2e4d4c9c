"""Ingest on a local Ray (2 CPUs, started once per session): the same rows and vectors as serial ingest, byte for
byte, on SQLite and PostgreSQL; failed files reported alike; a killed worker retried; uploads on Ray."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from ingest.ocr.processor import OcrProgress
from ingest.stages import DocumentMaker, ParseRunner, parse_here
from service.api.app import create_app
from service.backends.sql.tables import ChunkRow, CitationRow, DocumentRow, EntityMentionRow, PageRow
from service.cli import app
from service.components import Components
from service.core.settings import LOCAL_RAY, IngestSettings, RaySettings, Settings
from tests.ingest.test_crash import environment, ingest_command, kill_when, make_corpus
from tests.ingest.test_pipeline import add_bad_files, corpus
from tests.support.databases import fresh_database, make_settings
from tests.support.matters import wait_for_job
from tests.support.paths import REPO

ray = pytest.importorskip("ray", reason="the extra docqa[ray] is not installed")


@pytest.fixture(scope="session")
def local_ray() -> Iterator[None]:
    """One local Ray of 2 CPUs for the whole session (its start-up takes seconds); no token file under ~/.ray."""
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    ray.init(address=LOCAL_RAY, num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    yield
    ray.shutdown()


def table_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row a document gives, with document ids (random) replaced by sources and times left out."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            sources = dict(connection.execute(select(DocumentRow.id, DocumentRow.source)).all())

            def rows(table: Any, order: Any, leave_out: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
                columns = [column for column in table.__table__.columns if column.name not in ("id", *leave_out)]
                found = connection.execute(select(*columns).order_by(*order)).all()
                source_at = [column.name == "document_id" for column in columns]
                return [
                    tuple(
                        sources[value] if is_source else value for is_source, value in zip(source_at, row, strict=True)
                    )
                    for row in found
                ]

            return {
                "documents": rows(DocumentRow, [DocumentRow.source], ("created_at", "updated_at")),
                "pages": rows(PageRow, [PageRow.id]),
                "chunks": rows(ChunkRow, [ChunkRow.id]),
                "chunk_ids": [(row[0],) for row in connection.execute(select(ChunkRow.id).order_by(ChunkRow.id))],
                "citations": rows(CitationRow, [CitationRow.id]),
                "entities": rows(EntityMentionRow, [EntityMentionRow.id]),
            }
    finally:
        engine.dispose()


@pytest.mark.slow
def test_ray_and_serial_ingest_store_the_same_bytes(
    tmp_path: Path, settings: Settings, make_components: Callable[..., Components], local_ray: None
) -> None:
    root = corpus(tmp_path / "in")
    add_bad_files(root)
    kind = "sqlite" if settings.resolved_database_url.startswith("sqlite") else "postgresql"
    settings = settings.model_copy(update={"ingest": IngestSettings(max_file_mb=1)})  # huge.txt fails at once
    serial = make_components(settings)
    serial_summary = serial.pipeline("matter").ingest([root])
    (tmp_path / "ray-db").mkdir()
    with fresh_database(kind, tmp_path / "ray-db") as ray_url:
        on_ray = make_components(
            settings.model_copy(update={"data_dir": tmp_path / "ray-data", "database_url": ray_url})
        )
        ray_summary = on_ray.pipeline("matter", ray=LOCAL_RAY).ingest([root])
        ray_rows = table_rows(ray_url)
        ray_index = on_ray.index("matter")
        serial_rows = table_rows(settings.resolved_database_url)
        serial_index = serial.index("matter")

        # Every file has the same result, failures with the same reason.
        assert [(r.source, r.outcome, r.pages, r.chunks, r.error) for r in ray_summary.files] == [
            (r.source, r.outcome, r.pages, r.chunks, r.error) for r in serial_summary.files
        ]
        # Failures found on the writer (empty, too big, unsupported) and on the workers (corrupt, locked, not UTF-8).
        failed = {r.source for r in serial_summary.files if r.outcome == "failed"}
        assert serial_summary.count("new") == 6 and {"bad/corrupt.pdf", "bad/locked.pdf", "bad/empty.pdf"} <= failed
        # The same rows, byte for byte (each chunk's vector is a column), under the same chunk ids.
        assert serial_rows["chunks"], "nothing was chunked"
        for table, rows in serial_rows.items():
            assert ray_rows[table] == rows, table
        # The same vectors in FAISS, under the same ids.
        ids = sorted(serial_index.ids())
        assert sorted(ray_index.ids()) == ids == [row[0] for row in serial_rows["chunk_ids"]]
        query = serial.embedder.embed_query("when is the rent due")
        assert ray_index.similarity(query, ids) == serial_index.similarity(query, ids)
        stored = np.frombuffer(ray_rows["chunks"][0][-1], dtype=np.float32)
        assert stored.shape == (serial.embedder.dimension,)

        # A second run on Ray finds everything unchanged, as serial ingest does.
        again = on_ray.pipeline("matter", ray=LOCAL_RAY).ingest([root])
        assert again.count("unchanged") == serial_summary.count("new")
        assert table_rows(ray_url)["chunks"] == serial_rows["chunks"]


@dataclass(frozen=True)
class CrashingMaker(DocumentMaker):
    """Kills its Ray worker process while reading ``crash_once`` the first time, and ``crash_always`` every time."""

    marker_dir: Path = Path()

    def __call__(self, path: Path, parse: ParseRunner = parse_here, on_ocr_page: OcrProgress | None = None) -> Any:
        marker = self.marker_dir / f"{path.name}.crashed"
        if path.name == "crash-always.txt" or (path.name == "crash-once.txt" and not marker.exists()):
            marker.touch()
            os._exit(1)  # as an out-of-memory kill would end it: no exception, no result
        return super().__call__(path, parse, on_ocr_page)


@pytest.fixture
def sqlite_settings(tmp_path: Path, models_cache: Path) -> Settings:
    return make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'docqa.db'}", models_cache)


@pytest.mark.slow
def test_a_killed_worker_is_replaced_and_its_file_read_again(
    tmp_path: Path, sqlite_settings: Settings, make_components: Callable[..., Components], local_ray: None
) -> None:
    root = tmp_path / "in"
    root.mkdir()
    for name in ("before.txt", "crash-once.txt", "crash-always.txt", "after.txt"):
        (root / name).write_text(f"{name}: the lessee shall return the premises in good repair.\n")
    settings = sqlite_settings.model_copy(update={"ray": RaySettings(max_retries=1)})
    components = make_components(settings)
    pipeline = components.pipeline("matter", ray=LOCAL_RAY)
    pipeline.maker = CrashingMaker(**vars(pipeline.maker), marker_dir=tmp_path)
    summary = pipeline.ingest([root])
    outcomes = {result.source: (result.outcome, result.error) for result in summary.files}
    assert (tmp_path / "crash-once.txt.crashed").exists()  # its worker died once; the retry stored it
    assert outcomes["crash-once.txt"] == ("new", None)
    assert outcomes["before.txt"] == outcomes["after.txt"] == ("new", None)
    outcome, error = outcomes["crash-always.txt"]
    assert outcome == "failed" and error is not None
    assert error.startswith("crash-always.txt: the Ray worker reading or embedding it stopped 2 times"), error
    stored = {record.source: record for record in components.store.list_documents("matter")}
    assert stored["crash-always.txt"].error == error
    assert components.index("matter").ids() == components.store.chunk_ids("matter")


@pytest.mark.slow
def test_cli_ingest_on_ray_and_uploads_on_the_configured_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_settings: Settings, local_ray: None
) -> None:
    for name, value in (
        ("DOCQA_DATA_DIR", sqlite_settings.data_dir),
        ("DOCQA_DATABASE_URL", sqlite_settings.resolved_database_url),
        ("DOCQA_EMBEDDING__CACHE_DIR", sqlite_settings.embedding.cache_dir),
        ("DOCQA_OCR__ENABLED", "false"),
    ):
        monkeypatch.setenv(name, str(value))
    root = corpus(tmp_path / "in")
    (root / "bad.pdf").write_bytes(b"%PDF-1.4 garbage")
    result = CliRunner().invoke(app, ["ingest", str(root), "-c", "matter", "--ray", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["new"], summary["failed"]) == (6, 1)

    # The server with a Ray address ingests uploads there: same job, same results as in process.
    served = sqlite_settings.model_copy(update={"ray": RaySettings(address=LOCAL_RAY)})
    parts = Components(served)
    try:
        client = TestClient(create_app(served, parts))
        upload = client.post(
            "/v1/collections/matter/documents",
            files=[
                ("files", ("invoice.txt", b"Invoice 77: $310 for repairs.\n")),
                ("files", ("broken.pdf", b"%PDF-1.7 not really")),
            ],
        )
        assert upload.status_code == 202, upload.text
        job = wait_for_job(client, upload.json()["job_id"], {}, timeout_s=120)
        files: list[dict[str, Any]] = job["files"]  # type: ignore[assignment]
        results = {file["name"]: file for file in files}
        assert results["invoice.txt"]["outcome"] == "new"
        assert results["broken.pdf"]["outcome"] == "failed" and "broken.pdf" in results["broken.pdf"]["error"]
        assert LOCAL_RAY in parts._ray_ingests  # the job went to Ray
    finally:
        parts.close()


@pytest.mark.slow
def test_a_killed_ray_driver_leaves_what_a_killed_serial_ingest_leaves(
    tmp_path: Path, sqlite_settings: Settings, make_components: Callable[..., Components]
) -> None:
    """SIGKILL ``docqa ingest --ray`` (its own local Ray) mid-way: the next run repairs and finishes, and the
    collection equals a clean serial ingest of the folder."""
    root = tmp_path / "in"
    files = 10
    make_corpus(root, files)
    url = sqlite_settings.resolved_database_url
    env = {**environment(sqlite_settings, 0.05), "RAY_AUTH_MODE": "disabled", "DOCQA_RAY__NUM_CPUS": "2"}
    command = [*ingest_command(root), "--ray"]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert kill_when(process, url, 3, timeout_s=300), "the ingest finished before it could be killed"

    finish = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert finish.returncode == 0, finish.stderr
    components = make_components(sqlite_settings)
    records = components.store.list_documents("crash")
    assert sorted(r.source for r in records) == sorted(p.name for p in root.iterdir())
    assert all(r.status.value == "ingested" for r in records)
    assert components.index("crash").ids() == components.store.chunk_ids("crash")

    clean_settings = sqlite_settings.model_copy(update={"data_dir": tmp_path / "clean", "database_url": None})
    make_components(clean_settings).pipeline("crash").ingest([root])
    killed_rows, clean_rows = table_rows(url), table_rows(clean_settings.resolved_database_url)
    # Chunk ids differ (the killed run's were used up), the rows and vectors do not.
    assert killed_rows["chunks"] == clean_rows["chunks"] and killed_rows["pages"] == clean_rows["pages"]
