"""``docqa eval`` over a question file: answers scored on key facts, cited pages and refusals.

The questions come from a question file (``service.engine.evaluation.question_file``, the format of
``../shared/data/court-qa-dev``). The documents are ingested into a scratch collection with the normal
pipeline, and every question goes through ``QaEngine.ask`` (the code behind ``/v1/ask``) in the
configured mode. Scoring follows that set's README:

* answer correct: every ``key_facts`` group has one of its forms in the answer, as a case-insensitive
  substring after collapsing whitespace on both sides; a refused answerable question is wrong, an
  unanswerable one is right exactly when it is refused;
* citation on an evidence page: some citation's ``(source, page)`` is one of the evidence ``(file, page)``;
* refusal precision = unanswerable refused / all refused, recall = unanswerable refused / unanswerable
  (undefined, ``None``, when nothing was refused or nothing is unanswerable).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.core.answers import AnswerResult
from service.core.domain import AnswerState
from service.core.errors import DocqaError, InvalidInput
from service.engine.answering.qa import QaEngine
from service.engine.evaluation.question_file import Evidence, Question, load_question_files
from service.engine.evaluation.retrieval import EvaluationParts, IngestedCorpus, TimedReport, ingest_corpus

if TYPE_CHECKING:
    from service.core.ingestion import Progress

ANSWER_CHARS = 150
"""How much of each answer the per-question list keeps."""


def normalised(text: str) -> str:
    """Lower-cased (case-folded), with every run of whitespace collapsed to one space."""
    return " ".join(text.split()).casefold()


def missing_facts(answer: str, key_facts: Iterable[Sequence[str]]) -> list[tuple[str, ...]]:
    """The ``key_facts`` groups none of whose forms is in ``answer``."""
    text = normalised(answer)
    return [tuple(group) for group in key_facts if not any(normalised(form) in text for form in group)]


def cites_evidence(cited: Iterable[tuple[str, int]], evidence: Iterable[Evidence]) -> bool:
    """Whether some cited ``(source, page)`` is an evidence page."""
    pages = {(item.file, item.page) for item in evidence}
    return any(place in pages for place in cited)


@dataclass(frozen=True)
class Outcome:
    """One question's answer, scored."""

    question: Question
    state: AnswerState
    """``answered``, ``low_support`` (answered with a warning) or ``not_found`` (refused)."""
    answer: str
    cited: tuple[tuple[str, int], ...]
    latency_ms: float

    @property
    def refused(self) -> bool:
        return self.state is AnswerState.NOT_FOUND

    @property
    def missing(self) -> list[tuple[str, ...]]:
        """Key-fact groups the answer lacks (all of them when an answerable question was refused)."""
        if not self.question.answerable:
            return []
        return list(self.question.key_facts) if self.refused else missing_facts(self.answer, self.question.key_facts)

    @property
    def correct(self) -> bool:
        if not self.question.answerable:
            return self.refused
        return not self.refused and not self.missing

    @property
    def cited_evidence(self) -> bool | None:
        """``None`` for an unanswerable question: it has no evidence page."""
        return cites_evidence(self.cited, self.question.evidence) if self.question.answerable else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.question.id,
            "kind": self.question.kind,
            "answerable": self.question.answerable,
            "state": self.state,
            "correct": self.correct,
            "cited_evidence": self.cited_evidence,
            "missing": [list(group) for group in self.missing],
            "citations": [{"source": source, "page": page} for source, page in self.cited],
            "answer": self.answer[:ANSWER_CHARS],
            "latency_ms": round(self.latency_ms, 2),
        }


