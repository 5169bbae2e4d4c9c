"""Measure OCR throughput (pages/s) on the image-only pages of the shared court filings.

Run from the repository root:  .venv/bin/python tests/benchmarks/ocr_speed.py [--workers 2] [--dpi 300]
It reads /work/shared/data/court-filings/INDEX.csv, takes every file whose ``text_layer`` column says
image-only (``--low-text`` adds the scans whose text layer is only an ECF stamp), OCRs those pages with
``ingest.ocr.ocr_pages`` and prints per-file and overall pages/s with the mean confidence.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import pypdfium2 as pdfium

from ingest.ocr.tesseract import ocr_pages, page_needs_ocr
from service.core.settings import OcrSettings

FILINGS = Path("/work/shared/data/court-filings")


def selected_files(low_text: bool) -> list[Path]:
    with (FILINGS / "INDEX.csv").open(newline="", encoding="utf-8") as index:
        rows = [row for row in csv.DictReader(index) if row["status"] == "included"]
    wanted = ("image-only", "low-text") if low_text else ("image-only",)
    return [FILINGS / row["file"] for row in rows if row["text_layer"].startswith(wanted)]


def pages_to_ocr(path: Path) -> list[int]:
    document = pdfium.PdfDocument(path)
    try:
        texts = [document[index].get_textpage().get_text_range() for index in range(len(document))]
    finally:
        document.close()
    return [number for number, text in enumerate(texts, start=1) if page_needs_ocr(text.replace("\r\n", "\n"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dpi", type=int, default=300)
    parser.add_argument("--low-text", action="store_true", help="also OCR stamp-only scans")
    args = parser.parse_args()
    settings = OcrSettings(workers=args.workers, dpi=args.dpi)
    total_pages, total_seconds, confidences = 0, 0.0, []
    for path in selected_files(args.low_text):
        numbers = pages_to_ocr(path)
        started = time.perf_counter()
        results = ocr_pages(path, numbers, settings)
        seconds = time.perf_counter() - started
        total_pages += len(results)
        total_seconds += seconds
        confidences.extend(result.confidence for result in results.values())
        print(f"{path.name}: {len(results)} pages in {seconds:.1f} s ({len(results) / seconds:.3f} pages/s)")
    mean_confidence = sum(confidences) / len(confidences) if confidences else 0.0
    print(
        f"total: {total_pages} pages in {total_seconds:.1f} s = {total_pages / total_seconds:.3f} pages/s "
        f"with {args.workers} workers at {args.dpi} dpi; mean confidence {mean_confidence:.3f}"
    )


if __name__ == "__main__":
    main()
