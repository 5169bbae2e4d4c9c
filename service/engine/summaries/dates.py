"""Calendar dates written in filings ("January 19, 2021", "Jan. 19 2021", "19 January 2021", "1/19/2021",
"2021-01-19"), as ISO dates with their spans.

The patterns are the claim check's (``claim_facts.DATE_PATTERNS``), so a date the summary or the chronology shows
is read as the answer check reads it; a month without a day ("June 2019") dates no event and is left out.
Neither ``python-dateutil`` nor ``dateparser`` is a dependency: each guesses a date from any number, and a filing
is full of numbers that are not dates ("12-2209", "§ 1291").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from service.engine.answering.claim_facts import DATE_PATTERNS

_MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
           "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}  # fmt: skip
EARLIEST_YEAR = 1700
"""Older "dates" are misreadings (a citation's volume and page)."""


@dataclass(frozen=True)
class FoundDate:
    """A full date found in a text: its value and the characters ``[start, end)`` that write it."""

    value: date
    start: int
    end: int


def _value(parts: dict[str, str | None]) -> date | None:
    month_text = (parts.get("month") or "").lower().rstrip(".")
    day_text, year_text = parts.get("day"), parts.get("year")
    if not (month_text and day_text and year_text):
        return None
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text[:3], 0)
    year = int(year_text)
    if year < 100:  # "08/05/16": this century's filings, or the last one's
        year += 2000 if year < 70 else 1900
    if year < EARLIEST_YEAR:
        return None
    try:
        return date(year, month, int(day_text))
    except ValueError:
        return None


def full_dates(text: str) -> list[FoundDate]:
    """Every date with a day, month and year in ``text``, in text order; one span is read once (the first
    pattern that takes it wins)."""
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < taken_end and end > taken_start for taken_start, taken_end in taken):
                continue
            value = _value(match.groupdict())
            if value is not None:
                taken.append((start, end))
                found.append(FoundDate(value, start, end))
    return sorted(found, key=lambda item: item.start)
