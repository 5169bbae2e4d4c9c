"""Hostile and giant files, built on demand at any size: zip-bomb and billion-laughs .docx, deep HTML, one-line text.

The tests build small ones and lower the limits to match; ``tests/benchmarks/bombs.py`` builds full-size ones.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx

_NAMESPACE = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def plain_docx(path: Path, text: str = "A short memorandum about the lease.") -> Path:
    """A real .docx written by python-docx, one paragraph."""
    document = docx.Document()
    document.add_paragraph(text)
    document.save(str(path))
    return path


def _rewrite(source: Path, target: Path, replace: dict[str, bytes], extra: dict[str, bytes] | None = None) -> Path:
    """``source`` copied member by member into ``target`` (deflated), with some members replaced or added."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as rewritten:
        for member in original.infolist():
            rewritten.writestr(member.filename, replace.get(member.filename, original.read(member)))
        for name, data in (extra or {}).items():
            rewritten.writestr(name, data)
    return target


def _document_xml(body: bytes, prolog: bytes = b"") -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + prolog + b'<w:document xmlns:w="'
        + _NAMESPACE.encode() + b'"><w:body>' + body + b"</w:body></w:document>"
    )  # fmt: skip


def text_bomb_docx(path: Path, text_mb: float) -> Path:
    """A small .docx whose one paragraph holds ``text_mb`` MB of text (it compresses about 1,000 times)."""
    base = plain_docx(path.with_name(f".{path.name}.base"))
    line = b"The lessee shall pay the rent. " * 32
    repeats = max(1, int(text_mb * 1048576 / len(line)))
    body = b"<w:p><w:r><w:t>" + line * repeats + b"</w:t></w:r></w:p>"
    _rewrite(base, path, {"word/document.xml": _document_xml(body)})
    base.unlink()
    return path


def zip_bomb_docx(path: Path, expanded_mb: int) -> Path:
    """A .docx with an extra member of ``expanded_mb`` MB of zeros (about 1,000 times compressed), written in
    blocks so that building a 2 GB one needs no 2 GB of memory."""
    base = plain_docx(path.with_name(f".{path.name}.base"))
    _rewrite(base, path, {})
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/media/padding.bin", "w", force_zip64=expanded_mb >= 2047) as out,
    ):
        block = bytes(1048576)
        for _ in range(expanded_mb):
            out.write(block)
    base.unlink()
    return path


def many_members_docx(path: Path, members: int) -> Path:
    """A .docx with ``members`` extra tiny members."""
    base = plain_docx(path.with_name(f".{path.name}.base"))
    _rewrite(base, path, {}, {f"customXml/item{number}.bin": b"x" for number in range(members)})
    base.unlink()
    return path


def billion_laughs_docx(path: Path, levels: int = 10) -> Path:
    """A .docx whose document.xml declares nested entities (10 levels of 10: a billion 'lol's if expanded)."""
    entities = [b'<!ENTITY lol0 "lol">']
    for level in range(1, levels):
        entities.append(b'<!ENTITY lol%d "' % level + b"&lol%d;" % (level - 1) * 10 + b'">')
    prolog = b"<!DOCTYPE w:document [" + b"".join(entities) + b"]>"
    body = b"<w:p><w:r><w:t>&lol%d;</w:t></w:r></w:p>" % (levels - 1)
    base = plain_docx(path.with_name(f".{path.name}.base"))
    _rewrite(base, path, {"word/document.xml": _document_xml(body, prolog)})
    base.unlink()
    return path


def deep_html(path: Path, depth: int) -> Path:
    """HTML with ``depth`` nested ``<div>`` elements around one word."""
    path.write_text("<html><body>" + "<div>" * depth + "deep" + "</div>" * depth + "</body></html>")
    return path


def one_line_text(path: Path, size_mb: float) -> Path:
    """A plain-text file of ``size_mb`` MB with no line break, written in blocks."""
    words = b"lorem ipsum dolor sit amet consectetur " * 26947  # about 1 MB
    remaining = int(size_mb * 1048576)
    with open(path, "wb") as handle:
        while remaining > 0:
            block = words[:remaining]
            handle.write(block)
            remaining -= len(block)
    return path
