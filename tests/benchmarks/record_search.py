"""Searching the whole record: query time on >= 10,000 pages (SQLite and PostgreSQL), and what the page-word
index and the citation index add to ingestion.

    PYTHONPATH=. .venv/bin/python tests/benchmarks/record_search.py [--pages 10000] [--repeat 15]
        [--ingest-folder /work/shared/data/court-filings] [--folders DIR ...] [--databases sqlite postgresql]
        [--analyze]

1. **Ingest cost.** Ingests the court filings end to end (parse, OCR off, chunk, embed, store) into a fresh
   SQLite store with the real pipeline, timing the two additions inside it: writing the pages' words to
   FTS5 and their positions to ``page_positions`` (``SqlRecordIndex.add_pages``) and finding the citations
   (eyecite). Reports each as a share of the whole ingest.
2. **Query time.** Parses the PDFs of ``--folders`` (default: the court filings and contracts-pdf) once,
   stores copies of them (no chunks, no vectors: the record search reads pages only) until the collection
   holds ``--pages`` pages, on SQLite and on a fresh PostgreSQL database, and times exhaustive searches
   (every hit found, counted and paged) and a 50-query search-term report, ``--repeat`` times each: p50
   and p90 in ms, with the hit counts, which must be equal on both databases.
"""

from __future__ import annotations

import argparse
import functools
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text

from ingest.parsers import parser_for
from service.backends.sql.record_index import SqlRecordIndex
from service.backends.sql.store import SqlDocumentStore, make_engine
from service.components import Components
from service.core.domain import FileFacts, ParsedDocument
from service.engine.evaluation.retrieval import percentile
from service.engine.record import citing
from service.engine.record.search import RecordSearch
from tests.support.databases import fresh_database, make_settings

SHARED = Path("/work/shared/data")
COLLECTION = "record"
QUERIES = {
    "word": "court",
    "phrase": '"motion to dismiss"',
    "prefix": "negligen*",
    "proximity": "settlement w/10 agreement",
    "proximity, ordered": "breach pre/5 contract",
    "proximity, rare": "jurisdiction w/5 appellate",
    "Boolean": "(indemnify OR indemnification) AND NOT lease",
}
REPORT_TERMS = [
    "agreement", "court", "plaintiff", "defendant", "motion", "order", "judgment", "appeal*", "contract",
    "breach", "damages", "negligen*", "settlement", "indemnif*", "warrant*", "termination", "notice",
    "confidential*", "jurisdiction", "venue", "arbitration", "governing w/3 law", "force w/1 majeure",
    '"summary judgment"', '"motion to dismiss"', '"due process"', '"in witness whereof"', "bankrupt*",
    "debtor", "creditor", "trustee", "discharge", "injunction", "attorney*", "fees w/5 costs", "statute",
    "limitations", "evidence", "witness", "testimony", "exhibit", "affidavit", "declaration", "hearing",
    "remand", "affirm*", "reverse*", "vacate*", "dismiss*", "sanction*",
]  # fmt: skip


def cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def timed(function: Callable[..., Any], totals: dict[str, float], name: str) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - started

    return wrapper


def ingest_cost(folder: Path, work: Path, models: Path) -> None:
    """One real ingest into SQLite, timing the page-word index and the citations inside it."""
    totals: dict[str, float] = {}
    original_add = SqlRecordIndex.add_pages
    original_find = citing.find_citations
    SqlRecordIndex.add_pages = timed(original_add, totals, "page words")  # type: ignore[method-assign]
    citing.find_citations = timed(original_find, totals, "citations")  # type: ignore[assignment]
    import service.components as components_module

    try:
        components_module.find_citations = citing.find_citations  # type: ignore[attr-defined]
        work.mkdir(parents=True, exist_ok=True)
        settings = make_settings(work / "data", f"sqlite:///{work / 'ingest.db'}", models)
        parts = Components(settings)
        started = time.perf_counter()
        summary = parts.pipeline(COLLECTION).ingest([folder])
        wall = time.perf_counter() - started
        pages = sum(result.pages or 0 for result in summary.files)
        parts.close()
    finally:
        SqlRecordIndex.add_pages = original_add  # type: ignore[method-assign]
        citing.find_citations = original_find
        components_module.find_citations = original_find  # type: ignore[attr-defined]
    print(f"\n## Ingest cost: {folder} ({len(summary.files)} files, {pages} pages), SQLite, {cpu()}\n")
    print("| part | s | share of ingest |\n|---|---|---|")
    print(f"| whole ingest (parse, chunk, embed, store) | {wall:.1f} | 100 % |")
    for name in ("page words", "citations"):
        print(f"| {name} | {totals.get(name, 0):.2f} | {100 * totals.get(name, 0) / wall:.1f} % |")
    both = totals.get("page words", 0) + totals.get("citations", 0)
    print(f"| both | {both:.2f} | {100 * both / wall:.1f} % |")


