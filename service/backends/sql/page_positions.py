"""The ``page_positions`` table: where each word key occurs on each page, for checking record-search candidates
without reading and tokenizing their text.

One row per page and distinct key (``service.core.words.words``): ``positions`` is the indexes of the page's
words with that key, ascending, as decimal numbers separated by spaces, and ``hits`` how many there are.
Every indexed page also has a **marker** row, key ``""`` (no word has an empty key): its ``positions`` is
``""`` when the page's keys are all stored, or ``"text"`` when they are not (a key too long for
PostgreSQL's B-tree) and the page must be read from its text. A page without a marker (stored by an older
version, before the backfill) is read from its text too, so a reader never depends on rows that may be
missing.

The primary key (page id, key) serves what a search asks of its candidate pages (the rows of given keys,
and of keys in a prefix's range) and the delete of a document's pages; the index (key, page id, hits)
counts a word's or a prefix's hits on every page without reading a position (``count_statement``,
``count_all_statement``). Keys compare byte-wise (SQLite's ``BINARY``, PostgreSQL's ``"C"`` collation),
which is code point order, so the keys with a prefix are one range.

Rows are written and deleted in the document's transaction, beside ``page_words``, and no row is ever
updated in place, so what a search reads is what the page's text says.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.orm import Session

from service.core.record_query import Prefix, Query, Word

MARKER = ""
"""The key of the marker row every indexed page has."""
FROM_TEXT = "text"
"""The marker's ``positions`` for a page whose keys are not stored: read it from its text."""
_MAX_KEY_BYTES = 1000
"""A longer key is not stored (PostgreSQL's B-tree holds entries up to ~2,700 bytes): its page is read as text."""


def create(connection: Connection, postgres: bool) -> None:
    """Create the table if it is missing (idempotent)."""
    if postgres:
        connection.execute(
            text(
                "CREATE TABLE IF NOT EXISTS page_positions (page_id INTEGER NOT NULL REFERENCES pages(id) "
                'ON DELETE CASCADE, key TEXT COLLATE "C" NOT NULL, hits INTEGER NOT NULL, positions TEXT NOT NULL, '
                "PRIMARY KEY (page_id, key))"
            )
        )
        connection.execute(
            text("CREATE INDEX IF NOT EXISTS ix_page_positions_key ON page_positions (key, page_id) INCLUDE (hits)")
        )
    else:
        connection.execute(
            text(
                "CREATE TABLE IF NOT EXISTS page_positions (page_id INTEGER NOT NULL, key TEXT NOT NULL, "
                "hits INTEGER NOT NULL, positions TEXT NOT NULL, PRIMARY KEY (page_id, key)) WITHOUT ROWID"
            )
        )
        connection.execute(
            text("CREATE INDEX IF NOT EXISTS ix_page_positions_key ON page_positions (key, page_id, hits)")
        )


MISSING = "SELECT id FROM pages WHERE NOT EXISTS (SELECT 1 FROM page_positions w WHERE w.page_id = pages.id)"
"""The ids of the pages without a marker row (to backfill)."""


def rows(keys: Sequence[str]) -> tuple[list[str], list[int], list[str]]:
    """The keys, hits and positions of a page's rows, marker first, from its word keys in order."""
    where: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        found = where.get(key)
        if found is None:
            where[key] = [index]
        else:
            found.append(index)
    if any(len(key.encode()) > _MAX_KEY_BYTES for key in where if len(key) * 4 > _MAX_KEY_BYTES):
        return [MARKER], [0], [FROM_TEXT]
    found_lists = where.values()
    return [MARKER, *where], [0, *map(len, found_lists)], ["", *(" ".join(map(str, found)) for found in found_lists)]


def write(session: Session, postgres: bool, pages: Sequence[tuple[int, Sequence[str]]]) -> None:
    """Store the rows of ``(page id, word keys)`` pages, in ``session``'s transaction."""
    if not pages:
        return
    if postgres:  # one statement a page: its rows as two arrays
        session.execute(
            text(
                "INSERT INTO page_positions (page_id, key, hits, positions) SELECT :page_id, "
                "unnest(CAST(:keys AS TEXT[])), unnest(CAST(:hits AS INTEGER[])), unnest(CAST(:positions AS TEXT[])) "
                "ON CONFLICT (page_id, key) DO UPDATE SET positions = EXCLUDED.positions"  # a concurrent backfill's
            ),
            [
                {"page_id": page_id, "keys": keys, "hits": hits, "positions": positions}
                for page_id, (keys, hits, positions) in ((page_id, rows(words)) for page_id, words in pages)
            ],
        )
        return
    session.execute(
        text(
            "INSERT OR REPLACE INTO page_positions (page_id, key, hits, positions) "
            "VALUES (:page_id, :key, :hits, :positions)"
        ),
        [
            {"page_id": page_id, "key": key, "hits": hits, "positions": positions}
            for page_id, words in pages
            for key, hits, positions in zip(*rows(words), strict=True)
        ],
    )


def delete(session: Session, page_ids_sql: str, parameters: Mapping[str, object]) -> None:
    """Delete the rows of the pages ``page_ids_sql`` selects, in ``session``'s transaction."""
    session.execute(text(f"DELETE FROM page_positions WHERE page_id IN ({page_ids_sql})"), dict(parameters))


