"""``SqlRecordIndex``: the full-text index of page words on the database's own full-text search.

What is indexed is each page's word keys (``service.core.words``), never the raw text, so both
databases see the words exactly as the exact evaluator does and no database tokenizer, stemmer or
stop list can drop a word:

- **SQLite**: an FTS5 table ``page_words`` (rowid = page id) over the keys joined by spaces, with the
  ``ascii`` tokenizer. A key of ASCII letters and digits is indexed as itself; any other key (``straße``
  folds to ``strasse`` but ``ø`` stays) as ``x`` plus the hex of its UTF-8 bytes, so that no Unicode
  rule of FTS5 can split it. Hex keeps prefixes (the hex of a prefix is a prefix of the hex), so
  ``st*`` looks for ``st*`` and ``x7374*``. Phrases and proximity (``NEAR``) use FTS5's positions.
- **PostgreSQL**: a table ``page_words`` (page id, ``tsvector``) with a GIN index; the vector is
  ``array_to_tsvector`` of the page's distinct keys, taken as they are (no parser, no dictionary). It
  has no positions, so phrases and proximity ask for all their words. A page a ``tsvector`` cannot hold
  (a word over 2,046 bytes, or over ~1 MB of distinct words) gets only the lexeme ``_whole_page_``,
  which every query also asks for: such pages are always candidates.

Either way the index returns a superset of the matching pages (a ``NOT`` is not asked of it, and
proximity only asks for its words near each other), and the exact evaluator confirms each page.
Rows are written and deleted in the document's transaction (``SqlDocumentStore``); ``create`` makes
the table on an existing database and indexes the pages that have no row yet (the migration).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, text
from sqlalchemy.orm import Session

from service.core.record_query import And, AnyOf, Near, Not, Operand, Or, Phrase, Prefix, Query, Word
from service.core.seams import CandidatePage
from service.core.words import words

_ASCII_KEY = re.compile(r"[a-z0-9]+")
WHOLE_PAGE = "_whole_page_"
"""The PostgreSQL lexeme of a page too large for a ``tsvector``: every query matches it."""
_MAX_LEXEME_BYTES = 2046
_MAX_VECTOR_BYTES = 900_000
_NEAR_COMBINATIONS = 16
"""A proximity whose operands have more alternatives than this is asked as AND (still a superset)."""
_BACKFILL_BATCH = 500
_DDL_LOCK = 0x646F6371_7265630A
"""PostgreSQL advisory lock held while the index's tables are created ("docqrec\n")."""

_READ_BATCH = 200
_PAGE_ORDER = """
SELECT p.id FROM pages p
JOIN documents d ON d.id = p.document_id
JOIN collections c ON c.id = d.collection_id
WHERE c.name = :collection
ORDER BY d.source, p.number
"""
_MATCHING = """
SELECT p.id FROM pages p
JOIN documents d ON d.id = p.document_id
JOIN collections c ON c.id = d.collection_id
WHERE c.name = :collection AND p.id IN ({index})
"""
_IN_ORDER = " ORDER BY d.source, p.number"
"""Appended to ``_MATCHING``: the same order as ``_PAGE_ORDER``."""
_PAGES = text(
    "SELECT p.id, p.document_id, d.source, d.title, CAST(d.metadata AS TEXT) AS metadata, p.number, p.label, "
    "p.char_start, p.text FROM pages p JOIN documents d ON d.id = p.document_id WHERE p.id IN :ids"
).bindparams(bindparam("ids", expanding=True))
"""Metadata comes as JSON text, decoded once per document (not once per page)."""


def fts5_token(key: str) -> str:
    """How SQLite's index spells a word key (see the module docstring)."""
    return key if _ASCII_KEY.fullmatch(key) else "x" + key.encode().hex()


def _quoted(token: str) -> str:
    return f'"{token}"'


