"""The record query's syntax tree: what a search of the whole record asks for (issue #18).

The parser (``service.engine.record.query``) builds it from the query language; the exact evaluator
(``service.engine.record.matching``) and a store's full-text index (the ``RecordIndex`` seam) read it.
Words compare by their key (``service.core.words.fold``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Word:
    """One word, by its folded key (``words.fold``)."""

    key: str


@dataclass(frozen=True)
class Prefix:
    """Every word whose key starts with ``stem`` (``negligen*``)."""

    stem: str


@dataclass(frozen=True)
class Phrase:
    """Two or more words, consecutive and in this order (punctuation between them is ignored)."""

    keys: tuple[str, ...]


Term = Word | Prefix | Phrase


@dataclass(frozen=True)
class AnyOf:
    """A parenthesised OR of terms, as an operand of proximity: any one of them."""

    terms: tuple[Term, ...]


Operand = Term | AnyOf


@dataclass(frozen=True)
class Near:
    """``left w/N right`` (``ordered=False``) or ``left pre/N right`` (``ordered=True``)."""

    left: Operand
    right: Operand
    distance: int
    ordered: bool


@dataclass(frozen=True)
class Not:
    """Pages without ``operand``; ``position`` is where the NOT was written (not compared)."""

    operand: Query
    position: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class And:
    """Pages that match every operand."""

    operands: tuple[Query, ...]


@dataclass(frozen=True)
class Or:
    """Pages that match at least one operand."""

    operands: tuple[Query, ...]


Query = Term | Near | Not | And | Or


def words_asked(queries: Iterable[Query]) -> tuple[frozenset[str], frozenset[str]]:
    """The word keys and the prefix stems that ``queries`` name anywhere, under a ``NOT`` too: what the exact
    evaluator looks up on a page (a page where none of them occurs matches none of ``queries``)."""
    keys: set[str] = set()
    stems: set[str] = set()

    def visit(node: Query | AnyOf) -> None:
        match node:
            case Word(key):
                keys.add(key)
            case Prefix(stem):
                stems.add(stem)
            case Phrase(phrase_keys):
                keys.update(phrase_keys)
            case AnyOf(terms):
                for term in terms:
                    visit(term)
            case Near(left, right):
                visit(left)
                visit(right)
            case Not(operand):
                visit(operand)
            case And(operands) | Or(operands):
                for operand in operands:
                    visit(operand)

    for query in queries:
        visit(query)
    return frozenset(keys), frozenset(stems)
