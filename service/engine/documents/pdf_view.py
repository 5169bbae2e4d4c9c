"""Page images and highlight boxes for the source viewer, rendered from the original PDF."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium

from ingest.pdfium_lock import pdfium_serialised
from service.core.errors import NotFound


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
