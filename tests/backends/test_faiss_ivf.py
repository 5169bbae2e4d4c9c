"""The approximate (IVF) layout of ``FaissIndex``: when it is chosen, retrained and recorded, its recall against
exact search with and without a filter, and crash repair into it. (The ``VectorIndex`` contract runs over it too,
in tests/backends/contracts/.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pytest
from pydantic import ValidationError

from service.backends.faiss_index import FaissIndex, IndexManifest
from service.backends.sql.store import SqlDocumentStore
from service.core.settings import IndexSettings, Settings
from tests.support.stored import document, drafts_for, facts

DIMENSION = 32
MANIFEST = IndexManifest(embedder="test@unit", dimension=DIMENSION, chunk_tokens=64, overlap_tokens=8)


def clustered(n: int, seed: int = 0, centres: int = 60) -> npt.NDArray[np.float32]:
    """``n`` unit vectors around ``centres`` random directions (embeddings cluster by topic; uniform random
    vectors are the worst case for any inverted file and unlike real ones)."""
    rng = np.random.default_rng(seed)
    middles = rng.normal(size=(centres, DIMENSION))
    rows = middles[rng.integers(0, centres, size=n)] + rng.normal(scale=0.6, size=(n, DIMENSION))
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows.astype(np.float32)


def saved_manifest(folder: Path) -> dict[str, object]:
    return dict(json.loads((folder / "m.manifest.json").read_text()))


def test_auto_turns_approximate_at_the_threshold_records_it_and_turns_back(tmp_path: Path) -> None:
    rows = clustered(1000)
    index = FaissIndex(tmp_path, "m", MANIFEST, IndexSettings(ivf_from=1000, nprobe=5))
    index.add(list(range(999)), rows[:999])
    kinds = [index.kind]
    index.add([999], rows[999:])
    kinds.append(index.kind)
    assert kinds == ["exact", "ivf"] and index.ids() == set(range(1000))
    index.save()
    manifest = saved_manifest(tmp_path)
    assert (manifest["kind"], manifest["nlist"], manifest["nprobe"]) == ("ivf", 32, 5)  # 32 = round(sqrt(1000))
    assert (manifest["count"], manifest["trained_at"], manifest["storage"]) == (1000, 1000, "float16")
    again = FaissIndex(tmp_path, "m", MANIFEST, IndexSettings(ivf_from=1000))
    best_id, best_score = again.search(rows[7:8], 1)[0]  # the cosine to itself rounded to float16
    assert again.kind == "ivf" and best_id == 7 and best_score == pytest.approx(1.0, abs=1e-3)
    again.remove(list(range(400)))
    kinds = [again.kind]  # 600 vectors: still above half the threshold, so no rebuild back and forth
    again.remove(list(range(400, 600)))
    kinds.append(again.kind)
    assert kinds == ["ivf", "exact"] and again.ids() == set(range(600, 1000))


def test_the_approximate_index_is_retrained_when_the_collection_outgrows_it(tmp_path: Path) -> None:
    rows = clustered(1000, seed=1)
    index = FaissIndex(tmp_path, "m", MANIFEST, IndexSettings(ivf_from=500, retrain_factor=2.0))
    index.add(list(range(500)), rows[:500])
    index.add(list(range(500, 999)), rows[500:999])
    index.save()
    assert (saved_manifest(tmp_path)["trained_at"], saved_manifest(tmp_path)["nlist"]) == (500, 22)
    index.add([999], rows[999:])
    index.save()
    assert (saved_manifest(tmp_path)["trained_at"], saved_manifest(tmp_path)["nlist"]) == (1000, 32)
    assert index.ids() == set(range(1000))


@pytest.mark.parametrize(("storage", "error"), [("float32", 1e-5), ("float16", 1e-3)])
def test_recall_against_exact_search_with_and_without_a_filter(
    tmp_path: Path, storage: Literal["float32", "float16"], error: float
) -> None:
    rows, queries = clustered(3000, seed=2), clustered(40, seed=3)
    ids = list(range(10_000, 13_000))
    exact = FaissIndex(tmp_path / "exact", "m", MANIFEST, IndexSettings(kind="exact"))
    layout = IndexSettings(kind="ivf", nprobe=8, ivf_storage=storage)
    approximate = FaissIndex(tmp_path / "ivf", "m", MANIFEST, layout)
    for index in (exact, approximate):
        index.add(ids, rows)
    assert approximate.kind == "ivf"  # 55 lists, 8 probed: about 15 % of the vectors scanned per query
    # Half the ids allowed: 2 ** (1/4) times the lists probed (10 of 55), a filtered scan, not direct scoring.
    allowed = sorted(np.random.default_rng(4).choice(ids, size=1500, replace=False).tolist())
    found = {"all": 0, "filtered": 0}
    for query in queries:
        truth = exact.search(query[None, :], 10)
        hits = approximate.search(query[None, :], 10)
        found["all"] += len({i for i, _ in truth} & {i for i, _ in hits})
        cosines = rows[[i - 10_000 for i, _ in hits]] @ query
        assert [score for _, score in hits] == pytest.approx(cosines.tolist(), abs=error)  # (nearly) exact scores
        truth = exact.search(query[None, :], 10, allowed_ids=allowed)
        hits = approximate.search(query[None, :], 10, allowed_ids=allowed)
        assert {i for i, _ in hits} <= set(allowed) and len(hits) == 10
        found["filtered"] += len({i for i, _ in truth} & {i for i, _ in hits})
    assert found["all"] / 400 >= 0.9 and found["filtered"] / 400 >= 0.9
    assert found["all"] < 400 or found["filtered"] < 400  # it is approximate: 8 of 55 lists miss some


@pytest.mark.parametrize("storage", ["float32", "float16"])
def test_probing_every_list_gives_exactly_the_exact_answers(
    tmp_path: Path, storage: Literal["float32", "float16"]
) -> None:
    """Exact search over the vectors as the approximate index stores them (``float16``: rounded to it)."""
    rows, query = clustered(2000, seed=5), clustered(1, seed=6)
    stored = rows.astype(np.dtype(storage)).astype(np.float32)
    exact = FaissIndex(tmp_path / "exact", "m", MANIFEST, IndexSettings(kind="exact"))
    layout = IndexSettings(kind="ivf", nprobe=1000, ivf_storage=storage)
    everything = FaissIndex(tmp_path / "ivf", "m", MANIFEST, layout)
    exact.add(list(range(2000)), stored)
    everything.add(list(range(2000)), rows)
    assert everything.kind == "ivf"
    assert [i for i, _ in everything.search(query, 20)] == [i for i, _ in exact.search(query, 20)]
    allowed = list(range(0, 2000, 3))
    restricted = everything.search(query, 20, allowed_ids=allowed)
    assert [i for i, _ in restricted] == [i for i, _ in exact.search(query, 20, allowed_ids=allowed)]


@pytest.mark.parametrize("first_id", [1, 2**40], ids=["bitmap", "hash-set"])
def test_filters_on_small_and_huge_ids_give_the_exact_answers(tmp_path: Path, first_id: int) -> None:
    rows, query = clustered(1000, seed=10), clustered(1, seed=11)
    ids = [first_id + 3 * number for number in range(1000)]
    exact = FaissIndex(tmp_path / "exact", "m", MANIFEST, IndexSettings(kind="exact"))
    layout = IndexSettings(kind="ivf", nprobe=1000, ivf_storage="float32")
    everything = FaissIndex(tmp_path / "ivf", "m", MANIFEST, layout)
    for index in (exact, everything):
        index.add(ids, rows)
    allowed = ids[::4]  # a quarter: a filtered scan, not direct scoring
    expected = exact.search(query, 10, allowed_ids=allowed)
    cosines = rows[::4] @ query[0]
    assert [i for i, _ in expected] == [allowed[position] for position in np.argsort(-cosines)[:10]]
    assert [i for i, _ in everything.search(query, 10, allowed_ids=allowed)] == [i for i, _ in expected]


def test_a_setting_forces_the_layout_of_a_saved_index(tmp_path: Path) -> None:
    rows = clustered(600, seed=7)
    approximate = FaissIndex(tmp_path, "m", MANIFEST, IndexSettings(kind="ivf"))
    approximate.add(list(range(600)), rows)
    approximate.save()
    exact = FaissIndex(tmp_path, "m", MANIFEST, IndexSettings(kind="exact"))
    assert exact.kind == "exact" and exact.ids() == set(range(600))
    exact.save()
    assert saved_manifest(tmp_path)["kind"] == "exact"
    assert FaissIndex(tmp_path, "m", MANIFEST, IndexSettings(ivf_from=100)).kind == "ivf"  # auto, past ivf_from


def test_a_process_that_forces_another_layout_still_follows_what_others_save(tmp_path: Path) -> None:
    rows = clustered(700, seed=9)
    writer = FaissIndex(tmp_path, "m", MANIFEST, IndexSettings(kind="ivf"))
    writer.add(list(range(600)), rows[:600])
    writer.save()
    reader = FaissIndex(tmp_path, "m", MANIFEST, IndexSettings(kind="exact"))  # rebuilt as exact at load
    writer.add(list(range(600, 700)), rows[600:])
    writer.save()
    assert reader.refresh_if_changed() and reader.kind == "exact" and reader.count == 700
    writer.remove([0])
    writer.save()
    assert reader.refresh_if_changed() and reader.ids() == set(range(1, 700))


def test_env_selects_the_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCQA_INDEX__KIND", "ivf")
    monkeypatch.setenv("DOCQA_INDEX__NPROBE", "48")
    assert (Settings().index.kind, Settings().index.nprobe) == ("ivf", 48)
    monkeypatch.setenv("DOCQA_INDEX__KIND", "hnsw")
    with pytest.raises(ValidationError, match="kind"):
        Settings()


def test_a_manifest_written_before_layouts_existed_loads_as_exact(tmp_path: Path) -> None:
    index = FaissIndex(tmp_path, "m", MANIFEST)
    index.add([1, 2], clustered(2))
    index.save()
    manifest = saved_manifest(tmp_path)
    for name in ("kind", "nlist", "nprobe", "trained_at"):
        del manifest[name]
    (tmp_path / "m.manifest.json").write_text(json.dumps(manifest))
    assert FaissIndex(tmp_path, "m", MANIFEST).kind == "exact"


def test_reconcile_repairs_an_approximate_index_from_sql(sql_store: SqlDocumentStore, tmp_path: Path) -> None:
    parsed = document(*(f"page {number}" for number in range(40)))
    rows = clustered(40, seed=8)
    _, ids, _ = sql_store.replace_document("m", facts(), parsed, drafts_for(parsed), rows)
    index = FaissIndex(tmp_path, "m", MANIFEST, IndexSettings(kind="ivf"))
    index.add([*ids[:30], 999_999], np.vstack([rows[:30], rows[:1]]))  # ten missing, one stale
    assert index.kind == "ivf"
    assert index.reconcile(sql_store) == (10, 1)
    repaired = FaissIndex(tmp_path, "m", MANIFEST, IndexSettings(kind="ivf"))
    assert repaired.kind == "ivf" and repaired.ids() == set(ids)  # the repair was saved
    assert repaired.search(rows[35:36], 1)[0][0] == ids[35]


def test_float16_storage_halves_the_file_is_recorded_and_a_setting_converts_it(tmp_path: Path) -> None:
    rows = clustered(3000, seed=12)
    sizes = {}
    for storage in ("float32", "float16"):
        index = FaissIndex(tmp_path / storage, "m", MANIFEST, IndexSettings(kind="ivf", ivf_storage=storage))
        index.add(list(range(3000)), rows)
        index.save()
        assert saved_manifest(tmp_path / storage)["storage"] == storage
        sizes[storage] = (tmp_path / storage / "m.faiss").stat().st_size
    assert 0.45 < sizes["float16"] / sizes["float32"] < 0.6  # vectors at half size; ids and centroids as before
    converted = FaissIndex(tmp_path / "float16", "m", MANIFEST, IndexSettings(kind="ivf", ivf_storage="float32"))
    converted.save()
    assert saved_manifest(tmp_path / "float16")["storage"] == "float32" and converted.ids() == set(range(3000))
    best_id, best_score = converted.search(rows[5:6], 1)[0]  # from the stored (rounded) vectors: nearly exact
    assert best_id == 5 and best_score == pytest.approx(1.0, abs=1e-3)


def test_a_float16_index_deletes_by_id_filters_and_is_repaired_from_sql(
    sql_store: SqlDocumentStore, tmp_path: Path
) -> None:
    parsed = document(*(f"page {number}" for number in range(60)))
    rows = clustered(60, seed=13)
    _, ids, _ = sql_store.replace_document("m", facts(), parsed, drafts_for(parsed), rows)
    index = FaissIndex(tmp_path, "m", MANIFEST, IndexSettings(kind="ivf", nprobe=1000))
    index.add(ids, rows)
    index.remove(ids[:10])
    assert index.ids() == set(ids[10:]) and ids[0] not in {i for i, _ in index.search(rows[:1], 60)}
    allowed = ids[20:40:2]
    assert {i for i, _ in index.search(rows[25:26], 50, allowed_ids=allowed)} == set(allowed)
    assert index.similarity(rows[30:31], [ids[30], ids[0]]) == {ids[30]: pytest.approx(1.0, abs=1e-3)}
    index.save()
    assert index.reconcile(sql_store) == (10, 0)  # SQL still holds the ten removed above: added back
    repaired = FaissIndex(tmp_path, "m", MANIFEST, IndexSettings(kind="ivf"))
    assert repaired.ids() == set(ids) and saved_manifest(tmp_path)["storage"] == "float16"
    assert repaired.search(rows[3:4], 1)[0][0] == ids[3]
