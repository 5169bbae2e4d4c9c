"""Measure embedding throughput (chunks/s) of both backends on real contract text at fixed token lengths.

Run from the repository root:  HF_HUB_OFFLINE=1 .venv/bin/python tests/benchmarks/embedding_speed.py
[--tokens 120 250] [--count 256] [--threads 2] [--batch-size 32] [--repeats 3] [--cache .cache/models]
Passages are consecutive windows of the contracts in /work/shared/data/contracts-pdf, cut at token boundaries
so that every passage has the same number of tokens (special tokens included). Each backend embeds the same
passages ``--repeats`` times after a warm-up batch; the median and best chunks/s are printed with the load
average, because these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import pypdfium2 as pdfium

from service.backends.embedders import OnnxEmbedder, SentenceTransformerEmbedder, load_tokenizer
from service.core.seams import Embedder
from service.core.settings import default_model_dir

CONTRACTS = Path("/work/shared/data/contracts-pdf")
SPECIAL_TOKENS = 2  # [CLS] and [SEP]


def contract_text(limit_chars: int) -> str:
    """Text of the contracts, in name order, until ``limit_chars`` characters are collected."""
    parts: list[str] = []
    collected = 0
    for path in sorted(CONTRACTS.glob("*.pdf")):
        document = pdfium.PdfDocument(path)
        try:
            for page in document:
                text = " ".join(page.get_textpage().get_text_range().split())
                parts.append(text)
                collected += len(text)
                if collected >= limit_chars:
                    return " ".join(parts)
        finally:
            document.close()
    return " ".join(parts)


def passages(model_dir: Path, tokens: int, count: int) -> list[str]:
    """``count`` consecutive windows of contract text, each ``tokens`` long with special tokens."""
    tokenizer = load_tokenizer(model_dir)
    body = tokens - SPECIAL_TOKENS
    # About 4.5 characters per token in contract prose; collect a margin more.
    text = contract_text(limit_chars=int(count * body * 6))
    encoding = tokenizer.encode(text, add_special_tokens=False)
    offsets = encoding.offsets
    windows = [offsets[start : start + body] for start in range(0, len(offsets) - body + 1, body)]
    if len(windows) < count:
        raise SystemExit(f"{CONTRACTS}: only {len(windows)} passages of {tokens} tokens; lower --count")
    return [text[window[0][0] : window[-1][1]] for window in windows[:count]]


def chunks_per_second(embedder: Embedder, texts: list[str], batch_size: int, repeats: int) -> list[float]:
    embedder.embed_documents(texts[:batch_size])  # warm-up: memory pools, thread start
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        embedder.embed_documents(texts)
        rates.append(len(texts) / (time.perf_counter() - started))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tokens", type=int, nargs="+", default=[120, 250])
    parser.add_argument("--count", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path(".cache/models"), help="ONNX export cache")
    parser.add_argument("--backends", nargs="+", default=["onnx-int8", "sentence-transformers"])
    args = parser.parse_args()
    model_dir = default_model_dir()
    tokenizer = load_tokenizer(model_dir)
    embedders: dict[str, Embedder] = {}
    if "onnx-int8" in args.backends:
        embedders["onnx-int8"] = OnnxEmbedder(model_dir, args.cache, args.batch_size, args.threads)
    if "sentence-transformers" in args.backends:
        embedders["sentence-transformers"] = SentenceTransformerEmbedder(model_dir, args.batch_size, args.threads)
    for tokens in args.tokens:
        texts = passages(model_dir, tokens, args.count)
        lengths = [len(encoding.ids) for encoding in tokenizer.encode_batch(texts)]
        print(
            f"{len(texts)} passages, tokens min {min(lengths)} mean {statistics.mean(lengths):.1f} max {max(lengths)}"
        )
        for name, embedder in embedders.items():
            rates = chunks_per_second(embedder, texts, args.batch_size, args.repeats)
            print(
                f"  {name:>22} @ {tokens} tokens, {args.threads} threads, batch {args.batch_size}: "
                f"median {statistics.median(rates):6.1f} chunks/s, best {max(rates):6.1f} "
                f"(load average {os.getloadavg()[0]:.1f})",
                flush=True,
            )


if __name__ == "__main__":
    main()