def outcome(question: Question, result: AnswerResult, latency_ms: float) -> Outcome:
    """``result`` of asking ``question``, scored."""
    return Outcome(
        question=question,
        state=result.state,
        answer=result.answer,
        cited=tuple((citation.source, citation.page) for citation in result.citations),
        latency_ms=latency_ms,
    )


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Score:
    """The counts of one row of the table: a question kind, or the total."""

    answerable: int
    correct: int
    cited_evidence: int
    answerable_refused: int
    unanswerable: int
    unanswerable_refused: int
    low_support: int
    """Answers given with a warning (``low_support``), answerable or not; they are scored like any answer."""

    @classmethod
    def of(cls, outcomes: Sequence[Outcome]) -> Score:
        answerable = [item for item in outcomes if item.question.answerable]
        unanswerable = [item for item in outcomes if not item.question.answerable]
        return cls(
            answerable=len(answerable),
            correct=sum(item.correct for item in answerable),
            cited_evidence=sum(bool(item.cited_evidence) for item in answerable),
            answerable_refused=sum(item.refused for item in answerable),
            unanswerable=len(unanswerable),
            unanswerable_refused=sum(item.refused for item in unanswerable),
            low_support=sum(item.state is AnswerState.LOW_SUPPORT for item in outcomes),
        )

    @property
    def accuracy(self) -> float | None:
        """Key facts right, of the answerable questions."""
        return _ratio(self.correct, self.answerable)

    @property
    def citation_rate(self) -> float | None:
        """An evidence page cited, of the answerable questions."""
        return _ratio(self.cited_evidence, self.answerable)

    @property
    def refusal_precision(self) -> float | None:
        """Of the refusals, the share that were right; ``None`` when nothing was refused."""
        return _ratio(self.unanswerable_refused, self.unanswerable_refused + self.answerable_refused)

    @property
    def refusal_recall(self) -> float | None:
        """Of the unanswerable questions, the share refused; ``None`` when there are none."""
        return _ratio(self.unanswerable_refused, self.unanswerable)

    def as_dict(self) -> dict[str, Any]:
        def percent(value: float | None) -> float | None:
            return None if value is None else round(100 * value, 2)

        return {
            "answerable": self.answerable,
            "key_facts_right": self.correct,
            "key_facts_right_pct": percent(self.accuracy),
            "cited_evidence": self.cited_evidence,
            "cited_evidence_pct": percent(self.citation_rate),
            "answerable_refused": self.answerable_refused,
            "unanswerable": self.unanswerable,
            "unanswerable_refused": self.unanswerable_refused,
            "low_support": self.low_support,
            "refusal_precision_pct": percent(self.refusal_precision),
            "refusal_recall_pct": percent(self.refusal_recall),
        }


def score_table(outcomes: Sequence[Outcome]) -> dict[str, Score]:
    """One ``Score`` per question kind (alphabetical), then ``total``."""
    kinds = sorted({item.question.kind for item in outcomes})
    table = {kind: Score.of([item for item in outcomes if item.question.kind == kind]) for kind in kinds}
    table["total"] = Score.of(outcomes)
    return table


def _cell(count: int, share: float | None) -> str:
    return f"{count} ({100 * share:.1f} %)" if share is not None else "n/a"


def _percent(share: float | None) -> str:
    return f"{100 * share:.1f} %" if share is not None else "n/a"


def _problem(item: Outcome) -> str:
    """What is wrong with one question's answer, in a few words."""
    if not item.question.answerable:
        return "answered, should refuse: " + " ".join(item.answer.split())[:80]
    if item.refused:
        return "refused"
    problems = []
    if item.missing:
        problems.append("missing " + ", ".join(" | ".join(repr(form) for form in group) for group in item.missing))
    if not item.cited_evidence:
        evidence = _pages((entry.file, entry.page) for entry in item.question.evidence)
        problems.append(f"no evidence page cited (cited {_pages(item.cited)}; evidence {evidence})")
    return "; ".join(problems)


def _pages(places: Iterable[tuple[str, int]]) -> str:
    """``a.pdf p. 3, 16, b.pdf p. 1``: pages grouped by file, each once."""
    by_file: dict[str, list[int]] = {}
    for source, page in places:
        pages = by_file.setdefault(source, [])
        if page not in pages:
            pages.append(page)
    return ", ".join(f"{source} p. {', '.join(map(str, pages))}" for source, pages in by_file.items()) or "nothing"


