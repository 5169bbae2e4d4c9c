"""``/v1/ask`` in extractive mode over HTTP, one question at a time, on the court-filings collection.

    .venv/bin/python tests/benchmarks/ask_latency.py [--data-dir D] [--collection C] [--rounds 3]

Target (issue #15): p50 <= 150 ms.

1. ``docqa ingest`` of the documents folder (default ../shared/data/court-filings) into collection C of
   data folder D (default .cache/bench-court, collection court: what ``court_retrieval.py`` ingests, so
   one ingest serves both; a folder ingested before costs a ``stat`` per file).
2. ``docqa serve`` (one worker, ``DOCQA_LLM__BACKEND=extractive``), a warm-up round of every question
   of the question file (default ../shared/data/court-qa-dev/questions.json, answerable or not), then
   ``--rounds`` rounds, each question POSTed to ``/v1/ask`` alone.
3. Prints the CPU and load average first, then p50 / p95 / max of the client's wall time and of the
   server's own ``timings`` (``retrieve_ms``, ``generate_ms``: the extractive answer, citations and
   refusal checks), and the slowest questions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

import httpx
from serving import REPO, cpu_description, docqa, environment, served

from service.engine.evaluation.retrieval import percentile

SHARED = REPO.parent / "shared" / "data"
TIMINGS = ("retrieve_ms", "generate_ms")
SLOWEST = 5


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=Path, default=SHARED / "court-filings")
    parser.add_argument("--questions", type=Path, default=SHARED / "court-qa-dev" / "questions.json")
    parser.add_argument("--data-dir", type=Path, default=REPO / ".cache" / "bench-court", help="kept between runs")
    parser.add_argument("--collection", default="court")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    print(f"{os.cpu_count()} cores ({cpu_description()}), {load()}, {time.strftime('%Y-%m-%d %H:%M')}")
    env = {**environment(args.data_dir), "DOCQA_LLM__BACKEND": "extractive"}
    subprocess.run(
        docqa("ingest", str(args.documents), "-c", args.collection, "--json"),
        env=env,
        cwd=REPO,
        capture_output=True,
        check=True,
    )
    questions = [entry["question"] for entry in json.loads(args.questions.read_text(encoding="utf-8"))]

    wall: list[float] = []
    server: dict[str, list[float]] = {name: [] for name in TIMINGS}
    per_question: dict[str, list[float]] = {question: [] for question in questions}
    with served(env) as base, httpx.Client(base_url=base, timeout=60) as client:
        for round_number in range(args.rounds + 1):
            for question in questions:
                started = time.perf_counter()
                response = client.post("/v1/ask", json={"question": question, "collection": args.collection})
                elapsed = 1000 * (time.perf_counter() - started)
                response.raise_for_status()
                body = response.json()
                if body["mode"] != "extractive":
                    raise SystemExit(f"the server answered in {body['mode']} mode, not extractive")
                if round_number == 0:
                    continue  # warm-up: first loads of the indexes and of the answerer's models
                wall.append(elapsed)
                per_question[question].append(elapsed)
                for name in TIMINGS:
                    server[name].append(body["timings"][name])

    print(f"/v1/ask, extractive, {len(questions)} questions x {args.rounds} rounds, one at a time; {load()}")
    print("| ms | p50 | p95 | max |\n|---|---|---|---|")
    for name, values in {"wall time (client)": wall, **server}.items():
        print(f"| {name} | {percentile(values, 0.5):.1f} | {percentile(values, 0.95):.1f} | {max(values):.1f} |")
    slowest = sorted(per_question.items(), key=lambda item: -percentile(item[1], 0.5))[:SLOWEST]
    print(f"\nslowest questions (p50 of their {args.rounds} rounds, ms):")
    for question, values in slowest:
        print(f"{percentile(values, 0.5):7.1f}  {question}")


if __name__ == "__main__":
    main()
