"""Without the extra docqa[ray], asking for Ray says which extra to install, and nothing else needs Ray."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest.ray_ingest import check_reachable, require_ray
from service.cli import app
from service.core.errors import DocqaError
from service.core.settings import Settings


def test_ray_is_imported_only_when_asked_for_and_its_absence_is_explained(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, settings: Settings
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed: `import ray` fails
    with pytest.raises(DocqaError, match=r"pip install 'docqa\[ray\]'"):
        require_ray()

    monkeypatch.setenv("DOCQA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DOCQA_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("DOCQA_EMBEDDING__CACHE_DIR", str(settings.embedding.cache_dir))
    (tmp_path / "note.txt").write_text("The hearing is set for 9 April.\n")
    runner = CliRunner()
    refused = runner.invoke(app, ["ingest", str(tmp_path / "note.txt"), "-c", "matter", "--ray"])
    assert refused.exit_code == 2
    assert "docqa[ray]" in refused.output and "Traceback" not in refused.output
    # Serial ingest, and everything else, never imports Ray.
    done = runner.invoke(app, ["ingest", str(tmp_path / "note.txt"), "-c", "matter", "--json"])
    assert done.exit_code == 0, done.output


def test_an_unreachable_ray_head_is_said_at_once() -> None:
    """``ray.init`` retries a dead address for minutes; docqa checks the head's port first."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # a port nobody listens on: refused at once
    with pytest.raises(DocqaError, match=rf"cannot reach the Ray head at 127.0.0.1:{port}"):
        check_reachable(f"127.0.0.1:{port}")
    for address in ("local", "auto", "ray://head:10001"):
        check_reachable(address)  # Ray's to resolve
