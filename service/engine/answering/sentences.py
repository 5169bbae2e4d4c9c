"""Sentence boundaries in legal text, as character spans of the text they come from.

A regex on ". " breaks "See Calvary Chapel of Bangor v. Mills, 459 F. Supp. 3d 273 (D. Me. 2020)."
into six pieces. ``nupunkt`` (Punkt trained on legal text, pure Python, no model download) keeps case
names, reporter citations, "No.", "U.S.C.", "§", initials and honorifics inside their sentence; it
splits each block of the text. Blocks end where a reader sees a break that Punkt cannot: a blank line,
a page break (``\\f``), the rule above a page's footnotes, and the line break after a heading ("III.
CONCLUSION", "ORDER", "- 16 -") or a run of them (a letterhead), and a form's line that ends with its
value ("... $ 93,914.00"), so a heading never runs into the sentence below it, nor one field of a form
into the next.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import nupunkt

from ingest.legal.text import in_capitals

_BLOCK_BREAK = re.compile(r"\n[ \t\r]*\n|\f|\n[ \t]*[-_—–]{5,}[ \t]*(?=\n)")  # noqa: RUF001 - dashes are real
"""A blank line, a page break, or the rule above a page's footnotes ("——————"), which the text of a
sentence cut by the page runs into in a slip opinion's text layer."""
_LINE = re.compile(r"[^\n]*\n?")
_FOLIO = re.compile(r"^[\s\-–—]*(?:page\s+)?\d{1,4}[\s\-–—]*$", re.IGNORECASE)  # noqa: RUF001 - dashes are real
_FORM_VALUE = re.compile(r"(?:\.{4,}\s*\$?|\$\s)\s*\d[\d,]*(?:\.\d\d)?\s*$")
"""A form's line that ends with its value after dot leaders or a spaced "$ " ("Your total liabilities
$ 863,842.00"): the field ends there. Prose writes "$40,000" and may go on on the next line."""
_NUMBERED_CLAUSE = re.compile(r";\s+(?:and\s+|or\s+)?(?=\(\d{1,2}\)\s)")
LONG_SENTENCE_CHARS = 300
"""A sentence this long is cut into its numbered clauses, when it has them."""
HEADING_MAX_CHARS = 80
"""A line longer than this is prose, whatever its case."""


@dataclass(frozen=True)
class Span:
    """Half-open character offsets ``[start, end)`` into the text a span was found in."""

    start: int
    end: int


def is_heading(line: str) -> bool:
    """A short line in capitals ("III. CONCLUSION", "ORDER") or a bare folio ("- 16 -")."""
    stripped = line.strip()
    if not stripped or len(stripped) > HEADING_MAX_CHARS:
        return False
    if _FOLIO.match(stripped):
        return True
    return in_capitals(stripped)


def _blocks(text: str) -> list[Span]:
    """Stretches of ``text`` between blank lines, page breaks and the line breaks after headings."""
    blocks: list[Span] = []
    start = 0
    for boundary in [*_BLOCK_BREAK.finditer(text), None]:
        end = boundary.start() if boundary else len(text)
        line_start = start
        lines = [line for line in _LINE.finditer(text, start, end) if line.group()]
        for line, following in zip(lines, [*lines[1:], None][: len(lines)], strict=True):
            # A run of heading lines (a letterhead: "PATRICIA S. DODSZUWEIT / CLERK") is one block.
            heading_ends = is_heading(line.group()) and not is_heading(following.group()) if following else False
            if following is not None and (heading_ends or _FORM_VALUE.search(line.group())):
                blocks.append(Span(line_start, line.end()))
                line_start = line.end()
        blocks.append(Span(line_start, end))
        if boundary:
            start = boundary.end()
    return blocks


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A long sentence cut before each numbered clause of a list ("...; (2) ...; and (3) ..."): each
    clause states its own fact, as "(3) neither of the Bordelons is liable for the penalties" does."""
    if end - start < LONG_SENTENCE_CHARS:
        return [(start, end)]
    cuts = [match.end() for match in _NUMBERED_CLAUSE.finditer(text, start, end)]
    bounds = [start, *cuts, end]
    return list(itertools.pairwise(bounds))


def sentence_spans(text: str) -> list[Span]:
    """Sentences of ``text`` in order, as spans with surrounding whitespace trimmed."""
    spans: list[Span] = []
    for block in _blocks(text):
        piece = text[block.start : block.end]
        if not piece.strip():
            continue
        for sentence_start, sentence_end in nupunkt.sent_spans(piece):
            for start, end in _clauses(piece, sentence_start, sentence_end):
                sentence = piece[start:end]
                if not sentence.strip():
                    continue
                left = start + len(sentence) - len(sentence.lstrip())
                right = start + len(sentence.rstrip())
                spans.append(Span(block.start + left, block.start + right))
    return spans
