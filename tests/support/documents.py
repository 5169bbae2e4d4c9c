"""Test documents written at test time: PDFs with fpdf2, DOCX with python-docx, e-mail with the stdlib."""

from __future__ import annotations

import io
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path

import docx
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter

SCAN_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


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


def write_scanned_pdf(path: Path, lines: Sequence[str], dpi: int = 200) -> dict[str, tuple[float, float, float, float]]:
    """A one-page Letter PDF that is only an image of ``lines`` of 14-point text (a scan: no text layer).

    Returns where each word was drawn, ``{word: (left, top, right, bottom)}`` in PDF points, origin top-left,
    so a test can check the boxes OCR reports (a word drawn twice keeps its last place)."""
    width_px, height_px = int(8.5 * dpi), int(11 * dpi)
    image = Image.new("L", (width_px, height_px), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(SCAN_FONT, size=round(14 * dpi / 72))
    to_points = 72 / dpi
    drawn: dict[str, tuple[float, float, float, float]] = {}
    y = round(1.0 * dpi)
    for line in lines:
        x = round(1.0 * dpi)
        for word in line.split():
            left, top, right, bottom = draw.textbbox((x, y), word, font=font)
            draw.text((x, y), word, font=font, fill=0)
            drawn[word] = (left * to_points, top * to_points, right * to_points, bottom * to_points)
            x = right + round(font.getlength(" "))
        y += round(0.35 * dpi)
    png = io.BytesIO()
    image.save(png, format="PNG")
    pdf = FPDF(format="letter", unit="pt")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.image(png, x=0, y=0, w=pdf.w, h=pdf.h)
    path.write_bytes(bytes(pdf.output()))
    return drawn


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
