"""A generator that writes fixed texts: for the checks around a model's output (claim check, follow-up rewrite
acceptance), where what is tested is docqa's handling of the text, not a model."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from service.core.seams import ChatMessage


class ScriptedGenerator:
    """Writes ``texts`` in turn (the last one again once they run out); records what it was asked."""

    mode = "scripted"
    model = "scripted"
    context_window = 4096

    def __init__(self, *texts: str) -> None:
        self.texts = list(texts)
        self.asked: list[list[ChatMessage]] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def stream(self, messages: Sequence[ChatMessage], max_tokens: int) -> Iterator[str]:
        yield self.generate(messages, max_tokens)

    def generate(self, messages: Sequence[ChatMessage], max_tokens: int) -> str:
        answer = self.texts[min(len(self.asked), len(self.texts) - 1)]
        self.asked.append(list(messages))
        return answer
