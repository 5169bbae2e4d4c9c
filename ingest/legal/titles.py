"""A court document's title as a lawyer scanning a list would want it.

A PDF's own title is often what a word processor, scanner or browser wrote ("A9Rmahfa4_1laaz8q_bg.tmp",
"Microsoft Word - 21-800, Proposed Show Cause Order"), and a first line is often the court, an ECF
stamp, a date, a page number or the attorney's letterhead. Such a title is *generic* and gives way
to, in order:

1. the document's heading and its case name: "Order — In re Richard P. Liebowitz", "Judgment —
   Dennis B. Regalado v. W.J. Sullivan, Warden" (either alone when only one is known; a letter's
   "Re:" case is "Letter — ...");
2. a heading with the docket number when there is no case name: "Exhibit 57 — No. 2:85-cv-04544, Dkt. 569-10";
3. the word processor's file name without "Microsoft Word - " and extension, when a person wrote it
   ("Xiang - Response to Supplemental Notice (mpk draft)");
4. the docket number and entry from the ECF stamp: "No. 21-1298, Dkt. 42";
5. a file-name title (or the file's name) with its underscores and extension gone.

A specific title ("T.C. Memo. 2020-26", "NOTICE OF MOTION AND PARTIAL MOTION TO DISMISS ...") is kept.
Like ``ingest.legal.captions``, these are general rules tuned by eye on the shared court filings
(``tests/benchmarks/court_titles.py``), not per-file fixes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath

from ingest.legal.captions import title_case
from ingest.legal.ecf_stamps import parse_ecf_stamp
from ingest.legal.text import in_capitals

HEADING_CHARS = 60
"""A heading longer than this is cut at a phrase boundary ("Motion to Stay Proceedings Pending Decision")."""
HEADING_LINES = 60
"""A heading is looked for among a first page's first non-blank lines."""
MAX_DOCUMENT_NUMBER = 8
"""Longer docket entry numbers are appellate ids ("00116475093"), which no one cites."""

_SPACES = re.compile(r"\s+")

# Words that name what a filing is. "form" and "appeal" are not among them: "Official Form 101" and
# "Appeal from the United States District Court" say where a document comes from, not what it is.
_DOCUMENT_WORDS = (
    r"(?:orders?|opinion|judge?ments?|decree|ruling|decision|memorandum|motions?|petition|complaint|answer|"
    r"brief|reply|response|opposition|objections?|declarations?|affidavits?|stipulation|notice|application|"
    r"request|report|recommendations?|findings|minutes|transcript|deposition|exhibit|appendix|subpoena|"
    r"summons|warrant|indictment|verdict|statement|designation|certificate|certification|mandate|letter|"
    r"plan|schedule|agreement|appearance|instructions|syllabus)"
)
_DOCUMENT_WORD = re.compile(rf"\b{_DOCUMENT_WORDS}\b", re.IGNORECASE)

# ---------------------------------------------------------------------------------------------
# Generic titles
# ---------------------------------------------------------------------------------------------

