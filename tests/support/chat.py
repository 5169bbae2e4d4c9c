"""Chat prompts for generator tests, and the type of the reference answer every generator must match."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from service.core.seams import ChatMessage

MESSAGES = (
    ChatMessage("system", "Answer from the context only."),
    ChatMessage("user", "What is the notice period in the lease?"),
)
OTHER_MESSAGES = (ChatMessage("user", "Who pays the rent?"),)

ReferenceAnswer = Callable[[Sequence[ChatMessage], int], str]
"""The tiny model's greedy answer to ``messages`` in ``max_tokens`` tokens, by plain ``transformers.generate``."""
