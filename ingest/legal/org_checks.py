"""Whether a span a general model calls an organisation is one, and where it really begins and ends, by rules that
hold for any US filing:

- **what the name is of**: a name's head (its last word before "of", "for") that is a document, a provision or a
  term of a deal ("Free Exercise Clause of the First Amendment", "Texas Insurance Code", "Bona Fide Offer of
  Employment", "the Kilgore Loan", "Certificate of Service") is no organisation;
- **citations**: a court's abbreviation in a citation's parenthesis ("(D. Me. 2020)", "(N.D. Cal. June 9, 2020)"),
  a publisher's ("62 T.C.M. (CCH) 505"), a code's ("TEX. INS. CODE"), a section ("Sec. 752");
- **case names**: a lone name before "v." or after "v." and before the reporter ("Tepper v. Commissioner",
  "Carson v. Am. Brands") is a party, a person when it has no mark of an organisation; so is a name after
  "Mr." or "Ms.", on the line above or not;
- **where a name ends**: at a possessive ("Experian's JavaScript"), at a lowercase word other than "of", "for",
  "the", "and", "&" ("the Many Loan to Union Bank"), before a footnote's number run into a word ("Kilgore 5The
  Commissioner"), before a form's label ("Presence Health / Employer's address"); it begins after a sentence's
  end ("in Texas. K LLC") and after a heading's letter ("B. Kilgore LLC");
- **names by their head**: capitalised words ending in an organisation's noun ("First Church of Waterville",
  "Grady Health System", "Oregon Department Of Revenue"), which the model misses in lists and forms.

Every function reads the text the model reads (``model_text``: same length as the page) and costs linear time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

NOT_ORG_HEADS = {
    "act", "acts", "code", "codes", "clause", "clauses", "amendment", "amendments", "article", "rule", "rules",
    "regs", "regulation", "regulations", "statute", "constitution", "treaty", "compact", "agreement", "contract",
    "lease", "loan", "loans", "note", "notes", "policy", "policies", "plan", "program", "programme", "complaint",
    "answer", "motion", "brief", "petition", "application", "declaration", "affidavit", "exhibit", "order",
    "opinion", "report", "statement", "notice", "certificate", "memorandum", "stipulation", "stipulations",
    "waiver", "offer", "letter", "form", "schedule", "record", "transcript", "proposition", "limit", "process",
    "collection", "enrollment", "appointments", "designations", "time", "account", "fees", "costs", "litigation",
    "estoppel", "doctrine", "products", "product", "software", "warrant", "indictment", "proceedings", "hearing",
    "syllabus", "index", "excerpts", "appendix", "addendum", "section", "chapter", "paragraph", "count", "counts",
    "question",
    "argument", "background", "introduction", "conclusion", "discussion", "facts", "procedure", "history",
    "review", "jurisdiction", "venue", "relief", "damages", "judgment", "decision", "verdict", "trial", "appeal",
    "value", "values", "rate", "rates", "charges", "deductions", "income", "deficiency", "filer", "guide",
    "manual", "handbook", "instructions", "website", "page", "mail", "email", "e-mail", "road", "street",
    "avenue", "boulevard", "drive", "highway", "route", "county", "city", "facility", "jail", "prison",
    "penitentiary", "courthouse", "building", "plaza", "square", "spouse", "employer", "employee", "debtor",
    "judge", "judges", "justice", "clerk", "magistrate",
}  # fmt: skip
"""Heads of names that are documents, provisions, terms of a deal, places or roles, never an organisation."""
ORG_HEADS = (
    "Church|Chapel|Association|Society|Foundation|Council|Union|University|College|Hospital|Department|Agency|"
    "Commission|Board|Committee|Bank|Company|Corporation|Institute|Federation|Alliance|League|Authority|Bureau|"
    "Partners|Holdings|Group|Services|Ministries|Synagogue|Temple|Fellowship|Conference|Coalition|Cooperative|Firm"
)
"""Nouns that make capitalised words before them an organisation's name."""
_SERVICE_HEADS = "Service|System"
"""Heads that need two capitalised words before them ("Internal Revenue Service", not "Customer Service")."""
_JOINERS = {"of", "for", "the", "and", "&", "de", "du", "la", "del", "in", "on"}
_FORM_WORDS = {
    "employer", "employee", "spouse", "occupation", "name", "address", "debtor", "creditor", "plaintiff",
    "plaintiffs", "defendant", "defendants", "appellant", "appellants", "appellee", "appellees", "petitioner",
    "petitioners", "respondent", "respondents", "re", "cross",
}  # fmt: skip
"""Form labels and roles that run into a name across a form's lines ("Presence Health / Employer's address")."""
_ABBREVIATIONS = {
    "assoc", "assocs", "natl", "intl", "corp", "mfg", "dept", "univ", "indus", "servs", "cmty", "bros", "hosp",
    "prods", "grp", "sys", "ctr", "fed", "ins", "fin", "mgmt", "comm", "invs", "elec", "pharm", "tech", "coop",
}  # fmt: skip
"""Words that end in a period inside case names ("Bell Atl. Corp.", "Christus Spohn Health Sys. Corp.")."""
_SUFFIX = re.compile(r"\b(?:L\.?L\.?[CP]|L\.P|PLLC|Inc|Corp|Co|Ltd|N\.A|P\.C|P\.A|LLP|plc|S\.A)\b\.?", re.IGNORECASE)
_ORG_MARK = re.compile(
    rf"\b(?:{ORG_HEADS}|{_SERVICE_HEADS}|Firm|Fund|Trust|Center|Office|Club|Partnership|Project|Network|Hosp|Ass'n|"
    r"Comm'n|Dep't|Dept|Bd|Univ|Sch|Dist|Auth|Nat'l|Int'l|Soc'y|Inst|Sys|Servs|Grp)\b|&",
    re.IGNORECASE,
)
_STATES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho|"
    "Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|Mississippi|"
    "Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|North Carolina|North Dakota|"
    "Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|"
    "Virginia|Washington|West Virginia|Wisconsin|Wyoming"
)
_HONORIFIC_BEFORE = re.compile(r"\b(?:Mr|Mrs|Ms|Messrs|Dr)\.?\s+$")
_CASE_AFTER = re.compile(r"^,?[ \t]+v\.?[ \t\n]")
_CASE_BEFORE = re.compile(r"\bv\.?[ \t\n]+$")
_REPORTER_AFTER = re.compile(r"^,[ \t\n]+(?:\d+[ \t\n]+[A-Z]|No\.)")
_COURT_PAREN = re.compile(r"\([^()\n]{0,12}\Z")
_YEAR_AFTER = re.compile(r"^[^()]{0,24}\b(?:1[89]|20)\d\d\)")