_COURT_TITLE = re.compile(
    r"^(?:in\s+the\s+)?(?:[\w.'\u2019]+\s+){0,6}(?:court|bureau|board|commission|tribunal)\b"
    r"(?:\s+(?:of|for)\s+[\w\s.,'\u2019]+)?$",
    re.IGNORECASE,
)
_DOCKET_NUMBER_TITLE = re.compile(
    r"^(?:case\s+|docket\s+|appeal\s+)?(?:nos?\.?|number:?|#)\s*[\w:.\u2013-]+$", re.IGNORECASE
)
_NO_WORDS_TITLE = re.compile(r"^[\W\d_]*(?:page\s*[\W\d_]*)?$", re.IGNORECASE)
_WORD_PROCESSOR = re.compile(r"^microsoft\s+(?:word|excel|powerpoint)\s*-\s*", re.IGNORECASE)
_EXTENSION = re.compile(r"\.(?:tmp|png|jpe?g|tiff?|pdf|docx?|wpd|rtf|cef|txt|odt)\s*$", re.IGNORECASE)
_IDENTIFIER = re.compile(r"^[\w.-]*_[\w.-]*$")  # "ocr_pdf_test", "scan_0001"
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_WORD_DATE_TITLE = re.compile(
    rf"^(?:[a-z]+day,?\s+)?(?:{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH}\s+\d{{4}})$", re.IGNORECASE
)
# What a template or scanner calls every document: "Bankruptcy Forms", "Untitled", "Document1", "Scanned Image".
_PLACEHOLDER_TITLE = re.compile(
    r"^(?:[\w-]+\s+)?(?:forms?|documents?|untitled|scan(?:ned)?|images?|files?)(?:\s*[-_]?\s*\d+)?$", re.IGNORECASE
)
_LETTERHEAD = re.compile(r"\(\d{3}\)\s*\d{3}[-.]\d{4}|\b\d{3}[-.]\d{3}[-.]\d{4}\b|@|https?:|www\.")
# Two to four capitalised words or initials and nothing else: an attorney's or clerk's name.
_NAME_WORD = r"(?:[A-Z][a-z'\u2019-]+|[A-Z]{2,}|[A-Z]\.),?"
_PERSON_TITLE = re.compile(rf"^{_NAME_WORD}(?:\s+{_NAME_WORD}){{1,3}}$")
# "Sttmnt", "Sgnd"; not the abbreviations that have no vowel either.
_VOWELLESS = re.compile(
    r"\b(?!(?:Mrs|Ltd|Pvt|Sgt|Blvd|Hwy|Pkwy|Std)\b)(?=[A-Za-z]*[a-z])[B-DF-HJ-NP-TV-XZb-df-hj-np-tv-xz]{3,}\b"
)
_FUNCTION_WORDS = frozenset({"a", "an", "the", "of", "to", "in", "and", "or", "for", "by", "with", "on", "at", "is"})
MAX_SYMBOL_SHARE = 0.35
"""A title whose visible characters are more than this share of symbols is OCR garbage."""


def is_file_name_title(title: str) -> bool:
    """Whether a title is a file's name: "Microsoft Word - x.docx", "A9Rmahfa4_1laaz8q_bg.tmp", "ocr_pdf_test"."""
    title = title.strip()
    return bool(_WORD_PROCESSOR.match(title) or _EXTENSION.search(title) or _IDENTIFIER.match(title))


def _mangled(title: str) -> bool:
    """A sentence cut mid-way, an abbreviated file label, or OCR garbage."""
    words = title.split()
    if re.fullmatch(r"[a-z]{2,}", words[0]) or words[-1].lower() in _FUNCTION_WORDS or title.endswith(":"):
        return True  # "although not necessarily expended, ...", "Check if this is an", "Fill in ... your case:"
    if len(_VOWELLESS.findall(title)) >= 2:
        return True  # "MBeavers [APPL] 2017.07.26 Dsgntin & Sttmnt Isss (Sgnd)"
    visible = [char for char in title if not char.isspace()]
    symbols = sum(not char.isalnum() for char in visible)
    return symbols > MAX_SYMBOL_SHARE * len(visible)  # "To:Gold;ng, M;chael@CDCR ? 3/ 21 / f/ 6•1/,'.!:::"


def is_generic_title(title: str | None) -> bool:
    """Whether a title fails to tell court filings apart: missing; a court's or agency's name ("United
    States Court of Appeals", "IN THE SUPREME COURT OF NORTH CAROLINA"); an ECF stamp; a bare docket
    or page number, date or "[7]"; a file name a word processor or scanner wrote ("Microsoft Word -
    16-1261_Order.docx", "scan_0001.tmp"); a template's placeholder ("Bankruptcy Forms"); a
    person's name or letterhead; a sentence fragment, abbreviated label or OCR garbage."""
    if title is None or not title.strip():
        return True
    title = _SPACES.sub(" ", title).strip()
    return bool(
        _COURT_TITLE.match(title)
        or parse_ecf_stamp(title) is not None
        or _DOCKET_NUMBER_TITLE.match(title)
        or _NO_WORDS_TITLE.match(title)
        or _WORD_DATE_TITLE.match(title)
        or is_file_name_title(title)
        or _PLACEHOLDER_TITLE.match(title)
        or _LETTERHEAD.search(title)
        or (_PERSON_TITLE.match(title) and not _DOCUMENT_WORD.search(title))
        or _mangled(title)
    )


