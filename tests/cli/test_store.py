"""The command line says which store it uses and never answers from the wrong one: ``docqa --data-dir`` (or
``DOCQA_DATA_DIR``) picks it; run from another folder, a read-only command refuses instead of creating an empty
``./data``; a collection that does not exist is an error naming it and listing those that do; keys name existing
collections and a known role.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from service.cli import app as cli


@pytest.fixture
def elsewhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, models_cache: Path) -> Path:
    """A current folder without a store, and an environment naming none (SQLite, the default)."""
    monkeypatch.setenv("DOCQA_DATA_DIR", "placeholder")  # so the test's own changes are undone after it
    monkeypatch.delenv("DOCQA_DATA_DIR")
    monkeypatch.delenv("DOCQA_DATABASE_URL", raising=False)
    monkeypatch.setenv("DOCQA_EMBEDDING__CACHE_DIR", str(models_cache))
    monkeypatch.setenv("DOCQA_OCR__ENABLED", "false")
    cwd = tmp_path / "somewhere-else"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


def docqa(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def test_read_only_commands_refuse_a_folder_without_a_store(elsewhere: Path) -> None:
    for command in (
        ["documents", "-c", "filings"],
        ["search", "rent", "-c", "filings"],
        ["delete", "0123456789abcdef"],
        ["audit", "verify"],
        ["keys", "list"],
    ):
        result = docqa(*command)
        assert result.exit_code == 2, (command, result.output)
        assert f"no docqa store in {elsewhere / 'data'} (no docqa.db there)" in result.stderr
        assert "--data-dir" in result.stderr
    assert not (elsewhere / "data").exists()  # nothing was created


def test_the_store_is_named_and_chosen_by_data_dir(elsewhere: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "lease.txt").write_text("The tenant pays rent of $4,200 a month.\n")
    ingested = docqa("--data-dir", str(store), "ingest", str(folder), "-c", "filings")
    assert ingested.exit_code == 0, ingested.output
    assert f"store: {store} (SQLite docqa.db)" in ingested.stderr
    assert (store / "docqa.db").exists() and not (elsewhere / "data").exists()

    for chosen in (["--data-dir", str(store)], []):
        env = None if chosen else {"DOCQA_DATA_DIR": str(store)}
        listed = docqa(*chosen, "documents", "-c", "filings", "--json", env=env)
        assert listed.exit_code == 0, listed.output
        assert [document["source"] for document in json.loads(listed.stdout)] == ["lease.txt"]
        assert f"store: {store}" in listed.stderr


def test_an_unknown_collection_is_named_with_the_known_ones(elsewhere: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    for name in ("filings", "smith"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "memo.txt").write_text(f"A memo of the {name} matter.\n")
        assert docqa("--data-dir", str(store), "ingest", str(folder), "-c", name).exit_code == 0
    for command in (["documents", "-c", "nope"], ["search", "memo", "-c", "nope"]):
        result = docqa("--data-dir", str(store), *command)
        assert result.exit_code == 2, result.output
        message = result.stderr
        assert "collection 'nope' not found; the collections are: filings, smith" in message, message
        assert result.stdout == ""  # no empty table

    typo = docqa("--data-dir", str(store), "keys", "create", "--name", "clerk", "--collections", "filingz")
    assert typo.exit_code == 2
    assert "no collection named 'filingz'; the collections are: filings, smith" in typo.stderr
    role = docqa("--data-dir", str(store), "keys", "create", "--name", "clerk", "--collections", "smith", "--role", "x")
    assert role.exit_code == 2 and "unknown role 'x'; use one of reader, editor, admin" in role.stderr
    both = docqa("--data-dir", str(store), "keys", "create", "--name", "clerk", "--admin", "--role", "reader")
    assert both.exit_code == 2 and "--admin is the same as --role admin" in both.stderr
    made = docqa("--data-dir", str(store), "keys", "create", "--name", "clerk", "--collections", "smith")
    assert made.exit_code == 0 and made.stdout.strip().startswith("dq_")
    listed = json.loads(docqa("--data-dir", str(store), "keys", "list", "--json").stdout)
    assert [(key["name"], key["role"], key["collections"]) for key in listed] == [("clerk", "reader", ["smith"])]
