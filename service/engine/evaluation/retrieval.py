"""``docqa eval``: a LegalBench-RAG-style retrieval benchmark run through docqa's own pipeline and retriever.

A benchmark folder holds ``corpus/`` (the documents) and query files
``{"tests": [{"query", "snippets": [{"file_path", "span": [start, end]}]}]}`` whose ``file_path`` is
relative to ``corpus/`` and whose spans are half-open character offsets into the file's text.
The corpus is ingested into a collection with the normal pipeline, every query goes through
``Retriever.search`` (the code behind ``/v1/search``), and the hits are scored by characters:

* precision@k = retrieved characters that overlap the ground truth / retrieved characters,
* recall@k = ground-truth characters covered by the retrieved hits / ground-truth characters,

with overlapping spans merged per file first (duplicates cannot count twice), per query, averaged per
query file; ``ALL`` is the equal-weight mean of the files (Pipitone & Houir Alami, 2024, arXiv:2408.10343).
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from service.core.errors import InvalidInput
from service.core.seams import DocumentStore, Embedder
from service.core.settings import Settings
from service.engine.retrieval.retriever import Retriever

if TYPE_CHECKING:
    from ingest.pipeline import IngestPipeline
    from service.core.ingestion import Progress
    from service.engine.answering.qa import QaEngine


class EvaluationParts(Protocol):
    """What an evaluation uses of ``service.components.Components``: it ingests, searches or asks, then closes."""

    settings: Settings

    @property
    def store(self) -> DocumentStore: ...

    @property
    def embedder(self) -> Embedder: ...

    @property
    def retriever(self) -> Retriever: ...

    @property
    def qa(self) -> QaEngine: ...

    def pipeline(self, collection: str) -> IngestPipeline: ...

    def close(self) -> None: ...


KS = (1, 2, 4, 8, 16, 32, 64)
"""The cut-offs reported."""

_BOM = "\ufeff"

Span = tuple[str, int, int]
"""``(file_path, char_start, char_end)``, half-open."""


@dataclass(frozen=True)
class BenchQuery:
    """One benchmark query and the spans that answer it."""

    query: str
    gold: tuple[Span, ...]


def load_queries(path: Path) -> list[BenchQuery]:
    """Read a query file; a malformed one is an ``InvalidInput`` naming the file and the entry."""
    try:
        tests = json.loads(path.read_text(encoding="utf-8"))["tests"]
        return [
            BenchQuery(
                str(test["query"]),
                tuple((str(s["file_path"]), int(s["span"][0]), int(s["span"][1])) for s in test["snippets"]),
            )
            for test in tests
        ]
    except OSError as error:
        raise InvalidInput(f"{path}: cannot read the query file ({error.strerror or error})") from error
    except (ValueError, KeyError, TypeError, IndexError) as error:
        raise InvalidInput(
            f"{path}: not a LegalBench-RAG query file ({type(error).__name__}: {error}); expected "
            '{"tests": [{"query": ..., "snippets": [{"file_path": ..., "span": [start, end]}]}]}'
        ) from error


def _merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _overlap(first: Sequence[tuple[int, int]], second: Sequence[tuple[int, int]]) -> int:
    """Total overlap of two merged, sorted interval lists."""
    i = j = total = 0
    while i < len(first) and j < len(second):
        start, end = max(first[i][0], second[j][0]), min(first[i][1], second[j][1])
        total += max(0, end - start)
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return total


def _by_file(spans: Iterable[Span]) -> dict[str, list[tuple[int, int]]]:
    grouped: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for file_path, start, end in spans:
        grouped[file_path].append((start, end))
    return {file_path: _merge(intervals) for file_path, intervals in grouped.items()}


def score_query(gold: Sequence[Span], retrieved: Sequence[Span], k: int) -> tuple[float, float]:
    """``(precision, recall)`` of the first ``k`` retrieved spans against ``gold``, by characters."""
    got = _by_file(retrieved[:k])
    wanted = _by_file(gold)
    retrieved_chars = sum(end - start for intervals in got.values() for start, end in intervals)
    gold_chars = sum(end - start for intervals in wanted.values() for start, end in intervals)
    hit = sum(_overlap(intervals, got.get(file_path, [])) for file_path, intervals in wanted.items())
    return (hit / retrieved_chars if retrieved_chars else 0.0, hit / gold_chars if gold_chars else 0.0)


def metric_table(results: Mapping[str, Sequence[tuple[Sequence[Span], Sequence[Span]]]]) -> dict[str, dict[str, float]]:
    """``{dataset: {"P@k": %, "R@k": %}}`` from ``(gold, retrieved)`` pairs per dataset, plus ``ALL``."""
    table: dict[str, dict[str, float]] = {}
    for dataset, rows in results.items():
        cells: dict[str, float] = {}
        for k in KS:
            scores = [score_query(gold, retrieved, k) for gold, retrieved in rows] or [(0.0, 0.0)]
            cells[f"P@{k}"] = 100 * statistics.fmean(p for p, _ in scores)
            cells[f"R@{k}"] = 100 * statistics.fmean(r for _, r in scores)
        table[dataset] = cells
    if table:
        names = list(table)
        table["ALL"] = {cell: statistics.fmean(table[name][cell] for name in names) for cell in table[names[0]]}
    return table


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` in [0, 1]) of ``values``; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


@dataclass(frozen=True)
class IngestedCorpus:
    """A benchmark's documents as ingested into their collection: what both evaluations report of them."""

    documents: int = 0
    chunks: int = 0
    seconds: float = 0.0
    unchanged: int = 0
    """Files skipped because a previous run (the same ``--data-dir``) had ingested them unchanged."""
    failed: tuple[str, ...] = ()
    """Errors of the files that could not be ingested (an unsupported ``INDEX.csv``, a broken PDF)."""
    settings: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "chunks": self.chunks,
            "ingest_seconds": round(self.seconds, 1),
            "unchanged_files": self.unchanged,
            "not_ingested": list(self.failed),
            "settings": self.settings,
        }


