"""Claim check for generated answers: each sentence's facts must be in a source the sentence cites.

The answer (markers already checked by ``service.engine.answering.citations.check_citations``) is split into
sentences. In each sentence, every checkable fact (``service.engine.answering.claim_facts``: numbers, money, dates,
percentages, docket numbers, case and statute citations with the codes and court rules the
citation index reads, names) must appear in one of the sources the sentence
cites with ``[n]`` (marker n is ``sources[n - 1]``, read as the prompt showed it: title, page and
text, plus its document's docket number, filing date and case name), and every disposition word
(affirm, reverse, dismiss, grant, deny, vacate, remand) must have its stem in one of them. A name
the question itself gave is no exception: a case the sources do not mention is flagged like any
other invented fact.

A sentence that fails is ``supported=False`` with human-readable reasons:

- ``"$142,500.00 is not in source [2]"``, ``"Samsung is not in sources [1], [2]"``;
- ``"'affirmed' but source [1] says dismiss"`` (``"'affirmed' is not in source [1]"`` when the
  source has no disposition word at all);
- ``"no citation"``: the sentence states a checkable fact or a disposition and cites nothing.

A sentence with nothing to check is supported: if it cites a source there is nothing the source
could contradict; if it cites nothing it is connective text ("Here is what the filings say.").
Such sentences cannot save an answer. ``answer_support`` calls an answer ``not_found`` (withheld)
when some sentence failed and no sentence both states something checkable and passed, or when no
sentence cites a source at all (nothing in it can be checked against the documents: "The court of
appeals is the highest court in the United States."); ``low_support`` when some failed and others
passed; ``answered`` otherwise.

Known limits: a fact is checked for presence, not for its role ("the appeal was filed on March 8,
2013 [1]" passes when the source gives that date as a deadline); a chunk holding several
dispositions (a precedent "reversed" inside an opinion that "affirms") passes either word; names
are capitalised words, so a lower-case name is not checked and a capitalised common word the lists
do not know is checked as a name; court names made of generic words are checked by their designation
("the Fifth Circuit", "the Eastern District", "the Court of Appeals"), not by the words of the whole name.
"""

from __future__ import annotations

from collections.abc import Sequence

from service.core.answers import ClaimCheck
from service.core.domain import AnswerState, SearchHit
from service.engine.answering.citations import MARKER, claim_spans, marker_numbers
from service.engine.answering.claim_facts import SourceFacts, disposition_words, extract_facts
from service.engine.answering.court_designations import court_id_designation

CHECK_VERSION = 2
"""The version of the claim check: bumped when it reads claims otherwise (2: court designations are facts, a
citation must end where its source's does), so that kept checks from an older one are not served."""

NO_CITATION = "no citation"


DOCKET_FIELDS = ("case_name", "case_number", "document_number", "filed")
"""Metadata that ingest reads from a filing's ECF stamps and caption, which chunks leave out."""


def source_text(hit: SearchHit) -> str:
    """A source as the prompt shows it to the model (title and page, then the passage), and the docket
    facts of its document: a docket number or filing date that only the stamps print is still the
    cited document's, and so is the court its RECAP metadata names ("ca1": the First Circuit)."""
    docket = [str(hit.metadata[name]) for name in DOCKET_FIELDS if isinstance(hit.metadata.get(name), str | int)]
    if isinstance(court := hit.metadata.get("court"), str):
        docket.append(court_id_designation(court))
    return f"{hit.title} (page {hit.page_start})\n{hit.text}\n{' '.join(docket)}"


def _markers(sentence: str) -> list[int]:
    """The source numbers a sentence of a checked answer cites (``check_citations`` kept only valid ones)."""
    return list(dict.fromkeys(number for match in MARKER.finditer(sentence) for number in marker_numbers(match)))


def _named(markers: Sequence[int]) -> str:
    listed = ", ".join(f"[{marker}]" for marker in markers)
    return f"source {listed}" if len(markers) == 1 else f"sources {listed}"


def check_claims(answer: str, sources: Sequence[SearchHit]) -> list[ClaimCheck]:
    """Check every sentence of ``answer`` against the sources it cites (see the module docstring)."""
    indexed: dict[int, SourceFacts] = {}

    def source(marker: int) -> SourceFacts:
        if marker not in indexed:
            indexed[marker] = SourceFacts(source_text(sources[marker - 1]))
        return indexed[marker]

    checks: list[ClaimCheck] = []
    for span in claim_spans(answer):
        sentence = answer[span.start : span.end]
        markers = _markers(sentence)
        plain = MARKER.sub(" ", sentence)
        facts = extract_facts(plain)
        dispositions = disposition_words(plain)
        stated = list(dict.fromkeys([*(fact.text for fact in facts), *dispositions.values()]))
        reasons: list[str] = []
        if stated and not markers:
            reasons.append(NO_CITATION)
        elif markers:
            cited = [source(marker) for marker in markers]
            missing = (fact.text for fact in facts if not any(fact.found_in(s) for s in cited))
            reasons.extend(f"{text} is not in {_named(markers)}" for text in dict.fromkeys(missing))
            said = {stem for s in cited for stem in s.dispositions}
            for stem, word in dispositions.items():
                if stem in said:
                    continue
                if said:
                    verb = "says" if len(markers) == 1 else "say"
                    reasons.append(f"'{word}' but {_named(markers)} {verb} {', '.join(sorted(said))}")
                else:
                    reasons.append(f"'{word}' is not in {_named(markers)}")
        checks.append(ClaimCheck(sentence, span.start, span.end, markers, stated, not reasons, reasons))
    return checks


def answer_support(claims: Sequence[ClaimCheck]) -> AnswerState:
    """``not_found`` when no sentence cites a source, or some failed and none stating a checkable fact
    passed; ``low_support`` when some failed and such a sentence passed; ``answered`` when none failed.
    An empty answer (no sentence) is left as it is: ``answered``."""
    if claims and not any(claim.markers for claim in claims):
        return AnswerState.NOT_FOUND
    if all(claim.supported for claim in claims):
        return AnswerState.ANSWERED
    if any(claim.supported and claim.markers and claim.facts for claim in claims):
        return AnswerState.LOW_SUPPORT
    return AnswerState.NOT_FOUND


WITHHELD_REASON = "no sentence of the model's answer cites a passage that bears out what it states"
"""Why an answer the check found ``not_found`` is refused (the refusal message says it after "Not found...")."""


def low_support_message(claims: Sequence[ClaimCheck]) -> str:
    """The warning of an answer some of whose sentences are not supported."""
    failed = sum(not claim.supported for claim in claims)
    verb, marked = ("is", "it is") if failed == 1 else ("are", "they are")
    return f"{failed} of {len(claims)} sentences {verb} not supported by the passages cited; {marked} marked."
