"""Structure of US court documents, as pure functions over page texts.

Court filings carry text that belongs to the docket, not to the argument: CM/ECF header stamps
("Case: 12-2209  Document: 00116475093  Page: 3  Date Filed: 01/02/2013  Entry ID: 5701234"),
running heads and folios, and the 1..28 line numbers of pleading paper. This module finds that
text (as page-relative spans that chunks must not contain), reads the stamp into metadata, works
out the page label a lawyer would cite, guesses the court, case and kind of document, and finds
the numbered paragraph ("¶ 42") a passage sits in.

Everything here is a heuristic tuned on the real filings in ``tests/data/court/`` (from Free Law
Project test fixtures); every function returns ``None`` / nothing rather than guess wildly.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

Span = tuple[int, int]
"""A half-open ``(char_start, char_end)`` span, relative to one page's text."""

# ---------------------------------------------------------------------------------------------
# ECF stamps
# ---------------------------------------------------------------------------------------------

# The stamp starts a line with the case number; "Case No. 20-16276, Docket Entry No. 10" in prose
# does not match because the case number must follow the prefix directly.
_STAMP_START = re.compile(
    r"^[ \t]*(?:Appellate\s+Case|Appeal|USCA\d*\s+Case|Case)[ \t]*:?[ \t]*(?P<case>\d[\w:.]*(?:-[\w.]+)*)",
)
# The fields a stamp is made of. A line needs two of them besides the case number to be a stamp.
_DOC_RE = re.compile(r"\b(?:Document|Doc|DktEntry)\s*(?:#\s*)?:?\s*(?P<value>\d+(?:[-.]\d+)*)")
_PAGE_RE = re.compile(r"\b(?:Page|Pg)\s*:?\s*(?P<page>\d+)(?:\s*of\s*(?P<count>\d+))?")
_PAGES_RE = re.compile(r"\bPages\s*:\s*(?P<count>\d+)")
_FILED_RE = re.compile(r"\bFiled\s*:?\s*(?P<date>\d{1,2}/\d{1,2}/\d{2,4})")
_ANY_DATE_RE = re.compile(r"(?<![\d/])(?P<date>\d{1,2}/\d{1,2}/\d{4})(?![\d/])")
_ENTRY_ID_RE = re.compile(r"\bEntry\s+ID\s*:\s*(?P<value>\d+)|(?<![A-Za-z])ID\s*:\s*(?P<short>\d+)")
# Second Circuit style: "Case 17-3510, Document 1-1, 10/31/2017, 2161300, Page1 of 2".
_COMMA_ENTRY_ID_RE = re.compile(r"\d{1,2}/\d{1,2}/\d{4},\s*(?P<value>\d{5,}),")
_PAGE_ID_RE = re.compile(r"\bPage\s*ID\s*#?\s*:?\s*(?P<value>\d+)")
_ENTERED_RE = re.compile(r"\bEntered\s*:?\s*\d{1,2}/\d{1,2}/\d{2,4}")
# A stamp too long for its line wraps: bankruptcy "... Desc Main" / "Document Page 1 of 42",
# district "... Page ID" / "#:28982", "... Desc Page 1" / "of 2".
_CONTINUATION_RE = re.compile(
    r"^[ \t]*(?:(?:Main[ \t]+)?Document[ \t]+)?"
    r"(?:Page[ \t]*\d+(?:[ \t]*of[ \t]*\d+)?|#[ \t]*:?[ \t]*\d+|of[ \t]+\d+)[ \t]*$"
)


@dataclass(frozen=True)
class EcfStamp:
    """What a CM/ECF header stamp says. Fields the stamp style lacks are ``None``."""

    text: str
    """The stamp as printed (a wrapped stamp keeps its line break)."""
    case_number: str
    document_number: str | None = None
    page: int | None = None
    page_count: int | None = None
    filed: date | None = None
    entry_id: str | None = None
    """The appellate docket-entry id ("Entry ID: 5700979", Ninth Circuit "ID: 11778722")."""
    page_id: str | None = None
    """District courts' running page id across the whole docket ("PageID #: 123")."""


def _parse_us_date(text: str) -> date | None:
    """``MM/DD/YY`` or ``MM/DD/YYYY`` as a date; two-digit years are 20xx below 70 (ECF is post-1990)."""
    try:
        month, day, year = (int(part) for part in text.split("/"))
        if year < 100:
            year += 2000 if year < 70 else 1900
        return date(year, month, day)
    except ValueError:
        return None


