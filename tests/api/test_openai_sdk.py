"""The official ``openai`` Python SDK as the client of docqa's ``/v1/models`` and ``/v1/chat/completions``,
against a real uvicorn server on a free localhost port (SQLite and PostgreSQL).

Existing clients must work unchanged: the model name selects the collection, the last user message
is the question, streaming streams, and the citations arrive both as numbered references in the
content and in the extra field ``citations``.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from service.api.app import create_app
from service.backends.generators.openai_chat import OpenAIChatGenerator
from service.components import Components
from service.core.seams import Embedder
from service.core.settings import LlmSettings
from service.engine.answering.prompts import REFUSAL_SENTENCE
from tests.support.api import COLLECTION, FACTS, UNRELATED, Corpus, ingested_corpus, serving
from tests.support.llm import ServedModel

MODEL = f"docqa/{COLLECTION}"
FEE = FACTS[2]  # "How much is the settlement fee?"


@contextlib.contextmanager
def served_parts(parts: Components) -> Iterator[str]:
    try:
        with serving(create_app(parts.settings, parts)) as root:
            yield root
    finally:
        parts.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def corpus(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, models_cache: Path, embedder: Embedder
) -> Iterator[Corpus]:
    with ingested_corpus(request.param, tmp_path_factory.mktemp(f"sdk-{request.param}"), models_cache, embedder) as c:
        yield c


@pytest.fixture(scope="module")
def root(corpus: Corpus) -> Iterator[str]:
    """docqa in the extractive mode, served by uvicorn."""
    with served_parts(corpus.components()) as url:
        yield url


@pytest.fixture
def client(root: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{root}/v1", api_key="no-key-needed", max_retries=0, timeout=60) as sdk:
        yield sdk


def reference_lines(content: str) -> dict[int, str]:
    """The numbered references appended to the content: ``{marker: line}``."""
    _, _, references = content.partition("\n\nReferences:\n")
    return {int(line[1 : line.index("]")]): line for line in references.splitlines()}


def test_models_lists_one_model_per_collection(client: openai.OpenAI) -> None:
    models = client.models.list()
    assert [model.id for model in models] == [MODEL]
    assert models.data[0].object == "model" and models.data[0].owned_by == "docqa"


def test_a_completion_carries_citations_twice(client: openai.OpenAI, root: str) -> None:
    completion = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": FEE.question}])
    assert completion.object == "chat.completion" and completion.model == MODEL
    (choice,) = completion.choices
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    content = choice.message.content or ""
    extra = completion.model_extra or {}
    assert extra["mode"] == "extractive" and extra["refused"] is False
    citations = extra["citations"]
    assert citations and any(FEE.words in c["quote"] for c in citations)
    references = reference_lines(content)
    assert sorted(references) == [c["marker"] for c in citations]
    answer = content.partition("\n\nReferences:\n")[0]
    for citation in citations:
        flat_quote = " ".join(citation["quote"].split())
        assert f"[{citation['marker']}]" in answer and flat_quote in answer
        assert (
            references[citation["marker"]]
            == f"[{citation['marker']}] {citation['title']}, p. {citation['page']}: “{flat_quote}”"
        )
        page = httpx.get(f"{root}/v1/documents/{citation['document_id']}/pages/{citation['page']}").json()
        assert page["text"][citation["page_char_start"] : citation["page_char_end"]] == citation["quote"]
    assert completion.usage is not None and completion.usage.total_tokens == 0  # no LLM, no tokens


def test_a_streamed_completion_equals_the_whole_one(client: openai.OpenAI) -> None:
    messages: list[Any] = [{"role": "user", "content": FEE.question}]
    whole = client.chat.completions.create(model=MODEL, messages=messages)
    chunks = list(client.chat.completions.create(model=MODEL, messages=messages, stream=True))
    assert all(chunk.object == "chat.completion.chunk" and chunk.model == MODEL for chunk in chunks)
    assert len({chunk.id for chunk in chunks}) == 1 and chunks[0].choices[0].delta.role == "assistant"
    content = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert content == whole.choices[0].message.content
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert (last.model_extra or {})["citations"] == (whole.model_extra or {})["citations"] != []


def test_the_last_user_message_is_the_question(client: openai.OpenAI) -> None:
    deposition, rent = FACTS[3], FACTS[0]
    completion = client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "You are a careful paralegal."},
            {"role": "user", "content": deposition.question},
            {"role": "assistant", "content": "On 14 October 2026."},
            {"role": "user", "content": [{"type": "text", "text": rent.question}]},
        ],
    )
    citations = (completion.model_extra or {})["citations"]
    assert any(rent.words in c["quote"] and c["source"] == rent.source for c in citations), citations


def test_an_unrelated_question_is_refused_without_references(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": UNRELATED[1]}])
    assert completion.choices[0].message.content == REFUSAL_SENTENCE
    extra = completion.model_extra or {}
    assert extra["refused"] is True and extra["citations"] == []


def test_errors_reach_the_sdk_as_its_own_exceptions(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="docqa/nope", messages=[{"role": "user", "content": "What rent?"}])
    assert missing.value.code == "not_found" and "collection 'nope' not found" in missing.value.message
    assert missing.value.body == {
        "code": "not_found",
        "message": "collection 'nope' not found",
        "detail": {"field": "collection"},
    }
    with pytest.raises(openai.UnprocessableEntityError) as no_question:
        client.chat.completions.create(model=MODEL, messages=[{"role": "system", "content": "Be brief."}])
    assert no_question.value.code == "invalid_input" and "user message" in no_question.value.message


# --- Generated answers (openai mode) through the SDK ------------------------------------------------


def chunk(content: str | None, finish_reason: str | None = None) -> bytes:
    choice = {"index": 0, "delta": {"content": content}, "finish_reason": finish_reason}
    payload = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "tiny", "choices": [choice]}
    return f"data: {json.dumps(payload)}\n\n".encode()


def test_a_stream_reaches_the_client_while_the_llm_is_still_writing(corpus: Corpus, tiny_chat_model: Path) -> None:
    """The first words arrive before the LLM has written the rest: nothing on the way buffers the answer."""
    gate = threading.Event()
    released: list[bool] = []

    def llm_answer() -> Iterator[bytes]:
        yield chunk("The fee is")
        released.append(gate.wait(timeout=15))  # opened by the test once the SDK has shown the first words
        yield chunk(" $40,000 [1].")
        yield chunk(None, "stop")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=llm_answer())

    llm = LlmSettings(backend="openai", base_url="http://llm.test/v1", model="tiny", tokenizer_dir=tiny_chat_model)
    parts = corpus.components(corpus.settings.model_copy(update={"llm": llm}))
    parts.__dict__["generator"] = OpenAIChatGenerator(
        llm, http_client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    with served_parts(parts) as url, openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0) as sdk:
        stream = sdk.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": FEE.question}], stream=True
        )
        pieces: list[str] = []
        for part in stream:
            text = part.choices[0].delta.content or ""
            if text and not gate.is_set():
                gate.set()  # the first words are here; let the LLM write the rest
            pieces.append(text)
        last = part
    assert released == [True]  # the LLM was still waiting when the client read the first words
    content = "".join(pieces)
    assert content.startswith("The fee is $40,000 [1].\n\nReferences:\n[1] Settlement agreement, p. 1: “")
    assert [c["marker"] for c in (last.model_extra or {})["citations"]] == [1]


@pytest.mark.slow
def test_the_sdk_through_docqa_to_a_real_llm_server(corpus: Corpus, tiny_chat_server: ServedModel) -> None:
    llm = LlmSettings(
        backend="openai",
        base_url=tiny_chat_server.base_url,
        model=tiny_chat_server.model,
        tokenizer_dir=tiny_chat_server.model_dir,
        context_window=2048,
        answer_tokens=16,
    )
    parts = corpus.components(corpus.settings.model_copy(update={"llm": llm}))
    with served_parts(parts) as url, openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0) as sdk:
        messages: list[Any] = [{"role": "user", "content": FEE.question}]
        chunks = list(sdk.chat.completions.create(model=MODEL, messages=messages, stream=True))
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    extra = chunks[-1].model_extra or {}
    # Every sentence that streamed was checked, and each one the check did not support is marked in the content.
    assert extra["answer"] and extra["claims"] and all(claim["text"] in content for claim in extra["claims"])
    assert all(f"“{claim['text']}”" in content for claim in extra["claims"] if not claim["supported"])
    assert chunks[-1].choices[0].finish_reason == "stop"
    # Gibberish cites nothing, and docqa invents no citation for it.
    assert extra["citations"] == [] and not re.search(r"\[\d+\]", content)
