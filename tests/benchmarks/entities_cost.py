"""What the entity index costs at ingest, on the court filings.

    PYTHONPATH=. .venv/bin/python tests/benchmarks/entities_cost.py [FOLDER] [--ingest N]

Parses every PDF of FOLDER (default /work/shared/data/court-filings) as ingest does (pypdfium2, then the court
structure: running heads and stamps), then times ``extract_entities`` over all pages (model load reported apart):
pages/s and characters/s, mentions per type. With ``--ingest N`` it also ingests the first N files into two fresh
stores, entity index off and on (the shipped embedder), and prints both times and the ratio.
"""

from __future__ import annotations

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


def ingest_times(folder: Path, count: int) -> tuple[float, float]:
    """Seconds to ingest the first ``count`` files with the entity index off, then on (fresh stores)."""
    from service.components import Components
    from service.core.settings import Settings

    files = sorted(folder.glob("*.pdf"))[:count]
    seconds = []
    for entities in (False, True):
        with tempfile.TemporaryDirectory() as root:
            source = Path(root) / "in"
            source.mkdir()
            for path in files:
                (source / path.name).symlink_to(path)
            groups: dict[str, object] = {"ingest": {"entities": entities}, "ocr": {"enabled": False}}
            settings = Settings.model_validate({"data_dir": Path(root) / "data", **groups})
            parts = Components(settings)
            parts.embedder.embed_documents(["warm up"])
            started = time.perf_counter()
            summary = parts.pipeline("bench").ingest([source])
            seconds.append(time.perf_counter() - started)
            pages = sum(result.pages or 0 for result in summary.files)
            stored = len(parts.store.mentions("bench"))
            print(f"entities {'on' if entities else 'off'}: {pages} pages, {stored} mentions, {seconds[-1]:.1f} s")
            parts.close()
    return seconds[0], seconds[1]


def main() -> None:
    args = sys.argv[1:]
    count = 0
    if "--ingest" in args:
        at = args.index("--ingest")
        count = int(args[at + 1])
        del args[at : at + 2]
    folder = Path(args[0]) if args else DEFAULT_FOLDER
    documents = parse_all(folder)
    pages = [page for document in documents for page in document.pages]
    characters = sum(len(page.text) for page in pages)
    started = time.perf_counter()
    _nlp()
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    mentions = [mention for document in documents for mention in extract_entities(document.pages)]
    seconds = time.perf_counter() - started
    print(f"{len(documents)} documents, {len(pages)} pages, {characters:,} characters; model load {loaded:.2f} s")
    print(f"extract_entities: {seconds:.1f} s, {len(pages) / seconds:.1f} pages/s, {characters / seconds:,.0f} chars/s")
    print(
        f"{len(mentions)} mentions: "
        + ", ".join(f"{k} {v}" for k, v in Counter(m.type for m in mentions).most_common())
    )
    if count:
        off, on = ingest_times(folder, count)
        print(f"ingest of {count} files: entities off {off:.1f} s, on {on:.1f} s: +{(on - off) / off:.0%}")


if __name__ == "__main__":
    main()