def _words(name: str) -> list[str]:
    return [re.sub(r"[^a-z&\-]", "", word.lower()) for word in name.split()]


def head(name: str) -> str:
    """The word a name is of: the last before its first "of" or "for" ("Clause" of "Free Exercise Clause of the
    First Amendment"), else its last."""
    words = [word for word in _words(name) if word]
    for index, word in enumerate(words):
        if word in ("of", "for") and index > 0:
            return words[index - 1]
    return words[-1] if words else ""


_NEXT_LINE = re.compile(
    rf"[ \t]*\n[ \t]*(?P<rest>(?:[A-Z][\w'\u2019.\-]*[ \t]+){{0,3}}"
    rf"(?:{ORG_HEADS}|{_SERVICE_HEADS}|Insurance[ \t]+Company))"
    r"(?=[ \t]*(?:[,;:]|\n|$))",
    re.IGNORECASE,
)


def org_head(name: str) -> bool:
    """Whether ``name`` holds an organisation's noun or a company's suffix."""
    return bool(_ORG_MARK.search(name) or _SUFFIX.search(name))


def join_next_line(text: str, start: int, end: int) -> int:
    """Where an organisation broken at a line's end ends: "Dearborn National Life / Insurance Company," and
    "EXPERIAN CONSUMER / SERVICES," are one name when the next line is the rest of it (words ending in an
    organisation's noun, then a comma or the line's end) and the first part has no such noun."""
    if re.search(r"(?:&|\b(?:of|for|and|the))[ \t]*$", text[start:end]):  # "KILPATRICK TOWNSEND & / STOCKTON LLP"
        rest = re.match(r"[ \t]*\n[ \t]*[A-Z][\w'\u2019.,&\- ]*?(?=[ \t]*(?:\n|$))", text[end : end + 80])
        return end + rest.end() if rest and len(rest.group(0).split()) <= 6 else end
    if (
        _ORG_MARK.search(text[start:end])
        or len(text[start:end].split()) < 2
        or not re.match(r"[ \t]*\n", text[end : end + 4])
    ):
        return end
    following = _NEXT_LINE.match(text, end)
    return following.end() if following else end


