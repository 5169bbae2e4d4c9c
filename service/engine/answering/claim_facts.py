"""Checkable facts in legal prose, normalised so that two spellings of one fact compare equal.

``extract_facts(text)`` finds, in this order (a span taken by one kind is not read again by the
next): case and statute citations (``eyecite``, with the codes and rules the citation index adds:
"550 U.S. 544", "28 U.S.C. § 1291", "Fed. R. Civ. P. 12(b)(6)", "N.C.G.S. § 14-306.4"), docket numbers
("No. 20-1507", "2:18-cv-10166-JAK"), court designations ("Fifth Circuit", "Eastern District", "Court of Appeals":
``service.engine.answering.court_designations``), dates ("January 19, 2021" = "Jan. 19, 2021" = "1/19/2021";
"June 2019"), money ("$142,500.00", "$1.1 billion"), percentages, plain numbers ("100,000" =
"100000"), and names: runs of capitalised words ("Calvary Chapel of Bangor", "Apple v. Samsung"),
minus sentence openers ("The", "However") and the generic words of captions ("Court", "Judge",
"Plaintiff", "First").

``SourceFacts(text)`` indexes a source once; ``Fact.found_in(source)`` says whether the source
states the fact: numbers, money and percentages by value, dates by (year, month, day), dockets and
citations by their normalised form, and a name when every one of its words is a word of the source.
Everything compares case-, accent- and whitespace-insensitively.
"""

from __future__ import annotations

import enum
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property

from eyecite import get_citations
from eyecite.models import CaseCitation, FullCaseCitation, FullLawCitation, ShortCaseCitation

from service.engine.answering.court_designations import court_designations, designations_in
from service.engine.record.laws import TOKENIZER, law_key

# eyecite logs a warning for every pair of overlapping citations it cannot classify; one per
# parallel or pin cite in a filing is noise here, never an error of ours.
logging.getLogger("eyecite").setLevel(logging.ERROR)


class FactKind(enum.StrEnum):
    """What a fact is; decides how it is compared."""

    CITATION = "citation"
    DOCKET = "docket"
    COURT = "court"
    DATE = "date"
    MONEY = "money"
    PERCENT = "percent"
    NUMBER = "number"
    NAME = "name"


_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
MONTH_NAME = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
"""A month's name or its abbreviation (without the dot)."""
_MONTH = rf"(?P<month>{MONTH_NAME})\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
DATE_PATTERNS = [
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE),  # January 19, 2021 / Jan. 19 2021
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE),  # 19 January 2021
    re.compile(r"\b(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4}|\d{2})\b"),  # 1/19/2021, 08/05/16
    re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b"),  # 2021-01-19
    re.compile(rf"\b{_MONTH}\s+(?:of\s+)?{_YEAR}\b", re.IGNORECASE),  # June 2019 (no day)
]
# A federal district docket: office:year-type-number, then judges' initials (ignored when comparing).
_CIVIL_DOCKET = re.compile(
    r"\b(?P<office>\d{1,2}):(?P<year>\d{2})[-\u2013](?P<type>[a-z]{2,4})[-\u2013](?P<number>\d{1,6})(?:[-\u2013][A-Z]{2,5})*\b",
    re.IGNORECASE,
)
# "No. 20-1507", "Nos. 20-55436", "No. ED108783", "No. 1711-CC00064", "No. 11-889" (also with an en dash).
_NUMBERED_DOCKET = re.compile(r"\bNos?\.\s*(?P<id>[A-Z]{0,4}\d[\dA-Z]*(?:[-\u2013][\dA-Z]+)*)")
_SCALE = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_AMOUNT = r"(?P<amount>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
MONEY_PATTERNS = [
    re.compile(rf"(?:\$|\bUSD\s?|\bUS\$\s?)\s?{_AMOUNT}(?:\s*(?P<scale>thousand|million|billion|trillion)\b)?", re.I),
    re.compile(rf"(?<![\d.,]){_AMOUNT}(?:\s*(?P<scale>thousand|million|billion|trillion))?\s+dollars\b", re.I),
]
_SCALED_NUMBER = re.compile(rf"(?<![\d.,$]){_AMOUNT}\s*(?P<scale>thousand|million|billion|trillion)\b", re.I)
PERCENT = re.compile(r"(?<![\d.,])(?P<amount>\d+(?:\.\d+)?)\s?(?:%|percent\b|per\s+cent\b)", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\d.,])(?P<amount>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)")
_WORD_TOKEN = re.compile(r"[\w\u2019'&-]+\.?")
_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")
# PDF text breaks words at line ends: "Okla-\nhoma", and pdfium's "Okla\ufffehoma".
_LINE_HYPHEN = re.compile(r"(\w)-\s*\n\s*(\w)")
_DASHES = str.maketrans({"–": "-", "—": "-", "‑": "-", "\u2212": "-"})  # noqa: RUF001 - real dashes

