"""Real court filings through the whole pipeline: per-page OCR, stamps cut out, labels, docket filters."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.ocr.tesseract import tesseract_available
from service.components import Components
from service.core.domain import DocumentRecord, DocumentStatus, TextSource
from service.core.seams import Embedder
from service.core.settings import OcrSettings
from tests.support.databases import make_settings
from tests.support.paths import COURT

FILES = (
    "doctor__image-pdf.pdf",  # a scan: the first 2 pages of the vector PDF
    "doctor__vector-pdf.pdf",  # typed slip opinion; pages 29-30 are images
    "courtlistener__recap_test_assets__gov.uscourts.ca1.12-2209.00106475093.0.pdf",  # 1st Cir., ECF stamps
    "doctor__x-ray__rectangles_yes.pdf",  # D. Colo. excerpt: physical page 1 is "Page 7 of 16"
)
needs_tesseract = pytest.mark.skipif(not tesseract_available(), reason="Debian's tesseract-ocr is not installed")


def words(text: str) -> set[str]:
    return {word.strip(".,;:()\"'").lower() for word in text.split() if len(word) > 3}


@pytest.fixture(scope="module")
def filings(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, models_cache: Path) -> Iterator[Components]:
    root = tmp_path_factory.mktemp("filings")
    for name in FILES:
        shutil.copy(COURT / name, root / name)
    data = tmp_path_factory.mktemp("data")
    settings = make_settings(
        data, f"sqlite:///{data / 'docqa.db'}", models_cache, ocr=OcrSettings(enabled=True, workers=2)
    )
    parts = Components(settings, embedder=embedder)
    summary = parts.pipeline("court").ingest([root])
    assert summary.count("failed") == 0, summary.as_dict()["failures"]
    yield parts
    parts.close()


def document(parts: Components, name: str) -> DocumentRecord:
    return next(record for record in parts.store.list_documents("court") if record.source == name)


@needs_tesseract
def test_scanned_pages_are_ocrd_and_match_their_typed_twin(filings: Components) -> None:
    scan = document(filings, "doctor__image-pdf.pdf")
    typed = document(filings, "doctor__vector-pdf.pdf")
    assert scan.status is DocumentStatus.INGESTED and scan.needs_ocr_pages == ()
    for number in (1, 2):
        page = filings.store.get_page(scan.id, number)
        assert page.text_source is TextSource.OCR and page.ocr_confidence and page.ocr_confidence > 0.8
        twin = words(filings.store.get_page(typed.id, number).text)
        overlap = len(words(page.text) & twin) / len(twin)
        assert overlap > 0.7, (number, overlap)


@needs_tesseract
def test_only_the_image_pages_of_a_mixed_document_are_ocrd(filings: Components) -> None:
    typed = document(filings, "doctor__vector-pdf.pdf")
    sources = {page.number: page.text_source for page in filings.store.pages(typed.id)}
    assert {number for number, source in sources.items() if source is TextSource.OCR} == {29, 30}
    assert typed.needs_ocr_pages == ()


def test_ecf_stamps_become_metadata_and_stay_out_of_chunks(filings: Components) -> None:
    order = document(filings, "courtlistener__recap_test_assets__gov.uscourts.ca1.12-2209.00106475093.0.pdf")
    assert order.metadata["court"] == "ca1" and order.metadata["case_number"] == "12-2209"
    assert order.metadata.get("document_number")
    page = filings.store.get_page(order.id, 1)
    assert "Entry ID" in page.text  # the stamp is kept in the page text ...
    chunk_ids = sorted(filings.store.chunk_ids_where("court", lambda meta: meta.get("court") == "ca1"))
    chunks = [c for c in filings.store.chunks(chunk_ids).values() if c.document_id == order.id]
    assert chunks and not any("Entry ID" in chunk.text for chunk in chunks)  # ... and cut out of every chunk


def test_page_labels_differ_where_the_filing_says_so(filings: Components) -> None:
    excerpt = document(filings, "doctor__x-ray__rectangles_yes.pdf")
    assert filings.store.get_page(excerpt.id, 1).label == "7"


def test_docket_filters_restrict_search_before_ranking(filings: Components) -> None:
    query = "Tarrant Regional Water District"
    everything = filings.retriever.search(query, "court", 20)
    assert {hit.source for hit in everything} - {
        "courtlistener__recap_test_assets__gov.uscourts.ca1.12-2209.00106475093.0.pdf"
    }
    only_ca1 = filings.retriever.search(query, "court", 20, {"court": "ca1"})
    assert only_ca1 and all(hit.metadata["court"] == "ca1" for hit in only_ca1)
    assert filings.retriever.search(query, "court", 20, {"filed_after": "2099-01-01"}) == []


@needs_tesseract
def test_citations_carry_page_labels_and_ocr_confidence(filings: Components) -> None:
    result = filings.qa.ask("Tarrant Regional Water District v. Herrmann certiorari", "court", 8)
    assert not result.refused and result.citations
    scanned = [c for c in result.citations if c.ocr_confidence is not None]
    for citation in result.citations:
        page = filings.store.get_page(citation.document_id, citation.page)
        assert page.text[citation.page_char_start : citation.page_char_end] == citation.quote
        assert (citation.ocr_confidence is not None) == (page.text_source is TextSource.OCR)
    assert all(0 < c.ocr_confidence <= 1 for c in scanned if c.ocr_confidence is not None)


@needs_tesseract
def test_pages_flagged_without_ocr_are_processed_once_it_is_on(tmp_path: Path, make_components, settings) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "in"
    root.mkdir()
    shutil.copy(COURT / "doctor__image-pdf.pdf", root)
    without = make_components(settings)
    without.pipeline("m").ingest([root])
    record = without.store.list_documents("m")[0]
    assert record.status is DocumentStatus.NEEDS_OCR and record.needs_ocr_pages == (1, 2)
    with_ocr = make_components(settings.model_copy(update={"ocr": OcrSettings(enabled=True)}))
    summary = with_ocr.pipeline("m").ingest([root])
    assert summary.count("updated") == 1
    record = with_ocr.store.list_documents("m")[0]
    assert record.status is DocumentStatus.INGESTED and record.needs_ocr_pages == ()
    assert with_ocr.index("m").ids() == with_ocr.store.chunk_ids("m")
