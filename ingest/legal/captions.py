"""The case name of a US court document, read from its caption (or a letter's "Re:" line).

A filing's first line is usually the court ("UNITED STATES DISTRICT COURT"), which tells filings
apart no better than no title. Its caption names the case::

    CONSUMERINFO.COM, INC. dba            )
    EXPERIAN CONSUMER SERVICES,           )   Case No. 8:16-cv-1261
                Plaintiff,                )
         v.                               )
    ESTEBAN LEON; and DOES 1 through 10,  )
                Defendants.               )

``case_caption`` turns that into the short name lawyers cite ("Consumerinfo.com, Inc. v. Esteban
Leon"): the first party on each side, without roles, "et al.", "d/b/a" names, co-parties or
"in his official capacity"; "In re X" (also for "In the Matter of X", as the Bluebook shortens it)
and "Ex parte X". A court's own running head ("GIFT SURPLUS, LLC V. STATE EX REL. COOPER" on
every page after the first) is the short name the court chose, so it wins over the caption. A
letter has no caption; ``letter_case_name`` reads its "Re:" line the same way. Which title the name
replaces is ``ingest.legal.titles``' job.

Like ``ingest.legal.ecf_stamps``, this is a heuristic tuned on the real filings in ``tests/data/court/`` and
the shared court-filing set; it returns ``None`` whenever the caption is not clear, because a
wrong title is worse than a generic one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from ingest.legal.ecf_stamps import parse_ecf_stamp
from ingest.legal.text import in_capitals

MAX_CASE_NAME = 120
"""Longest case name given; a longer one is cut at a word."""
MAX_PARTY_LINES = 6
"""A party's name in a caption spans at most this many lines."""
CAPTION_LINES = 70
"""The caption is looked for among a first page's first non-blank lines."""
RUNNING_HEAD_PAGES = 6
"""A running head is looked for on the pages after the first, up to this page."""

# ---------------------------------------------------------------------------------------------
# Lines of a caption
# ---------------------------------------------------------------------------------------------

# Captions are drawn in two columns split by ")" "]" ":" or "§" (the right one holds the case
# number and judge); only the left column names parties. Deposition transcripts put "·" between words.
_COLUMN_SPLIT = re.compile(r"\s+[)\]:§](?:\s|$)|^\s*[)\]:§](?:\s|$)")
# The rule alone, without ":" (a transcript's rule, but also every "Case No.:" column).
_COLUMN_RULE = re.compile(r"(?:^|\s)[)\]§](?:\s|$)")
_TRANSCRIPT_DOTS = re.compile("\u00b7")  # "·"
_TRANSCRIPT_LINE_NUMBER = re.compile(r"^\s*\d{1,2}\s{2,}")
_SPACES = re.compile(r"\s+")