def _stamp_field_count(text: str) -> int:
    fields = (_DOC_RE, _PAGE_RE, _PAGES_RE, _FILED_RE, _ENTRY_ID_RE, _PAGE_ID_RE, _ANY_DATE_RE)
    return sum(1 for pattern in fields if pattern.search(text))


def parse_ecf_stamp(text: str) -> EcfStamp | None:
    """Parse one ECF stamp line (or a wrapped stamp's two lines) into its fields.

    Knows the styles of the appellate CM/ECF ("Case: 12-2209 Document: 00116475093 Page: 1 Date
    Filed: ..."), the Eighth and Tenth Circuits ("Appellate Case: ..."), the Fourth ("Appeal: ...
    Doc: 17 ... Pg: 1 of 1"), the Second and Ninth ("Case: 20-16276, 08/05/2020, ID: ...,
    DktEntry: 19, Page 12 of 15"), district courts ("Case 2:19-cv-01234-ABC Document 27 Filed
    03/04/19 Page 3 of 10 PageID #: 123") and bankruptcy courts ("Case 18-53173-jwc Doc 35 Filed
    ... Entered ... Desc Main Document Page 1 of 42"). Returns ``None`` for anything else.
    """
    stripped = text.strip()
    start = _STAMP_START.match(stripped)
    if start is None or _stamp_field_count(stripped[start.end() :]) < 2:
        return None
    rest = stripped[start.end() :]
    document = _DOC_RE.search(rest)
    page = _PAGE_RE.search(rest)
    pages = _PAGES_RE.search(rest)
    filed = _FILED_RE.search(rest) or _ANY_DATE_RE.search(rest)
    entry = _ENTRY_ID_RE.search(rest) or _COMMA_ENTRY_ID_RE.search(rest)
    page_id = _PAGE_ID_RE.search(rest)
    page_count: int | None = None
    if page is not None and page.group("count"):
        page_count = int(page.group("count"))
    elif pages is not None:
        page_count = int(pages.group("count"))
    entry_id: str | None = None
    if entry is not None:
        entry_id = next(group for group in entry.groups() if group)
    return EcfStamp(
        text=stripped,
        case_number=start.group("case").rstrip(",.:"),
        document_number=document.group("value") if document else None,
        page=int(page.group("page")) if page else None,
        page_count=page_count,
        filed=_parse_us_date(filed.group("date")) if filed else None,
        entry_id=entry_id,
        page_id=page_id.group("value") if page_id else None,
    )


def _lines(page_text: str) -> list[Span]:
    """``(start, end)`` of every line, without its newline."""
    spans: list[Span] = []
    start = 0
    for line in page_text.split("\n"):
        spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def _trimmed(page_text: str, span: Span) -> Span:
    """The span without the whitespace at its ends (so a skip span is exactly the printed text)."""
    start, end = span
    while start < end and page_text[start].isspace():
        start += 1
    while end > start and page_text[end - 1].isspace():
        end -= 1
    return start, end


def find_stamps(page_text: str) -> list[tuple[Span, EcfStamp]]:
    """Every ECF stamp on a page, with its page-relative span, in reading order.

    A page may carry several stamps: a document refiled as an exhibit keeps its old stamp above
    the new one.
    """
    found: list[tuple[Span, EcfStamp]] = []
    lines = _lines(page_text)
    index = 0
    while index < len(lines):
        line_start, line_end = lines[index]
        line = page_text[line_start:line_end]
        if _STAMP_START.match(line) and parse_ecf_stamp(line) is not None:
            end = line_end
            if index + 1 < len(lines):
                next_start, next_end = lines[index + 1]
                if _CONTINUATION_RE.match(page_text[next_start:next_end]):
                    end = next_end
                    index += 1
            span = _trimmed(page_text, (line_start, end))
            stamp = parse_ecf_stamp(page_text[span[0] : span[1]])
            if stamp is not None:
                found.append((span, stamp))
        index += 1
    return found


def primary_stamp(page_text: str) -> EcfStamp | None:
    """The stamp of the filing this page came from: the newest one when a page carries several."""
    stamps = [stamp for _, stamp in find_stamps(page_text)]
    if not stamps:
        return None
    # The last stamp wins ties: refiled documents get the new stamp added after the old one.
    return max(reversed(stamps), key=lambda stamp: stamp.filed or date.min)


# ---------------------------------------------------------------------------------------------
# Running heads and pleading-paper line numbers
# ---------------------------------------------------------------------------------------------

