"""``TransformersGenerator``: a local model folder loaded in-process with transformers.

Meant for a single machine without an LLM server (a GPU box, or small models on CPU). torch and
transformers are imported when the generator is built, not when this module is, because importing
them costs seconds that the extractive and openai modes should not pay.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from service.core.errors import GeneratorError, GeneratorTimeout
from service.core.seams import ChatMessage
from service.core.settings import LlmSettings

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase


class TransformersGenerator:
    """A ``Generator`` that runs ``settings.model`` (a local folder) with ``generate``.

    Uses CUDA when available, else the CPU. Streaming runs ``generate`` in a worker thread that
    feeds a ``TextIteratorStreamer``; waiting for the next piece is bounded by ``settings.timeout_s``,
    and a caller that stops reading early stops the generation too.
    """

    def __init__(self, settings: LlmSettings) -> None:
        if not settings.model:
            raise ValueError("the transformers LLM backend needs DOCQA_LLM__MODEL set to a local model folder")
        folder = Path(settings.model)
        if not (folder / "config.json").is_file():
            raise ValueError(
                f"DOCQA_LLM__MODEL={settings.model!r} is not a local model folder (no config.json); "
                "download the model first and point the setting at its folder"
            )
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self._settings = settings
        self._device = "cuda" if torch.cuda.is_available() else "cpu"
        # local_files_only: the folder is all there is; never reach for a model hub from a server.
        self._tokenizer: PreTrainedTokenizerBase = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        # from_pretrained returns the model in eval mode, on the device named by device_map.
        model = AutoModelForCausalLM.from_pretrained(
            folder,
            local_files_only=True,
            device_map=self._device,
            # On CPU float32 is the fast path; on GPU take the dtype the weights were saved in.
            dtype="auto" if self._device == "cuda" else torch.float32,
        )
        # transformers 5.23 annotates GenerationMixin.generate with a private self-type protocol that
        # its own auto classes do not satisfy under mypy; the call itself is the documented API.
        self._generate: Callable[..., object] = cast(Any, model).generate
        if self._tokenizer.chat_template is None:
            raise ValueError(f"the tokenizer in {folder} has no chat template; docqa needs a chat model")
        max_positions = getattr(model.config, "max_position_embeddings", None)
        self._context_window = min(settings.context_window, max_positions or settings.context_window)

    @property
    def mode(self) -> str:
        return "transformers"

    @property
    def model(self) -> str:
        assert self._settings.model is not None
        return self._settings.model

    @property
    def context_window(self) -> int:
        return self._context_window

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` without special tokens, in the model's own tokenizer."""
        return len(self._tokenizer.encode(text, add_special_tokens=False))

    def generate(self, messages: Sequence[ChatMessage], max_tokens: int) -> str:
        return "".join(self.stream(messages, max_tokens))

    def stream(self, messages: Sequence[ChatMessage], max_tokens: int) -> Iterator[str]:
        """Yield decoded text pieces as the model produces them."""
        from transformers import BatchEncoding, StoppingCriteriaList, TextIteratorStreamer

        inputs = self._tokenizer.apply_chat_template(
            [{"role": message.role, "content": message.content} for message in messages],
            add_generation_prompt=True,
            return_tensors="pt",
            return_dict=True,
        )
        # With return_dict=True the result is always a BatchEncoding; the annotation covers every mode.
        assert isinstance(inputs, BatchEncoding)
        timeout_s = self._settings.timeout_s
        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, timeout=timeout_s, skip_special_tokens=True)
        stop = threading.Event()
        failure: list[BaseException] = []
        sampling: dict[str, Any] = (
            {"do_sample": True, "temperature": self._settings.temperature}
            if self._settings.temperature > 0
            else {"do_sample": False}
        )

        # Models without a pad token (most Llama checkpoints) pad with end-of-sequence, as generate() would
        # after warning about it.
        pad_token_id = self._tokenizer.pad_token_id
        if pad_token_id is None:
            pad_token_id = self._tokenizer.eos_token_id

        def run() -> None:
            try:
                self._generate(
                    **{name: tensor.to(self._device) for name, tensor in inputs.items()},
                    max_new_tokens=max_tokens,
                    streamer=streamer,
                    stopping_criteria=StoppingCriteriaList([_stop_criterion(stop)]),
                    pad_token_id=pad_token_id,
                    **sampling,
                )
            except BaseException as exc:  # handed to the consumer thread, which raises it
                failure.append(exc)
                # generate() may fail before the streamer's end signal; send it so the reader wakes.
                streamer.end()  # type: ignore[no-untyped-call]  # transformers leaves end() unannotated

        worker = threading.Thread(target=run, name="docqa-transformers-generate", daemon=True)
        deadline = time.monotonic() + timeout_s
        worker.start()
        try:
            for piece in streamer:
                if piece:
                    yield piece
                if time.monotonic() > deadline:
                    raise GeneratorTimeout(
                        f"the local model {self.model} was still generating after {timeout_s:g} s; "
                        "raise DOCQA_LLM__TIMEOUT_S or lower the answer tokens"
                    )
        except queue.Empty as exc:
            raise GeneratorTimeout(
                f"the local model {self.model} produced nothing for {timeout_s:g} s; "
                "raise DOCQA_LLM__TIMEOUT_S or use a smaller model / a GPU"
            ) from exc
        finally:
            # Also reached when the caller stops reading early: stop generating instead of running on.
            stop.set()
            worker.join(timeout=timeout_s)
        if failure:
            raise GeneratorError(
                f"the local model {self.model} failed while generating: {failure[0]!r}",
                detail={"model": self.model},
            ) from failure[0]


def _stop_criterion(stop: threading.Event) -> Any:
    """A ``StoppingCriteria`` that ends generation once ``stop`` is set (built lazily: needs torch)."""
    import torch
    from transformers import StoppingCriteria

    class StopOnEvent(StoppingCriteria):
        def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.BoolTensor:
            finished: torch.BoolTensor = torch.full(  # type: ignore[assignment]  # full() is typed as Tensor
                (input_ids.shape[0],), stop.is_set(), dtype=torch.bool, device=input_ids.device
            )
            return finished

    return StopOnEvent()
