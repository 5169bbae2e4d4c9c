"""Parsers: exact text, pages kept apart, scans flagged, bad files refused with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.parsers import ParseError, parser_for
from service.core.domain import PAGE_SEPARATOR, TextSource
from tests.support.documents import LOREM_LEGAL, encrypt_pdf, write_docx, write_eml, write_pdf
from tests.support.paths import DATA


def parse(path: Path):  # type: ignore[no-untyped-def]
    parser = parser_for(path)
    assert parser is not None, path
    return parser(path)


def test_plain_text_is_the_file_content_exactly(tmp_path: Path) -> None:
    content = "Clause 1.\r\nTabs\tand  spaces, ünïcödé — and a trailing newline\n\n"
    path = tmp_path / "note.txt"
    path.write_bytes(content.encode("utf-8"))
    document = parse(path)
    assert document.text == content
    assert len(document.pages) == 1 and document.media_type == "text/plain"


def test_markdown_keeps_its_source_text(tmp_path: Path) -> None:
    content = "# Engagement letter\n\n* Scope: **all** filings\n"
    path = tmp_path / "letter.md"
    path.write_text(content, encoding="utf-8")
    document = parse(path)
    assert document.text == content and document.title == "Engagement letter"


def test_non_utf8_text_is_refused_with_how_to_fix(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes("Café déjà vu".encode("cp1252"))
    with pytest.raises(ParseError, match=r"legacy\.txt: not UTF-8 .*iconv"):
        parse(path)


def test_pdf_pages_stay_separate_and_scans_are_flagged(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "brief.pdf", ["First page about the lease.", None, "Third page on damages."], "Brief")
    document = parse(path)
    assert [page.number for page in document.pages] == [1, 2, 3]
    assert "lease" in document.pages[0].text and "damages" in document.pages[2].text
    scanned = document.pages[1]
    assert scanned.needs_ocr and scanned.text == "" and scanned.text_source is TextSource.NONE
    assert document.title == "Brief"
    start, end = document.page_offsets()[2]
    assert document.text[start:end] == document.pages[2].text
    assert document.text.count(PAGE_SEPARATOR) == 2


def test_pdf_with_junk_before_header_parses(tmp_path: Path) -> None:
    clean = write_pdf(tmp_path / "clean.pdf", ["Opinion of the court."])
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"\x00\x01garbage before the header\n" + clean.read_bytes())
    assert "Opinion of the court." in parse(junk).pages[0].text


def test_real_junk_prefixed_filing_parses() -> None:
    document = parse(DATA / "court" / "doctor__missouri.pdf")
    assert len(document.pages) == 5
    assert "Missouri Court of Appeals" in document.pages[0].text


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("truncated.pdf", lambda p, good: p.write_bytes(good.read_bytes()[:500]), "truncated or corrupt"),
        ("corrupt.pdf", lambda p, good: p.write_bytes(b"%PDF-1.7\nnot really"), "truncated or corrupt"),
        ("locked.pdf", lambda p, good: encrypt_pdf(good, p), "password-protected"),
    ],
)
def test_bad_pdfs_are_refused_with_a_reason(tmp_path: Path, name: str, make, reason: str) -> None:  # type: ignore[no-untyped-def]
    good = write_pdf(tmp_path / "good.pdf", [LOREM_LEGAL])
    path = tmp_path / name
    make(path, good)
    with pytest.raises(ParseError, match=reason) as raised:
        parse(path)
    assert name in raised.value.message
    # pdfium's own words ("Failed to load document (PDFium: Data format error)") are translated, not passed on
    assert "pdfium" not in raised.value.message.lower() and "Failed to load" not in raised.value.message


def test_docx_paragraphs_become_lines(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "memo.docx", ["Privileged memo", "The statute of limitations runs in 2027."], "Memo")
    document = parse(path)
    assert document.text == "Privileged memo\nThe statute of limitations runs in 2027."
    assert document.title == "Memo"


def test_html_visible_text_only(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Docket</title><style>p{}</style></head>"
        "<body><h1>Case 12-2209</h1><script>var x=1;</script><p>Filed on <b>May 2</b>.</p></body></html>"
    )
    document = parse(path)
    assert document.title == "Docket"
    assert "Case 12-2209" in document.text and "Filed on" in document.text
    assert "var x" not in document.text and "p{}" not in document.text


def test_email_headers_and_body(tmp_path: Path) -> None:
    path = write_eml(tmp_path / "mail.eml", "Settlement offer", "We offer $40,000 to settle.\n")
    document = parse(path)
    assert document.title == "Settlement offer"
    assert "Subject: Settlement offer" in document.text and "$40,000" in document.text
    assert document.metadata["from"].startswith("Counsel")


def test_unknown_type_has_no_parser(tmp_path: Path) -> None:
    assert parser_for(tmp_path / "photo.jpg") is None
