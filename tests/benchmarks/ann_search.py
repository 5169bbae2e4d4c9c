"""Approximate (IVF) against exact FAISS search at 1 M vectors: latency, recall@10, build time and memory.

    PYTHONPATH=. .venv/bin/python tests/benchmarks/ann_search.py ../shared/data/legalbench-rag-dev

The vectors: REAL chunk embeddings, repeated with noise. The legalbench-rag-dev corpus is chunked by docqa's
``Chunker`` and embedded by docqa's shipped embedder (``--real`` chunks chosen at random, cached in
``.cache/bench-ann``); each of the 1 M vectors is one of them plus Gaussian noise of norm ``--noise`` (0.5:
a copy keeps a cosine of about 0.89 to its source), normalised again. Queries are the benchmark's real
questions (contractnli and maud), embedded as queries. Ground truth is exact search over the same vectors.

Both indexes are docqa's own ``FaissIndex`` (exact: ``IndexFlatIP``; ``ivf``: trained by ``FaissIndex`` itself,
once per ``--storage``: ``float32``, an ``IndexIVFFlat``, and ``float16``, the default, an
``IndexIVFScalarQuantizer``; both are trained on the same sample, so they have the same lists), timed one query
at a time with FAISS on ONE thread (``faiss.omp_set_num_threads(1)``, as the service runs it). Filtered
searches pass ``allowed_ids`` (10 % of the ids, or 1 %, chosen at random) as an int64 array; converting a
Python list of them, as the retriever hands them over, costs the same on both sides and is printed apart. Each
line also prints the wall and the CPU time of the searching thread, and how many vectors were scored, which does
not depend on the machine's load. The trained IVF indexes are saved in the cache folder (a subfolder per
storage) and reused by later runs (``--fresh`` retrains). Then a crossover at smaller sizes (``--sizes``) shows
where exact search gets slower than ivf at recall@10 0.99. ``--incremental`` instead adds the vectors block by
block with the default settings, as an ingest would, and reports what the retraining costs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt

from service.backends import faiss_layout
from service.backends.faiss_index import DIRECT_FRACTION, FaissIndex, IndexManifest
from service.backends.faiss_layout import Storage, list_count
from service.core.seams import VectorIndex
from service.core.settings import IndexSettings
from service.engine.evaluation.retrieval import percentile

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache" / "bench-ann"
Matrix = npt.NDArray[np.float32]
Ids = npt.NDArray[np.int64]
K = 10
BLOCK = 65_536
IVF_STATS = faiss.cvar.indexIVF_stats  # type: ignore[attr-defined]  # FAISS's global counters, not in the stub
DEFAULT_ROOT = faiss_layout.FILTER_ROOT
ROOTS = {2: "nprobe x (1/share)^1/2", 4: "nprobe x (1/share)^1/4"}
"""How a filtered search's lists grow (``faiss_layout.FILTER_ROOT``): 2 before 2026-12-03's second session, 4 since."""
MANIFEST = IndexManifest(embedder="bench", dimension=384, chunk_tokens=0, overlap_tokens=0)


def real_vectors(bench: Path, limit: int) -> tuple[Matrix, Matrix]:
    """``(chunk vectors, query vectors)`` of the benchmark corpus, embedded once and cached."""
    cached = CACHE / f"real-{limit}.npz"
    if cached.exists():
        saved = np.load(cached)
        return saved["chunks"], saved["queries"]
    from service.components import Components
    from service.core.domain import ParsedDocument, ParsedPage
    from service.core.settings import Settings

    parts = Components(Settings(data_dir=CACHE / "data"))
    texts: list[str] = []
    for path in sorted((bench / "corpus").rglob("*.txt")):
        parsed = ParsedDocument("text/plain", (ParsedPage(1, path.read_text(encoding="utf-8")),), title=path.stem)
        texts.extend(draft.text for draft in parts.chunker.chunk(parsed))
    rng = np.random.default_rng(0)
    chosen = sorted(rng.choice(len(texts), size=min(limit, len(texts)), replace=False).tolist())
    started = time.perf_counter()
    chunks = np.asarray(parts.embedder.embed_documents([texts[i] for i in chosen]), dtype=np.float32)
    questions = [
        test["query"]
        for name in ("contractnli_dev.json", "maud_dev.json")
        for test in json.loads((bench / name).read_text())["tests"]
    ]
    queries = np.vstack([parts.embedder.embed_query(question) for question in questions]).astype(np.float32)
    print(
        f"embedded {len(chosen)} of {len(texts)} chunks and {len(questions)} queries "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(cached, chunks=chunks, queries=queries)
    return chunks, queries


def noisy_copies(real: Matrix, count: int, noise: float, start: int = 0) -> Iterator[tuple[Ids, Matrix]]:
    """Vectors ``start`` to ``count`` of the synthetic collection, in blocks: each is a real chunk vector plus
    Gaussian noise of norm about ``noise``, normalised. Block ``b`` is the same in every run (seeded by ``b``)."""
    dimension = real.shape[1]
    for first in range(start - start % BLOCK, count, BLOCK):
        size = min(BLOCK, count - first)
        rng = np.random.default_rng(first // BLOCK + 1)
        rows = real[rng.integers(0, len(real), size=size)] + rng.normal(
            scale=noise / math.sqrt(dimension), size=(size, dimension)
        ).astype(np.float32)
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        ids = np.arange(first, first + size, dtype=np.int64)
        keep = ids >= start
        yield ids[keep], np.ascontiguousarray(rows[keep])


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def rss_mib() -> float:
    """This process's resident memory now, MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


