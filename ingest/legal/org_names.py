"""Organisation names that a general model cuts, misses or invents in filings, found by rules on the page's layout.

- **company and firm suffixes**: capitalised words ending in "LLC", "Inc.", "Corp.", "L.P.", "N.A.", "LLP",
  "P.C." ... ("Midland Funding LLC", "Crowder McGaha, LLP"), and law firms' "X & Y" ("Latham & Watkins");
- **government bodies**: "Department of Labor", "Office of the Solicitor", "Bureau of Prisons";
- **counsel and address blocks**: in "Maria G. Danaher / Ogletree Deakins Nash Smoak & Stewart / One PPG Place",
  the lines between a person's name and an address are the person's firm or office, whatever the words;
- **names cut by the model**: an organisation the model found in part ("Alliance Foundation", "National Council
  of the Churches") is extended over the capitalised words and joining words ("of", "for", "the") around it, in
  the same list item: "Interfaith Alliance Foundation", "National Council of the Churches of Christ in the USA";
- **court-system words** ("PACER", "CM/ECF", "Clerk's Office") are never organisations of the matter.

Every function takes the text the model reads (``model_text.model_text``: same length as the page, wrapped prose on
one line), so that spans are the page's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ingest.legal.org_checks import NOT_ORG_HEADS, head

COURT_SYSTEM = {
    "pacer", "ecf", "cm/ecf", "cmecf", "cm", "clerk", "clerks office", "clerk's office", "office of the clerk",
    "clerk of court", "case manager", "law office", "law offices", "nw", "ne", "sw", "se", "fed", "mdl", "usa",
    "alabama", "alaska", "arizona", "arkansas", "california", "colorado", "connecticut", "delaware", "florida",
    "georgia", "hawaii", "idaho", "illinois", "indiana", "iowa", "kansas", "kentucky", "louisiana", "maine",
    "maryland", "massachusetts", "michigan", "minnesota", "mississippi", "missouri", "montana", "nebraska",
    "nevada", "new hampshire", "new jersey", "new mexico", "new york", "north carolina", "north dakota", "ohio",
    "oklahoma", "oregon", "pennsylvania", "rhode island", "south carolina", "south dakota", "tennessee", "texas",
    "utah", "vermont", "virginia", "washington", "west virginia", "wisconsin", "wyoming",
    "appeals board", "panel", "covid-19", "covid", "id", "ibid", "supra", "united states", "us",
}  # fmt: skip
"""Names that are the court system's or the page's furniture, or a state's name alone (the model's ORG for a
place), never an organisation in the matter."""

_SUFFIX = (
    r"(?:L\.?L\.?[CP]\.?|PLLC|Inc\.?|INC\.?|Corp\.?|CORP\.?|Co\.|CO\.|L\.P\.|LP|Ltd\.?|LTD\.?|N\.A\.|P\.C\.|P\.A\.|"
    r"S\.A\.U\.|S\.A\.|GmbH|plc|PLC)"
)
_NAME_WORD = r"(?:[A-Z][\w'\u2019.\-]*|&)"
_JOIN = r"(?:of|for|the|de|du|la|&)"  # not "and": "Richard Roe and Acme Corp." are two
COMPANY = re.compile(
    rf"(?<![\w.])(?P<name>{_NAME_WORD}(?:[ \t]+(?:{_NAME_WORD}|{_JOIN})){{0,9}}?),?[ \t]+{_SUFFIX}(?![\w])"
    r"(?:[ \t]+of[ \t]+(?:the[ \t]+)?[A-Z][A-Za-z]+(?:[ \t]+[A-Z][a-z]+(?![ \t]+v\.))?)?"
)
"""A company: capitalised words, then a corporate suffix on the same line (and "of Ohio" after "Co."); the words are
bounded, as in FIRM and BODY, so that a page-long run of capitalised words costs linear time, not quadratic."""
FIRM = re.compile(r"(?<![\w.])[A-Z][\w'\u2019\-]+(?:[ \t]+[A-Z][\w'\u2019\-]+){0,5}[ \t]+&[ \t]+[A-Z][\w'\u2019\-]+"
                  r"(?:[ \t]+[A-Z][\w'\u2019\-]+){0,5}")  # fmt: skip
"""A firm named by its partners: "Latham & Watkins", "Gibson Dunn & Crutcher"."""
BODY = re.compile(
    r"(?<![\w.])(?:(?:U\.S\.|United[ \t]+States|[A-Z][a-z]+)[ \t]+)?"
    r"(?:Department|Office|Bureau|Board|Commission|Agency|Administration|Division|Council)[ \t]+of[ \t]+"
    r"(?:the[ \t]+)?[A-Z][\w'\u2019\-]*(?:[ \t]+(?:(?:of|for|and|the)[ \t]+)?[A-Z][\w'\u2019\-]*){0,9}"
)
"""A government body: "U.S. Department of Labor", "Office of the Attorney General of Indiana"."""
_STOP_BEFORE = {
    "the", "in", "on", "at", "by", "for", "and", "see", "before", "from", "to", "with", "re", "v", "vs", "a", "an",
    "appellant", "appellants", "appellee", "appellees", "plaintiff", "plaintiffs", "defendant", "defendants",
    "petitioner", "respondent", "debtor", "movant", "counsel", "enclosed", "filed", "mr", "ms", "mrs", "dr",
    "governor", "secretary", "attorney", "general", "commissioner", "director", "president", "mayor", "chairman",
}  # fmt: skip
"""Capitalised words at the start of a rule's match that are the sentence's, not the name's."""
_ADDRESS = re.compile(
    r"^[ \t]*(?:\d+[ \t]+\S|(?:One|Two|Three|Four|Five)[ \t]+[A-Z]|P\.?[ \t]?O\.?[ \t]+Box|Suite[ \t]|Room[ \t]"
    r"|\d+(?:st|nd|rd|th)[ \t]+Floor)"
)
_GIVEN = r"[A-Z][^\W\d_]*(?:['\u2019\-][^\W\d_]+)*"
_HONORIFIC = r"(?:(?P<honorific>Mr|Ms|Mrs|Dr|Hon)\.?[ \t]+)?"
_SUFFIXED = r"(?:,?[ \t]+(?:Jr\.|Sr\.|III|II|IV|Esq\.))?"
PERSON_LINE = re.compile(
    rf"^[ \t]*{_HONORIFIC}(?:{_GIVEN}|(?P<lead>[A-Z]\.))(?:[ \t]+(?P<initial>[A-Z]\.)|[ \t]+{_GIVEN}){{1,3}}"
    rf"{_SUFFIXED}[ \t]*$"
)
"""A line that is a person's name ("Mr. William S. Mattingly", "R. Daniel Prentiss", "Jamison Davies")."""
_ORG_LINE = re.compile(r"^[ \t]*[A-Z][\w'\u2019.,&\- ]*$")
_ORG_CUES = {
    "department", "office", "bureau", "board", "commission", "agency", "administration", "division", "council",
    "law", "llp", "llc", "inc", "pc", "pa", "pllc", "group", "firm", "associates", "attorney", "attorneys",
    "defender", "services", "corporation", "company", "university", "foundation", "union", "association",
    "society", "center", "centre", "clinic", "institute", "project", "fund", "trust", "bank", "church", "aid",
}  # fmt: skip


