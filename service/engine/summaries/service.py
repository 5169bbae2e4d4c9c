"""Summaries and the chronology, walled and audited: a document's extractive summary, a collection's one-line
headlines, and a collection's dated events in time order.

Summaries and events are made at ingest and stored with the document's pages (``digest``); a document stored
before they existed, or whose digest older rules made (``DIGEST_RULES``), gets them on first use, from its stored
pages, metadata and entity mentions, written only if it is still the version they were made from. A collection the
principal may not read is the same 404 as a missing one, and every read is audited.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from service.core.access import Principal
from service.core.domain import DocumentRecord, DocumentStatus, EntityMention, ParsedDocument
from service.core.errors import InvalidInput, NotFound
from service.core.seams import DocumentStore, Generator, SummaryIndex
from service.core.summaries import EVENT_KINDS, DocumentDigest, StoredEvent, SummaryLine
from service.engine.answering.prompts import Prompts
from service.engine.audit import Audit
from service.engine.documents.service import DocumentsService
from service.engine.summaries.extractive import digest
from service.engine.summaries.generated import GeneratedSummary, generate_summary

HEADLINE_FIELDS = ("disposition", "relief", "holding")
"""What a document's one-line headline is, in order of preference."""


def summarise_parsed(parsed: ParsedDocument, mentions: Sequence[EntityMention]) -> DocumentDigest:
    """The digest ingest stores with a parsed document (``IngestPipeline.summarise``)."""
    return digest(parsed.pages, parsed.title or "", parsed.metadata, mentions)


def headline(lines: Sequence[SummaryLine]) -> SummaryLine | None:
    """The one line that says most of a document: its disposition, relief sought or first holding, else its type."""
    for field in (*HEADLINE_FIELDS, "document_type"):
        for line in lines:
            if line.field == field:
                return line
    return None


@dataclass(frozen=True)
class DocumentSummary:
    """A document and its summary lines (none for a document that failed to ingest), with the checked LLM summary
    when one was asked for."""

    document: DocumentRecord
    lines: tuple[SummaryLine, ...]
    generated: GeneratedSummary | None = None


def check_kinds(kinds: Sequence[str] | None) -> list[str] | None:
    """``kinds`` if each is an event kind; otherwise a 422 naming the field and the kinds."""
    for kind in kinds or ():
        if kind not in EVENT_KINDS:
            raise InvalidInput(
                f"kind: {kind!r} is not an event kind; use one of {', '.join(EVENT_KINDS)}", {"field": "kind"}
            )
    return list(kinds) if kinds else None


class SummariesService:
    """Summaries and chronologies of the collections a principal may read (the command line passes none: all)."""

    def __init__(
        self,
        store: Callable[[], DocumentStore],
        index: Callable[[], SummaryIndex],
        documents: DocumentsService,
        audit: Audit,
        llm: Callable[[], tuple[Generator | None, Prompts, int]] | None = None,
    ) -> None:
        self._store = store
        self._index = index
        self._documents = documents
        self.audit = audit
        self._llm = llm
        """The configured generator (None: extractive mode), the prompts and the most tokens an answer may take;
        built only when a generated summary is asked for."""

    def summary(self, document_id: str, principal: Principal | None = None, generated: bool = False) -> DocumentSummary:
        """A document's extractive summary (made now if it was stored before summaries existed or by older rules); with
        ``generated``, also the configured LLM's summary of it, checked like an answer and kept per version and
        model (a 422 naming ``generated`` when no LLM is configured)."""
        record = self._documents.document(document_id, principal)
        lines: tuple[SummaryLine, ...] = ()
        stored = None
        if record.status != DocumentStatus.FAILED:
            stored = self._index().summaries([record.id]).get(record.id)
            if stored is not None and not stored.current:
                stored = None  # made again below; a generated summary of the old lines goes with them
            lines = stored.lines if stored is not None else self._make(record).lines
        written = self._generated(record, lines, stored.generated if stored else None) if generated else None
        self._record(principal, "summary", record.collection, {"document_id": record.id, "generated": generated})
        return DocumentSummary(record, lines, written)

    def _generated(
        self, record: DocumentRecord, lines: Sequence[SummaryLine], kept: dict[str, object] | None
    ) -> GeneratedSummary | None:
        generator, prompts, max_tokens = self._llm() if self._llm is not None else (None, None, 0)
        if generator is None or prompts is None:
            raise InvalidInput(
                "generated: no LLM is configured (DOCQA_LLM__BACKEND is extractive); ask without generated=true",
                {"field": "generated"},
            )
        if kept is not None and GeneratedSummary.current(kept, generator.model):
            return GeneratedSummary.from_json(kept)
        if not lines:
            return None
        made = generate_summary(generator, prompts, record, lines, max_tokens)
        self._index().set_generated(record.id, record.sha256, made.to_json())
        return made

    def headlines(self, collection: str, principal: Principal | None = None) -> dict[str, SummaryLine]:
        """Each summarised document's one-line headline, by document id."""
        collection = self._documents.collection_for(principal, collection)
        self._complete(collection)
        records = self._store().list_documents(collection)
        stored = self._index().summaries([record.id for record in records])
        found = {document_id: headline(summary.lines) for document_id, summary in stored.items()}
        self._record(principal, "summaries", collection, {"documents": len(found)})
        return {document_id: line for document_id, line in found.items() if line is not None}

    def chronology(
        self, collection: str, principal: Principal | None = None, kinds: Sequence[str] | None = None
    ) -> list[StoredEvent]:
        """Every dated event of the collection's documents (of ``kinds`` only, when given), in time order."""
        wanted = check_kinds(kinds)
        collection = self._documents.collection_for(principal, collection)
        self._complete(collection)
        events = self._index().events(collection, wanted)
        self._record(principal, "chronology", collection, {"kinds": wanted, "events": len(events)})
        return events

    def _complete(self, collection: str) -> None:
        """Make the digests of the collection's documents stored before summaries existed or by older rules."""
        missing = self._index().documents_to_summarise(collection)
        if not missing:
            return
        mentions = self._mentions(collection)
        for document_id in missing:
            try:
                self._make(self._store().get_document(document_id), mentions.get(document_id, []))
            except NotFound:
                continue  # deleted meanwhile

    def _mentions(self, collection: str) -> dict[str, list[EntityMention]]:
        """The collection's entity mentions by document (read once for all the documents made)."""
        by_document: dict[str, list[EntityMention]] = defaultdict(list)
        for stored in self._store().mentions(collection):
            by_document[stored.document_id].append(stored.mention)
        return by_document

    def _make(self, record: DocumentRecord, mentions: Sequence[EntityMention] | None = None) -> DocumentDigest:
        """The digest of a stored document, from its stored pages, metadata and mentions; stored when the document
        is still that version."""
        if mentions is None:
            mentions = self._mentions(record.collection).get(record.id, [])
        made = digest(self._store().pages(record.id), record.title, record.metadata, mentions)
        self._index().set_digest(record.id, record.sha256, made)
        return made

    def _record(self, principal: Principal | None, action: str, collection: str, payload: dict[str, object]) -> None:
        key_name = None if principal is None else principal.key_name
        self.audit.record(action, key_name, collection, payload)
