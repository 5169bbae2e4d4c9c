"""The ``Generator`` contract (``service.core.seams``), over every implementation: ``OpenAIChatGenerator`` against a
real ``transformers serve`` and ``TransformersGenerator`` in-process, both running the tiny random-weight model.

The model decodes greedily and never ends its turn early, so every answer is exactly ``max_tokens`` tokens and
must equal, byte for byte, the reference answer of plain ``transformers.generate``: the prompt arrived whole,
with the chat template applied, and generation stopped at ``max_tokens``. Tokens are counted with the model's
own tokenizer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from service.backends.generators.openai_chat import OpenAIChatGenerator
from service.backends.generators.transformers_local import TransformersGenerator
from service.core.seams import Generator
from service.core.settings import LlmSettings
from tests.support.chat import MESSAGES, OTHER_MESSAGES, ReferenceAnswer
from tests.support.llm import ServedModel


@dataclass(frozen=True)
class Expected:
    """What a generator reports about itself."""

    mode: str
    context_window: int


EXPECTED = {
    "openai": Expected("openai", 4096),  # from settings: the server is not asked
    "transformers": Expected("transformers", 2048),  # the model's positions, below the 4096 setting
}


@pytest.fixture(
    scope="module",
    params=[pytest.param("openai", marks=pytest.mark.slow), "transformers"],
)
def implementation(request: pytest.FixtureRequest, tiny_chat_model: Path) -> Iterator[tuple[str, Generator]]:
    """``(name, generator)``; the server starts only for the ``openai`` one."""
    if request.param == "openai":
        server: ServedModel = request.getfixturevalue("tiny_chat_server")
        settings = LlmSettings(
            backend="openai", base_url=server.base_url, model=server.model, tokenizer_dir=tiny_chat_model, timeout_s=60
        )
        with OpenAIChatGenerator(settings) as served:
            yield request.param, served
    else:
        yield request.param, TransformersGenerator(LlmSettings(backend="transformers", model=str(tiny_chat_model)))


def test_stream_and_generate_match_the_model(
    implementation: tuple[str, Generator], reference_answer: ReferenceAnswer
) -> None:
    _, generator = implementation
    deltas = list(generator.stream(MESSAGES, 8))
    assert deltas and all(isinstance(delta, str) and delta for delta in deltas)
    expected = reference_answer(MESSAGES, 8)
    assert expected  # the tiny model only emits visible subwords
    assert "".join(deltas) == expected
    assert generator.generate(MESSAGES, 8) == expected
    for max_tokens in (2, 3):
        assert generator.generate(MESSAGES, max_tokens) == reference_answer(MESSAGES, max_tokens)
    for max_tokens in (5, 8):
        assert generator.generate(OTHER_MESSAGES, max_tokens) == reference_answer(OTHER_MESSAGES, max_tokens)


def test_reports_its_identity(implementation: tuple[str, Generator], tiny_chat_model: Path) -> None:
    name, generator = implementation
    assert generator.mode == EXPECTED[name].mode
    assert generator.model == str(tiny_chat_model)
    assert generator.context_window == EXPECTED[name].context_window


def test_counts_tokens_with_the_model_tokenizer(implementation: tuple[str, Generator], tiny_chat_model: Path) -> None:
    from transformers import AutoTokenizer

    _, generator = implementation
    tokenizer = AutoTokenizer.from_pretrained(tiny_chat_model)
    for text in ["", "What is the notice period? Ünïcödé", "Section 1.2 of the lease — thirty (30) days. 🚀"]:
        assert generator.count_tokens(text) == len(tokenizer.encode(text, add_special_tokens=False))


def test_an_answer_of_one_token_and_a_prompt_the_model_has_not_seen(
    implementation: tuple[str, Generator], reference_answer: ReferenceAnswer
) -> None:
    _, generator = implementation
    one = list(generator.stream(MESSAGES, 1))
    assert "".join(one) == reference_answer(MESSAGES, 1)
    # Nothing is cached between calls: another conversation gets its own answer, then the first one again.
    answers = [generator.generate(messages, 4) for messages in (MESSAGES, OTHER_MESSAGES, MESSAGES)]
    assert answers == [reference_answer(MESSAGES, 4), reference_answer(OTHER_MESSAGES, 4), answers[0]]
