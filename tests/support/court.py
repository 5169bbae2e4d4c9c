"""The real court filings in ``tests/data/court`` by name, and their page texts as the PDF parser reads them."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium

from tests.support.paths import COURT

CA1_ORDER = "courtlistener__recap_test_assets__gov.uscourts.ca1.12-2209.00106475093.0.pdf"
CA1_OPINION = "doctor__recap_documents__ca1_00117684624.pdf"
CA9_MOTION = "doctor__recap_documents__ca9_19.pdf"
CACD_ORDER = "doctor__recap_extract__gov.uscourts.cacd.652774.40.0.pdf"
CAND_SCAN = "doctor__recap_extract__gov.uscourts.cand.203070.27.0.pdf"
EXHIBIT = "x-ray__no_bad_redactions.8.1.pdf"
SCOTUS = "doctor__vector-pdf.pdf"

DISTRICT = """IN THE UNITED STATES DISTRICT COURT
FOR THE DISTRICT OF COLORADO
Civil Action No. 1:21-cv-01061
JOHN DOE,
Plaintiff,
v.
ACME CORP.,
Defendant.
COMPLAINT AND JURY DEMAND
Plaintiff John Doe states as follows for his Complaint against Defendant Acme Corp.:
"""
"""A district-court complaint's caption page, as modelled on the real filings."""


def pdf_page_texts(path: Path) -> list[str]:
    """Page texts the way the PDF parser extracts them."""
    document = pdfium.PdfDocument(path)
    try:
        return [
            document[index].get_textpage().get_text_range().replace("\r\n", "\n").replace("\x00", "")
            for index in range(len(document))
        ]
    finally:
        document.close()


def page_texts(file_name: str) -> list[str]:
    """Page texts of one of the filings in ``tests/data/court``."""
    return pdf_page_texts(COURT / file_name)
