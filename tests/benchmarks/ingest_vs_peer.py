"""Ingestion throughput: docqa vs the peer LangChain pipeline, on the same folder, in the same run.

    .venv/bin/python tests/benchmarks/ingest_vs_peer.py ../shared/data/contracts-pdf \
        --peer-python .cache/peer-venv/bin/python --peer ../shared/peers/langchain_rag.py

Each side runs as its own process, end to end (start-up, model load, parse, chunk, embed, index);
peak RSS is the process's own maximum resident set. The peer needs its own virtualenv (see
../shared/peers/README.md). docqa's exported ONNX model is cached beforehand, as it is after a
first run on any machine; pass --cold to include the one-time export.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def measured(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """``(wall_seconds, peak_rss_mib, stdout)`` of one child process run to completion."""
    launcher = (
        "import resource, subprocess, sys, json, time\n"
        "started = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - started\n"
        "sys.stderr.write(done.stderr)\n"
        "print(json.dumps({'rc': done.returncode, 'wall': wall, 'out': done.stdout,\n"
        "  'rss_kib': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))\n"
    )
    result = subprocess.run([sys.executable, "-c", launcher, *command], capture_output=True, text=True, env=env)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if report["rc"] != 0:
        raise SystemExit(f"{command[0]} failed:\n{result.stderr[-3000:]}")
    return report["wall"], report["rss_kib"] / 1024, report["out"]


def run_docqa(folder: Path, cold: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "DOCQA_DATA_DIR": scratch, "DOCQA_OCR__ENABLED": "false", "HF_HUB_OFFLINE": "1"}
        if not cold:
            env["DOCQA_EMBEDDING__CACHE_DIR"] = str(REPO / ".cache" / "models")
        command = [sys.executable, "-m", "service", "ingest", str(folder), "-c", "bench", "--json"]
        wall, rss, out = measured(command, env)
    summary = json.loads(out)
    return {
        "pages": summary["pages"],
        "chunks": summary["chunks"],
        "failed": summary["failed"],
        "wall_s": wall,
        "rss_mib": rss,
    }


def run_peer(folder: Path, python: str, peer: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch:
        figures = Path(scratch) / "peer.json"
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        wall, rss, _ = measured([python, str(peer), "ingest", str(folder), "--json", str(figures)], env)
        report = json.loads(figures.read_text())
    return {
        "pages": report["pages"],
        "chunks": report["chunks"],
        "failed": len(report["failed"]),
        "wall_s": wall,
        "rss_mib": rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--peer-python", default=str(REPO / ".cache" / "peer-venv" / "bin" / "python"))
    parser.add_argument("--peer", type=Path, default=REPO.parent / "shared" / "peers" / "langchain_rag.py")
    parser.add_argument("--cold", action="store_true", help="include docqa's one-time ONNX export")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    docqa = run_docqa(args.folder, args.cold)
    peer = run_peer(args.folder, args.peer_python, args.peer)
    rows = []
    for name, figures in (("docqa", docqa), ("peer", peer)):
        figures["pages_per_s"] = figures["pages"] / figures["wall_s"]
        figures["chunks_per_s"] = figures["chunks"] / figures["wall_s"]
        rows.append(
            f"| {name} | {figures['pages']:.0f} | {figures['chunks']:.0f} | {figures['wall_s']:.1f} | "
            f"{figures['pages_per_s']:.2f} | {figures['chunks_per_s']:.1f} | {figures['rss_mib']:.0f} |"
        )
    print(f"ingest of {args.folder} on {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')}")
    print("| pipeline | pages | chunks | wall s | pages/s | chunks/s | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    ratio = docqa["pages_per_s"] / peer["pages_per_s"]
    print(f"\ndocqa / peer end-to-end pages/s: {ratio:.2f}x")
    if args.json:
        args.json.write_text(json.dumps({"docqa": docqa, "peer": peer, "ratio": ratio}, indent=1))


if __name__ == "__main__":
    main()
