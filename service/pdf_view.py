"""Page images and highlight boxes for the source viewer, rendered from the original PDF."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium

from service.errors import NotFound


def _open(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError) as error:
        raise NotFound("the original PDF is no longer readable; the page text is still available") from error


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


def highlight_rects(
    path: Path, page_number: int, start: int, end: int
) -> tuple[float, float, list[tuple[float, float, float, float]]]:
    """``(width, height, rects)`` covering page-text characters ``[start, end)``; origin top-left, in points.

    Character boxes are merged into one rectangle per line.
    """
    document = _open(path)
    try:
        page = document[page_number - 1]
        width, height = page.get_size()
        textpage = page.get_textpage()
        indexes = _raw_indexes(textpage.get_text_range())
        rects: list[list[float]] = []
        for position in range(max(start, 0), min(end, len(indexes))):
            left, bottom, right, top = textpage.get_charbox(indexes[position])
            if right - left <= 0 or top - bottom <= 0.5:
                continue  # generated spaces and line breaks have no ink
            box = [left, height - top, right, height - bottom]
            last = rects[-1] if rects else None
            if last and abs(last[1] - box[1]) < 0.5 * (box[3] - box[1]) and box[0] >= last[0] - 2:
                last[0], last[1] = min(last[0], box[0]), min(last[1], box[1])
                last[2], last[3] = max(last[2], box[2]), max(last[3], box[3])
            else:
                rects.append(box)
        return width, height, [(r[0], r[1], r[2], r[3]) for r in rects]
    finally:
        document.close()
