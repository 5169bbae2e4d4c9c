"""The ``Reranker`` contract (``service.core.seams``), over every implementation: ``CrossEncoderReranker`` on a tiny
random-weight cross-encoder. One score per passage in the given order, each a function of the pair alone (not of
its neighbours or batch), and of the query too: the pair is scored jointly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from service.backends.reranker import CrossEncoderReranker
from service.core.seams import Reranker

PASSAGES = [
    "The tenant shall pay rent of $4,200 on the first day of each month.",
    "The witness recalled the meeting of 3 May.",
    "The limitation period expires in June 2027.",
    "We propose a settlement of $40,000.",
]
QUERY = "what rent does the tenant pay"

MakeReranker = Callable[[int], Reranker]
"""A reranker scoring in batches of the given size."""

IMPLEMENTATIONS: dict[str, Callable[[Path, int], Reranker]] = {
    "cross-encoder": lambda folder, batch_size: CrossEncoderReranker(folder, batch_size=batch_size),
}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def make_reranker(request: pytest.FixtureRequest, tiny_cross_encoder: Path) -> MakeReranker:
    return lambda batch_size: IMPLEMENTATIONS[request.param](tiny_cross_encoder, batch_size)


def test_one_score_per_passage_in_order(make_reranker: MakeReranker) -> None:
    reranker = make_reranker(32)
    scores = reranker.score(QUERY, PASSAGES)
    assert len(scores) == len(PASSAGES) and all(isinstance(score, float) for score in scores)
    assert len(set(scores)) == len(scores)  # random weights still tell these passages apart
    reordered = reranker.score(QUERY, PASSAGES[::-1])
    assert reordered == pytest.approx(scores[::-1], abs=1e-5)
    assert reranker.score(QUERY, []) == []


def test_a_pair_scores_the_same_alone_in_any_batch(make_reranker: MakeReranker) -> None:
    together = make_reranker(32).score(QUERY, PASSAGES)
    alone = [make_reranker(1).score(QUERY, [passage])[0] for passage in PASSAGES]
    assert alone == pytest.approx(together, abs=1e-4)
    assert make_reranker(32).score(QUERY, [PASSAGES[0], PASSAGES[0]]) == pytest.approx([together[0]] * 2, abs=1e-5)


def test_the_query_is_scored_with_the_passage(make_reranker: MakeReranker) -> None:
    reranker = make_reranker(32)
    assert reranker.score(QUERY, PASSAGES) != pytest.approx(reranker.score("when does the period expire", PASSAGES))
