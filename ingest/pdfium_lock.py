"""One lock for every call into PDFium in this process.

PDFium is not thread-safe, not even across different documents: two threads inside it at once
crash the process (pypdfium2's documentation, "Incompatibility with Threading"). docqa calls it
from several threads at once: the HTTP worker threads render page images and highlight boxes for
the source viewer, and the upload job thread parses and OCR-renders new PDFs. Everything that
touches PDFium holds ``PDFIUM_LOCK``; the work around it (Tesseract, PNG encoding of a finished
image, embedding) does not need to.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec, TypeVar

import pypdfium2 as pdfium

PDFIUM_LOCK = threading.RLock()
"""Held for every PDFium call; re-entrant, so locked helpers may call each other."""

_P = ParamSpec("_P")
_R = TypeVar("_R")


def pdfium_serialised(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``function`` holding ``PDFIUM_LOCK`` (for functions that open, use and close a PDF)."""

    @functools.wraps(function)
    def locked(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with PDFIUM_LOCK:
            return function(*args, **kwargs)

    return locked


@contextmanager
def open_pdf(path: Path | str) -> Iterator[pdfium.PdfDocument]:
    """A document opened and closed under the lock; calls on it in between must take the lock too."""
    with PDFIUM_LOCK:
        document = pdfium.PdfDocument(str(path))
    try:
        yield document
    finally:
        with PDFIUM_LOCK:
            document.close()
