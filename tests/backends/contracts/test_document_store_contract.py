"""The ``DocumentStore`` contract (``service.core.seams``), over every implementation: ``SqlDocumentStore`` on
SQLite and on PostgreSQL.

The store is the source of truth every index is rebuilt from: documents replace in one transaction, chunk ids
are never reused, walls between collections hold, and failures keep what was stored before.
"""

from __future__ import annotations

import numpy as np
import pytest

from service.backends.sql.store import SqlDocumentStore
from service.core.domain import DocumentStatus
from service.core.errors import NotFound
from service.core.seams import DocumentStore
from tests.support.stored import document, drafts_for, facts, vectors


@pytest.fixture
def store(sql_store: SqlDocumentStore) -> DocumentStore:
    """Each implementation, empty (``sql_store`` runs on each database)."""
    return sql_store


def test_replace_list_get_and_delete(store: DocumentStore) -> None:
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


def test_documents_are_walled_by_collection(store: DocumentStore) -> None:
    parsed = document("secret")
    document_id, _, _ = store.replace_document("matter-a", facts(), parsed, drafts_for(parsed), vectors(1))
    assert store.get_document(document_id, collections=["matter-a"]).id == document_id
    with pytest.raises(NotFound):
        store.get_document(document_id, collections=["matter-b"])
    assert store.list_documents("matter-b") == []


def test_failure_keeps_what_was_stored(store: DocumentStore) -> None:
    parsed = document("kept text")
    document_id, ids, _ = store.replace_document("m", facts(), parsed, drafts_for(parsed), vectors(1))
    assert store.record_failure("m", facts(sha="9" * 64), "b.txt: corrupt") == document_id
    record = store.get_document(document_id)
    assert record.error == "b.txt: corrupt" and record.status is DocumentStatus.INGESTED
    assert store.chunk_ids("m") == set(ids)
    new_id = store.record_failure("m", facts("c.pdf"), "c.pdf: empty")
    assert store.get_document(new_id).status is DocumentStatus.FAILED


def test_chunk_ids_are_never_reused(store: DocumentStore) -> None:
    parsed = document("one", "two")
    document_id, first, _ = store.replace_document("m", facts(), parsed, drafts_for(parsed), vectors(2))
    store.delete_document(document_id)
    _, second, _ = store.replace_document("m", facts(), parsed, drafts_for(parsed), vectors(2))
    assert min(second) > max(first)


def test_stored_vectors_round_trip(store: DocumentStore) -> None:
    parsed = document("one", "two")
    rows = vectors(2, seed=5)
    _, ids, _ = store.replace_document("m", facts(), parsed, drafts_for(parsed), rows)
    found, matrix = store.vectors(ids, 4)
    assert found == ids and np.allclose(matrix, rows)


def test_a_new_store_is_empty_and_answers(store: DocumentStore) -> None:
    store.ping()
    assert store.collections() == {}
    assert not store.collection_exists("m")
    assert store.list_documents("m") == [] and store.sources("m") == {} and store.chunk_ids("m") == set()
    assert store.find_document("m", "a/b.txt") is None
    assert store.chunks([1, 2]) == {}
    with pytest.raises(NotFound):
        store.get_document("0" * 32)
    with pytest.raises(NotFound):
        store.delete_document("0" * 32)


def test_documents_are_found_by_source_within_their_collection(store: DocumentStore) -> None:
    first = document("first text")
    second = document("second text")
    first_id, _, _ = store.replace_document("m", facts("a/first.txt"), first, drafts_for(first), vectors(1))
    second_id, _, _ = store.replace_document("m", facts("a/second.txt"), second, drafts_for(second), vectors(1))
    other_id, _, _ = store.replace_document("n", facts("a/first.txt"), first, drafts_for(first), vectors(1))
    assert store.collection_exists("m") and store.collection_exists("n")
    assert store.collections() == {"m": 2, "n": 1}
    assert store.sources("m") == {"a/first.txt": first_id, "a/second.txt": second_id}
    assert store.sources("n") == {"a/first.txt": other_id}
    found = store.find_document("m", "a/first.txt")
    assert found is not None and found.id == first_id and found.collection == "m"
    assert found.sha256 == "1" * 64 and found.title == "A title"
    assert store.find_document("m", "a/third.txt") is None
    assert sorted(record.id for record in store.list_documents("m")) == sorted([first_id, second_id])
    # the same source in another collection is another document
    assert other_id not in (first_id, second_id)


