"""The ``VectorIndex`` contract (``service.core.seams``), over every implementation: ``FaissIndex`` exact, and
``FaissIndex`` forced to its approximate (IVF) layout, which probes every list of these small collections and so
must give exactly the exact answers (an empty one stays exact until it has vectors to train on), with its vectors
stored as ``float32`` or as ``float16`` (whose scores are the cosines within ``SCORE_ERROR``).

Ids are chunk ids; scores are the cosine of unit vectors (inner product), best first; ``allowed_ids`` restricts
the candidates before ranking; a saved index is what another process (a second instance) loads or refreshes to.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from service.backends.faiss_index import FaissIndex, IndexManifest
from service.core.seams import VectorIndex
from service.core.settings import IndexSettings
from tests.support.stored import DIMENSION, vectors

MANIFEST = IndexManifest(embedder="test@unit", dimension=DIMENSION, chunk_tokens=64, overlap_tokens=8)

OpenIndex = Callable[[Path, str], VectorIndex]
"""Opens the index of a collection in a folder: a new instance, as another process would."""

IMPLEMENTATIONS: dict[str, OpenIndex] = {
    "faiss": lambda folder, collection: FaissIndex(folder, collection, MANIFEST),
    "faiss-ivf": lambda folder, collection: FaissIndex(
        folder, collection, MANIFEST, IndexSettings(kind="ivf", ivf_storage="float32")
    ),
    "faiss-ivf-fp16": lambda folder, collection: FaissIndex(
        folder, collection, MANIFEST, IndexSettings(kind="ivf", ivf_storage="float16")
    ),
}
SCORE_ERROR = {"faiss": 1e-5, "faiss-ivf": 1e-5, "faiss-ivf-fp16": 1e-3}
"""How far a score may be from the cosine: float rounding, or the vectors' rounding to float16."""


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def open_index(request: pytest.FixtureRequest) -> OpenIndex:
    return IMPLEMENTATIONS[request.param]


@pytest.fixture
def error(request: pytest.FixtureRequest) -> float:
    """The ``SCORE_ERROR`` of the implementation under test."""
    return SCORE_ERROR[request.node.callspec.params["open_index"]]


def test_search_save_load_and_filter(open_index: OpenIndex, tmp_path: Path, error: float) -> None:
    index = open_index(tmp_path, "m")
    rows = vectors(5, seed=1)
    index.add([10, 11, 12, 13, 14], rows)
    hits = index.search(rows[2:3], 3)
    assert hits[0][0] == 12 and hits[0][1] == pytest.approx(1.0, abs=error)
    assert [chunk_id for chunk_id, _ in index.search(rows[2:3], 5, allowed_ids=[10, 14])] in ([10, 14], [14, 10])
    assert index.search(rows[2:3], 5, allowed_ids=[]) == []
    index.remove([12])
    index.save()
    again = open_index(tmp_path, "m")
    assert again.ids() == {10, 11, 13, 14}
    assert not list(tmp_path.glob(".*tmp"))


def test_an_empty_index_finds_nothing(open_index: OpenIndex, tmp_path: Path) -> None:
    index = open_index(tmp_path, "m")
    assert index.collection == "m" and index.count == 0 and index.ids() == set()
    assert index.search(vectors(1), 5) == []
    assert index.similarity(vectors(1), [1, 2]) == {}


def test_hits_are_the_top_k_cosines_best_first(open_index: OpenIndex, tmp_path: Path, error: float) -> None:
    index = open_index(tmp_path, "m")
    rows = vectors(12, seed=4)
    ids = list(range(200, 212))
    index.add(ids, rows)
    assert index.count == 12 and index.ids() == set(ids)
    query = vectors(1, seed=99)
    cosines = {chunk_id: float(row @ query[0]) for chunk_id, row in zip(ids, rows, strict=True)}
    expected = sorted(cosines, key=lambda chunk_id: -cosines[chunk_id])
    hits = index.search(query, 4)
    assert [chunk_id for chunk_id, _ in hits] == expected[:4]
    assert [score for _, score in hits] == pytest.approx([cosines[chunk_id] for chunk_id in expected[:4]], abs=error)
    assert len(index.search(query, 50)) == 12  # k beyond the count: every vector once
    allowed = expected[5:9]
    restricted = index.search(query, 2, allowed_ids=allowed)
    assert [chunk_id for chunk_id, _ in restricted] == allowed[:2]  # ranked among the allowed only


def test_similarity_scores_only_the_ids_it_holds(open_index: OpenIndex, tmp_path: Path, error: float) -> None:
    index = open_index(tmp_path, "m")
    rows = vectors(3, seed=6)
    index.add([1, 2, 3], rows)
    query = rows[1:2]
    scores = index.similarity(query, [3, 2, 99])
    assert set(scores) == {2, 3}
    assert scores[2] == pytest.approx(1.0, abs=error)
    assert scores[3] == pytest.approx(float(rows[2] @ rows[1]), abs=error)


def test_remove_forgets_ids_and_ignores_unknown_ones(open_index: OpenIndex, tmp_path: Path) -> None:
    index = open_index(tmp_path, "m")
    rows = vectors(3, seed=7)
    index.add([1, 2, 3], rows)
    index.remove([2, 77])
    assert index.ids() == {1, 3} and index.count == 2
    assert 2 not in {chunk_id for chunk_id, _ in index.search(rows[1:2], 3)}
    index.remove([])
    assert index.count == 2


def test_collections_are_separate_indexes(open_index: OpenIndex, tmp_path: Path) -> None:
    first, second = open_index(tmp_path, "m"), open_index(tmp_path, "n")
    first.add([1], vectors(1))
    first.save()
    second.save()
    assert open_index(tmp_path, "n").ids() == set() and open_index(tmp_path, "m").ids() == {1}


def test_refresh_loads_what_another_instance_saved_but_never_drops_unsaved_changes(
    open_index: OpenIndex, tmp_path: Path, error: float
) -> None:
    rows = vectors(4, seed=8)
    reader, writer = open_index(tmp_path, "m"), open_index(tmp_path, "m")
    assert not reader.refresh_if_changed()  # nothing saved yet
    writer.add([1, 2], rows[:2])
    writer.save()
    assert reader.refresh_if_changed() and reader.ids() == {1, 2}
    assert not reader.refresh_if_changed()  # already current
    np.testing.assert_allclose(reader.search(rows[1:2], 1)[0][1], 1.0, atol=error)

    reader.add([3], rows[2:3])  # unsaved here
    writer.add([4], rows[3:4])
    writer.save()
    assert not reader.refresh_if_changed()
    assert reader.ids() == {1, 2, 3}