# Words that join the parts of one name: "Calvary Chapel of Bangor", "Apple v. Samsung".
_CONNECTORS = frozenset(["v", "vs", "of", "&", "de", "del", "la", "van", "von", "ex", "rel", "for", "the"])
# fmt: off
# Capitalised because they open a sentence, not because they name anyone.
_OPENERS = frozenset([
    "a", "an", "the", "this", "that", "these", "those", "it", "its", "he", "she", "they", "we", "i", "you",
    "his", "her", "their", "our", "my", "your", "there", "here", "in", "on", "at", "by", "for", "from", "with",
    "without", "to", "of", "as", "after", "before", "during", "under", "over", "upon", "about", "because",
    "since", "although", "though", "while", "when", "where", "which", "who", "whom", "whose", "what", "why",
    "how", "if", "unless", "and", "but", "or", "nor", "so", "yet", "then", "thus", "therefore", "however",
    "moreover", "furthermore", "also", "finally", "accordingly", "consequently", "instead", "both", "each",
    "every", "all", "any", "some", "no", "not", "yes", "neither", "either", "one", "such", "other", "another",
    "only", "even", "still", "sources", "source", "answer", "question", "document", "documents", "passage",
    "passages", "note", "see", "cf", "id", "unknown", "sure", "overall", "given", "per", "none", "nothing", "next",
    "later", "last", "again", "most", "many", "several", "few", "more", "less", "here's", "there's", "it's",
])
# The generic words of captions and courts: they say what someone is, not who.
_GENERIC = frozenset([
    "court", "courts", "judge", "judges", "justice", "justices", "circuit", "district", "appeals", "appeal",
    "appellate", "supreme", "united", "states", "state", "federal", "plaintiff", "plaintiffs", "defendant",
    "defendants", "appellant", "appellants", "appellee", "appellees", "petitioner", "petitioners", "respondent",
    "respondents", "mr", "mrs", "ms", "dr", "hon", "honorable", "chief", "magistrate", "clerk", "counsel",
    "attorney", "attorneys", "general", "order", "orders", "motion", "motions", "opinion", "judgment", "case",
    "cases", "rule", "rules", "section", "article", "amendment", "act", "code", "page", "pages", "exhibit",
    "dkt", "docket", "ecf", "esq", "jr", "sr", "inc", "llc", "corp", "co", "ltd", "lp", "llp", "pc", "pa", "na",
    "usa", "us", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
    "eleventh", "north", "south", "east", "west", "northern", "southern", "eastern", "western", "central",
    "middle", "cir", "ct", "app", "supp", "bankr", "dist", "div", "fed", "cal", "tex", "fla", "ill", "mass", "mich",
])
_CALENDAR = frozenset([
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
])
# fmt: on
DISPOSITIONS = {
    "affirm": re.compile(r"\baffirm(?:s|ed|ing|ance)?\b", re.IGNORECASE),
    "reverse": re.compile(r"\brevers(?:e|es|ed|ing|al)\b", re.IGNORECASE),
    "dismiss": re.compile(r"\bdismiss(?:es|ed|ing|al)?\b", re.IGNORECASE),
    "grant": re.compile(r"\bgrant(?:s|ed|ing)?\b", re.IGNORECASE),
    "deny": re.compile(r"\b(?:deny|denies|denied|denying|denial)\b", re.IGNORECASE),
    "vacate": re.compile(r"\bvacat(?:e|es|ed|ing|ur)\b", re.IGNORECASE),
    "remand": re.compile(r"\bremand(?:s|ed|ing)?\b", re.IGNORECASE),
}


