"""Question files: a JSON list of questions about a folder of documents, as ``../shared/data/court-qa-dev``.

Answerable: ``{"id", "question", "answerable": true, "kind", "evidence": [{"file", "page"}, ...],
"key_facts": [["form", "alt form"], ...]}``; unanswerable: ``{"id", "question", "answerable": false, "kind"}``.
Other fields (``answer``, ``quote``, ``needs_ocr``) are for people and are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, TypeAdapter, ValidationError, model_validator

from service.core.errors import InvalidInput

Text = Annotated[str, Field(min_length=1)]
"""A string that is not empty."""


class Evidence(BaseModel):
    """A page that states (part of) the answer: ``file`` relative to the documents folder, ``page`` from 1."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    file: Text
    page: StrictInt = Field(ge=1)


class Question(BaseModel):
    """One entry of a question file; fields the scoring does not use (``answer``, ``quote``) are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: Text
    question: Text
    answerable: StrictBool
    kind: Text
    evidence: tuple[Evidence, ...] = ()
    key_facts: tuple[tuple[str, ...], ...] = ()

    @model_validator(mode="after")
    def _answerable_has_facts(self) -> Question:
        if self.answerable and not (self.evidence and self.key_facts):
            raise ValueError("an answerable question needs non-empty 'evidence' and 'key_facts'")
        if any(not group or not all(form.strip() for form in group) for group in self.key_facts):
            raise ValueError("every key_facts group needs at least one form, and no form may be blank")
        return self


_QUESTIONS = TypeAdapter(list[Question])

FileFormat = Literal["answers", "retrieval"]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InvalidInput(f"{path}: cannot read the question file ({error.strerror or error})") from error
    except ValueError as error:
        raise InvalidInput(f"{path}: not JSON ({error})") from error


def file_format(path: Path) -> FileFormat:
    """``"answers"`` for a JSON list of questions, ``"retrieval"`` for anything else (a LegalBench-RAG file)."""
    return "answers" if isinstance(_read_json(path), list) else "retrieval"


def load_questions(path: Path) -> list[Question]:
    """Read a question file; a malformed one is an ``InvalidInput`` naming the file and the entry."""
    entries = _read_json(path)
    try:
        return _QUESTIONS.validate_python(entries)
    except ValidationError as error:
        problem = error.errors()[0]
        index, *inside = problem["loc"] or ("",)
        entry = f"entry {index}" if isinstance(index, int) else "the file"
        if isinstance(index, int) and isinstance(entries[index], dict) and isinstance(entries[index].get("id"), str):
            entry += f" ({entries[index]['id']})"
        field_name = ".".join(map(str, inside))
        raise InvalidInput(
            f"{path}: {entry}: {field_name + ': ' if field_name else ''}{problem['msg']}; expected a JSON list of "
            '{"id", "question", "answerable", "kind", "evidence": [{"file", "page"}], "key_facts": [[...]]} '
            "as in court-qa-dev/README.md",
            detail={"file": str(path), "entry": entry, "field": field_name or None},
        ) from error


def load_question_files(paths: Sequence[Path]) -> list[Question]:
    """Every question of ``paths``, in order; an id used twice is an ``InvalidInput``."""
    questions: list[Question] = []
    seen: dict[str, Path] = {}
    for path in paths:
        for question in load_questions(path):
            if question.id in seen:
                raise InvalidInput(f"{path}: question id {question.id!r} is also used in {seen[question.id]}")
            seen[question.id] = path
            questions.append(question)
    return questions
