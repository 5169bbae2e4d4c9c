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
proximity only asks for its words near each other; the expressions: ``fulltext_queries``), and the exact
evaluator confirms each page on the positions of the words it asks for (``page_positions``), read for the
candidate pages only, without their text. A query of one word or one prefix is not asked of it: the key
index of ``page_positions`` gives its pages and exact counts at once.

Rows are written and deleted in the document's transaction (``SqlDocumentStore``); ``create`` makes
the table on an existing database and indexes the pages that have no row yet (the migration).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, text
from sqlalchemy.orm import Session

from service.backends.sql import fulltext_queries, page_positions
from service.core.record_query import Query, words_asked
from service.core.seams import CandidatePage
from service.core.words import words

_BACKFILL_BATCH = 500
_DDL_LOCK = 0x646F6371_7265630A
"""PostgreSQL advisory lock held while the index's tables are created ("docqrec\n")."""

_READ_BATCH = 500
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
_FTS5_MATCHING = """
SELECT p.id FROM page_words w
JOIN pages p ON p.id = w.rowid
JOIN documents d ON d.id = p.document_id
JOIN collections c ON c.id = d.collection_id
WHERE c.name = :collection AND page_words MATCH :match
"""
"""SQLite's form of ``_MATCHING``: with ``p.id IN (... MATCH ...)`` SQLite asked FTS5 once per page of the
database (330 ms for ``court`` on 10,042 pages, against 11 ms as a join)."""
_IN_ORDER = " ORDER BY d.source, p.number"
"""Appended to ``_MATCHING``: the same order as ``_PAGE_ORDER``."""
_TEXTS = text("SELECT id, text FROM pages WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))


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
            page_positions.create(connection, self.postgres)
        self._backfill_words()
        self._backfill_positions()

    def _backfill_words(self) -> None:
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
                self._add_words(session, [(page_id, words(page_text)) for page_id, page_text in rows])

    def _backfill_positions(self) -> None:
        """Store the word positions of the pages that have none (stored before ``page_positions`` existed)."""
        with self.engine.connect() as connection:
            page_ids = list(connection.execute(text(page_positions.MISSING)).scalars())
        for start in range(0, len(page_ids), _BACKFILL_BATCH):
            batch = page_ids[start : start + _BACKFILL_BATCH]
            with Session(self.engine) as session, session.begin():
                page_positions.delete_pages(session, batch)  # as in _backfill_words: another process's rows
                rows = session.execute(_TEXTS, {"ids": batch}).all()
                page_positions.write(
                    session, self.postgres, [(page_id, words(page_text)) for page_id, page_text in rows]
                )

    def add_pages(self, session: Session, pages: Sequence[tuple[int, str]]) -> None:
        """Index ``(page id, text)`` pages, in ``session``'s transaction."""
        if not pages:
            return
        keyed = [(page_id, words(page_text)) for page_id, page_text in pages]
        self._add_words(session, keyed)
        page_positions.write(session, self.postgres, keyed)

    def _add_words(self, session: Session, pages: Sequence[tuple[int, list[str]]]) -> None:
        """Write the ``page_words`` rows of ``(page id, word keys)`` pages."""
        if not pages:
            return
        if self.postgres:
            session.execute(
                text(
                    "INSERT INTO page_words (page_id, words) "
                    "VALUES (:page_id, array_to_tsvector(CAST(:words AS TEXT[]))) "
                    "ON CONFLICT (page_id) DO UPDATE SET words = EXCLUDED.words"  # a concurrent migration's row
                ),
                [{"page_id": page_id, "words": fulltext_queries.lexemes(keys)} for page_id, keys in pages],
            )
        else:
            session.execute(
                text("INSERT INTO page_words (rowid, words) VALUES (:page_id, :words)"),
                [
                    {"page_id": page_id, "words": " ".join(map(fulltext_queries.fts5_token, keys))}
                    for page_id, keys in pages
                ],
            )

    def remove_document(self, session: Session, document_id: str) -> None:
        """Drop the rows of a document's pages, in ``session``'s transaction (before the pages go)."""
        key = "page_id" if self.postgres else "rowid"
        session.execute(
            text(f"DELETE FROM page_words WHERE {key} IN (SELECT id FROM pages WHERE document_id = :document_id)"),
            {"document_id": document_id},
        )
        page_positions.delete(
            session, "SELECT id FROM pages WHERE document_id = :document_id", {"document_id": document_id}
        )

    # --- reading -------------------------------------------------------------------------------------

    def candidate_pages(
        self, collection: str, queries: Sequence[Query]
    ) -> Iterator[tuple[CandidatePage, tuple[int, ...]]]:
        """Every page of ``collection`` that may match one of ``queries`` (see ``RecordIndex``).

        A word or a prefix is counted on every page from the key index of ``page_positions`` (its pages and
        their exact hits at once); any other query asks the full-text index for its candidate pages, and the
        positions of the words it names are read for those pages only. Pages are read in batches, in
        document order; a page without stored positions (see ``page_positions``) is read as text.
        """
        counts: dict[int, dict[int, int]] = {}
        counted = {index for index, query in enumerate(queries) if page_positions.counted(query) is not None}
        with self.engine.connect() as connection:
            ordered: list[int] | None = None
            if len(queries) == 1:
                found = [self._candidates(connection, collection, 0, queries[0], counts)]
            else:  # a report: its words and prefixes counted by one statement
                ordered = list(connection.execute(text(_PAGE_ORDER), {"collection": collection}).scalars())
                found = self._count_all(connection, set(ordered), queries, counted, counts)
                for index, query in enumerate(queries):
                    if index not in counted:
                        found[index] = self._ordered_page_ids(connection, collection, query)
            unmarked = (
                list(connection.execute(text(page_positions.UNMARKED), {"collection": collection}).scalars())
                if counted
                else []
            )
            if len(queries) == 1 and found[0] is not None and not unmarked:
                # One query the index can ask (a search): its pages come in document order from the index
                # query itself, without reading the order of every page of the collection first.
                wanted = found[0]
                may_match = {page_id: [0] for page_id in wanted}
            else:
                if ordered is None:
                    ordered = list(connection.execute(text(_PAGE_ORDER), {"collection": collection}).scalars())
                may_match = {}
                for index, page_ids in enumerate(found):
                    for page_id in ordered if page_ids is None else page_ids:
                        may_match.setdefault(page_id, []).append(index)
                    if index in counted:  # pages the key index cannot count: read as text below
                        for page_id in unmarked:
                            may_match.setdefault(page_id, []).append(index)
                wanted = [page_id for page_id in ordered if page_id in may_match]
        evaluated = {index for index in range(len(queries)) if index not in counted}
        asked = [queries[index] for index in sorted(evaluated)]
        keys, stems = words_asked(asked)
        statement, parameters = page_positions.read_statement(sorted(keys), sorted(stems))
        reading = text(statement).bindparams(
            *(bindparam(name, expanding=True) for name in ("ids", "keys", "positioned") if f":{name}" in statement)
        )
        metadata: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), _READ_BATCH):
            batch = wanted[start : start + _READ_BATCH]
            positioned = [page_id for page_id in batch if not evaluated.isdisjoint(may_match[page_id])]
            rows: dict[int, Any] = {}
            positions: dict[int, dict[str, str]] = {}
            with self.engine.connect() as connection:
                for row in connection.execute(reading, {**parameters, "ids": batch, "positioned": positioned}).all():
                    if row.document_id is not None:
                        rows[row.id] = row
                    if row.key is not None:
                        positions.setdefault(row.id, {})[row.key] = row.positions
            # A page without a marker, or marked to be read as text: its text (there are none once backfilled).
            unread = [
                page_id
                for page_id in batch
                if page_id in rows and positions.get(page_id, {}).get(page_positions.MARKER) != ""
            ]
            texts = self.page_texts(unread) if unread else {}
            for page_id in batch:
                if page_id not in rows or (page_id in unread and page_id not in texts):  # deleted since read
                    continue
                row = rows[page_id]
                page_words = positions.get(page_id, {})
                page_words.pop(page_positions.MARKER, None)
                text_read = texts.get(page_id)
                page = CandidatePage(
                    page_id=page_id,
                    document_id=row.document_id,
                    source=row.source,
                    title=row.title,
                    metadata=metadata.get(row.document_id)
                    or metadata.setdefault(row.document_id, dict(json.loads(row.metadata or "{}") or {})),
                    number=row.number,
                    label=row.label,
                    char_start=row.char_start,
                    text=text_read,
                    positions=None if text_read is not None else page_positions.StoredPositions(page_words),
                    counts=None if text_read is not None else counts.get(page_id),
                )
                yield page, tuple(may_match[page_id])

    def _count_all(
        self,
        connection: Connection,
        in_collection: set[int],
        queries: Sequence[Query],
        counted: set[int],
        counts: dict[int, dict[int, int]],
    ) -> list[list[int] | None]:
        """Count the ``counted`` queries on every page of ``in_collection`` (the collection's page ids) from the key
        index, leaving their hits per page in ``counts``; their pages per query (in no order; ``[]`` for the
        others)."""
        found: list[list[int] | None] = [[] for _ in queries]
        if not counted:
            return found
        by_key: dict[str, list[int]] = {}
        by_stem: list[tuple[int, str]] = []
        ranges: list[tuple[str, str | None]] = []
        for index in sorted(counted):
            word_range = page_positions.counted(queries[index])
            if word_range is None:
                continue
            ranges.append(word_range)
            if word_range[1] is None:
                by_key.setdefault(word_range[0], []).append(index)
            else:
                by_stem.append((index, word_range[0]))
        statement, parameters = page_positions.count_all_statement(ranges)
        counting = text(statement)
        if "keys" in parameters:
            counting = counting.bindparams(bindparam("keys", expanding=True))
        queries_of: dict[str, list[int]] = {}  # the counted queries each key counts for, found once per key
        for page_id, key, hits in connection.execute(counting, parameters).all():
            if page_id not in in_collection:
                continue
            page_counts = counts.get(page_id)
            if page_counts is None:
                page_counts = counts[page_id] = {}
            indexes = queries_of.get(key)
            if indexes is None:
                indexes = queries_of[key] = [
                    *by_key.get(key, ()),
                    *(index for index, stem in by_stem if key.startswith(stem)),
                ]
            for index in indexes:
                page_counts[index] = page_counts.get(index, 0) + hits
        for page_id, page_counts in counts.items():
            for index in page_counts:
                pages_of = found[index]
                if pages_of is not None:
                    pages_of.append(page_id)
        return found

    def _candidates(
        self, connection: Connection, collection: str, index: int, query: Query, counts: dict[int, dict[int, int]]
    ) -> list[int] | None:
        """The ids of the pages of ``collection`` that may match ``query`` (the ``index``-th), in document order;
        ``None`` when the index cannot narrow it (every page may match). A query the key index counts also
        leaves its hits per page in ``counts`` (those of the pages with stored positions: see ``UNMARKED``)."""
        word_range = page_positions.counted(query)
        if word_range is not None:
            statement, parameters = page_positions.count_statement(word_range)
            page_ids = []
            for page_id, hits in connection.execute(text(statement), {**parameters, "collection": collection}):
                counts.setdefault(page_id, {})[index] = int(hits)
                page_ids.append(page_id)
            return page_ids
        return self._ordered_page_ids(connection, collection, query)

    def page_texts(self, page_ids: Sequence[int]) -> dict[int, str]:
        """The text of each of these pages that still exists."""
        found: dict[int, str] = {}
        for start in range(0, len(page_ids), _READ_BATCH):
            with self.engine.connect() as connection:
                batch = list(page_ids[start : start + _READ_BATCH])
                found.update((row.id, row.text) for row in connection.execute(_TEXTS, {"ids": batch}))
        return found

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
            tsquery = fulltext_queries.tsquery(query)
            if tsquery is None:
                return None
            statement = _MATCHING.format(index="SELECT page_id FROM page_words WHERE words @@ CAST(:match AS tsquery)")
            return statement, f"({tsquery}) | {fulltext_queries.lexeme(fulltext_queries.WHOLE_PAGE)}"
        expression = fulltext_queries.fts5_expression(query)
        if expression is None:
            return None
        return _FTS5_MATCHING, expression
