"""Scanned pages get highlight boxes: the source viewer's boxes for an OCR'd page come from the word boxes
Tesseract read, and land on the words as they were drawn on the scan (real Tesseract, real pdfium)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from ingest.ocr.tesseract import tesseract_available
from service.api.app import create_app
from service.components import Components
from service.core.settings import OcrSettings, Settings
from tests.support.documents import write_pdf, write_scanned_pdf

pytestmark = pytest.mark.skipif(not tesseract_available(), reason="apt-get install tesseract-ocr")

LINES = (
    "MEMORANDUM OF LEASE",
    "The tenant Bluefin Marine Supply agreed to pay",
    "a monthly rent of 4,750 dollars for the warehouse.",
)
TOLERANCE = 3.0
"""Points: Tesseract's boxes hug the ink, the drawn boxes include the font's side bearings."""


def scanned_client(
    tmp_path: Path, settings: Settings, make_components: Callable[..., Components]
) -> tuple[TestClient, Components, dict[str, tuple[float, float, float, float]]]:
    folder = tmp_path / "scans"
    folder.mkdir()
    drawn = write_scanned_pdf(folder / "scanned-lease.pdf", LINES)
    write_pdf(folder / "typed-lease.pdf", [" ".join(LINES)])
    parts = make_components(settings.model_copy(update={"ocr": OcrSettings(enabled=True, dpi=200, workers=1)}))
    summary = parts.pipeline("leases").ingest([folder])
    assert [result.outcome for result in summary.files] == ["new", "new"], summary.files
    return TestClient(create_app(parts.settings, parts)), parts, drawn


def document_id(client: TestClient, source: str) -> str:
    documents = client.get("/v1/collections/leases/documents").json()["documents"]
    return next(document["id"] for document in documents if document["source"] == source)


def test_an_ocr_page_highlights_the_words_where_they_are(
    tmp_path: Path, settings: Settings, make_components: Callable[..., Components]
) -> None:
    client, _parts, drawn = scanned_client(tmp_path, settings, make_components)
    scanned = document_id(client, "scanned-lease.pdf")
    page = client.get(f"/v1/documents/{scanned}/pages/1").json()
    assert page["text_source"] == "ocr"
    page_text: str = page["text"]

    start = page_text.index("Bluefin")
    end = start + len("Bluefin Marine")
    boxes = client.get(f"/v1/documents/{scanned}/pages/1/highlight", params={"start": start, "end": end}).json()
    assert (round(boxes["width"]), round(boxes["height"])) == (612, 792)
    assert len(boxes["rects"]) == 1  # two words of one line: one box, as a text layer's selection
    left, top, right, bottom = boxes["rects"][0]
    assert abs(left - drawn["Bluefin"][0]) <= TOLERANCE and abs(right - drawn["Marine"][2]) <= TOLERANCE
    assert abs(top - drawn["Bluefin"][1]) <= TOLERANCE and abs(bottom - drawn["Bluefin"][3]) <= TOLERANCE

    # a span over a line break gets one box per line, top to bottom
    start, end = page_text.index("pay"), page_text.index("monthly") + len("monthly")
    two = client.get(f"/v1/documents/{scanned}/pages/1/highlight", params={"start": start, "end": end}).json()
    assert len(two["rects"]) == 2
    (first, second) = two["rects"]
    assert abs(first[0] - drawn["pay"][0]) <= TOLERANCE and abs(second[2] - drawn["monthly"][2]) <= TOLERANCE
    assert first[3] <= second[1]

    # nothing selected, nothing boxed; the typed copy still gets its boxes from its text layer
    empty = client.get(f"/v1/documents/{scanned}/pages/1/highlight", params={"start": 3, "end": 3}).json()
    assert empty["rects"] == []
    typed = document_id(client, "typed-lease.pdf")
    typed_text = client.get(f"/v1/documents/{typed}/pages/1").json()["text"]
    start = typed_text.index("Bluefin")
    layer = client.get(f"/v1/documents/{typed}/pages/1/highlight", params={"start": start, "end": start + 7}).json()
    assert len(layer["rects"]) == 1


def test_word_boxes_are_exact_spans_of_the_stored_page_text(
    tmp_path: Path, settings: Settings, make_components: Callable[..., Components]
) -> None:
    client, parts, _drawn = scanned_client(tmp_path, settings, make_components)
    page = parts.store.get_page(document_id(client, "scanned-lease.pdf"), 1)
    words = [page.text[word.char_start : word.char_end] for word in page.ocr_words]
    assert words == page.text.split()  # every word, in order, exactly its span
    assert [word.line for word in page.ocr_words][-1] == 2  # three lines: 0, 1, 2
    with parts.sql.engine.connect() as connection:
        layer_pages = connection.execute(text("SELECT count(*) FROM pages WHERE ocr_words IS NULL")).scalar()
    assert layer_pages == 1  # the typed copy stores no word boxes
