"""Fixtures of the backends' tests and their contract suites: a SQL store on each database, both embedders,
the tiny chat model's reference answers, a tiny cross-encoder."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from service.backends.embedders import OnnxEmbedder, SentenceTransformerEmbedder
from service.backends.sql.store import SqlDocumentStore, make_engine
from service.core.seams import ChatMessage
from service.core.settings import default_model_dir
from tests.support.chat import ReferenceAnswer


@pytest.fixture
def sql_store(database_url: str) -> Iterator[SqlDocumentStore]:
    """An empty ``SqlDocumentStore`` with its schema, on SQLite and on PostgreSQL."""
    store = SqlDocumentStore(make_engine(database_url))
    store.create_schema()
    yield store
    store.engine.dispose()


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The shipped all-MiniLM-L6-v2."""
    return default_model_dir()


@pytest.fixture(scope="session")
def onnx_embedder(model_dir: Path, models_cache: Path) -> OnnxEmbedder:
    """Exports into the shared cache on the first run; later runs reuse it."""
    return OnnxEmbedder(model_dir, models_cache, batch_size=8, threads=0)


@pytest.fixture(scope="session")
def reference_embedder(model_dir: Path) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(model_dir, batch_size=8, threads=0)


@pytest.fixture(scope="session")
def reference_answer(tiny_chat_model: Path) -> ReferenceAnswer:
    """Greedy answer of the tiny model by plain ``transformers.generate``: what every generator must return."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_chat_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_chat_model)

    def answer(messages: Sequence[ChatMessage], max_tokens: int) -> str:
        inputs = tokenizer.apply_chat_template(
            [{"role": m.role, "content": m.content} for m in messages],
            add_generation_prompt=True,
            return_tensors="pt",
            return_dict=True,
        )
        output = model.generate(**inputs, max_new_tokens=max_tokens, do_sample=False)
        new_tokens = output[0, inputs["input_ids"].shape[1] :]
        assert len(new_tokens) == max_tokens  # the fixture's promise: no early end-of-turn
        return str(tokenizer.decode(new_tokens, skip_special_tokens=True))

    return answer


@pytest.fixture(scope="session")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-layer BERT with one output logit and random weights, with MiniLM's tokenizer."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    folder = tmp_path_factory.mktemp("tiny-cross-encoder")
    tokenizer = AutoTokenizer.from_pretrained(str(default_model_dir()))
    tokenizer.save_pretrained(str(folder))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=37,
        num_labels=1,
        max_position_embeddings=512,
    )
    BertForSequenceClassification(config).save_pretrained(str(folder))
    return folder
