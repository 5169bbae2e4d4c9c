"""A batch ingest from the command line (``docqa ingest``, ``docqa serve --ingest``): the pipeline over files
and folders, then every document change recorded in the audit log, in one call."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ingest.pipeline import IngestPipeline
from service.core.ingestion import IngestSummary, Progress
from service.engine.audit import Audit


class BatchIngest:
    """Files and folders into one collection, audited like uploads are (unchanged files are no changes)."""

    def __init__(self, pipeline: IngestPipeline, audit: Audit) -> None:
        self._pipeline = pipeline
        self._audit = audit

    def run(self, paths: Sequence[Path], *, prune: bool = False, progress: Progress | None = None) -> IngestSummary:
        """Ingest ``paths`` (with ``prune``, delete the documents whose files are gone from under them) and audit
        every new, changed, failed and removed document of the batch."""
        summary = self._pipeline.ingest(paths, prune=prune, progress=progress)
        self._audit.ingested(summary)
        return summary
