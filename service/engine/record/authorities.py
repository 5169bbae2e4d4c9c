"""The citation index's core: the authorities a filing cites, page by page, found with eyecite.

A **mention** is one citation on a page (``AuthorityMention``):

- ``kind``: a full case citation ("550 U.S. 544"), a law (statute, regulation or court rule that
  eyecite knows: "28 U.S.C. § 1291"), a journal article, a short case form ("550 U.S. at 556"),
  ``id.`` or ``supra``.
- ``char_start``/``char_end``: the citation proper with its pin cite when one follows directly:
  "550 U.S. 544, 556", "11 U.S.C. § 342(b)", "366 N.C. at 289-92", "Id. at 77", "supra"; the case
  name and the parenthetical are not part of it (``case_name`` gives the parties).
- ``authority``: the normalised key every mention of one authority shares: "volume reporter page"
  with eyecite's canonical reporter ("550 U.S. 544", "459 F. Supp. 3d 273"), or the law's corrected
  citation ("28 U.S.C. § 1291"). A short form, id. or supra gets the key of the full citation it
  refers to when ``eyecite.resolve_citations`` can tell (earlier in the same document); else ``None``.
- ``pin_cite``: the page or subsection pointed at ("556", "289-92", "(b)"), without "at" or comma.

``authorities_in_document`` resolves across the pages of a document, in page order, so an "Id." at
the top of page 5 refers to the last citation of page 4. eyecite's own warnings about overlapping
citations are silenced (they are noise about its heuristics, not errors of ours).

eyecite is helped where it falls short on court filings, each time by a rule that holds for any
filing: codes and rules its data lacks and sections with a letter (``service.engine.record.laws``,
extractors given to its tokenizer); pin pages it stops short of (en-dash ranges, "1265 n. 6"), a law's
further subsections ("(a)(2.1)") and further sections ("§§ 152, 1341, and 3571"); an id. with a star
page after a Westlaw citation, and an id. with a page after a statute (``_id_resolver``). A bare
"§ 362(a)" of an unnamed code is no mention.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from eyecite import get_citations, resolve_citations
from eyecite.models import (
    CitationBase,
    FullCaseCitation,
    FullCitation,
    FullJournalCitation,
    FullLawCitation,
    IdCitation,
    ShortCaseCitation,
    SupraCitation,
)
from eyecite.resolve import _resolve_id_citation  # eyecite's default, which _id_resolver corrects

from service.engine.record.laws import TOKENIZER, law_key

# eyecite logs a warning for every pair of overlapping citations it cannot classify; one per
# parallel or pin cite in a filing is noise here, never an error of ours.
logging.getLogger("eyecite").setLevel(logging.ERROR)


class AuthorityKind(enum.StrEnum):
    """What a mention is."""

    CASE = "case"
    LAW = "law"
    JOURNAL = "journal"
    SHORT = "short"
    ID = "id"
    SUPRA = "supra"


_KINDS: dict[type[CitationBase], AuthorityKind] = {
    FullCaseCitation: AuthorityKind.CASE,
    FullLawCitation: AuthorityKind.LAW,
    FullJournalCitation: AuthorityKind.JOURNAL,
    ShortCaseCitation: AuthorityKind.SHORT,
    IdCitation: AuthorityKind.ID,
    SupraCitation: AuthorityKind.SUPRA,
}
# "at 289-92" (any dash) that eyecite's page pattern stops short of (it reads no ranges after "at").
_AT_PAGES = re.compile(r"[\s,]*at\s+(?P<pin>\d+(?:\s*[-\u2013\u2014]\s*\d+)?)")
_PAGE_RANGE_END = re.compile(r"[-\u2013\u2014]\d+\b")
_DASH_SPACE = re.compile(r"\s*([-\u2013\u2014])\s*")  # "283-\r\n288" -> "283-288"
_PIN_NOISE = re.compile(r"^[\s,]*(?:at\s+)?|[\s,.;]+$")
# Pin pages eyecite stops short of: a range with an en dash ("141, 152\u2013153"), more pages after it
# ("1239, 1242, 1245\u20131246"), a footnote after the page ("1265 n. 6"). It ends where eyecite's
# own pin cites must end (punctuation or a parenthesis), so a parallel citation ("1 U.S. 1, 2 S. Ct.
# 3") is never read as a pin.
_MORE_PINS = re.compile(
    r"(?:,\s?\d+(?:\s?[-\u2013\u2014]\s?\d+)?|,?\s?nn?\.\s?\d+(?:\s?[-\u2013\u2014]\s?\d+)?)+(?=[,.;)\]]|\s?[(\[]|$)"
)
# A law's subsections, "(a)(2.1)", beyond the letters and numbers eyecite's subsection pattern reads.
_SUBSECTIONS = re.compile(r"(?:\([0-9A-Za-z.]{1,6}\))+")
# The further sections of "18 U.S.C. §§ 152, 1341, 1519, and 3571" (eyecite reads the first).
_MORE_SECTIONS = re.compile(
    r"(?:,? (?:and |or )?\d+[A-Za-z]{0,2}(?:[-.:]\d+[A-Za-z]{0,2})*(?:\([0-9A-Za-z.]{1,6}\))*(?!\w))+"
)


@dataclass(frozen=True)
class AuthorityMention:
    """One citation on a page (see the module docstring for each field)."""

    kind: AuthorityKind
    char_start: int
    char_end: int
    text: str
    authority: str | None
    pin_cite: str | None
    case_name: str | None


@dataclass(frozen=True)
class AuthorityEntry:
    """One line of a table of authorities: an authority with every mention of it in a document."""

    authority: str
    kind: AuthorityKind
    case_name: str | None
    mentions: int
    pages: tuple[int, ...]
    pin_cites: tuple[str, ...]


def _untyped(citation: CitationBase) -> Any:
    """``citation`` for calling eyecite's unannotated methods (span(), corrected_citation(), ...)."""
    return citation