@dataclass
class AnswerReport(TimedReport):
    """What ``docqa eval`` prints and writes for a question file."""

    outcomes: list[Outcome]
    mode: str
    model: str
    corpus: IngestedCorpus = field(default_factory=IngestedCorpus)
    k: int = 0
    """Chunks retrieved a question: what ``/v1/ask`` uses when a request names none."""

    @property
    def latency_ms(self) -> list[float]:
        return [item.latency_ms for item in self.outcomes]

    @property
    def table(self) -> dict[str, Score]:
        return score_table(self.outcomes)

    @property
    def wrong(self) -> list[Outcome]:
        """Questions answered wrong, or right without citing an evidence page."""
        return [item for item in self.outcomes if not item.correct or item.cited_evidence is False]

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "model": self.model,
            "table": {kind: score.as_dict() for kind, score in self.table.items()},
            "ask_p50_ms": round(self.p50_ms, 2),
            "ask_p95_ms": round(self.p95_ms, 2),
            **self.corpus.as_dict(),
            "k": self.k,
            "questions": [item.as_dict() for item in self.outcomes],
        }

    def markdown(self) -> str:
        """The table as Markdown: one row per question kind, then the total."""
        header = [
            "kind",
            "answerable",
            "key facts right",
            "cited evidence page",
            "answerable refused",
            "unanswerable refused",
            "low support",
            "refusal precision",
            "refusal recall",
        ]
        lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
        for kind, score in self.table.items():
            cells = [
                f"**{kind}**" if kind == "total" else kind,
                str(score.answerable),
                _cell(score.correct, score.accuracy),
                _cell(score.cited_evidence, score.citation_rate),
                str(score.answerable_refused),
                f"{score.unanswerable_refused} of {score.unanswerable}",
                str(score.low_support),
                _percent(score.refusal_precision),
                _percent(score.refusal_recall),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def wrong_list(self) -> str:
        """One line per question to fix: id, kind (and ``low_support`` when so marked), what was wrong."""
        lines = []
        for item in self.wrong:
            tag = ", low_support" if item.state is AnswerState.LOW_SUPPORT else ""
            lines.append(f"- {item.question.id} ({item.question.kind}{tag}): {_problem(item)}")
        return "\n".join(lines)


def run_questions(qa: QaEngine, collection: str, questions: Sequence[Question], k: int) -> list[Outcome]:
    """Ask every question in ``collection`` and score the answers; ``ask`` is timed after one warm-up."""
    if questions:  # not timed: lazy index loads and first-call costs (a search: no LLM call to spend)
        qa.retriever.search(questions[0].question, collection, k)
    outcomes: list[Outcome] = []
    for question in questions:
        started = time.perf_counter()
        try:
            result = qa.ask(question.question, collection, k)
        except DocqaError as error:
            raise type(error)(f"question {question.id}: {error.message}", error.detail) from error
        outcomes.append(outcome(question, result, 1000 * (time.perf_counter() - started)))
    return outcomes


def evaluate_answers(
    parts: EvaluationParts,
    corpus: Path,
    question_files: Sequence[Path],
    collection: str = "answers",
    ingest_progress: Progress | None = None,
) -> AnswerReport:
    """Ingest ``corpus`` into ``collection`` (incrementally: an unchanged file is skipped), then ask and score
    every question, then close ``parts``. Its settings should point at a scratch data folder
    (``evaluation_settings``)."""
    settings = parts.settings

    if not corpus.is_dir():
        raise InvalidInput(f"{corpus}: not a folder of documents")
    questions = load_question_files(question_files)
    try:
        qa = parts.qa  # before the ingest: a misconfigured LLM fails at once
        ingested = ingest_corpus(parts, settings, corpus, collection, ingest_progress)
        k = settings.retrieval.request_k
        return AnswerReport(run_questions(qa, collection, questions, k), qa.mode, qa.model, ingested, k)
    finally:
        parts.close()
