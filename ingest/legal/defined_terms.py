"""A filing's defined terms, read over the whole document: short names it gives its parties, and terms that are no
one's name.

- **a party's short name**: a name followed by its short form in parentheses, quoted or not ("Standard Insurance
  Company ("Standard")", "Calvary Chapel of Bangor (the Chapel)", "Oklahoma Water Resources Board (OWRB)",
  "(collectively, "Bard")") names the same party wherever the short form appears later in the document, when the
  short form is words of the name or its initials; a role ("Employer", "Plaintiff", "the Company") is no short name;
- **a term**: a short form defined after words in lower case or after a document's or a law's name ("inferior vena
  cava ("IVC")", "statutory notice of deficiency ("SNOD")", "Defend Trade Secrets Act ("DTSA")") is no
  organisation, wherever the model calls it one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ingest.legal.org_checks import NOT_ORG_HEADS, head
from service.core.domain import EntityMention

_DEFINITION = re.compile(
    r"[ \t\n]*,?[ \t\n]*\((?:(?:collectively|hereinafter|together|jointly)[,:]?[ \t\n]+)?(?:the[ \t\n]+)?"
    r"[\"'\u201c\u2018]?(?P<alias>[A-Z][\w.&'\u2019\-]*(?:[ \t]+[A-Z][\w.&'\u2019\-]*){0,3})[\"'\u201d\u2019]?"
    r"(?:[ \t\n]+or[ \t\n]+[^()\n]{0,40})?\)"
)
_TERM = re.compile(
    r"(?P<before>\S+)[ \t\n]*\((?:the[ \t\n]+)?[\"\u201c](?P<alias>[A-Z][\w.&\-]*(?:[ \t]+[A-Z][\w.&\-]*){0,3})"
    r"[\"\u201d]\)"
)
GENERIC = {
    "company", "corporation", "employer", "employee", "bank", "agency", "government", "state", "city", "county",
    "board", "department", "office", "firm", "partnership", "trust", "fund", "plan", "debtor", "debtors",
    "creditor", "lender", "borrower", "buyer", "seller", "landlord", "tenant", "insurer", "carrier", "parties",
    "party", "defendant", "defendants", "plaintiff", "plaintiffs", "petitioner", "respondent", "appellant",
    "appellee", "movant", "claimant", "receiver", "trustee", "estate", "entity", "entities", "affiliates",
    "group", "court", "commission", "committee", "union", "bureau", "service", "services", "director", "federal",
    "national", "united", "american", "administration", "inquiries", "etc", "affirm", "reverse", "council",
    "association", "society", "corp", "inc", "llc", "company's",
}  # fmt: skip
"""Words that are a role, a kind of body or a title, not a name: no short name, and no organisation alone."""
_SMALL = {"of", "for", "the", "and", "&", "in", "on", "at", "to", "de"}


@dataclass
class Terms:
    """What a document defines: short names of its parties (with the party's type) and terms that are no one's."""

    names: dict[str, str] = field(default_factory=dict)
    others: set[str] = field(default_factory=set)


def _initials(name: str) -> str:
    return "".join(word[0] for word in re.findall(r"[A-Za-z][\w'\u2019\-]*", name) if word.lower() not in _SMALL)


def short_name(text: str, end: int, name: str) -> str | None:
    """The short form defined right after a mention of ``name`` that ends at ``end``, if it is one of its names."""
    match = _DEFINITION.match(text, end, min(len(text), end + 80))
    if match is None:
        return None
    alias = match.group("alias").rstrip(".")
    folded = alias.lower()
    if folded in GENERIC or folded == name.lower():
        return None
    name_words = {word.lower() for word in re.findall(r"[\w'\u2019\-]+", name)} - _SMALL
    alias_words = {word.lower() for word in re.findall(r"[\w'\u2019\-]+", alias)} - _SMALL
    if alias_words and alias_words <= name_words:
        return alias  # "Standard", "Chapel", "Bard"
    letters = alias.replace(".", "")
    if letters.isupper() and len(letters) >= 2 and letters == _initials(name).upper():
        return alias  # "OWRB", "CBP"
    return None


def terms_in(text: str) -> set[str]:
    """Short forms defined after words in lower case or a document's or law's name: terms, no one's name."""
    found: set[str] = set()
    for match in _TERM.finditer(text):
        before = match.group("before").strip(",;:")
        if before[:1].islower() or head(before) in NOT_ORG_HEADS:
            found.add(match.group("alias"))
    return found


class PageMentions(Protocol):
    """A page's mentions as extraction holds them (``entities._Page``): what the model read, the mentions, the
    spans taken, and a way to add one."""

    read: str
    mentions: list[EntityMention]
    taken: list[tuple[int, int]]

    def add(self, start: int, end: int, kind: str, role: str | None = None, force: bool = False) -> None: ...


def apply_defined_terms(pages: Sequence[PageMentions]) -> None:
    """The document's defined terms, over its pages' mentions: a party's short name is that party wherever it appears; a
    term is no organisation; one capitalised word the model calls an organisation is none when the document uses it
    in lower case ("the Estate" and "the estate") and it is no party's short name or word of a longer name."""
    terms = Terms()
    for page in pages:
        terms.others |= terms_in(page.read)
        for mention in page.mentions:
            if mention.type in ("org", "person") and (alias := short_name(page.read, mention.char_end, mention.name)):
                terms.names.setdefault(alias, mention.type)
    lower = {word for page in pages for word in re.findall(r"\b[a-z][a-z\-]{2,}\b", page.read)}
    surnames = {mention.name.split()[-1] for page in pages for mention in page.mentions if mention.type == "person"}
    name_words = {
        word for page in pages for mention in page.mentions if mention.type == "org" and " " in mention.name
        for word in mention.name.split()
    }  # fmt: skip
    for page in pages:
        kept: list[EntityMention] = []
        for mention in page.mentions:
            word = mention.name.strip()
            common = (
                mention.type == "org"
                and " " not in word
                and (
                    word.lower().strip(".") in GENERIC
                    or (
                        (word[1:].islower() or (word.isupper() and len(word) > 5))
                        and (word.lower() in lower or word[:-1] in surnames)
                    )
                )
                and word not in terms.names
                and word not in name_words
            )  # "the Estate", "DIRECTOR", "the Bordelons" (a family)
            if (mention.type == "org" and word in terms.others) or common:
                page.taken.remove((mention.char_start, mention.char_end))
            else:
                kept.append(mention)
        page.mentions = kept
        for alias, kind in terms.names.items():
            for match in re.finditer(rf"(?<![\w\-]){re.escape(alias)}(?![\w\-])", page.read):
                page.add(match.start(), match.end(), kind)