def _words(name: str) -> list[str]:
    return [re.sub(r"[^a-z&]", "", word.lower()) for word in name.split()]


def _trim_start(text: str, start: int, end: int) -> int:
    """Where a rule's match really begins: past sentence words ("The", "Enclosed", "Appellees")."""
    for word in re.finditer(r"\S+", text[start:end]):
        if re.sub(r"[^a-z]", "", word.group(0).lower()) not in _STOP_BEFORE:
            return start + word.start()
    return end


_FIRST_AND = re.compile(r"(?P<word>[A-Z][a-z]+)\s+and[ \t]+$")
_AFTER_NO_NAME = re.compile(r"(?:^|[\n,(]|\bv\.|\b[a-z]+)[ \t]*$")


def _first_and(text: str, start: int) -> int:
    """Where a company begins that has one capitalised word and "and" before it, after no other capitalised word
    ("Create and Construct, LLC"; not "Richard Roe and Acme Corp.", two parties)."""
    found = _FIRST_AND.search(text, max(0, start - 40), start)
    if found is None or not _AFTER_NO_NAME.search(text, max(0, found.start() - 30), found.start()):
        return start
    return found.start("word")


def rule_orgs(text: str) -> Iterator[tuple[int, int]]:
    """Spans of companies, firms and government bodies named by their form (see the module's docstring)."""
    for pattern in (COMPANY, FIRM, BODY):
        for match in pattern.finditer(text):
            start = _trim_start(text, match.start(), match.end())
            if pattern is COMPANY:
                start = _first_and(text, start)
            end = match.end()
            if pattern is BODY:  # "Council of the Churches of Christ" in the USA
                start, end = extend_org(text, start, end)
            if len(_words(text[start:end])) >= 2 or pattern is COMPANY:
                yield start, end


