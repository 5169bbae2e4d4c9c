"""A real model in the loop: SmolLM2-135M-Instruct behind ``transformers serve``, asked about real filings
through docqa's ``openai`` path (``/v1/ask`` and ``/v1/chat/completions``).

The model is fluent and often wrong, and its wording is never checked. What is checked is the target of
the claim check: every number, amount, date or name it wrote that the sources a sentence cites do not hold
is in a sentence marked ``supported: false`` (``claims_oracle`` counts them independently), every sentence
is checked, and a marked sentence is marked wherever the answer goes (the SSE ``claims`` event, the chat
completion's content and its ``claims`` field).

SmolLM2 writes no ``[n]`` markers, so what runs here is the uncited path: each of its factual sentences
is marked "no citation" and its answers are withheld. The cited paths (a fact in or not in the cited
source, ``low_support``) are tested with canned answers in ``test_api_llm`` and ``test_claims``.
"""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.backends.generators.openai_chat import OpenAIChatGenerator
from service.backends.sql.store import SqlDocumentStore
from service.components import Components
from service.core.seams import Embedder
from service.core.settings import LlmSettings, Settings
from service.engine.answering.prompts import REFUSAL_SENTENCE
from tests.support.api import Recorder, api_client, sse_events
from tests.support.claims_oracle import prompt_sources, shown_unmarked, uncovered_text
from tests.support.databases import make_settings
from tests.support.llm import ServedModel
from tests.support.paths import COURT

pytestmark = pytest.mark.slow

FILINGS = (
    "doctor__recap_documents__ca1_00117684624.pdf",  # Calvary Chapel of Bangor v. Mills (1st Cir. No. 20-1507)
    "doctor__missouri.pdf",  # Jagels v. State (Mo. Ct. App. No. ED108783)
    "doctor__recap_extract__gov.uscourts.cacd.652774.40.0.pdf",  # Consumerinfo.com v. Leon (C.D. Cal.)
    "courtlistener__recap_test_assets__gov.uscourts.ca1.12-2209.00106475093.0.pdf",  # 1st Cir. scheduling order
)
COLLECTION = "filings"
QUESTIONS = (
    "How did the First Circuit dispose of Calvary Chapel of Bangor's appeal (No. 20-1507)?",
    "What did the Missouri Court of Appeals decide on Nichole Jagels' appeal?",
    "When did the court issue the temporary restraining order against Esteban Leon?",
)
NOT_IN_SOURCES = "How much did the jury award in damages in Apple v. Samsung?"  # no such case in FILINGS


@pytest.fixture(scope="module")
def filings(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, models_cache: Path, smollm2_server: ServedModel
) -> Settings:
    """Settings over the filings, ingested (SQLite, no OCR), answering with SmolLM2 through the ``openai`` backend."""
    root = tmp_path_factory.mktemp("claims-llm")
    (root / "corpus").mkdir()
    for name in FILINGS:
        shutil.copy(COURT / name, root / "corpus" / name)
    llm = LlmSettings(
        backend="openai",
        base_url=smollm2_server.base_url,
        model=smollm2_server.model,
        tokenizer_dir=smollm2_server.model_dir,
        context_window=2048,  # room for three sources; a longer prompt only slows the CPU down
        answer_tokens=64,
        timeout_s=300,
        max_retries=0,
    )
    settings = make_settings(root / "data", f"sqlite:///{root / 'docqa.db'}", models_cache, llm=llm)
    parts = Components(settings, embedder=embedder)
    try:
        summary = parts.pipeline(COLLECTION).ingest([root / "corpus"])
    finally:
        parts.close()
    assert summary.count("failed") == 0, summary.as_dict()
    return settings


