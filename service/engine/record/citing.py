"""The citation index's queries: which filings cite an authority (with counts and pin cites), and the
table of authorities of a collection or of one document.

Citations are found at ingest (``find_citations``, given to the pipeline by the composition root) and
stored with the pages; a document stored before the index existed is indexed here on first use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from service.core.citations import CitationMention, StoredCitation
from service.core.domain import DocumentRecord, PageRecord, ParsedDocument
from service.core.errors import InvalidInput
from service.core.seams import CitationIndex
from service.engine.record.authorities import AuthorityKind, authorities_in_document
from service.engine.retrieval.retriever import check_filters, document_matches

log = logging.getLogger(__name__)
_FULL = (AuthorityKind.CASE.value, AuthorityKind.LAW.value, AuthorityKind.JOURNAL.value)


def citations_of_pages(pages: Sequence[tuple[int, str]]) -> list[CitationMention]:
    """Every citation on ``pages`` (``(number, text)`` in order), short forms resolved across the document.

    eyecite is a heuristic parser: should it fail on some text, the document is stored without citations
    (and the failure logged) rather than not stored at all.
    """
    try:
        found = authorities_in_document(pages)
    except Exception:  # any failure of the heuristic parser: logged with its traceback, never fatal
        log.warning("citation parsing failed; the document is stored without citations", exc_info=True)
        return []
    return [
        CitationMention(
            page=number,
            kind=mention.kind.value,
            char_start=mention.char_start,
            char_end=mention.char_end,
            text=mention.text,
            authority=mention.authority,
            pin_cite=mention.pin_cite,
            case_name=mention.case_name,
        )
        for number, mention in found
    ]


def find_citations(parsed: ParsedDocument) -> list[CitationMention]:
    """Every citation of a parsed document (what the ingest pipeline stores with it)."""
    return citations_of_pages([(page.number, page.text) for page in parsed.pages])


@dataclass(frozen=True)
class AuthoritySummary:
    """One authority of a table of authorities: its mentions (full citations and resolved short forms, id.
    and supra), the documents and pages they are on, and their pin cites in order of first appearance."""

    authority: str
    kind: str
    case_name: str | None
    mentions: int
    documents: int
    pages: tuple[int, ...]
    """Pages of the one document asked for (empty for a whole collection)."""
    pin_cites: tuple[str, ...]


@dataclass(frozen=True)
class CitingDocument:
    """A filing that cites an authority: how often, where, and each mention with its exact span."""

    document_id: str
    source: str
    title: str
    mentions: tuple[CitationMention, ...]

    @property
    def pin_cites(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(mention.pin_cite for mention in self.mentions if mention.pin_cite))


def _summaries(found: Sequence[StoredCitation], one_document: bool) -> list[AuthoritySummary]:
    grouped: dict[str, list[StoredCitation]] = {}
    for citation in found:
        if citation.mention.authority:
            grouped.setdefault(citation.mention.authority, []).append(citation)
    summaries = []
    for authority, group in grouped.items():
        mentions = [citation.mention for citation in group]
        full = next((mention for mention in mentions if mention.kind in _FULL), mentions[0])
        summaries.append(
            AuthoritySummary(
                authority=authority,
                kind=full.kind,
                case_name=next((mention.case_name for mention in mentions if mention.case_name), None),
                mentions=len(mentions),
                documents=len({citation.document_id for citation in group}),
                pages=tuple(sorted({mention.page for mention in mentions})) if one_document else (),
                pin_cites=tuple(dict.fromkeys(mention.pin_cite for mention in mentions if mention.pin_cite)),
            )
        )
    order = list(_FULL)
    summaries.sort(
        key=lambda entry: (
            order.index(entry.kind) if entry.kind in order else len(order),
            (entry.case_name or entry.authority).casefold(),
            entry.authority,
        )
    )
    return summaries


class Authorities:
    """Citation-index queries over a collection; ``pages`` reads a stored document's pages (for documents
    stored before the index existed)."""

    def __init__(
        self,
        index: Callable[[], CitationIndex],
        pages: Callable[[str], list[PageRecord]],
        documents: Callable[[str], list[DocumentRecord]],
    ) -> None:
        self._index = index
        self._pages = pages
        self._documents = documents

    def _filtered(
        self, collection: str, found: list[StoredCitation], filters: Mapping[str, str] | None
    ) -> list[StoredCitation]:
        checked = check_filters(filters)
        if not checked:
            return found
        kept = {record.id for record in self._documents(collection) if document_matches(record.metadata, checked)}
        return [citation for citation in found if citation.document_id in kept]

    def _ready(self, collection: str) -> CitationIndex:
        index = self._index()
        for document_id in index.documents_without_citations(collection):
            pages = self._pages(document_id)
            index.set_citations(document_id, citations_of_pages([(page.number, page.text) for page in pages]))
        return index

    def table(
        self, collection: str, document_id: str | None = None, filters: Mapping[str, str] | None = None
    ) -> list[AuthoritySummary]:
        """The table of authorities of ``collection`` (of the documents ``filters`` accept), or of one of its
        documents (cases by name, then laws and journals by key)."""
        found = self._filtered(collection, self._ready(collection).citations(collection, document_id), filters)
        return _summaries(found, one_document=document_id is not None)

    def on_page(self, collection: str, document_id: str, page: int) -> list[CitationMention]:
        """The citations on one page of a document of ``collection``, in text order (for the source viewer)."""
        found = self._ready(collection).citations(collection, document_id)
        return [citation.mention for citation in found if citation.mention.page == page]

    def citing(
        self, collection: str, cites: str, filters: Mapping[str, str] | None = None
    ) -> tuple[list[str], list[CitingDocument]]:
        """The filings of ``collection`` that cite ``cites``: an authority key ("550 U.S. 544", spacing and
        case ignored) or words of a case name ("Twombly"). Returns the matching authority keys and the
        citing documents, in document order."""
        wanted = " ".join(cites.split()).casefold()
        if not wanted:
            raise InvalidInput("cites: name an authority, e.g. 550 U.S. 544 or Twombly", detail={"field": "cites"})
        index = self._ready(collection)
        every = self._filtered(collection, index.citations(collection), filters)
        authorities = {c.mention.authority: c.mention.case_name for c in every if c.mention.authority}
        names: dict[str, set[str]] = {}
        for citation in every:
            if citation.mention.authority and citation.mention.case_name:
                names.setdefault(citation.mention.authority, set()).add(citation.mention.case_name.casefold())
        keys = sorted(key for key in authorities if key.casefold() == wanted)
        if not keys:  # words of a case name
            keys = sorted(key for key, known in names.items() if any(wanted in name for name in known))
        documents: dict[str, list[StoredCitation]] = {}
        for citation in every:
            if citation.mention.authority in keys:
                documents.setdefault(citation.document_id, []).append(citation)
        return keys, [
            CitingDocument(group[0].document_id, group[0].source, group[0].title, tuple(c.mention for c in group))
            for group in documents.values()
        ]
