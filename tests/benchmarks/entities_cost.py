"""What the entity index costs at ingest, on the court filings.

    PYTHONPATH=. .venv/bin/python tests/benchmarks/entities_cost.py [FOLDER] [--ingest N] [--rounds R]

Parses every PDF of FOLDER (default /work/shared/data/court-filings) as ingest does (pypdfium2, then the court
structure: running heads and stamps), then times ``extract_entities`` over all pages (model load reported apart):
wall and CPU seconds (``time.process_time``, less moved by other processes on a shared machine), pages/s and
characters/s, mentions per type. With ``--ingest N`` it also ingests the first N files into fresh stores, R times
interleaved (default 2): bare (no entity index, no summaries), summaries alone, and entity index with summaries
(what ingest does), and prints each run's wall and CPU seconds, the medians, what the entity index and the
summaries add to the bare ingest, and the load average before and after.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from ingest.legal.entities import _nlp, extract_entities
from ingest.legal.structure import court_structure
from ingest.parsers import parser_for
from service.core.domain import ParsedDocument

DEFAULT_FOLDER = Path("/work/shared/data/court-filings")


def parse_all(folder: Path) -> list[ParsedDocument]:
    documents = []
    for path in sorted(folder.glob("*.pdf")):
        parser = parser_for(path)
        if parser is None:
            continue
        try:
            documents.append(court_structure(path, parser(path), {}))
        except Exception as error:  # a file ingest would record as failed
            print(f"skipped {path.name}: {error}", file=sys.stderr)
    return documents


def ingest_once(files: list[Path], entities: bool, summaries: bool = True) -> tuple[float, float]:
    """Wall and CPU seconds to ingest ``files`` into a fresh store, entity index and extractive summaries on or
    off."""
    from service.components import Components
    from service.core.settings import Settings

    with tempfile.TemporaryDirectory() as root:
        source = Path(root) / "in"
        source.mkdir()
        for path in files:
            (source / path.name).symlink_to(path)
        groups: dict[str, object] = {"ingest": {"entities": entities}, "ocr": {"enabled": False}}
        settings = Settings.model_validate({"data_dir": Path(root) / "data", **groups})
        parts = Components(settings)
        parts.embedder.embed_documents(["warm up"])
        started, cpu = time.perf_counter(), time.process_time()
        pipeline = parts.pipeline("bench")
        if not summaries:
            pipeline.summarise = None
        summary = pipeline.ingest([source])
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        pages = sum(result.pages or 0 for result in summary.files)
        stored = len(parts.store.mentions("bench"))
        state = f"entities {'on ' if entities else 'off'}, summaries {'on ' if summaries else 'off'}"
        print(f"{state}: {pages} pages, {stored} mentions, {seconds:.1f} s wall, {cpu:.1f} s CPU", flush=True)
        parts.close()
    return seconds, cpu


def ingest_times(folder: Path, count: int, rounds: int) -> None:
    """Ingest the first ``count`` files bare, with summaries, and with the entity index and summaries, ``rounds``
    times, interleaved (the machine's load moves between runs); the model is loaded before, as a server has it."""
    files = sorted(folder.glob("*.pdf"))[:count]
    variants = ((False, False), (False, True), (True, True))  # (entities, summaries)
    runs: dict[tuple[bool, bool], list[tuple[float, float]]] = {variant: [] for variant in variants}
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    for _ in range(rounds):
        for entities, summaries in variants:
            runs[(entities, summaries)].append(ingest_once(files, entities, summaries))
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    for column, label in ((0, "wall"), (1, "CPU")):
        bare, summarised, both = (statistics.median(run[column] for run in runs[variant]) for variant in variants)
        print(
            f"ingest of {count} files, median {label}: bare {bare:.1f} s, summaries {summarised:.1f} s "
            f"({(summarised - bare) / bare:+.1%}), entities and summaries {both:.1f} s ({(both - bare) / bare:+.1%})"
        )


def main() -> None:
    args = sys.argv[1:]
    count, rounds = 0, 2
    for flag in ("--ingest", "--rounds"):
        if flag in args:
            at = args.index(flag)
            value = int(args[at + 1])
            del args[at : at + 2]
            count, rounds = (value, rounds) if flag == "--ingest" else (count, value)
    folder = Path(args[0]) if args else DEFAULT_FOLDER
    documents = parse_all(folder)
    pages = [page for document in documents for page in document.pages]
    characters = sum(len(page.text) for page in pages)
    started = time.perf_counter()
    _nlp()
    loaded = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    mentions = [mention for document in documents for mention in extract_entities(document.pages)]
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"{len(documents)} documents, {len(pages)} pages, {characters:,} characters; model load {loaded:.2f} s")
    print(
        f"extract_entities: {seconds:.1f} s wall, {cpu:.1f} s CPU, {len(pages) / seconds:.1f} pages/s, "
        f"{characters / seconds:,.0f} chars/s (load average {os.getloadavg()[0]:.1f})"
    )
    print(
        f"{len(mentions)} mentions: "
        + ", ".join(f"{k} {v}" for k, v in Counter(m.type for m in mentions).most_common())
    )
    if count:
        ingest_times(folder, count, rounds)


if __name__ == "__main__":
    main()
