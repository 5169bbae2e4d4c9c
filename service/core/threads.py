"""Saved conversation threads: a key's questions about one collection, in order, with their answers.

A thread belongs to the key that started it and to one collection (a matter). Another key's thread answers
exactly like a missing one (``NotFound``) unless the caller is an admin, as documents do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

TITLE_MAX_CHARS = 200
"""Longest thread title; a longer rename is a 422 naming this limit (a new thread's title is its first
question, cut to this length)."""


@dataclass(frozen=True)
class ThreadTurn:
    """One question of a thread and what it got: the standalone form it was answered as (when it differed),
    the answer, its state, and the cited documents' ids and titles, first cited first."""

    ordinal: int
    question: str
    rewritten_question: str | None
    answer: str
    state: str
    cited: tuple[tuple[str, str], ...]
    """``(document_id, title)`` of each document the answer quotes, without repeats."""
    created_at: datetime
    answer_id: str | None = None
    """The answer as kept for feedback (``service.core.feedback``); None for turns saved before."""
    rating: str | None = None
    """The answer's feedback so far, ``up`` or ``down`` (None: none yet)."""


@dataclass(frozen=True)
class ThreadRecord:
    """A thread as stored: its id, owner (the key's name; None when the API was open), collection and title."""

    id: str
    key_name: str | None
    collection: str
    title: str
    created_at: datetime
    updated_at: datetime
    turn_count: int = 0
