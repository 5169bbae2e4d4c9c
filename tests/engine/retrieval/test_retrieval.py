"""Hybrid retrieval on real parts: BM25 beside FAISS, document routing, fusion, filters, consistency, crashes."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import bm25s
import numpy as np
import pytest

from service.backends.lexical.bm25 import Bm25Index, Bm25Matrix, tokenize
from service.components import Components
from service.core.seams import Embedder, Vectors
from service.core.settings import RetrievalSettings, Settings
from service.engine.retrieval.hybrid import HybridRanker, convex_order, reciprocal_rank_fusion

BODY = (
    "Minute order. The motion to dismiss is denied without prejudice and the parties shall file a joint "
    "status report within fourteen days."
)
CASES = [f"1:2{i}-cv-0{4410 + 7 * i}" for i in range(8)]


def orders(root: Path) -> Path:
    """Eight near-identical orders that differ only by case number, plus a licence with a defined term."""
    root.mkdir(parents=True)
    for number, case in enumerate(CASES):
        (root / f"order-{number}.txt").write_text(f"Case No. {case}. {BODY}\n")
    (root / "licence.txt").write_text(
        "Royalties. The Licensee pays royalties each quarter on net sales.\n\n"
        "Definitions. Qorvane Threshold means four per cent of the gross receipts of the Territory.\n"
    )
    return root


def with_retrieval(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update=changes)})


def top_sources(parts: Components, query: str, k: int = 1, **filters: str) -> list[str]:
    return [hit.source for hit in parts.retriever.search(query, "m", k, filters or None)]


def test_hybrid_finds_the_exact_case_number_dense_misses(
    tmp_path: Path, settings: Settings, make_components: Callable[..., Components]
) -> None:
    root = orders(tmp_path / "in")
    hybrid = make_components(settings)
    hybrid.pipeline("m").ingest([root])
    dense = make_components(with_retrieval(settings, mode="dense", route_documents=False))
    misses = 0
    for number, case in enumerate(CASES):
        query = f"what did the court order in case No. {case}?"
        assert top_sources(hybrid, query) == [f"order-{number}.txt"], case
        misses += top_sources(dense, query) != [f"order-{number}.txt"]
    assert misses >= len(CASES) // 2, "dense retrieval alone should confuse near-identical orders"
    # a defined term: BM25 alone ranks it first, and so does the fused ranking
    lexical = make_components(with_retrieval(settings, mode="lexical", route_documents=False))
    assert top_sources(lexical, "Qorvane Threshold") == ["licence.txt"]
    assert top_sources(hybrid, "how is the Qorvane Threshold defined?") == ["licence.txt"]


def test_every_hit_carries_the_cosine_as_relevance(
    tmp_path: Path, settings: Settings, make_components: Callable[..., Components], embedder: Embedder
) -> None:
    root = orders(tmp_path / "in")
    query = "Qorvane Threshold in case 1:23-cv-04431"
    unrouted = make_components(with_retrieval(settings, route_documents=False))
    unrouted.pipeline("m").ingest([root])
    routed = make_components(settings)
    # The case number names order-3: inside it, the question is ranked (and its cosines taken)
    # without the words that named it, which match every chunk of it alike.
    lexical = routed.lexical("m")
    named = lexical.route(query)[0][0]
    question = lexical.without_names(query, [named])
    assert "04431" not in question and "Qorvane Threshold" in question
    for parts, ranked_by in ((unrouted, query), (routed, question)):
        hits = parts.retriever.search(query, "m", 9)
        assert len(hits) == 9 and [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
        vector = embedder.embed_query(ranked_by)[0]
        for hit in hits:
            assert hit.relevance == pytest.approx(float(embedder.embed_documents([hit.text])[0] @ vector), abs=1e-4)


def test_filters_restrict_both_indexes_before_ranking(
    tmp_path: Path, settings: Settings, make_components: Callable[..., Components]
) -> None:
    first, second = orders(tmp_path / "first"), tmp_path / "second"
    second.mkdir()
    (second / "Halvorsen-Maritime-memo.txt").write_text("Halvorsen Maritime: the Qorvane Threshold was met in May.\n")
    for mode in ("hybrid", "dense", "lexical"):
        parts = make_components(with_retrieval(settings, mode=mode).model_copy(update={"data_dir": tmp_path / mode}))
        parts.pipeline("m", extra_metadata={"client": "acme"}).ingest([first])
        parts.pipeline("m", extra_metadata={"client": "halvorsen"}).ingest([second])
        # the query names the memo and its rare term, but the filter allows only acme's documents
        named = "Consider the Halvorsen Maritime memo; was the Qorvane Threshold met?"
        assert top_sources(parts, named) == ["Halvorsen-Maritime-memo.txt"], mode
        hits = top_sources(parts, named, 50, client="acme")
        assert hits and "Halvorsen-Maritime-memo.txt" not in hits, mode
        assert top_sources(parts, named, 50, client="halvorsen") == ["Halvorsen-Maritime-memo.txt"], mode
        assert top_sources(parts, named, 5, client="nobody") == [], mode


def test_lexical_index_follows_updates_deletes_and_prune(
    tmp_path: Path, components: Components, make_components: Callable[..., Components], settings: Settings
) -> None:
    root = orders(tmp_path / "in")
    pipeline = components.pipeline("m")
    pipeline.ingest([root])
    lexical = components.lexical("m")
    assert lexical.ids() == components.store.chunk_ids("m") != set()

    (root / "licence.txt").write_text("Definitions. Zentrillic Cap means the ceiling on royalties.\n")
    pipeline.ingest([root])
    assert lexical.ids() == components.store.chunk_ids("m")
    assert [chunk for chunk, _ in lexical.search("Qorvane", 5)] == []
    assert top_sources(components, "Zentrillic Cap") == ["licence.txt"]

    def sources_matching(query: str) -> set[str]:
        found = [chunk for chunk, _ in lexical.search(query, 50)]
        return {chunk.source for chunk in components.store.chunks(found).values()}

    record = components.store.find_document("m", "order-3.txt")
    assert record is not None and "order-3.txt" in sources_matching(CASES[3])
    pipeline.delete(record.id)
    assert lexical.ids() == components.store.chunk_ids("m")
    assert "order-3.txt" not in sources_matching(CASES[3])
    assert record.id not in {document for document, _ in lexical.route(f"order 3 {CASES[3]}")}

    (root / "order-3.txt").unlink()
    (root / "order-5.txt").unlink()
    summary = pipeline.ingest([root], prune=True)
    assert summary.count("removed") == 1
    assert lexical.ids() == components.store.chunk_ids("m")
    assert "order-5.txt" not in sources_matching(CASES[5])

    # another process (a fresh Components) reads what was saved
    fresh = make_components(settings)
    assert fresh.lexical("m").ids() == components.store.chunk_ids("m") and not fresh.repairs


def test_a_stale_or_foreign_lexical_index_is_rebuilt_from_sql(
    tmp_path: Path, components: Components, make_components: Callable[..., Components], settings: Settings
) -> None:
    root = orders(tmp_path / "in")
    components.pipeline("m").ingest([root])
    saved = tmp_path / "saved"
    shutil.copytree(components.index_dir, saved)

    # a crash after SQL committed a changed file but before the lexical index was saved
    (root / "licence.txt").write_text("Definitions. Zentrillic Cap means the ceiling on royalties.\n")
    components.pipeline("m").ingest([root])
    sql_ids = components.store.chunk_ids("m")
    for name in ("m.lexical.npz", "m.lexical.json"):
        shutil.copy(saved / name, components.index_dir / name)

    fresh = make_components(settings)
    assert fresh.lexical("m").ids() == sql_ids
    assert any("lexical index" in message and "1 stale" in message for message in fresh.repairs)
    assert top_sources(fresh, "Zentrillic Cap") == ["licence.txt"]

    # an index from another recipe, or unreadable, is rebuilt rather than trusted
    manifest = components.index_dir / "m.lexical.json"
    manifest.write_text(manifest.read_text().replace('"recipe": 1', '"recipe": 999'))
    again = make_components(settings)
    assert again.lexical("m").ids() == sql_ids and any("lexical" in m for m in again.repairs)
    (components.index_dir / "m.lexical.npz").write_bytes(b"not numpy")
    manifest.write_text("{")
    third = make_components(settings)
    assert third.lexical("m").ids() == sql_ids


def test_bm25_matrix_scores_equal_bm25s() -> None:
    texts = [
        "The tenant shall pay rent monthly; rent is due on the first.",
        "The landlord repairs the roof.",
        "Rent, rent and more rent.",
        "",
        "Confidential Information excludes public information.",
    ]
    corpus = [tokenize(text) for text in texts]
    vocabulary: dict[str, int] = {}
    ids = [np.asarray([vocabulary.setdefault(t, len(vocabulary)) for t in tokens], np.int64) for tokens in corpus]
    ours = Bm25Matrix.build(ids, len(vocabulary), k1=1.2, b=0.75)
    reference = bm25s.BM25(k1=1.2, b=0.75)
    reference.index(corpus, show_progress=False)
    for query in (["rent"], ["rent", "roof"], ["information", "tenant", "first"]):
        expected = reference.get_scores(query)
        assert ours.scores([vocabulary[t] for t in query]) == pytest.approx(expected, rel=1e-5)


def test_reciprocal_rank_fusion() -> None:
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1]], k=60)
    assert [item for item, _ in fused] == [1, 3, 2]
    assert [score for _, score in fused] == pytest.approx([1 / 61 + 1 / 62, 1 / 63 + 1 / 61, 1 / 62])
    assert RetrievalSettings().mode == "hybrid"


def test_convex_order_weighs_normalised_scores() -> None:
    # cosines 0.80 / 0.40 / 0.39 normalise to 1 / 0.02 / 0; BM25 2 / 9 / 5 to 0 / 1 / 0.43
    assert convex_order([1, 2, 3], [0.80, 0.40, 0.39], [2.0, 9.0, 5.0], 0.65) == [1, 2, 3]
    assert convex_order([1, 2, 3], [0.80, 0.40, 0.39], [2.0, 9.0, 5.0], 0.2) == [2, 3, 1]
    assert convex_order([3, 1], [0.5, 0.5], [1.0, 1.0], 0.65) == [3, 1], "a tie keeps the fusion order"


class FixedCosines:
    """A vector index whose cosines are given: which chunk the question is closest to, by how much."""

    def __init__(self, cosines: dict[int, float]) -> None:
        self.cosines = cosines

    def search(self, query: Vectors, k: int, allowed_ids: list[int] | None = None) -> list[tuple[int, float]]:
        held = [pair for pair in self.cosines.items() if allowed_ids is None or pair[0] in allowed_ids]
        return sorted(held, key=lambda pair: -pair[1])[:k]


def test_the_fused_head_is_ordered_by_scores_not_ranks(tmp_path: Path) -> None:
    lexical = Bm25Index(tmp_path, "unit")
    texts = [
        "The rate of the licence fee is set out in Schedule 2 and is payable each quarter.",
        "Royalty rate: the royalty rate is four per cent.",
        "Royalty rate. The royalty rate is reviewed every year by the parties and the auditor, "
        "who reports on the gross receipts of the territory.",
    ]
    lexical.add_document("licence", "alpha", [1, 2, 3], texts)
    assert [chunk for chunk, _ in lexical.search("royalty rate", 3)] == [2, 3, 1]
    # Dense: chunk 1 by a wide margin (0.80 against 0.40); BM25: chunk 2. Rank fusion alone puts chunk 2
    # first (ranks 2 and 1 beat 1 and 3); by scores the clear dense winner comes first.
    index = FixedCosines({1: 0.80, 2: 0.40, 3: 0.39})
    vector = np.zeros((1, 4), dtype=np.float32)

    def ranked(fusion_head: int = 32) -> list[tuple[int, float, float | None]]:
        ranker = HybridRanker(RetrievalSettings(route_documents=False, fusion_head=fusion_head))
        hits, _ = ranker.rank("royalty rate", lambda text: vector, 3, index, lexical)  # type: ignore[arg-type]  # fake index
        return [(hit.chunk_id, hit.score, hit.cosine) for hit in hits]

    assert [chunk for chunk, _, _ in ranked(fusion_head=0)] == [2, 1, 3]
    hits = ranked()
    assert [chunk for chunk, _, _ in hits] == [1, 2, 3]
    assert [score for _, score, _ in hits] == [score for _, score, _ in ranked(fusion_head=0)], "scores in rank order"
    assert [cosine for _, _, cosine in hits] == [0.80, 0.40, 0.39]
    assert RetrievalSettings().fusion_head == 32 and RetrievalSettings().dense_weight == 0.65


def test_bm25_length_normalisation_is_mild_by_default(tmp_path: Path, components: Components) -> None:
    # A heading-sized chunk that only names indemnity, beside the clause that discusses it: full length
    # normalisation (b 0.75) ranks the short chunk first, the default (b 0.4) the clause.
    heading = "Indemnity. Survival of terms."
    clause = (
        "Indemnity. The Supplier shall pay the Customer for any loss, and the indemnity covers the costs of defending "
        "any claim brought by a third party against the Customer under the licence granted in this agreement."
    )
    settings = RetrievalSettings()
    first = {}
    for b in (0.75, settings.bm25_b):
        index = Bm25Index(tmp_path / str(b), "unit", settings.bm25_k1, b)
        index.add_document("contract", "alpha", [1, 2], [heading, clause])
        first[b] = index.search("indemnity", 2)[0][0]
    assert first == {0.75: 1, 0.4: 2}
    lexical = components.lexical("m")
    assert isinstance(lexical, Bm25Index) and (lexical.expected.k1, lexical.expected.b) == (1.2, 0.4)
