"""A generated summary of a filing: the configured LLM writes it from the extractive summary's cited lines, and it
is checked like an answer (``check_citations``, then ``check_claims``): each sentence's numbers, dates, names and
disposition words must be in a line it cites, and a sentence that fails is marked with its reasons, never dropped
silently. The answer prompts are reused (``prompts/answer_*.txt``): the "question" asks for the summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from service.core.answers import ClaimCheck
from service.core.domain import AnswerState, DocumentRecord, SearchHit
from service.core.seams import ChatMessage, Generator
from service.core.summaries import SummaryLine
from service.engine.answering.citations import check_citations
from service.engine.answering.claims import CHECK_VERSION, answer_support, check_claims
from service.engine.answering.prompts import Prompts

SUMMARY_REQUEST = (
    "Summarise this court filing in two to four sentences: which court, the parties, what was decided or asked "
    "for, and why. Use only the numbered sources and cite each sentence with [n]."
)
"""What the model is asked, in place of a question."""
SUMMARY_TOKENS = 256
"""Most tokens of a generated summary (fewer when ``DOCQA_LLM__ANSWER_TOKENS`` is lower)."""


@dataclass(frozen=True)
class GeneratedSummary:
    """A generated summary, the model that wrote it, each sentence's claim check and the overall support
    (``answered``: every sentence supported; ``low_support``: some marked; ``not_found``: none supported)."""

    model: str
    text: str
    claims: tuple[ClaimCheck, ...]
    state: str

    def to_json(self) -> dict[str, object]:
        """As stored beside the extractive summary."""
        return {
            "model": self.model,
            "check": CHECK_VERSION,
            "text": self.text,
            "state": self.state,
            "claims": [asdict(c) for c in self.claims],
        }

    @staticmethod
    def current(stored: dict[str, object], model: str) -> bool:
        """Whether a kept summary is ``model``'s, checked by today's claim check (``CHECK_VERSION``)."""
        return stored.get("model") == model and stored.get("check") == CHECK_VERSION

    @classmethod
    def from_json(cls, stored: dict[str, object]) -> GeneratedSummary:
        claims = stored.get("claims")
        return cls(
            str(stored.get("model", "")),
            str(stored.get("text", "")),
            tuple(ClaimCheck(**claim) for claim in claims if isinstance(claim, dict))
            if isinstance(claims, list)
            else (),
            str(stored.get("state", AnswerState.NOT_FOUND.value)),
        )


def summary_sources(record: DocumentRecord, lines: Sequence[SummaryLine]) -> list[SearchHit]:
    """The extractive summary's lines as numbered sources (a line that no page spells out counts as page 1's:
    the docket metadata is read from the first page and its stamps)."""
    return [
        SearchHit(
            chunk_id=0,
            document_id=record.id,
            collection=record.collection,
            source=record.source,
            title=record.title,
            page_start=line.page or 1,
            page_end=line.page or 1,
            char_start=line.char_start or 0,
            char_end=line.char_end or 0,
            score=0.0,
            text=f"{line.field.replace('_', ' ')}: {line.text}",
            metadata=dict(record.metadata),
        )
        for line in lines
        if line.text
    ]


def generate_summary(
    generator: Generator,
    prompts: Prompts,
    record: DocumentRecord,
    lines: Sequence[SummaryLine],
    max_tokens: int = SUMMARY_TOKENS,
) -> GeneratedSummary:
    """Ask ``generator`` for a summary built on ``lines`` and check every sentence of it against them."""
    sources = summary_sources(record, lines)
    rendered = [
        prompts.render_source(number, hit.title, hit.page_start, hit.text) for number, hit in enumerate(sources, 1)
    ]
    messages = [
        ChatMessage("system", prompts.render_system()),
        ChatMessage("user", prompts.render_user(rendered, SUMMARY_REQUEST)),
    ]
    raw = generator.generate(messages, min(max_tokens, SUMMARY_TOKENS))
    checked = check_citations(raw, sources)
    claims = check_claims(checked.answer, sources)
    return GeneratedSummary(generator.model, checked.answer, tuple(claims), answer_support(claims).value)