CPU_MS: list[float] = []
"""CPU milliseconds of each query of the last ``timed`` run (this thread's: FAISS runs on it, single-threaded),
which waiting for a busy core does not inflate as it does wall time."""


def timed(index: VectorIndex, queries: Matrix, allowed: Ids | None) -> tuple[list[float], list[list[int]]]:
    """Wall milliseconds per query, one at a time (CPU milliseconds in ``CPU_MS``), and each query's top ``K``."""
    latencies, found = [], []
    CPU_MS.clear()
    IVF_STATS.reset()
    for query in queries:
        started, cpu_started = time.perf_counter(), time.thread_time()
        hits = index.search(query[None, :], K, allowed_ids=allowed)  # type: ignore[arg-type]  # an int64 array
        latencies.append((time.perf_counter() - started) * 1000)
        CPU_MS.append((time.thread_time() - cpu_started) * 1000)
        found.append([chunk_id for chunk_id, _ in hits])
    return latencies, found


def work(index: VectorIndex, queries: int, allowed: Ids | None) -> str:
    """What the last ``timed`` run did per query, in counts that do not depend on the machine's load: vectors
    scored (an ivf search's are FAISS's own count: those of the probed lists that pass the filter; a filtered
    exact scan scores the allowed ones), or allowed vectors gathered by id and scored directly."""
    scored = IVF_STATS.ndis / queries
    if scored:
        return f"scores  {int(scored):>9,}"
    if allowed is not None and len(allowed) * DIRECT_FRACTION <= index.count:  # (an ivf search that scored
        return f"gathers {len(allowed):>9,}"  # nothing gathered too)
    return f"scores  {index.count if allowed is None else len(allowed):>9,}"


def recall(truth: list[list[int]], found: list[list[int]]) -> float:
    """Mean share of the exact top ``K`` that a search found."""
    return sum(len(set(a) & set(b)) / max(1, len(a)) for a, b in zip(truth, found, strict=True)) / len(truth)


def line(label: str, latencies: list[float], hit_rate: float | None, done: str) -> str:
    shown = "1.000 (exact)" if hit_rate is None else f"{hit_rate:.3f}"
    return (
        f"  {label:<42} p50 {percentile(latencies, 0.5):7.2f} ms  p90 {percentile(latencies, 0.9):7.2f} ms"
        f"  CPU p50 {percentile(CPU_MS, 0.5):7.2f} ms  {done}  recall@{K} {shown}"
    )


def filters(count: int, shares: Sequence[float]) -> dict[str, Ids | None]:
    """No filter, and random allowed ids making up each of ``shares`` of the collection (sorted, as the
    retriever hands them over)."""
    rng = np.random.default_rng(7)
    chosen: dict[str, Ids | None] = {"no filter": None}
    for share in shares:
        chosen[f"filter {share:.0%} of ids"] = np.sort(rng.choice(count, size=int(count * share), replace=False))
    return chosen


def exact_side(
    folder: Path, real: Matrix, args: argparse.Namespace, queries: Matrix, allowed: dict[str, Ids | None]
) -> dict[str, list[list[int]]]:
    """Build the exact index, time it, save it (the IVF side is built from that file), return the ground truth."""
    before = rss_mib()
    started = time.perf_counter()
    exact = FaissIndex(folder, "bench", MANIFEST, IndexSettings(kind="exact"))
    for block_ids, rows in noisy_copies(real, args.vectors, args.noise):
        exact.add(block_ids.tolist(), rows)
    built = time.perf_counter() - started
    print(f"exact: {exact.count:,} vectors added in {built:.1f} s, +{rss_mib() - before:,.0f} MiB resident")
    truth = {}
    for label, ids in allowed.items():
        latencies, truth[label] = timed(exact, queries, ids)
        print(line(label, latencies, None, work(exact, len(queries), ids)), flush=True)
    exact.save()
    return truth


