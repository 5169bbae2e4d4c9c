"""Verified citations: markers must name a supplied source; quotes must be verbatim in it.

The model writes ``[n]`` after claims and may quote in double quotes. For each marker that names
a source we supplied, the citation's quote is the model's quote when it is found verbatim in that
source (whitespace may differ: PDF text breaks lines anywhere), otherwise the source sentence that
best supports the claim, flagged ``verified=False``. Markers naming no supplied source are removed
from the answer and reported. Every quote is an exact slice of the document text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from service.core.domain import SearchHit
from service.engine.answering.question import terms
from service.engine.answering.sentences import Span, sentence_spans

MARKER = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
QUOTE = re.compile(r"[\"“]([^\"“”]{8,}?)[\"”]")


@dataclass(frozen=True)
class DraftCitation:
    """A citation before page facts are attached: the source hit and the quote's chunk span."""

    marker: int
    hit: SearchHit
    span: Span
    verified: bool

    @property
    def quote(self) -> str:
        return self.hit.text[self.span.start : self.span.end]

    @property
    def char_start(self) -> int:
        return self.hit.char_start + self.span.start

    @property
    def char_end(self) -> int:
        return self.hit.char_start + self.span.end


def find_verbatim(quote: str, text: str) -> Span | None:
    """Find ``quote`` in ``text`` exactly, or with any run of whitespace matching any other."""
    quote = quote.strip()
    if not quote:
        return None
    position = text.find(quote)
    if position >= 0:
        return Span(position, position + len(quote))
    words = quote.split()
    pattern = r"\s+".join(re.escape(word) for word in words)
    match = re.search(pattern, text)
    return Span(match.start(), match.end()) if match else None


def _terms(text: str) -> set[str]:
    return set(terms(text))


def best_supporting_span(claim: str, text: str) -> Span:
    """The sentence of ``text`` sharing the most content words with ``claim`` (the first on ties)."""
    spans = sentence_spans(text) or [Span(0, len(text))]
    claim_terms = _terms(claim)
    return max(spans, key=lambda span: len(claim_terms & _terms(text[span.start : span.end])))


@dataclass(frozen=True)
class CheckedAnswer:
    """The answer with invalid markers removed, its citations, and what was dropped."""

    answer: str
    citations: list[DraftCitation]
    dropped_markers: list[int]


# A marker with the spaces before it: a marker naming no supplied source goes with its spaces,
# so that "unknown [7]." becomes "unknown." rather than "unknown .".
_SPACED_MARKER = re.compile(r"[ \t]*" + MARKER.pattern)
_TEXT = re.compile(r"\w")
_LEADING_MARKERS = re.compile(r"(?:[ \t]*" + MARKER.pattern + r")+[.!?;,]?")


def marker_numbers(match: re.Match[str]) -> list[int]:
    """The source numbers of one marker: ``[2]`` is 2, ``[1, 3]`` is 1 and 3."""
    return [int(number) for number in re.split(r"\s*,\s*", match.group(1))]


def claim_spans(answer: str) -> list[Span]:
    """The answer's sentences, each with the markers written after its full stop ("... dismissed. [1]"):
    markers that open a sentence, or make one up alone, belong to the sentence before."""
    spans: list[Span] = []
    for span in sentence_spans(answer):
        start = span.start
        if spans and (leading := _LEADING_MARKERS.match(answer, start, span.end)):
            spans[-1] = Span(spans[-1].start, leading.end())
            start = leading.end()
            while start < span.end and answer[start].isspace():
                start += 1
        if start < span.end and _TEXT.search(MARKER.sub("", answer[start : span.end])):
            spans.append(Span(start, span.end))
        elif spans:  # only markers and punctuation left: they close the sentence before
            spans[-1] = Span(spans[-1].start, span.end)
        elif start < span.end:
            spans.append(Span(start, span.end))
    return spans


# The tail of a text that may still grow into a spaced marker.
_SPACED_MARKER_START = re.compile(r"[ \t]*(?:\[(?:\d{1,3}(?:\s*,\s*\d{1,3})*\s*(?:,\s*)?)?)?\Z")


def _valid_markers(match: re.Match[str], source_count: int, dropped: list[int]) -> str:
    """A spaced marker with only the numbers 1..source_count kept; the rest go to ``dropped``."""
    numbers = marker_numbers(match)
    valid = [number for number in numbers if 1 <= number <= source_count]
    dropped.extend(number for number in numbers if number not in valid)
    if not valid:
        return ""
    spaces = match.group(0)[: match.group(0).index("[")]
    return spaces + "".join(f"[{number}]" for number in valid)


def drop_invalid_markers(answer: str, source_count: int, dropped: list[int] | None = None) -> str:
    """``answer`` without the markers that name no supplied source (1..source_count)."""
    sink = [] if dropped is None else dropped
    return _SPACED_MARKER.sub(lambda match: _valid_markers(match, source_count, sink), answer)


class MarkerFilter:
    """Drops markers naming no supplied source from an answer as it streams.

    Text is passed on at once, except a tail that may still become a marker (``[``, ``[1``, or
    spaces before them), which is held until it is one (then kept or dropped) or cannot be. The
    pieces joined equal ``drop_invalid_markers`` of the whole answer, so a streaming client never
    shows a citation that the final answer does not have.
    """

    def __init__(self, source_count: int) -> None:
        self.source_count = source_count
        self.dropped: list[int] = []
        self._pending = ""

    def feed(self, delta: str) -> str:
        """The part of the text so far that is safe to show."""
        self._pending += delta
        shown: list[str] = []
        while match := _SPACED_MARKER.search(self._pending):
            shown.append(self._pending[: match.start()] + _valid_markers(match, self.source_count, self.dropped))
            self._pending = self._pending[match.end() :]
        hold = _SPACED_MARKER_START.search(self._pending)
        cut = hold.start() if hold else len(self._pending)
        shown.append(self._pending[:cut])
        self._pending = self._pending[cut:]
        return "".join(shown)

    def flush(self) -> str:
        """What is still held at the end of the stream (an unfinished marker is plain text)."""
        rest, self._pending = self._pending, ""
        return rest


def check_citations(answer: str, sources: Sequence[SearchHit]) -> CheckedAnswer:
    """Keep markers that name a supplied source, verify quotes, and map each citation to a span."""
    citations: dict[int, DraftCitation] = {}
    dropped: list[int] = []
    cleaned = drop_invalid_markers(answer, len(sources), dropped).strip()
    for sentence in claim_spans(cleaned):
        claim = cleaned[sentence.start : sentence.end]
        quotes = [match.group(1) for match in QUOTE.finditer(claim)]
        for match in MARKER.finditer(claim):
            for number in marker_numbers(match):
                if number in citations:
                    continue
                hit = sources[number - 1]
                found = next((span for q in quotes if (span := find_verbatim(q, hit.text))), None)
                if found is not None:
                    citations[number] = DraftCitation(number, hit, found, verified=True)
                else:
                    plain_claim = MARKER.sub("", claim)
                    span = best_supporting_span(plain_claim, hit.text)
                    citations[number] = DraftCitation(number, hit, span, verified=not quotes)
    return CheckedAnswer(cleaned, sorted(citations.values(), key=lambda c: c.marker), sorted(set(dropped)))
