"""The exact evaluator and the search-term report, against examples and a brute-force oracle."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.engine.record.matching import Match, matches, term_report
from service.engine.record.query import (
    And,
    AnyOf,
    Near,
    Not,
    Operand,
    Or,
    Phrase,
    Prefix,
    Query,
    Term,
    Word,
    parse_query,
)

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

VOCABULARY = ["a", "ab", "abc", "b", "ba", "bab", "cafe", "café", "x", "xy"]
SEPARATORS = [" ", "  ", ", ", ". ", "-", "'", "\u2019", "\n", " (", ") "]
Token = tuple[str, int, int]  # key, char_start, char_end


def brute_key(word: str) -> str:
    return word.lower().replace("é", "e")


def brute_tokens(text: str) -> list[Token]:
    tokens: list[Token] = []
    start = None
    for index, char in enumerate([*text, " "]):
        if char.isalnum() and start is None:
            start = index
        elif not char.isalnum() and start is not None:
            tokens.append((brute_key(text[start:index]), start, index))
            start = None
    return tokens


def brute_occurrences(term: Operand, tokens: list[Token]) -> set[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    for first in range(len(tokens)):
        if isinstance(term, Word) and tokens[first][0] == term.key:
            found.add((first, first))
        if isinstance(term, Prefix) and tokens[first][0].startswith(term.stem):
            found.add((first, first))
        if isinstance(term, Phrase):
            last = first + len(term.keys) - 1
            if last < len(tokens) and [tokens[i][0] for i in range(first, last + 1)] == list(term.keys):
                found.add((first, last))
        if isinstance(term, AnyOf):
            for alternative in term.terms:
                found |= brute_occurrences(alternative, tokens)
    return found


def brute_evaluate(query: Query, tokens: list[Token]) -> tuple[bool, set[tuple[int, int]]]:
    spans: set[tuple[int, int]] = set()
    if isinstance(query, Word | Prefix | Phrase):
        for first, last in brute_occurrences(query, tokens):
            spans.add((tokens[first][1], tokens[last][2]))
        return bool(spans), spans
    if isinstance(query, Near):
        for left_first, left_last in brute_occurrences(query.left, tokens):
            for right_first, right_last in brute_occurrences(query.right, tokens):
                if left_last < right_first and right_first - left_last <= query.distance:
                    spans.add((tokens[left_first][1], tokens[right_last][2]))
                if not query.ordered and right_last < left_first and left_first - right_last <= query.distance:
                    spans.add((tokens[right_first][1], tokens[left_last][2]))
        return bool(spans), spans
    if isinstance(query, Not):
        return not brute_evaluate(query.operand, tokens)[0], set()
    results = [brute_evaluate(operand, tokens) for operand in query.operands]
    if isinstance(query, And) and not all(matched for matched, _ in results):
        return False, set()
    for matched, found in results:
        if matched:
            spans |= found
    return any(matched for matched, _ in results), spans


def brute_matches(query: Query, text: str) -> list[tuple[int, int, str]]:
    matched, spans = brute_evaluate(query, brute_tokens(text))
    return sorted((start, end, text[start:end]) for start, end in spans) if matched else []


def render(query: Query | AnyOf) -> str:
    """The query as a user would type it, fully parenthesised."""
    if isinstance(query, Word):
        return query.key
    if isinstance(query, Prefix):
        return query.stem + "*"
    if isinstance(query, Phrase):
        return '"' + " ".join(query.keys) + '"'
    if isinstance(query, AnyOf):
        return "(" + " OR ".join(render(term) for term in query.terms) + ")"
    if isinstance(query, Near):
        return f"{render(query.left)} {'pre' if query.ordered else 'w'}/{query.distance} {render(query.right)}"
    if isinstance(query, Not):
        return f"NOT ({render(query.operand)})"
    joiner = " AND " if isinstance(query, And) else " OR "
    return joiner.join(f"({render(operand)})" for operand in query.operands)


def flattened(query: Query) -> Query:
    """``query`` as the parser builds it: nested ANDs (ORs) joined, one-term groups unwrapped."""
    if isinstance(query, Not):
        return Not(flattened(query.operand))
    if isinstance(query, Near):
        left = query.left.terms[0] if isinstance(query.left, AnyOf) and len(query.left.terms) == 1 else query.left
        right = query.right.terms[0] if isinstance(query.right, AnyOf) and len(query.right.terms) == 1 else query.right
        return Near(left, right, query.distance, query.ordered)
    if isinstance(query, And | Or):
        operands: list[Query] = []
        for operand in map(flattened, query.operands):
            operands.extend(operand.operands if type(operand) is type(query) else (operand,))
        return type(query)(tuple(operands))
    return query


def finds_something(query: Query) -> bool:
    if isinstance(query, Not):
        return False
    if isinstance(query, And):
        return any(map(finds_something, query.operands))
    if isinstance(query, Or):
        return all(map(finds_something, query.operands))
    return True


keys = st.sampled_from(sorted({brute_key(word) for word in VOCABULARY}))
terms: st.SearchStrategy[Term] = st.one_of(
    keys.map(Word),
    st.sampled_from(sorted({key[:n] for key in map(brute_key, VOCABULARY) for n in range(2, len(key) + 1)})).map(
        Prefix
    ),
    st.lists(keys, min_size=2, max_size=3).map(lambda words: Phrase(tuple(words))),
)
operands: st.SearchStrategy[Operand] = st.one_of(
    terms, st.lists(terms, min_size=1, max_size=3).map(lambda t: AnyOf(tuple(t)))
)
nears = st.builds(Near, operands, operands, st.integers(1, 4), st.booleans())
queries: st.SearchStrategy[Query] = st.recursive(
    st.one_of(terms, nears),
    lambda inner: st.one_of(
        inner.map(Not),
        st.lists(inner, min_size=2, max_size=3).map(lambda q: And(tuple(q))),
        st.lists(inner, min_size=2, max_size=3).map(lambda q: Or(tuple(q))),
    ),
    max_leaves=6,
).filter(finds_something)


@st.composite
def pages(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(st.sampled_from(VOCABULARY), st.sampled_from(SEPARATORS)), max_size=25))
    cased = [(draw(st.sampled_from([word, word.upper(), word.title()])), separator) for word, separator in parts]
    return draw(st.sampled_from(["", "(", " "])) + "".join(word + separator for word, separator in cased)


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
