"""An independent yardstick for generated summaries: every number, date, amount, citation and name a summary states,
looked up in the text of the pages its sentence cites.

It shares no code with docqa's claim check (``service.engine.answering.claim_facts``), which reads names as runs of
capitalised words and facts with its own patterns. Here:

- **names** are the entity index's people, organisations, places and courts (``ingest.legal.entities``: spaCy's
  ``en_core_web_sm`` plus the filing rules; role words and honorifics already stripped);
- **dates** and **amounts** are the entity index's ``date`` and ``money`` mentions that hold a digit;
- **citations** are eyecite's (case citations by volume, reporter and page; statutes and rules as written);
- **numbers** are every other run of digits (so a date or amount the model misses is still checked digit by digit).

A fact is *found* in a cited text when:

- a name: every word of it (accents and case folded, words of one letter, "of", "the", "and", "v." and corporate
  suffixes left out) is a word of the text, whose line-end hyphens are joined first ("Liebo-\\nwitz"), and all of
  them stand together: within a run of ``NAME_SLACK`` more words than the name has ("Smith, Jane A." holds "Jane
  Smith"; "Jane Doe ... John Smith" does not);
- a date: the text states that day (any of "January 5, 2021", "Jan. 5 2021", "5 January 2021", "1/5/2021",
  "01/05/21", "2021-01-05"); a month and year without a day: the text states a day of that month or the month and
  year; a year alone is checked as a number;
- an amount or a number: the text holds the same value among its digit runs ("$142,500.00" = "142500" = "142,500");
- a citation: the text holds the same volume, reporter and page (eyecite's), or, for a statute, the citation with
  spaces, dots and case ignored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property

from eyecite import get_citations
from eyecite.models import FullCaseCitation, FullLawCitation, ShortCaseCitation

from ingest.legal.entities import extract_entities
from service.core.domain import ParsedPage

NAME_TYPES = frozenset({"person", "org", "place", "court"})
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DATES = [
    re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})\b", re.I),
    re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:day\s+)?(?:of\s+)?{_MONTH},?\s+(?P<year>\d{{4}})\b", re.I),
    re.compile(r"\b(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4}|\d{2})\b"),
    re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})\b"),
    re.compile(rf"\b{_MONTH},?\s+(?:of\s+)?(?P<year>\d{{4}})\b", re.I),
]
_DIGITS = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
_MARKER = re.compile(r"\[\d{1,3}(?:\s*,\s*\d{1,3})*\]")
_WORD = re.compile(r"\w+")
_LINE_HYPHEN = re.compile(r"(\w)-[ \t]*\n\s*(\w)")
NAME_SLACK = 4
"""Words a name's own words may be spread over beyond its length: a middle initial, a comma's inversion, "Jr."."""
_NAME_FILLER = frozenset(["of", "the", "and", "v", "vs", "for", "inc", "llc", "co", "corp", "ltd", "lp", "llp", "pc"])


@dataclass(frozen=True)
class Fact:
    """One checkable statement of a summary: its kind, the words as written, and what is looked up."""

    kind: str
    text: str
    key: tuple[object, ...]


def fold(text: str) -> str:
    """Lower case, accents gone, line-end hyphens joined."""
    text = _LINE_HYPHEN.sub(r"\1\2", text)
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)).lower()


def _value(digits: str) -> Decimal | None:
    try:
        return Decimal(digits.replace(",", "").rstrip("."))
    except InvalidOperation:
        return None


def _date(match: re.Match[str]) -> tuple[int, int, int] | None:
    month_text = match["month"].lower().rstrip(".")
    month = _MONTHS.get(month_text) or (int(month_text) if month_text.isdigit() else 0)
    day = int(match["day"]) if "day" in match.groupdict() and match["day"] else 0
    year = int(match["year"])
    year += 2000 if year < 50 else 1900 if year < 100 else 0
    if not 1 <= month <= 12 or not 0 <= day <= 31:
        return None
    return (year, month, day)


def dates_in(text: str) -> set[tuple[int, int, int]]:
    """Every date ``text`` states, as (year, month, day); a month without a day as day 0 (and each day's month)."""
    found: set[tuple[int, int, int]] = set()
    for pattern in _DATES:
        for match in pattern.finditer(text):
            if (key := _date(match)) is not None:
                found |= {key, (key[0], key[1], 0)}
    return found


def _citation_keys(text: str) -> Iterable[tuple[tuple[int, int], tuple[object, ...]]]:
    if not text.strip():
        return  # eyecite refuses an empty text
    for citation in get_citations(text):
        span: tuple[int, int] = citation.span()  # type: ignore[no-untyped-call]  # unannotated in eyecite
        if isinstance(citation, FullCaseCitation | ShortCaseCitation):
            groups = citation.groups
            yield span, ("case", groups.get("volume"), fold(groups.get("reporter") or ""), groups.get("page"))
        elif isinstance(citation, FullLawCitation):
            written: str = citation.matched_text()  # type: ignore[no-untyped-call]  # unannotated in eyecite
            yield span, ("law", re.sub(r"[\s.]", "", fold(written)))


def _entities(text: str) -> list[tuple[int, int, str, str]]:
    return [(m.char_start, m.char_end, m.type, m.name) for m in extract_entities([ParsedPage(1, text)])]


def facts_of(sentence: str) -> list[Fact]:
    """The checkable facts of one summary sentence, its ``[n]`` markers left out (see the module docstring)."""
    text = _MARKER.sub(lambda m: " " * len(m.group(0)), sentence)
    taken = [False] * len(text)
    facts: list[Fact] = []

    def take(start: int, end: int, fact: Fact | None) -> None:
        if any(taken[start:end]):
            return
        taken[start:end] = [True] * (end - start)
        if fact is not None:
            facts.append(fact)

    for (start, end), key in _citation_keys(text):
        take(start, end, Fact("citation", text[start:end], key))
    for start, end, kind, name in _entities(text):
        written = text[start:end]
        if kind == "date" and re.search(r"\d", written):
            if days := dates_in(written):
                most_precise: tuple[int, int, int] = max(days, key=lambda day: day[2])
                take(start, end, Fact("date", written, most_precise))
        elif kind == "money" and (amount := _DIGITS.search(written)) and (value := _value(amount.group(0))):
            take(start, end, Fact("money", written, (value,)))
        elif kind in NAME_TYPES:
            words = tuple(w for w in _WORD.findall(fold(name)) if len(w) > 1 and w not in _NAME_FILLER)
            if words:
                take(start, end, Fact("name", written, words))
    for match in _DIGITS.finditer(text):
        if (value := _value(match.group(0))) is not None:
            take(match.start(), match.end(), Fact("number", match.group(0).rstrip(",."), (value,)))
    return facts


class CitedText:
    """The text a sentence cites, indexed once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded = fold(text)
        self.sequence = _WORD.findall(self.folded)
        self.words = frozenset(self.sequence)
        self.values = frozenset(v for m in _DIGITS.finditer(text) if (v := _value(m.group(0))) is not None)
        self.dates = dates_in(text)
        self.compact = re.sub(r"[\s.]", "", self.folded)

    @cached_property
    def citations(self) -> frozenset[tuple[object, ...]]:
        return frozenset(key for _span, key in _citation_keys(self.text))

    def holds(self, fact: Fact) -> bool:
        """Whether the text states ``fact`` (see the module docstring)."""
        if fact.kind == "name":
            return self._together(fact.key)
        if fact.kind == "date":
            return fact.key in self.dates
        if fact.kind in ("money", "number"):
            return fact.key[0] in self.values
        if fact.key[0] == "law":
            return str(fact.key[1]) in self.compact
        return fact.key in self.citations

    def _together(self, name: tuple[object, ...]) -> bool:
        wanted = set(name)
        if not wanted <= self.words:
            return False
        width = len(wanted) + NAME_SLACK
        starts = [i for i, word in enumerate(self.sequence) if word in wanted]
        return any(wanted <= set(self.sequence[i : i + width]) for i in starts)
