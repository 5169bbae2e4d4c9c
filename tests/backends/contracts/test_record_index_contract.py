"""The ``RecordIndex`` contract (``service.core.seams``), over every implementation: ``SqlRecordIndex`` on SQLite
(FTS5) and on PostgreSQL (``tsvector``).

The index may name pages that do not match, never leave out one that does: a search over it (the index's
candidates confirmed by the exact evaluator) finds exactly what a brute-force scan of the text finds, on
both databases. It follows re-ingests and deletes in their transaction, and a store opened without it
builds it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from service.backends.sql.store import SqlDocumentStore, make_engine
from service.core.record_query import Query
from service.engine.record.matching import term_report
from service.engine.record.query import parse_query
from service.engine.record.search import RecordSearch
from tests.support.record import brute_matches, pages, queries, render
from tests.support.stored import document, drafts_for, facts, vectors


def store_pages(store: SqlDocumentStore, collection: str, source: str, *texts: str, **metadata: str) -> str:
    parsed = document(*texts, metadata=metadata or None)
    drafts = drafts_for(parsed)
    document_id, _, _ = store.replace_document(collection, facts(source), parsed, drafts, vectors(len(drafts)))
    return document_id


def candidates(store: SqlDocumentStore, collection: str, query: str) -> list[tuple[str, int]]:
    return [
        (page.source, page.number) for page, _ in store.record_index.candidate_pages(collection, [parse_query(query)])
    ]


def found(store: SqlDocumentStore, collection: str, query: str) -> list[tuple[str, int, str]]:
    result = RecordSearch(lambda: store.record_index).search(collection, query, limit=1000)
    return [(hit.source, hit.page, hit.text) for hit in result.hits]


def counted(store: SqlDocumentStore, collection: str, terms: str) -> list[int]:
    report = RecordSearch(lambda: store.record_index).term_report(collection, terms)
    return [term.total_hits for term in report.report.terms]


def test_words_phrases_prefixes_and_proximity(sql_store: SqlDocumentStore) -> None:
    store_pages(sql_store, "m", "b.txt", "The Kiamichi River permit was denied.", "Négligence of the Straße crew.")
    store_pages(sql_store, "m", "a.txt", "A permit for the river; settlement in 2019.", "nothing here")
    store_pages(sql_store, "other", "c.txt", "Kiamichi permit settlement 2019 négligence")
    assert candidates(sql_store, "m", "permit") == [("a.txt", 1), ("b.txt", 1)]  # document order, walled
    assert found(sql_store, "m", '"kiamichi river"') == [("b.txt", 1, "Kiamichi River")]
    assert found(sql_store, "m", "neglig*") == [("b.txt", 2, "Négligence")]
    assert found(sql_store, "m", "strasse") == [("b.txt", 2, "Straße")]
    assert found(sql_store, "m", "settlement w/2 2019") == [("a.txt", 1, "settlement in 2019")]
    assert found(sql_store, "m", "permit NOT kiamichi") == [("a.txt", 1, "permit")]
    assert found(sql_store, "m", "river pre/3 permit") == [("b.txt", 1, "River permit")]
    assert found(sql_store, "m", "permit pre/3 river") == [("a.txt", 1, "permit for the river")]


def test_reingest_and_delete_keep_it_consistent(sql_store: SqlDocumentStore) -> None:
    document_id = store_pages(sql_store, "m", "a.txt", "the old settlement")
    assert candidates(sql_store, "m", "settlement") == [("a.txt", 1)]
    parsed = document("a new agreement", "and a second page")
    sql_store.replace_document("m", facts("a.txt", sha="2" * 64), parsed, drafts_for(parsed), vectors(2))
    assert candidates(sql_store, "m", "settlement") == []
    assert candidates(sql_store, "m", "agreement OR second") == [("a.txt", 1), ("a.txt", 2)]
    assert found(sql_store, "m", "settlement OR new w/1 agreement") == [("a.txt", 1, "new agreement")]
    assert counted(sql_store, "m", "old\nsecond\nsettl*") == [0, 1, 0]
    sql_store.delete_document(document_id)
    assert candidates(sql_store, "m", "agreement OR second") == []
    assert counted(sql_store, "m", "agreement\nsecond") == [0, 0]
    with sql_store.engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM page_positions")).scalar() == 0


def test_a_failed_write_leaves_the_index_as_it_was(
    sql_store: SqlDocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_pages(sql_store, "m", "a.txt", "the old settlement")

    def fail(*_: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(sql_store.record_index, "add_pages", fail)
    with pytest.raises(RuntimeError):
        store_pages(sql_store, "m", "a.txt", "a new agreement")
    monkeypatch.undo()
    assert found(sql_store, "m", "settlement OR agreement") == [("a.txt", 1, "settlement")]


def test_an_existing_store_gets_the_index_when_opened(sql_store: SqlDocumentStore) -> None:
    store_pages(sql_store, "m", "a.txt", "the old settlement", "of 2019")
    with sql_store.engine.begin() as connection:
        connection.execute(text("DROP TABLE page_words"))
    sql_store.create_schema()  # what opening a store does
    assert found(sql_store, "m", "settlement OR 2019") == [("a.txt", 1, "settlement"), ("a.txt", 2, "2019")]
    sql_store.create_schema()  # idempotent: nothing indexed twice
    assert candidates(sql_store, "m", "settlement") == [("a.txt", 1)]


def test_pages_without_stored_positions_are_read_as_text_until_backfilled(sql_store: SqlDocumentStore) -> None:
    store_pages(sql_store, "m", "a.txt", "the settlement agreement, settled", "of 2019 and the agreement")
    expected_hits = [("a.txt", 1, "settlement agreement"), ("a.txt", 2, "the agreement")]
    with sql_store.engine.begin() as connection:  # pages stored before the positions existed
        connection.execute(text("DELETE FROM page_positions"))
    assert found(sql_store, "m", "settlement w/1 agreement OR the pre/1 agreement") == expected_hits
    assert counted(sql_store, "m", "agreement\nsettl*\n2019 w/3 agreement") == [2, 2, 1]
    sql_store.create_schema()  # what opening a store does: every page gets its positions back
    with sql_store.engine.connect() as connection:
        markers = connection.execute(text("SELECT COUNT(*) FROM page_positions WHERE key = ''")).scalar()
    assert markers == 2
    assert found(sql_store, "m", "settlement w/1 agreement OR the pre/1 agreement") == expected_hits
    assert counted(sql_store, "m", "agreement\nsettl*\n2019 w/3 agreement") == [2, 2, 1]


def test_two_processes_opening_an_old_store_at_once(sql_store: SqlDocumentStore) -> None:
    for number in range(30):
        store_pages(sql_store, "m", f"d{number:02d}.txt", f"settlement number {number}", "and a second page")
    with sql_store.engine.begin() as connection:
        connection.execute(text("DROP TABLE page_words"))
    others = [SqlDocumentStore(make_engine(str(sql_store.engine.url))) for _ in range(3)]
    try:
        with ThreadPoolExecutor(3) as pool:  # as serve --workers 3 starting on a database from before the index
            list(pool.map(lambda store: store.create_schema(), others))
    finally:
        for store in others:
            store.close()
    assert len(found(sql_store, "m", "settlement")) == 30
    assert len(candidates(sql_store, "m", "second")) == 30


def test_metadata_filters(sql_store: SqlDocumentStore) -> None:
    store_pages(sql_store, "m", "a.txt", "permit one", court="ca1")
    store_pages(sql_store, "m", "b.txt", "permit two", court="ca2")
    result = RecordSearch(lambda: sql_store.record_index).search("m", "permit", {"court": "CA2"})
    assert [(hit.source, hit.text) for hit in result.hits] == [("b.txt", "permit")]


def test_very_long_words_and_unusual_characters(sql_store: SqlDocumentStore) -> None:
    long_word = "a" * 3000
    store_pages(sql_store, "m", "a.txt", f"{long_word} needle", "½ ﬁle O'Brien café naïve")
    assert found(sql_store, "m", "needle") == [("a.txt", 1, "needle")]
    assert found(sql_store, "m", "file") == [("a.txt", 2, "ﬁle")]
    assert found(sql_store, "m", '"o brien"') == [("a.txt", 2, "O'Brien")]
    assert found(sql_store, "m", "naive") == [("a.txt", 2, "naïve")]
    assert [text for *_, text in found(sql_store, "m", "aaa*")] == [long_word]


# --- exactness: the index and the evaluator against a brute-force scan, on each database ---------


@settings(
    max_examples=100, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much, HealthCheck.too_slow],
)  # fmt: skip
@given(
    query_list=st.lists(queries, min_size=1, max_size=3),
    corpus=st.lists(st.lists(pages(), min_size=1, max_size=3), min_size=1, max_size=4),
)
def test_search_and_report_agree_with_brute_force(
    sql_store: SqlDocumentStore, query_list: Sequence[Query], corpus: list[list[str]]
) -> None:
    collection = uuid.uuid4().hex[:12]  # one store for every example: each gets its own collection
    for number, texts in enumerate(corpus):
        store_pages(sql_store, collection, f"doc{number}.txt", *texts)
    for query in query_list:
        pages_found = [
            (page.source, page.number) for page, _ in sql_store.record_index.candidate_pages(collection, [query])
        ]
        expected = [
            (f"doc{number}.txt", page_number, hit)
            for number, texts in enumerate(corpus)
            for page_number, page_text in enumerate(texts, start=1)
            for hit in brute_matches(query, page_text)
        ]
        assert {(source, page) for source, page, _ in expected} <= set(pages_found)
        assert pages_found == sorted(pages_found)
        hits = RecordSearch(lambda: sql_store.record_index).search(collection, render(query), limit=1000).hits
        assert [(hit.source, hit.page, (hit.page_char_start, hit.page_char_end, hit.text)) for hit in hits] == expected
    search = RecordSearch(lambda: sql_store.record_index)
    lines = "\n".join(render(query) for query in query_list)
    report = search.term_report(collection, lines)
    brute = term_report(
        query_list, [(f"doc{n}.txt", p, t) for n, texts in enumerate(corpus) for p, t in enumerate(texts, 1)]
    )
    sources = {document_id: hits.source for document_id, hits in report.documents.items()}
    assert {sources[d]: row for d, row in report.report.per_document.items()} == dict(brute.per_document)
    assert [t.total_hits for t in report.report.terms] == [t.total_hits for t in brute.terms]
    assert [t.unique_documents for t in report.report.terms] == [t.unique_documents for t in brute.terms]
