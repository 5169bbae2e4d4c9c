"""A document's sentences with their pages and spans, as the summary and the chronology read them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ingest.legal.running_heads import find_skip_spans
from service.engine.answering.sentences import sentence_spans

_SPACES = re.compile(r"\s+")
_LINE_NUMBERS = re.compile(r"(?:\s*\d{1,2}[ \t]*\n)+")
"""The line numbers of pleading paper ("1\\n2\\n3..."), which a page's text layer puts before its text."""


class Page(Protocol):
    """What the summariser reads of a page: a parsed page at ingest, a stored page afterwards."""

    @property
    def number(self) -> int: ...

    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class Sentence:
    """One sentence: page, page-text characters ``[start, end)``, its text on one line, and its place in the
    document (``ordinal``; ``of_pages``: its page's share of the way through, 0 for the first, 1 for the last)."""

    page: int
    start: int
    end: int
    text: str
    ordinal: int
    of_pages: float


def one_line(text: str) -> str:
    """``text`` on one line, runs of whitespace one space."""
    return _SPACES.sub(" ", text).strip()


def _outside(start: int, end: int, skip_spans: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """``[start, end)`` less the running heads and stamps at its ends (a sentence cut by the page foot runs into
    the stamp below it); empty when one covers its start."""
    for skip_start, skip_end in sorted(skip_spans):
        if start < skip_end and end > skip_start:
            if skip_start <= start:
                start = skip_end
            else:
                end = skip_start
    return start, end


def document_sentences(pages: Sequence[Page]) -> list[Sentence]:
    """Every sentence of ``pages`` in order, running heads and stamps left out: a parsed page's ``skip_spans``,
    found again for stored pages (which do not keep them) as ingest finds them."""
    found: list[Sentence] = []
    last = max(len(pages) - 1, 1)
    skipped: list[Sequence[tuple[int, int]]] = (
        [page.skip_spans for page in pages]  # type: ignore[attr-defined]  # a ParsedPage's; PageRecord has none
        if all(hasattr(page, "skip_spans") for page in pages)
        else [list(spans) for spans in find_skip_spans([page.text for page in pages])]
    )
    for index, (page, skip_spans) in enumerate(zip(pages, skipped, strict=True)):
        for span in sentence_spans(page.text):
            start = span.start
            numbers = _LINE_NUMBERS.match(page.text, start, span.end)
            if numbers is not None:
                start = numbers.end()
            start, end = _outside(start, span.end, skip_spans)
            text = one_line(page.text[start:end])
            if len(text) < 8:
                continue
            start += len(page.text[start:end]) - len(page.text[start:end].lstrip())
            end = start + len(page.text[start:end].rstrip())
            found.append(Sentence(page.number, start, end, text, len(found), index / last))
    return found
