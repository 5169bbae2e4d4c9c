"""The optional cross-encoder stage in retrieval, with a tiny random-weight model (mechanics only, not quality);
the ``Reranker`` contract is in tests/backends/contracts/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from service.backends.reranker import CrossEncoderReranker
from service.components import Components
from service.core.errors import InvalidInput
from service.core.settings import Settings

TEXTS = {
    "lease.txt": "The tenant shall pay rent of $4,200 on the first day of each month.",
    "notes.txt": "The witness recalled the meeting of 3 May.",
    "memo.txt": "The limitation period expires in June 2027.",
    "offer.txt": "We propose a settlement of $40,000.",
    "order.txt": "The motion to dismiss is denied without prejudice.",
}


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
