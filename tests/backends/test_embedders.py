"""Embedders on the shipped all-MiniLM-L6-v2 beyond the ``Embedder`` contract (tests/backends/contracts/): int8 vs
PyTorch agreement, the cached export, the factory and the tokenizer.

The int8 ONNX export is built once into ``.cache/models`` (gitignored) and reused by later runs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import service.backends.embedders
from service.backends.embedders import (
    EXPORT_MANIFEST_NAME,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    export_onnx_model,
    load_tokenizer,
    max_sequence_tokens,
    model_name,
    onnx_export_dir,
)
from service.components import build_embedder
from service.core.seams import Embedder
from service.core.settings import EmbeddingSettings
from tests.support.embedding import LONG_PREFIX, MAX_TOKENS, PASSAGES, QUERIES, cosines
from tests.support.paths import CACHE as SHARED_CACHE

os.environ.setdefault("HF_HUB_OFFLINE", "1")

CACHE = SHARED_CACHE / "models"


def copy_model_dir(source: Path, target: Path, weights: bytes | None = None) -> Path:
    """A model folder of links to ``source``'s files; ``weights`` replaces the weights file's bytes."""
    target.mkdir()
    for entry in source.iterdir():
        if weights is not None and entry.name == "model.safetensors":
            (target / entry.name).write_bytes(weights)
        else:
            (target / entry.name).symlink_to(entry)
    return target


# --- int8 ONNX agrees with the PyTorch reference --------------------------------------------------


def test_int8_vectors_agree_with_sentence_transformers(
    onnx_embedder: OnnxEmbedder, reference_embedder: SentenceTransformerEmbedder
) -> None:
    texts = [*PASSAGES, *(query for query, _ in QUERIES)]
    agreement = cosines(onnx_embedder.embed_documents(texts), reference_embedder.embed_documents(texts))
    assert agreement.mean() >= 0.98
    assert agreement.min() >= 0.95


def test_int8_retrieves_the_same_top_passage(
    onnx_embedder: OnnxEmbedder, reference_embedder: SentenceTransformerEmbedder
) -> None:
    def top_passages(embedder: Embedder) -> list[int]:
        passages = embedder.embed_documents(PASSAGES)
        return [int((embedder.embed_query(query) @ passages.T).argmax()) for query, _ in QUERIES]

    reference = top_passages(reference_embedder)
    assert top_passages(onnx_embedder) == reference
    # The queries are written so the reference finds the intended clause; this guards the fixture itself.
    assert reference == [target for _, target in QUERIES]


# --- the cached export ----------------------------------------------------------------------------


def test_second_construction_reuses_the_export(
    onnx_embedder: OnnxEmbedder, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    modified = onnx_embedder.model_path.stat().st_mtime_ns

    def fail(*_: object) -> None:
        raise AssertionError("the cached export was rebuilt")

    monkeypatch.setattr(service.backends.embedders, "_export_int8", fail)
    again = OnnxEmbedder(model_dir, CACHE, batch_size=4, threads=1)
    assert again.model_path == onnx_embedder.model_path
    assert again.model_path.stat().st_mtime_ns == modified
    manifest = json.loads((again.model_path.parent / EXPORT_MANIFEST_NAME).read_text())
    assert manifest["model_name"] == "all-MiniLM-L6-v2"
    np.testing.assert_allclose(again.embed_query("notice period"), onnx_embedder.embed_query("notice period"))


def test_other_weights_get_another_export_folder(model_dir: Path, tmp_path: Path) -> None:
    other = copy_model_dir(model_dir, tmp_path / "other", weights=b"not the same weights")
    assert model_name(other) == model_name(model_dir)
    assert onnx_export_dir(other, CACHE) != onnx_export_dir(model_dir, CACHE)
    # The name depends on the weights, not on where the cache lives.
    assert onnx_export_dir(model_dir, CACHE).name == onnx_export_dir(model_dir, tmp_path).name


def test_failed_export_leaves_nothing_behind(model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash_half_way(_: Path, out_dir: Path) -> None:
        (out_dir / "model.onnx").write_bytes(b"half a model")
        raise RuntimeError("export crashed")

    monkeypatch.setattr(service.backends.embedders, "_export_int8", crash_half_way)
    cache = tmp_path / "cache"
    with pytest.raises(RuntimeError, match="export crashed"):
        export_onnx_model(model_dir, cache)
    assert list(cache.iterdir()) == []


def test_concurrent_export_keeps_the_first_finished(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    final = onnx_export_dir(model_dir, cache)

    def lose_the_race(_: Path, out_dir: Path) -> None:
        # Another process renames its finished export into place while this one is still writing.
        final.mkdir(parents=True)
        (final / "model.onnx").write_bytes(b"theirs")
        (out_dir / "model.onnx").write_bytes(b"ours")

    monkeypatch.setattr(service.backends.embedders, "_export_int8", lose_the_race)
    assert export_onnx_model(model_dir, cache) == final / "model.onnx"
    assert (final / "model.onnx").read_bytes() == b"theirs"
    assert sorted(path.name for path in cache.iterdir()) == [final.name]


def test_onnx_backend_refuses_other_pooling(model_dir: Path, tmp_path: Path) -> None:
    other = copy_model_dir(model_dir, tmp_path / "cls-pooled")
    pooling = other / "1_Pooling"
    pooling.unlink()
    pooling.mkdir()
    config = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
    config |= {"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}
    (pooling / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=r"1_Pooling/config.json.*mean pooling only"):
        OnnxEmbedder(other, tmp_path / "cache", batch_size=4, threads=1)


# --- factory and tokenizer helpers ----------------------------------------------------------------


def test_build_embedder_follows_the_backend_setting(model_dir: Path) -> None:
    onnx = build_embedder(EmbeddingSettings(model_dir=model_dir, backend="onnx-int8", batch_size=4), CACHE)
    assert isinstance(onnx, OnnxEmbedder)
    assert onnx.id == "all-MiniLM-L6-v2@onnx-int8"
    reference = build_embedder(EmbeddingSettings(model_dir=model_dir, backend="sentence-transformers"), CACHE)
    assert isinstance(reference, SentenceTransformerEmbedder)


def test_tokenizer_neither_truncates_nor_pads(model_dir: Path) -> None:
    tokenizer = load_tokenizer(model_dir)
    assert tokenizer.truncation is None
    assert tokenizer.padding is None
    long = tokenizer.encode(LONG_PREFIX)
    assert len(long.ids) > MAX_TOKENS
    assert long.tokens[0] == "[CLS]"
    assert long.tokens[-1] == "[SEP]"
    assert len(tokenizer.encode("Rent.").ids) == 4  # [CLS] rent . [SEP]: no padding


def test_max_sequence_tokens(model_dir: Path, tmp_path: Path) -> None:
    assert max_sequence_tokens(model_dir) == MAX_TOKENS
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "config.json").symlink_to(model_dir / "config.json")
    assert max_sequence_tokens(bare) == 512  # max_position_embeddings
