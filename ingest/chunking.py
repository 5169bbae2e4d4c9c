"""Token-aware chunking that never crosses a page and never loses a character offset.

Each page is tokenised once with the embedding model's own tokenizer (offsets included); a chunk
is a window of at most ``budget`` tokens whose end is moved back to the strongest nearby
boundary: a paragraph break, a line break, a sentence end, else a word boundary. The chunk text
is the exact slice ``document_text[char_start:char_end]``.

Why not langchain's splitters: they recover offsets with ``str.find`` (wrong for repeated text)
and re-tokenise every candidate piece; we need exact offsets and one tokenisation per page.
Text inside a page's ``skip_spans`` (ECF stamps, running heads) is cut around, never rewritten.

A page longer than ``SEGMENT_CHARS`` (a giant plain-text file is one page) is tokenised in segments of at most
that many characters, each ending at the strongest boundary in its second half, so memory stays bounded
whatever the size of the page; no chunk crosses a segment's end.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tokenizers import Encoding, Tokenizer

from ingest.legal.sections import HEADING, HeadingIndex, find_headings
from service.core.domain import ChunkDraft, ParsedDocument

_SENTENCE_END = frozenset(".?!;:")

# Boundary strengths: higher wins when choosing where a chunk ends. A sentence end beats a line
# break because PDF text layers break lines wherever the layout did.
_PARAGRAPH, _SENTENCE, _LINE, _WORD = 4, 3, 2, 1

SEGMENT_CHARS = 1_000_000
"""The most characters tokenised at once: above every page of the real corpora (the longest, a one-page
contract in LegalBench-RAG, has 478,666), so their chunks stay as they were; about +170 MB while tokenising."""


@dataclass(frozen=True)
class Chunker:
    """Cuts documents into chunks of at most ``budget`` model tokens.

    ``budget`` excludes the model's special tokens, so an embedded chunk is never truncated.
    """

    tokenizer: Tokenizer
    budget: int
    overlap: int
    sections: bool = False
    """Start a new chunk at every section heading (after at least ``budget // 8`` tokens), so a chunk
    never runs from the end of one section into the next; without overlap across the heading."""
    context_tokens: int = 0
    """Room for the section heading a chunk is embedded under (``ChunkDraft.context``); 0: none. The
    heading is cut to fit, so context and chunk together stay within the model's maximum."""

    def __post_init__(self) -> None:
        if self.budget < 8:
            raise ValueError(f"chunk budget must be at least 8 tokens, got {self.budget}")
        if not 0 <= self.overlap < self.budget // 2:
            raise ValueError(f"chunk overlap must be between 0 and half the chunk size, got {self.overlap}")

    def chunk(self, document: ParsedDocument) -> list[ChunkDraft]:
        """Every chunk of ``document``, in reading order, numbered from 0."""
        drafts: list[ChunkDraft] = []
        headings = HeadingIndex(find_headings(document.text) if self.context_tokens else [])
        for page, (page_offset, _) in zip(document.pages, document.page_offsets(), strict=True):
            for region_start, region_end in _regions(len(page.text), page.skip_spans):
                for start, end in _segments(page.text, region_start, region_end):
                    for local_start, local_end, tokens in self._windows(page.text, start, end):
                        drafts.append(
                            ChunkDraft(
                                ordinal=len(drafts),
                                page_start=page.number,
                                page_end=page.number,
                                char_start=page_offset + local_start,
                                char_end=page_offset + local_end,
                                token_count=tokens,
                                text=page.text[local_start:local_end],
                                context=self._fit(headings.context(page_offset + local_start)),
                            )
                        )
        return drafts

    def _fit(self, context: str) -> str:
        """``context`` cut to ``context_tokens`` model tokens (one is kept for the line break)."""
        if not context or self.context_tokens <= 1:
            return ""
        offsets = self.tokenizer.encode(context, add_special_tokens=False).offsets
        room = self.context_tokens - 1
        return context if len(offsets) <= room else context[: offsets[room - 1][1]]

    def _windows(self, text: str, start: int, end: int) -> Iterator[tuple[int, int, int]]:
        """``(char_start, char_end, token_count)`` windows over ``text[start:end]``."""
        region = text[start:end]
        if not region.strip():
            return
        encoding: Encoding = self.tokenizer.encode(region, add_special_tokens=False)
        offsets = encoding.offsets
        words = encoding.word_ids
        count = len(offsets)
        headings = _headings(region, offsets, words) if self.sections else []
        first = 0
        while first < count:
            last = min(first + self.budget, count)  # exclusive token index
            section = next((h for h in headings if first + max(1, self.budget // 8) <= h < last), None)
            if section is not None:
                last = section
            elif last < count:
                last = _best_break(region, offsets, words, first, last, self.budget)
            yield start + offsets[first][0], start + offsets[last - 1][1], last - first
            if last >= count:
                break
            next_first = last if section is not None else max(last - self.overlap, first + 1)
            while next_first < last and not _word_start(words, next_first):
                next_first += 1
            first = next_first


def _headings(region: str, offsets: Sequence[tuple[int, int]], words: Sequence[int | None]) -> list[int]:
    """Token indices that begin a line opening a section (see ``ingest.legal.sections.HEADING``), in order."""
    found = []
    for index in range(1, len(offsets)):
        if not _word_start(words, index) or "\n" not in region[offsets[index - 1][1] : offsets[index][0]]:
            continue
        if HEADING.match(region, offsets[index][0]):
            found.append(index)
    return found


def _word_start(words: Sequence[int | None], index: int) -> bool:
    return index == 0 or words[index] is None or words[index] != words[index - 1]


def _strength(region: str, offsets: Sequence[tuple[int, int]], words: Sequence[int | None], index: int) -> int:
    """How good a place is the gap before token ``index`` to end a chunk (0: inside a word)."""
    if not _word_start(words, index):
        return 0
    gap = region[offsets[index - 1][1] : offsets[index][0]]
    if gap.count("\n") >= 2:
        return _PARAGRAPH
    previous = region[offsets[index - 1][0] : offsets[index - 1][1]]
    if gap and previous and previous[-1] in _SENTENCE_END:
        return _SENTENCE
    return _LINE if "\n" in gap else _WORD


def _best_break(
    region: str,
    offsets: Sequence[tuple[int, int]],
    words: Sequence[int | None],
    first: int,
    last: int,
    budget: int,
) -> int:
    """The exclusive end index in ``(first + budget/2, last]`` at the strongest boundary, latest first."""
    floor = first + max(1, budget // 2)
    best_index, best_strength = last, -1
    for index in range(last, floor, -1):
        strength = _strength(region, offsets, words, index)
        if strength > best_strength:
            best_index, best_strength = index, strength
            if strength == _PARAGRAPH:
                break
    if best_strength <= 0:
        return last  # one word longer than half a chunk: cut inside it rather than loop
    return best_index


def _segments(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """``[start, end)`` in pieces of at most ``SEGMENT_CHARS``, each cut at a paragraph break, else a line
    break, else a space in its second half (else where the size says)."""
    while end - start > SEGMENT_CHARS:
        limit = start + SEGMENT_CHARS
        floor = start + SEGMENT_CHARS // 2
        cut = -1
        for boundary in ("\n\n", "\n", " "):
            found = text.rfind(boundary, floor, limit)
            if found >= 0:
                cut = found + len(boundary)
                break
        cut = cut if cut > start else limit
        yield start, cut
        start = cut
    if start < end:
        yield start, end


def _regions(length: int, skip_spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of ``[0, length)`` outside ``skip_spans``."""
    regions: list[tuple[int, int]] = []
    position = 0
    for skip_start, skip_end in sorted(skip_spans):
        if skip_start > position:
            regions.append((position, skip_start))
        position = max(position, skip_end)
    if position < length:
        regions.append((position, length))
    return regions