_CONTACT = re.compile(r"@|^[ \t]*(?:Tel|Telephone|Phone|Fax|Facsimile|Email|E-mail)\b", re.IGNORECASE)
_JOINING = {"of", "for", "the", "and", "&", "in"}


def _one_org_per_name(lines: list[re.Match[str]]) -> Iterator[tuple[int, int]]:
    """Firm or office lines in reading order, as organisations: a line that ends or begins with a joining word, or
    that has no word of an organisation's, or that is followed by such a line, runs on into the next ("AMERICAN
    CIVIL LIBERTIES / UNION FOUNDATION OF / NORTHERN CALIFORNIA" is one, so is "OFFICE OF THE PUBLIC DEFENDER /
    SAN FRANCISCO"); "U.S. Department of Labor / Office of the Solicitor" are two."""
    start: int | None = None
    for index, line in enumerate(lines):
        words = _words(line.group(0))
        start = line.start() if start is None else start
        following = _words(lines[index + 1].group(0)) if index + 1 < len(lines) else []
        runs_on = bool(following) and (
            words[-1] in _JOINING
            or following[0] in _JOINING
            or not any(word in _ORG_CUES for word in words)
            or not any(word in _ORG_CUES for word in following)  # "OFFICE OF THE PUBLIC DEFENDER / SAN FRANCISCO"
        )
        if not runs_on:
            yield start, line.start() + len(line.group(0).rstrip(" \t,"))
            start = None


def listed_people(text: str) -> Iterator[tuple[int, int]]:
    """Lines that are a person's name with an initial ("R. Daniel Prentiss", "Deming E. Sherman"), or any name
    between two such lines ("Raymond Matthew Ripple"): a list of counsel or of a panel, which the model reads
    in part."""
    lines = [line for line in re.finditer(r"[^\n]+", text)]
    shaped = [PERSON_LINE.match(line.group(0)) for line in lines]
    named = [
        bool(match)
        and not set(_words(line.group(0))) & (_ORG_CUES | _JOINING)
        and not court_system(line.group(0))
        and head(line.group(0)) not in NOT_ORG_HEADS  # "B. Promissory Estoppel": a heading
        for line, match in zip(lines, shaped, strict=True)
    ]
    strong = [
        bool(match and (match.group("initial") or match.group("lead"))) and ok
        for match, ok in zip(shaped, named, strict=True)
    ]
    for index, line in enumerate(lines):
        listed = 0 < index < len(lines) - 1 and strong[index - 1] and strong[index + 1]
        if strong[index] or (named[index] and listed):
            yield line.start(), line.start() + len(line.group(0).rstrip(" \t,"))


def counsel_orgs(text: str) -> Iterator[tuple[int, int]]:
    """Lines between a person's name (and e-mail) and an address: the person's firm or office ("Mr. William S.
    Mattingly / Jackson Kelly / 175 E. Main Street")."""
    lines = list(re.finditer(r"[^\n]*", text))
    lines = [line for line in lines if line.start() == 0 or text[line.start() - 1] == "\n"]
    for index, line in enumerate(lines):
        if not _ADDRESS.match(line.group(0)):
            continue
        between: list[re.Match[str]] = []
        window = lines[max(0, index - 6) : index]
        for position in range(len(window) - 1, -1, -1):
            above = window[position]
            if between and _CONTACT.search(above.group(0)):
                continue  # the lawyer's e-mail or telephone, under the name
            person = PERSON_LINE.match(above.group(0)) if between else None
            strong = person and (person.group("honorific") or person.group("initial") or person.group("lead"))
            # an e-mail above it and none below: "AMERICAN CIVIL LIBERTIES" is the first line of a firm, under the
            # last lawyer's e-mail; a lawyer's own e-mail is under the name
            under_contact = position > 0 and bool(_CONTACT.search(window[position - 1].group(0)))
            over_contact = position + 1 < len(window) and bool(_CONTACT.search(window[position + 1].group(0)))
            firm_line = under_contact and not over_contact
            if person and (strong or not firm_line) and not set(_words(above.group(0))) & (_ORG_CUES | _JOINING):
                named = list(reversed(between))
                if strong or any(word in _ORG_CUES for org in named for word in _words(org.group(0))):
                    yield from _one_org_per_name(named)
                break
            if not _ORG_LINE.match(above.group(0)) or any(char.isdigit() for char in above.group(0)):
                break
            if court_system(above.group(0)) or "court" in _words(above.group(0)):
                break  # a court's letterhead ("Clerk", "United States Court of Appeals"), not a firm
            between.append(above)


