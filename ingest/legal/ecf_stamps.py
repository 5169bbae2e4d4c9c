"""CM/ECF header stamps ("Case: 12-2209  Document: 00116475093  Page: 3  Date Filed: 01/02/2013  Entry ID:
5701234"): found on a page, read into fields.

A heuristic tuned on the real filings in ``tests/data/court/`` (from Free Law Project test fixtures): it returns
``None`` / nothing rather than guess wildly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ingest.legal.text import Span, line_spans, trimmed_span

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


def find_stamps(page_text: str) -> list[tuple[Span, EcfStamp]]:
    """Every ECF stamp on a page, with its page-relative span, in reading order.

    A page may carry several stamps: a document refiled as an exhibit keeps its old stamp above
    the new one.
    """
    found: list[tuple[Span, EcfStamp]] = []
    lines = line_spans(page_text)
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
            span = trimmed_span(page_text, (line_start, end))
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
