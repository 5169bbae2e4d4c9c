"""Retrieval over the approximate (IVF) vector index, forced by ``DOCQA_INDEX__KIND=ivf``: the same hits as the
exact index on a collection small enough that every list is probed (the same relevance, or within 1e-3 with the
vectors stored as float16), filters still applied before ranking, the layout recorded in the manifest, and deletes
followed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pytest

from service.components import Components
from service.core.settings import IndexSettings, Settings
from tests.engine.retrieval.test_retrieval import orders

QUERIES = ("what did the court order in case No. 1:23-cv-04431?", "how is the Qorvane Threshold defined?")


def hits(parts: Components, query: str, **filters: str) -> list[tuple[str, float]]:
    return [(hit.source, round(hit.relevance, 5)) for hit in parts.retriever.search(query, "m", 20, filters or None)]


def same(found: list[tuple[str, float]], expected: list[tuple[str, float]], error: float) -> bool:
    """The same sources in the same order, their relevance within ``error``."""
    return [source for source, _ in found] == [source for source, _ in expected] and [
        relevance for _, relevance in found
    ] == pytest.approx([relevance for _, relevance in expected], abs=error)


@pytest.mark.parametrize(("storage", "error"), [("float32", 0.0), ("float16", 1e-3)])
def test_the_approximate_index_retrieves_filters_and_deletes_like_the_exact_one(
    tmp_path: Path,
    settings: Settings,
    make_components: Callable[..., Components],
    storage: Literal["float32", "float16"],
    error: float,
) -> None:
    first, second = orders(tmp_path / "first"), tmp_path / "second"
    second.mkdir()
    (second / "memo.txt").write_text("Halvorsen Maritime: the Qorvane Threshold was met in May.\n")
    built = {}
    for kind in ("exact", "ivf"):
        parts = make_components(
            settings.model_copy(
                update={"data_dir": tmp_path / kind, "index": IndexSettings(kind=kind, ivf_storage=storage)}
            )
        )
        parts.pipeline("m", extra_metadata={"client": "acme"}).ingest([first])
        parts.pipeline("m", extra_metadata={"client": "halvorsen"}).ingest([second])
        built[kind] = parts
    exact, approximate = built["exact"], built["ivf"]
    assert approximate.index("m").count == exact.index("m").count > 0
    for query in QUERIES:
        assert same(hits(approximate, query), hits(exact, query), error)
        assert same(hits(approximate, query, client="acme"), hits(exact, query, client="acme"), error)
        assert [source for source, _ in hits(approximate, query, client="halvorsen")] == ["memo.txt"]
    approximate.indexes.save_all()
    manifest = json.loads((tmp_path / "ivf" / "index" / "m.manifest.json").read_text())
    assert manifest["kind"] == "ivf" and manifest["nlist"] >= 1 and manifest["trained_at"] == manifest["count"]
    assert manifest["storage"] == storage

    memo = next(document for document in approximate.store.list_documents("m") if document.source.endswith("memo.txt"))
    approximate.pipeline("m").delete(memo.id)
    assert "memo.txt" not in {source for source, _ in hits(approximate, QUERIES[1])}
    assert hits(approximate, QUERIES[1], client="halvorsen") == []