_MOST_WORDS = 14
"""The longest name an extension makes ("National Council of the Churches of Christ in the USA" is 10 words)."""


def extend_org(text: str, start: int, end: int) -> tuple[int, int]:
    """An organisation the model found in part, extended over capitalised words and joining words around it in
    the same list item, on the same (joined) line: "Alliance Foundation" -> "Interfaith Alliance Foundation"."""
    word = r"(?:[A-Z][\w'\u2019\-]*|of|for|the|in(?=[ \t]+the\b)|&)"  # "Christ in the USA", not "Bank in Texas"
    new_end = end
    # "Church and State", "Health and Human Services": "and" joins one or two last words, never a second name
    last = r"[A-Z][\w'\u2019\-]*(?:[ \t]+[A-Z][\w'\u2019\-]*)?(?![\w'\u2019\-]|[ \t]+[A-Z])"
    following = re.compile(rf"[ \t]+({word}|and[ \t]+{last})")
    for _ in range(_MOST_WORDS + 1):  # bounded: a page-long run of capitals is no name
        if (match := following.match(text, new_end)) is None:
            break
        new_end = match.end()
    else:
        return start, end
    while (tail := re.search(r"[ \t]+(?:of|for|the|in|&)$", text[end:new_end])) is not None:
        new_end = end + tail.start()
    new_start = start
    for _ in range(_MOST_WORDS + 1):
        match = re.search(rf"(?:^|(?<=[ \t])){word}[ \t]+$", text[max(0, new_start - 40) : new_start])
        if match is None:
            break
        candidate = new_start - (len(text[max(0, new_start - 40) : new_start]) - match.start())
        if re.sub(r"[^a-z]", "", match.group(0).lower()) in _STOP_BEFORE - {"for", "the"}:
            break
        if re.search(r"['\u2019]s[ \t]*$", match.group(0)):  # "the Court's CM/ECF": a possessive ends a name
            break
        if candidate > 0 and text[candidate - 1] not in " \t":
            break
        new_start = candidate
    while (head := re.match(r"(?:of|for|the|in|&)[ \t]+", text[new_start:start])) is not None:
        new_start += head.end()
    if len(text[new_start:new_end].split()) > _MOST_WORDS:
        return start, end
    return new_start, new_end


def split_list(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """An organisation span the model ran over a list ("United Church of Christ, Men of Reform Judaism") or over
    lines ("Tennessee Bureau of Workers' Compensation / Workers' Compensation Appeals Board"): its items."""
    pieces: list[tuple[int, int]] = []
    piece_start = start
    for separator in re.finditer(rf"(?:,[ \t]+|[ \t]*\n[ \t]*)(?!{_SUFFIX}(?!\w)|and\b|&)", text[start:end]):
        before, after = text[piece_start : start + separator.start()], text[start + separator.end() : end]
        if "\n" in separator.group(0) and before and len(after.split()[:2]) < 2:
            continue  # "EXPERIAN CONSUMER / SERVICES": one name broken over two lines
        pieces.append((piece_start, start + separator.start()))
        piece_start = start + separator.end()
    pieces.append((piece_start, end))
    return [(piece_start, piece_end) for piece_start, piece_end in pieces if piece_end > piece_start]


def court_system(name: str) -> bool:
    """Whether ``name`` is a court-system word ("PACER", "CM/ECF", "Clerk's Office"), not an organisation."""
    folded = " ".join(name.lower().replace("\u2019", "'").replace(".", "").split()).strip(" ,")
    if folded in COURT_SYSTEM or re.search(r"\brules of\b|\bcm/?ecf\b|\bpacer\b", folded):
        return True
    return bool(re.fullmatch(r"[a-z]{2}\s+\d{5}(?:-\d{4})?", folded))  # "NY 10007": an address's state and zip