_ROLE = (
    r"(?:(?:cross|counter|third[- ]party)[- ])?"
    r"(?:plaintiffs?|defendants?|petitioners?|respondents?|appellants?|appellees?|"
    r"employees?|employers?|carriers?|debtors?(?:\(s\))?|claimants?|intervenors?|movants?|"
    r"relators?|real\s+part(?:y|ies)\s+in\s+interest)"
)
_ROLE_JOIN = r"\s*(?:[-\u2013\u2014,/&]|\band\b)\s*"
# A line that holds nothing but roles: "Plaintiff,", "Plaintiff, Appellant,", "Defendant - Appellant.",
# "Plaintiffs-Appellees,", "Plaintiff—Appellant,", "Debtor(s)".
_ROLE_LINE = re.compile(rf"^(?:and\s+)?{_ROLE}(?:{_ROLE_JOIN}{_ROLE})*\s*[.,;]?$", re.IGNORECASE)
# Roles after a name on its line: "COMMISSIONER OF INTERNAL REVENUE, Respondent", "Mary Beavers Appellant".
_ROLE_SUFFIX = re.compile(rf"(?:,|\s)\s*{_ROLE}(?:{_ROLE_JOIN}{_ROLE})*\s*[.,;]?$", re.IGNORECASE)
# "v." between the parties, alone on its line (its right column may carry the docket number).
_VERSUS_LINE = re.compile(r"^(?:v\.?|vs\.?|versus|-?\s*against\s*-?)(?:\s+[\w:.-]*\d[\w:.-]*)?$", re.IGNORECASE)
# Or at the end of the first party's line: "Petitioners v.", "TARRANT REGIONAL WATER DISTRICT v.".
_VERSUS_END = re.compile(r"^(?P<before>.*\S)\s+(?:v\.|vs\.|versus)$", re.IGNORECASE)
_IN_RE = re.compile(
    r"^(?P<kind>in\s+re|in\s+the\s+matter\s+of|matter\s+of|ex\s+parte)\b:?\s*(?P<rest>.*)$", re.IGNORECASE
)
# Lines that end a party's name when reading away from "v.": the court, the docket number, a
# rule line, a filing date. Parties are named between such lines.
_BOUNDARY = re.compile(
    r"\b(?:court|circuit|district\s+of|division|board|bureau|commission|tribunal)\b"
    r"|^(?:case|civil\s+action|criminal\s+action|docket|appeal|usdc|adv(?:ersary)?\.?\s+pro(?:ceeding)?\.?)\b"
    r"|^(?:order|opinion|judgment|motion|petition|complaint|memorandum|notice|brief|declaration|stipulation)\b"
    r"|^nos?\.\s|\bnos?\.\s*\S*\d|^_{3,}|^filed\b|^at\s+[A-Z]+$|^(?:before|present)\b|^\(slip opinion\)",
    re.IGNORECASE,
)
# Civil-minutes forms (C.D. Cal.) print the caption in a field: "Title RYAN LEWIS v. TRAVERTINE, INC., ETC.; ET AL."
_TITLE_FIELD = re.compile(r"^Title:?\s+(?P<first>\S.*?)\s+(?:v\.|vs\.)\s+(?P<second>\S.*)$")
_CASE_NUMBER_TAIL = re.compile(r"\s+(?:case\s+)?nos?\.\s*\S*\d.*$", re.IGNORECASE)


def _caption_line(line: str) -> str:
    """A line's left column, with transcript dots and line numbers gone and spacing folded."""
    line = _TRANSCRIPT_DOTS.sub(" ", line)
    line = _TRANSCRIPT_LINE_NUMBER.sub("", line)
    split = _COLUMN_SPLIT.search(line)
    if split is not None:
        line = line[: split.start()]
    return _SPACES.sub(" ", line).strip()


def _caption_lines(page_text: str) -> tuple[list[str], list[bool]]:
    """The first page's lines as caption columns, without ECF stamps and pleading line numbers, and
    for each whether a column rule (")", "]", "§") was drawn beside it.

    A line whose left column is empty stays, as "", because it separates parties."""
    lines: list[str] = []
    ruled: list[bool] = []
    for raw in page_text.splitlines():
        undotted = _TRANSCRIPT_DOTS.sub(" ", raw).strip()
        if not undotted or undotted.isdigit() or parse_ecf_stamp(raw) is not None:
            continue
        lines.append(_caption_line(raw))
        ruled.append(_COLUMN_RULE.search(raw) is not None)
        if sum(1 for line in lines if line) >= CAPTION_LINES:
            break
    return lines, ruled


# ---------------------------------------------------------------------------------------------
# Party names
# ---------------------------------------------------------------------------------------------

# Where a party's short name ends: co-parties, "et al.", trade names, capacities.
_PARTY_CUT = re.compile(
    r";|,\s*and\s|,?\s+et\s+al\b|\s+(?:dba|d/b/a|a/k/a|aka|f/k/a|fka)\s"
    r"|,\s*(?:individually|in\s+(?:his|her|their|its)\s+(?:official|individual)\s+capacit)"
    r"|,\s*(?:inclusive|etc)\b",
    re.IGNORECASE,
)
_FOOTNOTE_MARK = re.compile(r"(?<=[A-Za-z.,])(?:\d{1,2}|\*+)(?=\s|$)")
_UNFIT = re.compile(r"@|https?:|www\.|_{2,}|\d{3,}|\bthe\s+court\b|[!?]")
_KEEP_UPPER = frozenset(
    {
        "LLC", "LLP", "LP", "PLLC", "PC", "PA", "NA", "USA", "US", "FBI", "IRS", "SEC", "FTC", "FCC", "EPA",
        "CIA", "DEA", "ATF", "ICE", "IVC", "II", "III", "IV", "VI", "VII", "VIII", "IX", "XI", "NFL", "NBA",
        "MLB", "ACLU", "NAACP", "AT&T", "BNSF", "CSX", "UPS", "IBM",
    }
)  # fmt: skip
_KEEP_LOWER = frozenset(
    {"a", "an", "and", "as", "at", "by", "de", "del", "for", "in", "of", "on", "or", "the", "to", "ex", "rel.",
     "v.", "vs.", "la", "du", "von", "van"}
)  # fmt: skip
_CORPORATE = {"INC.": "Inc.", "INC": "Inc.", "CORP.": "Corp.", "CORP": "Corp.", "CO.": "Co.", "LTD.": "Ltd."}


