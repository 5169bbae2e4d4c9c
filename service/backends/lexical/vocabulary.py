"""Words to term ids: how text is tokenised for the lexical index, and the vocabulary that numbers the terms."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt
from bm25s.stopwords import STOPWORDS_EN

IntArray = npt.NDArray[np.int64]

WORD = re.compile(r"[^\W_]+")
"""Letters and digits; '_' splits (file names use it as a space)."""
_STOPWORDS = frozenset(STOPWORDS_EN) | {"s"}  # "s": the possessive ("Petrolube's")


def tokenize(text: str) -> list[str]:
    """Lower-cased runs of letters and digits, English stop words dropped."""
    return [token for token in WORD.findall(text.lower()) if token not in _STOPWORDS]


class Vocabulary:
    """Term ids ``0..len-1`` in the order terms were first seen (ids are never reused or renumbered)."""

    def __init__(self, words: Sequence[str] = ()) -> None:
        self._ids: dict[str, int] = {word: index for index, word in enumerate(words)}

    def __len__(self) -> int:
        return len(self._ids)

    def id_of(self, word: str) -> int | None:
        """The term id of an already tokenised (lower-cased) ``word``, if known."""
        return self._ids.get(word)

    def token_ids(self, text: str, grow: bool) -> IntArray:
        """``text``'s tokens as term ids; with ``grow``, new terms get new ids, otherwise they are skipped."""
        ids: list[int] = []
        for token in tokenize(text):
            found = self._ids.get(token)
            if found is None and grow:
                found = self._ids[token] = len(self._ids)
            if found is not None:
                ids.append(found)
        return np.asarray(ids, dtype=np.int64)

    def words(self) -> list[str]:
        """Every term, in id order (what ``Vocabulary(words)`` restores)."""
        return sorted(self._ids, key=self._ids.__getitem__)

    def without(self, text: str, term_ids: Iterable[int]) -> str:
        """``text`` with every word removed whose term is one of ``term_ids``."""
        dropped = set(term_ids)
        return WORD.sub(lambda word: "" if self._ids.get(word.group(0).lower()) in dropped else word.group(0), text)
