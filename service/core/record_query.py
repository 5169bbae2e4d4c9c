"""The record query's syntax tree: what a search of the whole record asks for (issue #18).

The parser (``service.engine.record.query``) builds it from the query language; the exact evaluator
(``service.engine.record.matching``) and a store's full-text index (the ``RecordIndex`` seam) read it.
Words compare by their key (``service.core.words.fold``).
"""

from __future__ import annotations

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