def trim_org(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The organisation names inside a span the model or a rule called one (see the module's docstring)."""
    # a sentence's end or a heading's letter before the name: "in Texas. K LLC", "B. Kilgore LLC"
    for stop in re.finditer(r"\b([A-Z][a-z]{3,})\.[ \t]+(?=[A-Z])", text[start:end]):
        if stop.group(1).lower() not in _ABBREVIATIONS:
            start += stop.end()
    heading = re.match(r"[A-H]\.[ \t]+(?=[A-Z][a-z]+\b(?![ \t]*\.))", text[start:end])
    if heading and (start == 0 or text[start - 1] == "\n") and "\n" not in text[start:end]:
        line_end = text.find("\n", start)
        if line_end == -1 or not text[end:line_end].strip():
            start += heading.end()
    # a footnote's number run into a word: "Kilgore 5The", "Kilgore Loan15 As"
    glued = re.search(r"(?:^|[ \t\n])(?=\d+[A-Z][a-z]|[A-Za-z]+\d+\b)", text[start:end])
    if glued:
        end = start + glued.start()
    # a possessive ends a name unless an organisation's noun follows ("Children's Hospital")
    possessive = re.search(r"['\u2019]s\b", text[start:end])
    if possessive and not _ORG_MARK.search(text[start + possessive.end() : end]):
        end = start + possessive.start()
    pieces: list[tuple[int, int]] = []
    piece_start = start
    for word in re.finditer(r"\S+", text[start:end]):
        bare = re.sub(r"[^\w&]", "", word.group(0))
        if bare and bare[0].islower() and bare not in _JOINERS:  # "the Many Loan to Union Bank", "X, Inc. dba Y"
            pieces.append((piece_start, start + word.start()))
            piece_start = start + word.end()
    pieces.append((piece_start, end))
    trimmed: list[tuple[int, int]] = []
    for piece_start, piece_end in pieces:
        words = list(re.finditer(r"\S+", text[piece_start:piece_end]))
        while words and re.sub(r"['\u2019]s$|[^\w]", "", words[-1].group(0).lower()) in _FORM_WORDS | _JOINERS:
            words.pop()
        while words and re.sub(r"[^\w]", "", words[0].group(0).lower()) in _FORM_WORDS | _JOINERS - {"the"}:
            words.pop(0)
        if words:
            piece_end = piece_start + words[-1].end()
            while piece_end > start and text[piece_end - 1] in "\u2013\u2014-":  # "Dependent Life \u2013"
                piece_end -= 1
            trimmed.append((piece_start + words[0].start(), piece_end))
    return trimmed


def org_verdict(text: str, start: int, end: int) -> str | None:
    """What a span called an organisation is: ``"org"``, ``"person"`` (a case's party or a name after "Mr."), or
    ``None`` (a document, a provision, a citation's abbreviation: no entity of ours)."""
    name = text[start:end]
    words = [word for word in _words(name) if word]
    if not words:
        return None
    marked = bool(_SUFFIX.search(name) or _ORG_MARK.search(name))
    before, after = text[max(0, start - 40) : start], text[end : end + 40]
    if head(name) in NOT_ORG_HEADS or "§" in name or re.search(r"\bU\.?S\.?C\b", name):
        return None
    if all(part in _FORM_WORDS for word in words for part in word.split("-") if part):
        return None  # "Plaintiffs-Appellees"
    if re.search(r"\d(?:st|nd|rd|th)?[ \t]+\Z", before):
        return None  # "6th Circuit Bar", "5th Floor": the name's first word is a number the span lost
    if re.fullmatch(r"[A-Z](?:-[A-Z])+", name.strip()) or (len(words) == 1 and re.match(r"[ \t]*:", after)):
        return None  # "P-H" (petitioner-husband), "Entered:" (a form's label)
    if not marked and len(words) <= 2 and re.match(rf",[ \t]+(?:{_STATES})\b", after):
        return "place"  # "Franklin, Tennessee": a city
    if _COURT_PAREN.search(before) and _YEAR_AFTER.match(after) and not marked:
        return None  # "(N.D. Cal. June 9, 2020)": a court in a citation
    if before.endswith("(") and re.match(r"\)[ \t]*\d", after):
        return None  # "62 T.C.M. (CCH) 505": the publisher of a reporter
    if len(words) == 1 and len(name) <= 4 and re.match(r"\.?[ \t]*(?:\d|[A-Z]{2,}\.)", after):
        return None  # "TEX. INS. CODE", "Sec. 752(a)"
    marked = marked or (name.isupper() and len(name) <= 6)  # "Rhode Island v. EPA": an agency's initials
    if not marked and (_HONORIFIC_BEFORE.search(before) or _CASE_AFTER.match(after)):
        return "person" if len(words) <= 3 and not any(char.isdigit() for char in name) else None
    if not marked and _CASE_BEFORE.search(before) and _REPORTER_AFTER.match(after) and len(words) <= 3:
        return "person"  # "Carson v. Newsom, 140 S. Ct. 1613"
    return "org"


_CAP = r"(?:[A-Z][\w'\u2019.\-]*|&)"
_ENDS = r"(?![ \t]+(?!(?:Of|For|OF|FOR)\b)[A-Z])"  # a line in capitals reads "Department Of Labor" to the model
_CUE = re.compile(
    rf"(?<![\w.\-])(?:{_CAP}[ \t]+(?:(?:of|for|the|&)[ \t]+)?){{1,5}}(?:{ORG_HEADS})\b{_ENDS}"
    rf"|(?<![\w.\-])(?:{_CAP}[ \t]+){{2,4}}(?:{_SERVICE_HEADS})\b{_ENDS}"
)
"""Capitalised words, then an organisation's noun that ends them ("League Manag" is a name cut short, not one)."""
_OF_TAIL = re.compile(
    r"[ \t]+(?i:of|for)[ \t]+(?:(?i:the)[ \t]+)?[A-Z][\w'\u2019\-]*(?:[ \t]+(?:[A-Z][\w'\u2019\-]*)){0,2}"
    r"(?![ \t]+(?:of|for|[A-Z]))"
)


def cue_orgs(text: str) -> Iterator[tuple[int, int]]:
    """Capitalised words ending in an organisation's noun ("Grady Health System", "First Church of Waterville"),
    with an "of" tail of capitalised words ("Department Of Revenue"), on one line."""
    for match in _CUE.finditer(text):
        end = match.end()
        if re.match(r"[ \t]+and[ \t]+[A-Z]", text[end : end + 8]):
            continue  # "Separation of Church and State": the name runs on; the model's reading stands
        tail = _OF_TAIL.match(text, end)
        if tail and not re.search(r"\bv\.?$", text[end : tail.end()]):
            end = tail.end()
        start = match.start()
        for word in re.finditer(r"\S+", text[start:end]):  # sentence words before the name: "The", "Appellee"
            if word.group(0).lower().strip(".,") not in _LEADING:
                start += word.start()
                break
        if len(text[start:end].split()) >= 2:
            yield start, end


_LEADING = {
    "the", "a", "an", "and", "or", "of", "for", "by", "to", "in", "on", "at", "see", "with", "from", "re", "v", "vs",
    "plaintiff", "plaintiffs", "defendant", "defendants", "appellant", "appellee", "appellees", "appellants",
    "petitioner", "respondent", "creditor", "debtor", "counsel", "amicus", "amici", "dear", "mr", "ms", "mrs", "dr",
    "this", "that", "these", "its", "his", "her", "their", "our", "each", "every", "any", "all", "both", "when",
    "if", "because", "while", "after", "before", "under", "against", "between", "nonpriority", "priority",
}  # fmt: skip


_PARTY_ABBREVIATIONS = (
    r"Bd|Dep't|Dept|Comm'n|Ass'n|Univ|Sch|Dist|Auth|Co|Corp|Inc|Ltd|LLC|L\.L\.C|L\.P|N\.A|Bank|Ins|Nat'l|Int'l|"
    r"Hosp|Cnty|Cty|Admin|Agency|Bureau|Council|Church|Union|Fund|Trust|Found|Soc'y|Inst|Sys|Servs|Grp"
)
_CASE_PARTY = re.compile(
    r"\bv\.[ \t]+(?P<party>[A-Z][^,;()\n]{0,80}?(?:,[ \t]+(?:Inc|LLC|L\.L\.C|Co|Corp|Ltd|L\.P|N\.A)\.?)?)"
    r",[ \t]+\d+[ \t]+(?:[A-Z][\w.]*[ \t]*){1,3}\d"
)
"""The second party of a full case citation, up to the reporter ("v. Bd. of Prof'l Responsibility of the Sup. Ct.
of Tenn., 301 S.W.3d 603")."""


def case_party_orgs(text: str) -> Iterator[tuple[int, int]]:
    """Second parties of full case citations that are organisations by an abbreviation of a case name ("Bd.",
    "Comm'n", "Co."), which the model cuts at their periods."""
    for match in _CASE_PARTY.finditer(text):
        party = match.group("party")
        if re.search(rf"\b(?:{_PARTY_ABBREVIATIONS})\b", party) and len(party.split()) <= 14:
            yield match.start("party"), match.end("party")