_SECTION_SIGN = re.compile(r"§+\s*")


# A bare "App." is the record's (joint) appendix in a brief or an opinion ("1 App. 23-24"), though
# eyecite reads it as a variant of "Ohio App."; it is no authority, and neither is an id. of it.
_RECORD_REPORTER, _RECORD = "App.", ""


def _authority_key(citation: FullCitation) -> str:
    """The normalised key of a full citation (see the module docstring)."""
    cited = _untyped(citation)
    if isinstance(citation, FullLawCitation):  # "11 USC §522" and "18 U.S.C. §§ 152, 1341" -> "... § 522", "... § 152"
        if key := law_key(citation):
            return key
        return _SECTION_SIGN.sub("§ ", " ".join(str(cited.corrected_citation()).split()))
    groups = citation.groups
    if groups.get("reporter") == _RECORD_REPORTER:
        return _RECORD
    if not str(cited.matched_text()).startswith(groups.get("volume") or "\0"):  # "T.C. Memo. 2020-26"
        return " ".join(str(cited.corrected_citation()).split())
    return f"{groups.get('volume', '')} {cited.corrected_reporter()} {groups.get('page') or '___'}".strip()


def _one_spaced(text: str) -> tuple[str, list[int]]:
    """``text`` with every run of whitespace made one space, and where each of its characters was.

    eyecite wants one space between a citation's parts; PDF text breaks lines and doubles spaces
    inside them ("521 \\r\\nU. S. 1").
    """
    pieces: list[str] = []
    origin: list[int] = []
    for match in re.finditer(r"\s+|\S+", text):
        piece = " " if match.group().isspace() else match.group()
        pieces.append(piece)
        origin.extend(range(match.start(), match.start() + len(piece)))
    origin.append(len(text))
    return "".join(pieces), origin


def _case_name(citation: CitationBase) -> str | None:
    metadata = citation.metadata
    plaintiff, defendant = getattr(metadata, "plaintiff", None), getattr(metadata, "defendant", None)
    if plaintiff and defendant:
        return " ".join(f"{plaintiff} v. {defendant}".split())
    return " ".join(defendant.split()) if defendant else None


