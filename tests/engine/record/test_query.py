"""The record search's query language: what parses to what, and every refusal with its position."""

from __future__ import annotations

import pytest

from service.core.words import fold, tokenize, words
from service.engine.record.query import (
    MAX_QUERY_CHARS,
    MAX_TERM_LIST_LINES,
    And,
    AnyOf,
    Near,
    Not,
    Or,
    Phrase,
    Prefix,
    Query,
    QueryError,
    Word,
    parse_query,
    parse_term_list,
)


def test_words_split_on_punctuation_and_fold_case_and_accents() -> None:
    text = "The Defendant's non-party CAFÉ, 28 U.S.C. § 1291 (Straße) ﬁled"
    assert words(text) == [
        "the", "defendant", "s", "non", "party", "cafe", "28", "u", "s", "c", "1291", "strasse", "filed",
    ]  # fmt: skip
    assert [text[token.char_start : token.char_end] for token in tokenize(text)][:3] == ["The", "Defendant", "s"]


def test_a_combining_mark_stays_in_its_word() -> None:
    decomposed = "cafe\u0301 noir"
    assert [(token.key, token.char_start, token.char_end) for token in tokenize(decomposed)] == [
        ("cafe", 0, 5),
        ("noir", 6, 10),
    ]
    assert fold("İSTANBUL") == "istanbul"
    assert words("snake_case x\u0301") == ["snake", "case", "x"]


W = Word


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Kiamichi", W("kiamichi")),
        ("settlement 2019", And((W("settlement"), W("2019")))),
        ("settlement and 2019", And((W("settlement"), W("2019")))),
        ('"exact phrase"', Phrase(("exact", "phrase"))),
        ('"Twombly"', W("twombly")),
        ("negligen*", Prefix("negligen")),
        ("Négligen*", Prefix("negligen")),
        ("non-party", Phrase(("non", "party"))),
        ("and/or", Phrase(("and", "or"))),
        ('"and"', W("and")),
        ("a OR b", Or((W("a"), W("b")))),
        ("a or b or c", Or((W("a"), W("b"), W("c")))),
        ("a b OR c", Or((And((W("a"), W("b"))), W("c")))),
        ("a (b OR c)", And((W("a"), Or((W("b"), W("c")))))),
        ("a NOT b", And((W("a"), Not(W("b"))))),
        ("a AND NOT (b OR c)", And((W("a"), Not(Or((W("b"), W("c"))))))),
        ("a (b OR NOT c)", And((W("a"), Or((W("b"), Not(W("c"))))))),
        ("((a))", W("a")),
        ("a (b c)", And((W("a"), W("b"), W("c")))),
        ("settlement w/10 2019", Near(W("settlement"), W("2019"), 10, ordered=False)),
        ("settlement W/10 2019", Near(W("settlement"), W("2019"), 10, ordered=False)),
        ("a PRE/5 b", Near(W("a"), W("b"), 5, ordered=True)),
        (
            '(permit OR licen*) w/10 "Kiamichi River"',
            Near(AnyOf((W("permit"), Prefix("licen"))), Phrase(("kiamichi", "river")), 10, ordered=False),
        ),
        ("(a) w/2 b", Near(W("a"), W("b"), 2, ordered=False)),
        ("x a w/3 b OR c", Or((And((W("x"), Near(W("a"), W("b"), 3, ordered=False))), W("c")))),
        ("a NOT b w/3 c", And((W("a"), Not(Near(W("b"), W("c"), 3, ordered=False))))),
        ('a"b c"d', And((W("a"), Phrase(("b", "c")), W("d")))),
        ("andrew organ notary wpre", And((W("andrew"), W("organ"), W("notary"), W("wpre")))),
    ],
)
def test_parses(query: str, expected: Query) -> None:
    assert parse_query(query) == expected


