"""Ray ingest against serial ingest on one machine: wall time and peak memory, interleaved, medians.

    PYTHONPATH=. .venv/bin/python tests/benchmarks/ingest_ray.py ../shared/data/contracts-pdf --files 30 \
        --scanned ../shared/data/court-filings --rounds 3 [--stages]

Each run is ``docqa ingest FOLDER -c bench --json`` (``--ray`` for Ray, a local Ray of ``DOCQA_RAY__NUM_CPUS``,
default every core) in a fresh data folder, as its own process, end to end (Ray's start-up included). The two
modes alternate within a round, which starts with the other mode each time, so that a load change on a shared
machine hits both alike; medians are printed with the load average before each run.

Memory is the peak, sampled every 0.2 s, of the summed PSS (proportional set size: shared pages counted once
across the processes) of the ingest process and all its descendants: for Ray, its GCS, raylet, workers and
actors, which the raylet starts as its children.

``--files N`` takes the first N files of FOLDER by name (symbolic links in a scratch folder). ``--scanned DIR``
adds the same comparison on the image-only and stamp-only pages of the court filings (``INDEX.csv``'s
``text_layer``), with OCR on. ``--stages`` times, in one serial in-process pass, each stage of every file (the
writer's check, reading: parse to citations, embedding, the writer's store), the figures behind the
scaling estimate in tests/benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MODELS = Path(os.environ.get("DOCQA_EMBEDDING__CACHE_DIR", REPO / ".cache" / "models"))
"""The exported ONNX model, cached beforehand as after a first run on any machine."""


def tree_pss_kib(root: int) -> int:
    """Summed PSS of ``root`` and its descendants (KiB)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                parent = int(handle.read().rpartition(")")[2].split()[1])
        except OSError:
            continue
        children.setdefault(parent, []).append(int(entry))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


def run(folder: Path, ray: bool, ocr: bool) -> dict[str, float]:
    """One ingest of ``folder`` in a fresh data folder: wall seconds, peak PSS MiB, pages, chunks, failures."""
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            **os.environ,
            "DOCQA_DATA_DIR": scratch,
            "DOCQA_OCR__ENABLED": "true" if ocr else "false",
            "DOCQA_EMBEDDING__CACHE_DIR": str(MODELS),
            "HF_HUB_OFFLINE": "1",
            "RAY_AUTH_MODE": os.environ.get("RAY_AUTH_MODE", "disabled"),
        }
        command = [sys.executable, "-m", "service", "ingest", str(folder), "-c", "bench", "--json"]
        if ray:
            command.append("--ray")
        load = os.getloadavg()[0]
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_pss_kib(process.pid))
                done.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        out, _ = process.communicate()
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}")
    summary = json.loads(out)
    return {
        "wall_s": wall,
        "pss_mib": peak / 1024,
        "load": load,
        "pages": summary["pages"],
        "chunks": summary["chunks"],
        "failed": summary["failed"],
    }


def compare(name: str, folder: Path, rounds: int, ocr: bool) -> dict[str, object]:
    runs: dict[str, list[dict[str, float]]] = {"serial": [], "ray": []}
    for number in range(rounds):
        order = ("serial", "ray") if number % 2 == 0 else ("ray", "serial")
        for mode in order:
            figures = run(folder, mode == "ray", ocr)
            runs[mode].append(figures)
            print(
                f"  {name} round {number + 1} {mode}: {figures['wall_s']:.1f} s, {figures['pss_mib']:.0f} MiB PSS, "
                f"load {figures['load']:.1f}, {figures['pages']:.0f} pages, {figures['chunks']:.0f} chunks",
                flush=True,
            )
    medians = {
        mode: {key: statistics.median(run[key] for run in found) for key in found[0]} for mode, found in runs.items()
    }
    ratios = [ray["wall_s"] / serial["wall_s"] for serial, ray in zip(runs["serial"], runs["ray"], strict=True)]
    print(f"| {name} | mode | wall s (median) | peak PSS MiB | load (median) | pages | chunks |")
    print("|---|---|---|---|---|---|---|")
    for mode, figures in medians.items():
        print(
            f"| {name} | {mode} | {figures['wall_s']:.1f} | {figures['pss_mib']:.0f} | {figures['load']:.1f} | "
            f"{figures['pages']:.0f} | {figures['chunks']:.0f} |"
        )
    print(
        f"{name}: Ray / serial wall time, per round: {', '.join(f'{r:.3f}' for r in ratios)}; "
        f"median {statistics.median(ratios):.3f}\n",
        flush=True,
    )
    return {"runs": runs, "medians": medians, "ratios": ratios}


def stages(folder: Path) -> dict[str, float]:
    """Seconds spent in each stage of a serial in-process ingest of ``folder`` (OCR off)."""
    from ingest.discover import discover
    from ingest.stages import FileWork
    from service.components import Components
    from service.core.settings import EmbeddingSettings, OcrSettings, Settings

    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(
            data_dir=Path(scratch),
            ocr=OcrSettings(enabled=False),
            embedding=EmbeddingSettings(cache_dir=MODELS),
        )
        parts = Components(settings)
        pipeline = parts.pipeline("bench")
        parts.embedder.embed_documents(["warm up"])
        spent = {"check": 0.0, "read": 0.0, "embed": 0.0, "store": 0.0, "files": 0.0, "pages": 0.0, "chunks": 0.0}
        with pipeline.writing():
            for candidate in discover([folder]):
                clock = time.perf_counter()
                work = pipeline.check(candidate)
                spent["check"] += time.perf_counter() - clock
                if not isinstance(work, FileWork):
                    continue
                clock = time.perf_counter()
                prepared = pipeline.maker(work.path)
                spent["read"] += time.perf_counter() - clock
                clock = time.perf_counter()
                vectors = parts.embedder.embed_documents(prepared.embedding_texts())
                spent["embed"] += time.perf_counter() - clock
                clock = time.perf_counter()
                result = pipeline.finish(work, prepared, vectors)
                spent["store"] += time.perf_counter() - clock
                spent["files"] += 1
                spent["pages"] += result.pages
                spent["chunks"] += result.chunks
        parts.close()
    return spent


def subset(folder: Path, names: list[str], scratch: Path) -> Path:
    scratch.mkdir()
    for name in names:
        (scratch / name).symlink_to(folder / name)
    return scratch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--files", type=int, default=0, help="only the first N files by name (0: all)")
    parser.add_argument("--scanned", type=Path, help="the court filings folder (its INDEX.csv names the scans)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stages", action="store_true", help="also time each stage in one serial pass")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args()

    print(f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')}, load {os.getloadavg()}", flush=True)
    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as scratch:
        names = sorted(path.name for path in args.folder.iterdir() if path.is_file() and path.suffix == ".pdf")
        folder = subset(args.folder, names[: args.files or None], Path(scratch) / "typed")
        report["typed"] = compare(f"{len(list(folder.iterdir()))} typed PDFs", folder, args.rounds, ocr=False)
        if args.scanned:
            with open(args.scanned / "INDEX.csv", newline="") as handle:
                scans = [
                    row["file"]
                    for row in csv.DictReader(handle)
                    if row["status"] == "included" and row["text_layer"].startswith(("image-only", "low-text"))
                ]
            folder = subset(args.scanned, scans, Path(scratch) / "scanned")
            report["scanned"] = compare(f"{len(scans)} scanned filings", folder, args.rounds, ocr=True)
        if args.stages:
            spent = stages(Path(scratch) / "typed")
            report["stages"] = spent
            print("stage seconds, one serial pass: " + ", ".join(f"{key} {value:.2f}" for key, value in spent.items()))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
