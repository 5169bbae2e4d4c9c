"""The full-text expressions of a record query: a PostgreSQL ``tsquery`` over ``page_words``' ``tsvector`` and a
SQLite FTS5 expression over its ``page_words`` table, each naming a superset of the pages that match (see
``record_index``), and how each database spells a page's words.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from service.core.record_query import And, AnyOf, Near, Not, Operand, Or, Phrase, Prefix, Query, Word

_ASCII_KEY = re.compile(r"[a-z0-9]+")
WHOLE_PAGE = "_whole_page_"
"""The PostgreSQL lexeme of a page too large for a ``tsvector``: every query matches it."""
_MAX_LEXEME_BYTES = 2046
_MAX_VECTOR_BYTES = 900_000
_NEAR_COMBINATIONS = 16
"""A proximity whose operands have more alternatives than this is asked as AND (still a superset)."""


def fts5_token(key: str) -> str:
    """How SQLite's index spells a word key (see ``record_index``'s docstring)."""
    return key if _ASCII_KEY.fullmatch(key) else "x" + key.encode().hex()


def _quoted(token: str) -> str:
    return f'"{token}"'


# --- PostgreSQL ----------------------------------------------------------------------------------


def lexemes(keys: Sequence[str]) -> list[str]:
    """The distinct keys of a page, or only ``WHOLE_PAGE`` when a ``tsvector`` could not hold them."""
    distinct = sorted(set(keys))
    sizes = [len(key.encode()) for key in distinct]
    if any(size > _MAX_LEXEME_BYTES for size in sizes) or sum(sizes) + 8 * len(sizes) > _MAX_VECTOR_BYTES:
        return [WHOLE_PAGE]
    return distinct


def lexeme(key: str) -> str:
    """A ``tsquery`` operand for exactly ``key`` (quoted: taken as it is, no parsing)."""
    return "'" + key.replace("\\", "\\\\").replace("'", "''") + "'"


def _ts_term(term: Word | Prefix | Phrase) -> str:
    match term:
        case Word(key):
            return lexeme(key)
        case Prefix(stem):
            return lexeme(stem) + ":*"
        case Phrase(keys):  # no positions: all its words
            return "(" + " & ".join(map(lexeme, keys)) + ")"


def _ts_operand(operand: Operand) -> str:
    if isinstance(operand, AnyOf):
        return "(" + " | ".join(map(_ts_term, operand.terms)) + ")"
    return _ts_term(operand)


def tsquery(query: Query) -> str | None:
    """A ``tsquery`` every matching page satisfies; ``None`` when nothing can be asked (any page may match)."""
    match query:
        case Word() | Prefix() | Phrase():
            return _ts_term(query)
        case Near(left, right):
            return f"({_ts_operand(left)} & {_ts_operand(right)})"
        case Not():
            return None
        case And(operands):
            parts = [part for part in map(tsquery, operands) if part is not None]
            return "(" + " & ".join(parts) + ")" if parts else None
        case Or(operands):
            alternatives = [tsquery(operand) for operand in operands]
            if any(part is None for part in alternatives):
                return None
            return "(" + " | ".join(part for part in alternatives if part is not None) + ")"


# --- SQLite FTS5 ---------------------------------------------------------------------------------


def _fts5_forms(term: Word | Prefix | Phrase) -> list[str]:
    """The FTS5 phrases, any one of which finds ``term``."""
    match term:
        case Word(key):
            return [_quoted(fts5_token(key))]
        case Prefix(stem):
            forms = [_quoted(fts5_token(stem)) + " *"]
            if _ASCII_KEY.fullmatch(stem):  # a longer, non-ASCII word may start with it
                forms.append(_quoted("x" + stem.encode().hex()) + " *")
            return forms
        case Phrase(keys):
            return [_quoted(" ".join(map(fts5_token, keys)))]


def _fts5_operand(operand: Operand) -> list[str]:
    if isinstance(operand, AnyOf):
        return [form for term in operand.terms for form in _fts5_forms(term)]
    return _fts5_forms(operand)


def _any(forms: Sequence[str]) -> str:
    return forms[0] if len(forms) == 1 else "(" + " OR ".join(forms) + ")"


def fts5_expression(query: Query) -> str | None:
    """An FTS5 expression every matching page satisfies; ``None`` when nothing can be asked."""
    match query:
        case Word() | Prefix() | Phrase():
            return _any(_fts5_forms(query))
        case Near(left, right, distance):
            lefts, rights = _fts5_operand(left), _fts5_operand(right)
            if len(lefts) * len(rights) > _NEAR_COMBINATIONS:
                return f"({_any(lefts)} AND {_any(rights)})"
            # FTS5's NEAR counts the words *between* the two (ours: w/1 = adjacent), in either order:
            # a superset of w/N and pre/N.
            return _any([f"NEAR({a} {b}, {distance})" for a, b in itertools.product(lefts, rights)])
        case Not():
            return None
        case And(operands):
            parts = [part for part in map(fts5_expression, operands) if part is not None]
            return "(" + " AND ".join(parts) + ")" if parts else None
        case Or(operands):
            alternatives = [fts5_expression(operand) for operand in operands]
            if any(part is None for part in alternatives):
                return None
            return "(" + " OR ".join(part for part in alternatives if part is not None) + ")"