EDGE_LINES = 3
"""Running heads and folios are looked for among the first and last non-blank lines of a page."""
MIN_REPEAT_PAGES = 3
"""A running head must repeat on at least this many pages (two-page documents share captions)..."""
MIN_REPEAT_SHARE = 0.4
"""...and on at least this share of the pages (slip opinions alternate heads on odd/even pages)."""
MIN_LINE_NUMBER_RUN = 10
"""Pleading paper numbers lines 1..28 (or 1..26); a shorter run of 1, 2, 3 is more likely a list."""

_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_LEADING_NUMBER = re.compile(r"[ \t]*(\d{1,2})(?=\s|$)")


def _normalised(line: str) -> str:
    """A line with digits and spacing folded, so "Page 3" on one page repeats as "Page 4" on the next."""
    return _SPACES.sub(" ", _DIGITS.sub("#", line)).strip().lower()


def _edge_lines(page_text: str) -> list[Span]:
    lines = [span for span in _lines(page_text) if page_text[span[0] : span[1]].strip()]
    if len(lines) <= 2 * EDGE_LINES:
        return lines
    return lines[:EDGE_LINES] + lines[-EDGE_LINES:]


def line_number_spans(page_text: str) -> list[Span]:
    """Pleading-paper line numbers: a run of lines that are, or start with, 1, 2, 3, ... in order.

    A run of bare numbers ("1\\n2\\n...\\n28", how most text layers give the margin) becomes one
    span; numbers that prefix text lines are spanned one by one so the text stays.
    """
    spans: list[Span] = []
    run: list[Span] = []
    expected = 1
    for line_start, line_end in [*_lines(page_text), (len(page_text), len(page_text))]:
        match = _LEADING_NUMBER.match(page_text, line_start, line_end)
        if match is not None and int(match.group(1)) == expected:
            run.append(match.span(1))
            expected += 1
            continue
        if len(run) >= MIN_LINE_NUMBER_RUN:
            spans.extend(run)
        run = []
        expected = 1
        match = _LEADING_NUMBER.match(page_text, line_start, line_end)
        if match is not None and int(match.group(1)) == 1:
            run.append(match.span(1))
            expected = 2
    return spans


