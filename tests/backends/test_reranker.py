"""The optional cross-encoder stage, with a tiny random-weight model built here (mechanics only, not quality)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from service.backends.reranker import CrossEncoderReranker
from service.components import Components
from service.core.errors import InvalidInput
from service.core.settings import Settings, default_model_dir

TEXTS = {
    "lease.txt": "The tenant shall pay rent of $4,200 on the first day of each month.",
    "notes.txt": "The witness recalled the meeting of 3 May.",
    "memo.txt": "The limitation period expires in June 2027.",
    "offer.txt": "We propose a settlement of $40,000.",
    "order.txt": "The motion to dismiss is denied without prejudice.",
}


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-layer BERT with one output logit and random weights, with MiniLM's tokenizer."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    folder = tmp_path_factory.mktemp("tiny-cross-encoder")
    tokenizer = AutoTokenizer.from_pretrained(str(default_model_dir()))
    tokenizer.save_pretrained(str(folder))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=37,
        num_labels=1,
        max_position_embeddings=512,
    )
    BertForSequenceClassification(config).save_pretrained(str(folder))
    return folder


def test_reranker_reorders_and_respects_k(
    tmp_path: Path, settings: Settings, make_components: Callable[..., Components], tiny_cross_encoder: Path
) -> None:
    root = tmp_path / "in"
    root.mkdir()
    for name, text in TEXTS.items():
        (root / name).write_text(text + "\n")
    retrieval = settings.retrieval.model_copy(update={"rerank_model_dir": tiny_cross_encoder, "rerank_candidates": 5})
    parts = make_components(settings.model_copy(update={"retrieval": retrieval}))
    parts.pipeline("m").ingest([root])
    plain = make_components(settings)

    query = "what rent does the tenant pay"
    hits = parts.retriever.search(query, "m", 3)
    assert len(hits) == 3
    reranker = parts.reranker
    assert reranker is not None
    # the hits are the five fused candidates in the cross-encoder's order, cut to k
    candidates = plain.retriever.search(query, "m", 5)
    texts = [hit.text for hit in candidates]
    scores = dict(zip(texts, reranker.score(query, texts), strict=True))
    expected = sorted(scores, key=lambda text: -scores[text])[:3]
    assert [hit.text for hit in hits] == expected
    assert [hit.score for hit in hits] == pytest.approx([scores[text] for text in expected])
    assert all(-1.0 <= hit.relevance <= 1.0 for hit in hits)  # still the cosine, not the reranker's score
    assert reranker.score(query, []) == []


def test_a_bad_reranker_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"DOCQA_RETRIEVAL__RERANK_MODEL_DIR=.*not a model folder"):
        CrossEncoderReranker(tmp_path / "nowhere")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    with pytest.raises(InvalidInput, match="cannot load a cross-encoder"):
        CrossEncoderReranker(broken)
