"""``/v1/search`` over HTTP on a ~30k-chunk collection, beside the peer's ``similarity_search``.

    .venv/bin/python tests/benchmarks/search_latency.py ../shared/data/legalbench-rag-dev

1. Ingests BENCH/corpus once into a persistent data folder (.cache/bench-search; re-runs cost nothing).
2. Starts ``docqa serve --workers N`` on a free port (N from ``--workers``, default 1 then 2 worker
   processes) and measures single-client latency (p50/p95) over distinct benchmark queries, with a
   Python client and with Debian's ``wrk`` on one connection (a C client, whose own overhead stays out
   of the figures), then throughput with 16 concurrent connections (``wrk``; without it 16 Python
   threads, which also spend CPU on this 2-core machine).
3. Runs the peer's LangChain ``FAISS.similarity_search`` in its own virtualenv over the SAME chunk
   texts and vectors (exported from docqa, so the peer does not spend 20 minutes re-embedding),
   with its HuggingFace query embedding, and reports its in-process latency.

The server, its environment and the CPU's description come from ``serving.py`` (shared with
``ask_latency.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import serving
from serving import REPO, cpu_description, docqa, served

from service.engine.evaluation.retrieval import percentile

DATA = REPO / ".cache" / "bench-search"
COLLECTION = "lbrag"
"""Defaults of --data-dir and --collection (a ``docqa eval --data-dir D`` folder can be reused: collection eval)."""
WARM_UP_S = 5
"""Seconds of 16-connection load before anything is timed, so every worker has loaded the collection."""

PEER_SCRIPT = r"""
import json, sys, time, numpy as np
from pathlib import Path
from langchain_community.vectorstores import FAISS
sys.path.insert(0, sys.argv[1])
from langchain_rag import embeddings
folder = Path(sys.argv[2])
texts = json.loads((folder / "texts.json").read_text())
vectors = np.load(folder / "vectors.npy")
queries = json.loads((folder / "queries.json").read_text())
store = FAISS.from_embeddings(list(zip(texts, vectors.tolist())), embeddings())
for q in queries[:20]:
    store.similarity_search(q, k=8)
lat = []
for q in queries:
    t = time.perf_counter(); store.similarity_search(q, k=8); lat.append(1000 * (time.perf_counter() - t))