def delete_pages(session: Session, page_ids: Sequence[int]) -> None:
    """Delete the rows of these pages, in ``session``'s transaction."""
    session.execute(
        text("DELETE FROM page_positions WHERE page_id IN :ids").bindparams(bindparam("ids", expanding=True)),
        {"ids": list(page_ids)},
    )


class StoredPositions(Mapping[str, Sequence[int]]):
    """A page's positions as read: each key's numbers are decoded when the evaluator first asks for them."""

    def __init__(self, encoded: dict[str, str]) -> None:
        self._encoded = encoded
        self._decoded: dict[str, list[int]] = {}

    def __getitem__(self, key: str) -> list[int]:
        found = self._decoded.get(key)
        if found is None:
            found = self._decoded[key] = list(map(int, self._encoded[key].split()))
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._encoded)

    def __len__(self) -> int:
        return len(self._encoded)

    def __contains__(self, key: object) -> bool:
        return key in self._encoded


def _after(stem: str) -> str | None:
    """The least string above every string that starts with ``stem`` (``None``: there is none)."""
    last = ord(stem[-1])
    return None if last == 0x10FFFF else stem[:-1] + chr(last + 1)


def counted(query: Query) -> tuple[str, str | None] | None:
    """For a query the index counts exactly (a word, or a prefix with a range), its key range ``[low, high)``
    (``high`` ``None``: the key itself); ``None`` for any other query."""
    match query:
        case Word(key):
            return key, None
        case Prefix(stem):
            above = _after(stem)
            return None if above is None else (stem, above)
        case _:
            return None


def count_statement(word_range: tuple[str, str | None]) -> tuple[str, dict[str, object]]:
    """SQL giving ``(id, hits)`` of a ``counted`` query for each page of ``:collection`` where it occurs, in
    document order, from the key index alone. Only pages with a marker have key rows (see ``UNMARKED``)."""
    low, high = word_range
    condition = "w.key = :low" if high is None else "w.key >= :low AND w.key < :high"
    statement = (
        "SELECT p.id, SUM(w.hits) AS hits FROM page_positions w JOIN pages p ON p.id = w.page_id "
        "JOIN documents d ON d.id = p.document_id JOIN collections c ON c.id = d.collection_id "
        f"WHERE c.name = :collection AND {condition} GROUP BY p.id, d.source, p.number ORDER BY d.source, p.number"
    )
    return statement, {"low": low} if high is None else {"low": low, "high": high}


def count_all_statement(ranges: Sequence[tuple[str, str | None]]) -> tuple[str, dict[str, object]]:
    """SQL giving ``(page_id, key, hits)`` for every key in one of ``ranges`` (of ``counted`` queries) on every
    page with stored positions, of any collection (the caller keeps its own), in any order: a term report's
    words counted at once. Joined to the pages of one collection, SQLite would read every row of each page."""
    keys = sorted({low for low, high in ranges if high is None})
    parameters: dict[str, object] = {}
    wanted = []
    if keys:
        parameters["keys"] = keys
        wanted.append("w.key IN :keys")
    for number, (low, high) in enumerate(sorted({(low, high) for low, high in ranges if high is not None})):
        parameters[f"low{number}"], parameters[f"high{number}"] = low, high
        wanted.append(f"(w.key >= :low{number} AND w.key < :high{number})")
    statement = f"SELECT w.page_id, w.key, w.hits FROM page_positions w WHERE {' OR '.join(wanted)}"
    return statement, parameters


UNMARKED = (
    "SELECT p.id FROM pages p JOIN documents d ON d.id = p.document_id JOIN collections c ON c.id = d.collection_id "
    "WHERE c.name = :collection AND NOT EXISTS "
    "(SELECT 1 FROM page_positions w WHERE w.page_id = p.id AND w.key = '' AND w.positions = '')"
)
"""The pages of ``:collection`` read from their text (no marker, or marked so): candidates of every query."""


def read_statement(keys: Sequence[str], stems: Sequence[str]) -> tuple[str, dict[str, object]]:
    """The SQL (its parameters besides the lists ``:ids`` and ``:positioned``) reading the pages ``:ids`` with
    their document fields and marker (one row a page, ``key`` ``""`` or null), then for the pages
    ``:positioned`` the rows of ``keys`` and of the keys starting with one of ``stems`` (``document_id`` null).
    One statement, so that a page and its positions are read at one time."""
    parameters: dict[str, object] = {}
    wanted = []
    if keys:
        parameters["keys"] = list(keys)
        wanted.append("w.key IN :keys")
    for number, stem in enumerate(stems):
        parameters[f"low{number}"] = stem
        above = _after(stem)
        if above is None:
            wanted.append(f"w.key >= :low{number}")  # over-reads; the evaluator keeps only the keys with the stem
        else:
            parameters[f"high{number}"] = above
            wanted.append(f"(w.key >= :low{number} AND w.key < :high{number})")
    statement = (
        "SELECT p.id, p.document_id, d.source, d.title, CAST(d.metadata AS TEXT) AS metadata, p.number, p.label, "
        "p.char_start, w.key, w.positions FROM pages p JOIN documents d ON d.id = p.document_id "
        "LEFT JOIN page_positions w ON w.page_id = p.id AND w.key = '' WHERE p.id IN :ids"
    )
    if wanted:
        statement += (
            " UNION ALL SELECT w.page_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, w.key, w.positions "
            f"FROM page_positions w WHERE w.page_id IN :positioned AND ({' OR '.join(wanted)})"
        )
    return statement, parameters
