"""/v1/search cost per request of one or more docqa checkouts: the server process's own CPU ms per request.

    .venv/bin/python tests/benchmarks/search_cpu.py QUESTIONS.json --checkout NAME PATH DATA_DIR [--checkout ...]

Each checkout (this one, or a worktree of another commit: its code runs with this virtualenv, through
``python -m service`` or, before the restructuring, ``python -m ingest``) serves its own data folder, in which the
same corpus was ingested (e.g. by ``docqa eval CORPUS QUESTIONS --data-dir DATA_DIR``); every question of the file
is searched ``--rounds`` times, one request at a time, after one warm-up round. The CPU time the server spent
(``/proc/PID/stat``) moves far less with other load on a shared machine than wall time does, so it is the figure to
compare between commits; the wall p50 is printed beside it with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from serving import cpu_description, free_port


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(checkout: Path, data_dir: Path, questions: list[str], rounds: int) -> tuple[float, float, int]:
    """``(wall p50 ms, server CPU ms per request, requests)`` of one checkout serving ``data_dir``."""
    module = "service" if (checkout / "service" / "__main__.py").exists() else "ingest"
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(checkout), "DOCQA_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", module, "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, cwd=checkout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{checkout}: docqa serve did not become ready")
            time.sleep(0.5)
        with httpx.Client(base_url=base, timeout=60) as client:
            collection = client.get("/v1/collections").json()["collections"][0]["name"]
            for question in questions:  # warm-up
                client.post("/v1/search", json={"query": question, "collection": collection}).raise_for_status()
            walls: list[float] = []
            cpu_before = server_cpu_seconds(server.pid)
            for _ in range(rounds):
                for question in questions:
                    started = time.perf_counter()
                    response = client.post("/v1/search", json={"query": question, "collection": collection})
                    walls.append(time.perf_counter() - started)
                    response.raise_for_status()
            cpu = server_cpu_seconds(server.pid) - cpu_before
        return statistics.median(walls) * 1000, cpu / len(walls) * 1000, len(walls)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", type=Path, help="a question file (JSON list of objects with 'question')")
    parser.add_argument("--checkout", nargs=3, action="append", required=True, metavar=("NAME", "PATH", "DATA_DIR"))
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    questions = [item["question"] for item in json.loads(args.questions.read_text())]
    rows = []
    for name, path, data_dir in args.checkout:
        p50, cpu, requests = measure(Path(path).resolve(), Path(data_dir).resolve(), questions, args.rounds)
        rows.append(f"| {name} | {requests} | {p50:.2f} | {cpu:.2f} |")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    when = time.strftime("%Y-%m-%d %H:%M")
    print(f"/v1/search, one request at a time, {cpu_description()}, load average {load}, {when}")
    print("| checkout | requests | wall p50 ms | server CPU ms / request |")
    print("|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