lat.sort()
print(json.dumps({"n": len(lat), "p50_ms": lat[len(lat) // 2], "p95_ms": lat[int(0.95 * len(lat))]}))
"""


def environment(data: Path) -> dict[str, str]:
    return {
        **serving.environment(data),
        "DOCQA_OCR__ENABLED": "false",
        # 128-token chunks make the dev split's corpus the ~30k-chunk collection the target names
        # (31,145 chunks; the 192-token default gives 19,454). Set them to measure another size.
        "DOCQA_CHUNKING__CHUNK_TOKENS": os.environ.get("DOCQA_CHUNKING__CHUNK_TOKENS", "128"),
        "DOCQA_CHUNKING__OVERLAP_TOKENS": os.environ.get("DOCQA_CHUNKING__OVERLAP_TOKENS", "16"),
        "DOCQA_CHUNKING__SECTIONS": os.environ.get("DOCQA_CHUNKING__SECTIONS", "false"),
    }


def queries_of(bench: Path) -> list[str]:
    found: list[str] = []
    for path in sorted(bench.glob("*.json")):
        found += [test["query"] for test in json.loads(path.read_text())["tests"]]
    return found


def single_client(base: str, queries: list[str], collection: str) -> list[float]:
    latencies = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for query in queries[:20]:
            client.post("/v1/search", json={"query": query, "collection": collection, "k": 8}).raise_for_status()
        for query in queries:
            started = time.perf_counter()
            client.post("/v1/search", json={"query": query, "collection": collection, "k": 8}).raise_for_status()
            latencies.append(1000 * (time.perf_counter() - started))
    return latencies


def wrk(base: str, queries: list[str], collection: str, connections: int, seconds: int) -> dict[str, float]:
    """Debian's ``wrk`` (a C client, so client overhead stays out of the figures) cycling through the
    queries on ``connections`` connections: requests/s, p50 and p95 latency in ms."""
    bodies = [json.dumps({"query": q, "collection": collection, "k": 8}) for q in queries]
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "search.lua"
        lua_bodies = ",\n".join(json.dumps(body) for body in bodies)
        script.write_text(
            "local bodies = {\n" + lua_bodies + "\n}\nlocal i = 0\n"
            'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            "request = function()\n  i = i % #bodies + 1\n"
            '  return wrk.format(nil, "/v1/search", nil, bodies[i])\nend\n'
            "done = function(summary, latency, requests)\n"
            '  io.write(string.format("FIGURES %f %f %f %d\\n", summary.requests / (summary.duration / 1e6), '
            "latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.errors.status))\nend\n"
        )
        threads = min(2, connections)
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", str(script), base],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    for line in out.splitlines():
        if line.startswith("FIGURES "):
            rate, p50, p95, errors = line.split()[1:]
            if int(errors):
                raise RuntimeError(f"{errors} requests failed:\n{out}")
            return {"rate": float(rate), "p50": float(p50), "p95": float(p95)}
    raise RuntimeError(out)


def throughput_threads(base: str, queries: list[str], collection: str, seconds: int) -> float:
    done = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client_loop(offset: int) -> None:
        nonlocal done
        with httpx.Client(base_url=base, timeout=30) as client:
            i = offset
            while time.monotonic() < deadline:
                body = {"query": queries[i % len(queries)], "collection": collection, "k": 8}
                client.post("/v1/search", json=body).raise_for_status()
                i += 16
                with lock:
                    done += 1

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done / seconds


Figures = dict[str, float]


def measure(
    env: dict[str, str], queries: list[str], args: argparse.Namespace, workers: int
) -> tuple[Figures, Figures | None, float]:
    """Serve with ``workers`` processes: single-client latency (httpx, and wrk on one connection), and
    requests/s with 16 connections."""
    with served(env, workers) as base:
        # Every worker loads the collection (index files, BM25 matrices) on its first search: 16 connections at
        # once for a few seconds reach them all before anything is timed.
        if shutil.which("wrk"):
            wrk(base, queries, args.collection, 16, WARM_UP_S)
        else:
            throughput_threads(base, queries, args.collection, WARM_UP_S)
        latencies = single_client(base, queries, args.collection)
        one = {"p50": statistics.median(latencies), "p95": percentile(latencies, 0.95)}
        if shutil.which("wrk"):
            wrk_one = wrk(base, queries, args.collection, 1, args.seconds)
            rate = wrk(base, queries, args.collection, 16, args.seconds)["rate"]
        else:
            wrk_one, rate = None, throughput_threads(base, queries, args.collection, args.seconds)
    return one, wrk_one, rate


def export_for_peer(folder: Path, queries: list[str], data: Path, collection: str) -> None:
    sys.path.insert(0, str(REPO))
    from service.backends.sql.store import SqlDocumentStore, make_engine
    from service.core.settings import Settings

    settings = Settings(data_dir=data)
    store = SqlDocumentStore(make_engine(settings.resolved_database_url))
    ids = sorted(store.chunk_ids(collection))
    chunks = store.chunks(ids)
    found, vectors = store.vectors(ids, 384)
    (folder / "texts.json").write_text(json.dumps([chunks[i].text for i in found]))
    np.save(folder / "vectors.npy", vectors)
    (folder / "queries.json").write_text(json.dumps(queries))
    store.engine.dispose()


def embedding_floor(env: dict[str, str], queries: list[str]) -> float:
    """CPU milliseconds of one query's embedding, on one thread, in process: what a worker spends per search
    before anything else, so ``cores * 1000 / floor`` bounds the throughput any server of this model reaches."""
    sys.path.insert(0, str(REPO))
    from service.components import build_embedder
    from service.core.settings import Settings

    settings = Settings(data_dir=Path(env["DOCQA_DATA_DIR"]))
    embedder = build_embedder(
        settings.embedding.model_copy(update={"threads": 1}), Path(env["DOCQA_EMBEDDING__CACHE_DIR"])
    )
    for query in queries[:20]:
        embedder.embed_query(query)
    started = time.process_time()
    for query in queries:
        embedder.embed_query(query)
    return 1000 * (time.process_time() - started) / len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bench", type=Path, help="a LegalBench-RAG folder (corpus/ and query files)")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--peer-python", default=str(REPO / ".cache" / "peer-venv" / "bin" / "python"))
    parser.add_argument("--peer-dir", type=Path, default=REPO.parent / "shared" / "peers")
    parser.add_argument("--data-dir", type=Path, default=DATA, help="docqa data folder (kept between runs)")
    parser.add_argument("--collection", default=COLLECTION)
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="server worker processes to measure (one run each)"
    )
    args = parser.parse_args()

    env = environment(args.data_dir)
    subprocess.run(
        docqa("ingest", str(args.bench / "corpus"), "-c", args.collection, "--json"),
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    queries = queries_of(args.bench)
    random.Random(7).shuffle(queries)
    queries = queries[: args.queries]

    measured = {workers: measure(env, queries, args, workers) for workers in args.workers}
    floor = embedding_floor(env, queries)
    with tempfile.TemporaryDirectory() as scratch:
        export_for_peer(Path(scratch), queries, args.data_dir, args.collection)
        chunk_count = len(json.loads((Path(scratch) / "texts.json").read_text()))
        peer = subprocess.run(
            [args.peer_python, "-c", PEER_SCRIPT, str(args.peer_dir), scratch], capture_output=True, text=True, env=env
        )
        peer_figures = json.loads(peer.stdout.strip().splitlines()[-1]) if peer.returncode == 0 else None
        if peer_figures is None:
            print(peer.stderr[-2000:])

    print(
        f"\n/v1/search on {chunk_count} chunks ({args.collection}), {len(queries)} distinct queries, k=8, "
        f"{os.cpu_count()} cores ({cpu_description()}), {time.strftime('%Y-%m-%d %H:%M')}"
    )
    print(
        f"Query embedding alone, one thread: {floor:.2f} ms of CPU per query, so at most "
        f"{(os.cpu_count() or 1) * 1000 / floor:.0f} req/s on {os.cpu_count()} cores before any other work."
    )
    print("| | p50 ms | p95 ms | throughput, 16 clients |")
    print("|---|---|---|---|")
    for workers, (one, wrk_one, rate) in measured.items():
        server = f"docqa over HTTP, {workers} worker process{'es' if workers > 1 else ''}"
        if wrk_one:
            print(f"| {server}, wrk, 1 connection | {wrk_one['p50']:.2f} | {wrk_one['p95']:.2f} | {rate:.0f} req/s |")
        threads_rate = "" if wrk_one else f" {rate:.0f} req/s"
        print(f"| {server}, Python httpx client | {one['p50']:.2f} | {one['p95']:.2f} |{threads_rate} |")
    if peer_figures:
        print(f"| peer similarity_search, in-process | {peer_figures['p50_ms']:.2f} | {peer_figures['p95_ms']:.2f} | |")


if __name__ == "__main__":
    main()
