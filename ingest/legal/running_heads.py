"""Running heads, folios and the 1..28 line numbers of pleading paper: text that belongs to the docket or
the paper, not to the argument, found as page-relative spans that chunks must not contain.

A heuristic tuned on the real filings in ``tests/data/court/`` (from Free Law Project test fixtures): it returns
``None`` / nothing rather than guess wildly.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from ingest.legal.ecf_stamps import find_stamps
from ingest.legal.text import Span, line_spans, trimmed_span

EDGE_LINES = 3
"""Running heads and folios are looked for among the first and last non-blank lines of a page."""
MIN_REPEAT_PAGES = 3
"""A running head must repeat on at least this many pages (two-page documents share captions)..."""
MIN_REPEAT_SHARE = 0.4
"""...and on at least this share of the pages (slip opinions alternate heads on odd/even pages)."""
MIN_LINE_NUMBER_RUN = 10
"""Pleading paper numbers lines 1..28 (or 1..26); a shorter run of 1, 2, 3 is more likely a list."""

_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_LEADING_NUMBER = re.compile(r"[ \t]*(\d{1,2})(?=\s|$)")


def normalised_line(line: str) -> str:
    """A line with digits and spacing folded, so "Page 3" on one page repeats as "Page 4" on the next."""
    return _SPACES.sub(" ", _DIGITS.sub("#", line)).strip().lower()


def _edgeline_spans(page_text: str) -> list[Span]:
    lines = [span for span in line_spans(page_text) if page_text[span[0] : span[1]].strip()]
    if len(lines) <= 2 * EDGE_LINES:
        return lines
    return lines[:EDGE_LINES] + lines[-EDGE_LINES:]


def line_number_spans(page_text: str) -> list[Span]:
    """Pleading-paper line numbers: a run of lines that are, or start with, 1, 2, 3, ... in order.

    A run of bare numbers ("1\\n2\\n...\\n28", how most text layers give the margin) becomes one
    span; numbers that prefix text lines are spanned one by one so the text stays.
    """
    spans: list[Span] = []
    run: list[Span] = []
    expected = 1
    for line_start, line_end in [*line_spans(page_text), (len(page_text), len(page_text))]:
        match = _LEADING_NUMBER.match(page_text, line_start, line_end)
        if match is not None and int(match.group(1)) == expected:
            run.append(match.span(1))
            expected += 1
            continue
        if len(run) >= MIN_LINE_NUMBER_RUN:
            spans.extend(run)
        run = []
        expected = 1
        match = _LEADING_NUMBER.match(page_text, line_start, line_end)
        if match is not None and int(match.group(1)) == 1:
            run.append(match.span(1))
            expected = 2
    return spans


def _merge(page_text: str, spans: list[Span]) -> list[Span]:
    """Sorted spans, with overlapping ones and ones separated only by whitespace merged."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and (start <= merged[-1][1] or not page_text[merged[-1][1] : start].strip()):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def find_skip_spans(pages: Sequence[str]) -> list[list[Span]]:
    """Per page, the sorted page-relative spans of docket furniture that chunks must not contain.

    Three kinds: ECF stamps (found by their shape, so even a one-page filing is covered), pleading
    line-number runs, and running heads / folios, i.e. lines among the top or bottom
    ``EDGE_LINES`` non-blank lines of a page that, with digits folded, recur at the edges of at
    least ``MIN_REPEAT_PAGES`` pages and ``MIN_REPEAT_SHARE`` of all pages. Every span is trimmed
    of surrounding whitespace, so ``page_text[start:end]`` is exactly the printed furniture.
    """
    per_page: list[list[Span]] = [[span for span, _ in find_stamps(text)] + line_number_spans(text) for text in pages]
    edge_keys: list[dict[str, list[Span]]] = []
    pages_with_key: Counter[str] = Counter()
    for text in pages:
        keys: dict[str, list[Span]] = {}
        for span in _edgeline_spans(text):
            key = normalised_line(text[span[0] : span[1]])
            # A lone folio ("3", "- 3 -") repeats trivially; it is still furniture, so keep it.
            keys.setdefault(key, []).append(trimmed_span(text, span))
        edge_keys.append(keys)
        pages_with_key.update(keys.keys())
    threshold = max(MIN_REPEAT_PAGES, MIN_REPEAT_SHARE * len(pages))
    for page_index, keys in enumerate(edge_keys):
        for key, spans in keys.items():
            if pages_with_key[key] >= threshold:
                per_page[page_index].extend(spans)
    return [_merge(text, spans) for text, spans in zip(pages, per_page, strict=True)]
