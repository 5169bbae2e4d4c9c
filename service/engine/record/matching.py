"""The exact evaluator of a record query over one page's text, and the search-term report.

It is the reference that a database's full-text search (SQLite FTS5, PostgreSQL) must agree with,
and it computes the exact spans on the candidate pages such an index returns.

Semantics, over the words of a page (``words.tokenize``; a page is the unit, nothing crosses pages):

- A ``Word`` occurs at every word with its key; a ``Prefix`` at every word whose key starts with the
  stem; a ``Phrase`` at every run of consecutive words with its keys (its span runs from the start
  of the first word to the end of the last, punctuation included).
- ``Near(left, right, N)`` occurs at every pair of an occurrence of ``left`` and a *separate*
  (non-overlapping) occurrence of ``right`` where the later one starts at most N words after the
  earlier one ends; ``ordered`` requires ``left`` first. Its span covers both occurrences.
- A page **matches** a Boolean query as usual (AND: every operand; OR: at least one; NOT: the
  operand does not match), and its **hits** are the spans of the positive parts that make it match:
  every occurrence of a term or proximity pair, over every operand of an AND, over the operands of
  an OR that match the page, and nothing from a NOT. Hits are distinct spans (two operands finding
  the same span count once), in document order: by start, then end.

Since the parser refuses a query with an OR alternative made only of NOTs, a page matches exactly
when it has at least one hit.

A page is read either from its text (``words.words``) or from the word positions the store keeps for it
(``CandidatePage.positions``: where each key a query names occurs); both give the same hits, and only the
text gives their character spans.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from service.core.record_query import And, AnyOf, Near, Not, Or, Phrase, Prefix, Query, Word
from service.core.words import spans_at, words


@dataclass(frozen=True)
class Match:
    """One hit on a page: ``text`` is ``page_text[char_start:char_end]``."""

    char_start: int
    char_end: int
    text: str


Interval = tuple[int, int]
"""An occurrence of a term: the indexes of its first and last word (inclusive)."""


class _Words(Protocol):
    """What the evaluator asks of a page: where a key occurs, and which of its keys start with a stem."""

    def where(self, key: str) -> Sequence[int]: ...

    def starting_with(self, stem: str) -> Iterable[str]: ...


class _Positions:
    """A page read from its stored word positions: every key a query names (and every key starting with one
    of its stems) maps to the indexes of its words; any other key does not occur on the page."""

    def __init__(self, positions: Mapping[str, Sequence[int]]) -> None:
        self._positions = positions

    def where(self, key: str) -> Sequence[int]:
        return self._positions.get(key, ())

    def starting_with(self, stem: str) -> list[str]:
        return [key for key in self._positions if key.startswith(stem)]


class _Page:
    """A page's word keys, indexed by key; the words' character spans are found only when a hit needs them
    (counting needs none: distinct word intervals are distinct spans)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.keys: list[str] = words(text)
        self._positions: dict[str, list[int]] = {}
        self._distinct: set[str] | None = None

    def where(self, key: str) -> list[int]:
        """The indexes of the words with ``key``, ascending (found by C-level scans, once per key)."""
        found = self._positions.get(key)
        if found is None:
            found = []
            if self._distinct is None or key in self._distinct:
                index, keys = -1, self.keys
                try:
                    while True:
                        index = keys.index(key, index + 1)
                        found.append(index)
                except ValueError:
                    pass
            self._positions[key] = found
        return found

    def starting_with(self, stem: str) -> list[str]:
        """The distinct keys that start with ``stem``."""
        if self._distinct is None:
            self._distinct = set(self.keys)
        return [key for key in self._distinct if key.startswith(stem)]

    def spans(self, intervals: Iterable[Interval]) -> list[tuple[int, int]]:
        """The character spans of word intervals, in their order."""
        intervals = list(intervals)
        at = spans_at(self.text, [index for interval in intervals for index in interval])
        return [(at[first][0], at[last][1]) for first, last in intervals]


def _occurrences(term: Word | Prefix | Phrase | AnyOf, page: _Words) -> list[Interval]:
    """Where ``term`` occurs on ``page``, sorted and distinct."""
    match term:
        case Word(key):
            return [(index, index) for index in page.where(key)]
        case Prefix(stem):
            starts = [index for key in page.starting_with(stem) for index in page.where(key)]
            return [(index, index) for index in sorted(starts)]
        case Phrase(keys):
            first_words = page.where(keys[0])
            if not first_words:
                return []
            following = [set(page.where(key)) for key in keys[1:]]
            return [
                (start, start + len(keys) - 1)
                for start in first_words
                if all(start + offset in found for offset, found in enumerate(following, start=1))
            ]
        case AnyOf(terms):
            return sorted({interval for alternative in terms for interval in _occurrences(alternative, page)})


