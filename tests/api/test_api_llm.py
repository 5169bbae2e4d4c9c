"""``/v1/ask`` and ``/v1/chat/completions`` in the ``openai`` mode, on SQLite and PostgreSQL.

Against the real ``transformers serve`` running the tiny random model: the prompt (system prompt from
``prompts/``, numbered sources, question), the context budget counted with the model's tokenizer, and
the streaming order. The model writes gibberish, so what it says is never checked.

Through ``httpx.MockTransport``, for what a real server cannot do on cue: canned answers with good,
bad and unverifiable citations or the refusal sentence; 5xx, timeouts and broken streams.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import jinja2
import pytest
from fastapi.testclient import TestClient
from tokenizers import Tokenizer

from service.backends.generators.openai_chat import OpenAIChatGenerator
from service.core.seams import Embedder
from service.core.settings import LlmSettings
from service.engine.answering.claims import WITHHELD_REASON
from service.engine.answering.followup import REWRITE_TOKENS
from service.engine.answering.prompts import REFUSAL_SENTENCE, load_prompts
from service.engine.answering.qa import NOT_FOUND_MESSAGE, QaEngine
from tests.support.api import (
    COLLECTION,
    FACTS,
    Corpus,
    Recorder,
    api_client,
    assert_envelope,
    ingested_corpus,
    sse_events,
)
from tests.support.llm import CHAT_TEMPLATE, ServedModel, free_port

SETTLEMENT = FACTS[2]  # "How much is the settlement fee?", answered by settlement.pdf
MOCK_URL = "http://llm.test/v1"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def corpus(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, models_cache: Path, embedder: Embedder
) -> Iterator[Corpus]:
    with ingested_corpus(request.param, tmp_path_factory.mktemp(f"llm-{request.param}"), models_cache, embedder) as c:
        yield c


@contextlib.contextmanager
def llm_app(corpus: Corpus, llm: LlmSettings, http_client: httpx.Client) -> Iterator[TestClient]:
    """The app over ``corpus`` answering with an ``OpenAIChatGenerator`` on ``http_client``."""
    parts = corpus.components(corpus.settings.model_copy(update={"llm": llm}))
    parts.__dict__["generator"] = OpenAIChatGenerator(llm, http_client=http_client)
    try:
        with api_client(parts) as client:
            yield client
    finally:
        parts.close()
        http_client.close()


def served_llm(server: ServedModel, **overrides: Any) -> LlmSettings:
    settings = {
        "backend": "openai",
        "base_url": server.base_url,
        "model": server.model,
        "tokenizer_dir": server.model_dir,
        "answer_tokens": 16,
        "context_window": 2048,  # the tiny model's positions
        "max_retries": 0,
        **overrides,
    }
    return LlmSettings(**settings)


def prompt_tokens(tokenizer: Tokenizer, messages: list[dict[str, str]]) -> int:
    """Tokens the server feeds the model: the messages through the model's chat template."""
    text = jinja2.Template(CHAT_TEMPLATE).render(messages=messages, add_generation_prompt=True)
    return len(tokenizer.encode(text, add_special_tokens=False).ids)


# --- Against the real server ----------------------------------------------------------------------