def _mention(text: str, citation: CitationBase, authority: str | None) -> AuthorityMention:
    """The mention of ``citation``, found in ``text``: its span with the pin cite that follows it."""
    kind = _KINDS[type(citation)]
    start, end = _untyped(citation).span_with_pincite()
    pin: str | None = getattr(citation.metadata, "pin_cite", None)
    if pin and text.startswith(pin, end):  # a law's subsection: "11 U.S.C. § 342(b)"
        end += len(pin)
    if kind is AuthorityKind.LAW:
        if subsections := _SUBSECTIONS.match(text, end):
            end, pin = subsections.end(), (pin or "") + subsections.group()
        if "§§" in text[start:end] and (more := _MORE_SECTIONS.match(text, end)):
            end = more.end()
    if kind in (AuthorityKind.CASE, AuthorityKind.SHORT) and (pages := _MORE_PINS.match(text, end)):
        end, pin = pages.end(), (pin or "") + pages.group()
    if not pin and kind in (AuthorityKind.SHORT, AuthorityKind.ID, AuthorityKind.SUPRA):
        core_end = len(text[start:end].rstrip(" ,\r\n\t").removesuffix("at").rstrip())
        if at_pages := _AT_PAGES.match(text, start + core_end):
            end, pin = at_pages.end(), at_pages["pin"]
    if kind is AuthorityKind.SHORT and not pin:
        pin = citation.groups.get("page")
    if pin and (page_range := _PAGE_RANGE_END.match(text, end)):  # "366 N.C. at 289-92": eyecite stops at 289
        end, pin = page_range.end(), pin + page_range.group()
    while end > start and text[end - 1] in " ,;\r\n\t":
        end -= 1
    pin = _PIN_NOISE.sub("", _DASH_SPACE.sub(r"\1", pin)) if pin else None
    return AuthorityMention(kind, start, end, text[start:end], authority, pin or None, _case_name(citation))


def authorities_in_document(pages: Iterable[tuple[int, str]]) -> list[tuple[int, AuthorityMention]]:
    """Every citation of a document, as ``(page number, mention)`` in page and text order.

    ``pages`` are ``(page_number, text)`` in reading order; short forms, id. and supra are resolved
    against what comes before them in the whole document.
    """
    found: list[tuple[int, str, CitationBase]] = []
    originals: dict[int, tuple[str, list[int]]] = {}
    for page_number, text in pages:
        if text.strip():  # eyecite refuses empty text
            spaced, origin = _one_spaced(text)
            originals[page_number] = (text, origin)
            cited_here = get_citations(spaced, tokenizer=TOKENIZER)
            found.extend((page_number, spaced, cited) for cited in cited_here if type(cited) in _KINDS)
    citations = [citation for _, _, citation in found]
    resolutions = resolve_citations(
        citations,
        resolve_full_citation=_authority_key,
        resolve_id_citation=_id_resolver({id(citation): place for place, citation in enumerate(citations)}),
    )
    authority_of = {id(citation): str(key) or None for key, cited in resolutions.items() for citation in cited}
    spaced_mentions = _resolve_short_forms(
        [
            (page_number, _mention(spaced, cited, authority_of.get(id(cited))))
            for page_number, spaced, cited in found
            if not (isinstance(cited, FullCitation) and _authority_key(cited) == _RECORD)
        ]
    )
    mentions = []
    for page_number, mention in spaced_mentions:
        text, origin = originals[page_number]
        start, end = origin[mention.char_start], origin[mention.char_end - 1] + 1
        mentions.append((page_number, replace(mention, char_start=start, char_end=end, text=text[start:end])))
    return mentions


def _is_database(citation: CitationBase) -> bool:
    """Whether ``citation`` is of a database with star pages ("2023 WL 128600", "2019 U.S. Dist. LEXIS 5")."""
    reporter = str(citation.groups.get("reporter") or "")
    return isinstance(citation, FullCaseCitation) and (reporter == "WL" or reporter.endswith("LEXIS"))


_PAGE_PIN = re.compile(r"(?:at )?\d")


def _id_resolver(order: dict[int, int]) -> Any:
    """eyecite's resolution of an id., with two corrections; ``order`` gives each citation's place.

    - A star page ("Id. at *4") refers to the last citation when that is a Westlaw or Lexis citation
      ("2023 WL 128600"), whose pages are starred: eyecite takes every pin not starting with a digit
      for one that cannot be right (its check is meant for "Id. at ¶ 10" after a reporter citation).
    - A page ("Id. at 5") cannot be of a law cited by section ("N.C.G.S. § 14-306.4" named in the
      sentence before): it refers to the latest case cited before it.
    """

    def resolve(id_citation: IdCitation, last_resolution: Any, resolutions: Any) -> Any:
        pin = str(id_citation.metadata.pin_cite or "")
        last_cited = resolutions.get(last_resolution) or []
        if pin.removeprefix("at ").startswith("*") and any(_is_database(cited) for cited in last_cited):
            return last_resolution
        if _PAGE_PIN.match(pin) and any(
            isinstance(cited, FullLawCitation) and not cited.groups.get("page") for cited in last_cited
        ):
            cases = (
                (order[id(cited)], resource)
                for resource, citations in resolutions.items()
                if any(isinstance(cited, FullCaseCitation) for cited in citations)
                for cited in citations
            )
            last_resolution = max(cases, default=(0, None), key=lambda placed: placed[0])[1]
            if last_resolution is None:
                return None
        return _resolve_id_citation(id_citation, last_resolution, resolutions)

    return resolve


