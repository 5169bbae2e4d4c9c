"""``CrossEncoderReranker``: an optional last stage that re-scores fused candidates with a cross-encoder.

Off by default (``DOCQA_RETRIEVAL__RERANK_MODEL_DIR`` empty): no cross-encoder ships with docqa and
none could be evaluated here, so it is a mechanism for deployments that bring their own model folder
(e.g. a sentence-transformers ``CrossEncoder`` such as ms-marco-MiniLM-L-6-v2, saved locally).
Imported only when configured: sentence-transformers costs about 6 s to import.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from service.core.errors import InvalidInput

SETTING = "DOCQA_RETRIEVAL__RERANK_MODEL_DIR"


class CrossEncoderReranker:
    """Scores ``(query, passage)`` pairs with a local sequence-classification model (one logit per pair)."""

    def __init__(self, model_dir: Path, threads: int = 0, batch_size: int = 32) -> None:
        if not (model_dir / "config.json").is_file():
            raise InvalidInput(
                f"{SETTING}={model_dir}: no config.json there, so it is not a model folder; point it at a local "
                "cross-encoder folder (saved with CrossEncoder.save or save_pretrained) or leave it empty",
                detail={"field": "retrieval.rerank_model_dir"},
            )
        import torch
        from sentence_transformers import CrossEncoder

        if threads:
            torch.set_num_threads(threads)
        try:
            self._model: Any = CrossEncoder(str(model_dir), device="cpu", local_files_only=True)
        except (OSError, ValueError) as error:
            raise InvalidInput(
                f"{SETTING}={model_dir}: cannot load a cross-encoder from it ({error}); "
                "check that the folder holds the model weights and its tokenizer",
                detail={"field": "retrieval.rerank_model_dir"},
            ) from error
        self._batch_size = batch_size

    def score(self, query: str, passages: Sequence[str]) -> list[float]:
        """One relevance score per passage (higher is better), in the given order."""
        if not passages:
            return []
        scores = self._model.predict(
            [(query, passage) for passage in passages], batch_size=self._batch_size, show_progress_bar=False
        )
        return [float(value) for value in scores]
