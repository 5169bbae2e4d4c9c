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

import re
import unicodedata
from dataclasses import dataclass

# Runs of letters/digits, or one other visible character (punctuation, a combining mark, ...).
_PIECES = re.compile(r"[^\W_]+|[^\w\s]")


@dataclass(frozen=True)
class Token:
    """One word of a text: its key and where it is (``text[char_start:char_end]`` is the word as written)."""

    key: str
    char_start: int
    char_end: int


def fold(word: str) -> str:
    """The key a word is compared by: case-folded, NFKD-decomposed, without combining marks."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _is_mark(char: str) -> bool:
    return unicodedata.category(char).startswith("M")


def tokenize(text: str) -> list[Token]:
    """The words of ``text`` in order, each with its key and character span (see the module docstring)."""
    tokens: list[Token] = []
    word_start = word_end = -1
    for piece in _PIECES.finditer(text):
        start, end = piece.span()
        is_word = piece.group().isalnum()
        continues = word_end == start and (is_word or _is_mark(piece.group()))
        if continues:
            word_end = end
            continue
        if word_start >= 0:
            tokens.append(Token(fold(text[word_start:word_end]), word_start, word_end))
            word_start = word_end = -1
        if is_word:
            word_start, word_end = start, end
    if word_start >= 0:
        tokens.append(Token(fold(text[word_start:word_end]), word_start, word_end))
    return tokens


def words(text: str) -> list[str]:
    """The keys of the words of ``text``, in order."""
    return [token.key for token in tokenize(text)]
