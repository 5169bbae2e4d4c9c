"""Feedback as training and evaluation data, in the formats TRL and ``docqa eval`` read.

Each answer's prompt is rebuilt from its kept sources with the current templates (``prompts/``), as the chat
messages a model is given: the system prompt, then the user message holding the numbered sources and the
question it was answered as (a follow-up's standalone form). Conversational rows, as TRL documents them:

- ``kto`` (unpaired preference, ``KTOTrainer``): ``{"prompt": [messages], "completion": [assistant message],
  "label": bool}``; a thumb up is ``true``, a thumb down ``false``, and a lawyer's correction one more ``true``.
- ``dpo`` (preference, ``DPOTrainer``): ``{"prompt", "chosen", "rejected"}`` for each answer a lawyer
  corrected: the correction chosen over the answer.
- ``eval``: the thumbs-down questions as a question file (``service.engine.evaluation.question_file``). One
  that should have been refused is an unanswerable question; one with a correction is answerable, its key
  facts the correction's checkable facts (dates, amounts, names...), its evidence the pages the answer cited
  (else its best source) for a person to check. A thumb down with neither cannot be scored and is left out;
  ``ExportResult.skipped`` counts them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from service.core.feedback import AnswerRecord, ExportFormat, Feedback
from service.engine.answering.claim_facts import extract_facts
from service.engine.answering.prompts import Prompts

Message = dict[str, str]


@dataclass
class ExportResult:
    """The rows of an export and how many rated answers could not become one."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0


def prompt_messages(record: AnswerRecord, prompts: Prompts) -> list[Message]:
    """The chat messages the answer's model is given: system prompt, then sources and question."""
    sources = [
        prompts.render_source(marker, source.title, source.page, source.text)
        for marker, source in enumerate(record.sources, start=1)
    ]
    question = record.rewritten_question or record.question
    return [
        {"role": "system", "content": prompts.render_system()},
        {"role": "user", "content": prompts.render_user(sources, question)},
    ]


def _assistant(text: str) -> list[Message]:
    return [{"role": "assistant", "content": text}]


def kto_rows(rated: list[tuple[AnswerRecord, Feedback]], prompts: Prompts) -> ExportResult:
    result = ExportResult()
    for record, feedback in rated:
        prompt = prompt_messages(record, prompts)
        result.rows.append(
            {"prompt": prompt, "completion": _assistant(record.answer), "label": feedback.rating == "up"}
        )
        if feedback.correction:
            result.rows.append({"prompt": prompt, "completion": _assistant(feedback.correction), "label": True})
    return result


def dpo_rows(rated: list[tuple[AnswerRecord, Feedback]], prompts: Prompts) -> ExportResult:
    result = ExportResult()
    for record, feedback in rated:
        if not feedback.correction or feedback.correction.strip() == record.answer.strip():
            result.skipped += feedback.rating == "down"
            continue
        result.rows.append(
            {
                "prompt": prompt_messages(record, prompts),
                "chosen": _assistant(feedback.correction),
                "rejected": _assistant(record.answer),
            }
        )
    return result


def eval_rows(rated: list[tuple[AnswerRecord, Feedback]]) -> ExportResult:
    result = ExportResult()
    for record, feedback in rated:
        if feedback.rating != "down":
            continue
        entry: dict[str, Any] = {
            "id": f"feedback-{record.id}",
            "question": record.rewritten_question or record.question,
            "kind": f"feedback_{feedback.reason or 'down'}",
            # for people (``docqa eval`` ignores them): what was answered and what the lawyer said
            "rejected_answer": record.answer,
            "comment": feedback.comment,
        }
        if feedback.reason == "should_have_refused":
            result.rows.append(entry | {"answerable": False})
            continue
        facts = list(dict.fromkeys(fact.text for fact in extract_facts(feedback.correction or "")))
        pages = record.cited_pages or tuple((source.source, source.page) for source in record.sources[:1])
        if not facts or not pages:
            result.skipped += 1
            continue
        result.rows.append(
            entry
            | {
                "answerable": True,
                "answer": feedback.correction,
                "evidence": [{"file": source, "page": page} for source, page in dict.fromkeys(pages)],
                "key_facts": [[fact] for fact in facts],
            }
        )
    return result


def serialise(fmt: ExportFormat, rows: list[dict[str, Any]]) -> str:
    """The file's text: JSON Lines for ``kto`` and ``dpo`` (what ``datasets.load_dataset("json")`` reads),
    a JSON list for ``eval`` (a question file)."""
    if fmt == "eval":
        return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def export_rows(fmt: ExportFormat, rated: list[tuple[AnswerRecord, Feedback]], prompts: Prompts) -> ExportResult:
    """The rows of ``fmt`` for the rated answers, oldest first."""
    if fmt == "kto":
        return kto_rows(rated, prompts)
    if fmt == "dpo":
        return dpo_rows(rated, prompts)
    return eval_rows(rated)
