"""Spans and letter case: the small vocabulary the US-court heuristics share."""

from __future__ import annotations

Span = tuple[int, int]
"""A half-open ``(char_start, char_end)`` span, relative to one page's text."""


def in_capitals(text: str, min_letters: int = 3) -> bool:
    """True when at least ``min_letters`` letters and four in five of them are capitals ("III. CONCLUSION",
    "TARRANT REGIONAL WATER DIST. v. HERRMANN"): how filings set headings, captions and running heads."""
    letters = [char for char in text if char.isalpha()]
    return len(letters) >= min_letters and sum(char.isupper() for char in letters) >= 0.8 * len(letters)


def line_spans(page_text: str) -> list[Span]:
    """``(start, end)`` of every line, without its newline."""
    spans: list[Span] = []
    start = 0
    for line in page_text.split("\n"):
        spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def trimmed_span(page_text: str, span: Span) -> Span:
    """The span without the whitespace at its ends (so a skip span is exactly the printed text)."""
    start, end = span
    while start < end and page_text[start].isspace():
        start += 1
    while end > start and page_text[end - 1].isspace():
        end -= 1
    return start, end
