"""`docqa serve` with no API key binds to this machine only, and says so, whatever address it was given.

The server is not started: ``uvicorn.run`` is replaced by a recorder, so the test sees the decision
(the address, the app and what was printed) without leaving anything listening.
"""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from service.cli import app as cli
from service.core.settings import Settings
from service.engine.access import bind_address


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Any:
    monkeypatch.setenv("DOCQA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DOCQA_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("DOCQA_EMBEDDING__CACHE_DIR", str(settings.embedding.cache_dir))
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append({"app": app, **options}))

    def run(*args: str, env: dict[str, str] | None = None) -> tuple[Any, dict[str, Any]]:
        result = CliRunner().invoke(cli, ["serve", "--port", "8765", *args], env=env)
        assert result.exit_code == 0, result.output
        return result, calls.pop()

    return run


def test_without_keys_it_binds_to_localhost_even_when_asked_for_every_address(serve: Any) -> None:
    result, call = serve("--host", "0.0.0.0")
    assert call["host"] == "127.0.0.1" and call["port"] == 8765
    said = " ".join(result.stderr.split())
    assert "no API keys exist, so docqa binds to 127.0.0.1 instead of 0.0.0.0" in said
    assert "docqa keys create" in said
    assert "serving on http://127.0.0.1:8765" in result.stdout
    assert call["app"].state.docqa.served_publicly is False

    result, call = serve(env={"DOCQA_SERVER__HOST": "0.0.0.0"})  # as the Docker image sets it
    assert call["host"] == "127.0.0.1" and "instead of 0.0.0.0" in " ".join(result.stderr.split())

    result, call = serve("--host", "127.0.0.1")
    assert call["host"] == "127.0.0.1" and "open to this machine only" in " ".join(result.stderr.split())


def test_with_a_key_it_binds_where_asked(serve: Any) -> None:
    created = CliRunner().invoke(cli, ["keys", "create", "--name", "front-desk", "--admin"])
    assert created.exit_code == 0, created.output
    result, call = serve("--host", "0.0.0.0")
    assert call["host"] == "0.0.0.0" and "no API keys" not in result.stderr
    assert call["app"].state.docqa.served_publicly is True  # should the keys all go, remote callers are refused


@pytest.mark.parametrize(
    ("asked", "bound"),
    [
        ("0.0.0.0", "127.0.0.1"),
        ("::", "127.0.0.1"),
        ("", "127.0.0.1"),
        ("192.168.1.20", "127.0.0.1"),
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
        ("localhost", "localhost"),
    ],
)
def test_the_bind_decision(asked: str, bound: str) -> None:
    assert bind_address(asked, keys_exist=False)[0] == bound
    assert bind_address(asked, keys_exist=True) == (asked, None)
