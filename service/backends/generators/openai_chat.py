"""``OpenAIChatGenerator``: answers from any OpenAI-compatible chat server (vLLM in production).

Failures map onto the one exception tree: an unreachable server, 5xx after the retries, a refused
request or a broken stream raise ``GeneratorError`` (502); a timeout raises ``GeneratorTimeout`` (504).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import httpx
import openai
from openai.types.chat import ChatCompletionMessageParam

from service.core.errors import GeneratorError, GeneratorTimeout
from service.core.seams import ChatMessage
from service.core.settings import LlmSettings

log = logging.getLogger(__name__)

BYTES_PER_TOKEN_ESTIMATE = 3
"""Used when no tokenizer is at hand. BPE vocabularies of chat models average ~4 bytes of English per
token; assuming 3 over-counts ordinary text, so prompts built on the estimate stay inside the window.
Text that is mostly non-Latin script or symbols can still take more tokens than this estimate."""

# Status codes that mean "this server has no tokenize endpoint" rather than "the server is broken".
_NO_ENDPOINT_STATUSES = frozenset({404, 405, 501})


class OpenAIChatGenerator:
    """A ``Generator`` over the chat completions API of an OpenAI-compatible server.

    Each HTTP attempt is bounded by ``settings.timeout_s`` and failed attempts (connection errors,
    5xx) are retried ``settings.max_retries`` times by the ``openai`` SDK, so a call takes at most
    about ``(max_retries + 1) * timeout_s`` plus back-off. A stream is also cut after ``timeout_s``
    in total, so a server that trickles tokens forever cannot hold a request.

    Pass ``http_client`` to share a connection pool or, in tests, an ``httpx.MockTransport``; the
    caller then owns it. Otherwise the generator owns its client: call ``close`` when done.
    """

    def __init__(self, settings: LlmSettings, http_client: httpx.Client | None = None) -> None:
        if not settings.base_url:
            raise ValueError("the openai LLM backend needs a server: set DOCQA_LLM__BASE_URL, e.g. http://vllm:8000/v1")
        if not settings.model:
            raise ValueError("the openai LLM backend needs a model name: set DOCQA_LLM__MODEL to the served model")
        self._settings = settings
        self._base_url = settings.base_url.rstrip("/")
        self._model = settings.model
        self._owns_http_client = http_client is None
        self._http = http_client or httpx.Client(timeout=settings.timeout_s)
        self._client = openai.OpenAI(
            base_url=self._base_url,
            api_key=settings.api_key,
            timeout=settings.timeout_s,
            max_retries=settings.max_retries,
            # openai 3.x is typed for httpx2 but accepts a legacy httpx.Client at run time
            # (``is_legacy_httpx_sync_client`` in openai/_httpx2.py); httpx is docqa's pinned client.
            http_client=cast(Any, self._http),
        )
        self._tokenizer: _LocalTokenizer | None = None
        self._tokenizer_lock = threading.Lock()
        # None: not asked yet; False: the server has no tokenize endpoint, estimate instead.
        self._server_tokenize: bool | None = None

    @property
    def mode(self) -> str:
        return "openai"

    @property
    def model(self) -> str:
        return self._model

    @property
    def context_window(self) -> int:
        return self._settings.context_window

    @property
    def base_url(self) -> str:
        return self._base_url

    def close(self) -> None:
        """Release the connection pool if this generator created it."""
        if self._owns_http_client:
            self._http.close()

    def __enter__(self) -> OpenAIChatGenerator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- generation ---------------------------------------------------------------------------

    def stream(self, messages: Sequence[ChatMessage], max_tokens: int) -> Iterator[str]:
        """Yield the answer's content deltas; raises ``GeneratorError``/``GeneratorTimeout`` on failure.

        Deltas already yielded stay valid: a failure mid-stream is raised after them, never retried,
        because the caller has already consumed part of the answer.
        """
        deadline = time.monotonic() + self._settings.timeout_s
        finished = False
        try:
            response = self._client.chat.completions.create(
                model=self._model,
                messages=_to_openai_messages(messages),
                max_tokens=max_tokens,
                temperature=self._settings.temperature,
                stream=True,
            )
            with response:
                for chunk in response:
                    for choice in _field(chunk, "choices", list):
                        delta = _field(choice, "delta", object)
                        content = _optional_field(delta, "content", str)
                        if content:
                            yield content
                        if _optional_field(choice, "finish_reason", str):
                            finished = True
                    if time.monotonic() > deadline:
                        raise GeneratorTimeout(
                            f"the LLM server at {self._base_url} was still streaming after "
                            f"{self._settings.timeout_s:g} s; raise DOCQA_LLM__TIMEOUT_S or lower the answer tokens",
                            detail={"base_url": self._base_url, "timeout_s": self._settings.timeout_s},
                        )
        except openai.OpenAIError as exc:
            raise self._translate(exc) from exc
        except (ValueError, _MalformedResponse) as exc:
            # json.JSONDecodeError from a data line that is not JSON, or a chunk without choices/delta.
            raise self._malformed(f"a malformed stream event ({exc})") from exc
        if not finished:
            # vLLM and transformers serve both end with a chunk carrying finish_reason; a stream
            # that stops without one was cut (server crash, proxy timeout, dropped connection).
            raise self._malformed("a stream that ended before the answer was finished (no finish_reason)")

    def generate(self, messages: Sequence[ChatMessage], max_tokens: int) -> str:
        """The whole answer from one non-streaming request."""
        try:
            completion = self._client.chat.completions.create(
                model=self._model,
                messages=_to_openai_messages(messages),
                max_tokens=max_tokens,
                temperature=self._settings.temperature,
            )
            choices = _field(completion, "choices", list)
            if not choices:
                raise _MalformedResponse("no choices")
            message = _field(choices[0], "message", object)
            return _optional_field(message, "content", str) or ""
        except openai.OpenAIError as exc:
            raise self._translate(exc) from exc
        except (ValueError, _MalformedResponse) as exc:
            raise self._malformed(f"a malformed response ({exc})") from exc

    # -- token counting -----------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` (without special tokens) in the served model's tokenizer.

        In order of preference: the local tokenizer in ``settings.tokenizer_dir``; the server's
        ``POST /tokenize`` (vLLM serves it at the server root, beside ``/v1``); and, when the server
        has no such endpoint (``transformers serve``, most hosted APIs), the conservative estimate
        ``ceil(utf8_bytes / 3)`` (see ``BYTES_PER_TOKEN_ESTIMATE``), with one warning in the log.
        """
        if self._settings.tokenizer_dir is not None:
            return self._local_tokenizer().count(text)
        if self._server_tokenize is not False:
            count = self._count_on_server(text)
            if count is not None:
                return count
        return estimate_tokens(text)

    def _local_tokenizer(self) -> _LocalTokenizer:
        with self._tokenizer_lock:
            if self._tokenizer is None:
                assert self._settings.tokenizer_dir is not None
                self._tokenizer = _LocalTokenizer(self._settings.tokenizer_dir)
            return self._tokenizer

    def _count_on_server(self, text: str) -> int | None:
        url = f"{self.server_root}/tokenize"
        try:
            response = self._http.post(
                url,
                json={"model": self._model, "prompt": text, "add_special_tokens": False},
                headers={"Authorization": f"Bearer {self._settings.api_key}"},
                timeout=self._settings.timeout_s,
            )
        except httpx.TimeoutException as exc:
            raise GeneratorTimeout(
                f"the LLM server at {url} did not answer within {self._settings.timeout_s:g} s",
                detail={"url": url},
            ) from exc
        except httpx.TransportError as exc:
            raise GeneratorError(
                f"cannot reach the LLM server at {url} ({exc!r}); check DOCQA_LLM__BASE_URL and that the server runs",
                detail={"url": url},
            ) from exc
        if response.status_code in _NO_ENDPOINT_STATUSES:
            self._server_tokenize = False
            log.warning(
                "the LLM server at %s has no tokenize endpoint (HTTP %s); prompt tokens are estimated as "
                "ceil(utf8 bytes / %d). Set DOCQA_LLM__TOKENIZER_DIR to count them exactly.",
                self._base_url,
                response.status_code,
                BYTES_PER_TOKEN_ESTIMATE,
            )
            return None
        if response.status_code != 200:
            raise GeneratorError(
                f"the LLM server at {url} answered HTTP {response.status_code} to a tokenize request",
                detail={"url": url, "status": response.status_code, "body": response.text[:500]},
            )
        try:
            count = response.json()["count"]
        except (ValueError, KeyError, TypeError) as exc:
            raise GeneratorError(
                f"the LLM server at {url} sent a tokenize answer without a count", detail={"body": response.text[:500]}
            ) from exc
        if not isinstance(count, int) or count < 0:
            raise GeneratorError(f"the LLM server at {url} sent a bad token count {count!r}")
        self._server_tokenize = True
        return count

    @property
    def server_root(self) -> str:
        """The base URL without its ``/v1`` suffix: where vLLM serves ``/tokenize``."""
        return self._base_url.removesuffix("/v1")

    # -- error mapping ------------------------------------------------------------------------

    def _translate(self, exc: openai.OpenAIError) -> GeneratorError:
        detail: dict[str, Any] = {"base_url": self._base_url, "model": self._model}
        # APITimeoutError subclasses APIConnectionError, so it is checked first.
        if isinstance(exc, openai.APITimeoutError):
            return GeneratorTimeout(
                f"the LLM server at {self._base_url} did not answer within {self._settings.timeout_s:g} s "
                f"(after {self._settings.max_retries} retries); check the server's load or raise DOCQA_LLM__TIMEOUT_S",
                detail=detail,
            )
        if isinstance(exc, openai.APIConnectionError):
            return GeneratorError(
                f"cannot reach the LLM server at {self._base_url} (after {self._settings.max_retries} retries); "
                "check DOCQA_LLM__BASE_URL and that the server is running",
                detail=detail,
            )
        if isinstance(exc, openai.APIStatusError):
            detail.update(status=exc.status_code, body=_short_body(exc.body))
            hint = {
                401: "check DOCQA_LLM__API_KEY",
                403: "check DOCQA_LLM__API_KEY",
                404: f"check DOCQA_LLM__MODEL ({self._model!r}) against the served models and DOCQA_LLM__BASE_URL",
            }.get(exc.status_code, "see the server's log")
            retried = f" after {self._settings.max_retries} retries" if exc.status_code >= 500 else ""
            return GeneratorError(
                f"the LLM server at {self._base_url} answered HTTP {exc.status_code}{retried} "
                f"({_short_body(exc.body)[:200]}); {hint}",
                detail=detail,
            )
        if isinstance(exc, openai.APIError) and exc.body is not None:
            # An error event inside an otherwise good stream, e.g. vLLM aborting a request.
            detail.update(body=_short_body(exc.body))
            return GeneratorError(f"the LLM server at {self._base_url} reported an error: {exc.message}", detail=detail)
        return self._malformed(f"an unusable answer ({exc})")

    def _malformed(self, what: str) -> GeneratorError:
        return GeneratorError(
            f"the LLM server at {self._base_url} sent {what}; check that it is an OpenAI-compatible server "
            "(e.g. vLLM) and that no proxy cuts streaming responses",
            detail={"base_url": self._base_url, "model": self._model},
        )


