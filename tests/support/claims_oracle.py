"""An independent yardstick for the claim check: facts a model wrote that no cited source holds, yet shown unmarked.

Deliberately cruder than ``service.engine.answering.claims``, and sharing none of its code: a fact is a run of digits
(compared without thousands separators: "3,000" = "3000") or a capitalised word that is not a sentence's
first word, a month, or a court designation ("First Circuit", "District Court": courts, not parties).
A fact is *shown unmarked* when it sits in a sentence the check called supported and none of the sources
that sentence cites (as the prompt showed them) contains it, case aside. The claim check must leave none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z]+")
_WORDS = re.compile(r"[a-z]+")
_MARKER = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")
# fmt: off
_NOT_NAMES = frozenset([
    "court", "courts", "circuit", "district", "judge", "justice", "supreme", "appeals", "appellate", "united",
    "states", "state", "federal", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
    "ninth", "tenth", "eleventh", "northern", "southern", "eastern", "western", "central",
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
])
# fmt: on


def facts_of(sentence: str) -> list[str]:
    """Digit runs and capitalised words past the first word, as written."""
    plain = _MARKER.sub(" ", sentence)
    # The first word is capitalised anyway: "The" is no fact, though "Samsung" would be (a blind spot).
    first_word_at = len(plain) - len(plain.lstrip(" \"'“("))
    words = [
        match.group(0)
        for match in _CAPITALISED.finditer(plain)
        if match.start() != first_word_at and match.group(0).lower() not in _NOT_NAMES
    ]
    return _DIGITS.findall(plain) + words


def _holds(source: str, fact: str) -> bool:
    if fact[0].isdigit():
        plain = fact.replace(",", "")
        return plain in {run.replace(",", "") for run in _DIGITS.findall(source)}
    return fact.lower() in set(_WORDS.findall(source.lower()))


def shown_unmarked(claims: Sequence[Mapping[str, Any]], sources: Mapping[int, str]) -> list[str]:
    """``"fact (in: sentence)"`` for each fact of a supported sentence that none of its cited sources holds.

    ``claims`` are the API's claim objects; ``sources`` maps a marker to the source text the prompt showed.
    """
    unmarked: list[str] = []
    for claim in claims:
        if not claim["supported"]:
            continue
        cited = [sources[marker] for marker in claim["markers"] if marker in sources]
        for fact in facts_of(claim["text"]):
            if not any(_holds(source, fact) for source in cited):
                unmarked.append(f"{fact} (in: {claim['text']})")
    return unmarked


def uncovered_text(answer: str, claims: Sequence[Mapping[str, Any]]) -> str:
    """The words of ``answer`` that no claim covers (the check must read every sentence)."""
    covered = [False] * len(answer)
    for claim in claims:
        assert answer[claim["char_start"] : claim["char_end"]] == claim["text"], (claim, answer)
        covered[claim["char_start"] : claim["char_end"]] = [True] * (claim["char_end"] - claim["char_start"])
    return "".join(char for char, seen in zip(answer, covered, strict=True) if not seen).strip()


def prompt_sources(user_message: str) -> dict[int, str]:
    """The numbered sources of a docqa prompt's user message (``prompts/answer_user.txt``), by marker.

    Each source is ``[n] title (page p)`` and its text, up to the next source or the question.
    """
    body = user_message.rsplit("\n\nQuestion: ", 1)[0]
    sources: dict[int, str] = {}
    position, marker = 0, 1
    while header := re.compile(rf"(?:^|\n)\[{marker}\] [^\n]* \(page \d+\)\n").search(body, position):
        if sources:
            sources[marker - 1] = body[position : header.start()]
        position, marker = header.start(), marker + 1
        sources[marker - 1] = body[position:]
    return sources