def ivf_side(
    folder: Path,
    storage: Storage,
    args: argparse.Namespace,
    queries: Matrix,
    allowed: dict[str, Ids | None],
    truth: dict[str, list[list[int]]],
) -> None:
    """Load the saved exact index as ``ivf`` storing ``storage`` (trained then, in a subfolder of its own, or
    reused from an earlier run), and time it per nprobe."""
    before = rss_mib()
    own = folder / storage
    manifest_path = own / "bench.manifest.json"
    if not manifest_path.exists():  # a link to the exact file: saving the ivf one replaces the link, not the file
        own.mkdir()
        os.link(folder / "bench.faiss", own / "bench.faiss")
        shutil.copyfile(folder / "bench.manifest.json", manifest_path)
    trains = json.loads(manifest_path.read_text())["kind"] == "exact"
    layout = IndexSettings(kind="ivf", nprobe=args.nprobe[0], ivf_storage=storage)
    started = time.perf_counter()
    approximate = FaissIndex(own, "bench", MANIFEST, layout)
    took = time.perf_counter() - started
    label = f"ivf {storage}"
    if trains:  # the exact file was read and rebuilt as ivf (trained, filled): save it for the next run
        approximate.save()
        print(f"{label}: read the exact file, trained and filled in {took:.1f} s; peak RSS {peak_mib():,.0f} MiB")
    else:
        print(f"{label}: read the trained index in {took:.1f} s")
    manifest = json.loads(manifest_path.read_text())
    print(
        f"{label}: nlist {manifest['nlist']}, trained at {manifest['trained_at']:,} vectors, "
        f"+{rss_mib() - before:,.0f} MiB resident, file {(own / 'bench.faiss').stat().st_size / 2**20:,.0f} MiB"
    )
    for nprobe in args.nprobe:
        approximate.layout = IndexSettings(kind="ivf", nprobe=nprobe, ivf_storage=storage)
        print(f" {label}, nprobe {nprobe}:")
        for label_, ids in allowed.items():
            for root in [DEFAULT_ROOT] if ids is None else args.filter_roots:
                faiss_layout.FILTER_ROOT = root
                latencies, found = timed(approximate, queries, ids)
                done = work(approximate, len(queries), ids)
                shown = label_ if ids is None else f"{label_}, {ROOTS.get(root, f'root {root}')}"
                print(line(shown, latencies, recall(truth[label_], found), done), flush=True)
        faiss_layout.FILTER_ROOT = DEFAULT_ROOT


def incremental(real: Matrix, args: argparse.Namespace) -> None:
    """The ingest path: vectors added block by block with the default settings (``auto``), so the index turns
    ivf at ``ivf_from`` and is retrained each time the collection doubles; what keeping it trained costs."""
    started, rebuilds = time.perf_counter(), []
    with tempfile.TemporaryDirectory() as folder:
        index = FaissIndex(Path(folder), "grow", MANIFEST, IndexSettings())
        for ids, rows in noisy_copies(real, args.vectors, args.noise):
            trained_before, block_started = index.trained_at, time.perf_counter()
            index.add(ids.tolist(), rows)
            if index.trained_at != trained_before:
                rebuilds.append(f"{index.trained_at:,} in {time.perf_counter() - block_started:.1f} s")
        print(
            f"incremental, auto: {index.count:,} vectors added in blocks of {BLOCK:,} in "
            f"{time.perf_counter() - started:.1f} s, (re)trained at {'; '.join(rebuilds)}; "
            f"peak RSS {peak_mib():,.0f} MiB",
            flush=True,
        )


def list_cost(allowed: dict[str, Ids | None]) -> None:
    """What the retriever's sorted Python list of allowed ids costs to turn into an array (both sides pay it)."""
    for label, ids in allowed.items():
        if ids is None:
            continue
        as_list = ids.tolist()
        started = time.perf_counter()
        np.asarray(as_list, dtype=np.int64)
        print(f"  {label}: converting the Python list costs {(time.perf_counter() - started) * 1000:.2f} ms more")