@pytest.mark.slow
def test_the_prompt_holds_the_system_prompt_the_numbered_sources_and_the_question(
    corpus: Corpus, tiny_chat_server: ServedModel
) -> None:
    recorder = Recorder()
    with llm_app(corpus, served_llm(tiny_chat_server), httpx.Client(event_hooks={"request": [recorder]})) as client:
        response = client.post("/v1/ask", json={"question": SETTLEMENT.question, "collection": COLLECTION, "k": 3})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["mode"], answer["model"]) == ("openai", tiny_chat_server.model)
    assert answer["usage"]["prompt_tokens"] > 0 and answer["usage"]["completion_tokens"] > 0
    (body,) = recorder.bodies
    assert (body["model"], body["max_tokens"], body["stream"]) == (tiny_chat_server.model, 16, True)
    tokenizer = Tokenizer.from_file(str(tiny_chat_server.model_dir / "tokenizer.json"))
    assert prompt_tokens(tokenizer, body["messages"]) + 16 <= 2048
    system, user = body["messages"]
    # The system prompt is the file in prompts/, with the one refusal sentence filled in.
    template = (corpus.settings.prompts_dir / "answer_system.txt").read_text()
    assert system == {"role": "system", "content": template.replace("{refusal}", REFUSAL_SENTENCE)}
    assert REFUSAL_SENTENCE in system["content"]
    # The user message: the retrieved chunks, numbered in rank order, then the question.
    hits = corpus_hits(corpus, SETTLEMENT.question, 3)
    assert hits[0].source == "settlement.pdf"
    expected = [f"[{n}] {hit.title} (page {hit.page_start})\n{hit.text}" for n, hit in enumerate(hits, 1)]
    user_template = (corpus.settings.prompts_dir / "answer_user.txt").read_text()
    content = user_template.replace("{sources}", "\n\n".join(expected)).replace("{question}", SETTLEMENT.question)
    assert user == {"role": "user", "content": content}
    assert content.index("[1] Settlement agreement (page 1)") < content.index("[3] ") < content.index("Question: ")


def corpus_hits(corpus: Corpus, question: str, k: int) -> list[Any]:
    parts = corpus.components()
    try:
        return parts.retriever.search(question, COLLECTION, k)
    finally:
        parts.close()


@pytest.mark.slow
def test_when_not_even_the_best_source_fits_nothing_is_sent(corpus: Corpus, tiny_chat_server: ServedModel) -> None:
    recorder = Recorder()
    question = "What does the lease say about " + "rent and notice and fees and terms " * 100
    with llm_app(
        corpus, served_llm(tiny_chat_server, context_window=1024), httpx.Client(event_hooks={"request": [recorder]})
    ) as client:
        response = client.post("/v1/ask", json={"question": question, "collection": COLLECTION})
        # A long question is the caller's to shorten ...
        error = assert_envelope(response, 400, "bad_request")
        assert "ask a shorter question" in error["message"] and error["detail"] == {"field": "question"}
    with llm_app(
        corpus, served_llm(tiny_chat_server, context_window=300), httpx.Client(event_hooks={"request": [recorder]})
    ) as client:
        # ... but a window too small for the best (court) chunk of a short question is the settings' fault.
        response = client.post("/v1/ask", json={"question": FACTS[5].question, "collection": COLLECTION})
        error = assert_envelope(response, 500, "internal")
        assert "DOCQA_LLM__CONTEXT_WINDOW" in error["message"] and error["detail"]["context_window"] == 300
    assert recorder.bodies == []  # an over-long prompt is never sent


@pytest.mark.slow
def test_a_follow_up_rewrite_that_runs_away_falls_back_to_the_rule(
    corpus: Corpus, tiny_chat_server: ServedModel
) -> None:
    """The real server gets the rewrite prompt (the earlier question, then the follow-up); the tiny model never
    stops, so its rewrite is cut off at the limit and the rule's standalone question is used instead."""
    recorder = Recorder()
    llm = served_llm(tiny_chat_server)
    with llm_app(corpus, llm, httpx.Client(event_hooks={"request": [recorder]})) as client:
        first = client.post(
            "/v1/ask", json={"question": "What rent does the Landlord receive?", "collection": COLLECTION}
        )
        assert first.status_code == 200, first.text
        body = {"question": "When does it end?", "collection": COLLECTION, "thread_id": first.json()["thread_id"]}
        follow = client.post("/v1/ask", json=body)
    assert follow.status_code == 200, follow.text
    rewrite = next(body for body in recorder.bodies if "Last question: When does it end?" in str(body["messages"]))
    assert rewrite["max_tokens"] == REWRITE_TOKENS and not rewrite.get("stream")
    assert "Q1: What rent does the Landlord receive?" in rewrite["messages"][0]["content"]
    assert follow.json()["rewritten_question"].startswith("When does it end (in Landlord")
    assert recorder.bodies[-1]["messages"][1]["content"].endswith(f"Question: {follow.json()['rewritten_question']}\n")