def ingest_corpus(
    parts: EvaluationParts, settings: Settings, corpus: Path, collection: str, progress: Progress | None = None
) -> IngestedCorpus:
    """Ingest ``corpus`` into ``collection`` incrementally (an unchanged file is skipped, a vanished one pruned)."""
    summary = parts.pipeline(collection).ingest([corpus], prune=True, progress=progress)
    return IngestedCorpus(
        documents=len(parts.store.sources(collection)),
        chunks=len(parts.store.chunk_ids(collection)),
        seconds=summary.seconds,
        unchanged=summary.count("unchanged"),
        failed=tuple(str(result.error) for result in summary.files if result.outcome == "failed"),
        settings={
            "chunking": settings.chunking.model_dump(mode="json"),
            "retrieval": settings.retrieval.model_dump(mode="json"),
            "embedder": parts.embedder.id,
        },
    )


class TimedReport:
    """A report's latency percentiles, nearest rank, over its ``latency_ms``."""

    @property
    def latency_ms(self) -> list[float]:
        raise NotImplementedError

    @property
    def p50_ms(self) -> float:
        return percentile(self.latency_ms, 0.5)

    @property
    def p95_ms(self) -> float:
        return percentile(self.latency_ms, 0.95)


@dataclass
class EvalReport(TimedReport):
    """What ``docqa eval`` prints and writes."""

    table: dict[str, dict[str, float]]
    queries: dict[str, int]
    search_ms: list[float] = field(repr=False)
    corpus: IngestedCorpus = field(default_factory=IngestedCorpus)

    @property
    def latency_ms(self) -> list[float]:
        return self.search_ms

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": {name: {cell: round(value, 2) for cell, value in row.items()} for name, row in self.table.items()},
            "queries": self.queries,
            "search_p50_ms": round(self.p50_ms, 2),
            "search_p95_ms": round(self.p95_ms, 2),
            **self.corpus.as_dict(),
        }

    def markdown(self) -> str:
        """The table as Markdown: one row per query file and ALL, P@k then R@k, in %."""
        cells = [f"P@{k}" for k in KS] + [f"R@{k}" for k in KS]
        lines = ["| queries | " + " | ".join(cells) + " |", "|---" * (len(cells) + 1) + "|"]
        for name, row in self.table.items():
            lines.append(f"| {name} | " + " | ".join(f"{row[cell]:.2f}" for cell in cells) + " |")
        return "\n".join(lines)


