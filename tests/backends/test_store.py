"""The SQL store on SQLite and PostgreSQL, and the FAISS index with its manifest and crash repair."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from service.backends.faiss_index import FaissIndex, IndexManifest
from service.backends.sql.store import SqlDocumentStore, make_engine
from service.core.domain import ChunkDraft, DocumentStatus, FileFacts, ParsedDocument, ParsedPage, TextSource
from service.core.errors import IndexMismatch, InvalidInput, NotFound

MANIFEST = IndexManifest(embedder="test@unit", dimension=4, chunk_tokens=64, overlap_tokens=8)


@pytest.fixture
def store(database_url: str) -> Iterator[SqlDocumentStore]:
    store = SqlDocumentStore(make_engine(database_url))
    store.create_schema()
    yield store
    store.engine.dispose()


def document(*pages: str) -> ParsedDocument:
    return ParsedDocument(
        "text/plain",
        tuple(
            ParsedPage(
                i + 1, text, needs_ocr=not text, text_source=TextSource.NONE if not text else TextSource.TEXT_LAYER
            )
            for i, text in enumerate(pages)
        ),
        title="A title",
        metadata={"court": "ca1"},
    )


def drafts_for(parsed: ParsedDocument) -> list[ChunkDraft]:
    drafts = []
    for page, (start, end) in zip(parsed.pages, parsed.page_offsets(), strict=True):
        if page.text:
            drafts.append(ChunkDraft(len(drafts), page.number, page.number, start, end, 3, page.text))
    return drafts


def vectors(n: int, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(n, 4)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def facts(source: str = "a/b.txt", sha: str = "1" * 64) -> FileFacts:
    return FileFacts(source, sha, 10, 123)


def test_replace_list_get_and_delete(store: SqlDocumentStore) -> None:
    parsed = document("page one text", "", "page three text")
    document_id, ids, replaced = store.replace_document("matter-a", facts(), parsed, drafts_for(parsed), vectors(2))
    assert replaced == [] and len(ids) == 2
    record = store.get_document(document_id)
    assert record.status is DocumentStatus.NEEDS_OCR and record.needs_ocr_pages == (2,)
    assert record.page_count == 3 and record.metadata == {"court": "ca1"} and record.collection == "matter-a"
    assert store.get_page(document_id, 3).text == "page three text"
    chunks = store.chunks(ids)
    assert chunks[ids[1]].text == "page three text" and chunks[ids[1]].page_start == 3
    assert store.collections() == {"matter-a": 1}

    changed = document("new first page")
    _, new_ids, replaced = store.replace_document(
        "matter-a", facts(sha="2" * 64), changed, drafts_for(changed), vectors(1)
    )
    assert sorted(replaced) == sorted(ids) and not set(new_ids) & set(ids)
    assert store.chunk_ids("matter-a") == set(new_ids)
    assert store.get_document(document_id).status is DocumentStatus.INGESTED

    assert store.delete_document(document_id) == new_ids
    assert store.chunk_ids("matter-a") == set()
    with pytest.raises(NotFound):
        store.get_document(document_id)
    with pytest.raises(NotFound):
        store.get_page(document_id, 1)


def test_documents_are_walled_by_collection(store: SqlDocumentStore) -> None:
    parsed = document("secret")
    document_id, _, _ = store.replace_document("matter-a", facts(), parsed, drafts_for(parsed), vectors(1))
    assert store.get_document(document_id, collections=["matter-a"]).id == document_id
    with pytest.raises(NotFound):
        store.get_document(document_id, collections=["matter-b"])
    assert store.list_documents("matter-b") == []


def test_failure_keeps_what_was_stored(store: SqlDocumentStore) -> None:
    parsed = document("kept text")
    document_id, ids, _ = store.replace_document("m", facts(), parsed, drafts_for(parsed), vectors(1))
    assert store.record_failure("m", facts(sha="9" * 64), "b.txt: corrupt") == document_id
    record = store.get_document(document_id)
    assert record.error == "b.txt: corrupt" and record.status is DocumentStatus.INGESTED
    assert store.chunk_ids("m") == set(ids)
    new_id = store.record_failure("m", facts("c.pdf"), "c.pdf: empty")
    assert store.get_document(new_id).status is DocumentStatus.FAILED


def test_chunk_ids_are_never_reused(store: SqlDocumentStore) -> None:
    parsed = document("one", "two")
    document_id, first, _ = store.replace_document("m", facts(), parsed, drafts_for(parsed), vectors(2))
    store.delete_document(document_id)
    _, second, _ = store.replace_document("m", facts(), parsed, drafts_for(parsed), vectors(2))
    assert min(second) > max(first)


def test_stored_vectors_round_trip(store: SqlDocumentStore) -> None:
    parsed = document("one", "two")
    rows = vectors(2, seed=5)
    _, ids, _ = store.replace_document("m", facts(), parsed, drafts_for(parsed), rows)
    found, matrix = store.vectors(ids, 4)
    assert found == ids and np.allclose(matrix, rows)


def test_sqlite_delete_leaves_no_text_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "docqa.db"
    store = SqlDocumentStore(make_engine(f"sqlite:///{path}"))
    store.create_schema()
    secret = "PRIVILEGED-" + "zq" * 400
    parsed = document(secret)
    document_id, _, _ = store.replace_document("m", facts(), parsed, drafts_for(parsed), vectors(1))
    store.delete_document(document_id)
    with store.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.engine.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("docqa.db"))
    assert b"PRIVILEGED-" not in raw


def test_faiss_search_save_load_and_filter(tmp_path: Path) -> None:
    index = FaissIndex(tmp_path, "m", MANIFEST)
    rows = vectors(5, seed=1)
    index.add([10, 11, 12, 13, 14], rows)
    hits = index.search(rows[2:3], 3)
    assert hits[0][0] == 12 and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert [chunk_id for chunk_id, _ in index.search(rows[2:3], 5, allowed_ids=[10, 14])] in ([10, 14], [14, 10])
    assert index.search(rows[2:3], 5, allowed_ids=[]) == []
    index.remove([12])
    index.save()
    again = FaissIndex(tmp_path, "m", MANIFEST)
    assert again.ids() == {10, 11, 13, 14}
    assert not list(tmp_path.glob(".*tmp"))


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


def test_reconcile_repairs_faiss_from_sql(store: SqlDocumentStore, tmp_path: Path) -> None:
    parsed = document("one", "two", "three")
    rows = vectors(3, seed=2)
    _, ids, _ = store.replace_document("m", facts(), parsed, drafts_for(parsed), rows)
    index = FaissIndex(tmp_path, "m", MANIFEST)
    index.add([ids[0], 999_999], np.vstack([rows[0], rows[1]]))  # one missing, one stale
    assert index.reconcile(store) == (2, 1)
    assert index.ids() == set(ids)
    assert FaissIndex(tmp_path, "m", MANIFEST).ids() == set(ids)  # the repair was saved
    assert index.reconcile(store) == (0, 0)


def test_faiss_scores_a_few_allowed_ids_directly_with_the_same_result(tmp_path: Path) -> None:
    index = FaissIndex(tmp_path, "m", MANIFEST)
    rows = vectors(40, seed=5)
    index.add(list(range(100, 140)), rows)
    query = rows[7:8]
    allowed = [103, 117, 129, 107]  # 4 of 40: scored directly, not by a filtered scan of the index
    direct = index.search(query, 3, allowed_ids=allowed)
    expected = sorted(((i, float(rows[i - 100] @ query[0])) for i in allowed), key=lambda pair: -pair[1])[:3]
    assert [chunk_id for chunk_id, _ in direct] == [chunk_id for chunk_id, _ in expected]
    assert direct[0] == (107, pytest.approx(1.0, abs=1e-5))
    scanned = index.search(query, 3, allowed_ids=list(range(100, 140)))  # all allowed: the scan
    assert scanned[0][0] == 107
