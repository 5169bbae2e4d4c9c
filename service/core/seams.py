"""The seams of docqa: one required job per role, implementations named by technology.

``service.components`` is the only module that maps settings to concrete implementations.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
"""A ``(n, dimension)`` float32 matrix of L2-normalised rows."""


class Embedder(Protocol):
    """Turns text into normalised vectors. Queries and documents go through separate calls."""

    @property
    def id(self) -> str:
        """Names the model *and* the numeric backend; written into index manifests."""
        ...

    @property
    def dimension(self) -> int: ...

    @property
    def max_tokens(self) -> int:
        """Longest input, in the model's tokens including special tokens; longer input is cut."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Embed passages, batched; returns one normalised row per text."""
        ...

    def embed_query(self, text: str) -> Vectors:
        """Embed one query; returns a ``(1, dimension)`` normalised matrix."""
        ...


class VectorIndex(Protocol):
    """Nearest-neighbour search over vectors whose ids are chunk ids."""

    def add(self, ids: Sequence[int], vectors: Vectors) -> None: ...

    def remove(self, ids: Sequence[int]) -> None: ...

    def search(self, query: Vectors, k: int, allowed_ids: Sequence[int] | None = None) -> list[tuple[int, float]]:
        """Top ``k`` ``(chunk_id, score)`` pairs, best first; ``allowed_ids`` restricts the candidates."""
        ...

    def ids(self) -> set[int]: ...

    def save(self) -> None:
        """Persist atomically (temporary file, fsync, rename)."""
        ...


class LexicalIndex(Protocol):
    """Term-matching search over chunk text (ids are chunk ids), and routing to the documents a query names.

    It is derived from SQL chunk text, like the vector index from SQL vectors, and kept in step with it.
    """

    def add_document(self, document_id: str, name: str, ids: Sequence[int], texts: Sequence[str]) -> None:
        """Index chunks ``ids`` with ``texts`` of one document; ``name`` is what names it (file, title, metadata)."""
        ...

    def remove(self, ids: Sequence[int]) -> None: ...

    def search(self, query: str, k: int, allowed_ids: Sequence[int] | None = None) -> list[tuple[int, float]]:
        """Top ``k`` ``(chunk_id, score)`` pairs that share a term with ``query``; ``allowed_ids`` restricts
        the candidates before ranking."""
        ...

    def route(self, query: str, allowed_ids: Sequence[int] | None = None) -> list[tuple[str, float]]:
        """``(document_id, score)`` of the documents the query names, best first (empty: it names none);
        with ``allowed_ids``, only documents that have an allowed chunk."""
        ...

    def document_chunks(self, document_ids: Iterable[str]) -> list[int]:
        """Chunk ids of the given documents."""
        ...

    def without_names(self, query: str, document_ids: Iterable[str]) -> str:
        """``query`` without the words that name the given documents (file name, title, metadata): what is
        left asks about their content."""
        ...

    def ids(self) -> set[int]: ...

    def save(self) -> None:
        """Persist atomically (temporary file, fsync, rename)."""
        ...

    def refresh_if_changed(self) -> bool:
        """Reload when another process saved a newer index (unless this one has unsaved changes)."""
        ...


class Reranker(Protocol):
    """Re-scores ``(query, passage)`` pairs jointly (a cross-encoder); higher is more relevant."""

    def score(self, query: str, passages: Sequence[str]) -> list[float]: ...


@dataclass(frozen=True)
class ChatMessage:
    """One message of a chat prompt."""

    role: Literal["system", "user", "assistant"]
    content: str


class Generator(Protocol):
    """Writes an answer from a chat prompt (an LLM, or none for the extractive mode)."""

    @property
    def mode(self) -> str:
        """``openai``, ``transformers`` or ``extractive``; reported in every answer."""
        ...

    @property
    def model(self) -> str: ...

    @property
    def context_window(self) -> int:
        """Prompt plus answer, in the generator's own tokens."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` with the generator's own tokenizer."""
        ...

    def stream(self, messages: Sequence[ChatMessage], max_tokens: int) -> Iterator[str]:
        """Yield answer text deltas as they are produced."""
        ...

    def generate(self, messages: Sequence[ChatMessage], max_tokens: int) -> str:
        """The whole answer; by default the joined ``stream``."""
        ...
