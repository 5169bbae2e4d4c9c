"""Titles of court filings before and after title choice: one row per PDF, for reading by eye.

    PYTHONPATH=. .venv/bin/python tests/benchmarks/court_titles.py [FOLDER]   (default /work/shared/data/court-filings)

Prints file, old title (the PDF's metadata title or first line), new title, where the new title came
from and the case name, then counts per source. Reads text layers only (no OCR), as ``docqa ingest``
does without Tesseract.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from ingest.legal.structure import court_structure, court_title
from ingest.legal.titles import TitleSource, is_generic_title
from ingest.parsers.pdf import parse_pdf

DEFAULT_FOLDER = Path("/work/shared/data/court-filings")


def main(folder: Path) -> None:
    sources: Counter[TitleSource] = Counter()
    generic_before = case_names = 0
    for path in sorted(folder.glob("*.pdf")):
        parsed = parse_pdf(path)
        structured = court_structure(path, parsed)
        source = court_title(path, parsed, structured.metadata).source
        case_name = structured.metadata.get("case_name")
        sources[source] += 1
        generic_before += is_generic_title(parsed.title)
        case_names += case_name is not None
        mark = "*" if structured.title != parsed.title else " "
        print(
            f"{mark} {path.name[:60]:60} | {str(parsed.title)[:50]:50} | {str(structured.title)[:90]:90} "
            f"| {source.value:9} | {case_name}"
        )
    total = sum(sources.values())
    counts = ", ".join(f"{sources[source]} {source.value}" for source in TitleSource)
    print(f"\n{total} files, {generic_before} with a generic title before, {case_names} with a case name: {counts}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FOLDER)
