"""What a word is, for searching the record: the one tokenizer that queries and pages share.

A **word** is a maximal run of Unicode letters and digits (``str.isalnum``), together with any
combining marks (Unicode category M) that follow one of its characters, so "café" is one word
whether it is stored precomposed or as "e" + U+0301. Everything else separates words: spaces,
punctuation, the underscore, and also apostrophes and hyphens, *inside* a word too: "defendant's"
is the two words "defendant" "s", "non-party" is "non" "party", "U.S.C." is "U" "S" "C" and
"12-2209" is "12" "2209". Splitting is what SQLite FTS5's ``unicode61`` tokenizer does, and it
makes a search for ``defendant`` find "defendant's"; a query word with such punctuation in it
becomes a phrase of its parts, so ``non-party`` finds "non-party" and "non party" alike.

Words compare by their **key**: case-folded (``str.casefold``: "Straße" = "STRASSE"),
compatibility-decomposed (NFKD: the PDF ligature "ﬁ" = "fi") and with combining marks removed
("Café" = "cafe"). A line-end hyphenation ("negli-\\ngence") stays two words.
"""

from __future__ import annotations

import functools
import itertools
import re
import sys
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple


@functools.cache
def _word_pattern() -> re.Pattern[str]:
    """A word: a run of letters and digits, with the combining marks (and more letters and digits) that
    follow it. Built once, on first use: listing the marks reads the whole Unicode table (~0.3 s)."""
    marks: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code)).startswith("M"):
            if marks and marks[-1][1] == code - 1:
                marks[-1] = (marks[-1][0], code)
            else:
                marks.append((code, code))
    mark_class = "".join(
        re.escape(chr(first)) if first == last else f"{re.escape(chr(first))}-{re.escape(chr(last))}"
        for first, last in marks
    )
    return re.compile(rf"[^\W_]+(?:[{mark_class}]+[^\W_]*)*")


class Token(NamedTuple):
    """One word of a text: its key and where it is (``text[char_start:char_end]`` is the word as written).

    A named tuple, not a dataclass: a page has thousands, and a tuple is made several times faster."""

    key: str
    char_start: int
    char_end: int


def fold(word: str) -> str:
    """The key a word is compared by: case-folded, NFKD-decomposed, without combining marks."""
    if word.isascii():  # most words: the same result, twenty times faster
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _ascii_words(text: str) -> bool:
    """Whether every word of ``text`` is plain ASCII letters and digits: its other characters (curly
    quotes, "§", dashes) are none of letters, digits or combining marks. Then a word is a run of
    ``[A-Za-z0-9]`` and its key is its lower case, which C code finds many times faster."""
    return not any(
        char.isalnum() or unicodedata.category(char).startswith("M") for char in set(_NON_ASCII.findall(text))
    )


def tokenize(text: str) -> list[Token]:
    """The words of ``text`` in order, each with its key and character span (see the module docstring)."""
    lowered = text.lower()
    if len(lowered) == len(text) and _ascii_words(text):  # fold each word by slicing the text lowered once
        return [Token(lowered[start:end], start, end) for start, end in (m.span() for m in _ASCII_WORD.finditer(text))]
    return [Token(fold(match.group()), *match.span()) for match in _word_pattern().finditer(text)]


def words(text: str) -> list[str]:
    """The keys of the words of ``text``, in order (``tokenize`` without the spans, faster)."""
    if _ascii_words(text):
        lowered = text.lower()
        if len(lowered) == len(text):
            return _ASCII_WORD.findall(lowered)
        return [word.lower() for word in _ASCII_WORD.findall(text)]
    return [fold(match.group()) for match in _word_pattern().finditer(text)]


def spans(text: str) -> list[tuple[int, int]]:
    """The ``(char_start, char_end)`` of the words of ``text``, in order (``tokenize`` without the keys)."""
    pattern = _ASCII_WORD if _ascii_words(text) else _word_pattern()
    return [match.span() for match in pattern.finditer(text)]


def spans_at(text: str, indexes: Iterable[int]) -> dict[int, tuple[int, int]]:
    """The ``(char_start, char_end)`` of the words of ``text`` with these indexes (``spans`` of only those: the
    words between them are skipped by C code, and the text after the last is not read)."""
    pattern = _ASCII_WORD if _ascii_words(text) else _word_pattern()
    found: dict[int, tuple[int, int]] = {}
    matches, at = pattern.finditer(text), 0  # ``at``: the index of the next word ``matches`` yields
    for index in sorted(set(indexes)):
        match = next(itertools.islice(matches, index - at, None))
        found[index] = match.span()
        at = index + 1
    return found
