"""Section headings of legal text: where sections start, and the heading a passage sits under.

Contracts, agreements and many filings are numbered: ``ARTICLE 6 COVENANTS OF THE COMPANY``,
``Section 6.01. Conduct of the Company.``, ``7.4. Consents of Regulatory Authorities.``, ``§ 12``.
The chunker uses the headings two ways: as chunk boundaries (``ChunkingSettings.sections``) and as
the context a chunk is embedded under (``ChunkingSettings.headings``): a passage deep inside
"Conduct of the Company" says nothing of conduct itself, but its heading does.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

HEADING = re.compile(
    r"(?:(?:section|article|clause|schedule|annex|exhibit)\s+[0-9ivxlc]+(?:\.\d+)*\.?|§+\s*\d+(?:\.\d+)*|"
    r"\d+(?:\.\d+)+\.?|\d+\.)\s+\S",
    re.IGNORECASE,
)
"""A section's opening words: ``Section 5.4``, ``ARTICLE V``, ``§ 12``, ``7.4.``, ``1.`` then the heading
text. Bare numbers need a dot (``5.1``, ``1.``), so a line starting ``3 May 2021`` is no heading."""

_TOP_LEVEL = re.compile(r"(?:article|schedule|annex|exhibit)\b", re.IGNORECASE)
_LINE_START = re.compile(r"(?:^|[\n\f])[ \t]*")  # \f: a page break
_TITLE_END = re.compile(r"[.;:](?:\s|$)|\n")
_TITLE_CHARACTERS = 100


@dataclass(frozen=True)
class Heading:
    """A line that opens a section: where it starts in the text, and its title."""

    start: int
    title: str
    """The label and the heading words, whitespace collapsed: ``Section 6.01. Conduct of the Company``."""
    top: bool
    """An ARTICLE, SCHEDULE, ANNEX or EXHIBIT: the level above numbered sections."""


def find_headings(text: str) -> list[Heading]:
    """Every line of ``text`` that opens a section, in order."""
    found: list[Heading] = []
    for line in _LINE_START.finditer(text):
        start = line.end()
        match = HEADING.match(text, start)
        if match is None:
            continue
        body = match.end() - 1  # the heading's first word, after its label
        end = _TITLE_END.search(text, body, min(len(text), body + _TITLE_CHARACTERS))
        stop = end.start() if end is not None else min(len(text), body + _TITLE_CHARACTERS)
        title = " ".join(text[start:stop].split())
        found.append(Heading(start, title, bool(_TOP_LEVEL.match(text, start))))
    return found


class HeadingIndex:
    """Looks up the headings in force at a position of one text."""

    def __init__(self, headings: list[Heading]) -> None:
        self._headings = headings
        self._starts = [heading.start for heading in headings]

    def context(self, position: int) -> str:
        """The heading a passage starting at ``position`` sits under, after the top-level heading above it
        (``ARTICLE 6 COVENANTS OF THE COMPANY / Section 6.01. Conduct of the Company``); empty before any."""
        index = bisect.bisect_right(self._starts, position) - 1
        if index < 0:
            return ""
        nearest = self._headings[index]
        if nearest.top:
            return nearest.title
        parent = next((h for h in reversed(self._headings[:index]) if h.top), None)
        return f"{parent.title} / {nearest.title}" if parent is not None else nearest.title
