"""Answers survive documents deleted while they are written: for a few seconds one thread deletes and
re-uploads the documents of a collection while three ask about them (``/v1/ask``, its stream, chat
completions), against a real server on SQLite and PostgreSQL; not one ask may fail. The 60 s version is
tests/benchmarks/ask_race.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from service.api.app import create_app
from service.core.seams import Embedder
from tests.support.api import ingested_corpus, serving
from tests.support.race import WAYS, run_race

RACE_S = 4.0


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_no_ask_fails_while_its_documents_are_deleted_and_uploaded_again(
    kind: str, tmp_path: Path, models_cache: Path, embedder: Embedder
) -> None:
    with ingested_corpus(kind, tmp_path, models_cache, embedder) as corpus:
        parts = corpus.components()
        try:
            with serving(create_app(parts.settings, parts)) as root:
                counts = run_race(root, tmp_path / "corpus", RACE_S)
        finally:
            parts.close()
    assert counts.failures == [], counts.as_dict()
    assert counts.deletes >= 2 and set(counts.asks) == set(WAYS), counts.as_dict()  # it raced, every way
    assert counts.answered >= sum(counts.asks.values()) // 4, counts.as_dict()  # mostly answers, not refusals
