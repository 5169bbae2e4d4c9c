"""OCR of scanned pages: deciding which pages need it, and running Tesseract on them.

Court filings are often scans: no text layer at all, or only the ECF stamp the court's system
printed over the image. ``page_needs_ocr`` tells those pages from real text; ``ocr_pages`` renders
them with pypdfium2 and reads them with Tesseract (Debian's ``tesseract-ocr``) through pytesseract.

PDFium is not thread-safe, so pages are rendered one at a time in the caller's thread; Tesseract
runs as a subprocess, so a thread pool is enough to read ``workers`` pages at once. Each Tesseract
run is limited to one OpenMP thread (``OMP_THREAD_LIMIT=1``): with two workers on two cores that
halved the wall time (2 pages of ``doctor__image-pdf.pdf``: 32.9 s with Tesseract's default
threads, 16.2 s with one each), because parallel pages no longer fight over the cores.
"""

from __future__ import annotations

import os
import shutil
import time
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytesseract
from PIL import Image

from ingest.legal.ecf_stamps import find_stamps
from ingest.legal.running_heads import line_number_spans
from ingest.pdfium_lock import PDFIUM_LOCK, open_pdf, pdfium_serialised
from service.core.domain import OcrWord
from service.core.errors import DocqaError
from service.core.settings import OcrSettings

MIN_LETTERS = 20
"""A page with fewer letters than this, once ECF stamps and line numbers are removed, is a scan
whose text layer is only the court's stamp (or a stray date). On the filings in tests/data/court
the stamp-only scans keep 0-11 letters and the shortest real text page (a signature block) 29;
the threshold sits between them, so a short real page is neither re-read nor reported as
needing OCR when Tesseract is missing."""
MIN_LETTER_RATIO = 0.4
"""Letters per non-space character below this mean a garbage layer (broken font encoding, or
a previous poor OCR); real pages, bankruptcy schedules full of numbers included, stay above 0.55."""
MAX_ODD_CHAR_RATIO = 0.1
"""Share of replacement, private-use and control characters above which the layer is unreadable."""

_ODD_CATEGORIES = {"Co", "Cc", "Cn", "Cs"}


class OcrUnavailable(DocqaError):
    """Tesseract is not installed, so scanned pages cannot be read."""

    status_code = 503
    code = "ocr_unavailable"


class OcrFailed(DocqaError):
    """Tesseract or the renderer failed on one page of a file."""

    status_code = 500
    code = "ocr_failed"


@dataclass(frozen=True)
class OcrResult:
    """The text Tesseract read from one page."""

    text: str
    confidence: float
    """Mean word confidence, 0..1 (Tesseract's 0..100 scaled); 0.0 when no word was read."""
    seconds: float
    """Wall time to render and read the page."""
    words: tuple[OcrWord, ...] = ()
    """Each word's span of ``text`` and its box on the page, in PDF points (origin top-left)."""


