"""Candidate sentences for an extractive answer: every sentence of the pages the retriever found.

Each candidate knows where it is (its page, its exact span), its words (stemmed), the kinds of fact it
holds and whether it reads like a caption. Sentences are cut by ``service.engine.answering.sentences``; ECF stamps and
pleading line numbers are left out, as chunks leave them out; a sentence that a page break cut goes on
in the first lower-case sentence of the next page.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ingest.legal.ecf_stamps import find_stamps
from ingest.legal.running_heads import line_number_spans, normalised_line
from service.core.domain import PageRecord, SearchHit
from service.core.errors import NotFound
from service.engine.answering.facts import Fact, facts_in, looks_like_caption
from service.engine.answering.form_items import form_items, lettered_parts
from service.engine.answering.question import QuestionPart, terms
from service.engine.answering.sentences import Span, is_heading, sentence_spans

_MIN_CHARS, _MAX_CHARS = 12, 900
_MIN_WORDS = 3
LOWER_START = re.compile(r"^[a-z]")


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved page: where it is, its words and the facts it holds."""

    hit: SearchHit
    """The hit widened to its whole page (``text`` is the page text)."""
    span: Span
    text: str
    rank: int
    in_chunk: bool
    words: frozenset[str]
    facts: frozenset[Fact]
    caption: bool
    lead_document: bool
    """From the case of the best hit, the case the question is about as far as retrieval can tell (its document,
    or another filing with its court and docket number)."""
    case: CaseIdentity = field(default_factory=lambda: CaseIdentity(frozenset(), frozenset()))
    """Which case the sentence belongs to."""


@dataclass(frozen=True)
class PageSentences:
    """The candidate sentences of retrieved pages, read through a page lookup."""

    pages: Callable[[str, int], PageRecord] | None = None
    """Page lookup; with it every sentence of a retrieved page is a candidate, and quotes are whole sentences."""

    def candidates(self, hits: Sequence[SearchHit]) -> list[Candidate]:
        """Every usable sentence of the pages of ``hits``, each page once, in rank order."""
        found: list[Candidate] = []
        seen: set[tuple[str, int]] = set()
        for rank, hit in enumerate(hits):
            key = (hit.document_id, hit.page_start)
            if key in seen:
                continue
            seen.add(key)
            page_hit, chunk = self._whole_page(hit)
            case = case_identity(hit)
            lead = same_case(hit, hits[0])
            for span in clean_sentences(page_hit.text):
                text = " ".join(page_hit.text[span.start : span.end].split())
                if not (_MIN_CHARS <= len(text) <= _MAX_CHARS) or len(text.split()) < _MIN_WORDS:
                    continue
                found.append(
                    Candidate(
                        hit=page_hit,
                        span=span,
                        text=text,
                        rank=rank,
                        in_chunk=chunk[0] <= span.start < chunk[1],
                        words=frozenset(terms(text)),
                        facts=frozenset(facts_in(text)),
                        caption=looks_like_caption(text),
                        lead_document=lead,
                        case=case,
                    )
                )
            # A form's numbered question with the filer's answer below it, and a schedule's title with its
            # table, each quoted whole.
            for item in [*form_items(page_hit.text), *lettered_parts(page_hit.text)]:
                answer = page_hit.text[item.question_end : item.span.end]
                found.append(
                    Candidate(
                        hit=page_hit,
                        span=item.span,
                        text=" ".join(page_hit.text[item.span.start : item.span.end].split()),
                        rank=rank,
                        in_chunk=chunk[0] <= item.span.start < chunk[1],
                        words=frozenset(terms(page_hit.text[item.span.start : item.span.end])),
                        facts=frozenset(facts_in(" ".join(answer.split()))),
                        caption=False,
                        lead_document=lead,
                        case=case,
                    )
                )
        return without_repeats(found)

    def _whole_page(self, hit: SearchHit) -> tuple[SearchHit, tuple[int, int]]:
        """The hit widened to its page's text, and the chunk's page-relative span."""
        if self.pages is None or hit.page_start != hit.page_end:
            return hit, (0, len(hit.text))
        page = self.pages(hit.document_id, hit.page_start)
        chunk = (hit.char_start - page.char_start, hit.char_end - page.char_start)
        widened = dataclasses.replace(hit, text=page.text, char_start=page.char_start, char_end=page.char_end)
        return widened, chunk

    def next_page_opening(self, candidate: Candidate) -> list[Candidate]:
        """The first sentence of the next page, for a sentence that the page break cut off. It is the one
        that opens in lower case, after the running head ("8 TARRANT ... v. HERRMANN / Opinion of the Court");
        when the cut sentence ends in a word no sentence ends in ("... from the") and the next page opens
        with a running head, the first one whatever its case."""
        if self.pages is None:
            return []
        try:
            page = self.pages(candidate.hit.document_id, candidate.hit.page_start + 1)
        except NotFound:
            return []
        body = _after_running_head(page.text, candidate.hit.text)
        spans = [span for span in clean_sentences(page.text) if span.end > body][:3]
        # A capitalised opening goes on a sentence only past a running head that says the page goes on.
        cut_mid_phrase = body > 0 and dangles(candidate.text)
        for span in spans:
            start = max(span.start, body)
            if cut_mid_phrase or LOWER_START.match(page.text[start : span.end]):
                break
        else:
            return []
        span = Span(start, span.end)
        hit = dataclasses.replace(
            candidate.hit,
            text=page.text,
            page_start=page.number,
            page_end=page.number,
            char_start=page.char_start,
            char_end=page.char_end,
        )
        text = " ".join(page.text[span.start : span.end].split())
        return [dataclasses.replace(candidate, hit=hit, span=span, text=text, in_chunk=False, caption=False)]


