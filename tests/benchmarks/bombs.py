"""Bombs and giants uploaded to a running server: each file's reason, the server's memory, /healthz meanwhile.

    .venv/bin/python tests/benchmarks/bombs.py [--data-dir D] [--keep-files F]

Targets (issue #17): every file gets a clear reason; the server's RSS stays <= 1.5 GB above its idle size
while it ingests them; /healthz p99 <= 100 ms meanwhile; nothing already stored is lost.

1. Builds, under a scratch folder: a zip-bomb .docx (2 GB of zeros in one member), a .docx holding 20 MB of
   text in ~60 KB (the issue's first finding), a billion-laughs .docx, HTML nested 200,000 deep and a 50 MB
   one-line .txt.
2. ``docqa serve`` (default settings, one worker) on a fresh data folder; uploads a real note first and
   checks it is searchable, then measures the idle RSS.
3. Uploads each file in its own job and waits for its result, while one thread samples the RSS of the server
   and of its children (the parse worker) every 20 ms and another GETs /healthz back to back.
4. Prints one row per file (outcome, reason, seconds), the RSS peaks above idle and the /healthz
   percentiles, and checks that the note is still there and searchable.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from serving import REPO, cpu_description, environment, served_process

sys.path.insert(0, str(REPO))
from service.engine.evaluation.retrieval import percentile
from tests.support import bombs

NOTE = b"Delivery note: 40 pallets of tinned tomatoes reached the Leith warehouse on 3 March.\n"
COLLECTION = "bombs"
MIB = 1048576


def rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` (0 once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((line for line in status.splitlines() if line.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(line.split()[1]) * 1024


def children(pid: int) -> list[int]:
    """Every descendant of ``pid``."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            direct = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, direct):
            found.append(child)
            found.extend(children(child))
    return found


class Sampler(threading.Thread):
    """Peaks of the server's RSS alone and with its descendants, every ``interval_s``."""

    def __init__(self, pid: int, interval_s: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval_s = pid, interval_s
        self.server_peak = self.total_peak = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            server = rss_bytes(self.pid)
            total = server + sum(rss_bytes(child) for child in children(self.pid))
            self.server_peak = max(self.server_peak, server)
            self.total_peak = max(self.total_peak, total)
            time.sleep(self.interval_s)


class Prober(threading.Thread):
    """GETs /healthz back to back (20 ms apart), keeping each latency in ms."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.latencies: list[float] = []
        self.started_at: list[float] = []  # monotonic start of each request
        self.failures = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while not self.stopping.is_set():
                started = time.perf_counter()
                self.started_at.append(time.monotonic())
                try:
                    ok = client.get("/healthz").status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.latencies.append(1000 * (time.perf_counter() - started))
                self.failures += not ok
                time.sleep(0.02)


def upload(client: httpx.Client, path: Path, timeout_s: float = 600) -> tuple[dict[str, object], float]:
    started = time.perf_counter()
    with open(path, "rb") as handle:
        created = client.post(f"/v1/collections/{COLLECTION}/documents", files={"files": (path.name, handle)})
    created.raise_for_status()
    job_id = created.json()["job_id"]
    deadline = time.monotonic() + timeout_s
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] != "queued" and job["status"] != "running":
            return job["files"][0], time.perf_counter() - started
        if time.monotonic() > deadline:
            raise SystemExit(f"{path.name}: no result after {timeout_s} s")
        time.sleep(0.1)


def build(folder: Path) -> list[Path]:
    print("building the files…", flush=True)
    return [
        bombs.zip_bomb_docx(folder / "bomb.docx", expanded_mb=2048),
        bombs.text_bomb_docx(folder / "dense.docx", text_mb=20),
        bombs.billion_laughs_docx(folder / "laughs.docx"),
        bombs.deep_html(folder / "deep.html", depth=200_000),
        bombs.one_line_text(folder / "giant.txt", size_mb=50),
    ]


def note_found(client: httpx.Client) -> bool:
    hits = client.post("/v1/search", json={"query": "tinned tomatoes Leith", "collection": COLLECTION, "k": 3})
    return hits.status_code == 200 and any("Leith" in hit["text"] for hit in hits.json()["hits"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=None, help="default: a scratch folder")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores ({cpu_description()}), {time.strftime('%Y-%m-%d %H:%M')}")
    with tempfile.TemporaryDirectory(prefix="docqa-bombs-") as scratch:
        files = build(Path(scratch))
        data = args.data_dir or Path(scratch) / "data"
        with served_process(environment(data)) as (base, server), httpx.Client(base_url=base, timeout=60) as client:
            note = Path(scratch) / "note.txt"
            note.write_bytes(NOTE)
            stored, _ = upload(client, note)
            assert stored["outcome"] == "new" and note_found(client), stored
            time.sleep(1)
            idle = rss_bytes(server.pid)
            idle_total = idle + sum(rss_bytes(child) for child in children(server.pid))
            sampler, prober = Sampler(server.pid), Prober(base)
            sampler.start()
            prober.start()
            rows = []
            for path in files:
                began = time.monotonic()
                result, seconds = upload(client, path)
                during = [
                    latency
                    for at, latency in zip(list(prober.started_at), list(prober.latencies), strict=False)
                    if began <= at <= time.monotonic()
                ]
                worst = max(during, default=0.0)
                rows.append((path.name, path.stat().st_size, result["outcome"], result["error"], seconds, worst))
            sampler.stopping.set()
            prober.stopping.set()
            sampler.join()
            prober.join()
            kept = note_found(client)
            listed = client.get(f"/v1/collections/{COLLECTION}/documents").json()["documents"]
        print("\n| file | size | outcome | reason | s | slowest /healthz meanwhile |\n|---|---|---|---|---|---|")
        for name, size, outcome, reason, seconds, worst in rows:
            print(f"| {name} | {size / MIB:.2f} MB | {outcome} | {reason} | {seconds:.1f} | {worst:.0f} ms |")
        latencies = prober.latencies
        print(
            f"\nserver RSS idle {idle / MIB:.0f} MB, peak {sampler.server_peak / MIB:.0f} MB "
            f"(+{(sampler.server_peak - idle) / MIB:.0f} MB); with its parse worker: idle {idle_total / MIB:.0f} MB, "
            f"peak {sampler.total_peak / MIB:.0f} MB (+{(sampler.total_peak - idle_total) / MIB:.0f} MB)"
        )
        print(
            f"/healthz: {len(latencies)} requests, {prober.failures} failed, p50 {percentile(latencies, 0.5):.1f} ms, "
            f"p99 {percentile(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms"
        )
        print(f"the stored note: searchable {kept}; documents listed {sorted(d['source'] for d in listed)}")
        failed = [name for name, _, outcome, *_ in rows if outcome != "failed"]
        if failed or not kept or sampler.server_peak - idle > 1536 * MIB or percentile(latencies, 0.99) > 100:
            print("TARGET MISSED" + (f": not refused {failed}" if failed else ""))


if __name__ == "__main__":
    main()
