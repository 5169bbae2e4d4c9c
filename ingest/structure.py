"""Page processors that run between parsing and chunking: OCR, then court-document structure.

A processor takes ``(path, parsed, progress)`` and returns the document to chunk. Both keep page
texts exact: OCR replaces an unreadable page's text wholesale (and says so on the page), and
stamps and running heads become ``skip_spans`` that chunks are cut around, never rewritten.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from ingest.caption import case_caption, letter_case_name
from ingest.court import docket_metadata, find_skip_spans, page_label, primary_stamp
from ingest.ocr import OcrFailed, ocr_pages, page_needs_ocr, tesseract_available
from ingest.titles import TitleChoice, TitleSource, choose_title, document_heading, is_file_name_title, is_generic_title
from service.domain import ParsedDocument, ParsedPage, TextSource
from service.settings import OcrSettings

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
                    )
                )
            else:  # a blank page: nothing to read, nothing more to do
                pages.append(dataclasses.replace(page, needs_ocr=False, text_source=TextSource.OCR, ocr_confidence=0.0))
        return dataclasses.replace(parsed, pages=tuple(pages))


def _flag(parsed: ParsedDocument, numbers: list[int]) -> ParsedDocument:
    wanted = set(numbers)
    pages = tuple(dataclasses.replace(p, needs_ocr=True) if p.number in wanted else p for p in parsed.pages)
    return dataclasses.replace(parsed, pages=pages)


def court_structure(
    path: Path, parsed: ParsedDocument, extra_metadata: Mapping[str, str] | None = None
) -> ParsedDocument:
    """Skip spans for stamps and running heads, page labels, docket metadata, the case name and the title.

    Metadata precedence: what the user gave (``--meta``) over what the docket text says over
    what the file's own properties say. The case name from the caption (or a letter's "Re:" line)
    goes into ``case_name``. When the title says nothing specific (a court's name, a stamp, a file
    name, a date, ...), ``ingest.titles.choose_title`` picks a better one ("Order — In re Smith") and
    the replaced title stays in ``heading``.
    """
    texts = [page.text for page in parsed.pages]
    skip_spans = find_skip_spans(texts)
    pages = tuple(
        dataclasses.replace(
            page,
            skip_spans=tuple(spans),
            label=page_label(page.text, page.number, primary_stamp(page.text)),
        )
        for page, spans in zip(parsed.pages, skip_spans, strict=True)
    )
    docket = docket_metadata(texts, path.name)
    case_name = case_caption(texts) or letter_case_name(texts[0] if texts else "")
    if case_name is not None:
        docket["case_name"] = case_name
    metadata = {**parsed.metadata, **docket, **(extra_metadata or {})}
    title = court_title(path, parsed, metadata).title
    if title != parsed.title and parsed.title:
        metadata.setdefault("heading", parsed.title)
    return dataclasses.replace(parsed, pages=pages, metadata=metadata, title=title)


def court_title(path: Path, parsed: ParsedDocument, metadata: Mapping[str, str]) -> TitleChoice:
    """The title ``court_structure`` gives a parsed document with this metadata, and its source.

    Only a court document (one with a case name, case number or court) is titled by its heading or
    docket: a lease titled "Harbor Lease" is not a filing whose heading would say more. Any other
    document titled by a file name ("scan_0001.tmp") gets that name made readable."""
    case_name = metadata.get("case_name")
    if not (case_name or metadata.get("case_number") or metadata.get("court")):
        if parsed.title and is_file_name_title(parsed.title):
            return choose_title(parsed.title, case_name=None, heading=None, metadata={}, file_name=path.name)
        source = TitleSource.GENERIC if is_generic_title(parsed.title) else TitleSource.KEPT
        return TitleChoice(parsed.title, source)
    first_page = parsed.pages[0].text if parsed.pages else ""
    heading = document_heading(first_page)
    if heading is None and case_name is not None and case_name == letter_case_name(first_page):
        heading = "Letter"
    return choose_title(parsed.title, case_name=case_name, heading=heading, metadata=metadata, file_name=path.name)
