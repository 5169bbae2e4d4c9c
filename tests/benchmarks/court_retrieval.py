"""Court filings: is an evidence page among the first 1, 5 and 8 hits of each answerable question?

    PYTHONPATH=. .venv/bin/python tests/benchmarks/court_retrieval.py [--data-dir D] [--json OUT]

Ingests the documents folder (default ../shared/data/court-filings) into a scratch data folder with the
configured settings (``evaluation_settings``: SQLite there; a re-run with the same ``--data-dir`` skips
unchanged files), runs every answerable question of the question file (default
../shared/data/court-qa-dev/questions.json) through ``Retriever.search(question, collection, 8)``, the
code behind ``/v1/search`` and ``/v1/ask``, and prints per question the rank of the first hit on an
evidence page (a hit covers its pages ``page_start..page_end``), then how many questions have one in
the top 1, 5 and 8.

To measure another checkout (an older commit's worktree), point PYTHONPATH at it and give it its own
``--data-dir``. The question file is read as plain JSON, not through ``service.engine.evaluation.question_file``, so
that checkouts older than that module run this script too.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import service
from service.components import Components
from service.core.domain import SearchHit
from service.core.settings import Settings
from service.engine.evaluation.retrieval import evaluation_settings

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
CUTOFFS = (1, 5, 8)
COLLECTION = "court"


def first_evidence_rank(hits: list[SearchHit], evidence: list[dict[str, Any]]) -> int | None:
    """The 1-based rank of the first hit whose pages include an evidence (file, page), or ``None``."""
    for rank, hit in enumerate(hits, 1):
        if any(hit.source == item["file"] and hit.page_start <= item["page"] <= hit.page_end for item in evidence):
            return rank
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=Path, default=SHARED / "court-filings")
    parser.add_argument("--questions", type=Path, default=SHARED / "court-qa-dev" / "questions.json")
    parser.add_argument("--data-dir", type=Path, default=REPO / ".cache" / "bench-court", help="kept between runs")
    parser.add_argument("--json", type=Path, help="also write each question's rank here")
    args = parser.parse_args()

    questions = [q for q in json.loads(args.questions.read_text(encoding="utf-8")) if q["answerable"]]
    settings = evaluation_settings(Settings(), args.data_dir)
    parts = Components(settings)
    try:
        summary = parts.pipeline(COLLECTION).ingest([args.documents], prune=True)
        failed = [str(result.error) for result in summary.files if result.outcome == "failed"]
        chunks = len(parts.store.chunk_ids(COLLECTION))
        parts.retriever.search(questions[0]["question"], COLLECTION, max(CUTOFFS))  # warm-up: index loads
        ranks: dict[str, int | None] = {}
        started = time.perf_counter()
        print("| id | kind | first evidence hit | top hit |\n|---|---|---|---|")
        for question in questions:
            hits = parts.retriever.search(question["question"], COLLECTION, max(CUTOFFS))
            rank = ranks[question["id"]] = first_evidence_rank(hits, question["evidence"])
            top = f"{hits[0].source} p.{hits[0].page_start}" if hits else "none"
            print(f"| {question['id']} | {question['kind']} | {rank or '-'} | {top} |")
        seconds = time.perf_counter() - started
    finally:
        parts.close()

    counts = {k: sum(rank is not None and rank <= k for rank in ranks.values()) for k in CUTOFFS}
    print(
        f"\ncode {Path(service.__file__).parent.parent}, {chunks} chunks in {args.data_dir} (OCR "
        f"{'on' if settings.ocr.enabled else 'off'}), {len(questions)} answerable questions, "
        f"{1000 * seconds / len(questions):.0f} ms a search; {os.cpu_count()} cores"
    )
    for problem in failed:
        print(f"not ingested: {problem}")
    print("| evidence page in | " + " | ".join(f"top {k}" for k in CUTOFFS) + " |")
    print("|---" * (len(CUTOFFS) + 1) + "|")
    print(
        "| questions | " + " | ".join(f"{counts[k]} ({100 * counts[k] / len(questions):.1f} %)" for k in CUTOFFS) + " |"
    )
    if args.json:
        args.json.write_text(json.dumps({"ranks": ranks, "counts": counts, "chunks": chunks}, indent=1))


if __name__ == "__main__":
    main()
