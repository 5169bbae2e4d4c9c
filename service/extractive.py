"""The extractive mode: no LLM. The answer quotes the retrieved sentences that best match the question.

Every quote is verbatim by construction, so every citation is verified. It is the default when
no LLM is configured, and responses say ``"mode": "extractive"``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from service.citations import DraftCitation, Span, sentence_spans
from service.domain import SearchHit
from service.protocols import Embedder

_MIN_CHARS, _MAX_CHARS = 25, 700


@dataclass(frozen=True)
class ExtractiveAnswerer:
    """Picks the best-supported sentences of the top hits and quotes them with their markers."""

    embedder: Callable[[], Embedder]
    max_sentences: int = 3
    hits_considered: int = 5
    margin: float = 0.12
    """Sentences scoring more than this below the best one are left out."""

    def answer(self, question: str, hits: Sequence[SearchHit]) -> tuple[str, list[DraftCitation]]:
        """``(answer_text, citations)``; each quoted sentence gets its own marker, 1, 2, ..."""
        candidates: list[tuple[int, Span]] = []
        for position, hit in enumerate(hits[: self.hits_considered]):
            for span in sentence_spans(hit.text):
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
            if texts[candidate_index] in {" ".join(hits[p].text[s.start : s.end].split()) for p, s in chosen}:
                continue  # the same sentence from an overlapping chunk
            chosen.append(candidates[candidate_index])
        citations: list[DraftCitation] = []
        lines: list[str] = []
        for marker, (position, span) in enumerate(chosen, 1):
            quote = " ".join(hits[position].text[span.start : span.end].split())
            lines.append(f"“{quote}” [{marker}]")
            citations.append(DraftCitation(marker, hits[position], span, verified=True))
        return "\n\n".join(lines), citations
