"""The stages of ingesting one file that need no database: what serial ingest runs in its own process and
Ray ingest (``ingest.ray_ingest``) runs on the cluster's workers, so that both produce the same chunks.

``IngestPipeline.check`` decides on the writer whether a file must be read (a ``FileWork``); a
``DocumentMaker`` turns its path into a ``PreparedFile`` (parse, OCR, court structure, chunks, entities,
citations); the embedder turns its chunks into vectors; ``IngestPipeline.store`` writes it in one transaction.
Any failure becomes a reason from ``failure_reason``, the same one-line reason wherever the stage ran.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.chunking import Chunker
from ingest.legal.entities import extract_entities
from ingest.legal.structure import court_structure
from ingest.ocr.processor import OcrProcessor, OcrProgress
from ingest.parsers import ParseLimits, parser_for
from service.core.citations import CitationMention
from service.core.domain import ChunkDraft, EntityMention, FileFacts, ParsedDocument
from service.core.errors import DocqaError

ParseRunner = Callable[[Path, ParseLimits], ParsedDocument]
"""Parses one file under limits somewhere: ``parse_here`` in this process, a ``ParseWorker`` in a child."""


def parse_here(path: Path, limits: ParseLimits) -> ParsedDocument:
    """Parse ``path`` in this process (the parsers check the limits as they read)."""
    parser = parser_for(path)
    if parser is None:
        raise DocqaError(f"{path.name}: unsupported file type")
    return parser(path, limits)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def failure_reason(source: str, error: Exception) -> str:
    """The one-line reason a file failed for ``error``, as the file's result and document record give it."""
    if isinstance(error, DocqaError):
        return error.message
    if isinstance(error, OSError):
        return f"{source}: cannot read file ({error.strerror or error})"
    return f"{source}: unexpected {type(error).__name__}: {error}"


@dataclass(frozen=True)
class FileWork:
    """A file that must be read and stored: its checks passed on the writer, which saw no unchanged copy."""

    path: Path
    facts: FileFacts
    replaces: bool
    """A document of that source is stored already (the outcome is ``updated``, else ``new``)."""

    @property
    def source(self) -> str:
        return self.facts.source


@dataclass(frozen=True)
class PreparedFile:
    """Everything stored for one file but its vectors."""

    parsed: ParsedDocument
    drafts: list[ChunkDraft]
    mentions: list[EntityMention]
    citations: list[CitationMention] | None
    """``None``: not looked for at ingest (the engine indexes them on first use)."""

    def embedding_texts(self) -> list[str]:
        return [draft.embedding_text for draft in self.drafts]


@dataclass(frozen=True)
class DocumentMaker:
    """Reads one file into a ``PreparedFile``. Holds no connection, so it is pickled to Ray workers as it is."""

    chunker: Chunker
    limits: ParseLimits
    ocr: OcrProcessor | None = None
    extra_metadata: Mapping[str, str] = field(default_factory=dict)
    entities: bool = True
    citations: Callable[[ParsedDocument], Sequence[CitationMention]] | None = None

    def __call__(
        self, path: Path, parse: ParseRunner = parse_here, on_ocr_page: OcrProgress | None = None
    ) -> PreparedFile:
        parsed = parse(path, self.limits)
        if self.ocr is not None:
            parsed = self.ocr(path, parsed, on_ocr_page)
        parsed = court_structure(path, parsed, self.extra_metadata)
        drafts = self.chunker.chunk(parsed)
        mentions = extract_entities(parsed.pages) if self.entities else []
        citations = list(self.citations(parsed)) if self.citations is not None else None
        return PreparedFile(parsed, drafts, mentions, citations)

    def can_ocr(self) -> bool:
        return self.ocr is not None and self.ocr.available()
