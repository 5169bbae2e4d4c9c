"""Page images and highlight boxes for the source viewer, rendered from the original PDF.

A text page's boxes come from pdfium's character boxes; an OCR'd page has no text layer to ask, so its boxes
are the word boxes Tesseract reported when it read the page (``PageRecord.ocr_words``).
"""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium

from ingest.pdfium_lock import pdfium_serialised
from service.core.domain import OcrWord
from service.core.errors import NotFound

Rect = tuple[float, float, float, float]
"""``(left, top, right, bottom)`` in PDF points, origin top-left."""


def _open(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError) as error:
        raise NotFound("the original PDF is no longer readable; the page text is still available") from error


@pdfium_serialised
def render_png(path: Path, page_number: int, width_px: int = 1100) -> bytes:
    """The page as a PNG about ``width_px`` wide."""
    document = _open(path)
    try:
        page = document[page_number - 1]
        scale = width_px / page.get_width()
        image = page.render(scale=scale).to_pil()
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=False)
        return buffer.getvalue()
    finally:
        document.close()


def _raw_indexes(raw: str) -> list[int]:
    """For each character of the normalised page text (CRLF and CR became LF), its index in pdfium's text."""
    indexes: list[int] = []
    position = 0
    while position < len(raw):
        indexes.append(position)
        position += 2 if raw.startswith("\r\n", position) else 1
    return indexes


@pdfium_serialised
def highlight_rects(
    path: Path, page_number: int, start: int, end: int
) -> tuple[float, float, list[tuple[float, float, float, float]]]:
    """``(width, height, rects)`` covering page-text characters ``[start, end)``; origin top-left, in points.

    pdfium merges the characters' boxes into one rectangle per line (per text run), as PDF viewers
    do when they highlight a selection; punctuation stays inside its line's rectangle.
    """
    document = _open(path)
    try:
        page = document[page_number - 1]
        width, height = page.get_size()
        textpage = page.get_textpage()
        raw = textpage.get_text_range()
        indexes = _raw_indexes(raw)
        start, end = max(start, 0), min(end, len(indexes))
        if start >= end:
            return width, height, []
        raw_start = indexes[start]
        raw_end = indexes[end] if end < len(indexes) else len(raw)
        rects: list[tuple[float, float, float, float]] = []
        for index in range(textpage.count_rects(raw_start, raw_end - raw_start)):
            left, bottom, right, top = textpage.get_rect(index)
            if right - left > 0 and top - bottom > 0:
                rects.append((left, height - top, right, height - bottom))
        return width, height, rects
    finally:
        document.close()


@pdfium_serialised
def page_size(path: Path, page_number: int) -> tuple[float, float]:
    """The page's width and height in points."""
    document = _open(path)
    try:
        width, height = document[page_number - 1].get_size()
        return width, height
    finally:
        document.close()


def ocr_highlight_rects(words: tuple[OcrWord, ...], start: int, end: int) -> list[Rect]:
    """Boxes covering page-text characters ``[start, end)`` of an OCR'd page: the boxes of the words that
    overlap the span, merged into one rectangle per line (as pdfium merges a text layer's characters)."""
    lines: dict[int, Rect] = {}
    if start >= end:
        return []
    for word in words:
        if word.char_end <= start or word.char_start >= end:
            continue
        box = (word.left, word.top, word.right, word.bottom)
        seen = lines.get(word.line)
        lines[word.line] = (
            box
            if seen is None
            else (min(seen[0], box[0]), min(seen[1], box[1]), max(seen[2], box[2]), max(seen[3], box[3]))
        )
    return [lines[line] for line in sorted(lines)]
