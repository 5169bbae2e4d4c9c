"""Searching the whole record of a collection: every hit in document order, and search-term reports.

The store's full-text index (``RecordIndex``) names the pages that may match; ``matching`` confirms each
one on the positions of its words that the store keeps (or on its text) and counts its hits, so every hit
and every count is exact. Only the pages whose hits are shown are read as text, for their spans. Metadata filters
(the same as ``/v1/search``'s) keep only the documents they accept; the caller checks the walls.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from ingest.legal.paragraphs import paragraph_at
from service.core.errors import InvalidInput
from service.core.record_query import Query
from service.core.seams import CandidatePage, RecordIndex
from service.engine.record.matching import Match, TermReport, hit_counts, matches, report_from_counts
from service.engine.record.query import QueryError, parse_query, parse_term_list
from service.engine.retrieval.retriever import check_filters, document_matches

MAX_PAGE_SIZE = 1000
"""The most hits one page of results may hold."""


@dataclass(frozen=True)
class RecordHit:
    """One hit: ``text`` is the document text ``[char_start:char_end]`` and the page text
    ``[page_char_start:page_char_end]``."""

    document_id: str
    source: str
    title: str
    page: int
    page_label: str | None
    paragraph: str | None
    char_start: int
    char_end: int
    page_char_start: int
    page_char_end: int
    text: str


@dataclass(frozen=True)
class DocumentHits:
    """A document that a search hits, with its number of hits."""

    document_id: str
    source: str
    title: str
    hits: int


@dataclass(frozen=True)
class RecordSearchResult:
    """One page of a search's hits; ``total`` and ``documents`` count every hit, not just this page's."""

    query: str
    total: int
    documents: list[DocumentHits]
    offset: int
    limit: int
    hits: list[RecordHit]


@dataclass(frozen=True)
class TermReportResult:
    """A search-term report over a collection: ``lines`` are the queries as written, in order;
    ``documents`` names the documents of ``report.per_document`` (in document order)."""

    lines: list[str]
    report: TermReport
    documents: dict[str, DocumentHits]


def _query_error(error: QueryError, field: str) -> InvalidInput:
    detail: dict[str, object] = {"field": field, "position": error.position}
    if error.line is not None:
        detail["line"] = error.line
    return InvalidInput(f"{field}: {error}", detail=detail)


def parse_search(query: str, field: str = "query") -> Query:
    """``parse_query`` with its ``QueryError`` as ``InvalidInput`` naming ``field`` and the position."""
    try:
        return parse_query(query)
    except QueryError as error:
        raise _query_error(error, field) from None


def parse_terms(text: str, field: str = "terms") -> list[tuple[int, str, Query]]:
    """``parse_term_list`` with its ``QueryError`` as ``InvalidInput`` naming ``field``, the line and position."""
    try:
        parsed = parse_term_list(text)
    except QueryError as error:
        raise _query_error(error, field) from None
    if not parsed:
        raise InvalidInput(f"{field}: the term list is empty; write one query a line", detail={"field": field})
    return parsed


class RecordSearch:
    """Exhaustive search and term reports over a collection's pages (``index`` is called on first use)."""

    def __init__(self, index: Callable[[], RecordIndex]) -> None:
        self._index = index

    def _pages(
        self, collection: str, queries: Sequence[Query], filters: Mapping[str, str] | None
    ) -> Iterator[tuple[CandidatePage, list[int]]]:
        """The candidate pages the filters accept, each with its number of hits for each query (0 where the
        index ruled the page out)."""
        checked = check_filters(filters)
        for page, which in self._index().candidate_pages(collection, queries):
            if checked and not document_matches(page.metadata, checked):
                continue
            per_query = [0] * len(queries)
            known = page.counts or {}
            for index in which:
                if index in known:
                    per_query[index] = known[index]
            left = [index for index in which if index not in known]
            if left:
                words_of = page.text if page.text is not None else page.positions or {}
                for index, count in zip(left, hit_counts([queries[index] for index in left], words_of), strict=True):
                    per_query[index] = count
            yield page, per_query

    def search(
        self,
        collection: str,
        query: str,
        filters: Mapping[str, str] | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> RecordSearchResult:
        """Every hit of ``query`` in ``collection`` (walls are the caller's), in document order, paged.

        Every hit is found and counted; only the page of results asked for is built (paragraph numbers
        included)."""
        if offset < 0 or not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidInput(
                f"offset must be >= 0 and limit between 1 and {MAX_PAGE_SIZE}", detail={"field": "limit"}
            )
        return self._search(collection, query, filters, offset, limit)

    def every_hit(self, collection: str, query: str, filters: Mapping[str, str] | None = None) -> RecordSearchResult:
        """``search`` without paging: every hit at once (the CLI prints them all)."""
        return self._search(collection, query, filters, 0, None)

    def _search(
        self, collection: str, query: str, filters: Mapping[str, str] | None, offset: int, limit: int | None
    ) -> RecordSearchResult:
        parsed = parse_search(query)
        total = 0
        to_show: list[tuple[CandidatePage, int, int]] = []
        documents: dict[str, DocumentHits] = {}
        for page, (count,) in self._pages(collection, [parsed], filters):
            if not count:
                continue
            first = max(0, offset - total)
            last = count if limit is None else min(count, max(0, offset + limit - total))
            if first < last:  # only the hits on the page of results are located, with their paragraphs
                to_show.append((page, first, last))
            total += count
            before = documents.get(page.document_id)
            documents[page.document_id] = DocumentHits(
                page.document_id, page.source, page.title, (before.hits if before else 0) + count
            )
        texts = self._index().page_texts([page.page_id for page, _, _ in to_show if page.text is None])
        shown: list[RecordHit] = []
        for page, first, last in to_show:
            text = page.text if page.text is not None else texts.get(page.page_id)
            if text is not None:  # None: deleted since it was counted
                shown.extend(_hit(page, text, match) for match in matches(parsed, text)[first:last])
        return RecordSearchResult(query, total, list(documents.values()), offset, limit or total, shown)

    def term_report(self, collection: str, terms: str, filters: Mapping[str, str] | None = None) -> TermReportResult:
        """The search-term report of ``terms`` (one query a line) over ``collection``."""
        parsed = parse_terms(terms)
        queries = [query for _, _, query in parsed]
        counts: dict[str, list[int]] = {}
        named: dict[str, CandidatePage] = {}
        for page, page_counts in self._pages(collection, queries, filters):
            if not any(page_counts):
                continue
            row = counts.get(page.document_id)
            if row is None:
                row = counts[page.document_id] = page_counts
                named[page.document_id] = page
            else:
                counts[page.document_id] = [before + count for before, count in zip(row, page_counts, strict=True)]
        documents = {
            document_id: DocumentHits(document_id, named[document_id].source, named[document_id].title, sum(row))
            for document_id, row in counts.items()
        }
        return TermReportResult([line for _, line, _ in parsed], report_from_counts(queries, counts), documents)


def _hit(page: CandidatePage, text: str, match: Match) -> RecordHit:
    start, end = match.char_start, match.char_end
    return RecordHit(
        document_id=page.document_id,
        source=page.source,
        title=page.title,
        page=page.number,
        page_label=page.label,
        paragraph=paragraph_at(text, start),
        char_start=page.char_start + start,
        char_end=page.char_start + end,
        page_char_start=start,
        page_char_end=end,
        text=match.text,
    )


def report_csv(result: TermReportResult) -> str:
    """The report as CSV: one row a query, with its documents with hits, total hits and unique documents,
    then one column a document (its source path) holding that query's hits in it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    documents = list(result.report.per_document)
    sources = [result.documents[document_id].source for document_id in documents]
    writer.writerow(["query", "documents_with_hits", "total_hits", "unique_documents", *sources])
    for index, (line, counts) in enumerate(zip(result.lines, result.report.terms, strict=True)):
        per_document = [result.report.per_document[document_id][index] for document_id in documents]
        writer.writerow(
            [_csv_cell(line), counts.documents_with_hits, counts.total_hits, counts.unique_documents, *per_document]
        )
    return buffer.getvalue()


def _csv_cell(value: str) -> str:
    """``value`` safe to open in a spreadsheet: a leading = + - @ would make it a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
