"""BM25 scoring: Lucene BM25 term scores of a corpus as one sparse matrix, and the top ``k`` of a score vector.

Why not ``bm25s.BM25.index``: it loops over documents in Python (5 s for the dev split's 31k chunks on
this machine), too slow to rebuild after every upload. ``Bm25Matrix`` computes the same Lucene BM25
scores with a few vectorised numpy passes (a test checks them against ``bm25s``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from service.backends.lexical.vocabulary import IntArray

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Bm25Matrix:
    """Lucene BM25 term scores of a corpus, stored by term (compressed sparse columns).

    ``score(t, d) = idf(t) * tf / (tf + k1 * (1 - b + b * |d| / avg|d|))`` with
    ``idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))``, as ``bm25s`` (method ``lucene``) computes it.
    """

    indptr: IntArray
    """Term ``t``'s entries are ``rows[indptr[t]:indptr[t + 1]]`` and ``values[...]``."""
    rows: IntArray
    values: FloatArray
    idf: FloatArray
    size: int
    """Number of rows (documents or chunks)."""

    @classmethod
    def build(cls, corpus: Sequence[IntArray], terms: int, k1: float, b: float) -> Bm25Matrix:
        """Index ``corpus`` (one array of term ids in ``[0, terms)`` per row)."""
        size = len(corpus)
        lengths = np.asarray([len(row) for row in corpus], dtype=np.int64)
        row_of_token = np.repeat(np.arange(size, dtype=np.int64), lengths)
        term_of_token = np.concatenate([*corpus, np.zeros(0, np.int64)]).astype(np.int64)
        pairs, term_frequency = np.unique(term_of_token * max(size, 1) + row_of_token, return_counts=True)
        terms_of_pairs, rows = np.divmod(pairs, max(size, 1))
        document_frequency = np.bincount(terms_of_pairs, minlength=terms)
        idf = np.log1p((size - document_frequency + 0.5) / (document_frequency + 0.5))
        average = max(float(lengths.mean()) if size else 0.0, 1e-9)
        norm = k1 * (1 - b + b * lengths[rows] / average)
        values = idf[terms_of_pairs] * term_frequency / (term_frequency + norm)
        indptr = np.concatenate([[0], np.cumsum(document_frequency)]).astype(np.int64)
        return cls(indptr, rows, values, idf, size)

    def scores(self, terms: Sequence[int], weights: Sequence[float] | None = None) -> FloatArray:
        """Every row's score for a query of ``terms`` (each counted once, times its weight)."""
        picked = [slice(self.indptr[t], self.indptr[t + 1]) for t in terms]
        if not picked:
            return np.zeros(self.size)
        rows = np.concatenate([self.rows[part] for part in picked])
        values = [self.values[part] for part in picked]
        if weights is not None:
            values = [value * weight for value, weight in zip(values, weights, strict=True)]
        return np.bincount(rows, weights=np.concatenate(values), minlength=self.size).astype(np.float64)


def top_k(scores: npt.NDArray[Any], k: int) -> IntArray:
    """Indices of the ``k`` largest scores, best first (ties by index)."""
    candidates = np.argpartition(-scores, k - 1)[:k] if len(scores) > k else np.arange(len(scores))
    return candidates[np.lexsort((candidates, -scores[candidates]))].astype(np.int64)