def _capitalised(word: str) -> str:
    """ "O'BRIEN" -> "O'Brien", "WEST-GRANT" -> "West-Grant", "DEALER'S" -> "Dealer's"."""
    if re.search(r"[A-Za-z]\.[A-Za-z]{2,}", word):  # a domain: "CONSUMERINFO.COM" -> "Consumerinfo.com"
        return word[:1].upper() + word[1:].lower()

    def run(match: re.Match[str]) -> str:
        after_apostrophe = match.start() > 0 and word[match.start() - 1] in "'\u2019"
        return match.group(0).lower() if after_apostrophe and len(match.group(0)) == 1 else match.group(0).capitalize()

    return re.sub(r"[A-Za-z]+", run, word)


def _title_word(word: str, first: bool) -> str:
    bare = word.strip(",.;:()'\u2019\"")
    if word.rstrip(",;").upper() in _CORPORATE:
        return _CORPORATE[word.rstrip(",;").upper()] + word[len(word.rstrip(",;")) :]
    if bare.replace(".", "") in _KEEP_UPPER or bare in _KEEP_UPPER:
        return word
    if re.fullmatch(r"(?:[A-Z]\.){1,3},?", word):  # initials: "W.J.", "C.", "U.S."
        return word
    if not first and word.lower() in _KEEP_LOWER:
        return word.lower()
    return _capitalised(word)


def title_case(name: str) -> str:
    """An ALL-CAPS name in title case, keeping "LLC", initials and small words as citations write them."""
    letters = [char for char in name if char.isalpha()]
    if not letters or sum(char.isupper() for char in letters) < 0.5 * len(letters):
        return name  # printed in mixed case ("Bainbridge Fund LTD"): keep it as the court wrote it
    # Only the words in capitals change: "W.J. SULLIVAN, Warden" -> "W.J. Sullivan, Warden".
    return " ".join(
        _title_word(word, index == 0) if word == word.upper() else word for index, word in enumerate(name.split())
    )


def _party(lines: Sequence[str]) -> str | None:
    """One side's short name from its caption lines, or ``None`` if it does not look like a name."""
    text = _SPACES.sub(" ", " ".join(lines)).strip()
    text = _FOOTNOTE_MARK.sub("", text)
    suffix = _ROLE_SUFFIX.search(text)
    if suffix is not None and suffix.start() > 0:
        text = text[: suffix.start()]
    cut = _PARTY_CUT.search(text)
    if cut is not None:
        text = text[: cut.start()]
    text = text.strip(" ,;:-\u2013\u2014")
    letters = sum(char.isalpha() for char in text)
    if letters < 2 or len(text) > 90 or _UNFIT.search(text) or _ROLE_LINE.match(text) or _BOUNDARY.search(text):
        return None
    return title_case(text)


def _shorten(name: str) -> str:
    if len(name) <= MAX_CASE_NAME:
        return name
    return name[:MAX_CASE_NAME].rsplit(" ", 1)[0].rstrip(" ,;")


# ---------------------------------------------------------------------------------------------
# Captions
# ---------------------------------------------------------------------------------------------


def _upward(lines: list[str], index: int) -> tuple[list[str], bool]:
    """The first party's lines above ``index`` (the "v." line) and whether a role was printed."""
    position = index - 1
    has_role = False
    while position >= 0 and (not lines[position] or _ROLE_LINE.match(lines[position])):
        has_role = has_role or bool(lines[position])
        position -= 1
    party: list[str] = []
    while position >= 0 and len(party) < MAX_PARTY_LINES:
        line = lines[position]
        if not line or _BOUNDARY.search(line) or _ROLE_LINE.match(line) or _IN_RE.match(line):
            break
        party.insert(0, line)
        position -= 1
    if party and _ROLE_SUFFIX.search(party[-1]):
        has_role = True
    return party, has_role


