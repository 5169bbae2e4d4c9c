"""Retrieval study on a LegalBench-RAG benchmark: chunking configurations x retrieval settings, one table.

    .venv/bin/python tests/benchmarks/retrieval_study.py ../shared/data/legalbench-rag-dev \
        ../shared/data/legalbench-rag-dev/contractnli_dev.json ../shared/data/legalbench-rag-dev/maud_dev.json \
        --chunking 128/16 256/32 128/16/sections --variant '{}' --variant '{"mode": "dense"}'

Each chunking configuration (``TOKENS/OVERLAP``, then ``/sections`` and ``/headings`` if wanted) is ingested once
into its own data folder under ``.cache/study`` (a re-run skips unchanged files); each ``--variant``
(a JSON object of ``RetrievalSettings`` fields over the current settings) is then run through
``docqa eval``'s own ``evaluate`` (the ``Retriever.search`` behind ``/v1/search``). Prints one
Markdown row per (chunking, variant): ALL and per-file P@1, R@8, R@64, and search latency.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from service.components import Components
from service.core.settings import Settings
from service.engine.evaluation.retrieval import EvalReport, evaluate, evaluation_settings

REPO = Path(__file__).resolve().parents[2]
CELLS = ("P@1", "R@8", "R@64")


def chunking_of(spec: str) -> dict[str, Any]:
    """``"128/16"``, ``"128/16/sections"`` or ``"128/16/sections/headings"`` as ``ChunkingSettings`` fields."""
    parts = spec.split("/")
    flags = {flag: flag in parts[2:] for flag in ("sections", "headings")}
    return {"chunk_tokens": int(parts[0]), "overlap_tokens": int(parts[1]), **flags}


def row(chunking: str, variant: str, report: EvalReport) -> str:
    files = [name for name in report.table if name != "ALL"]
    cells = [f"{report.table['ALL'][cell]:.2f}" for cell in CELLS]
    for name in files:
        cells += [f"{report.table[name][cell]:.2f}" for cell in CELLS]
    return f"| {chunking} | {variant} | {report.corpus.chunks} | " + " | ".join(cells) + f" | {report.p50_ms:.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bench", type=Path)
    parser.add_argument("queries", type=Path, nargs="+")
    parser.add_argument("--chunking", nargs="+", default=["128/16"])
    parser.add_argument("--variant", action="append", help="JSON object of retrieval settings (repeatable)")
    parser.add_argument("--json", type=Path, help="append every row's full table here (JSON lines)")
    args = parser.parse_args()
    variants = args.variant or ["{}"]
    base = Settings(embedding={"cache_dir": REPO / ".cache" / "models"}, ocr={"enabled": False})
    files = [path.stem for path in args.queries]
    header = ["ALL " + cell for cell in CELLS] + [f"{name} {cell}" for name in files for cell in CELLS]
    print("| chunking | retrieval | chunks | " + " | ".join(header) + " | p50 ms |")
    print("|---" * (len(header) + 4) + "|", flush=True)
    embedder = Components(base).embedder  # loaded once, shared by every run
    for spec in args.chunking:
        fields = chunking_of(spec)
        folder = REPO / ".cache" / "study" / spec.replace("/", "-")
        settings = evaluation_settings(
            base.model_copy(update={"chunking": base.chunking.model_copy(update=fields)}), folder
        )
        for variant in variants:
            update = json.loads(variant)
            current = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update=update)})
            started = time.perf_counter()
            parts = Components(current, embedder=embedder)
            report = evaluate(parts, args.bench, args.queries)  # unchanged files: a stat
            print(row(spec, variant, report), flush=True)
            if args.json:
                with args.json.open("a") as handle:
                    entry = {"chunking": spec, "variant": update, "seconds": time.perf_counter() - started}
                    handle.write(json.dumps({**entry, **report.as_dict()}) + "\n")


if __name__ == "__main__":
    main()