@pytest.mark.slow
def test_streamed_answer_from_the_server_arrives_in_order(corpus: Corpus, tiny_chat_server: ServedModel) -> None:
    with llm_app(corpus, served_llm(tiny_chat_server), httpx.Client()) as client:
        body = {"question": SETTLEMENT.question, "collection": COLLECTION, "stream": True}
        with client.stream("POST", "/v1/ask", json=body) as response:
            assert response.status_code == 200
            events = sse_events(response.read().decode())
    kinds = [kind for kind, _ in events]
    assert kinds[-3:] == ["citations", "claims", "done"] and set(kinds[:-3]) == {"delta"} and len(kinds) > 4
    done = events[-1][1]
    assert done["mode"] == "openai" and done["usage"]["completion_tokens"] > 0
    streamed = "".join(data["text"] for kind, data in events if kind == "delta").strip()
    # The claim check read what streamed, sentence by sentence; gibberish it withholds becomes the refusal.
    assert done["claims"] and all(streamed[c["char_start"] : c["char_end"]] == c["text"] for c in done["claims"])
    assert done["answer"] == (REFUSAL_SENTENCE if done["refused"] else streamed)
    assert events[-3][1] == {"citations": done["citations"]} and events[-2][1] == {"claims": done["claims"]}


# --- Canned answers through a mock server ---------------------------------------------------------


def chunk(content: str | None, finish_reason: str | None = None) -> bytes:
    payload = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "tiny",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish_reason}],
    }
    return f"data: {json.dumps(payload)}\n\n".encode()


def streamed(text: str, piece: int = 3) -> list[bytes]:
    """An SSE body that sends ``text`` a few characters at a time (markers arrive split)."""
    pieces = [chunk(text[i : i + piece]) for i in range(0, len(text), piece)]
    return [*pieces, chunk(None, "stop"), b"data: [DONE]\n\n"]


def sse_response(events: Any) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=events)


def mock_llm(tiny_chat_model: Path, **overrides: Any) -> LlmSettings:
    # The local tokenizer counts prompt tokens, so the mock only ever sees chat completions.
    settings = {
        "backend": "openai",
        "base_url": MOCK_URL,
        "model": "tiny",
        "tokenizer_dir": tiny_chat_model,
        **overrides,
    }
    return LlmSettings(**settings)


