"""Fresh databases (SQLite and PostgreSQL) and the settings of a test."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg

from service.core.settings import EmbeddingSettings, OcrSettings, Settings

POSTGRES_ADMIN_URL = os.environ.get("DOCQA_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")
DATABASES = ("sqlite", "postgresql")


@contextlib.contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh, empty database: SQLite in ``folder``, or a new PostgreSQL database dropped afterwards.

    Module-scoped fixtures (one ingested corpus per module and database) call it directly.
    """
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'docqa.db'}"
        return
    name = f"docqa_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    admin = psycopg.conninfo.conninfo_to_dict(POSTGRES_ADMIN_URL)
    try:
        yield f"postgresql+psycopg://{admin.get('host', '127.0.0.1')}:{admin.get('port', 5432)}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_settings(data_dir: Path, database_url: str, models_cache: Path, **overrides: object) -> Settings:
    """Settings for a test: its own data folder and database, the shared model cache."""
    # OCR is slow (seconds a page); tests that exercise it turn it on explicitly.
    fields: dict[str, object] = {"ocr": OcrSettings(enabled=False), **overrides}
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        embedding=EmbeddingSettings(cache_dir=models_cache),
        **fields,  # type: ignore[arg-type]
    )
