"""The ``Embedder`` contract (``service.core.seams``), over every implementation: ``OnnxEmbedder`` (int8) and
``SentenceTransformerEmbedder`` (PyTorch), both on the shipped all-MiniLM-L6-v2. Unit float32 rows in input order,
one row per query, input cut at ``max_tokens``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from service.backends.embedders import OnnxEmbedder, SentenceTransformerEmbedder, load_tokenizer
from service.core.seams import Embedder
from tests.support.embedding import DIMENSION, LONG_PREFIX, MAX_TOKENS, PASSAGES, QUERIES, cosines


@pytest.fixture(params=["onnx-int8", "sentence-transformers"])
def any_embedder(
    request: pytest.FixtureRequest, onnx_embedder: OnnxEmbedder, reference_embedder: SentenceTransformerEmbedder
) -> Embedder:
    return onnx_embedder if request.param == "onnx-int8" else reference_embedder


def test_describes_the_model(any_embedder: Embedder) -> None:
    assert any_embedder.dimension == DIMENSION
    assert any_embedder.max_tokens == MAX_TOKENS
    backend = "onnx-int8" if isinstance(any_embedder, OnnxEmbedder) else "sentence-transformers"
    assert any_embedder.id == f"all-MiniLM-L6-v2@{backend}"


def test_documents_are_unit_float32_rows(any_embedder: Embedder) -> None:
    vectors = any_embedder.embed_documents(PASSAGES[:20])
    assert vectors.shape == (20, DIMENSION)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_query_is_one_unit_row(any_embedder: Embedder) -> None:
    vector = any_embedder.embed_query(QUERIES[0][0])
    assert vector.shape == (1, DIMENSION)
    assert vector.dtype == np.float32
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


def test_no_texts_give_an_empty_matrix(any_embedder: Embedder) -> None:
    vectors = any_embedder.embed_documents([])
    assert vectors.shape == (0, DIMENSION)
    assert vectors.dtype == np.float32


def test_rows_keep_input_order(any_embedder: Embedder) -> None:
    # Lengths deliberately unsorted, batches of 8 mixed: sorting by length inside must be undone.
    texts = [LONG_PREFIX, "Rent.", *PASSAGES[:9], "", PASSAGES[40]]
    together = any_embedder.embed_documents(texts)
    alone = np.concatenate([any_embedder.embed_query(text) for text in texts])
    similarity = together @ alone.T
    assert list(similarity.argmax(axis=1)) == list(range(len(texts)))
    # int8 activations are scaled per batch, so a row shifts a little with its batch mates; fp32 does not.
    assert cosines(together, alone).min() > 0.95


def test_long_input_is_cut_at_max_tokens(any_embedder: Embedder, model_dir: Path) -> None:
    assert len(load_tokenizer(model_dir).encode(LONG_PREFIX).ids) > 2 * MAX_TOKENS
    # Everything after the first 256 tokens is dropped, so different tails give the same vector.
    first = any_embedder.embed_query(LONG_PREFIX + " The tenant pays rent monthly.")
    second = any_embedder.embed_query(LONG_PREFIX + " The galaxy is far away. " * 20)
    np.testing.assert_allclose(first, second, atol=1e-6)


def test_duplicates_embed_alike(any_embedder: Embedder) -> None:
    vectors = any_embedder.embed_documents([PASSAGES[3], PASSAGES[3]])
    np.testing.assert_allclose(vectors[0], vectors[1], atol=1e-6)