def mock_client(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def canned(answer: str) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        sources = re.findall(r"^\[(\d+)\] ", json.loads(request.content)["messages"][1]["content"], re.M)
        assert sources == ["1", "2"]  # k=2: the canned answers cite [1] and [2]
        return sse_response(streamed(answer))

    return handler


def ask_canned(corpus: Corpus, tiny_chat_model: Path, answer: str) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """The JSON answer and the SSE events for one canned model answer."""
    body = {"question": SETTLEMENT.question, "collection": COLLECTION, "k": 2}
    with llm_app(corpus, mock_llm(tiny_chat_model), mock_client(canned(answer))) as client:
        response = client.post("/v1/ask", json=body)
        assert response.status_code == 200, response.text
        events = sse_events(client.post("/v1/ask", json={**body, "stream": True}).text)
        for citation in response.json()["citations"]:
            page = client.get(f"/v1/documents/{citation['document_id']}/pages/{citation['page']}").json()
            assert page["text"][citation["page_char_start"] : citation["page_char_end"]] == citation["quote"]
    return response.json(), events


def test_the_context_budget_drops_the_lowest_ranked_chunks(corpus: Corpus, tiny_chat_model: Path) -> None:
    # Prompts are built and counted exactly as for the real server (its tokenizer files); the mock
    # answers at once, so every question can be tried under two windows.
    tokenizer = Tokenizer.from_file(str(tiny_chat_model / "tokenizer.json"))
    prompts = load_prompts(corpus.settings.prompts_dir)
    answer = "The documents say so [1]."
    included: dict[int, int] = {}
    for window in (1024, 2048):
        recorder = Recorder()
        llm = mock_llm(tiny_chat_model, context_window=window, answer_tokens=64)
        http_client = httpx.Client(
            transport=httpx.MockTransport(lambda request: sse_response(streamed(answer))),
            event_hooks={"request": [recorder]},
        )
        with llm_app(corpus, llm, http_client) as client:
            for fact in FACTS:
                response = client.post("/v1/ask", json={"question": fact.question, "collection": COLLECTION, "k": 8})
                assert response.status_code == 200, response.text
                body = recorder.bodies[-1]
                # Never over the window: the templated prompt plus the answer reserve fit.
                used = prompt_tokens(tokenizer, body["messages"])
                assert used + 64 <= window, (window, used)
                assert used <= response.json()["usage"]["prompt_tokens"] <= window - 64
                # The sources sent are the top-ranked ones, in order: only the lowest were dropped.
                hits = corpus_hits(corpus, fact.question, 8)
                count = len(re.findall(r"^\[\d+\] .* \(page \d+\)$", body["messages"][1]["content"], re.M))
                blocks = [
                    prompts.render_source(n, h.title, h.page_start, h.text) for n, h in enumerate(hits[:count], 1)
                ]
                assert body["messages"][1]["content"] == prompts.render_user(blocks, fact.question)
                included[window] = included.get(window, 0) + count
    assert len(FACTS) <= included[1024] < included[2048] < 8 * len(FACTS)


def test_markers_naming_no_source_are_dropped_everywhere(corpus: Corpus, tiny_chat_model: Path) -> None:
    raw = "The settlement fee is $40,000 [1]. The moon is made of cheese [7]. Both say so [2, 9]."
    answer, events = ask_canned(corpus, tiny_chat_model, raw)
    assert answer["answer"] == "The settlement fee is $40,000 [1]. The moon is made of cheese. Both say so [2]."
    assert [c["marker"] for c in answer["citations"]] == [1, 2]
    fee = answer["citations"][0]
    assert fee["source"] == "settlement.pdf" and "$40,000" in fee["quote"] and fee["verified"] is True
    # Streamed deltas never show the invented markers, even though [7] arrived split across deltas.
    streamed_text = "".join(data["text"] for kind, data in events if kind == "delta")
    assert "[7]" not in streamed_text and "9]" not in streamed_text
    assert streamed_text.strip() == answer["answer"] == events[-1][1]["answer"]
    assert events[-3] == ("citations", {"citations": answer["citations"]})


def test_a_verbatim_quote_is_verified_and_mapped_to_its_exact_span(corpus: Corpus, tiny_chat_model: Path) -> None:
    # The PDF breaks lines anywhere; a quote with different whitespace is still verbatim.
    raw = 'The agreement says the Defendant "agrees to pay the Plaintiff a settlement fee of $40,000" [1].'
    answer, _ = ask_canned(corpus, tiny_chat_model, raw)
    (citation,) = answer["citations"]
    assert citation["verified"] is True and citation["source"] == "settlement.pdf"
    assert " ".join(citation["quote"].split()) == "agrees to pay the Plaintiff a settlement fee of $40,000"


def test_a_quote_not_in_the_source_is_flagged_unverified(corpus: Corpus, tiny_chat_model: Path) -> None:
    raw = 'The agreement says "the Defendant pays ninety thousand euros by Friday" [1].'
    answer, _ = ask_canned(corpus, tiny_chat_model, raw)
    (citation,) = answer["citations"]
    assert citation["verified"] is False
    # What the citation points at is still real text of the source: its best supporting sentence.
    assert "ninety thousand euros" not in citation["quote"] and "settlement fee of $40,000" in citation["quote"]


def test_the_refusal_sentence_is_a_refusal(corpus: Corpus, tiny_chat_model: Path) -> None:
    answer, events = ask_canned(corpus, tiny_chat_model, REFUSAL_SENTENCE)
    assert answer["refused"] is True and answer["state"] == "not_found"
    assert answer["message"].startswith(f"{NOT_FOUND_MESSAGE}: the model found no answer")
    assert answer["answer"] == REFUSAL_SENTENCE and answer["citations"] == []
    assert answer["closest"] and answer["closest"][0]["source"] == "settlement.pdf"
    assert events[-1][1]["refused"] is True


def test_chat_completions_stream_carries_only_valid_references(corpus: Corpus, tiny_chat_model: Path) -> None:
    raw = "The fee is $40,000 [1]. Unknown [42]."  # 8 sources (default k) are supplied, never 42
    body = {"model": f"docqa/{COLLECTION}", "messages": [{"role": "user", "content": SETTLEMENT.question}]}
    with llm_app(corpus, mock_llm(tiny_chat_model), mock_client(lambda request: sse_response(streamed(raw)))) as client:
        whole = client.post("/v1/chat/completions", json=body).json()
        lines = client.post("/v1/chat/completions", json={**body, "stream": True}).text.strip().split("\n\n")
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    content = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert content.strip() == whole["choices"][0]["message"]["content"]
    assert content.strip().startswith(
        "The fee is $40,000 [1]. Unknown.\n\nReferences:\n[1] Settlement agreement, p. 1: “"
    )
    assert "[42]" not in content and [c["marker"] for c in chunks[-1]["citations"]] == [1]
    assert whole["citations"] == chunks[-1]["citations"] and whole["mode"] == "openai"


def chat_both_ways(corpus: Corpus, tiny_chat_model: Path, raw: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """The plain chat completion for a canned model answer, and the streamed content with its last chunk."""
    body = {"model": f"docqa/{COLLECTION}", "messages": [{"role": "user", "content": SETTLEMENT.question}]}
    with llm_app(corpus, mock_llm(tiny_chat_model), mock_client(lambda request: sse_response(streamed(raw)))) as client:
        whole = client.post("/v1/chat/completions", json=body).json()
        lines = client.post("/v1/chat/completions", json={**body, "stream": True}).text.strip().split("\n\n")
    chunks = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    return whole, "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks), chunks[-1]


def test_a_sentence_its_source_does_not_bear_out_is_marked_everywhere(corpus: Corpus, tiny_chat_model: Path) -> None:
    raw = "The settlement fee is $40,000 [1]. It is due by March 3, 2031 [1]."
    answer, events = ask_canned(corpus, tiny_chat_model, raw)
    assert (answer["state"], answer["refused"], answer["answer"]) == ("low_support", False, raw)
    fee, due = answer["claims"]
    assert (fee["supported"], fee["markers"], fee["facts"]) == (True, [1], ["$40,000"])
    assert (due["supported"], due["reasons"]) == (False, ["March 3, 2031 is not in source [1]"])
    assert raw[due["char_start"] : due["char_end"]] == due["text"] == "It is due by March 3, 2031 [1]."
    assert answer["message"] == "1 of 2 sentences is not supported by the passages cited; it is marked."
    assert events[-2] == ("claims", {"claims": answer["claims"]}) and events[-1][1]["claims"] == answer["claims"]
    # A client that shows only an OpenAI message's content still sees the mark and why.
    whole, streamed_content, last = chat_both_ways(corpus, tiny_chat_model, raw)
    note = f"\n\nNot supported by the sources cited:\n- “{due['text']}”: {due['reasons'][0]}"
    assert whole["choices"][0]["message"]["content"].endswith(note) and streamed_content.endswith(note)
    assert whole["claims"] == last["claims"] == answer["claims"] and whole["state"] == "low_support"


def test_an_authority_its_source_does_not_cite_is_marked(corpus: Corpus, tiny_chat_model: Path) -> None:
    raw = "The settlement fee is $40,000 [1]. The fee is owed under Bell Atlantic Corp. v. Twombly, 550 U.S. 544 [1]."
    answer, _events = ask_canned(corpus, tiny_chat_model, raw)
    assert (answer["state"], answer["refused"], answer["answer"]) == ("low_support", False, raw)
    fee, authority = answer["claims"]
    assert fee["supported"] and not authority["supported"]
    assert authority["facts"] == ["Bell Atlantic Corp. v. Twombly", "550 U.S. 544"]
    assert "550 U.S. 544 is not in source [1]" in authority["reasons"]


def test_an_answer_with_no_supported_fact_is_withheld(corpus: Corpus, tiny_chat_model: Path) -> None:
    raw = "Here is the answer. The jury awarded Apple $1.1 billion [1]."
    answer, events = ask_canned(corpus, tiny_chat_model, raw)
    assert (answer["state"], answer["answer"], answer["citations"]) == ("not_found", REFUSAL_SENTENCE, [])
    assert answer["message"].startswith(f"{NOT_FOUND_MESSAGE}: {WITHHELD_REASON} (")
    assert [(c["supported"], c["reasons"]) for c in answer["claims"]] == [
        (True, []),  # connective text: nothing to check, and nothing it could save
        (False, ["Apple is not in source [1]", "$1.1 billion is not in source [1]"]),
    ]
    assert events[-1][1]["state"] == "not_found"
    whole, streamed_content, last = chat_both_ways(corpus, tiny_chat_model, raw)
    # Not one invented word in a plain completion; a stream that already showed them says they are withheld.
    assert whole["choices"][0]["message"]["content"] == REFUSAL_SENTENCE and whole["refused"] is True
    assert streamed_content.startswith(raw)
    assert "\n\nWithheld, not supported by the sources cited:\n" in streamed_content
    assert last["refused"] is True and last["claims"] == whole["claims"]


# --- LLM failures become 502/504 envelopes, never a hang ------------------------------------------


def ask_failing(
    corpus: Corpus, tiny_chat_model: Path, handler: Callable[[httpx.Request], httpx.Response], **overrides: Any
) -> tuple[httpx2.Response, httpx2.Response]:
    """The answers to one plain and one streaming question while the LLM server fails as ``handler`` does."""
    body = {"question": SETTLEMENT.question, "collection": COLLECTION}
    with llm_app(corpus, mock_llm(tiny_chat_model, **overrides), mock_client(handler)) as client:
        return client.post("/v1/ask", json=body), client.post("/v1/ask", json={**body, "stream": True})


def test_5xx_after_the_retries_is_502(corpus: Corpus, tiny_chat_model: Path) -> None:
    attempts: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        # retry-after-ms keeps the SDK's exponential back-off out of the test's time.
        return httpx.Response(503, json={"error": {"message": "CUDA out of memory"}}, headers={"retry-after-ms": "1"})

    plain, stream = ask_failing(corpus, tiny_chat_model, handler, max_retries=2)
    assert len(attempts) == 6  # 1 + 2 retries, for each request
    for response in (plain, stream):
        error = assert_envelope(response, 502, "llm_unavailable")
        assert MOCK_URL in error["message"] and "HTTP 503 after 2 retries" in error["message"]
        assert error["detail"]["status"] == 503


def test_a_timeout_is_504(corpus: Corpus, tiny_chat_model: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    for response in ask_failing(corpus, tiny_chat_model, handler, max_retries=0):
        error = assert_envelope(response, 504, "llm_timeout")
        assert "did not answer within" in error["message"] and "DOCQA_LLM__TIMEOUT_S" in error["message"]


@pytest.mark.parametrize(
    "events",
    [
        pytest.param([b"data: {this is not json\n\n"], id="garbage"),
        pytest.param([b'data: {"unexpected": true}\n\n'], id="no-choices"),
        pytest.param([b'data: {"error": {"message": "engine died"}}\n\n'], id="error-event"),
    ],
)
def test_a_broken_stream_before_any_text_is_502(corpus: Corpus, tiny_chat_model: Path, events: list[bytes]) -> None:
    for response in ask_failing(corpus, tiny_chat_model, lambda request: sse_response(events)):
        error = assert_envelope(response, 502, "llm_unavailable")
        assert MOCK_URL in error["message"]


@pytest.mark.parametrize(
    "events",
    [
        pytest.param([chunk("The fee"), chunk(" is"), b'data: {"id": "chatcmpl-1", "choi'], id="cut-mid-event"),
        pytest.param([chunk("The fee"), chunk(" is")], id="no-finish"),
    ],
)
def test_a_stream_broken_mid_answer_ends_with_an_error_event(
    corpus: Corpus, tiny_chat_model: Path, events: list[bytes]
) -> None:
    plain, stream = ask_failing(corpus, tiny_chat_model, lambda request: sse_response(events))
    assert_envelope(plain, 502, "llm_unavailable")
    # The stream had started (200, text already sent): it ends with an error event, never "done".
    assert stream.status_code == 200
    received = sse_events(stream.text)
    assert [kind for kind, _ in received] == ["delta", "delta", "error"]
    assert "".join(data["text"] for kind, data in received[:-1]) == "The fee is"
    error = received[-1][1]
    assert set(error) == {"error"} and set(error["error"]) == {"code", "message", "detail"}
    assert error["error"]["code"] == "llm_unavailable" and MOCK_URL in error["error"]["message"]


def test_a_refused_connection_is_502_at_once(corpus: Corpus, tiny_chat_model: Path) -> None:
    base_url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    llm = mock_llm(tiny_chat_model, base_url=base_url, max_retries=1)
    started = time.monotonic()
    with llm_app(corpus, llm, httpx.Client()) as client:
        response = client.post("/v1/ask", json={"question": SETTLEMENT.question, "collection": COLLECTION})
    assert time.monotonic() - started < 10  # one retry after ~0.5 s of back-off; nowhere near the 60 s timeout
    error = assert_envelope(response, 502, "llm_unavailable")
    assert base_url in error["message"] and "DOCQA_LLM__BASE_URL" in error["message"]


def test_an_unexpected_failure_mid_stream_ends_with_the_internal_envelope(
    corpus: Corpus, tiny_chat_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(self: QaEngine, drafts: object, pages: object) -> None:
        raise RuntimeError("disk on fire at /srv/secret/path")

    monkeypatch.setattr(QaEngine, "_citations", explode)  # fails after the answer text has streamed
    answer = "The fee is $40,000 [1]."
    ask = {"question": SETTLEMENT.question, "collection": COLLECTION, "stream": True}
    chat = {"model": f"docqa/{COLLECTION}", "messages": [{"role": "user", "content": SETTLEMENT.question}]}
    handler = mock_client(lambda request: sse_response(streamed(answer)))
    with llm_app(corpus, mock_llm(tiny_chat_model), handler) as client:
        asked = client.post("/v1/ask", json=ask)
        chatted = client.post("/v1/chat/completions", json={**chat, "stream": True})
    for response in (asked, chatted):
        assert response.status_code == 200 and "secret" not in response.text and "Traceback" not in response.text
    events = sse_events(asked.text)
    assert {kind for kind, _ in events[:-1]} == {"delta"} and events[-1][0] == "error"
    assert events[-1][1]["error"]["code"] == "internal" and "RuntimeError" in events[-1][1]["error"]["message"]
    lines = chatted.text.strip().split("\n\n")
    assert lines[-1] == "data: [DONE]"
    error = json.loads(lines[-2].removeprefix("data: "))
    assert set(error) == {"error"} and error["error"]["code"] == "internal"


# --- Follow-ups: the model rewrites them into standalone questions -------------------------------------

REWRITE_ASKED = "Last question: "
"""How ``prompts/followup.txt`` introduces the follow-up: tells a rewrite request from an answer request."""


def rewriting(rewrite: str, answer: str, recorder: Recorder) -> Callable[[httpx.Request], httpx.Response]:
    """A model that answers the rewrite prompt with ``rewrite`` and every other prompt with ``answer``."""

    def handler(request: httpx.Request) -> httpx.Response:
        recorder(request)
        body = json.loads(request.content)
        if any(REWRITE_ASKED in message["content"] for message in body["messages"]):
            assert not body.get("stream")  # the rewrite is read whole (``Generator.generate``)
            choice = {"index": 0, "message": {"role": "assistant", "content": rewrite}, "finish_reason": "stop"}
            completion = {"id": "x", "object": "chat.completion", "created": 0, "model": "tiny", "choices": [choice]}
            return httpx.Response(200, json=completion)
        return sse_response(streamed(answer))

    return handler


def test_a_follow_up_is_rewritten_by_the_model_shown_and_audited(corpus: Corpus, tiny_chat_model: Path) -> None:
    standalone = "Within how many days must the Defendant pay the settlement fee?"
    recorder = Recorder()
    handler = rewriting(standalone, "The fee is $40,000 [1].", recorder)
    with llm_app(corpus, mock_llm(tiny_chat_model), mock_client(handler)) as client:
        first = client.post("/v1/ask", json={"question": SETTLEMENT.question, "collection": COLLECTION})
        assert first.status_code == 200, first.text
        assert first.json()["rewritten_question"] is None and len(recorder.bodies) == 1  # nothing to rewrite
        thread_id = first.json()["thread_id"]
        body = {"question": "Within how many days?", "collection": COLLECTION, "thread_id": thread_id}
        follow = client.post("/v1/ask", json=body)
        assert follow.status_code == 200, follow.text
        assert follow.json()["rewritten_question"] == standalone
        rewrite_request, answer_request = recorder.bodies[1:]
        prompt = rewrite_request["messages"][0]["content"]
        assert f"Q1: {SETTLEMENT.question}" in prompt and prompt.endswith(f"{REWRITE_ASKED}Within how many days?\n")
        assert answer_request["messages"][1]["content"].endswith(f"Question: {standalone}\n")
        chat = client.post(
            "/v1/chat/completions",
            json={
                "model": f"docqa/{COLLECTION}",
                "messages": [
                    {"role": "user", "content": SETTLEMENT.question},
                    {"role": "assistant", "content": "The fee is $40,000."},
                    {"role": "user", "content": "Within how many days?"},
                ],
            },
        )
        assert chat.status_code == 200, chat.text
        assert chat.json()["rewritten_question"] == standalone
        audit = client.app.state.docqa.components.audit.export()  # type: ignore[attr-defined]  # a FastAPI app
    asked = [row["payload"] for row in audit if row["action"] in {"ask", "chat"}][-2:]
    assert [payload["rewritten_question"] for payload in asked] == [standalone, standalone]


def test_an_unusable_rewrite_falls_back_to_the_rule(corpus: Corpus, tiny_chat_model: Path) -> None:
    """An empty rewrite, or the question given back, is not used: the extractive rule's standalone form is."""
    for rewrite in ("", "When does it end?"):
        handler = rewriting(rewrite, "The rent is $4,200 [1].", Recorder())
        with llm_app(corpus, mock_llm(tiny_chat_model), mock_client(handler)) as client:
            first = client.post(
                "/v1/ask", json={"question": "What rent does the Landlord receive?", "collection": COLLECTION}
            ).json()
            body = {"question": "When does it end?", "collection": COLLECTION, "thread_id": first["thread_id"]}
            follow = client.post("/v1/ask", json=body)
            assert follow.status_code == 200, follow.text
            assert follow.json()["rewritten_question"].startswith("When does it end (in Landlord"), rewrite