def parsed_documents(folders: list[Path]) -> list[tuple[str, ParsedDocument]]:
    documents = []
    for folder in folders:
        for path in sorted(folder.glob("*.pdf")):
            parser = parser_for(path)
            if parser is None:
                continue
            try:
                parsed = parser(path)
            except Exception as error:  # a broken test file: left out, as ingest would
                print(f"skipped {path.name}: {error}", file=sys.stderr)
                continue
            if any(page.text.strip() for page in parsed.pages):
                documents.append((f"{folder.name}/{path.name}", parsed))
    return documents


def fill(store: SqlDocumentStore, documents: list[tuple[str, ParsedDocument]], pages: int) -> tuple[int, float]:
    """Store copies of ``documents`` until ``pages`` pages; returns the pages stored and the seconds."""
    stored, copy, started = 0, 0, time.perf_counter()
    no_vectors = np.zeros((0, 4), dtype=np.float32)
    while stored < pages:
        for source, parsed in documents:
            facts = FileFacts(f"copy{copy:03d}/{source}", f"{copy:064d}", 1, 1)
            store.replace_document(COLLECTION, facts, parsed, [], no_vectors)
            stored += len(parsed.pages)
            if stored >= pages:
                break
        copy += 1
    return stored, time.perf_counter() - started


def measure(function: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    result = function()  # warm: first reads from disk
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(1000 * (time.perf_counter() - started))
    return times, result


def databases(work: Path, kinds: list[str]) -> Iterator[tuple[str, str]]:
    for kind in kinds:
        (work / kind).mkdir(exist_ok=True)
        with fresh_database(kind, work / kind) as url:
            yield kind, url


def query_times(
    documents: list[tuple[str, ParsedDocument]], pages: int, repeat: int, work: Path, kinds: list[str], analyze: bool
) -> None:
    rows: dict[str, dict[str, tuple[float, float, int]]] = {}
    for kind, url in databases(work, kinds):
        store = SqlDocumentStore(make_engine(url))
        store.create_schema()
        stored, seconds = fill(store, documents, pages)
        if analyze:  # what PostgreSQL's autovacuum does within a minute of a large ingest (SQLite never does)
            with store.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        search = RecordSearch(lambda store=store: store.record_index)  # type: ignore[misc]
        print(f"{kind}: stored {stored} pages in {seconds:.1f} s", file=sys.stderr)
        rows[kind] = {}
        for name, query in QUERIES.items():
            times, result = measure(functools.partial(search.search, COLLECTION, query, limit=100), repeat)
            rows[kind][name] = (statistics.median(times), percentile(times, 0.9), result.total)
        terms = "\n".join(REPORT_TERMS)
        times, report = measure(functools.partial(search.term_report, COLLECTION, terms), max(3, repeat // 5))
        rows[kind]["50-query report"] = (
            statistics.median(times),
            percentile(times, 0.9),
            sum(t.total_hits for t in report.report.terms),
        )
        store.close()
    print(f"\n## Query time: {stored} pages, {cpu()}\n")
    titles = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    print("| query | hits | " + " | ".join(f"{titles[k]} p50 ms | {titles[k]} p90 ms" for k in kinds) + " |")
    print("|---|---|" + "---|---|" * len(kinds))
    for name in [*QUERIES, "50-query report"]:
        measured = [rows[kind][name] for kind in kinds]
        shown = QUERIES.get(name, f"{len(REPORT_TERMS)} queries")
        same = "" if len({hits for *_, hits in measured}) == 1 else f" ({[hits for *_, hits in measured]}!)"
        times = " | ".join(f"{p50:.1f} | {p90:.1f}" for p50, p90, _ in measured)
        print(f"| {name}: `{shown}` | {measured[0][2]:,}{same} | {times} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--ingest-folder", type=Path, default=SHARED / "court-filings")
    parser.add_argument("--folders", type=Path, nargs="+", default=[SHARED / "court-filings", SHARED / "contracts-pdf"])
    parser.add_argument("--skip-ingest", action="store_true", help="Only the query times.")
    parser.add_argument("--analyze", action="store_true", help="ANALYZE the database after storing the pages.")
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    parser.add_argument("--models", type=Path, default=Path(".cache/models"), help="The exported-model cache.")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        if not arguments.skip_ingest:
            ingest_cost(arguments.ingest_folder, work / "ingest", arguments.models)
        documents = parsed_documents(arguments.folders)
        print(f"parsed {len(documents)} documents", file=sys.stderr)
        query_times(documents, arguments.pages, arguments.repeat, work, arguments.databases, arguments.analyze)


if __name__ == "__main__":
    main()