def estimate_tokens(text: str) -> int:
    """A conservative token count for ``text`` when no tokenizer is available."""
    return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN_ESTIMATE)


class _LocalTokenizer:
    """Counts tokens with the tokenizer files of a local model folder, loaded once."""

    def __init__(self, folder: Path) -> None:
        self._encode_len: Callable[[str], int]
        tokenizer_json = folder / "tokenizer.json"
        if tokenizer_json.is_file():
            # The Rust ``tokenizers`` library loads in milliseconds; transformers takes seconds to import.
            from tokenizers import Tokenizer

            fast = Tokenizer.from_file(str(tokenizer_json))
            self._encode_len = lambda text: len(fast.encode(text, add_special_tokens=False).ids)
        elif folder.is_dir():
            # Slow (sentencepiece-only) tokenizers have no tokenizer.json; transformers converts them.
            from transformers import AutoTokenizer

            slow = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
            self._encode_len = lambda text: len(slow.encode(text, add_special_tokens=False))
        else:
            raise GeneratorError(
                f"DOCQA_LLM__TOKENIZER_DIR {folder} is not a folder; point it at the served model's tokenizer files",
                detail={"tokenizer_dir": str(folder)},
            )

    def count(self, text: str) -> int:
        return self._encode_len(text)


class _MalformedResponse(Exception):
    """A response that parsed but lacks the fields every chat completion has."""


def _field(obj: object, name: str, kind: type[Any]) -> Any:
    # The SDK builds responses without validation (its strict mode is private), so a server that
    # sends ``{}`` yields objects whose attributes are missing; check the few fields docqa reads.
    value = getattr(obj, name, None)
    if not isinstance(value, kind):
        raise _MalformedResponse(f"{name!r} missing or not {kind.__name__}")
    return value


def _optional_field(obj: object, name: str, kind: type[str]) -> str | None:
    value = getattr(obj, name, None)
    if value is not None and not isinstance(value, kind):
        raise _MalformedResponse(f"{name!r} is not {kind.__name__}")
    return value


def _short_body(body: object) -> str:
    text = body if isinstance(body, str) else json.dumps(body, default=str)
    return text[:500]


def _to_openai_messages(messages: Sequence[ChatMessage]) -> list[ChatCompletionMessageParam]:
    converted: list[ChatCompletionMessageParam] = []
    for message in messages:
        if message.role == "system":
            converted.append({"role": "system", "content": message.content})
        elif message.role == "user":
            converted.append({"role": "user", "content": message.content})
        else:
            converted.append({"role": "assistant", "content": message.content})
    return converted