# ---------------------------------------------------------------------------------------------
# Document headings
# ---------------------------------------------------------------------------------------------

_TRANSCRIPT_DOTS = re.compile("\u00b7")  # "·"
_LEADING_LINE_NUMBER = re.compile(r"^\d{1,2}\s+(?=\D)")
_COLUMN_RULE = re.compile(r"\s[)\]§](?:\s|$)|^[)\]§]\s")
_LETTER_SPACED = re.compile(r"(?:[A-Z] )+[A-Z]")  # "O R D E R"
_ENUMERATED = re.compile(r"^(?:[IVXLC]+|[A-Z]|\d{1,3})[.)]\s")  # a section: "II. BACKGROUND", "B. Dr. ..."
_CASE_NUMBER = re.compile(r"\bnos?\.\s*(?:[A-Z]{2,4}\s+)?\S*\d|\d:\d{2}-|\bcase\s+no\b|\bdocket\b", re.IGNORECASE)
# Where the court sits, and a form's footer: "CENTRAL DISTRICT OF CALIFORNIA", "FOR THE NINTH CIRCUIT", "Page 3 of 26".
_COURT_PLACE = re.compile(
    r"^(?:(?:northern|southern|eastern|western|central|middle)\s+)?district\s+of\b|^for\s+the\b|\b(?:circuit|division)$"
    r"|\bpage\s+\d+\s+of\s+\d+",
    re.IGNORECASE,
)
WRAPPED_LINE = 30
"""A capital line at least this long, or ending in "AND", "OF", "GRANTING", ..., goes on in the next one."""
_BRIEF_SECTION = re.compile(r"^statement\s+of\s+(?:the\s+)?(?:facts?|case|issues?)\b", re.IGNORECASE)
_SMALL_WORDS = frozenset(
    {"of", "the", "and", "for", "to", "in", "on", "a", "an", "by", "with", "re", "or", "at", "from", "under",
     "pursuant", "&", "v.", "vs.", "de", "per", "as", "its", "their", "his", "her"}
)  # fmt: skip
# A page number, a form's revision date ("12/17") or a court's form code ("JS-6") after a heading.
_TRAILING_CODES = re.compile(
    r"(?:\s+(?:[-\u2013\u2014]\s*)?[Pp](?:age|AGE)\s+\d+(?:\s+of\s+\d+)?|\s+\d{1,2}/\d{2,4}|\s+[A-Z]{2,4}-\d{1,3})+$"
)
# "ORDER GRANTING ACME CORP.'S MOTION" -> "ORDER GRANTING MOTION": the movant is in the case name.
_MOVANT = re.compile(
    r"\b(?P<verb>granting|denying|on|re|regarding|in\s+support\s+of|in\s+opposition\s+to)\s+"
    rf"(?:(?!(?:in|part|and|or|to|for|granting|denying|{_DOCUMENT_WORDS})\b)\S+\s+){{0,7}}?"
    r"\S+?(?:['\u2019]s|s['\u2019])(?=\s)",
    re.IGNORECASE,
)
_CUT_BEFORE = frozenset(
    {"to", "for", "of", "in", "on", "pending", "regarding", "re", "re:", "concerning", "pursuant", "granting",
     "denying", "and", "against", "under", "with", "by", "from", "as", "filed", "dated"}
)  # fmt: skip


def _title_styled(text: str) -> bool:
    """ "Designation & Statement of Issues": capitalised words but for small ones, not a sentence."""
    words = [word for word in text.split() if any(char.isalpha() for char in word)]
    if not words or len(words) > 10 or not words[0][0].isupper() or words[-1].lower() in _SMALL_WORDS:
        return False
    big = [word for word in words if word.lower() not in _SMALL_WORDS]
    # One word is a table cell or a wrapped sentence's end as often as a heading.
    return len(big) >= 2 and sum(word[0].isupper() for word in big) >= 0.85 * len(big)


