"""Generators beyond the ``Generator`` contract (tests/backends/contracts/): ``transformers serve`` and in-process
transformers running a tiny random model (what each does on its own), plus fault injection at the HTTP layer
(``httpx.MockTransport``) for failures a real server cannot produce on cue.

The tiny model writes gibberish, so the tests check mechanics. It decodes greedily and never ends
its turn early, so every answer is exactly ``max_tokens`` tokens: a reference answer computed with
plain ``transformers.generate`` must match, byte for byte, what each generator returns.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.backends.generators.openai_chat import OpenAIChatGenerator, estimate_tokens
from service.backends.generators.transformers_local import TransformersGenerator
from service.core.errors import GeneratorError, GeneratorTimeout
from service.core.settings import LlmSettings
from tests.support.chat import MESSAGES
from tests.support.llm import ServedModel, free_port


def llm_settings(**overrides: Any) -> LlmSettings:
    return LlmSettings(**{"backend": "openai", "base_url": "http://llm.test/v1", "model": "tiny", **overrides})


# --- OpenAIChatGenerator against a real `transformers serve` --------------------------------------


@pytest.fixture(scope="module")
def served_generator(tiny_chat_server: ServedModel) -> Iterator[OpenAIChatGenerator]:
    settings = llm_settings(base_url=tiny_chat_server.base_url, model=tiny_chat_server.model, timeout_s=60)
    with OpenAIChatGenerator(settings) as generator:
        yield generator


@pytest.mark.slow
def test_served_count_tokens_falls_back_to_estimate(served_generator: OpenAIChatGenerator) -> None:
    # transformers serve has no /tokenize (vLLM has): the documented conservative estimate applies.
    text = "The tenant shall pay the rent on the first day of each month."
    assert served_generator.count_tokens(text) == estimate_tokens(text) == 21


@pytest.mark.slow
def test_served_wrong_model_name_is_a_generator_error(tiny_chat_server: ServedModel) -> None:
    settings = llm_settings(base_url=tiny_chat_server.base_url, model="no-such-model", max_retries=0)
    with OpenAIChatGenerator(settings) as generator, pytest.raises(GeneratorError) as caught:
        generator.generate(MESSAGES, 4)
    assert caught.value.detail["status"] == 400
    assert tiny_chat_server.base_url in caught.value.message
    assert "no-such-model" in caught.value.message


def test_count_tokens_with_tokenizer_dir_equals_the_tokenizer(tiny_chat_model: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_chat_model)
    # The server is never asked (nothing listens at llm.test): the local tokenizer answers.
    with OpenAIChatGenerator(llm_settings(tokenizer_dir=tiny_chat_model)) as generator:
        for text in ["", "Hello world", "Section 1.2 of the lease — notice: thirty (30) days. Ünïcödé 🚀"]:
            assert generator.count_tokens(text) == len(tokenizer.encode(text, add_special_tokens=False))


# --- TransformersGenerator in-process -------------------------------------------------------------


@pytest.fixture(scope="module")
def local_generator(tiny_chat_model: Path) -> TransformersGenerator:
    return TransformersGenerator(LlmSettings(backend="transformers", model=str(tiny_chat_model)))


def test_transformers_stops_generating_when_the_reader_stops(local_generator: TransformersGenerator) -> None:
    stream = local_generator.stream(MESSAGES, 1500)
    assert next(stream)
    started = time.monotonic()
    stream.close()  # a client that disconnects mid-answer
    assert time.monotonic() - started < 5
    assert not [thread for thread in threading.enumerate() if thread.name == "docqa-transformers-generate"]


def test_transformers_refuses_a_folder_without_a_model(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a local model folder"):
        TransformersGenerator(LlmSettings(backend="transformers", model=str(tmp_path)))


# --- Fault injection at the HTTP layer ------------------------------------------------------------


def chunk(content: str | None = None, finish_reason: str | None = None) -> bytes:
    payload = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "tiny",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish_reason}],
    }
    return f"data: {json.dumps(payload)}\n\n".encode()


def sse_response(events: Any) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=events)


def mock_generator(handler: Callable[[httpx.Request], httpx.Response], **overrides: Any) -> OpenAIChatGenerator:
    # The caller owns an injected client; these tests let garbage collection close the mock one.
    return OpenAIChatGenerator(
        llm_settings(**overrides), http_client=httpx.Client(transport=httpx.MockTransport(handler))
    )


def test_mock_stream_happy_path() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert body["messages"] == [{"role": m.role, "content": m.content} for m in MESSAGES]
        assert body["stream"] is True and body["max_tokens"] == 7 and body["model"] == "tiny"
        return sse_response([chunk("Thirty"), chunk(" days"), chunk(None, "stop"), b"data: [DONE]\n\n"])

    assert list(mock_generator(handler).stream(MESSAGES, 7)) == ["Thirty", " days"]


@pytest.mark.parametrize("call", ["stream", "generate"])
def test_5xx_is_retried_then_generator_error(call: str) -> None:
    attempts = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        # retry-after-ms keeps the SDK's exponential back-off (0.5 s, 1 s, ...) out of the test's time.
        return httpx.Response(500, json={"error": {"message": "CUDA out of memory"}}, headers={"retry-after-ms": "1"})

    generator = mock_generator(handler, max_retries=2)
    with pytest.raises(GeneratorError) as caught:
        "".join(generator.stream(MESSAGES, 4)) if call == "stream" else generator.generate(MESSAGES, 4)
    assert len(attempts) == 3
    assert type(caught.value) is GeneratorError
    assert caught.value.detail["status"] == 500
    assert "http://llm.test/v1" in caught.value.message and "after 2 retries" in caught.value.message


@pytest.mark.parametrize("call", ["stream", "generate"])
def test_timeout_is_generator_timeout(call: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    generator = mock_generator(handler, max_retries=0)
    with pytest.raises(GeneratorTimeout, match="did not answer within"):
        "".join(generator.stream(MESSAGES, 4)) if call == "stream" else generator.generate(MESSAGES, 4)


def test_a_trickling_stream_is_cut_at_the_timeout() -> None:
    def forever() -> Iterator[bytes]:
        while True:
            time.sleep(0.05)
            yield chunk("x")

    generator = mock_generator(lambda request: sse_response(forever()), timeout_s=0.5)
    started = time.monotonic()
    received = []
    with pytest.raises(GeneratorTimeout, match="still streaming"):
        for delta in generator.stream(MESSAGES, 4):
            received.append(delta)
    assert received and time.monotonic() - started < 2


def test_a_silent_real_server_times_out() -> None:
    # Accepts connections and never answers: the read timeout must fire, with no mock involved.
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept)
    thread.start()
    try:
        port = listener.getsockname()[1]
        with OpenAIChatGenerator(
            llm_settings(base_url=f"http://127.0.0.1:{port}/v1", timeout_s=0.5, max_retries=0)
        ) as generator:
            started = time.monotonic()
            with pytest.raises(GeneratorTimeout):
                list(generator.stream(MESSAGES, 4))
            assert time.monotonic() - started < 3
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


@pytest.mark.parametrize(
    ("events", "delivered"),
    [
        pytest.param([b"data: {this is not json\n\n"], [], id="garbage"),
        pytest.param([chunk("Thirty"), b'data: {"id": "chatcmpl-1", "choi'], ["Thirty"], id="cut-mid-event"),
        pytest.param([chunk("Thirty"), chunk(" days")], ["Thirty", " days"], id="no-finish"),
        pytest.param(
            [chunk("Thirty"), b'data: {"error": {"message": "engine died"}}\n\n'], ["Thirty"], id="error-event"
        ),
        pytest.param([b'data: {"unexpected": true}\n\n'], [], id="no-choices"),
    ],
)
def test_broken_stream_is_generator_error(events: list[bytes], delivered: list[str]) -> None:
    generator = mock_generator(lambda request: sse_response(events))
    received = []
    with pytest.raises(GeneratorError) as caught:
        for delta in generator.stream(MESSAGES, 4):
            received.append(delta)
    assert type(caught.value) is GeneratorError
    assert "http://llm.test/v1" in caught.value.message
    # Deltas that arrived before the break were delivered, not lost.
    assert received == delivered


def test_connection_dropped_mid_stream_is_generator_error() -> None:
    def events() -> Iterator[bytes]:
        yield chunk("Thirty")
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

    generator = mock_generator(lambda request: sse_response(events()))
    received = []
    with pytest.raises(GeneratorError, match="cannot reach"):
        for delta in generator.stream(MESSAGES, 4):
            received.append(delta)
    assert received == ["Thirty"]


def test_malformed_non_stream_answer_is_generator_error() -> None:
    generator = mock_generator(lambda request: httpx.Response(200, json={"unexpected": True}))
    with pytest.raises(GeneratorError, match="malformed response"):
        generator.generate(MESSAGES, 4)


def test_connection_refused_fails_fast() -> None:
    base_url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    with OpenAIChatGenerator(llm_settings(base_url=base_url, max_retries=1)) as generator:
        started = time.monotonic()
        with pytest.raises(GeneratorError) as caught:
            generator.generate(MESSAGES, 4)
        # One retry after the SDK's ~0.5 s back-off; far below the 60 s timeout.
        assert time.monotonic() - started < 5
    assert type(caught.value) is GeneratorError
    assert base_url in caught.value.message and "DOCQA_LLM__BASE_URL" in caught.value.message


def test_count_tokens_uses_a_vllm_tokenize_endpoint() -> None:
    requests = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        # vLLM serves /tokenize at the server root, beside /v1.
        assert request.url == "http://llm.test/tokenize"
        body = json.loads(request.content)
        assert body["model"] == "tiny" and body["prompt"] == "hello world"
        return httpx.Response(200, json={"tokens": [15339, 1917], "count": 2, "max_model_len": 8192})

    generator = mock_generator(handler)
    assert generator.count_tokens("hello world") == 2
    assert generator.count_tokens("hello world") == 2
    assert len(requests) == 2


def test_count_tokens_estimates_once_the_endpoint_is_missing() -> None:
    requests = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(404, json={"detail": "Not Found"})

    generator = mock_generator(handler)
    assert generator.count_tokens("a" * 10) == 4  # ceil(10 / 3)
    assert generator.count_tokens("é" * 3) == 2  # 6 UTF-8 bytes
    assert len(requests) == 1  # a missing endpoint is remembered, not asked again


def test_count_tokens_with_a_failing_tokenize_endpoint_is_generator_error() -> None:
    generator = mock_generator(lambda request: httpx.Response(503, text="overloaded"))
    with pytest.raises(GeneratorError, match="HTTP 503"):
        generator.count_tokens("hello")


def test_settings_without_a_server_are_refused() -> None:
    with pytest.raises(ValueError, match="DOCQA_LLM__BASE_URL"):
        OpenAIChatGenerator(LlmSettings(backend="openai", model="tiny"))
    with pytest.raises(ValueError, match="DOCQA_LLM__MODEL"):
        OpenAIChatGenerator(LlmSettings(backend="openai", base_url="http://llm.test/v1"))