def _downward(lines: list[str], index: int) -> tuple[list[str], bool]:
    """The second party's lines below ``index`` and whether a role ends them."""
    position = index + 1
    while position < len(lines) and not lines[position]:
        position += 1
    party: list[str] = []
    while position < len(lines) and len(party) < MAX_PARTY_LINES:
        line = lines[position]
        if _ROLE_LINE.match(line):
            return party, True
        if not line or _BOUNDARY.search(line):
            break
        party.append(line)
        if _ROLE_SUFFIX.search(line):
            return party, True
        position += 1
    while position < len(lines) and not lines[position]:
        position += 1
    return party, position < len(lines) and bool(_ROLE_LINE.match(lines[position]))


def _versus_caption(lines: list[str], index: int, ruled: list[bool]) -> str | None:
    """ "A v. B" around the "v." at ``lines[index]``; both sides must name someone, and what makes
    it a caption must be printed: a role on at least one side (Plaintiff, Appellee, ...), or the
    caption's column rule beside the "v." and the lines either side of it ("Ruben Diaz )")."""
    line = lines[index]
    drawn = all(ruled[max(index - 1, 0) : index + 2])
    ending = _VERSUS_END.match(line)
    if ending is not None:  # "Petitioners v." or "NAME v.": the text before "v." belongs above
        before = ending.group("before")
        lines = [*lines[:index], before, "v.", *lines[index + 1 :]]
        index += 1
        drawn = False
    first_lines, first_role = _upward(lines, index)
    second_lines, second_role = _downward(lines, index)
    if not (first_role or second_role or drawn) or not first_lines or not second_lines:
        return None
    first, second = _party(first_lines), _party(second_lines)
    if first is None or second is None:
        return None
    return _shorten(f"{first} v. {second}")


def _in_re_caption(lines: list[str], index: int) -> str | None:
    """ "In re X" / "Ex parte X" from the line at ``index`` and the lines that continue the name."""
    match = _IN_RE.match(lines[index])
    if match is None:
        return None
    kind = "Ex parte" if match.group("kind").lower().startswith("ex") else "In re"
    rest = _CASE_NUMBER_TAIL.sub("", match.group("rest")).strip()
    parts = [rest] if rest else []
    # "In re: RICHARD P. LIEBOWITZ No. 21-800": the docket number ends the name on its line.
    position = len(lines) if rest and rest != match.group("rest").strip() else index + 1
    while not parts and position < len(lines) and not lines[position]:
        position += 1  # "In re: )" with the debtor's name a few lines down
    while position < len(lines) and len(parts) < 4:
        line = lines[position]
        if not line or _BOUNDARY.search(line) or _ROLE_LINE.match(line) or _VERSUS_LINE.match(line):
            break
        if parts and parts[-1].endswith(".") and not parts[-1].endswith(("Inc.", "INC.", "Co.", "CO.")):
            break
        parts.append(_CASE_NUMBER_TAIL.sub("", line))
        if _ROLE_SUFFIX.search(line):
            break
        position += 1
    if not parts:
        return None
    name = _party(parts)
    if name is None or len(name.split()) > 14 or re.search(r"\d", name):
        return None
    if name.startswith("The "):  # "IN THE MATTER OF THE ESTATE OF ..." -> "In re the Estate of ..."
        name = "the" + name[3:]
    return _shorten(f"{kind} {name}")


def _caption(page_text: str) -> str | None:
    lines, ruled = _caption_lines(page_text)
    for index, line in enumerate(lines):
        field = _TITLE_FIELD.match(line)
        if field is not None:
            first, second = _party([field.group("first")]), _party([field.group("second")])
            if first is not None and second is not None:
                return _shorten(f"{first} v. {second}")
        if _IN_RE.match(line):
            found = _in_re_caption(lines, index)
            if found is not None:
                return found
        elif _VERSUS_LINE.match(line) or _VERSUS_END.match(line):
            found = _versus_caption(lines, index, ruled)
            if found is not None:
                return found
    return None


