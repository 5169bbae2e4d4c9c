"""Numbered paragraphs: the "¶ 42" a passage sits in.

A heuristic tuned on the real filings in ``tests/data/court/`` (from Free Law Project test fixtures): it returns
``None`` / nothing rather than guess wildly.
"""

from __future__ import annotations

import re

# "42. Text", "¶ 42 Text", "¶42." at a line start; a paragraph number is rarely above 999.
_PARAGRAPH_START_RE = re.compile(
    r"^[ \t]*(?:¶[ \t]*(?P<pilcrow>\d{1,3})\b\.?|(?P<number>\d{1,3})\.)[ \t]+\S", re.MULTILINE
)
# A section heading ends the numbered paragraph before it ("II. DISCUSSION", "B. Standing").
_HEADING_RE = re.compile(r"^[ \t]*(?:[IVXL]+|[A-H])\.[ \t]+\S|^[ \t]*[A-Z][A-Z ,.'\u2019&-]{3,80}[ \t]*$", re.MULTILINE)


def paragraph_at(page_text: str, char_offset: int) -> str | None:
    """The number of the numbered paragraph ("42." or "¶ 42") containing ``char_offset``, if any.

    Declarations, complaints and orders number their paragraphs and lawyers cite them ("Decl.
    ¶ 7"). Only paragraphs that start on this page are seen; a section heading ends a paragraph.
    """
    if not 0 <= char_offset <= len(page_text):
        return None
    current: re.Match[str] | None = None
    for match in _PARAGRAPH_START_RE.finditer(page_text):
        if match.start() > char_offset:
            break
        current = match
    if current is None:
        return None
    for heading in _HEADING_RE.finditer(page_text, current.end(), char_offset):
        if heading.start() > current.start():
            return None
    return current.group("pilcrow") or current.group("number")
