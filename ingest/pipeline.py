"""The ingestion pipeline: discover -> parse -> chunk -> embed -> store (SQL) -> index (FAISS, BM25).

Each document is committed to SQL in one transaction, then added to the collection's FAISS and
lexical indexes in memory; they are saved every ``save_every_s`` seconds and at the end. A crash
between the two is repaired from SQL on the next start (``reconcile`` of each index), so re-running
the same command finishes the job with nothing lost and nothing duplicated.

The stages that need no database (``ingest.stages``: reading a file into chunks, and embedding them) run here,
one file after the other, or on a ``Distributor`` (``ingest.ray_ingest``: a Ray cluster's workers); checking
and storing each file stay here, in order, whichever it is.

Every write (``ingest``, ``delete``, an upload job) holds the collection's writer lock
(``service.core.writer_lock``): it starts from the indexes the previous writer saved, in this or
another process, and saves before it lets go, so concurrent writers never drop each other's changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from ingest.chunking import Chunker
from ingest.discover import Candidate, discover
from ingest.ocr.processor import OcrProcessor
from ingest.parse_worker import ParseCancelled
from ingest.parsers import PARSERS, ParseLimits, parser_for
from ingest.stages import (
    DocumentMaker,
    FileWork,
    ParseRunner,
    PreparedFile,
    failure_reason,
    parse_here,
    sha256_of,
)
from service.core.citations import CitationMention
from service.core.domain import (
    DocumentRecord,
    DocumentStatus,
    EntityMention,
    FileFacts,
    ParsedDocument,
    document_name,
)
from service.core.errors import DocqaError
from service.core.ingestion import FileResult, IngestSummary, Outcome, Progress
from service.core.seams import DocumentStore, Embedder, LexicalIndex, VectorIndex, Vectors
from service.core.settings import IngestSettings
from service.core.summaries import DocumentDigest
from service.core.writer_lock import writer_lock

__all__ = ["Distributor", "IngestPipeline", "ParseRunner", "parse_here", "sha256_of"]


class Distributor(Protocol):
    """Runs the reading and embedding of files elsewhere (``ingest.ray_ingest.RayIngest``, on a Ray cluster);
    the pipeline still checks and stores every file, in order, on the writer."""

    def results(self, pipeline: IngestPipeline, candidates: Iterable[Candidate]) -> Generator[FileResult]:
        """One result per candidate, in their order (``pipeline.check``, then ``pipeline.finish``)."""
        ...


class IngestPipeline:
    """Ingests files into one collection of the store and its FAISS index."""

    def __init__(
        self,
        store: DocumentStore,
        index: VectorIndex,
        lock_directory: Path,
        embedder: Callable[[], Embedder],
        chunker: Chunker,
        settings: IngestSettings,
        ocr: OcrProcessor | None = None,
        extra_metadata: Mapping[str, str] | None = None,
        lexical: LexicalIndex | None = None,
        citations: Callable[[ParsedDocument], Sequence[CitationMention]] | None = None,
        summarise: Callable[[ParsedDocument, Sequence[EntityMention]], DocumentDigest] | None = None,
        distributor: Distributor | None = None,
    ) -> None:
        self.store = store
        self.index = index
        self.lock_directory = lock_directory
        self.lexical = lexical
        self.citations = citations
        """Finds a document's citations for the citation index (eyecite; ``None``: not indexed at ingest)."""
        self.summarise = summarise
        """Makes a document's summary and dated events from its pages, metadata, mentions (``None``: on first use)."""
        self.collection = index.collection
        self._embedder = embedder  # a factory: an all-unchanged batch never loads the model
        self.chunker = chunker
        self.settings = settings
        self.ocr = ocr
        self.extra_metadata = dict(extra_metadata or {})
        self.limits = ParseLimits.from_settings(settings)
        self.maker = DocumentMaker(chunker, self.limits, ocr, self.extra_metadata, settings.entities, citations)
        """Reads a file into chunks, entities and citations: here, or on a ``distributor``'s workers."""
        self.distributor = distributor
        """Where files are read and embedded (``None``: in this process, one after the other)."""
        self.progress = Progress()
        self._last_save = time.monotonic()

    def ingest(self, roots: Sequence[Path], prune: bool = False, progress: Progress | None = None) -> IngestSummary:
        """Ingest every file under ``roots``; with ``prune``, delete the documents that were read from under
        ``roots`` and whose files are gone (never uploads, nor documents read from other folders)."""
        progress = self.progress = progress or Progress()
        started = time.perf_counter()
        summary = IngestSummary(self.collection)
        candidates = list(discover(roots))
        progress.start(len(candidates))
        seen = {candidate.source for candidate in candidates}
        with self.writing():
            for result in self.results(candidates):
                summary.files.append(result)
                progress.file_done(result)
                self._save_if_due()
            if prune:
                for record in self._gone_from(roots, seen):
                    self._delete(record.id)
                    result = FileResult(record.source, "removed", record.id)
                    summary.files.append(result)
                    progress.file_done(result)
        summary.seconds = time.perf_counter() - started
        return summary

    def _gone_from(self, roots: Sequence[Path], seen: set[str]) -> list[DocumentRecord]:
        """The stored documents that were read from under ``roots`` (by the absolute path each was read from)
        and were not found there now: what ``prune`` removes. An upload was read from the uploads folder and a
        document of another folder from there, so neither is ever among them; nor is a document stored before
        docqa kept the path of failed files (it has none)."""
        resolved = [root.resolve() for root in roots]
        gone = []
        for record in self.store.list_documents(self.collection):
            if record.source in seen or not record.origin:
                continue
            origin = Path(record.origin)
            if any(origin == root or origin.is_relative_to(root) for root in resolved):
                gone.append(record)
        return sorted(gone, key=lambda record: record.source)

    @contextmanager
    def writing(self, wait_s: float | None = None) -> Iterator[None]:
        """Hold the collection's writer lock (waiting at most ``wait_s``; None: as long as it takes): the
        indexes are reloaded if another process saved them since, and saved before the lock is released.
        ``ingest`` and ``delete`` take it themselves; callers of ``ingest_file`` take it around their files."""
        with writer_lock(self.lock_directory, self.collection, wait_s):
            self.index.refresh_if_changed()
            if self.lexical is not None:
                self.lexical.refresh_if_changed()
            try:
                yield
            finally:
                self._save()
                self._last_save = time.monotonic()

    def results(self, candidates: Iterable[Candidate], parse: ParseRunner = parse_here) -> Generator[FileResult]:
        """Ingest ``candidates`` (inside ``writing``) and yield each one's result, in order: on the
        ``distributor`` when there is one (which parses wherever it runs), else here with ``parse``, each file
        read only when the previous result has been taken (so a caller may stop between files)."""
        if self.distributor is not None:
            yield from self.distributor.results(self, candidates)
            return
        for candidate in candidates:
            yield self.ingest_file(candidate, parse)

    def ingest_file(self, candidate: Candidate, parse: ParseRunner = parse_here) -> FileResult:
        """Ingest one file (inside ``writing``), parsed by ``parse``; any failure becomes a result with a reason,
        never an exception, except ``ParseCancelled``: a cancelled file is left as it was, nothing recorded."""
        work = self.check(candidate)
        if isinstance(work, FileResult):
            return work
        try:
            prepared = self.maker(work.path, parse, self.progress.ocr_page_done)
            vectors = self._embedder().embed_documents(prepared.embedding_texts())
        except ParseCancelled:
            raise
        except Exception as error:  # one bad file must never stop a batch; the reason is recorded
            return self.fail(work, failure_reason(work.source, error))
        return self.finish(work, prepared, vectors)

    def check(self, candidate: Candidate) -> FileResult | FileWork:
        """What the writer decides before a file is read: its result when it failed a check or is unchanged
        (recorded), else the ``FileWork`` to read it."""
        source = candidate.source
        if candidate.error:
            return FileResult(source, "failed", error=candidate.error)
        try:
            return self._check(candidate.path, source)
        except Exception as error:  # an unreadable file is a result with a reason, never the batch's end
            return self._failed(candidate.path, source, failure_reason(source, error))

    def _check(self, path: Path, source: str) -> FileResult | FileWork:
        parser = parser_for(path)
        if parser is None:
            known = ", ".join(sorted(PARSERS))
            return FileResult(source, "failed", error=f"{source}: unsupported file type (docqa reads {known})")
        stat = path.stat()
        if stat.st_size == 0:
            raise DocqaError(f"{source}: the file is empty (0 bytes)")
        limit = self.settings.max_file_mb * 1024 * 1024
        if stat.st_size > limit:
            raise DocqaError(
                f"{source}: {stat.st_size / 1048576:.1f} MiB is above the limit of {self.settings.max_file_mb:g} MiB "
                "(setting DOCQA_INGEST__MAX_FILE_MB)"
            )
        existing = self.store.find_document(self.collection, source)
        # A document stored before OCR was possible is processed again once it is.
        waiting_for_ocr = existing is not None and existing.status == DocumentStatus.NEEDS_OCR and self._can_ocr()
        usable = existing is not None and existing.status != DocumentStatus.FAILED and not waiting_for_ocr
        if usable and existing and (existing.size_bytes, existing.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            return FileResult(source, "unchanged", existing.id)  # same size and time: not even hashed
        sha256 = sha256_of(path)
        if usable and existing and existing.sha256 == sha256:
            return FileResult(source, "unchanged", existing.id)
        facts = FileFacts(source, sha256, stat.st_size, stat.st_mtime_ns, str(path.resolve()))
        return FileWork(path, facts, replaces=existing is not None)

    def finish(self, work: FileWork, prepared: PreparedFile, vectors: Vectors) -> FileResult:
        """Store a read and embedded file in one transaction, then add it to the indexes (inside ``writing``);
        a failure is recorded as the file's result."""
        try:
            return self._store(work, prepared, vectors)
        except Exception as error:  # one bad file must never stop a batch; the reason is recorded
            return self.fail(work, failure_reason(work.source, error))

    def fail(self, work: FileWork, reason: str) -> FileResult:
        """Record that ``work`` failed for ``reason`` (the stored version, if any, is kept)."""
        return self._failed(work.path, work.source, reason)

    def _store(self, work: FileWork, prepared: PreparedFile, vectors: Vectors) -> FileResult:
        parsed, drafts = prepared.parsed, prepared.drafts
        # The summary is made here, on the writer, from what the read stage produced: Ray workers need no engine.
        digest = self.summarise(parsed, prepared.mentions) if self.summarise is not None else None
        document_id, new_ids, replaced_ids = self.store.replace_document(
            self.collection, work.facts, parsed, drafts, vectors, prepared.citations, prepared.mentions, digest
        )
        self.index.remove(replaced_ids)
        self.index.add(new_ids, vectors)
        if self.lexical is not None:
            self.lexical.remove(replaced_ids)
            title = (parsed.title or work.source.rsplit("/", 1)[-1])[:512]  # as the store keeps it
            name = document_name(work.source, title, parsed.metadata)
            self.lexical.add_document(document_id, name, new_ids, [draft.text for draft in drafts])
        outcome: Outcome = "updated" if work.replaces else "new"
        return FileResult(work.source, outcome, document_id, pages=len(parsed.pages), chunks=len(drafts))

    def _can_ocr(self) -> bool:
        return self.maker.can_ocr()

    def _failed(self, path: Path, source: str, reason: str) -> FileResult:
        try:
            stat = path.stat()
            facts = FileFacts(source, "", stat.st_size, stat.st_mtime_ns, str(path.resolve()))
        except OSError:
            facts = FileFacts(source, "", 0, 0, str(path.absolute()))
        document_id = self.store.record_failure(self.collection, facts, reason)
        return FileResult(source, "failed", document_id, error=reason)

    def delete(self, document_id: str, wait_s: float | None = None) -> None:
        """Delete a document from SQL, FAISS and the lexical index; the indexes are saved at once.

        Waits at most ``wait_s`` (None: as long as it takes) for another writer of the collection, then
        raises ``Conflict``."""
        with self.writing(wait_s):
            self._delete(document_id)

    def _delete(self, document_id: str) -> None:
        removed = self.store.delete_document(document_id)
        self.index.remove(removed)
        if self.lexical is not None:
            self.lexical.remove(removed)

    def _save(self) -> None:
        self.index.save()
        if self.lexical is not None:
            self.lexical.save()

    def _save_if_due(self) -> None:
        if time.monotonic() - self._last_save >= self.settings.save_every_s:
            self._save()
            self._last_save = time.monotonic()