@contextlib.contextmanager
def smollm2_app(settings: Settings, embedder: Embedder) -> Iterator[tuple[TestClient, Recorder, SqlDocumentStore]]:
    """The app over the filings; the generator's requests to the model are recorded."""
    recorder = Recorder()
    parts = Components(settings, embedder=embedder)
    http_client = httpx.Client(event_hooks={"request": [recorder]})
    parts.__dict__["generator"] = OpenAIChatGenerator(settings.llm, http_client=http_client)
    try:
        with api_client(parts) as client:
            yield client, recorder, parts.store
    finally:
        parts.close()
        http_client.close()


def last_prompt_sources(recorder: Recorder, answer: dict[str, Any], store: SqlDocumentStore) -> dict[int, str]:
    """The sources the last prompt showed the model, by marker, each with its document's metadata (the
    docket number and filing date the chunks leave out with the ECF stamps count as the document's)."""
    sources = prompt_sources(recorder.bodies[-1]["messages"][1]["content"])
    for citation in answer["citations"]:
        metadata = store.get_document(citation["document_id"]).metadata
        sources[citation["marker"]] += "\n" + " ".join(str(value) for value in metadata.values())
    return sources


def assert_nothing_unmarked(answer: dict[str, Any], sources: dict[int, str]) -> None:
    claims = answer["claims"]
    assert not shown_unmarked(claims, sources), (answer["answer"], claims)
    if answer["refused"]:
        # Withheld: the reader sees the refusal; the claims say what was withheld, none of it supported by facts.
        assert answer["answer"] == REFUSAL_SENTENCE
        assert not any(claim["supported"] and claim["markers"] and claim["facts"] for claim in claims)
    else:
        assert uncovered_text(answer["answer"], claims) == ""  # every sentence shown was checked


def test_no_fact_missing_from_its_sources_is_shown_unmarked(filings: Settings, embedder: Embedder) -> None:
    checked: list[dict[str, Any]] = []
    with smollm2_app(filings, embedder) as (client, recorder, store):
        for index, question in enumerate(QUESTIONS):
            body = {"question": question, "collection": COLLECTION, "k": 3, "stream": index == 0}
            response = client.post("/v1/ask", json=body)
            assert response.status_code == 200, response.text
            if index == 0:
                events = sse_events(response.text)
                assert [kind for kind, _ in events[-3:]] == ["citations", "claims", "done"]
                answer = events[-1][1]
                assert events[-2][1] == {"claims": answer["claims"]}
            else:
                answer = response.json()
            if answer["refused"] and not answer["claims"]:
                continue  # refused before the model wrote anything (no passage close enough)
            assert_nothing_unmarked(answer, last_prompt_sources(recorder, answer, store))
            checked.append(answer)
    assert checked, "no question reached the model"


def test_a_case_not_in_the_sources_is_never_shown_unmarked(filings: Settings, embedder: Embedder) -> None:
    # With the names check on, this question is refused before any model call ("Samsung" is on no page):
    # turned off here, so that what the model writes about the case reaches the claim check.
    unchecked = filings.model_copy(update={"answers": filings.answers.model_copy(update={"check_names": False})})
    chat = {"model": f"docqa/{COLLECTION}", "messages": [{"role": "user", "content": NOT_IN_SOURCES}]}
    with smollm2_app(unchecked, embedder) as (client, recorder, store):
        response = client.post("/v1/chat/completions", json=chat)
        assert recorder.bodies, "the question never reached the model"
        sources = last_prompt_sources(recorder, response.json(), store)
    assert response.status_code == 200, response.text
    completion = response.json()
    content, claims = completion["choices"][0]["message"]["content"], completion["claims"]
    assert claims, content  # every sentence the model wrote is checked
    assert not shown_unmarked(claims, sources), (content, claims)
    if completion["refused"]:
        assert content == REFUSAL_SENTENCE  # withheld: not one invented sentence in the content
    else:
        # A reader of the content alone sees each unsupported sentence listed with its reasons.
        for claim in claims:
            if not claim["supported"]:
                assert f"“{claim['text']}”: {'; '.join(claim['reasons'])}" in content, content
    assert not any(claim["supported"] and re.search(r"Apple|Samsung", claim["text"]) for claim in claims), claims