def normalise_text(text: str) -> str:
    """The same normalisation the PDF parser applies to a text layer: ``\\r\\n`` -> ``\\n``, no NULs."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def page_needs_ocr(text: str) -> bool:
    """True when a page's text layer is missing or useless, so the page should be OCR'd.

    Useless means: empty or whitespace; fewer than ``MIN_LETTERS`` letters besides ECF stamps and
    pleading line numbers (a scan the court stamped); fewer than ``MIN_LETTER_RATIO`` letters per
    non-space character; or more than ``MAX_ODD_CHAR_RATIO`` replacement/private-use/control
    characters (a broken font encoding).
    """
    if not text.strip():
        return True
    furniture = sorted([span for span, _ in find_stamps(text)] + line_number_spans(text))
    kept: list[str] = []
    position = 0
    for start, end in furniture:
        kept.append(text[position:start])
        position = max(position, end)
    kept.append(text[position:])
    rest = "".join(kept)
    visible = [char for char in rest if not char.isspace()]
    letters = sum(char.isalpha() for char in visible)
    if letters < MIN_LETTERS:
        return True
    if letters < MIN_LETTER_RATIO * len(visible):
        return True
    odd = sum(unicodedata.category(char) in _ODD_CATEGORIES or char == "\ufffd" for char in visible)
    return odd > MAX_ODD_CHAR_RATIO * len(visible)


def tesseract_available() -> bool:
    """Whether the ``tesseract`` binary pytesseract calls can be found."""
    return shutil.which(str(pytesseract.pytesseract.tesseract_cmd)) is not None


def require_tesseract() -> None:
    """Raise ``OcrUnavailable`` naming the missing binary and how to install it."""
    if not tesseract_available():
        command = pytesseract.pytesseract.tesseract_cmd
        raise OcrUnavailable(
            f"OCR needs the Tesseract binary {command!r}, which is not on PATH; install it "
            "(Debian/Ubuntu: apt-get install tesseract-ocr) or set DOCQA_OCR__ENABLED=false.",
            detail={"binary": command},
        )


def _text_and_confidence(data: dict[str, list[Any]], points_per_pixel: float = 1.0) -> tuple[str, float, list[OcrWord]]:
    """Rebuild the page text from ``image_to_data`` (one Tesseract run gives text, confidences and word
    boxes; ``image_to_string`` would read the page a second time), with each word's span of that text and
    its box scaled by ``points_per_pixel`` (72 / dpi: PDF points).

    Words on a line are joined by spaces, lines by newlines, blocks and paragraphs by a blank line,
    as ``image_to_string`` lays them out.
    """
    parts: list[str] = []
    length = 0
    boxes: list[OcrWord] = []
    confidences: list[float] = []
    current_key: tuple[int, int, int] | None = None
    current_paragraph: tuple[int, int] | None = None
    line = -1
    for index, word in enumerate(data["text"]):
        confidence = float(data["conf"][index])
        word = normalise_text(str(word).strip())
        if confidence < 0 or not word:
            continue  # structural rows (page, block, paragraph, line) carry conf -1
        confidences.append(confidence)
        key = (int(data["block_num"][index]), int(data["par_num"][index]), int(data["line_num"][index]))
        separator = " "
        if key != current_key:
            separator = "\n\n" if current_paragraph is not None and key[:2] != current_paragraph else "\n"
            current_key, current_paragraph = key, key[:2]
            line += 1
        if parts:
            parts.append(separator)
            length += len(separator)
        left, top = float(data["left"][index]), float(data["top"][index])
        right, bottom = left + float(data["width"][index]), top + float(data["height"][index])
        boxes.append(
            OcrWord(
                length,
                length + len(word),
                round(left * points_per_pixel, 2),
                round(top * points_per_pixel, 2),
                round(right * points_per_pixel, 2),
                round(bottom * points_per_pixel, 2),
                line,
            )
        )
        parts.append(word)
        length += len(word)
    mean = sum(confidences) / len(confidences) / 100.0 if confidences else 0.0
    return "".join(parts), min(max(mean, 0.0), 1.0), boxes


@pdfium_serialised
def _render(document: pdfium.PdfDocument, page_number: int, dpi: int) -> Image.Image:
    page = document[page_number - 1]
    try:
        # Grayscale: Tesseract binarises anyway, and it is a third of the memory of RGB at 300 dpi.
        image: Image.Image = page.render(scale=dpi / 72, grayscale=True).to_pil()
    finally:
        page.close()
    return image


def _read(image: Image.Image, languages: str, dpi: int, started: float) -> OcrResult:
    try:
        data = pytesseract.image_to_data(image, lang=languages, output_type=pytesseract.Output.DICT)
    finally:
        image.close()
    text, confidence, words = _text_and_confidence(data, 72 / dpi)
    return OcrResult(text=text, confidence=confidence, seconds=time.perf_counter() - started, words=tuple(words))


def _worker_count(settings: OcrSettings, pages: int) -> int:
    workers = settings.workers or os.cpu_count() or 1
    return max(1, min(workers, pages))


def ocr_pages(
    pdf_path: Path,
    page_numbers: Sequence[int],
    settings: OcrSettings,
    on_page_done: Callable[[int], None] | None = None,
) -> dict[int, OcrResult]:
    """OCR the given 1-based pages of a PDF; returns ``{page_number: OcrResult}``.

    Pages are rendered at ``settings.dpi`` and read with ``lang=settings.languages`` by up to
    ``settings.workers`` processes (0: one per core). Each worker renders one page at a time, so
    memory stays at about one page bitmap per worker (25 MB in gray at 300 dpi for Letter).
    ``on_page_done(page_number)`` is called in the caller's thread as each page finishes, in
    completion order. Raises ``OcrUnavailable`` without Tesseract and ``OcrFailed`` naming the
    file and page when a page cannot be rendered or read.
    """
    require_tesseract()
    wanted = sorted(set(page_numbers))
    if not wanted:
        return {}
    with open_pdf(pdf_path) as probe, PDFIUM_LOCK:
        page_count = len(probe)
    out_of_range = [number for number in wanted if not 1 <= number <= page_count]
    if out_of_range:
        raise OcrFailed(
            f"{pdf_path}: pages {out_of_range} do not exist (the file has {page_count})",
            detail={"file": str(pdf_path), "pages": out_of_range},
        )
    results: dict[int, OcrResult] = {}
    workers = _worker_count(settings, len(wanted))
    # pytesseract starts Tesseract with os.environ and offers no per-call environment. Setting the
    # variable here only affects processes started later (OpenMP reads it at start-up), and a value
    # the operator chose is kept.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    # PDFium is not thread-safe, so pages are rendered here, in the caller's thread, one ahead of
    # the readers; Tesseract is a subprocess, so threads are enough to keep every core busy. At
    # most ``workers`` rendered pages wait or are being read at a time, which bounds memory.
    with open_pdf(pdf_path) as document, ThreadPoolExecutor(max_workers=workers) as pool:
        pending: dict[Future[OcrResult], int] = {}

        def collect(block_until: int) -> None:
            while len(pending) > block_until:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    number = pending.pop(future)
                    try:
                        results[number] = future.result()
                    except (pytesseract.TesseractError, OSError, RuntimeError) as error:
                        for other in pending:
                            other.cancel()
                        raise OcrFailed(
                            f"{pdf_path}: OCR of page {number} failed: {error}",
                            detail={"file": str(pdf_path), "page": number},
                        ) from error
                    if on_page_done is not None:
                        on_page_done(number)

        for number in wanted:
            started = time.perf_counter()
            try:
                image = _render(document, number, settings.dpi)
            except pdfium.PdfiumError as error:
                raise OcrFailed(
                    f"{pdf_path}: page {number} could not be rendered for OCR (the page is damaged); "
                    "re-export or re-download the PDF",
                    detail={"file": str(pdf_path), "page": number},
                ) from error
            pending[pool.submit(_read, image, settings.languages, settings.dpi, started)] = number
            collect(block_until=workers - 1)
        collect(block_until=0)
    return dict(sorted(results.items()))