def _merge(page_text: str, spans: list[Span]) -> list[Span]:
    """Sorted spans, with overlapping ones and ones separated only by whitespace merged."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and (start <= merged[-1][1] or not page_text[merged[-1][1] : start].strip()):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def find_skip_spans(pages: Sequence[str]) -> list[list[Span]]:
    """Per page, the sorted page-relative spans of docket furniture that chunks must not contain.

    Three kinds: ECF stamps (found by their shape, so even a one-page filing is covered), pleading
    line-number runs, and running heads / folios, i.e. lines among the top or bottom
    ``EDGE_LINES`` non-blank lines of a page that, with digits folded, recur at the edges of at
    least ``MIN_REPEAT_PAGES`` pages and ``MIN_REPEAT_SHARE`` of all pages. Every span is trimmed
    of surrounding whitespace, so ``page_text[start:end]`` is exactly the printed furniture.
    """
    per_page: list[list[Span]] = [[span for span, _ in find_stamps(text)] + line_number_spans(text) for text in pages]
    edge_keys: list[dict[str, list[Span]]] = []
    pages_with_key: Counter[str] = Counter()
    for text in pages:
        keys: dict[str, list[Span]] = {}
        for span in _edge_lines(text):
            key = _normalised(text[span[0] : span[1]])
            # A lone folio ("3", "- 3 -") repeats trivially; it is still furniture, so keep it.
            keys.setdefault(key, []).append(_trimmed(text, span))
        edge_keys.append(keys)
        pages_with_key.update(keys.keys())
    threshold = max(MIN_REPEAT_PAGES, MIN_REPEAT_SHARE * len(pages))
    for page_index, keys in enumerate(edge_keys):
        for key, spans in keys.items():
            if pages_with_key[key] >= threshold:
                per_page[page_index].extend(spans)
    return [_merge(text, spans) for text, spans in zip(pages, per_page, strict=True)]


# ---------------------------------------------------------------------------------------------
# Page labels
# ---------------------------------------------------------------------------------------------

_ROMAN = r"[ivxlc]{1,7}"
_FOLIO_RE = re.compile(
    rf"^(?:page\s*)?[-\u2013\u2014]?\s*(?P<number>\d{{1,4}}|{_ROMAN})\s*[-\u2013\u2014]?(?:\s+of\s+\d+)?$",
    re.IGNORECASE,
)
_HEAD_THEN_NUMBER_RE = re.compile(r"^(?P<head>.*\S)\s+(?P<number>\d{1,4})$")
_NUMBER_THEN_HEAD_RE = re.compile(r"^(?P<number>\d{1,4})\s+(?P<head>\S.*)$")


def in_capitals(text: str, min_letters: int = 3) -> bool:
    """True when at least ``min_letters`` letters and four in five of them are capitals ("III. CONCLUSION",
    "TARRANT REGIONAL WATER DIST. v. HERRMANN"): how filings set headings, captions and running heads."""
    letters = [char for char in text if char.isalpha()]
    return len(letters) >= min_letters and sum(char.isupper() for char in letters) >= 0.8 * len(letters)


def _looks_like_heading(text: str) -> bool:
    """A running head is in capitals ("TARRANT REGIONAL WATER DIST. v. HERRMANN") or a citation line."""
    return text.startswith("Cite as:") or in_capitals(text, min_letters=4)


def printed_page_number(page_text: str) -> str | None:
    """The page number printed at the top or bottom of the page ("3", "- 3 -", "Page 3 of 9", "ii",
    "6 TARRANT ... v. HERRMANN"), ignoring ECF stamps and pleading line numbers; ``None`` if none."""
    furniture = [span for span, _ in find_stamps(page_text)] + line_number_spans(page_text)
    candidates = [
        span
        for span in (_trimmed(page_text, line) for line in _lines(page_text))
        if span[0] < span[1] and not any(start <= span[0] < end for start, end in furniture)
    ]
    # The folio is on the first or last two lines; text layers put it first or last inconsistently.
    for start, end in [*candidates[:2], *candidates[-2:][::-1]]:
        line = page_text[start:end]
        folio = _FOLIO_RE.match(line)
        if folio is not None:
            return folio.group("number")
        for pattern in (_HEAD_THEN_NUMBER_RE, _NUMBER_THEN_HEAD_RE):
            headed = pattern.match(line)
            if headed is not None and _looks_like_heading(headed.group("head")):
                return headed.group("number")
    return None


def page_label(page_text: str, physical_number: int, stamp: EcfStamp | None) -> str | None:
    """The page label a lawyer would cite, when it differs from the physical page number.

    The ECF stamp's page wins (courts ask for record citations by ECF page, and it is unambiguous
    when a PDF is an excerpt, e.g. "Page 6 of 11" on an exhibit's first page); without a stamp page
    the printed page number is used. ``None`` when the label equals ``physical_number`` or is unknown.
    """
    stamp_page = stamp.page if stamp is not None else None
    label = str(stamp_page) if stamp_page is not None else printed_page_number(page_text)
    if label is None or label == str(physical_number):
        return None
    return label


# ---------------------------------------------------------------------------------------------
# Docket metadata
# ---------------------------------------------------------------------------------------------

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
    if re.search(r"\btax\s+court\b", text, re.IGNORECASE):
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


# ---------------------------------------------------------------------------------------------
# Numbered paragraphs
# ---------------------------------------------------------------------------------------------

# "42. Text", "¶ 42 Text", "¶42." at a line start; a paragraph number is rarely above 999.
_PARAGRAPH_START_RE = re.compile(
    r"^[ \t]*(?:¶[ \t]*(?P<pilcrow>\d{1,3})\b\.?|(?P<number>\d{1,3})\.)[ \t]+\S", re.MULTILINE
)
# A section heading ends the numbered paragraph before it ("II. DISCUSSION", "B. Standing").
_HEADING_RE = re.compile(r"^[ \t]*(?:[IVXL]+|[A-H])\.[ \t]+\S|^[ \t]*[A-Z][A-Z ,.'\u2019&-]{3,80}[ \t]*$", re.MULTILINE)


def paragraph_at(page_text: str, char_offset: int) -> str | None:
    """The number of the numbered paragraph ("42." or "¶ 42") containing ``char_offset``, if any.

    Declarations, complaints and orders number their paragraphs and lawyers cite them ("Decl.
    ¶ 7"). Only paragraphs that start on this page are seen; a section heading ends a paragraph.
    """
    if not 0 <= char_offset <= len(page_text):
        return None
    current: re.Match[str] | None = None
    for match in _PARAGRAPH_START_RE.finditer(page_text):
        if match.start() > char_offset:
            break
        current = match
    if current is None:
        return None
    for heading in _HEADING_RE.finditer(page_text, current.end(), char_offset):
        if heading.start() > current.start():
            return None
    return current.group("pilcrow") or current.group("number")
