"""What an answer carries: its citations, its checked claims, and the whole result the API and the audit show."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.core.domain import AnswerState, SearchHit


@dataclass(frozen=True)
class ClaimCheck:
    """One sentence of an answer and whether the sources it cites bear it out.

    ``char_start``/``char_end`` are offsets into the checked answer text; ``markers`` are the
    sources the sentence cites; ``facts`` are the checkable facts and disposition words it states,
    as written; ``reasons`` say why it is not supported (empty when it is).
    """

    text: str
    char_start: int
    char_end: int
    markers: list[int]
    facts: list[str]
    supported: bool
    reasons: list[str]


@dataclass(frozen=True)
class Citation:
    """A verified pointer from the answer to an exact passage of a stored document."""

    marker: int
    document_id: str
    source: str
    title: str
    page: int
    page_label: str | None
    paragraph: str | None
    char_start: int
    char_end: int
    page_char_start: int
    page_char_end: int
    quote: str
    verified: bool
    ocr_confidence: float | None


@dataclass
class AnswerResult:
    """Everything an answer carries, for the API and the audit trail."""

    question: str
    collection: str
    answer: str
    citations: list[Citation]
    state: AnswerState
    message: str | None
    closest: list[SearchHit]
    mode: str
    model: str
    prompt_version: str
    retrieved: list[SearchHit]
    usage: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    dropped_markers: list[int] = field(default_factory=list)
    claims: list[ClaimCheck] = field(default_factory=list)
    """A generated answer's sentences, each checked against the sources it cites (``service.engine.answering.claims``);
    when the check withheld the answer, the sentences of the answer withheld."""
    rewritten_question: str | None = None
    """A follow-up's standalone form, which was searched and answered (None: the question stood alone)."""

    @property
    def refused(self) -> bool:
        """True exactly when the answer was refused (``not_found``)."""
        return self.state is AnswerState.NOT_FOUND
