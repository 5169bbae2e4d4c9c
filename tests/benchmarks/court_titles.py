"""Titles of court filings before and after caption parsing: one row per PDF, for reading by eye.

    .venv/bin/python tests/benchmarks/court_titles.py [FOLDER]   (default /work/shared/data/court-filings)

Prints file, old title (the PDF's metadata title or first line), new title and the case name,
then counts. Reads text layers only (no OCR), as ``docqa ingest`` does without Tesseract.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ingest.caption import case_caption, is_generic_title
from ingest.parsers.pdf import parse_pdf
from ingest.structure import court_structure

DEFAULT_FOLDER = Path("/work/shared/data/court-filings")


def main(folder: Path) -> None:
    captioned = kept = named_only = none = 0
    for path in sorted(folder.glob("*.pdf")):
        parsed = parse_pdf(path)
        structured = court_structure(path, parsed)
        case_name = case_caption([page.text for page in parsed.pages])
        changed = structured.title != parsed.title
        if changed:
            captioned += 1
        elif case_name is not None:
            named_only += 1
        elif is_generic_title(parsed.title):
            none += 1
        else:
            kept += 1
        mark = "*" if changed else " "
        print(
            f"{mark} {path.name[:70]:70} | {str(parsed.title)[:60]:60} | {str(structured.title)[:70]:70} | {case_name}"
        )
    total = captioned + kept + named_only + none
    print(
        f"\n{total} files: {captioned} titled by their caption, {named_only} keep a specific title "
        f"(case name in metadata), {kept} keep a specific title (no caption), {none} keep a generic title (no caption)"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FOLDER)
