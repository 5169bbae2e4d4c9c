"""Test documents written at test time: PDFs with fpdf2, DOCX with python-docx, e-mail with the stdlib."""

from __future__ import annotations

import io
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path

import docx
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter


def write_pdf(path: Path, pages: Sequence[str | None], title: str | None = None) -> Path:
    """A PDF with one page per entry; ``None`` makes a page with no text layer (a drawn box only)."""
    pdf = FPDF(format="letter")
    pdf.set_auto_page_break(False)
    if title:
        pdf.set_title(title)
    for text in pages:
        pdf.add_page()
        if text is None:
            pdf.rect(20, 20, 100, 60, style="F")  # ink but no text, like a scan
            continue
        pdf.set_font("Helvetica", size=10)
        pdf.set_xy(15, 15)
        pdf.multi_cell(180, 5, text)
    path.write_bytes(bytes(pdf.output()))
    return path


def encrypt_pdf(source: Path, target: Path, password: str = "secret") -> Path:
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password=password, owner_password=password, algorithm="RC4-128")  # RC4 needs no crypto package
    buffer = io.BytesIO()
    writer.write(buffer)
    target.write_bytes(buffer.getvalue())
    return target


def write_docx(path: Path, paragraphs: Sequence[str], title: str | None = None) -> Path:
    document = docx.Document()
    if title:
        document.core_properties.title = title
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(str(path))
    return path


def write_eml(path: Path, subject: str, body: str, html: str | None = None) -> Path:
    message = EmailMessage()
    message["From"] = "Counsel <counsel@example.com>"
    message["To"] = "Client <client@example.com>"
    message["Date"] = "Mon, 02 Mar 2026 10:00:00 +0000"
    message["Subject"] = subject
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    path.write_bytes(bytes(message))
    return path


LOREM_LEGAL = (
    "The Receiving Party shall hold the Confidential Information in strict confidence. "
    "It shall not disclose it to any third party without the prior written consent of the Disclosing Party. "
    "This obligation survives termination of the Agreement for five (5) years. "
    "Notices shall be delivered by courier to the addresses first written above.\n\n"
)