class SqlRecordIndex:
    """The page-word index of one SQLite or PostgreSQL database. Implements ``RecordIndex``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"

    # --- writing (inside the store's transactions) -------------------------------------------------

    def create(self) -> None:
        """Create the index if missing and index every page that has no row yet (idempotent)."""
        with self.engine.begin() as connection:
            if self.postgres:
                # CREATE ... IF NOT EXISTS is not safe against a concurrent one (serve --workers): one at a time.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _DDL_LOCK})
                connection.execute(
                    text(
                        "CREATE TABLE IF NOT EXISTS page_words (page_id INTEGER PRIMARY KEY "
                        "REFERENCES pages(id) ON DELETE CASCADE, words TSVECTOR NOT NULL)"
                    )
                )
                connection.execute(text("CREATE INDEX IF NOT EXISTS ix_page_words ON page_words USING GIN (words)"))
            else:
                connection.execute(
                    text("CREATE VIRTUAL TABLE IF NOT EXISTS page_words USING fts5(words, tokenize='ascii')")
                )
        missing = (
            "SELECT id FROM pages WHERE NOT EXISTS (SELECT 1 FROM page_words w WHERE w.page_id = pages.id)"
            if self.postgres
            else "SELECT id FROM pages WHERE id NOT IN (SELECT rowid FROM page_words)"
        )
        with self.engine.connect() as connection:
            page_ids = list(connection.execute(text(missing)).scalars())
        key = "page_id" if self.postgres else "rowid"
        for start in range(0, len(page_ids), _BACKFILL_BATCH):
            batch = page_ids[start : start + _BACKFILL_BATCH]
            with Session(self.engine) as session, session.begin():
                # Several processes may open one old database at once (serve --workers): each batch first
                # deletes what another may have written, so writing it again is harmless. The delete
                # comes first so that on SQLite the transaction takes the write lock before it reads.
                session.execute(
                    text(f"DELETE FROM page_words WHERE {key} IN :ids").bindparams(bindparam("ids", expanding=True)),
                    {"ids": batch},
                )
                rows = session.execute(
                    text("SELECT id, text FROM pages WHERE id IN :ids").bindparams(bindparam("ids", expanding=True)),
                    {"ids": batch},
                ).all()
                self.add_pages(session, [(page_id, page_text) for page_id, page_text in rows])

    def add_pages(self, session: Session, pages: Sequence[tuple[int, str]]) -> None:
        """Index ``(page id, text)`` pages, in ``session``'s transaction."""
        if not pages:
            return
        if self.postgres:
            session.execute(
                text(
                    "INSERT INTO page_words (page_id, words) "
                    "VALUES (:page_id, array_to_tsvector(CAST(:words AS TEXT[]))) "
                    "ON CONFLICT (page_id) DO UPDATE SET words = EXCLUDED.words"  # a concurrent migration's row
                ),
                [{"page_id": page_id, "words": _lexemes(page_text)} for page_id, page_text in pages],
            )
        else:
            session.execute(
                text("INSERT INTO page_words (rowid, words) VALUES (:page_id, :words)"),
                [
                    {"page_id": page_id, "words": " ".join(map(fts5_token, words(page_text)))}
                    for page_id, page_text in pages
                ],
            )

    def remove_document(self, session: Session, document_id: str) -> None:
        """Drop the rows of a document's pages, in ``session``'s transaction (before the pages go)."""
        key = "page_id" if self.postgres else "rowid"
        session.execute(
            text(f"DELETE FROM page_words WHERE {key} IN (SELECT id FROM pages WHERE document_id = :document_id)"),
            {"document_id": document_id},
        )

    # --- reading -------------------------------------------------------------------------------------

    def candidate_pages(
        self, collection: str, queries: Sequence[Query]
    ) -> Iterator[tuple[CandidatePage, tuple[int, ...]]]:
        """Every page of ``collection`` that may match one of ``queries`` (see ``RecordIndex``).

        One index query per search query finds page ids; the pages' text is then read once, in batches,
        in document order.
        """
        with self.engine.connect() as connection:
            ordered_match = self._ordered_page_ids(connection, collection, queries[0]) if len(queries) == 1 else None
            if ordered_match is not None:
                # One query the index can ask (a search): its pages come in document order from the index
                # query itself, without reading the order of every page of the collection first.
                wanted = list(ordered_match)
                may_match = {page_id: [0] for page_id in wanted}
            else:
                ordered = list(connection.execute(text(_PAGE_ORDER), {"collection": collection}).scalars())
                may_match = {}
                for index, query in enumerate(queries):
                    for page_id in self._page_ids(connection, collection, query, ordered):
                        may_match.setdefault(page_id, []).append(index)
                wanted = [page_id for page_id in ordered if page_id in may_match]
        metadata: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), _READ_BATCH):
            batch = wanted[start : start + _READ_BATCH]
            with self.engine.connect() as connection:
                rows = {row.id: row for row in connection.execute(_PAGES, {"ids": batch})}
            for page_id in batch:
                row = rows.get(page_id)
                if row is None:  # deleted since the ids were read
                    continue
                page = CandidatePage(
                    document_id=row.document_id,
                    source=row.source,
                    title=row.title,
                    metadata=metadata.get(row.document_id)
                    or metadata.setdefault(row.document_id, dict(json.loads(row.metadata or "{}") or {})),
                    number=row.number,
                    label=row.label,
                    char_start=row.char_start,
                    text=row.text,
                )
                yield page, tuple(may_match[page_id])

    def _page_ids(self, connection: Connection, collection: str, query: Query, every: list[int]) -> Iterable[int]:
        """The ids of the pages of ``collection`` that may match ``query``."""
        asked = self._index_query(query)
        if asked is None:
            return every
        statement, match = asked
        return connection.execute(text(statement), {"collection": collection, "match": match}).scalars()

    def _ordered_page_ids(self, connection: Connection, collection: str, query: Query) -> list[int] | None:
        """The ids of the pages of ``collection`` that may match ``query``, in document order; ``None`` when
        the index cannot narrow ``query`` (every page may match)."""
        asked = self._index_query(query)
        if asked is None:
            return None
        statement, match = asked
        return list(
            connection.execute(text(statement + _IN_ORDER), {"collection": collection, "match": match}).scalars()
        )

    def _index_query(self, query: Query) -> tuple[str, str] | None:
        """The SQL naming the pages that may match ``query`` and its ``:match`` parameter; ``None`` when the
        index cannot narrow ``query``."""
        if self.postgres:
            tsquery = _tsquery(query)
            if tsquery is None:
                return None
            statement = _MATCHING.format(index="SELECT page_id FROM page_words WHERE words @@ CAST(:match AS tsquery)")
            return statement, f"({tsquery}) | {_lexeme(WHOLE_PAGE)}"
        expression = _fts5(query)
        if expression is None:
            return None
        return _MATCHING.format(index="SELECT rowid FROM page_words WHERE page_words MATCH :match"), expression