def test_pages_keep_their_text_and_offsets_and_a_missing_page_names_the_range(store: DocumentStore) -> None:
    parsed = document("page one text", "", "page three text")
    document_id, _, _ = store.replace_document("m", facts(), parsed, drafts_for(parsed), vectors(2))
    pages = store.pages(document_id)
    assert [page.number for page in pages] == [1, 2, 3]
    assert [page.text for page in pages] == ["page one text", "", "page three text"]
    assert [(page.char_start, page.char_end) for page in pages] == list(parsed.page_offsets())
    assert [page.needs_ocr for page in pages] == [False, True, False]
    assert store.get_page(document_id, 2) == pages[1]
    with pytest.raises(NotFound, match="has 3 pages"):
        store.get_page(document_id, 4)


def test_chunks_carry_their_document_and_place(store: DocumentStore) -> None:
    parsed = document("one", "two", title="Lease", metadata={"court": "ca9", "docket": "19-1"})
    document_id, ids, _ = store.replace_document("m", facts("leases/lease.txt"), parsed, drafts_for(parsed), vectors(2))
    chunks = store.chunks([*ids, 10**9])  # an id that does not exist is left out
    assert sorted(chunks) == sorted(ids)
    second = chunks[ids[1]]
    assert (second.chunk_id, second.document_id, second.collection) == (ids[1], document_id, "m")
    assert (second.source, second.title, second.text) == ("leases/lease.txt", "Lease", "two")
    assert (second.ordinal, second.page_start, second.page_end) == (1, 2, 2)
    assert second.metadata == {"court": "ca9", "docket": "19-1"}


def test_chunk_ids_where_filters_documents_by_metadata(store: DocumentStore) -> None:
    ninth = document("ninth circuit text", metadata={"court": "ca9"})
    first = document("first circuit text", "more", metadata={"court": "ca1"})
    _, ninth_ids, _ = store.replace_document("m", facts("a.txt"), ninth, drafts_for(ninth), vectors(1))
    _, first_ids, _ = store.replace_document("m", facts("b.txt"), first, drafts_for(first), vectors(2))
    other = document("ninth elsewhere", metadata={"court": "ca9"})
    store.replace_document("n", facts("a.txt"), other, drafts_for(other), vectors(1))
    assert store.chunk_ids_where("m", lambda metadata: metadata.get("court") == "ca9") == set(ninth_ids)
    assert store.chunk_ids_where("m", lambda metadata: metadata.get("court") == "ca1") == set(first_ids)
    assert store.chunk_ids_where("m", lambda metadata: False) == set()


def test_missing_names_are_those_no_page_contains(store: DocumentStore) -> None:
    parsed = document("JOHN DOE v. ACME CORP., Case No. 1:21-cv-01061", "100% of the_fee")
    store.replace_document("m", facts(), parsed, drafts_for(parsed), vectors(2))
    other = document("Margaret Hale")
    store.replace_document("n", facts(), other, drafts_for(other), vectors(1))
    names = [
        "John Doe",
        "acme corp",
        "1:21-cv-01061",
        "Margaret Hale",
        "Richard Roe",
        "100%",
        "the_fee",
        "1% of",
        "thexfee",
    ]
    # case-insensitive substrings of one collection's pages; % and _ are characters, not wildcards
    assert store.missing_names("m", names) == ["Margaret Hale", "Richard Roe", "1% of", "thexfee"]
    assert store.missing_names("m", []) == []


def test_vectors_of_deleted_chunks_are_left_out(store: DocumentStore) -> None:
    kept, gone = document("kept"), document("gone")
    rows = vectors(2, seed=3)
    _, kept_ids, _ = store.replace_document("m", facts("kept.txt"), kept, drafts_for(kept), rows[:1])
    gone_id, gone_ids, _ = store.replace_document("m", facts("gone.txt"), gone, drafts_for(gone), rows[1:])
    assert store.delete_document(gone_id) == gone_ids
    found, matrix = store.vectors([*gone_ids, *kept_ids], 4)
    assert found == kept_ids and matrix.shape == (1, 4) and matrix.dtype == np.float32
    assert np.allclose(matrix, rows[:1])
    assert set(store.sources("m")) == {"kept.txt"}


def test_a_file_that_failed_is_listed_but_not_counted_as_a_document(store: DocumentStore) -> None:
    kept = document("kept text")
    store.replace_document("m", facts("a/kept.txt"), kept, drafts_for(kept), vectors(1))
    store.record_failure("m", facts("a/broken.pdf"), "broken.pdf: truncated or corrupt")
    store.record_failure("n", facts("a/only.pdf"), "only.pdf: truncated or corrupt")
    assert store.collections() == {"m": 1, "n": 0}  # the matter picker's counts
    assert {record.source for record in store.list_documents("m")} == {"a/kept.txt", "a/broken.pdf"}