def _bom_shift(corpus: Path, file_path: str) -> int:
    """1 when the file starts with a UTF-8 byte-order mark: benchmark offsets count it, docqa's text drops it."""
    try:
        with open(corpus / file_path, encoding="utf-8", errors="replace") as handle:
            return 1 if handle.read(1) == _BOM else 0
    except OSError:
        return 0


def run_queries(
    retriever: Retriever,
    collection: str,
    corpus: Path,
    query_files: Sequence[Path],
    k: int = max(KS),
    progress: Callable[[int], None] | None = None,
) -> EvalReport:
    """Search every query of ``query_files`` in ``collection`` and score the hits against the spans."""
    benches = {path.stem: load_queries(path) for path in query_files}
    if len(benches) != len(query_files):
        raise InvalidInput("query files must have distinct names: the table has one row per file name")
    shifts: dict[str, int] = {}
    latency: list[float] = []
    first = next((queries[0].query for queries in benches.values() if queries), None)
    if first is not None:
        retriever.search(first, collection, k)  # warm-up, not timed: lazy index builds and first-call costs
    results: dict[str, list[tuple[Sequence[Span], Sequence[Span]]]] = {}
    for name, queries in benches.items():
        rows: list[tuple[Sequence[Span], Sequence[Span]]] = []
        for query in queries:
            started = time.perf_counter()
            hits = retriever.search(query.query, collection, k)
            latency.append(1000 * (time.perf_counter() - started))
            retrieved: list[Span] = []
            for hit in hits:
                shift = shifts.setdefault(hit.source, _bom_shift(corpus, hit.source))
                retrieved.append((hit.source, hit.char_start + shift, hit.char_end + shift))
            rows.append((query.gold, retrieved))
            if progress is not None:
                progress(1)
        results[name] = rows
    return EvalReport(
        table=metric_table(results),
        queries={name: len(queries) for name, queries in benches.items()},
        search_ms=latency,
    )


def evaluation_settings(settings: Settings, data_dir: Path) -> Settings:
    """``settings`` with a scratch data folder and SQLite database there; the model cache stays shared."""
    cache_dir = settings.embedding.cache_dir or settings.data_dir / "models"
    return settings.model_copy(
        update={
            "data_dir": data_dir,
            "database_url": None,
            "embedding": settings.embedding.model_copy(update={"cache_dir": cache_dir}),
        }
    )


def evaluate(
    parts: EvaluationParts,
    bench_dir: Path,
    query_files: Sequence[Path],
    collection: str = "eval",
    ingest_progress: Progress | None = None,
    query_progress: Callable[[int], None] | None = None,
) -> EvalReport:
    """Ingest ``bench_dir/corpus`` into ``collection`` (incrementally: an unchanged file is skipped), then
    run and score every query, then close ``parts``. Its settings should point at a scratch data folder
    (``evaluation_settings``)."""
    settings = parts.settings

    corpus = bench_dir / "corpus"
    if not corpus.is_dir():
        raise InvalidInput(f"{bench_dir}: no corpus/ folder; a benchmark folder holds corpus/ and its query files")
    for path in query_files:
        if not path.is_file():
            raise InvalidInput(f"{path}: no such query file")
    try:
        ingested = ingest_corpus(parts, settings, corpus, collection, ingest_progress)
        if ingested.failed:
            failed = ingested.failed
            raise InvalidInput(f"{len(failed)} corpus files could not be ingested, e.g. {failed[0]}")
        report = run_queries(parts.retriever, collection, corpus, query_files, progress=query_progress)
        report.corpus = ingested
        return report
    finally:
        parts.close()