_DANGLING_WORD = re.compile(
    r"\b(?:the|a|an|of|from|to|in|on|at|by|for|with|and|or|that|which|its|their|his|her|under|into|than)$",
    re.IGNORECASE,
)
"""A sentence that ends in one of these words was cut: it goes on on the next page."""
_HEAD_LINES = 3


def dangles(sentence: str) -> bool:
    """Whether ``sentence`` ends in a word no sentence ends in ("... from the"): it was cut."""
    return _DANGLING_WORD.search(sentence) is not None


def _after_running_head(page_text: str, previous_page_text: str) -> int:
    """Where the body of ``page_text`` begins: after its leading lines that are headings in capitals,
    folios, or lines that also head the previous page (a slip opinion's "Opinion of the Court")."""
    previous_heads = {
        normalised_line(line)
        for line in [line for line in previous_page_text.split("\n") if line.strip()][:_HEAD_LINES]
    }
    offset = 0
    for line in page_text.split("\n"):
        if line.strip() and not (is_heading(line) or normalised_line(line) in previous_heads):
            break
        offset += len(line) + 1
    return min(offset, len(page_text))


def same_case(hit: SearchHit, other: SearchHit) -> bool:
    """Whether two hits come from one document, or from filings of one case (same court and docket number: a
    scanned copy of an opinion and its typed twin)."""
    if hit.document_id == other.document_id:
        return True
    docket = hit.metadata.get("case_number")
    return bool(docket) and (docket, hit.metadata.get("court")) == (
        other.metadata.get("case_number"),
        other.metadata.get("court"),
    )


@dataclass(frozen=True)
class CaseIdentity:
    """What says which case a document belongs to, as ``terms`` stems them."""

    words: frozenset[str]
    """The stems of its case name and title."""
    dockets: frozenset[str]
    """Its docket number ("21-2728")."""

    def named_by(self, part: QuestionPart) -> bool:
        """Whether ``part`` names this case: by docket number, or by its parties (two of them, or the only one)."""
        if part.dockets & self.dockets:
            return True
        return bool(part.case_words) and len(part.case_words & self.words) >= min(2, len(part.case_words))


def case_identity(hit: SearchHit) -> CaseIdentity:
    """The case ``hit``'s document belongs to."""
    words = frozenset(terms(f"{hit.title} {hit.metadata.get('case_name') or ''}"))
    return CaseIdentity(words, frozenset(terms(str(hit.metadata.get("case_number") or ""))))


def names_case(hit: SearchHit, part: QuestionPart) -> bool:
    """Whether ``hit`` comes from a case that ``part`` names."""
    return case_identity(hit).named_by(part)


def clean_sentences(page_text: str) -> list[Span]:
    """The page's sentences, without ECF stamps and pleading line numbers (chunks leave those out too)."""
    skipped = [span for span, _ in find_stamps(page_text)] + line_number_spans(page_text)
    result: list[Span] = []
    for span in sentence_spans(page_text):
        start, end = span.start, span.end
        for skip_start, skip_end in skipped:
            if skip_start <= start < skip_end:
                start = skip_end
            if skip_start < end <= skip_end:
                end = skip_start
        while start < end and page_text[start].isspace():
            start += 1
        while end > start and page_text[end - 1].isspace():
            end -= 1
        if end > start and not any(skip_start <= start and end <= skip_end for skip_start, skip_end in skipped):
            result.append(Span(start, end))
    return result


def without_repeats(candidates: list[Candidate]) -> list[Candidate]:
    """The first of sentences with the same words (boilerplate repeated across pages and documents)."""
    seen: set[str] = set()
    kept: list[Candidate] = []
    for candidate in candidates:
        key = candidate.text.lower()
        if key not in seen:
            seen.add(key)
            kept.append(candidate)
    return kept


def same_place(first: Candidate, second: Candidate) -> bool:
    """True when two candidates cover some of the same characters of one document."""
    if first.hit.document_id != second.hit.document_id:
        return False
    start, end = first.hit.char_start + first.span.start, first.hit.char_start + first.span.end
    other_start, other_end = second.hit.char_start + second.span.start, second.hit.char_start + second.span.end
    return start < other_end and other_start < end


def merge_adjacent(chosen: list[Candidate]) -> list[Candidate]:
    """Consecutive sentences of one page quoted as one passage, in the order the first was chosen."""
    merged: list[Candidate] = []
    for candidate in chosen:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and previous.hit.document_id == candidate.hit.document_id
            and previous.hit.page_start == candidate.hit.page_start
            and 0 <= candidate.span.start - previous.span.end <= 3
            and not previous.hit.text[previous.span.end : candidate.span.start].strip()
        ):
            span = Span(previous.span.start, candidate.span.end)
            text = " ".join(previous.hit.text[span.start : span.end].split())
            merged[-1] = dataclasses.replace(
                previous,
                span=span,
                text=text,
                words=previous.words | candidate.words,
                facts=previous.facts | candidate.facts,
            )
        else:
            merged.append(candidate)
    return merged
