"""Fixtures of the backends' tests and their contract suites: a SQL store on each database, both embedders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.backends.embedders import OnnxEmbedder, SentenceTransformerEmbedder
from service.backends.sql.store import SqlDocumentStore, make_engine
from service.core.settings import default_model_dir


@pytest.fixture
def sql_store(database_url: str) -> Iterator[SqlDocumentStore]:
    """An empty ``SqlDocumentStore`` with its schema, on SQLite and on PostgreSQL."""
    store = SqlDocumentStore(make_engine(database_url))
    store.create_schema()
    yield store
    store.engine.dispose()


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The shipped all-MiniLM-L6-v2."""
    return default_model_dir()


@pytest.fixture(scope="session")
def onnx_embedder(model_dir: Path, models_cache: Path) -> OnnxEmbedder:
    """Exports into the shared cache on the first run; later runs reuse it."""
    return OnnxEmbedder(model_dir, models_cache, batch_size=8, threads=0)


@pytest.fixture(scope="session")
def reference_embedder(model_dir: Path) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(model_dir, batch_size=8, threads=0)
