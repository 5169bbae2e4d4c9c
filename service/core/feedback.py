"""Answers as kept for feedback, and a lawyer's feedback on one.

Every answer (``/v1/ask``, chat completions, the web UI) is kept once as an ``AnswerRecord``: what was asked,
what it was answered as, by which model and prompt, and the sources retrieved for it with their text, so an
export can rebuild the prompt the model saw. The answer's audit row names it by ``answer_id``. Feedback is a
thumb, a reason from ``REASONS``, and an optional comment and corrected answer; an answer keeps the latest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

Rating = Literal["up", "down"]
RATINGS: tuple[Rating, ...] = get_args(Rating)

Reason = Literal["wrong", "incomplete", "wrong_citation", "should_have_refused", "should_have_answered"]
REASONS: tuple[Reason, ...] = get_args(Reason)
"""Why an answer was not good: the fixed list the UI offers."""

COMMENT_MAX_CHARS = 2000
"""Longest feedback comment; a longer one is a 422 naming this limit."""
CORRECTION_MAX_CHARS = 8000
"""Longest corrected answer; a longer one is a 422 naming this limit."""

ExportFormat = Literal["kto", "dpo", "eval"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = get_args(ExportFormat)


@dataclass(frozen=True)
class SourceText:
    """One retrieved passage as the answer's prompt held it (rank order): enough to render it again."""

    chunk_id: int
    document_id: str
    source: str
    title: str
    page: int
    text: str


@dataclass(frozen=True)
class AnswerRecord:
    """One answer as kept: whose (the key's name; None while the API was open), where, and what it was."""

    id: str
    key_name: str | None
    collection: str
    thread_id: str | None
    action: str
    """``ask`` or ``chat``: the audited action that produced it."""
    question: str
    rewritten_question: str | None
    answer: str
    state: str
    mode: str
    model: str
    prompt_version: str
    sources: tuple[SourceText, ...]
    cited_pages: tuple[tuple[str, int], ...]
    """``(source, page)`` of each page the answer cites, first cited first."""
    created_at: datetime


@dataclass(frozen=True)
class Feedback:
    """A thumb on an answer, why, and what the answer should have said."""

    answer_id: str
    key_name: str | None
    rating: Rating
    reason: Reason | None
    comment: str | None
    correction: str | None
    created_at: datetime
