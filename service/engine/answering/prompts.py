"""Prompt templates from ``prompts/``: loaded once, checked at start-up, versioned by hash."""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass
from pathlib import Path

from service.core.errors import DocqaError

REFUSAL_SENTENCE = "The documents do not answer this question."
"""The one refusal sentence: the prompt asks the model for it and the code detects it."""

PLACEHOLDERS: dict[str, frozenset[str]] = {
    "answer_system.txt": frozenset({"refusal"}),
    "answer_user.txt": frozenset({"sources", "question"}),
    "source.txt": frozenset({"marker", "title", "page", "text"}),
    "followup.txt": frozenset({"history", "question"}),
}


class PromptError(DocqaError):
    """A prompt template is missing or uses the wrong placeholders."""


@dataclass(frozen=True)
class Prompts:
    """The validated templates and a version hash for the audit trail."""

    system: str
    user: str
    source: str
    version: str
    followup: str = "{history}\n{question}"
    """Asks an LLM for a follow-up's standalone form (``service.engine.answering.followup``)."""

    def render_system(self) -> str:
        return self.system.format(refusal=REFUSAL_SENTENCE)

    def render_source(self, marker: int, title: str, page: int, text: str) -> str:
        return self.source.format(marker=marker, title=title, page=page, text=text)

    def render_user(self, sources: list[str], question: str) -> str:
        return self.user.format(sources="\n\n".join(sources), question=question)

    def render_followup(self, history: str, question: str) -> str:
        return self.followup.format(history=history, question=question)


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def load_prompts(folder: Path) -> Prompts:
    """Read and check every template; raises ``PromptError`` naming the file and the problem."""
    texts: dict[str, str] = {}
    for name, expected in PLACEHOLDERS.items():
        path = folder / name
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise PromptError(
                f"prompt template {path} cannot be read ({error}); restore it from the repository"
            ) from error
        try:
            found = _placeholders(text)
        except ValueError as error:
            raise PromptError(f"prompt template {path}: {error}; write literal braces as {{{{ and }}}}") from error
        if found != expected:
            missing, unknown = sorted(expected - found), sorted(found - expected)
            raise PromptError(
                f"prompt template {path}: missing placeholders {missing}, unknown placeholders {unknown}; "
                f"it must use exactly {sorted(expected)}"
            )
        texts[name] = text
    version = hashlib.sha256("\0".join(texts[name] for name in sorted(texts)).encode()).hexdigest()[:12]
    return Prompts(
        texts["answer_system.txt"],
        texts["answer_user.txt"],
        texts["source.txt"].rstrip("\n"),
        version,
        followup=texts["followup.txt"],
    )
