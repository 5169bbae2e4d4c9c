"""Who wrote an opinion: the author lines of a court's opinions, looked up on every page of the case.

"Which judge wrote the opinion of the court, and which judge wrote separately?" is answered by lines that
retrieval rarely ranks: "SELYA, Circuit Judge." over the majority opinion, "BARRON, Circuit Judge,
concurring." over a concurrence, "JUSTICE SOTOMAYOR delivered the opinion of the Court.", "GUSTAFSON, Judge:".
They are short and say nothing of the question's topic, so the pages that hold them are found by reading the
case's pages, not by ranking passages.
"""

from __future__ import annotations

import re

AUTHOR_LINE = re.compile(
    r"(?m)^[ \t]*(?:[A-Z][A-Z'\-]{2,},[ \t]+(?:Chief[ \t]+|Circuit[ \t]+|District[ \t]+|Senior[ \t]+|Associate[ \t]+|"
    r"Magistrate[ \t]+)*(?:Judge|Justice)\b|(?:CHIEF[ \t]+)?JUSTICE[ \t]+[A-Z][A-Z'\-]+\b[^\n]{0,40}\b(?:delivered|"
    r"dissenting|concurring)|(?:Chief[ \t]+)?Justice[ \t]+[A-Z][A-Z'\-]{2,}[ \t]+(?:dissenting|concurring)|"
    r"PER[ \t]+CURIAM\b)"
)
"""The line that opens an opinion and names its author ("SELYA, Circuit Judge.", "Justice EARLS dissenting.")."""
_ASKS_AUTHOR = re.compile(
    r"\b(?:wrote|writes|write|written|writing|authored|delivered|penned)\b[^?]*?\b(?:opinion|dissent|concurrence|"
    r"separately|majority)\b|\bwho\s+(?:dissented|concurred)\b|\bwhich\s+(?:judge|justice)s?\s+(?:dissented|concurred)\b",
    re.IGNORECASE,
)
MAX_AUTHOR_PAGES = 4
"""Pages with author lines added to a question's passages: a majority, a concurrence, a dissent or two."""


def asks_author(question: str) -> bool:
    """Whether ``question`` asks who wrote an opinion, a dissent or a concurrence."""
    return _ASKS_AUTHOR.search(question) is not None


def has_author_line(page_text: str) -> bool:
    """Whether ``page_text`` holds a line that opens an opinion and names its author."""
    return AUTHOR_LINE.search(page_text) is not None
