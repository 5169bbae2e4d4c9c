"""The OCR step between parsing and chunking: every PDF page whose text layer is missing or useless is read
with Tesseract (``ingest.ocr.tesseract``), page by page, in parallel.

OCR keeps page texts exact: it replaces an unreadable page's text wholesale, and says so on the page.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path

from ingest.ocr.tesseract import OcrFailed, ocr_pages, page_needs_ocr, tesseract_available
from service.core.domain import ParsedDocument, ParsedPage, TextSource
from service.core.settings import OcrSettings

log = logging.getLogger("docqa.ingest")

OcrProgress = Callable[[], None]
"""Called once per page OCR'd (the CLI's progress bar counts them)."""


def pages_to_ocr(parsed: ParsedDocument) -> list[int]:
    """Pages with no text layer, or one that holds nothing but a stamp or garbage."""
    return [page.number for page in parsed.pages if page.needs_ocr or page_needs_ocr(page.text)]


class OcrProcessor:
    """OCR every PDF page whose text layer is missing or useless, page by page, in parallel."""

    def __init__(self, settings: OcrSettings) -> None:
        self.settings = settings

    def available(self) -> bool:
        return self.settings.enabled and tesseract_available()

    def __call__(self, path: Path, parsed: ParsedDocument, on_page: OcrProgress | None = None) -> ParsedDocument:
        if parsed.media_type != "application/pdf":
            return parsed
        wanted = pages_to_ocr(parsed)
        if not wanted:
            return parsed
        if not self.available():
            return _flag(parsed, wanted)  # stored as they are, flagged, and OCR'd on a later ingest
        try:
            results = ocr_pages(path, wanted, self.settings, (lambda _number: on_page()) if on_page else None)
        except OcrFailed as error:
            log.warning("%s", error.message)
            flagged = _flag(parsed, wanted)
            return dataclasses.replace(flagged, metadata={**flagged.metadata, "ocr_error": error.message})
        pages: list[ParsedPage] = []
        for page in parsed.pages:
            result = results.get(page.number)
            if result is None:
                pages.append(page)
            elif result.text.strip():
                pages.append(
                    dataclasses.replace(
                        page,
                        text=result.text,
                        needs_ocr=False,
                        text_source=TextSource.OCR,
                        ocr_confidence=round(result.confidence, 4),
                        ocr_words=result.words,
                    )
                )
            else:  # a blank page: nothing to read, nothing more to do
                pages.append(dataclasses.replace(page, needs_ocr=False, text_source=TextSource.OCR, ocr_confidence=0.0))
        return dataclasses.replace(parsed, pages=tuple(pages))


def _flag(parsed: ParsedDocument, numbers: list[int]) -> ParsedDocument:
    wanted = set(numbers)
    pages = tuple(dataclasses.replace(p, needs_ocr=True) if p.number in wanted else p for p in parsed.pages)
    return dataclasses.replace(parsed, pages=pages)