# ---------------------------------------------------------------------------------------------
# Running heads
# ---------------------------------------------------------------------------------------------

_HEAD_NAME = re.compile(
    r"^(?:\d{1,4}\s+)?(?P<name>\S.*?\s(?:v\.|V\.|vs\.|VS\.)\s.*?\S|(?:IN RE|In re)\s.*?\S)"
    r"(?:,?\s+(?:No\.|Case\s+No\.).*)?(?:\s+\d{1,4})?$"
)


def _running_head(pages: Sequence[str]) -> str | None:
    """The case name a court prints at the top of every page after the first, in capitals
    ("2 TARRANT REGIONAL WATER DIST. v. HERRMANN"), if it does so on at least two pages."""
    seen: Counter[str] = Counter()
    for text in pages[1:RUNNING_HEAD_PAGES]:
        heads = set()
        for raw in [line for line in text.splitlines() if line.strip()][:3]:
            match = _HEAD_NAME.match(_SPACES.sub(" ", raw).strip())
            if match is None:
                continue
            name = match.group("name")
            if in_capitals(name, min_letters=1) or name.startswith("In re"):
                heads.add(name)
        seen.update(heads)
    if not seen:
        return None
    head, count = seen.most_common(1)[0]
    if count < 2:
        return None
    in_re = _IN_RE.match(head)
    if in_re is not None:
        name = _party([in_re.group("rest")])
        return _shorten(f"In re {name}") if name is not None else None
    first, _, second = re.split(r"\s(v\.|V\.|vs\.|VS\.)\s", head, maxsplit=1)[0:3]
    left, right = _party([first]), _party([second])
    if left is None or right is None:
        return None
    return _shorten(f"{left} v. {right}")


def case_caption(pages: Sequence[str]) -> str | None:
    """The short case name of a court document ("Doe v. Acme Corp.", "In re Smith"), or ``None``.

    Read from the court's running head when one repeats on the pages after the first, else from
    the caption on the first page: the first "v." (or "vs.", "versus", "against") on a line of its
    own with a party above and below it, one side printing its role, or an "In re" / "In the
    Matter of" / "Ex parte" line. A "v." inside a sentence, a caption form with blanks, a table of
    contents or a letter's "Re:" line gives ``None``.
    """
    if not pages:
        return None
    return _running_head(pages) or _caption(pages[0])


# ---------------------------------------------------------------------------------------------
# Letters
# ---------------------------------------------------------------------------------------------

_SUBJECT_LINE = re.compile(r"^re\s*:\s*(?P<subject>\S.*)$", re.IGNORECASE)
_SUBJECT_NUMBER = re.compile(
    r"^(?:case\s+)?(?:nos?\.?|number)\s*:?\s*[\w:.\u2013-]*\d[\w:.\u2013-]*,?\s*", re.IGNORECASE
)
_SUBJECT_VERSUS = re.compile(r"\s+(?:v\.|vs\.|v)\s+", re.IGNORECASE)


def letter_case_name(page_text: str) -> str | None:
    """The case a letter is about, from its "Re:" line ("Re: Case No. 17-3994, Island Creek Coal
    Company v. Linda Hill, et al" -> "Island Creek Coal Company v. Linda Hill"), or ``None``.

    A clerk's or counsel's letter has no caption; its subject line names the case in the short
    form, so only the first party on each side and no docket number is kept, as in a caption."""
    seen = 0
    for raw in page_text.splitlines():
        line = _SPACES.sub(" ", raw).strip()
        if not line:
            continue
        seen += 1
        if seen > CAPTION_LINES:
            return None
        match = _SUBJECT_LINE.match(line)
        if match is None:
            continue
        subject = _SUBJECT_NUMBER.sub("", match.group("subject"))
        sides = _SUBJECT_VERSUS.split(subject, maxsplit=1)
        if len(sides) != 2:
            return None
        second = re.split(r"\s*\(|,?\s+(?:case\s+)?nos?\.", sides[1], maxsplit=1, flags=re.IGNORECASE)[0]
        first_party, second_party = _party([sides[0]]), _party([second])
        if first_party is None or second_party is None:
            return None
        return _shorten(f"{first_party} v. {second_party}")
    return None
