"""A filing's dated events for the chronology: every full date in its sentences, with what happened on it.

What a date is for comes from the words nearest it in its sentence ("filed", "hearing", "signed", "due on or
before", "accident", "agreement"...); a sentence that says none is an ``other`` event, kept, since a lawyer
reading a chronology would rather skip a line than miss a date. A running head or stamp repeats its date on
every page: one event per date, kind and sentence text (numbers aside) is kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from service.core.summaries import DatedEvent
from service.engine.summaries.dates import full_dates
from service.engine.summaries.sentences import Sentence

MAX_EVENTS = 300
"""Events kept per document (a long schedule of debts dates hundreds of lines)."""
MAX_SENTENCE_CHARS = 400
_DIGITS = re.compile(r"\d+")
"""Stripped when comparing sentences: a stamp differs from page to page in its page number alone."""

_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "due",
        re.compile(
            r"\bdue\b|\bdeadline\b|\bon\s+or\s+before\b|\bno\s+later\s+than\b|\bexpir\w*|\buntil\b|\bmaturity\b|\bmatures\b",
            re.I,
        ),
    ),
    ("hearing", re.compile(r"\bhearings?\b|\bheard\b|\bargued\b|\boral\s+argument\b|\bconference\b|\btrial\b", re.I)),
    (
        "decided",
        re.compile(
            r"\bdecided\b|\bentered\b|\bjudgment\b|\bopinion\b|\bordered\b|\bruled\b|\bissued\b|\bgranted\b|\bdenied\b"
            r"|\bdismissed\b|\baffirmed\b|\breversed\b|\bvacated\b|\bremanded\b|\bcertified\b|\bsustained\b|\boverruled\b",
            re.I,
        ),
    ),
    ("filed", re.compile(r"\bfiled\b|\bfiling\b|\bsubmitted\b|\bdocketed\b|\bserved\b|\blodged\b", re.I)),
    ("signed", re.compile(r"\bsigned\b|\bexecuted\b|\bdated\b|/s/", re.I)),
    ("accident", re.compile(r"\baccident\b|\bcollision\b|\binjur\w*|\bincident\b|\bcrash\w*|\barrest\w*", re.I)),
    ("contract", re.compile(r"\bagreements?\b|\bcontracts?\b|\blease\b|\bentered\s+into\b|\bpolic(?:y|ies)\b", re.I)),
)


def event_kind(sentence: str, date_start: int, date_end: int) -> str:
    """The kind whose word stands nearest the date in ``sentence`` (offsets in the sentence); ``other``."""
    best: tuple[int, str] | None = None
    for kind, pattern in _KINDS:
        for match in pattern.finditer(sentence):
            distance = date_start - match.end() if match.end() <= date_start else match.start() - date_end
            distance = max(distance, 0)
            if best is None or distance < best[0]:
                best = (distance, kind)
    return best[1] if best is not None else "other"


def dated_events(sentences: Sequence[Sentence]) -> list[DatedEvent]:
    """Every dated event of a document's ``sentences``, in document order, repeats dropped."""
    events: list[DatedEvent] = []
    seen: set[tuple[str, str, str]] = set()
    for sentence in sentences:
        for found in full_dates(sentence.text):
            iso = found.value.isoformat()
            kind = event_kind(sentence.text, found.start, found.end)
            text = sentence.text if len(sentence.text) <= MAX_SENTENCE_CHARS else _around(sentence.text, found.start)
            key = (iso, kind, _DIGITS.sub("", text))
            if key in seen:
                continue
            seen.add(key)
            events.append(DatedEvent(iso, kind, sentence.page, sentence.start, sentence.end, text))
            if len(events) >= MAX_EVENTS:
                return events
    return events


def _around(text: str, at: int) -> str:
    """The part of a long sentence around position ``at``, with "…" where it was cut."""
    half = MAX_SENTENCE_CHARS // 2
    left, right = max(0, at - half), min(len(text), at + half)
    return ("…" if left else "") + text[left:right].strip() + ("…" if right < len(text) else "")