def crossover(real: Matrix, args: argparse.Namespace, queries: Matrix) -> None:
    """Exact against ivf at smaller sizes, ivf at the default nprobe and at the least nprobe (of 8 to 256) whose
    recall@10 reaches 0.99: where exact search gets slower than the approximate one at (nearly) equal recall."""
    default = IndexSettings().nprobe
    print(f"\ncrossover (no filter, {len(queries)} queries; ivf at nprobe {default}, and at the least reaching 0.99):")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            exact = FaissIndex(Path(folder), "s", MANIFEST, IndexSettings(kind="exact"))
            for ids, rows in noisy_copies(real, size, args.noise):
                exact.add(ids.tolist(), rows)
            exact_ms, truth = timed(exact, queries, None)
            exact_cpu = percentile(CPU_MS, 0.5)
            started = time.perf_counter()
            exact.save()
            approximate = FaissIndex(Path(folder), "s", MANIFEST, IndexSettings(kind="ivf"))
            trained = time.perf_counter() - started
            del exact
            measured = {}
            for nprobe in sorted({default, 8, 16, 32, 64, 128, 256}):
                approximate.layout = IndexSettings(kind="ivf", nprobe=nprobe)
                ivf_ms, found = timed(approximate, queries, None)
                measured[nprobe] = (percentile(ivf_ms, 0.5), percentile(CPU_MS, 0.5), recall(truth, found))
                if nprobe >= default and measured[nprobe][2] >= 0.99:
                    break
            enough = min((n for n, (_, _, hit) in measured.items() if hit >= 0.99), default=max(measured))
            print(
                f"  {size:>7,} vectors: exact p50 {percentile(exact_ms, 0.5):6.2f} ms (CPU {exact_cpu:6.2f}); "
                f"ivf (nlist {list_count(size)}, saved, read and trained in {trained:.2f} s) "
                + "; ".join(
                    f"nprobe {n}: p50 {measured[n][0]:5.2f} ms (CPU {measured[n][1]:5.2f}) "
                    f"recall@{K} {measured[n][2]:.3f}"
                    for n in sorted({default, enough})
                ),
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("bench", type=Path, help="the legalbench-rag-dev folder")
    parser.add_argument("--real", type=int, default=8000, help="real chunks embedded (cached)")
    parser.add_argument("--vectors", type=int, default=1_000_000, help="0: only the crossover at --sizes")
    parser.add_argument("--noise", type=float, default=0.5, help="norm of the noise added to a real vector")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--nprobe", type=int, nargs="+", default=[8, 16, 32])
    parser.add_argument(
        "--storage", nargs="+", choices=["float32", "float16"], default=["float32", "float16"], help="ivf vectors"
    )
    parser.add_argument(
        "--filter-roots", type=int, nargs="+", default=[DEFAULT_ROOT], help="filtered: nprobe x (1/share)^(1/root)"
    )
    parser.add_argument("--shares", type=float, nargs="*", default=[0.1, 0.01], help="filters: shares of ids")
    parser.add_argument("--sizes", type=int, nargs="*", default=[3_000, 10_000, 30_000, 100_000])
    parser.add_argument("--fresh", action="store_true", help="rebuild and retrain instead of reusing the cache")
    parser.add_argument("--incremental", action="store_true", help="only: add --vectors block by block (auto)")
    args = parser.parse_args()

    faiss.omp_set_num_threads(1)  # as the service runs it (service/backends/faiss_index.py); p50 on one thread
    real, queries = real_vectors(args.bench, args.real)
    queries = queries[np.random.default_rng(3).permutation(len(queries))[: args.queries]]
    print(f"{cpu_model()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(
        f"{args.vectors:,} vectors: {len(real):,} real chunk embeddings of legalbench-rag-dev, each repeated with "
        f"noise of norm {args.noise}; {len(queries)} real benchmark questions; FAISS on 1 thread"
    )
    if args.incremental:
        incremental(real, args)
        return
    if args.vectors:
        main_comparison(real, args, queries)
    if args.sizes:
        crossover(real, args, queries[:100])
    print(f"peak RSS {peak_mib():,.0f} MiB")


def main_comparison(real: Matrix, args: argparse.Namespace, queries: Matrix) -> None:
    """Exact and ivf at ``--vectors``, with and without filters."""
    allowed = filters(args.vectors, args.shares)
    folder = CACHE / f"index-{args.vectors}-{len(real)}-{args.noise}-{len(queries)}"
    truth_file = folder / "truth.json"
    if args.fresh or not truth_file.exists():
        shutil.rmtree(folder, ignore_errors=True)
        truth = exact_side(folder, real, args, queries, allowed)
        truth_file.write_text(json.dumps(truth))
    else:
        truth = json.loads(truth_file.read_text())
        print("exact: ground truth and index reused from", folder)
    for storage in args.storage:
        ivf_side(folder, storage, args, queries, allowed, truth)
    list_cost(allowed)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
