"""OCR of real scanned filings: which pages need it, and what Tesseract reads from them."""

from __future__ import annotations

import re
from pathlib import Path

import pytesseract
import pytest

from ingest.ocr.tesseract import (
    OcrResult,
    OcrUnavailable,
    ocr_pages,
    page_needs_ocr,
    require_tesseract,
    tesseract_available,
)
from service.core.errors import DocqaError
from service.core.settings import OcrSettings
from tests.support.court import pdf_page_texts
from tests.support.paths import COURT

SCAN = COURT / "doctor__image-pdf.pdf"
TYPED = COURT / "doctor__vector-pdf.pdf"

needs_tesseract = pytest.mark.skipif(not tesseract_available(), reason="apt-get install tesseract-ocr")


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("-\n", ""))


def five_grams(tokens: list[str]) -> set[tuple[str, ...]]:
    return {tuple(tokens[index : index + 5]) for index in range(len(tokens) - 4)}


@pytest.fixture(scope="module")
def scanned() -> dict[int, OcrResult]:
    done: list[int] = []
    results = ocr_pages(SCAN, [2, 1], OcrSettings(workers=2), on_page_done=done.append)
    assert sorted(done) == [1, 2]
    return results


@needs_tesseract
def test_scanned_supreme_court_pages_read_like_their_typed_twin(scanned: dict[int, OcrResult]) -> None:
    # Measured on these pages: word-set Jaccard 0.96 / 0.90 and 92% / 84% of the typed 5-grams
    # found in the OCR text, against 0.17 and 0% for the wrong page; the thresholds leave room for
    # another Tesseract version while still failing on a misread or misordered page.
    typed = pdf_page_texts(TYPED)
    assert list(scanned) == [1, 2]
    for number, result in scanned.items():
        ocr_words, typed_words = words(result.text), words(typed[number - 1])
        jaccard = len(set(ocr_words) & set(typed_words)) / len(set(ocr_words) | set(typed_words))
        shared = len(five_grams(ocr_words) & five_grams(typed_words)) / len(five_grams(typed_words))
        assert jaccard > 0.8, (number, jaccard)
        assert shared > 0.7, (number, shared)
        assert 0.85 < result.confidence <= 1.0  # measured 0.95
        assert result.seconds > 0
        assert "\r" not in result.text and "\x00" not in result.text
    assert "TARRANT REGIONAL WATER DIST" in scanned[2].text


def test_only_the_image_pages_of_a_mixed_document_need_ocr() -> None:
    pages = pdf_page_texts(TYPED)
    assert len(pages) == 30
    assert [number for number, text in enumerate(pages, start=1) if page_needs_ocr(text)] == [29, 30]


@pytest.mark.parametrize(
    "file_name",
    [
        "doctor__image-pdf.pdf",  # no text layer
        "doctor__recap_extract__gov.uscourts.cand.203070.27.0.pdf",  # ECF stamps over a scan
        "x-ray__no_bad_redactions.8.1.pdf",  # dates, "EXHIBIT 57 Page 242" and a wrapped stamp
    ],
)
def test_scans_with_no_or_only_stamp_text_need_ocr(file_name: str) -> None:
    assert all(page_needs_ocr(text) for text in pdf_page_texts(COURT / file_name))


@pytest.mark.parametrize(
    "file_name",
    [
        "courtlistener__recap_test_assets__gov.uscourts.ca1.12-2209.00106475093.0.pdf",
        "doctor__recap_documents__ca1_00117684624.pdf",
        "doctor__recap_extract__gov.uscourts.cacd.652774.40.0.pdf",  # pleading paper
        "doctor__x-ray__rectangles_yes.pdf",
    ],
)
def test_typed_filings_do_not_need_ocr(file_name: str) -> None:
    assert not any(page_needs_ocr(text) for text in pdf_page_texts(COURT / file_name))


def test_garbage_text_layers_need_ocr() -> None:
    assert page_needs_ocr("   \n\t ")
    assert page_needs_ocr("3/4/21 .. ;; 12 ## 45-67 (( 8/9 ))" * 10)  # letters are under 40%
    assert page_needs_ocr("\ue000\ue001\ue002 words here " * 20 + "\ue003" * 200)  # broken font encoding


def test_missing_tesseract_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "no-tesseract"))
    assert not tesseract_available()
    with pytest.raises(OcrUnavailable) as raised:
        ocr_pages(SCAN, [1], OcrSettings())
    assert isinstance(raised.value, DocqaError)
    assert "apt-get install tesseract-ocr" in raised.value.message
    assert "no-tesseract" in raised.value.message
    with pytest.raises(OcrUnavailable):
        require_tesseract()


@needs_tesseract
def test_pages_outside_the_file_are_refused() -> None:
    with pytest.raises(DocqaError, match="do not exist"):
        ocr_pages(SCAN, [3], OcrSettings())
    assert ocr_pages(SCAN, [], OcrSettings()) == {}
