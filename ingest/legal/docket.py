"""Docket metadata: the court, case number, kind of document and date of a filing, from its first pages
and its RECAP file name.

A heuristic tuned on the real filings in ``tests/data/court/`` (from Free Law Project test fixtures): it returns
``None`` / nothing rather than guess wildly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from ingest.legal.ecf_stamps import parse_ecf_stamp, primary_stamp

_SPACES = re.compile(r"\s+")

_RECAP_NAME_RE = re.compile(
    r"gov\.uscourts\.(?P<court>[a-z0-9]+)\.(?P<case>[\w-]+)\.(?P<document>\d+)\.(?P<attachment>\d+)\.pdf$",
    re.IGNORECASE,
)
_CIRCUITS = {
    "first": "ca1",
    "second": "ca2",
    "third": "ca3",
    "fourth": "ca4",
    "fifth": "ca5",
    "sixth": "ca6",
    "seventh": "ca7",
    "eighth": "ca8",
    "ninth": "ca9",
    "tenth": "ca10",
    "eleventh": "ca11",
    "district of columbia": "cadc",
    "d.c.": "cadc",
    "federal": "cafc",
}
_CIRCUIT_RE = re.compile(
    r"court\s+of\s+appeals?\b.{0,160}?\bfor\s+the\s+(?P<circuit>"
    + "|".join(re.escape(name) for name in _CIRCUITS)
    + r")\s+circuit",
    re.IGNORECASE | re.DOTALL,
)
_STATES = {
    "alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca",
    "colorado": "co", "connecticut": "ct", "delaware": "de", "district of columbia": "dc",
    "florida": "fl", "georgia": "ga", "hawaii": "hi", "idaho": "id", "illinois": "il",
    "indiana": "in", "iowa": "ia", "kansas": "ks", "kentucky": "ky", "louisiana": "la",
    "maine": "me", "maryland": "md", "massachusetts": "ma", "michigan": "mi", "minnesota": "mn",
    "mississippi": "ms", "missouri": "mo", "montana": "mt", "nebraska": "ne", "nevada": "nv",
    "new hampshire": "nh", "new jersey": "nj", "new mexico": "nm", "new york": "ny",
    "north carolina": "nc", "north dakota": "nd", "ohio": "oh", "oklahoma": "ok", "oregon": "or",
    "pennsylvania": "pa", "puerto rico": "pr", "rhode island": "ri", "south carolina": "sc",
    "south dakota": "sd", "tennessee": "tn", "texas": "tx", "utah": "ut", "vermont": "vt",
    "virginia": "va", "washington": "wa", "west virginia": "wv", "wisconsin": "wi", "wyoming": "wy",
    "guam": "gu", "virgin islands": "vi",
}  # fmt: skip
_STATE_NAMES = "|".join(sorted((re.escape(name) for name in _STATES), key=len, reverse=True))
# PACER court ids: state + n/s/e/w/c/m + d (district) or b (bankruptcy); "azd" for a one-district state.
_TRIAL_COURT_RE = re.compile(
    r"united\s+states\s+(?P<kind>district|bankruptcy)\s+court\b.{0,40}?\b"
    r"(?:(?P<direction>northern|southern|eastern|western|central|middle)\s+)?district\s+of\s+"
    rf"(?P<state>{_STATE_NAMES})\b",
    re.IGNORECASE | re.DOTALL,
)
_SCOTUS_RE = re.compile(r"supreme\s+court\s+of\s+the\s+united\s+states", re.IGNORECASE)
_TAX_COURT_RE = re.compile(r"united\s+states\s+tax\s+court", re.IGNORECASE)
_CASE_NUMBER_RE = re.compile(
    r"\b(?:Case\s+)?Nos?\.\s*(?:MDL\s+)?(?P<number>(?:\d:)?\d{2}[-\u2013](?:[a-z]{2}[-\u2013])?\d{2,6}(?:[-\u2013][A-Z]{2,4})*)",
    re.IGNORECASE,
)
_MONTHS = ("january", "february", "march", "april", "may", "june",
           "july", "august", "september", "october", "november", "december")  # fmt: skip
_WORD_DATE_RE = re.compile(
    r"\b(?:Filed|Decided|Entered|Dated|Date\s+Filed)\s*:?\s*(?:"
    r"(?P<month>[A-Z][a-z]+)\.?\s+(?P<day>\d{1,2}),\s*(?P<year>\d{4})"
    r"|(?P<day2>\d{1,2})\s+(?P<month2>[A-Z][a-z]+)\s+(?P<year2>\d{4}))"
)

DOCUMENT_TYPES = (
    "opinion",
    "order",
    "motion",
    "petition",
    "brief",
    "declaration",
    "exhibit",
    "complaint",
    "judgment",
    "notice",
    "other",
)
"""The values ``docket_metadata`` gives for ``document_type``."""

# Tried against each line of the first page in reading order; the first line that matches names
# the document (its title), so a caption's party names or a later "ORDERED" do not.
_TYPE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("exhibit", re.compile(r"^(?:exhibit|attachment)\s+[\w.-]{1,6}$", re.IGNORECASE)),
    ("declaration", re.compile(r"^(?:(?:supplemental|amended)\s+)?(?:declaration|affidavit)\s+of\b", re.IGNORECASE)),
    ("motion", re.compile(r"\bmotion\s+(?:to|for)\b|^notice\s+of\s+motion\b|^motion\b", re.IGNORECASE)),
    ("petition", re.compile(r"\bpetition\s+for\b|^voluntary\s+petition\b|^petition\b", re.IGNORECASE)),
    (
        "complaint",
        re.compile(r"^(?:(?:first|second|third|amended|verified|class\s+action)\s+)*complaint\b", re.IGNORECASE),
    ),
    (
        "brief",
        re.compile(
            r"^(?:(?:opening|reply|answering|response|principal|amicus)\s+)*brief\b|\bbrief\s+(?:of|for)\b"
            r"|^memorandum\s+of\s+points\s+and\s+authorities\b|^(?:plaintiff|defendant|appellant|appellee)s?['\u2019]?s?\s+"
            r"(?:opposition|response|reply)\b",
            re.IGNORECASE,
        ),
    ),
    ("judgment", re.compile(r"^(?:final\s+|amended\s+)?judgment\b", re.IGNORECASE)),
    (
        "opinion",
        re.compile(
            r"^(?:\(slip\s+opinion\)|(?:memorandum\s+|published\s+|unpublished\s+)?opinion\b)"
            r"|\bopinion\s+of\s+the\s+court\b|\bdelivered\s+the\s+opinion\b|^for\s+publication$"
            r"|^appeals?\s+from\s+the\s+united\s+states\s+district\s+court\b",
            re.IGNORECASE,
        ),
    ),
    (
        "order",
        re.compile(
            r"^(?:\[proposed\]\s+)?(?:memorandum\s+(?:and|&)\s+)?order\b|\border\s+of\s+(?:the\s+)?court\b"
            r"|\b(?:transfer|scheduling|protective)\s+order$|^civil\s+minutes\b|^by\s+the\s+court:?$",
            re.IGNORECASE,
        ),
    ),
    ("notice", re.compile(r"^notice\s+of\b|\bentry\s+of\s+appearance\b|^appearance\s+of\s+counsel\b", re.IGNORECASE)),
)


def _court_from_text(text: str) -> str | None:
    flat = _SPACES.sub(" ", text)
    if _SCOTUS_RE.search(flat):
        return "scotus"
    circuit = _CIRCUIT_RE.search(flat)
    if circuit is not None:
        return _CIRCUITS[circuit.group("circuit").lower()]
    trial = _TRIAL_COURT_RE.search(flat)
    if trial is not None:
        direction = trial.group("direction")
        state = _STATES[trial.group("state").lower()]
        return state + (direction[0].lower() if direction else "") + trial.group("kind")[0].lower()
    if _TAX_COURT_RE.search(flat):
        return "tax"
    return None


_NAMED_CIRCUIT_RE = re.compile(
    r"\b(?P<circuit>" + "|".join(re.escape(name) for name in _CIRCUITS) + r")\s+circuit\b", re.IGNORECASE
)
_NAMED_TRIAL_COURT_RE = re.compile(
    r"\b(?:(?P<direction>northern|southern|eastern|western|central|middle)\s+)?district\s+of\s+"
    rf"(?P<state>{_STATE_NAMES})\b(?P<bankruptcy>\s+bankruptcy\s+court)?",
    re.IGNORECASE,
)
_NAMED_TAX_COURT_RE = re.compile(r"\btax\s+court\b", re.IGNORECASE)
_NAMED_SCOTUS_RE = re.compile(r"\bsupreme\s+court\b(?!\s+of\s+(?!the\s+united\s+states))", re.IGNORECASE)


def courts_named(text: str) -> set[str]:
    """The court ids (as ``docket_metadata`` gives them) of the federal courts ``text`` names in words:
    "the First Circuit" is "ca1", "the District of Maine" "med", "the Supreme Court" "scotus" (but not
    "the Supreme Court of North Carolina": state courts have no id), "the Tax Court" "tax"."""
    found = {_CIRCUITS[match.group("circuit").lower()] for match in _NAMED_CIRCUIT_RE.finditer(text)}
    for match in _NAMED_TRIAL_COURT_RE.finditer(text):
        direction = match.group("direction")
        kind = "b" if match.group("bankruptcy") else "d"
        found.add(_STATES[match.group("state").lower()] + (direction[0].lower() if direction else "") + kind)
    if _NAMED_SCOTUS_RE.search(text):
        found.add("scotus")
    if _NAMED_TAX_COURT_RE.search(text):
        found.add("tax")
    return found


def _document_type(text: str) -> str | None:
    for line in text.splitlines():
        line = _SPACES.sub(" ", line).strip()
        if not line or parse_ecf_stamp(line) is not None:
            continue
        for kind, pattern in _TYPE_PATTERNS:
            if pattern.search(line):
                return kind
    return None


def _word_date(text: str) -> date | None:
    match = _WORD_DATE_RE.search(text)
    if match is None:
        return None
    month_name = (match.group("month") or match.group("month2")).lower()
    day = match.group("day") or match.group("day2")
    year = match.group("year") or match.group("year2")
    if month_name not in _MONTHS:
        return None
    try:
        return date(int(year), _MONTHS.index(month_name) + 1, int(day))
    except ValueError:
        return None


def docket_metadata(pages: Sequence[str], file_name: str) -> dict[str, str]:
    """What a filing says about its docket: only the keys that were found.

    Keys: ``court`` (CourtListener/PACER id: "scotus", "ca1".."ca11", "cadc", "cafc", district
    "cand", "azd", bankruptcy "ganb", "tax"), ``case_number``, ``pacer_case_id`` (RECAP district
    file names carry PACER's internal id, not the case number), ``document_number``,
    ``attachment_number``, ``entry_id``, ``filed`` (ISO ``YYYY-MM-DD``) and ``document_type`` (one
    of ``DOCUMENT_TYPES``, from the title on the first page, or the second when the first is all
    caption). The ECF stamp is what the lawyer sees on the page, so it wins over the file name.
    State courts are not mapped to a court id.
    """
    metadata: dict[str, str] = {}
    recap = _RECAP_NAME_RE.search(file_name)
    if recap is not None:
        metadata["court"] = recap.group("court").lower()
        case = recap.group("case")
        # Appellate RECAP names carry the case number ("12-2209"); district ones PACER's case id.
        metadata["case_number" if "-" in case else "pacer_case_id"] = case
        metadata["document_number"] = recap.group("document")
        if recap.group("attachment") != "0":
            metadata["attachment_number"] = recap.group("attachment")
    first_pages = list(pages[:2])
    first = first_pages[0] if first_pages else ""
    stamp = primary_stamp(first) if first else None
    if stamp is not None:
        metadata["case_number"] = stamp.case_number
        if stamp.document_number is not None:
            metadata["document_number"] = stamp.document_number
        if stamp.entry_id is not None:
            metadata["entry_id"] = stamp.entry_id
        if stamp.filed is not None:
            metadata["filed"] = stamp.filed.isoformat()
    court = _court_from_text(first)
    if court is not None:
        metadata.setdefault("court", court)
    if "case_number" not in metadata:
        number = _CASE_NUMBER_RE.search(first)
        if number is not None:
            metadata["case_number"] = number.group("number").replace("\u2013", "-")
    if "filed" not in metadata:
        filed = _word_date(_SPACES.sub(" ", first))
        if filed is not None:
            metadata["filed"] = filed.isoformat()
    for text in first_pages:
        document_type = _document_type(text)
        if document_type is not None:
            metadata["document_type"] = document_type
            break
    else:
        if first_pages:
            metadata["document_type"] = "other"
    return metadata
