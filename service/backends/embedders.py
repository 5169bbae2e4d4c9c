"""Embedders for the ``Embedder`` seam: the PyTorch reference and the fast ONNX int8 default.

``OnnxEmbedder`` runs only ``tokenizers`` and ``onnxruntime`` when it embeds; torch and transformers are
imported once, inside ``export_onnx_model``, to build the int8 model that is then cached on disk. It
reproduces the sentence-transformers pipeline of the model folder (Transformer -> mean Pooling ->
Normalize), which ``tests/backends/test_embedders.py`` checks against ``SentenceTransformerEmbedder``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime
from tokenizers import Tokenizer

from service.core.seams import Vectors

ONNX_INT8_BACKEND = "onnx-int8"
SENTENCE_TRANSFORMERS_BACKEND = "sentence-transformers"

# Bump when the export recipe changes (exporter, fusion, quantisation) so caches built by an older
# recipe are not reused: the version is part of the cache folder name.
EXPORT_RECIPE_VERSION = 2
ONNX_FILE_NAME = "model.onnx"
EXPORT_MANIFEST_NAME = "export.json"
_WEIGHTS_FILE_NAMES = ("model.safetensors", "pytorch_model.bin")
_HASH_CHUNK_BYTES = 1 << 20


def model_name(model_dir: Path) -> str:
    """A stable, human-readable name for the model in ``model_dir``, used in embedder ids.

    The model card's title (``# all-MiniLM-L6-v2``) names the sentence-transformers model; the folder name
    is the fallback. ``config.json``'s ``_name_or_path`` is not used: for MiniLM it names the base model
    it was fine-tuned from, not the embedding model.
    """
    readme = model_dir / "README.md"
    if readme.is_file():
        for line in readme.read_text(encoding="utf-8").splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return model_dir.resolve().name


def max_sequence_tokens(model_dir: Path) -> int:
    """Longest input the model embeds, in its tokens including special tokens; longer input is cut.

    Read from ``sentence_bert_config.json`` (``max_seq_length``), else ``config.json``
    (``max_position_embeddings``).
    """
    sbert_config = model_dir / "sentence_bert_config.json"
    if sbert_config.is_file():
        value = _read_json(sbert_config).get("max_seq_length")
        if isinstance(value, int):
            return value
    value = _read_json(model_dir / "config.json").get("max_position_embeddings")
    if not isinstance(value, int):
        raise ValueError(
            f"{model_dir}: neither sentence_bert_config.json (max_seq_length) nor config.json "
            "(max_position_embeddings) gives the model's longest input; add max_seq_length to sentence_bert_config.json"
        )
    return value


def load_tokenizer(model_dir: Path) -> Tokenizer:
    """The model's fast tokenizer (``tokenizer.json``) with truncation and padding disabled.

    ``tokenizer.json`` files often carry training-time settings (MiniLM's truncates to 128 and pads to a
    fixed 128); callers that count tokens must see every token, and embedders set their own limits.
    """
    path = model_dir / "tokenizer.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the model folder has no tokenizer.json (a fast tokenizer is required)")
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def weights_sha256(model_dir: Path) -> str:
    """SHA-256 of the model's weights file, so an export is never reused for different weights."""
    for name in _WEIGHTS_FILE_NAMES:
        path = model_dir / name
        if path.is_file():
            digest = hashlib.sha256()
            with path.open("rb") as weights:
                while block := weights.read(_HASH_CHUNK_BYTES):
                    digest.update(block)
            return digest.hexdigest()
    raise FileNotFoundError(f"{model_dir}: no weights file ({', '.join(_WEIGHTS_FILE_NAMES)}) to export")


def onnx_export_dir(model_dir: Path, cache_dir: Path) -> Path:
    """The cache folder that holds (or will hold) the int8 ONNX export of the model in ``model_dir``."""
    return (
        cache_dir
        / f"{model_name(model_dir)}-{weights_sha256(model_dir)[:16]}-{ONNX_INT8_BACKEND}-v{EXPORT_RECIPE_VERSION}"
    )


def export_onnx_model(model_dir: Path, cache_dir: Path) -> Path:
    """Return the cached int8 ONNX model for ``model_dir``, exporting it first if the cache lacks it.

    The export is written to a temporary folder beside its final place and renamed into place, so a
    crash never leaves a half-written model and two processes exporting at once both end with a
    complete one (the loser of the rename discards its copy).
    """
    export_dir = onnx_export_dir(model_dir, cache_dir)
    onnx_path = export_dir / ONNX_FILE_NAME
    if onnx_path.is_file():
        return onnx_path
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{export_dir.name}-", dir=cache_dir))
    try:
        _export_int8(model_dir, staging)
        # mkdtemp makes the folder private to this user; the finished export is an ordinary cache folder.
        staging.chmod(0o755)
        try:
            staging.rename(export_dir)
        except OSError:
            # Another process finished the same export first; its copy is equivalent.
            if not onnx_path.is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return onnx_path