def fold(text: str) -> str:
    """Lower case, accents dropped, dashes unified, PDF line-end hyphenation joined, whitespace collapsed."""
    text = _LINE_HYPHEN.sub(r"\1\2", text.replace("\ufffe", "").replace("\u00ad", ""))
    decomposed = unicodedata.normalize("NFKD", text.translate(_DASHES))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", plain).strip().lower()


def _value(amount: str) -> Decimal | None:
    try:
        return Decimal(amount.replace(",", "")).normalize()
    except InvalidOperation:
        return None


def _scaled(amount: str, scale: str | None) -> Decimal | None:
    value = _value(amount)
    if value is None or not scale:
        return value
    return (value * _SCALE[scale.lower()]).normalize()


def _date_key(match: re.Match[str]) -> tuple[int, int, int] | None:
    """(year, month, day) with day 0 for a month and year; None for an impossible date."""
    parts = match.groupdict()
    month_text = parts["month"].lower().rstrip(".")
    month = int(month_text) if month_text.isdigit() else _MONTHS[month_text[:3]]
    year = int(parts["year"])
    if year < 100:  # "08/05/16": filings of this century, or the last one's
        year += 2000 if year < 70 else 1900
    day = int(parts["day"]) if parts.get("day") else 0
    if not 1 <= month <= 12 or day > 31:
        return None
    return (year, month, day)


def _docket_key(identifier: str) -> str:
    return fold(identifier).replace(" ", "")


def _civil_key(match: re.Match[str]) -> str:
    return f"{int(match['office'])}:{match['year']}-{match['type'].lower()}-{int(match['number'])}"


def _citation_key(citation: CaseCitation | FullLawCitation) -> tuple[str, ...]:
    if isinstance(citation, FullLawCitation):
        # eyecite leaves corrected_citation() and corrected_reporter() unannotated; both return str.
        written = law_key(citation) or citation.corrected_citation()  # type: ignore[no-untyped-call]
        return ("law", fold(written).replace(" ", ""))
    reporter = fold(citation.corrected_reporter()).replace(" ", "")  # type: ignore[no-untyped-call]
    if isinstance(citation, ShortCaseCitation):  # "550 U.S., at 556": the page is a pin cite
        return ("case", citation.groups.get("volume", ""), reporter)
    return ("case", citation.groups.get("volume", ""), reporter, citation.groups.get("page", ""))


def _citations(text: str) -> list[tuple[tuple[int, int], tuple[str, ...]]]:
    found: list[tuple[tuple[int, int], tuple[str, ...]]] = []
    for citation in get_citations(text, tokenizer=TOKENIZER):  # the citation index's codes and rules too
        if isinstance(citation, FullCaseCitation | ShortCaseCitation | FullLawCitation):
            span: tuple[int, int] = citation.span()  # type: ignore[no-untyped-call]  # unannotated in eyecite
            found.append((span, _citation_key(citation)))
    return found


def disposition_words(text: str) -> dict[str, str]:
    """The disposition stems in ``text`` ("affirm", "deny", ...), each with its first word as written."""
    words: dict[str, str] = {}
    for stem, pattern in DISPOSITIONS.items():
        if match := pattern.search(text):
            words[stem] = match.group(0)
    return words


