"""The record search's reference: a brute-force scan of page text, and hypothesis strategies of corpora and
queries, shared by the evaluator's tests and the ``RecordIndex`` contract suite."""

from __future__ import annotations

from hypothesis import strategies as st

from service.core.record_query import And, AnyOf, Near, Not, Operand, Or, Phrase, Prefix, Query, Term, Word

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