def _near_pairs(near: Near, page: _Words) -> set[Interval]:
    """The word intervals of every pair of occurrences that satisfies ``near``."""
    lefts, rights = _occurrences(near.left, page), _occurrences(near.right, page)
    rights_by_first = sorted(rights)
    firsts = [first for first, _ in rights_by_first]
    rights_by_last = sorted(rights, key=lambda interval: interval[1])
    lasts = [last for _, last in rights_by_last]
    pairs: set[Interval] = set()
    for left_first, left_last in lefts:
        # right after left: left_last < right_first <= left_last + distance
        low = bisect.bisect_right(firsts, left_last)
        high = bisect.bisect_right(firsts, left_last + near.distance)
        for _, right_last in rights_by_first[low:high]:
            pairs.add((left_first, right_last))
        if near.ordered:
            continue
        # right before left: left_first - distance <= right_last < left_first
        low = bisect.bisect_left(lasts, left_first - near.distance)
        high = bisect.bisect_left(lasts, left_first)
        for right_first, _ in rights_by_last[low:high]:
            pairs.add((right_first, left_last))
    return pairs


def _evaluate(query: Query, page: _Words) -> tuple[bool, set[Interval]]:
    """Whether ``page`` matches ``query``, and the word intervals of its hits (empty when it does not).

    Words do not overlap, so distinct intervals are distinct character spans, in the same order."""
    match query:
        case Word() | Prefix() | Phrase():
            found = set(_occurrences(query, page))
            return bool(found), found
        case Near():
            found = _near_pairs(query, page)
            return bool(found), found
        case Not(operand):
            matched, _ = _evaluate(operand, page)
            return not matched, set()
        case And(operands):
            hits: set[Interval] = set()
            for operand in operands:
                matched, found = _evaluate(operand, page)
                if not matched:
                    return False, set()
                hits |= found
            return True, hits
        case Or(operands):
            results = [_evaluate(operand, page) for operand in operands]
            hits = {interval for matched, found in results if matched for interval in found}
            return any(matched for matched, _ in results), hits


def _sorted_matches(page: _Page, intervals: set[Interval]) -> list[Match]:
    located = page.spans(sorted(intervals))
    return [Match(start, end, page.text[start:end]) for start, end in located]


def matches(query: Query, text: str) -> list[Match]:
    """Every hit of ``query`` on the page ``text``, in document order (see the module docstring).

    An empty list means the page does not match.
    """
    page = _Page(text)
    matched, intervals = _evaluate(query, page)
    return _sorted_matches(page, intervals) if matched else []


@dataclass(frozen=True)
class TermCounts:
    """One query's line of a search-term report.

    ``unique_documents`` (the "unique hits" of eDiscovery term reports) counts the documents hit by this
    query and by no other query of the report.
    """

    query: Query
    documents_with_hits: int
    total_hits: int
    unique_documents: int


@dataclass(frozen=True)
class TermReport:
    """A search-term report: one ``TermCounts`` per query, in the order given, and per document the
    hit count of each query (in the same order), for the documents that at least one query hits,
    in the order they were first seen."""

    terms: tuple[TermCounts, ...]
    per_document: Mapping[str, tuple[int, ...]]


def hit_counts(queries: Sequence[Query], page: str | Mapping[str, Sequence[int]]) -> list[int]:
    """The number of hits of each of ``queries`` on a page (0: no match), given as its text or as its stored
    word positions (``CandidatePage.positions``, holding every key and stem of ``queries``); its words are
    read once for all queries."""
    words_of: _Words = _Page(page) if isinstance(page, str) else _Positions(page)
    counts: list[int] = []
    for query in queries:
        matched, intervals = _evaluate(query, words_of)
        counts.append(len(intervals) if matched else 0)
    return counts


def report_from_counts(queries: Sequence[Query], counts: Mapping[str, Sequence[int]]) -> TermReport:
    """The report of ``queries`` from per-document hit counts (one count per query, in order), for the
    documents that at least one query hits, in the order they should be listed."""
    hit_by = [[document for document, row in counts.items() if row[index]] for index in range(len(queries))]
    terms = tuple(
        TermCounts(
            query=query,
            documents_with_hits=len(hit_by[index]),
            total_hits=sum(row[index] for row in counts.values()),
            unique_documents=sum(1 for document in hit_by[index] if sum(map(bool, counts[document])) == 1),
        )
        for index, query in enumerate(queries)
    )
    return TermReport(terms, {document: tuple(row) for document, row in counts.items()})


def term_report(queries: Sequence[Query], pages: Iterable[tuple[str, int, str]]) -> TermReport:
    """Count every query's hits over ``pages``, given as ``(document_id, page_number, text)``.

    Pages are read once, in any order; a document's count is the sum over its pages.
    """
    counts: dict[str, list[int]] = {}
    for document_id, _page_number, text in pages:
        page = _Page(text)
        for index, query in enumerate(queries):
            matched, intervals = _evaluate(query, page)
            if matched:
                counts.setdefault(document_id, [0] * len(queries))[index] += len(intervals)
    return report_from_counts(queries, counts)