def _heading_lines(page_text: str) -> list[str]:
    """A page's lines as a reader sees them: stamps, pleading line numbers and transcript dots gone,
    a caption's two columns as two lines, "O R D E R" as "ORDER"."""
    lines: list[str] = []
    for raw in page_text.splitlines():
        text = _SPACES.sub(" ", _TRANSCRIPT_DOTS.sub(" ", raw)).strip()
        if not text or text.isdigit() or parse_ecf_stamp(text) is not None:
            continue
        text = _LEADING_LINE_NUMBER.sub("", text)
        for column in _COLUMN_RULE.split(text):
            column = column.strip()
            if column:
                lines.append(column.replace(" ", "") if _LETTER_SPACED.fullmatch(column) else column)
        if len(lines) >= HEADING_LINES:
            break
    return lines


def _plain(line: str) -> bool:
    """Not a heading's text: a court, a docket number, a case name, an address, a section."""
    return bool(
        _COURT_TITLE.match(line)
        or _COURT_PLACE.search(line)
        or _CASE_NUMBER.search(line)
        or re.search(r"\s(?:v\.|vs\.)\s", line, re.IGNORECASE)
        or _LETTERHEAD.search(line)
        or _ENUMERATED.match(line)
        or "...." in line
    )


def _cut(heading: str) -> str:
    """A long heading up to the last phrase boundary that fits, keeping what kind of document it is."""
    if len(heading) <= HEADING_CHARS:
        return heading
    words = heading.split()
    best: str | None = None
    for index in range(1, len(words)):
        prefix = " ".join(words[:index])
        if len(prefix) > HEADING_CHARS:
            break
        boundary = words[index].lower() in _CUT_BEFORE or words[index - 1].endswith((",", ";"))
        if boundary and _DOCUMENT_WORD.search(prefix):
            best = prefix
    if best is None:
        best = heading[:HEADING_CHARS].rsplit(" ", 1)[0] + "\u2026"
    return best.rstrip(" ,;:-\u2013\u2014")


def _tidy(heading: str) -> str:
    heading = _TRAILING_CODES.sub("", heading).strip(" ,;:-\u2013\u2014")
    heading = _MOVANT.sub(lambda match: match.group("verb"), heading)
    words = _cut(heading).split()
    while len(words) > 1 and words[-1].lower() in _CUT_BEFORE:  # "... PENDING DECISION IN" at a line's end
        words.pop()
    return title_case(" ".join(words))


def document_heading(page_text: str) -> str | None:
    """What a first page says the document is: its first heading naming a kind of filing, in title
    case and at most ``HEADING_CHARS`` long ("Order", "Expedited Hearing Order Denying Requested
    Relief", "Voluntary Petition for Individuals Filing for Bankruptcy", "Exhibit 57"), or ``None``.

    A heading is a line in capitals, continued by the capital lines after it ("SUGGESTION OF REMAND
    AND / TRANSFER ORDER"), or a short line in title case ("Designation & Statement of Issues"), that
    holds a word such as order, motion, brief, notice or petition. Party names (a block ending in a
    comma), courts, docket numbers, numbered sections and sentences are not headings.
    """
    lines = _heading_lines(page_text)
    index = 0
    while index < len(lines):
        line = lines[index]
        if _plain(line):
            index += 1
            continue
        if in_capitals(line):
            block = [line]
            while index + len(block) < len(lines) and len(block) < 4:
                following = lines[index + len(block)]
                wrapped = len(block[-1]) >= WRAPPED_LINE or block[-1].split()[-1].lower() in _CUT_BEFORE
                if not wrapped or not in_capitals(following) or _plain(following):
                    break
                block.append(following)
            index += len(block)
            heading = " ".join(block)
            if _DOCUMENT_WORD.search(heading) and not block[-1].endswith(",") and not _BRIEF_SECTION.match(heading):
                return _tidy(heading)
            continue
        if _title_styled(line) and _DOCUMENT_WORD.search(line) and not _BRIEF_SECTION.match(line):
            return _tidy(line)
        index += 1
    return None


