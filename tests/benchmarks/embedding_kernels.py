"""CPU cost per chunk of four ways to run the embedding model, on the same real docqa chunks, and their agreement.

    PYTHONPATH=. HF_HUB_OFFLINE=1 .venv/bin/python tests/benchmarks/embedding_kernels.py DOCQA_DB \
        --onnx-int8 DATA_DIR/models/<export>/model.onnx [--onnx-fp32 FP32.onnx] [--threads 1 2] [--limit 408]

The chunks are read from a docqa SQLite database (``DATA_DIR/docqa.db`` after ``docqa ingest``), so they are
docqa's own chunker's output. Variants: the shipped int8 ONNX model, an fp32 ONNX export (optional), torch fp32
and torch bf16 autocast (oneDNN; ``ONEDNN_VERBOSE=1`` shows the ISA it picks). Each runs in its own process
(thread settings are process-wide), embeds the chunks sorted by length in batches of 32 as ``OnnxEmbedder``
does, and reports the best of two passes in CPU ms per chunk (``time.process_time``), with the load average.
Agreement: cosine of each vector with torch fp32's, mean and minimum.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from service.backends.embedders import _mean_pool_normalise, load_tokenizer, max_sequence_tokens
from service.core.settings import default_model_dir

BATCH = 32
Batch = tuple[list[int], npt.NDArray[np.int64], npt.NDArray[np.int64]]


def chunk_texts(database: Path, limit: int) -> list[str]:
    """The first ``limit`` chunks' texts of a docqa database, in id order."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT text FROM chunks ORDER BY id LIMIT ?", (limit,)).fetchall()
    return [str(row[0]) for row in rows]


def batches(texts: list[str], model_dir: Path) -> list[Batch]:
    """Token ids and masks in batches of similar length, as ``OnnxEmbedder.embed_documents`` makes them."""
    tokenizer = load_tokenizer(model_dir)
    tokenizer.enable_truncation(max_length=max_sequence_tokens(model_dir))
    encodings = tokenizer.encode_batch(texts)
    order = sorted(range(len(encodings)), key=lambda index: len(encodings[index].ids))
    made: list[Batch] = []
    for start in range(0, len(order), BATCH):
        rows = order[start : start + BATCH]
        width = max(len(encodings[index].ids) for index in rows)
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for row, index in enumerate(rows):
            length = len(encodings[index].ids)
            ids[row, :length] = encodings[index].ids
            mask[row, :length] = 1
        made.append((rows, ids, mask))
    return made


Runner = Callable[[npt.NDArray[np.int64], npt.NDArray[np.int64]], npt.NDArray[np.float32]]


def onnx_runner(path: str, threads: int) -> Runner:
    """A session set up as ``OnnxEmbedder``'s, with ``threads`` intra-op threads."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.force_spinning_stop", "1")
    session = onnxruntime.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])
    names = {node.name for node in session.get_inputs()}

    def run(ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (hidden,) = session.run(["last_hidden_state"], {name: feed[name] for name in names})
        return np.asarray(hidden, dtype=np.float32)

    return run


def torch_runner(model_dir: Path, threads: int, bf16: bool) -> Runner:
    """The model in PyTorch, fp32 or under bf16 autocast, with ``threads`` intra-op threads."""
    import torch
    from transformers import AutoModel

    torch.set_num_threads(threads)
    model = AutoModel.from_pretrained(model_dir).eval()

    def run(ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        tokens = torch.from_numpy(ids)
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            hidden = model(
                input_ids=tokens, attention_mask=torch.from_numpy(mask), token_type_ids=torch.zeros_like(tokens)
            ).last_hidden_state
        return np.asarray(hidden.float().numpy(), dtype=np.float32)

    return run


def measure_one(arguments: argparse.Namespace, variant: str, threads: int, out: Path) -> dict[str, float | str]:
    """Embed the chunks with one variant in this process; save the vectors to ``out``; return the figures."""
    model_dir = default_model_dir()
    texts = chunk_texts(arguments.database, arguments.limit)
    made = batches(texts, model_dir)
    if variant.startswith("onnx"):
        run = onnx_runner(arguments.onnx_int8 if variant == "onnx-int8" else arguments.onnx_fp32, threads)
    else:
        run = torch_runner(model_dir, threads, bf16=variant == "torch-bf16")
    run(*made[-1][1:])  # warm-up on the longest batch
    best = float("inf")
    vectors = np.empty((len(texts), 0), dtype=np.float32)
    for _ in range(2):
        started = time.process_time()
        parts = {tuple(rows): _mean_pool_normalise(run(ids, mask), mask) for rows, ids, mask in made}
        best = min(best, time.process_time() - started)
        vectors = np.empty((len(texts), next(iter(parts.values())).shape[1]), dtype=np.float32)
        for rows, part in parts.items():
            vectors[list(rows)] = part
    np.save(out, vectors)
    return {"variant": variant, "threads": threads, "cpu_ms_per_chunk": 1000 * best / len(texts)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database", type=Path, help="a docqa SQLite database holding ingested chunks")
    parser.add_argument("--onnx-int8", required=True, help="the int8 model.onnx docqa exported")
    parser.add_argument("--onnx-fp32", help="an fp32 ONNX export of the same model (optional)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--limit", type=int, default=408)
    parser.add_argument("--one", nargs=3, metavar=("VARIANT", "THREADS", "OUT"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.one:
        variant, threads, out = arguments.one
        print(json.dumps(measure_one(arguments, variant, int(threads), Path(out))))
        return
    variants = ["torch-fp32", "onnx-int8", *(["onnx-fp32"] if arguments.onnx_fp32 else []), "torch-bf16"]
    print(f"CPU: {_cpu_name()}; chunks: {arguments.database} (first {arguments.limit})")
    with tempfile.TemporaryDirectory() as scratch:
        for threads in arguments.threads:
            for variant in variants:
                out = Path(scratch) / f"{variant}-{threads}.npy"
                command = [sys.executable, __file__, *sys.argv[1:], "--one", variant, str(threads), str(out)]
                done = subprocess.run(command, check=True, capture_output=True, text=True)
                figures = json.loads(done.stdout.strip().splitlines()[-1])
                vectors, reference = np.load(out), np.load(Path(scratch) / f"torch-fp32-{threads}.npy")
                cosine = (vectors * reference).sum(axis=1)
                print(
                    f"{variant:11} {threads} thread(s): {figures['cpu_ms_per_chunk']:6.2f} CPU ms/chunk; "
                    f"cosine to torch fp32 mean {cosine.mean():.5f} min {cosine.min():.5f}; "
                    f"load {os.getloadavg()[0]:.1f}"
                )


def _cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


if __name__ == "__main__":
    main()
