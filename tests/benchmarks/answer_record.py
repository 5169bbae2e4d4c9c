"""What keeping an answer for feedback costs each ask: ``AnswersService.record`` (the ``answers`` row with its
retrieved passages, then the audit row) against the audit row alone, which is all an ask wrote before.

    PYTHONPATH=. .venv/bin/python tests/benchmarks/answer_record.py [--documents D] [--asks N] [--k K]

Ingests the court filings without OCR into a scratch SQLite store (kept between runs), answers one question
(extractive) to get a real result with ``k`` retrieved chunks, then records it ``--asks`` times each way,
alternating so that load on a shared machine falls on both alike. Prints the medians and their difference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from service.components import Components
from service.core.access import OPEN
from service.core.settings import OcrSettings, Settings
from service.engine.evaluation.retrieval import evaluation_settings

REPO = Path(__file__).resolve().parents[2]
QUESTION = "Did the court require a bond when it granted Experian's preliminary injunction in ConsumerInfo.com v. Leon?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=Path, default=REPO.parent / "shared" / "data" / "court-filings")
    parser.add_argument("--data-dir", type=Path, default=REPO / ".cache" / "bench-answer-record")
    parser.add_argument("--asks", type=int, default=200)
    parser.add_argument("--k", type=int, default=8)
    args = parser.parse_args()

    settings = evaluation_settings(Settings(ocr=OcrSettings(enabled=False)), args.data_dir)
    parts = Components(settings)
    try:
        parts.pipeline("court").ingest([args.documents])
        result = parts.qa.ask(QUESTION, "court", args.k)
        audit, answers = parts.audit, parts.answers
        audit_only: list[float] = []
        kept: list[float] = []
        for _ in range(args.asks):
            started = time.perf_counter()
            audit.answer(OPEN, "ask", result)
            audit_only.append(1000 * (time.perf_counter() - started))
            started = time.perf_counter()
            answers.record(OPEN, "ask", result)
            kept.append(1000 * (time.perf_counter() - started))
    finally:
        parts.close()
    text = sum(len(hit.text) for hit in result.retrieved)
    before, after = statistics.median(audit_only), statistics.median(kept)
    print(f"{len(result.retrieved)} retrieved chunks ({text} characters), {args.asks} records each way, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")  # fmt: skip
    print("| recorded | median | p90 |\n|---|---|---|")
    for name, times in (("audit row only (before)", audit_only), ("answers row + audit row (now)", kept)):
        print(f"| {name} | {statistics.median(times):.2f} ms | {statistics.quantiles(times, n=10)[-1]:.2f} ms |")
    print(f"\nadded per ask: {after - before:.2f} ms (median), {after / before:.2f}x the audit row alone")


if __name__ == "__main__":
    main()
