"""The exact evaluator and the search-term report, against examples and a brute-force oracle."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.engine.record.matching import Match, matches, term_report
from service.engine.record.query import Query, parse_query
from tests.support.record import brute_matches, flattened, pages, queries, render

PAGE = (
    "The Kiamichi River permit was denied. Plaintiffs' permit application, filed in 2019, named the "
    "Kiamichi; the settlement of 2019 followed. Negligence and negligent supervision were pleaded."
)


def found(query: str, text: str = PAGE) -> list[str]:
    return [match.text for match in matches(parse_query(query), text)]


def test_words_phrases_and_prefixes() -> None:
    assert found("kiamichi") == ["Kiamichi", "Kiamichi"]
    assert found('"kiamichi river"') == ["Kiamichi River"]
    assert found('"denied plaintiffs"') == ["denied. Plaintiffs"]  # punctuation between words is ignored
    assert found("negligen*") == ["Negligence", "negligent"]
    assert found("plaintiffs") == ["Plaintiffs"]
    assert found("absent") == []


def test_spans_are_exact_and_in_document_order() -> None:
    hits = matches(parse_query("permit OR kiamichi"), PAGE)
    assert [(hit.char_start, hit.char_end) for hit in hits] == sorted((hit.char_start, hit.char_end) for hit in hits)
    assert all(PAGE[hit.char_start : hit.char_end] == hit.text for hit in hits)
    assert [hit.text for hit in hits] == ["Kiamichi", "permit", "permit", "Kiamichi"]
    assert hits[0] == Match(4, 12, "Kiamichi")


def test_proximity() -> None:
    assert found("kiamichi w/2 permit") == ["Kiamichi River permit"]
    assert found("permit w/2 kiamichi") == ["Kiamichi River permit"]  # either order
    assert found("permit pre/2 kiamichi") == []
    assert found("kiamichi pre/2 permit") == ["Kiamichi River permit"]
    assert found("kiamichi w/1 permit") == []
    assert found("kiamichi w/1 river") == ["Kiamichi River"]  # w/1: adjacent
    assert found('settlement w/5 2019 AND "kiamichi river"') == [
        "Kiamichi River",
        "2019, named the Kiamichi; the settlement",
        "settlement of 2019",
    ]
    assert found("(permit OR settlement) pre/4 2019") == ["permit application, filed in 2019", "settlement of 2019"]
    assert found("permit w/20 permit") == ["permit was denied. Plaintiffs' permit"]  # two separate occurrences


def test_boolean_hits_are_the_positive_terms_of_a_matching_page() -> None:
    assert found("kiamichi AND absent") == []
    assert found("kiamichi NOT absent") == ["Kiamichi", "Kiamichi"]
    assert found("kiamichi NOT permit") == []
    assert found("absent OR 2019") == ["2019", "2019"]
    assert found("(kiamichi AND absent) OR settlement") == ["settlement"]
    assert found("settlement (absent OR NOT missing)") == ["settlement"]


def test_text_variation() -> None:
    text = "CAFÉ Noir — the Non-Party\u2019s café; cafe\u0301 ﬁnal"
    assert found("cafe", text) == ["CAFÉ", "café", "cafe\u0301"]
    assert found("non-party", text) == ["Non-Party"]
    assert found('"party s"', text) == ["Party\u2019s"]
    assert found("final", text) == ["ﬁnal"]


def test_term_report_counts() -> None:
    pages = [
        ("doc-a", 1, "settlement in 2019; the settlement"),
        ("doc-a", 2, "Twombly, 550 U.S. 544"),
        ("doc-b", 1, "no such words"),
        ("doc-c", 1, "a settlement"),
    ]
    queries = [parse_query("settlement"), parse_query("twombly"), parse_query("absent")]
    report = term_report(queries, iter(pages))
    assert [(t.documents_with_hits, t.total_hits, t.unique_documents) for t in report.terms] == [
        (2, 3, 1),
        (1, 1, 0),
        (0, 0, 0),
    ]
    assert dict(report.per_document) == {"doc-a": (2, 1, 0), "doc-c": (1, 0, 0)}


# --- the property test: matches and term_report against a brute-force scan ----------------------


def property_settings(examples: int) -> settings:
    return settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=[HealthCheck.filter_too_much]
    )


@property_settings(1000)
@given(query=queries, text=pages())
def test_matches_agree_with_brute_force(query: Query, text: str) -> None:
    parsed = parse_query(render(query))
    assert parsed == flattened(query)
    assert [(hit.char_start, hit.char_end, hit.text) for hit in matches(parsed, text)] == brute_matches(query, text)


@property_settings(300)
@given(
    query_list=st.lists(queries, min_size=1, max_size=4),
    corpus=st.lists(st.tuples(st.sampled_from(["d1", "d2", "d3", "d4"]), st.integers(1, 3), pages()), max_size=8),
)
def test_term_report_agrees_with_brute_force(query_list: Sequence[Query], corpus: list[tuple[str, int, str]]) -> None:
    report = term_report(query_list, corpus)
    documents = list(dict.fromkeys(document for document, _, _ in corpus))
    counts = {
        document: [sum(len(brute_matches(q, text)) for d, _, text in corpus if d == document) for q in query_list]
        for document in documents
    }
    hit = {document: row for document, row in counts.items() if any(row)}
    assert dict(report.per_document) == {document: tuple(row) for document, row in hit.items()}
    for index, counted in enumerate(report.terms):
        with_hits = [document for document, row in hit.items() if row[index]]
        assert counted.query == query_list[index]
        assert counted.documents_with_hits == len(with_hits)
        assert counted.total_hits == sum(row[index] for row in hit.values())
        assert counted.unique_documents == sum(1 for d in with_hits if sum(1 for n in hit[d] if n) == 1)