# --- PostgreSQL ----------------------------------------------------------------------------------


def _lexemes(page_text: str) -> list[str]:
    """The distinct keys of a page, or only ``WHOLE_PAGE`` when a ``tsvector`` could not hold them."""
    distinct = sorted(set(words(page_text)))
    sizes = [len(key.encode()) for key in distinct]
    if any(size > _MAX_LEXEME_BYTES for size in sizes) or sum(sizes) + 8 * len(sizes) > _MAX_VECTOR_BYTES:
        return [WHOLE_PAGE]
    return distinct


def _lexeme(key: str) -> str:
    """A ``tsquery`` operand for exactly ``key`` (quoted: taken as it is, no parsing)."""
    return "'" + key.replace("\\", "\\\\").replace("'", "''") + "'"


def _ts_term(term: Word | Prefix | Phrase) -> str:
    match term:
        case Word(key):
            return _lexeme(key)
        case Prefix(stem):
            return _lexeme(stem) + ":*"
        case Phrase(keys):  # no positions: all its words
            return "(" + " & ".join(map(_lexeme, keys)) + ")"


def _ts_operand(operand: Operand) -> str:
    if isinstance(operand, AnyOf):
        return "(" + " | ".join(map(_ts_term, operand.terms)) + ")"
    return _ts_term(operand)


def _tsquery(query: Query) -> str | None:
    """A ``tsquery`` every matching page satisfies; ``None`` when nothing can be asked (any page may match)."""
    match query:
        case Word() | Prefix() | Phrase():
            return _ts_term(query)
        case Near(left, right):
            return f"({_ts_operand(left)} & {_ts_operand(right)})"
        case Not():
            return None
        case And(operands):
            parts = [part for part in map(_tsquery, operands) if part is not None]
            return "(" + " & ".join(parts) + ")" if parts else None
        case Or(operands):
            alternatives = [_tsquery(operand) for operand in operands]
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


def _fts5(query: Query) -> str | None:
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
            parts = [part for part in map(_fts5, operands) if part is not None]
            return "(" + " AND ".join(parts) + ")" if parts else None
        case Or(operands):
            alternatives = [_fts5(operand) for operand in operands]
            if any(part is None for part in alternatives):
                return None
            return "(" + " OR ".join(part for part in alternatives if part is not None) + ")"