_READ_AS_FULL = re.compile(r"^(?P<volume>\d+)\s+(?P<reporter>.+?),?\s+at\s+(?P<page>\d+)")


def _resolve_short_forms(mentions: list[tuple[int, AuthorityMention]]) -> list[tuple[int, AuthorityMention]]:
    """Resolve the short forms eyecite reads as full citations ("81 T.C. at 828" as page 828) or leaves
    unresolved (when the case name before it differs from the full citation's: "Fideicomiso De La
    Tierra, 582 F.3d at 133").

    Such a mention becomes a short form of the latest earlier full citation with its volume and
    reporter whose first page is not after the pin page; an id. that eyecite resolved to the
    misread citation follows it.
    """
    corrected: list[tuple[int, AuthorityMention]] = []
    renamed: dict[str, str | None] = {}  # what eyecite resolved an id. to -> the authority it is
    for page_number, mention in mentions:
        if mention.kind is AuthorityKind.ID and mention.authority in renamed:
            mention = replace(mention, authority=renamed[mention.authority])
        misread = mention.kind is AuthorityKind.CASE
        unresolved = mention.kind is AuthorityKind.SHORT and mention.authority is None
        short = _READ_AS_FULL.match(mention.text) if misread or unresolved else None
        if short:
            volume, pin = short["volume"], int(short["page"])
            earlier = (
                m.authority
                for _, m in reversed(corrected)
                if m.kind is AuthorityKind.CASE and m.authority and m.authority.split()[0] == volume
                and m.text.split(",")[0].rsplit(None, 1)[0] == f"{volume} {short['reporter']}"
                and m.authority.rsplit(None, 1)[-1].isdigit() and int(m.authority.rsplit(None, 1)[-1]) <= pin
            )  # fmt: skip
            authority = next(earlier, None)
            if misread:
                renamed[mention.authority or ""] = authority
            mention = replace(mention, kind=AuthorityKind.SHORT, authority=authority, pin_cite=short["page"])
        corrected.append((page_number, mention))
    return corrected


def authorities_on_page(text: str) -> list[AuthorityMention]:
    """Every citation on one page, resolving short forms, id. and supra within the page only."""
    return [mention for _, mention in authorities_in_document([(1, text)])]


_TABLE_ORDER = [AuthorityKind.CASE, AuthorityKind.LAW, AuthorityKind.JOURNAL]


def table_of_authorities(pages: Iterable[tuple[int, str]]) -> list[AuthorityEntry]:
    """A document's table of authorities: cases (by name), then laws and journals (by key).

    Each entry counts the full citations and the resolved short forms, id. and supra of one
    authority, with the pages they are on and their pin cites (in order of first appearance).
    Mentions whose authority eyecite could not resolve are left out.
    """
    grouped: dict[str, list[tuple[int, AuthorityMention]]] = {}
    for page_number, mention in authorities_in_document(pages):
        if mention.authority is not None:
            grouped.setdefault(mention.authority, []).append((page_number, mention))
    entries = []
    for authority, mentions in grouped.items():
        full = next((m for _, m in mentions if m.kind in _TABLE_ORDER), mentions[0][1])
        pins = dict.fromkeys(m.pin_cite for _, m in mentions if m.pin_cite)
        name = next((m.case_name for _, m in mentions if m.case_name), None)
        entries.append(
            AuthorityEntry(
                authority, full.kind, name, len(mentions), tuple(sorted({p for p, _ in mentions})), tuple(pins)
            )
        )
    entries.sort(
        key=lambda e: (
            _TABLE_ORDER.index(e.kind) if e.kind in _TABLE_ORDER else 3,
            (e.case_name or e.authority).casefold(),
        )
    )
    return entries