def _export_int8(model_dir: Path, out_dir: Path) -> None:
    """Export fp32 ONNX with torch, then quantise its weights to per-channel int8.

    Attention, GELU and layer norms are fused when the session loads (``ORT_ENABLE_ALL``). Fusing them
    beforehand with ``onnxruntime.transformers.optimizer`` was measured no faster, so the file stays plain.
    """
    # Heavy imports stay here: only the one-off export needs torch and transformers.
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(model_dir)
    # Eager attention traces to plain MatMul/Softmax, which onnxruntime's graph optimiser can fuse.
    model = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    input_names = ["input_ids", "attention_mask"]
    if getattr(config, "type_vocab_size", 0) > 0:
        input_names.append("token_type_ids")

    class LastHiddenState(torch.nn.Module):
        """Named tensors in, ``last_hidden_state`` out: the tracer passes inputs positionally."""

        def __init__(self, encoder: Any) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, *inputs: Any) -> Any:
            return self.encoder(**dict(zip(input_names, inputs, strict=True)), return_dict=True).last_hidden_state

    # The example batch has padding, so that no branch taken for an all-ones mask gets frozen into the trace.
    example_ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102], [101, 7592, 102, 0, 0, 0]], dtype=torch.long)
    example_inputs = {
        "input_ids": example_ids,
        "attention_mask": (example_ids != 0).long(),
        "token_type_ids": torch.zeros_like(example_ids),
    }
    dynamic_axes = {name: {0: "batch", 1: "sequence"} for name in [*input_names, "last_hidden_state"]}
    fp32_path = out_dir / "model-fp32.onnx"
    with warnings.catch_warnings(), torch.no_grad():
        # The TorchScript exporter is deprecated in torch 2.13, but its replacement (dynamo=True) needs
        # onnxscript, which docqa does not install. It also warns about tracing shape checks in
        # transformers' mask code and about negative gather indices; neither applies to this graph
        # (shapes come from the same tensors; token ids are never negative), which the agreement tests
        # against sentence-transformers confirm.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message="Converting a tensor to a Python boolean")
        warnings.filterwarnings("ignore", message="Exporting aten::index operator", category=UserWarning)
        torch.onnx.export(
            LastHiddenState(model),
            tuple(example_inputs[name] for name in input_names),
            str(fp32_path),
            input_names=input_names,
            output_names=["last_hidden_state"],
            dynamic_axes=dynamic_axes,
            opset_version=17,
            dynamo=False,
        )
    quantize_dynamic(
        fp32_path,
        out_dir / ONNX_FILE_NAME,
        # Per-tensor int8 loses accuracy on MiniLM (mean cosine to fp32 0.93); per-channel keeps it (0.99).
        per_channel=True,
        weight_type=QuantType.QInt8,
    )
    fp32_path.unlink()
    manifest = {
        "model_name": model_name(model_dir),
        "model_dir": str(model_dir),
        "weights_sha256": weights_sha256(model_dir),
        "recipe_version": EXPORT_RECIPE_VERSION,
        "input_names": input_names,
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
    }
    (out_dir / EXPORT_MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


class OnnxEmbedder:
    """The model's mean-pooled, normalised embeddings from per-channel int8 ONNX, run by onnxruntime.

    ``threads=0`` uses every core. The int8 export is built once per weights file under ``cache_dir``
    (``settings.data_dir / "models"``); construction after that takes about a second.
    """

    def __init__(self, model_dir: Path, cache_dir: Path, batch_size: int, threads: int) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        _check_mean_pooling(model_dir)
        self._name = model_name(model_dir)
        self._max_tokens = max_sequence_tokens(model_dir)
        self._dimension = _hidden_size(model_dir)
        self._batch_size = batch_size
        self._tokenizer = load_tokenizer(model_dir)
        # Truncation counts the special tokens, as sentence-transformers does. Padding is done per batch
        # below, after sorting by length.
        self._tokenizer.enable_truncation(max_length=self._max_tokens)
        self.model_path = export_onnx_model(model_dir, cache_dir)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        # One graph runs at a time; parallel branches would only compete with intra-op threads.
        options.inter_op_num_threads = 1
        # Fusing attention and layer norms at load: measured 5-20% less CPU time per chunk than no fusion.
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Worker threads spin between the operators of one run, and stop when it returns: spinning on
        # after it cost a busy server ~10 ms of CPU per query, taken from the requests running beside it.
        options.add_session_config_entry("session.force_spinning_stop", "1")
        self._session = onnxruntime.InferenceSession(
            str(self.model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input_names = {node.name for node in self._session.get_inputs()}

    @property
    def id(self) -> str:
        """``<model>@onnx-int8``; written into index manifests."""
        return f"{self._name}@{ONNX_INT8_BACKEND}"

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        return self._dimension

    @property
    def max_tokens(self) -> int:
        """Longest input in model tokens, special tokens included; longer input is cut."""
        return self._max_tokens

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Embed passages in batches of similar length; returns one normalised row per text, in order."""
        vectors = np.empty((len(texts), self._dimension), dtype=np.float32)
        if not texts:
            return vectors
        encodings = self._tokenizer.encode_batch(list(texts))
        # Batching passages of similar length cuts the padding each batch computes on.
        order = sorted(range(len(encodings)), key=lambda index: len(encodings[index].ids))
        for start in range(0, len(order), self._batch_size):
            batch = order[start : start + self._batch_size]
            width = max(len(encodings[index].ids) for index in batch)
            input_ids = np.zeros((len(batch), width), dtype=np.int64)
            attention_mask = np.zeros((len(batch), width), dtype=np.int64)
            token_type_ids = np.zeros((len(batch), width), dtype=np.int64)
            for row, index in enumerate(batch):
                encoding = encodings[index]
                length = len(encoding.ids)
                input_ids[row, :length] = encoding.ids
                attention_mask[row, :length] = encoding.attention_mask
                token_type_ids[row, :length] = encoding.type_ids
            feed = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
            (hidden,) = self._session.run(["last_hidden_state"], {name: feed[name] for name in self._input_names})
            vectors[batch] = _mean_pool_normalise(hidden, attention_mask)
        return vectors

    def embed_query(self, text: str) -> Vectors:
        """Embed one query; returns a ``(1, dimension)`` normalised matrix."""
        return self.embed_documents([text])


class SentenceTransformerEmbedder:
    """The PyTorch reference: the model folder run by ``sentence_transformers`` on the CPU.

    Slower than ``OnnxEmbedder`` and about 6 s to import; kept as the accuracy reference.
    ``threads`` sets torch's process-wide intra-op thread count (0 leaves torch's default, every core).
    """

    def __init__(self, model_dir: Path, batch_size: int, threads: int) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        # Imported here: sentence_transformers costs seconds at import and only this backend needs it.
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        self._model = SentenceTransformer(str(model_dir), device="cpu")
        self._name = model_name(model_dir)
        self._batch_size = batch_size
        self._dimension = _hidden_size(model_dir)
        max_length = self._model.max_seq_length
        self._max_tokens = max_length if isinstance(max_length, int) else max_sequence_tokens(model_dir)

    @property
    def id(self) -> str:
        """``<model>@sentence-transformers``; written into index manifests."""
        return f"{self._name}@{SENTENCE_TRANSFORMERS_BACKEND}"

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        return self._dimension

    @property
    def max_tokens(self) -> int:
        """Longest input in model tokens, special tokens included; longer input is cut."""
        return self._max_tokens

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Embed passages, batched; returns one normalised row per text, in order."""
        if not texts:
            return np.empty((0, self._dimension), dtype=np.float32)
        # Plain ``encode`` for queries and documents alike: the ONNX backend applies no prompts either,
        # so the two backends stay interchangeable.
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> Vectors:
        """Embed one query; returns a ``(1, dimension)`` normalised matrix."""
        return self.embed_documents([text])


def _mean_pool_normalise(hidden: npt.NDArray[np.float32], attention_mask: npt.NDArray[np.int64]) -> Vectors:
    """Mean of the unmasked token vectors, then L2-normalised, as sentence-transformers' Pooling + Normalize."""
    mask = attention_mask[:, :, None].astype(np.float32)
    summed = (hidden * mask).sum(axis=1)
    # Same guards as sentence-transformers: clamp the token count and the norm away from zero.
    pooled = summed / np.clip(mask.sum(axis=1), 1e-9, None)
    norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    unit: Vectors = (pooled / norms).astype(np.float32)
    return unit


def _check_mean_pooling(model_dir: Path) -> None:
    """Refuse model folders whose sentence-transformers pipeline is not Transformer -> mean Pooling -> Normalize."""
    modules_path = model_dir / "modules.json"
    modules = json.loads(modules_path.read_text(encoding="utf-8"))
    kinds = [str(module["type"]).rsplit(".", 1)[-1] for module in modules]
    if kinds != ["Transformer", "Pooling", "Normalize"]:
        raise ValueError(
            f"{modules_path}: the onnx-int8 backend supports Transformer -> Pooling -> Normalize, got {kinds}; "
            "use embedding.backend=sentence-transformers for this model"
        )
    pooling_path = model_dir / modules[1]["path"] / "config.json"
    pooling = _read_json(pooling_path)
    modes = sorted(key for key, value in pooling.items() if key.startswith("pooling_mode_") and value is True)
    if modes != ["pooling_mode_mean_tokens"]:
        raise ValueError(
            f"{pooling_path}: the onnx-int8 backend supports mean pooling only, got {modes}; "
            "use embedding.backend=sentence-transformers for this model"
        )


def _hidden_size(model_dir: Path) -> int:
    value = _read_json(model_dir / "config.json").get("hidden_size")
    if not isinstance(value, int):
        raise ValueError(f"{model_dir / 'config.json'}: hidden_size is missing; the embedding dimension is unknown")
    return value


def _read_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return data
