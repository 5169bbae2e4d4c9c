"""PDF: one text per page through pdfium (about 11 times faster than pypdf here, same text).

Pages without a text layer are kept as empty pages flagged ``needs_ocr`` so that they are
never silently lost; OCR fills them in later.
"""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium

from ingest.parsers.errors import ParseError
from ingest.parsers.limits import DEFAULT_LIMITS, ParseLimits
from ingest.pdfium_lock import pdfium_serialised
from service.core.domain import ParsedDocument, ParsedPage, TextSource

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\ufffe\uffff]")


def normalise_page_text(raw: str) -> str:
    """pdfium ends lines with CRLF and may emit control characters (check boxes); keep plain text."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub(" ", text)


PDFIUM_REASONS = {
    # pdfium's FPDF_ERR_* codes (pypdfium2's PdfiumError.err_code), as a user can act on them
    1: "docqa could not read the PDF (an unknown pdfium error); it may be truncated or corrupt — "
    "re-export or re-download it",
    2: "the file could not be opened for reading; check that it is still there and readable",
    3: "not a readable PDF: the file is not a PDF, or is truncated or corrupt — re-export or re-download it",
    4: "the PDF is password-protected; remove the password (e.g. qpdf --decrypt) and ingest again",
    5: "the PDF is encrypted with a scheme docqa cannot open; save an unencrypted copy and ingest that",
    6: "a page of the PDF is damaged; re-export or re-download it",
}
"""What each pdfium error means for the user. Its own words ("Failed to load document (PDFium: Data format
error)") never reach a user: they say what failed inside the library, not what to do."""


def _reason(path: Path, error: pdfium.PdfiumError) -> str:
    """One line naming the file and what to do, translated from pdfium's error code."""
    code = error.err_code if isinstance(error.err_code, int) else 1
    return f"{path.name}: {PDFIUM_REASONS.get(code, PDFIUM_REASONS[1])}"


@pdfium_serialised
def parse_pdf(path: Path, limits: ParseLimits = DEFAULT_LIMITS) -> ParsedDocument:
    """Every page's text layer, in order; pages with no text are flagged ``needs_ocr``."""
    budget = limits.start(path)
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as error:
        raise ParseError(_reason(path, error)) from error
    try:
        if len(document) == 0:
            raise ParseError(f"{path.name}: the PDF has no pages")
        budget.check_pages(len(document))
        pages: list[ParsedPage] = []
        for index in range(len(document)):
            page = document[index]
            try:
                textpage = page.get_textpage()
                text = normalise_page_text(textpage.get_text_range())
                textpage.close()
            finally:
                page.close()
            budget.add_text(len(text))
            if text.strip():
                pages.append(ParsedPage(index + 1, text))
            else:
                pages.append(ParsedPage(index + 1, "", needs_ocr=True, text_source=TextSource.NONE))
        metadata = {key.lower(): value for key, value in document.get_metadata_dict(skip_empty=True).items()}
    finally:
        document.close()
    title = str(metadata.pop("title", "")).strip() or _first_line(pages)
    kept = {key: metadata[key] for key in ("author", "subject", "creationdate") if key in metadata}
    return ParsedDocument(media_type="application/pdf", pages=tuple(pages), title=title, metadata=kept)


def _first_line(pages: list[ParsedPage]) -> str | None:
    for page in pages:
        for line in page.text.splitlines():
            if len(stripped := " ".join(line.split())) >= 3:
                return stripped[:200]
    return None
