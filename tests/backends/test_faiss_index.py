"""The FAISS index beyond the ``VectorIndex`` contract (tests/backends/contracts/): its manifest, collection names,
repair from SQL, and scoring a few allowed ids directly."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from service.backends.faiss_index import FaissIndex, IndexManifest
from service.backends.sql.store import SqlDocumentStore
from service.core.errors import IndexMismatch, InvalidInput
from tests.support.stored import document, drafts_for, facts, vectors

MANIFEST = IndexManifest(embedder="test@unit", dimension=4, chunk_tokens=64, overlap_tokens=8)


def test_faiss_refuses_an_index_built_by_other_settings(tmp_path: Path) -> None:
    index = FaissIndex(tmp_path, "m", MANIFEST)
    index.add([1], vectors(1))
    index.save()
    other = IndexManifest(embedder="other@model", dimension=4, chunk_tokens=64, overlap_tokens=8)
    with pytest.raises(IndexMismatch, match="embedder: index has 'test@unit', settings say 'other@model'"):
        FaissIndex(tmp_path, "m", other)
    for changed in ({"sections": True}, {"headings": True}):  # chunk boundaries, or what was embedded
        with pytest.raises(IndexMismatch, match=f"{next(iter(changed))}: index has False, settings say True"):
            FaissIndex(tmp_path, "m", dataclasses.replace(MANIFEST, **changed))


def test_bad_collection_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="collection name"):
        FaissIndex(tmp_path, "../escape", MANIFEST)


def test_reconcile_repairs_faiss_from_sql(sql_store: SqlDocumentStore, tmp_path: Path) -> None:
    parsed = document("one", "two", "three")
    rows = vectors(3, seed=2)
    _, ids, _ = sql_store.replace_document("m", facts(), parsed, drafts_for(parsed), rows)
    index = FaissIndex(tmp_path, "m", MANIFEST)
    index.add([ids[0], 999_999], np.vstack([rows[0], rows[1]]))  # one missing, one stale
    assert index.reconcile(sql_store) == (2, 1)
    assert index.ids() == set(ids)
    assert FaissIndex(tmp_path, "m", MANIFEST).ids() == set(ids)  # the repair was saved
    assert index.reconcile(sql_store) == (0, 0)


def test_faiss_scores_a_few_allowed_ids_directly_with_the_same_result(tmp_path: Path) -> None:
    index = FaissIndex(tmp_path, "m", MANIFEST)
    rows = vectors(400, seed=5)
    index.add(list(range(100, 500)), rows)
    query = rows[7:8]
    allowed = [103, 117, 129, 107]  # 4 of 400: scored directly, not by a filtered scan of the index
    direct = index.search(query, 3, allowed_ids=allowed)
    expected = sorted(((i, float(rows[i - 100] @ query[0])) for i in allowed), key=lambda pair: -pair[1])[:3]
    assert [chunk_id for chunk_id, _ in direct] == [chunk_id for chunk_id, _ in expected]
    assert direct[0] == (107, pytest.approx(1.0, abs=1e-5))
    scanned = index.search(query, 3, allowed_ids=list(range(100, 500)))  # all allowed: the scan
    assert scanned[0][0] == 107