# ---------------------------------------------------------------------------------------------
# The title
# ---------------------------------------------------------------------------------------------


class TitleSource(StrEnum):
    """Where a chosen title came from."""

    KEPT = "kept"  # the document's own title was specific
    CASE_NAME = "case_name"  # the case name, with the heading when there is one
    HEADING = "heading"  # the heading, with the docket number when there is one
    FILE_NAME = "file_name"  # a word processor's or the file's name, made readable
    DOCKET = "docket"  # the docket number and entry
    GENERIC = "generic"  # nothing better: the generic title stays


@dataclass(frozen=True)
class TitleChoice:
    """A document's title and where it came from."""

    title: str | None
    source: TitleSource


_PAGE_REFERENCE = re.compile(r"\s*[-\u2013\u2014]?\s*\bpage\s+\d+(?:\s+of\s+\d+)?\s*$", re.IGNORECASE)


def docket_cite(metadata: Mapping[str, str]) -> str | None:
    """ "No. 4:08-cv-02214-SBA, Dkt. 27" from docket metadata, or ``None`` without a case number."""
    case_number = metadata.get("case_number")
    if not case_number:
        return None
    number = metadata.get("document_number", "")
    if number and len(number) <= MAX_DOCUMENT_NUMBER and not number.startswith("0"):
        return f"No. {case_number}, Dkt. {number}"
    return f"No. {case_number}"


def _readable(name: str) -> str | None:
    """A file name as words: "Microsoft Word - 16-1261_Order.docx" -> "16-1261 Order"; ``None`` if
    no word is left ("A9Rmahfa4_1laaz8q_bg.tmp")."""
    name = _EXTENSION.sub("", _WORD_PROCESSOR.sub("", name.strip()))
    name = _SPACES.sub(" ", name.replace("_", " ")).strip(" -.")
    words = name.split()
    real = [word for word in words if re.fullmatch(r"[A-Za-z][A-Za-z.'\u2019-]+[A-Za-z.]", word)]
    return name if real and len(real) * 2 >= len(words) else None


def _written_name(title: str) -> str | None:
    """What a person named the file in their word processor, if it reads as words ("Xiang - Response
    to Supplemental Notice (mpk draft)"); a machine's "ShannonColic_212728_4987216_...cef" does not."""
    match = _WORD_PROCESSOR.match(title.strip())
    if match is None:
        return None
    rest = _EXTENSION.sub("", title.strip()[match.end() :]).strip()
    if " " not in rest or is_generic_title(rest):
        return None
    return _readable(rest)


def choose_title(
    title: str | None,
    *,
    case_name: str | None,
    heading: str | None,
    metadata: Mapping[str, str],
    file_name: str,
) -> TitleChoice:
    """A specific ``title`` kept (less a trailing "Page 1"), else the best of what the document says
    about itself; see the module docstring for the order."""
    if title is not None and not is_generic_title(title):
        return TitleChoice(_PAGE_REFERENCE.sub("", title).strip() or title, TitleSource.KEPT)
    if case_name:
        return TitleChoice(f"{heading} \u2014 {case_name}" if heading else case_name, TitleSource.CASE_NAME)
    cite = docket_cite(metadata)
    if heading:
        return TitleChoice(f"{heading} \u2014 {cite}" if cite else heading, TitleSource.HEADING)
    written = _written_name(title) if title else None
    if written:
        return TitleChoice(written, TitleSource.FILE_NAME)
    if cite:
        return TitleChoice(cite, TitleSource.DOCKET)
    if not title or is_file_name_title(title):
        readable = (_readable(title) if title else None) or _readable(PurePath(file_name).stem)
        if readable:
            return TitleChoice(readable, TitleSource.FILE_NAME)
    return TitleChoice(title, TitleSource.GENERIC)
