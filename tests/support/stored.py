"""Small parsed documents, their chunks and unit vectors, for tests of the store and the indexes."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select

from service.backends.sql.store import SqlDocumentStore
from service.backends.sql.tables import CollectionRow
from service.core.domain import ChunkDraft, FileFacts, ParsedDocument, ParsedPage, TextSource
from service.core.seams import Vectors

DIMENSION = 4


def document(*pages: str, title: str = "A title", metadata: dict[str, str] | None = None) -> ParsedDocument:
    """A text document of ``pages``; an empty page needs OCR."""
    return ParsedDocument(
        "text/plain",
        tuple(
            ParsedPage(
                i + 1, text, needs_ocr=not text, text_source=TextSource.NONE if not text else TextSource.TEXT_LAYER
            )
            for i, text in enumerate(pages)
        ),
        title=title,
        metadata={"court": "ca1"} if metadata is None else metadata,
    )


def drafts_for(parsed: ParsedDocument) -> list[ChunkDraft]:
    """One chunk per page that has text."""
    drafts = []
    for page, (start, end) in zip(parsed.pages, parsed.page_offsets(), strict=True):
        if page.text:
            drafts.append(ChunkDraft(len(drafts), page.number, page.number, start, end, 3, page.text))
    return drafts


def vectors(n: int, seed: int = 0) -> Vectors:
    """``n`` random unit rows of ``DIMENSION``."""
    rows = np.random.default_rng(seed).normal(size=(n, DIMENSION)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def facts(source: str = "a/b.txt", sha: str = "1" * 64) -> FileFacts:
    return FileFacts(source, sha, 10, 123)


def add_collections(store: SqlDocumentStore, *names: str) -> None:
    """Make empty collections (keys may only name existing ones); as an ingest's first file would."""
    with store.session() as session, session.begin():
        for name in names:
            if session.scalar(select(CollectionRow.id).where(CollectionRow.name == name)) is None:
                session.add(CollectionRow(name=name))