@dataclass(frozen=True)
class Fact:
    """One checkable fact: its kind, its words as written, and the normalised key it is compared by."""

    kind: FactKind
    text: str
    key: tuple[object, ...]

    def found_in(self, source: SourceFacts) -> bool:
        """Whether ``source`` states this fact (see the module docstring for how each kind compares)."""
        match self.kind:
            case FactKind.CITATION:
                return self.key in source.citations or source.has_compact(fold(self.text).replace(" ", ""))
            case FactKind.DOCKET:
                (identifier,) = self.key
                return identifier in source.dockets or source.has_token(str(identifier))
            case FactKind.COURT:
                return self.key in source.courts
            case FactKind.DATE:
                return self.key in source.dates
            case FactKind.MONEY:
                return self.key[0] in source.money
            case FactKind.PERCENT:
                return self.key[0] in source.percents
            case FactKind.NUMBER:
                return self.key[0] in source.numbers
            case FactKind.NAME:
                return all(word in source.words for word in self.key)


@dataclass
class _Reader:
    """Takes facts out of a text one kind after another; a span one kind took is blanked for the next."""

    text: str
    facts: list[tuple[int, Fact]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rest = self.text

    def take(self, start: int, end: int, fact: Fact | None) -> None:
        if fact is not None:
            self.facts.append((start, fact))
        self.rest = self.rest[:start] + " " * (end - start) + self.rest[end:]


def extract_facts(text: str) -> list[Fact]:
    """The checkable facts of ``text`` in reading order (see the module docstring)."""
    reader = _Reader(text)
    for (start, end), citation_key in _citations(text):
        reader.take(start, end, Fact(FactKind.CITATION, text[start:end], citation_key))
    for match in _CIVIL_DOCKET.finditer(reader.rest):
        reader.take(match.start(), match.end(), Fact(FactKind.DOCKET, match.group(0), (_civil_key(match),)))
    for match in _NUMBERED_DOCKET.finditer(reader.rest):
        reader.take(match.start(), match.end(), Fact(FactKind.DOCKET, match.group(0), (_docket_key(match["id"]),)))
    for start, end, court in court_designations(reader.rest):
        reader.take(start, end, Fact(FactKind.COURT, text[start:end], court))
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(reader.rest):
            date = _date_key(match)  # an impossible date ("13/45/2020") is read as nothing at all
            reader.take(match.start(), match.end(), Fact(FactKind.DATE, match.group(0), date) if date else None)
    for pattern in MONEY_PATTERNS:
        for match in pattern.finditer(reader.rest):
            money = Fact(FactKind.MONEY, match.group(0).strip(), (_scaled(match["amount"], match["scale"]),))
            reader.take(match.start(), match.end(), money)
    for match in PERCENT.finditer(reader.rest):
        reader.take(match.start(), match.end(), Fact(FactKind.PERCENT, match.group(0), (_value(match["amount"]),)))
    for match in _NUMBER.finditer(reader.rest):
        reader.take(match.start(), match.end(), Fact(FactKind.NUMBER, match.group(0), (_value(match["amount"]),)))
    for start, end, words in _names(reader.rest):
        reader.take(start, end, Fact(FactKind.NAME, text[start:end].rstrip("."), words))
    return [fact for _start, fact in sorted(reader.facts, key=lambda item: item[0])]


def _name_words(token: str) -> tuple[str, ...]:
    """The words of one capitalised token that identify someone: "Chapel's" -> ("chapel",)."""
    token = re.sub(r"[\u2019']s$", "", token.rstrip("."))
    parts = [part for part in _WORD.findall(fold(token)) if len(part) > 1 and not part.isdigit()]
    return tuple(part for part in parts if part not in _GENERIC and part not in _CALENDAR and part not in _OPENERS)


def _names(text: str) -> list[tuple[int, int, tuple[str, ...]]]:
    """Runs of capitalised words as (start, end, identifying words); runs without such words are dropped."""
    tokens = list(_WORD_TOKEN.finditer(text))
    names: list[tuple[int, int, tuple[str, ...]]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if not _is_name_token(token.group(0), opening=index == 0):
            index += 1
            continue
        end = index
        probe = index + 1
        while probe < len(tokens):
            word = tokens[probe].group(0)
            if text[tokens[probe - 1].end() : tokens[probe].start()].strip():
                break  # punctuation between: "Torresen, Calvary" is two names
            if _is_name_token(word, opening=False):
                end = probe
            elif word.rstrip(".").lower() not in _CONNECTORS:
                break
            probe += 1
        words = tuple(dict.fromkeys(part for t in tokens[index : end + 1] for part in _name_words(t.group(0))))
        if words:
            names.append((token.start(), tokens[end].end(), words))
        index = end + 1
    return names


def _is_name_token(token: str, *, opening: bool) -> bool:
    if not token[:1].isupper():
        return False
    lowered = token.rstrip(".").lower()
    if lowered in _OPENERS:
        return False
    # A sentence's first word is capitalised anyway: "Finally", "According", "Based" name nobody.
    return not (opening and lowered.endswith(("ly", "ing", "ed")))


class SourceFacts:
    """One source's text, indexed once for ``Fact.found_in``."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def folded(self) -> str:
        return fold(self.text)

    @cached_property
    def compact(self) -> str:
        """The folded text without spaces, for matching citations written with other spacing."""
        return self.folded.replace(" ", "")

    @cached_property
    def words(self) -> frozenset[str]:
        return frozenset(_WORD.findall(self.folded))

    @cached_property
    def numbers(self) -> frozenset[Decimal]:
        values = (_value(match["amount"]) for match in _NUMBER.finditer(self.text))
        return frozenset(value for value in values if value is not None)

    @cached_property
    def money(self) -> frozenset[Decimal]:
        patterns = [*MONEY_PATTERNS, _SCALED_NUMBER]
        values = (_scaled(match["amount"], match["scale"]) for p in patterns for match in p.finditer(self.text))
        return frozenset(value for value in values if value is not None)

    @cached_property
    def percents(self) -> frozenset[Decimal]:
        values = (_value(match["amount"]) for match in PERCENT.finditer(self.text))
        return frozenset(value for value in values if value is not None)

    @cached_property
    def dates(self) -> frozenset[tuple[object, ...]]:
        keys = {key for pattern in DATE_PATTERNS for m in pattern.finditer(self.text) if (key := _date_key(m))}
        return frozenset(keys | {(year, month, 0) for year, month, _day in keys})

    @cached_property
    def dockets(self) -> frozenset[str]:
        civil = {_civil_key(match) for match in _CIVIL_DOCKET.finditer(self.text)}
        return frozenset(civil | {_docket_key(match["id"]) for match in _NUMBERED_DOCKET.finditer(self.text)})

    @cached_property
    def courts(self) -> frozenset[tuple[str, object]]:
        return designations_in(self.text)

    @cached_property
    def citations(self) -> frozenset[tuple[object, ...]]:
        keys: set[tuple[object, ...]] = set()
        for _span, key in _citations(self.text):
            keys.add(key)
            if key[0] == "case" and len(key) == 4:
                keys.add(key[:3])  # a short cite to this case matches it too
        return frozenset(keys)

    @cached_property
    def dispositions(self) -> frozenset[str]:
        return frozenset(disposition_words(self.text))

    def has_compact(self, written: str) -> bool:
        """Whether the folded, space-free ``written`` ("200u.s.321") is in the compact text as a whole citation:
        not the start of a longer one ("200u.s.32" is not in "200u.s.321", nor "§105" in "§105.9"); ``fold`` has
        made every dash "-"."""
        pattern = rf"(?<![0-9a-z]){re.escape(written)}(?![0-9a-z]|[.:-]\d)"
        return re.search(pattern, self.compact) is not None

    def has_token(self, identifier: str) -> bool:
        """Whether the folded ``identifier`` ("20-1507") stands alone in the text (not inside "120-15070")."""
        return re.search(rf"(?<![\w-]){re.escape(identifier)}(?![\w-]|-\d)", self.folded) is not None
