"""The extractive summary of a filing: court, parties, docket number, document type, date, disposition or relief
sought, and key holdings, each line the document's own words (a sentence or its metadata) with where they are.

No model is run: the metadata is what ingest read (``ingest.legal.docket``, the caption), the court is the first
court the entity index found on the first page, and the sentences are picked by the words courts and parties use
for what is decided or asked:

- **disposition** (what the court did): its own ruling formula ("IT IS ORDERED", "So Ordered", "we AFFIRM",
  "... is dismissed without prejudice", "The court ... ORDERS"), preferred near the end ("For the foregoing
  reasons") and in a conclusion, never a sentence that reports another case's outcome (a reporter citation);
  a deadline the order sets right after it ("due on or before July 21, 2017") goes with it;
- **relief** (what a party asks): "respectfully requests", "WHEREFORE", "moves the Court to", "prays";
- **holding**: "we hold", "Held:", "the Court finds", "is warranted because".

Rules, not a list of the dev filings: tuned on ``../shared/data/court-qa-dev`` (``tests/benchmarks/summaries.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

from ingest.legal.text import in_capitals
from service.core.domain import EntityMention
from service.core.summaries import DatedEvent, DocumentDigest, SummaryLine
from service.engine.answering.facts import looks_like_caption
from service.engine.summaries.dates import full_dates
from service.engine.summaries.events import dated_events
from service.engine.summaries.sentences import Page, Sentence, document_sentences, one_line

MAX_LINE_CHARS = 500
"""A sentence longer than this is shown cut (its span still covers it all)."""
DISPOSITIONS = 2
RELIEFS = 2
HOLDINGS = 3
MIN_SCORE = 3
DECISIONS = {"opinion", "order", "judgment"}
"""Document types that decide something; the others ask (a motion's relief) or tell."""

_RULING = re.compile(
    r"\bIT\s+IS\s+(?:HEREBY\s+|FURTHER\s+)?(?:ORDERED|ADJUDGED|DECREED)|\bSo\s+Ordered\b|\bORDERED\s+that\b"
    r"|\b(?:is|are|be|hereby|shall\s+be)\s+(?:hereby\s+)?(?:AFFIRMED|REVERSED|VACATED|REMANDED|DISMISSED|GRANTED|"
    r"DENIED|affirmed|reversed|vacated|remanded|dismissed|granted|denied|stayed|enjoined|sustained|overruled|"
    r"consolidated|transferred|extended)\b"
    r"|\bwe\s+(?:AFFIRM|REVERSE|VACATE|REMAND|DISMISS|GRANT|DENY|affirm|reverse|vacate|remand|dismiss|grant|deny)\b"
    r"|(?<![Dd]istrict )(?<![Ll]ower )\b[Cc]ourt,?\s+(?:on\s+its\s+own\s+(?:initiative|motion),?\s+)?(?:hereby\s+)?"
    r"(?:ORDERS|GRANTS|DENIES|(?:orders|grants|denies|dismisses|affirms|reverses)\s+(?:that|the|this|a|an|[A-Z]))\b"
    r"|\bjudgment\s+is\s+(?:hereby\s+)?entered\b"
    r"|\b(?:JUDGMENT|ORDER|DECISION)\s+(?:AFFIRMED|REVERSED|VACATED)\b|\b(?:shall|may|must)\s+show\s+cause\b"
    r"|\bDecisions?\s+will\s+be\s+entered\b"
)
"""A court stating its own ruling (present tense, or a formula), not reporting what happened below."""
_APPELLATE = re.compile(
    r"\b(?:is|are)\s+(?:hereby\s+)?(?:affirmed|reversed|vacated|remanded)\b|\bwe\s+(?:affirm|reverse|vacate|remand)\b",
    re.IGNORECASE,
)
"""The rulings only a court makes: a filing of another type (often a mistyped opinion) decides by these alone."""
_HYPOTHETICAL = re.compile(r"\b(?:if|whether|unless|until|should|would|could|must|may|might|ask\w*|urg\w*)\b", re.I)
"""A ruling word after these is asked for or supposed ("If the extension is granted"), not made."""
_FORMULA_ONLY = re.compile(r"^(?:IT\s+IS\s+)?SO\s+ORDERED\.?$", re.IGNORECASE)
"""A closing formula alone says nothing of what was ordered."""
_CONCLUDING = re.compile(
    r"\b(?:for\s+the\s+(?:foregoing\s+|above\s+|stated\s+|following\s+)?reasons|accordingly|therefore|"
    r"in\s+(?:sum|conclusion)|thus)\b",
    re.IGNORECASE,
)
_CONCLUSION_HEADING = re.compile(r"^\s*(?:[IVX]+\.\s*|[A-Z]\.\s*)?CONCLUSIONS?\s*$", re.MULTILINE | re.IGNORECASE)
_DEADLINE = re.compile(
    r"\b(?:due\s+(?:on\s+or\s+before|by|within)|within\s+\w+\s+\(?\d*\)?\s*days|no\s+later\s+than)\b"
)
_CITATION = re.compile(
    r"\b\d+\s+(?:U\.\s?S\.|S\.\s?Ct\.|F\.\s?(?:Supp\.\s?)?(?:\d[dh]|4th)?|N\.[EW]\.\d?d?|So\.\s?\d?d?|P\.\d?d?|A\.\d?d?|"
    r"B\.R\.|Cal\.\s?(?:App\.\s?)?\d?t?h?)\s+\d+|\bv\.\s+[A-Z][\w.]*(?:\s+[\w.&]+){0,5},\s+\d"
)
"""A reporter citation: the sentence reports another case's outcome ("aff'd", "dismissed")."""
_RELIEF = re.compile(
    r"\brespectfully\s+(?:requests?|moves?|asks?|prays?|submits?|urges?)\b|\bWHEREFORE\b|\bprays?\s+(?:that|for)\b"
    r"|\bmoves?\s+(?:this|the)\s+(?:Honorable\s+)?Court\b|\bhereby\s+moves?\s+(?:to|for)\b"
    r"|\brequests?\s+that\s+(?:this|the)\s+Court\b|\b(?:seeks?|demands?)\s+(?:judgment|an?\s+order|damages|relief)"
    r"|\bshould\s+(?:therefore\s+)?be\s+(?:affirmed|reversed|vacated|granted|denied|dismissed)\b"
    r"|\b[Cc]ourt\s+should\s+(?:grant|deny|reverse|affirm|vacate|dismiss|enter|award)\b",
    re.IGNORECASE,
)
_HOLDING = {
    re.compile(r"\bwe\s+(?:therefore\s+|now\s+|also\s+)?hold\b|\bHeld:", re.IGNORECASE): 4,
    # "The Court finds" is the court speaking; "the district court found" reports the court below.
    re.compile(r"(?<![Dd]istrict )(?<![Tt]rial )\bCourt\s+(?:therefore\s+)?(?:finds|holds|concludes)\b"): 3,
    re.compile(r"\bwe\s+(?:therefore\s+)?(?:find|conclude|found|concluded)\b"): 3,
    re.compile(r"\bis\s+(?:warranted|appropriate|proper)\s+because\b|\bwe\s+agree\b"): 3,
}


@dataclass(frozen=True)
class _Pick:
    sentence: Sentence
    score: int


def _line(field: str, sentence: Sentence) -> SummaryLine:
    text = sentence.text if len(sentence.text) <= MAX_LINE_CHARS else sentence.text[: MAX_LINE_CHARS - 1] + "…"
    return SummaryLine(field, text, sentence.page, sentence.start, sentence.end)


def _after_conclusion(pages: Sequence[Page]) -> dict[int, int]:
    """Page number to where its conclusion heading ends, for the pages that have one."""
    found: dict[int, int] = {}
    for page in pages:
        heading = _CONCLUSION_HEADING.search(page.text)
        if heading is not None:
            found[page.number] = heading.end()
    return found


def _in_conclusion(sentence: Sentence, conclusions: Mapping[int, int]) -> bool:
    return any(
        sentence.page > page or (sentence.page == page and sentence.start >= at) for page, at in conclusions.items()
    )


def _rules(text: str, ruling: re.Pattern[str]) -> bool:
    """Whether ``text`` makes a ruling: a ruling word not asked for or supposed, no other case's outcome cited."""
    if _CITATION.search(text) or _FORMULA_ONLY.match(text):
        return False
    return any(
        not _HYPOTHETICAL.search(text[max(0, match.start() - 60) : match.start()]) for match in ruling.finditer(text)
    )


def _dispositions(sentences: Sequence[Sentence], pages: Sequence[Page], decides: bool) -> list[Sentence]:
    conclusions = _after_conclusion(pages)
    ruling = _RULING if decides else _APPELLATE
    scored: list[_Pick] = []
    for sentence in sentences:
        if not _rules(sentence.text, ruling):
            continue
        score = 3
        score += 2 if _CONCLUDING.search(sentence.text) else 0
        score += 2 if _in_conclusion(sentence, conclusions) else 0
        score += 1 if sentence.of_pages >= 0.75 else 0
        scored.append(_Pick(sentence, score))
    if not scored:
        return []
    best = max(scored, key=lambda pick: (pick.score, pick.sentence.ordinal))
    chosen = [best.sentence]
    others = sorted(
        (pick for pick in scored if pick is not best and pick.score >= best.score - 2),
        key=lambda pick: (-pick.score, -pick.sentence.ordinal),
    )
    chosen.extend(pick.sentence for pick in others[: DISPOSITIONS - 1])
    following = next(
        (sentence for sentence in sentences[best.sentence.ordinal + 1 :] if len(sentence.text.split()) >= 5), None
    )
    if following is not None and (best.sentence.text.endswith(":") or _DEADLINE.search(following.text)):
        # "IT IS HEREBY ORDERED THAT:" is said by what follows it; "The parties' Statements are due on or before
        # July 21, 2017" is part of the order before it.
        chosen.append(following)
    return sorted(set(chosen), key=lambda sentence: sentence.ordinal)


def _scored(
    sentences: Sequence[Sentence], weights: Mapping[re.Pattern[str], int], taken: set[int], prose: bool = True
) -> list[_Pick]:
    """Sentences that match one of ``weights``' patterns, scored by the best; with ``prose``, no caption or
    heading (a request names the case it is made in: "stay ... until the Court decides Roman v. Wolf, Case No.
    20-55436" is a request all the same)."""
    picks = []
    for sentence in sentences:
        if sentence.ordinal in taken or _CITATION.search(sentence.text):
            continue
        if looks_like_caption(sentence.text) if prose else in_capitals(sentence.text):
            continue
        score = max((weight for pattern, weight in weights.items() if pattern.search(sentence.text)), default=0)
        if score:
            picks.append(_Pick(sentence, score + (1 if _CONCLUDING.search(sentence.text) else 0)))
    return picks


def _best(picks: Sequence[_Pick], count: int) -> list[Sentence]:
    chosen = sorted(picks, key=lambda pick: (-pick.score, pick.sentence.ordinal))[:count]
    return sorted((pick.sentence for pick in chosen if pick.score >= MIN_SCORE), key=lambda found: found.ordinal)


def _reliefs(sentences: Sequence[Sentence], taken: set[int]) -> list[Sentence]:
    picks = _scored(sentences, {_RELIEF: 3}, taken, prose=False)
    # A request is made first (the motion) and repeated last (its conclusion): prefer the last.
    late = [_Pick(pick.sentence, pick.score + (1 if pick.sentence.of_pages >= 0.5 else 0)) for pick in picks]
    return _best(late, RELIEFS)


def _first_on_page(pages: Sequence[Page], needle: str) -> tuple[int, int, int] | None:
    """``(page, start, end)`` of the first case-insensitive occurrence of ``needle`` on the first two pages."""
    if not needle:
        return None
    pattern = re.compile(r"\s+".join(re.escape(word) for word in needle.split()), re.IGNORECASE)
    for page in pages[:2]:
        found = pattern.search(page.text)
        if found is not None:
            return page.number, found.start(), found.end()
    return None


def _metadata_line(field: str, text: str, pages: Sequence[Page], needle: str | None = None) -> SummaryLine:
    where = _first_on_page(pages, needle if needle is not None else text)
    if where is None:
        return SummaryLine(field, text)
    return SummaryLine(field, text, *where)


def _date_line(pages: Sequence[Page], iso: str) -> SummaryLine:
    """The filing's date, cited where the first pages write it ("Filed: 12/22/2020", "June 7, 2019")."""
    try:
        wanted = date.fromisoformat(iso)
    except ValueError:
        return SummaryLine("date", iso)
    for page in pages[:2]:
        for found in full_dates(page.text):
            if found.value == wanted:
                return SummaryLine("date", iso, page.number, found.start, found.end)
    return SummaryLine("date", iso)


def _court_line(pages: Sequence[Page], metadata: Mapping[str, str], mentions: Sequence[EntityMention]) -> SummaryLine:
    first_pages = {page.number for page in pages[:2]}
    for mention in mentions:
        if mention.type == "court" and mention.page in first_pages and len(mention.name.split()) >= 3:
            return SummaryLine("court", one_line(mention.name), mention.page, mention.char_start, mention.char_end)
    court_id = metadata.get("court", "")
    return SummaryLine("court", court_names().get(court_id, court_id))


@cache
def court_names() -> dict[str, str]:
    """Court id (CourtListener's, as ``ingest.legal.docket`` gives it) to the court's name, from ``courts-db``."""
    from courts_db import courts  # type: ignore[import-untyped]  # ships no types (a dependency of eyecite)

    return {court["id"]: court["name"] for court in courts if court.get("id") and court.get("name")}


_PARTY_ROLES = ("plaintiff", "defendant", "appellant", "appellee", "petitioner", "respondent", "debtor")


def _parties_line(pages: Sequence[Page], metadata: Mapping[str, str], mentions: Sequence[EntityMention]) -> SummaryLine:
    if metadata.get("case_name"):
        first = metadata["case_name"].split(" v. ")[0]
        return _metadata_line("parties", metadata["case_name"], pages, first)
    parties = [mention for mention in mentions if mention.role in _PARTY_ROLES and mention.page <= 2]
    if not parties:
        return SummaryLine("parties", "")
    names = list(dict.fromkeys(f"{mention.name} ({mention.role})" for mention in parties))
    first_mention = parties[0]
    return SummaryLine(
        "parties", "; ".join(names[:6]), first_mention.page, first_mention.char_start, first_mention.char_end
    )


def summary_lines(
    pages: Sequence[Page],
    title: str,
    metadata: Mapping[str, str],
    mentions: Sequence[EntityMention],
    sentences: Sequence[Sentence] | None = None,
) -> list[SummaryLine]:
    """The summary of one document: its metadata lines, then its disposition, relief sought and holdings
    (``sentences``: the pages' ``document_sentences``, when already split)."""
    lines = [_court_line(pages, metadata, mentions), _parties_line(pages, metadata, mentions)]
    if metadata.get("case_number"):
        lines.append(_metadata_line("docket", metadata["case_number"], pages))
    kind = metadata.get("document_type", "")
    lines.append(SummaryLine("document_type", f"{kind.capitalize()}: {title}" if kind else title, 1 if pages else None))
    if metadata.get("filed"):
        lines.append(_date_line(pages, metadata["filed"]))
    lines = [line for line in lines if line.text]
    sentences = document_sentences(pages) if sentences is None else sentences
    decided = _dispositions(sentences, pages, kind in DECISIONS or kind in ("", "other"))
    taken = {sentence.ordinal for sentence in decided}
    asked = [] if decided and kind in DECISIONS else _reliefs(sentences, taken)
    taken |= {sentence.ordinal for sentence in asked}
    held = _best(_scored(sentences, _HOLDING, taken), HOLDINGS)
    lines.extend(_line("disposition", sentence) for sentence in decided)
    lines.extend(_line("relief", sentence) for sentence in asked)
    lines.extend(_line("holding", sentence) for sentence in held)
    return lines


def digest(
    pages: Sequence[Page], title: str, metadata: Mapping[str, object], mentions: Sequence[EntityMention]
) -> DocumentDigest:
    """A document version's summary and dated events, from what ingest already read (pages, metadata, entity
    mentions): the one entry point, at ingest and for a document stored before summaries existed."""
    plain = {key: value for key, value in metadata.items() if isinstance(value, str)}
    sentences = document_sentences(pages)
    lines = summary_lines(pages, title, plain, mentions, sentences)
    events = dated_events(sentences)
    filed = _filed_event(pages, plain.get("filed", ""))
    if filed is not None and (filed.date, "filed") not in {(event.date, event.kind) for event in events}:
        events.insert(0, filed)
    return DocumentDigest(tuple(lines), tuple(events))


def _filed_event(pages: Sequence[Page], iso: str) -> DatedEvent | None:
    """The filing itself as an event, dated by its metadata and cited at the line of the first pages that writes
    the date (often the ECF stamp, which sentences leave out)."""
    line = _date_line(pages, iso) if iso else None
    if line is None or line.page is None or line.char_start is None:
        return None
    text = next(page.text for page in pages if page.number == line.page)
    start = text.rfind("\n", 0, line.char_start) + 1
    end = text.find("\n", line.char_start)
    end = len(text) if end < 0 else end
    return DatedEvent(iso, "filed", line.page, start, end, one_line(text[start:end]))
