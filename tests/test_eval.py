"""``docqa eval``: the span metric against the reference implementation, and a tiny benchmark checked by hand."""

from __future__ import annotations

import json
import random
from pathlib import Path

import lbrag_metric
import pytest
from typer.testing import CliRunner

from ingest.cli import app
from service.errors import InvalidInput
from service.evaluation import KS, evaluate, load_queries, metric_table, percentile, score_query
from service.protocols import Embedder
from service.settings import ChunkingSettings, Settings

TINY = Path(__file__).parent / "data" / "lbrag-tiny"
QUERY_FILES = [TINY / "ndas.json", TINY / "mergers.json"]

# Every tiny document is one chunk of 240 characters, and each query names its document, so it ranks
# first; k >= 3 retrieves all three documents. The gold spans are 104 and 80 characters (ndas) and
# 79 + 36 = 115 (mergers); recall is always 100 %.
HAND_CHECKED = {
    "ndas": {1: (104 / 240 + 80 / 240) / 2, 2: (104 / 480 + 80 / 480) / 2, 4: (104 / 720 + 80 / 720) / 2},
    "mergers": {1: 115 / 240, 2: 115 / 480, 4: 115 / 720},
}


def random_spans(rng: random.Random, count: int) -> list[tuple[str, int, int]]:
    spans = []
    for _ in range(count):
        start = rng.randrange(0, 500)
        spans.append((rng.choice(["a.txt", "b.txt", "c/d.txt"]), start, start + rng.randrange(1, 120)))
    return spans


def test_metric_equals_the_reference_implementation() -> None:
    rng = random.Random(7)
    results = {
        name: [(random_spans(rng, rng.randrange(1, 4)), random_spans(rng, rng.randrange(0, 70))) for _ in range(40)]
        for name in ("first", "second")
    }
    for rows in results.values():
        for gold, retrieved in rows:
            for k in KS:
                assert score_query(gold, retrieved, k) == pytest.approx(lbrag_metric.score_query(gold, retrieved, k))
    ours, reference = metric_table(results), lbrag_metric.table(results)
    assert ours.keys() == reference.keys()
    for name in ours:
        assert ours[name] == pytest.approx(reference[name])


def test_metric_by_hand() -> None:
    gold = [("a.txt", 10, 20)]
    # duplicates and overlaps are merged before counting: 15 retrieved characters, 5 of them gold
    assert score_query(gold, [("a.txt", 0, 15), ("a.txt", 5, 15)], 2) == (5 / 15, 5 / 10)
    assert score_query(gold, [("b.txt", 10, 20), ("a.txt", 10, 20)], 1) == (0.0, 0.0)
    assert score_query(gold, [], 4) == (0.0, 0.0)
    assert percentile([5.0, 1.0, 3.0, 2.0], 0.5) == 2.0 and percentile([5.0, 1.0, 3.0, 2.0], 0.95) == 5.0


def test_eval_on_a_tiny_benchmark(tmp_path: Path, database_url: str, models_cache: Path, embedder: Embedder) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        embedding={"cache_dir": models_cache},  # type: ignore[arg-type]
        chunking=ChunkingSettings(chunk_tokens=128, overlap_tokens=16),
    )
    report = evaluate(settings, TINY, QUERY_FILES, embedder=embedder)
    assert (report.documents, report.chunks, report.queries) == (3, 3, {"ndas": 2, "mergers": 1})
    for name, expected in HAND_CHECKED.items():
        row = report.table[name]
        for k in KS:
            assert row[f"R@{k}"] == pytest.approx(100.0)
            assert row[f"P@{k}"] == pytest.approx(100 * expected[min(k, 4)])
    assert report.table["ALL"]["P@1"] == pytest.approx((100 * HAND_CHECKED["ndas"][1] + 100 * 115 / 240) / 2)
    assert len(report.latency_ms) == 3 and 0 < report.p50_ms <= report.p95_ms

    again = evaluate(settings, TINY, QUERY_FILES, embedder=embedder)  # the re-run skips unchanged files
    assert again.table == report.table and again.ingest_seconds < 5


def test_cli_eval_writes_json(tmp_path: Path, models_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCQA_DATA_DIR", str(tmp_path / "unused"))
    monkeypatch.setenv("DOCQA_EMBEDDING__CACHE_DIR", str(models_cache))
    monkeypatch.setenv("DOCQA_OCR__ENABLED", "false")
    out = tmp_path / "eval.json"
    result = CliRunner().invoke(app, ["eval", str(TINY), *map(str, QUERY_FILES), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "| ALL |" in result.stdout and "search latency: p50" in result.stdout
    written = json.loads(out.read_text())
    assert written["table"]["mergers"]["P@1"] == pytest.approx(100 * 115 / 240, abs=0.01)
    assert written["documents"] == 3 and written["search_p50_ms"] > 0
    assert not (tmp_path / "unused").exists(), "the default scratch folder is temporary, not the data folder"

    missing = CliRunner().invoke(app, ["eval", str(tmp_path), str(out)])
    assert missing.exit_code == 2 and "no corpus/ folder" in " ".join(missing.stderr.split())


def test_bad_query_file_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"tests": [{"query": "q"}]}')
    with pytest.raises(InvalidInput, match=r"broken\.json: not a LegalBench-RAG query file"):
        load_queries(broken)
