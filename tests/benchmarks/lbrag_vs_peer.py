"""Retrieval quality: docqa vs the peer LangChain pipeline on a LegalBench-RAG benchmark, side by side.

    .venv/bin/python tests/benchmarks/lbrag_vs_peer.py ../shared/data/legalbench-rag-dev \
        ../shared/data/legalbench-rag-dev/contractnli_dev.json ../shared/data/legalbench-rag-dev/maud_dev.json

docqa runs ``docqa eval`` (its own ingest pipeline into a scratch folder, every query through
``Retriever.search``); the peer runs ``langchain_rag.py lbrag`` in its own virtualenv (see
../shared/peers/README.md). Both are scored with the same span metric. Each embeds the whole corpus
on this CPU (about half an hour each on the dev split on a busy 2-core machine); ``--peer-json``
reuses a saved peer run, ``--docqa-json`` a saved docqa run. ``DOCQA_*`` settings apply to docqa.
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
from typing import Any

REPO = Path(__file__).resolve().parents[2]
KS = (1, 2, 4, 8, 16, 32, 64)
CELLS = [f"P@{k}" for k in KS] + [f"R@{k}" for k in KS]


def run_docqa(bench: Path, queries: list[Path], out: Path) -> dict[str, Any]:
    env = {"HF_HUB_OFFLINE": "1", "DOCQA_EMBEDDING__CACHE_DIR": str(REPO / ".cache" / "models"), **os.environ}
    command = [sys.executable, "-m", "service", "eval", str(bench), *map(str, queries), "--json", str(out)]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"docqa eval failed:\n{done.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def run_peer(bench: Path, queries: list[Path], python: str, peer: Path, out: Path) -> dict[str, Any]:
    command = [python, str(peer), "lbrag", str(bench), *map(str, queries), "--json", str(out)]
    done = subprocess.run(command, env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the peer failed:\n{done.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def side_by_side(docqa: dict[str, Any], peer: dict[str, Any]) -> str:
    """One Markdown table: for each query file and ALL, a docqa row and a peer row, and where docqa loses."""
    lines = ["| queries | pipeline | " + " | ".join(CELLS) + " |", "|---" * (len(CELLS) + 2) + "|"]
    losses = []
    for name, row in docqa["table"].items():
        other = peer["table"][name]
        lines.append(f"| {name} | docqa | " + " | ".join(f"{row[c]:.2f}" for c in CELLS) + " |")
        lines.append(f"| {name} | peer | " + " | ".join(f"{other[c]:.2f}" for c in CELLS) + " |")
        losses += [f"{name} {cell}" for cell in CELLS if row[cell] <= other[cell]]
    lines.append("")
    lines.append("docqa better in every cell" if not losses else f"docqa NOT better in: {', '.join(losses)}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bench", type=Path)
    parser.add_argument("queries", type=Path, nargs="+")
    parser.add_argument("--peer-python", default=str(REPO / ".cache" / "peer-venv" / "bin" / "python"))
    parser.add_argument("--peer", type=Path, default=REPO.parent / "shared" / "peers" / "langchain_rag.py")
    parser.add_argument("--peer-json", type=Path, help="a saved peer run (langchain_rag.py lbrag --json) to reuse")
    parser.add_argument("--docqa-json", type=Path, help="a saved docqa run (docqa eval --json) to reuse")
    parser.add_argument("--json", type=Path, help="also write both reports here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        docqa = (
            json.loads(args.docqa_json.read_text())
            if args.docqa_json
            else run_docqa(args.bench, args.queries, Path(scratch) / "docqa.json")
        )
        peer = (
            json.loads(args.peer_json.read_text())
            if args.peer_json
            else run_peer(args.bench, args.queries, args.peer_python, args.peer, Path(scratch) / "peer.json")
        )
    print(f"LegalBench-RAG {args.bench.name} on {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')} (%)")
    print(side_by_side(docqa, peer))
    print(
        f"\nsearch latency p50/p95 ms: docqa {docqa['search_p50_ms']:.1f}/{docqa['search_p95_ms']:.1f} "
        f"({docqa['chunks']} chunks), peer {peer['query_p50_ms']:.1f}/{peer['query_p95_ms']:.1f} "
        f"({peer['chunks']} chunks)"
    )
    if args.json:
        args.json.write_text(json.dumps({"docqa": docqa, "peer": peer}, indent=1))


if __name__ == "__main__":
    main()
