"""The extractive mode: no LLM. The answer quotes the retrieved sentences that best match the question.

Every quote is verbatim by construction, so every citation is verified. It is the default when
no LLM is configured, and responses say ``"mode": "extractive"``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ingest.court import find_stamps
from service.citations import DraftCitation, Span, sentence_spans
from service.domain import PageRecord, SearchHit
from service.protocols import Embedder

_MIN_CHARS, _MAX_CHARS = 25, 700
_CHUNK_SPAN = "_chunk_span"


@dataclass(frozen=True)
class ExtractiveAnswerer:
    """Picks the best-supported sentences of the top hits and quotes them with their markers."""

    embedder: Callable[[], Embedder]
    pages: Callable[[str, int], PageRecord] | None = None
    """Page lookup; with it, quotes are whole sentences even where a chunk boundary cut one."""
    max_sentences: int = 3
    hits_considered: int = 5
    margin: float = 0.12
    """Sentences scoring more than this below the best one are left out."""

    def answer(self, question: str, hits: Sequence[SearchHit]) -> tuple[str, list[DraftCitation]]:
        """``(answer_text, citations)``; each quoted sentence gets its own marker, 1, 2, ..."""
        hits = [self._whole_page(hit) for hit in hits[: self.hits_considered]]
        candidates: list[tuple[int, Span]] = []
        for position, hit in enumerate(hits):
            for span in self._sentences(hit):
                if _MIN_CHARS <= span.end - span.start <= _MAX_CHARS:
                    candidates.append((position, span))
        if not candidates:
            candidates = [(0, Span(0, len(hits[0].text)))] if hits else []
        if not candidates:
            return "", []
        embedder = self.embedder()
        texts = [" ".join(hits[p].text[s.start : s.end].split()) for p, s in candidates]
        scores = embedder.embed_documents(texts) @ embedder.embed_query(question)[0]
        order = np.argsort(-scores)
        best = float(scores[order[0]])
        chosen: list[tuple[int, Span]] = []
        for candidate_index in order:
            if len(chosen) == self.max_sentences or float(scores[candidate_index]) < best - self.margin:
                break
            position, span = candidates[candidate_index]
            if texts[candidate_index] in {" ".join(hits[p].text[s.start : s.end].split()) for p, s in chosen}:
                continue  # the same words twice (boilerplate repeated across documents)
            if any(_overlap(hits[position], span, hits[p], s) for p, s in chosen):
                continue  # the same passage seen through two overlapping chunks, perhaps cut mid-sentence
            chosen.append((position, span))
        citations: list[DraftCitation] = []
        lines: list[str] = []
        for marker, (position, span) in enumerate(chosen, 1):
            quote = " ".join(hits[position].text[span.start : span.end].split())
            lines.append(f"“{quote}” [{marker}]")
            citations.append(DraftCitation(marker, hits[position], span, verified=True))
        return "\n\n".join(lines), citations

    def _whole_page(self, hit: SearchHit) -> SearchHit:
        """The hit widened to its page's text, remembering the chunk's place in ``metadata``.

        Quotes are then exact slices of the page (hence of the document), and a sentence that a
        chunk boundary cut in two is quoted whole.
        """
        if self.pages is None or hit.page_start != hit.page_end:
            return hit
        page = self.pages(hit.document_id, hit.page_start)
        chunk = (hit.char_start - page.char_start, hit.char_end - page.char_start)
        return dataclasses.replace(
            hit,
            text=page.text,
            char_start=page.char_start,
            char_end=page.char_end,
            metadata={**hit.metadata, _CHUNK_SPAN: chunk},
        )

    @staticmethod
    def _sentences(hit: SearchHit) -> list[Span]:
        """Sentences of the retrieved chunk; whole-page sentences where the hit was widened."""
        chunk = hit.metadata.get(_CHUNK_SPAN)
        if chunk is None:
            return sentence_spans(hit.text)
        start, end = chunk
        found: list[Span] = []
        for span in sentence_spans(hit.text):
            if span.end <= start or span.start >= end:
                continue  # not in the retrieved chunk
            if find_stamps(hit.text[span.start : span.end]):
                # The page sentence runs into an ECF stamp the chunk was cut around: quote the chunk's part.
                span = Span(max(span.start, start), min(span.end, end))
            found.append(span)
        return found


def _overlap(hit: SearchHit, span: Span, other_hit: SearchHit, other_span: Span) -> bool:
    """True when two chunk-relative spans cover some of the same characters of one document."""
    if hit.document_id != other_hit.document_id:
        return False
    start, end = hit.char_start + span.start, hit.char_start + span.end
    other_start, other_end = other_hit.char_start + other_span.start, other_hit.char_start + other_span.end
    return start < other_end and other_start < end