@pytest.mark.parametrize(
    ("query", "position", "says"),
    [
        ("", 0, "empty query"),
        ("   ", 0, "empty query"),
        ('settlement "2019 agreement', 11, "quote is never closed"),
        ('"a" "b', 4, "quote is never closed"),
        ("(a OR b", 0, "'(' is never closed"),
        ("a (b (c)", 2, "'(' is never closed"),
        ("a OR b)", 6, "')' has no matching '('"),
        (")a(", 0, "')' has no matching '('"),
        ("a ()", 2, "empty parentheses"),
        ("a w/ b", 2, "w/ needs a number"),
        ("a pre/x b", 2, "pre/ needs a number"),
        ("a near/3 b", 2, "unknown operator near/3"),
        ("a /s b", 2, "unknown operator /s"),
        ("a w/0 b", 2, "between 1 and 1000"),
        ("a w/1001 b", 2, "between 1 and 1000"),
        ("NOT", 0, "NOT has no term after it"),
        ("a NOT", 2, "NOT has no term after it"),
        ("a AND", 2, "AND has no term after it"),
        ("a OR", 2, "OR has no term after it"),
        ("a w/5", 2, "w/5 has no term after it"),
        ("(a OR) b", 3, "OR has no term after it"),
        ("AND a", 0, "AND has no term before it"),
        ("a (OR b)", 3, "OR has no term before it"),
        ("w/3 a", 0, "w/3 has no term before it"),
        ("a AND OR b", 2, "AND has no term after it"),
        ("a NOT AND b", 2, "NOT has no term after it"),
        ("§", 0, "empty term"),
        ('a ""', 2, "empty term"),
        ('a " ... "', 2, "empty term"),
        ("*", 0, "has no letters or digits"),
        ("a*", 0, "too short"),
        ("neg*ence", 3, "only allowed at the end"),
        ("non-par*", 0, "must be a single word"),
        ('"negligen* act"', 9, "cannot be part of a phrase"),
        ("-lease", 0, "write NOT lease"),
        ("NOT a", 0, "NOT only excludes"),
        ("NOT a NOT b", 0, "NOT only excludes"),
        ("a OR NOT b", 5, "NOT only excludes"),
        ("(a OR NOT b) AND (c OR NOT d)", 6, "NOT only excludes"),
        ("a w/5 b w/5 c", 8, "cannot be chained"),
        ("(a w/5 b) w/5 c", 3, "'w/5' cannot be part of its operand"),
        ("(a AND b) w/3 c", 3, "'AND' cannot be part of its operand"),
        ("(a b) pre/3 c", 3, "'b' cannot be part of its operand"),
        ("a w/3 (b OR (c))", 12, "'(' cannot be part of its operand"),
        ("a w/3 NOT b", 2, "'NOT' cannot be part of its operand"),
    ],
)
def test_refuses_with_position(query: str, position: int, says: str) -> None:
    with pytest.raises(QueryError) as raised:
        parse_query(query)
    assert raised.value.position == position
    assert says in raised.value.message
    assert str(raised.value).startswith(f"position {position}: ")
    assert isinstance(raised.value, ValueError)


def test_every_refusal_says_what_to_do() -> None:
    for query in ("a w/ b", "a near/3 b", '"a', "(a", "a)", "NOT a", "a AND"):
        with pytest.raises(QueryError) as raised:
            parse_query(query)
        assert any(verb in raised.value.message for verb in ("add", "use", "remove", "quote", "write")), query


def test_an_overlong_query_is_refused() -> None:
    with pytest.raises(QueryError, match="limit is 10,000"):
        parse_query("a " * (MAX_QUERY_CHARS // 2 + 1))


def test_term_list_names_the_bad_line() -> None:
    parsed = parse_term_list("settlement w/10 2019\n\n  Twombly  \n")
    assert [(line, text) for line, text, _ in parsed] == [(1, "settlement w/10 2019"), (3, "Twombly")]
    assert parsed[1][2] == W("twombly")
    with pytest.raises(QueryError) as raised:
        parse_term_list('a\nb\n  c OR "d\n')
    assert (raised.value.line, raised.value.position) == (3, 7)
    assert str(raised.value).startswith("line 3, position 7: ")


def test_term_list_has_a_limit() -> None:
    fits = "\n".join(f"term{number}" for number in range(MAX_TERM_LIST_LINES))
    assert len(parse_term_list(fits + "\n\n")) == MAX_TERM_LIST_LINES
    with pytest.raises(QueryError) as raised:
        parse_term_list("\n".join(f"term{number}" for number in range(10_000)))
    assert raised.value.line == MAX_TERM_LIST_LINES + 1
    assert "split it" in raised.value.message
