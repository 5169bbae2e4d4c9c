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

from serving import cpu_description

REPO = Path(__file__).resolve().parents[2]


def measured(command: list[str], env: dict[str, str], cwd: Path = REPO) -> tuple[float, float, float, str]:
    """``(wall_seconds, cpu_seconds, peak_rss_mib, stdout)`` of one child process run to completion; CPU time
    is user + system of the child and its own children, which other load on the machine moves less than wall."""
    launcher = (
        "import resource, subprocess, sys, json, time\n"
        "started = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - started\n"
        "sys.stderr.write(done.stderr)\n"
        "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'rc': done.returncode, 'wall': wall, 'out': done.stdout,\n"
        "  'cpu': usage.ru_utime + usage.ru_stime, 'rss_kib': usage.ru_maxrss}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", launcher, *command], capture_output=True, text=True, env=env, cwd=cwd
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if report["rc"] != 0:
        raise SystemExit(f"{command[0]} failed:\n{result.stderr[-3000:]}")
    return report["wall"], report["cpu"], report["rss_kib"] / 1024, report["out"]


def run_docqa(folder: Path, cold: bool, checkout: Path = REPO) -> dict[str, float]:
    """docqa's ingest of ``folder`` from ``checkout`` (this one, or another commit's worktree for a before/after
    comparison: its code runs with this virtualenv, through ``python -m service`` or, before the restructuring,
    ``python -m ingest``)."""
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            **os.environ,
            "DOCQA_DATA_DIR": scratch,
            "DOCQA_OCR__ENABLED": "false",
            "HF_HUB_OFFLINE": "1",
            "PYTHONPATH": str(checkout),
        }
        if not cold:
            env["DOCQA_EMBEDDING__CACHE_DIR"] = str(checkout / ".cache" / "models")
        module = "service" if (checkout / "service" / "__main__.py").exists() else "ingest"
        command = [sys.executable, "-m", module, "ingest", str(folder), "-c", "bench", "--json"]
        wall, cpu, rss, out = measured(command, env, cwd=checkout)
    summary = json.loads(out)
    return {
        "pages": summary["pages"],
        "chunks": summary["chunks"],
        "failed": summary["failed"],
        "wall_s": wall,
        "cpu_s": cpu,
        "rss_mib": rss,
    }


def run_peer(folder: Path, python: str, peer: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch:
        figures = Path(scratch) / "peer.json"
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        wall, cpu, rss, _ = measured([python, str(peer), "ingest", str(folder), "--json", str(figures)], env)
        report = json.loads(figures.read_text())
    return {
        "pages": report["pages"],
        "chunks": report["chunks"],
        "failed": len(report["failed"]),
        "wall_s": wall,
        "cpu_s": cpu,
        "rss_mib": rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--peer-python", default=str(REPO / ".cache" / "peer-venv" / "bin" / "python"))
    parser.add_argument("--peer", type=Path, default=REPO.parent / "shared" / "peers" / "langchain_rag.py")
    parser.add_argument("--cold", action="store_true", help="include docqa's one-time ONNX export")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--docqa-repo",
        type=Path,
        action="append",
        default=[],
        help="also ingest with the docqa of this checkout (repeatable), e.g. a worktree of the commit before a change",
    )
    parser.add_argument("--no-peer", action="store_true", help="docqa checkouts only (no ratio)")
    args = parser.parse_args()

    runs = {"docqa": run_docqa(args.folder, args.cold)}
    for checkout in args.docqa_repo:
        runs[f"docqa at {checkout.resolve().name}"] = run_docqa(args.folder, args.cold, checkout.resolve())
    if not args.no_peer:
        runs["peer"] = run_peer(args.folder, args.peer_python, args.peer)
    print(f"ingest of {args.folder} on {os.cpu_count()} cores, {cpu_description()}, {time.strftime('%Y-%m-%d %H:%M')}")
    print("| pipeline | pages | chunks | wall s | CPU s | pages/s | chunks/s | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for name, figures in runs.items():
        figures["pages_per_s"] = figures["pages"] / figures["wall_s"]
        figures["chunks_per_s"] = figures["chunks"] / figures["wall_s"]
        print(
            f"| {name} | {figures['pages']:.0f} | {figures['chunks']:.0f} | {figures['wall_s']:.1f} | "
            f"{figures['cpu_s']:.1f} | {figures['pages_per_s']:.2f} | {figures['chunks_per_s']:.1f} | "
            f"{figures['rss_mib']:.0f} |"
        )
    if "peer" in runs:
        for name, figures in runs.items():
            if name != "peer":
                ratio = figures["pages_per_s"] / runs["peer"]["pages_per_s"]
                cpu_ratio = runs["peer"]["cpu_s"] / figures["cpu_s"]
                print(f"{name} / peer end-to-end pages/s: {ratio:.2f}x (CPU time: {cpu_ratio:.2f}x)")
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
