"""Embedders on the shipped all-MiniLM-L6-v2: one contract over both backends, and int8 vs PyTorch agreement.

The int8 ONNX export is built once into ``.cache/models`` (gitignored) and reused by later runs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import service.backends.embedders
from service.backends.embedders import (
    EXPORT_MANIFEST_NAME,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    build_embedder,
    export_onnx_model,
    load_tokenizer,
    max_sequence_tokens,
    model_name,
    onnx_export_dir,
)
from service.core.seams import Embedder
from service.core.settings import EmbeddingSettings, default_model_dir
from tests.support import paths

os.environ.setdefault("HF_HUB_OFFLINE", "1")

CACHE = paths.CACHE / "models"
DIMENSION = 384
MAX_TOKENS = 256

# Varied passages: contract clauses of many kinds, plus statutes, procedure, a few everyday sentences.
PASSAGES = [
    "The Receiving Party shall hold all Confidential Information in strict confidence and shall not disclose it "
    "to any third party without the prior written consent of the Disclosing Party.",
    "Confidential Information does not include information that is or becomes publicly available through no "
    "fault of the Receiving Party.",
    "This Agreement shall be governed by and construed in accordance with the laws of the State of Delaware, "
    "without regard to its conflict of laws principles.",
    "Either party may terminate this Agreement upon thirty (30) days' written notice if the other party "
    "materially breaches it and fails to cure the breach within that period.",
    "The Licensee shall pay the Licensor a royalty of five percent (5%) of Net Sales of Licensed Products in "
    "each calendar quarter, within forty-five days after the quarter ends.",
    "Nothing in this Agreement grants either party any right or licence under any patent, copyright or trade "
    "secret of the other party, except as expressly stated.",
    "Upon termination, the Receiving Party shall promptly return or destroy all documents containing "
    "Confidential Information and certify the destruction in writing.",
    "The obligations of confidentiality survive for five (5) years after the date of disclosure.",
    "Any dispute arising out of or relating to this Agreement shall be finally settled by arbitration "
    "administered by the American Arbitration Association under its Commercial Rules.",
    "The Supplier shall indemnify, defend and hold harmless the Customer from all losses, damages and costs "
    "arising from third-party claims that the Products infringe intellectual property rights.",
    "In no event shall either party be liable for indirect, incidental, special or consequential damages, "
    "including lost profits, even if advised of their possibility.",
    "Neither party shall be liable for any delay or failure to perform caused by events beyond its reasonable "
    "control, including fire, flood, war, epidemic or acts of government.",
    "Neither party may assign this Agreement without the other party's prior written consent, except to a "
    "successor in a merger or sale of substantially all of its assets.",
    "All notices under this Agreement shall be in writing and delivered by hand, by courier, or by registered "
    "mail to the addresses set out above.",
    "For twelve months after the end of employment, the Employee shall not solicit any customer of the Company "
    "with whom the Employee had material contact.",
    "The Processor shall process Personal Data only on documented instructions from the Controller and shall "
    "notify the Controller of a personal data breach without undue delay.",
    "The Contractor shall maintain commercial general liability insurance with limits of not less than two "
    "million dollars per occurrence.",
    "The Customer may, once per calendar year and on thirty days' notice, audit the Supplier's books and "
    "records relating to the fees charged.",
    "The Seller warrants that the goods will be free from defects in materials and workmanship for a period of "
    "twelve months from delivery.",
    "EXCEPT AS EXPRESSLY PROVIDED, THE SOFTWARE IS PROVIDED 'AS IS' WITHOUT WARRANTY OF ANY KIND, EXPRESS OR "
    "IMPLIED, INCLUDING MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE.",
    "If any provision of this Agreement is held invalid or unenforceable, the remaining provisions shall remain "
    "in full force and effect.",
    "This Agreement constitutes the entire agreement between the parties and supersedes all prior "
    "negotiations, representations and understandings.",
    "No amendment to this Agreement is effective unless it is in writing and signed by authorised "
    "representatives of both parties.",
    "The failure of either party to enforce any right shall not be deemed a waiver of that right.",
    "This Agreement may be executed in counterparts, each of which is deemed an original, and electronic "
    "signatures are binding.",
    "Invoices are payable within thirty days of receipt; late payments bear interest at one percent per month.",
    "The Landlord shall keep the structure, roof and common areas of the Building in good repair.",
    "The Tenant shall pay monthly rent of four thousand euros in advance on the first day of each month.",
    "The security deposit will be returned to the Tenant within sixty days after the lease ends, less any "
    "deductions for damage beyond normal wear and tear.",
    "The Employee is entitled to twenty-five working days of paid annual leave in addition to public holidays.",
    "Either party may end the employment by giving the other three months' notice in writing.",
    "The Company owns all inventions, works of authorship and developments that the Employee creates in the "
    "course of employment.",
    "The Purchaser shall pay the Purchase Price at Closing by wire transfer of immediately available funds.",
    "The obligations of the Buyer to close are conditional on the accuracy of the Seller's representations "
    "and the absence of any material adverse effect.",
    "The Borrower shall repay the principal amount of the Loan in twelve equal quarterly instalments.",
    "An Event of Default occurs if the Borrower fails to pay any amount when due and the failure continues for "
    "five Business Days.",
    "Service availability shall be at least 99.9% in each calendar month; for each shortfall the Customer "
    "receives service credits.",
    "Section 230 of the Communications Decency Act protects online platforms from liability for content "
    "posted by their users.",
    "A plaintiff must file a personal injury claim within two years of the date of the injury, or the claim is "
    "barred by the statute of limitations.",
    "The court granted summary judgment because no genuine dispute of material fact remained for trial.",
    "The appellate court reviews questions of law de novo and findings of fact for clear error.",
    "A contract requires offer, acceptance, consideration and the intention to create legal relations.",
    "Under the Statute of Frauds, a contract for the sale of land must be in writing to be enforceable.",
    "The witness was cross-examined about inconsistencies between her deposition and her testimony at trial.",
    "The defendant was sentenced to three years of probation and ordered to pay restitution to the victims.",
    "The recipe calls for two cups of flour, a teaspoon of salt and three eggs beaten until fluffy.",
    "The train to Munich leaves platform nine at a quarter past seven in the morning.",
    "Regular exercise and a balanced diet lower the risk of heart disease.",
    "The telescope captured images of a distant galaxy whose light left it billions of years ago.",
    "Our quarterly revenue grew by twelve percent, driven mainly by subscriptions in Europe.",
]

# (query, index of the passage it asks about)
QUERIES = [
    ("Which jurisdiction's laws govern this agreement?", 2),
    ("How much royalty does the licensee owe on sales?", 4),
    ("What happens to confidential documents when the agreement ends?", 6),
    ("Is a party responsible for delays caused by floods or war?", 11),
    ("Can the agreement be transferred to another company?", 12),
    ("How long is the employee barred from soliciting customers?", 14),
    ("What must a data processor do after a data breach?", 15),
    ("When is the tenant's security deposit returned?", 28),
    ("How many vacation days does the employee get?", 29),
    ("What is the deadline to sue for a personal injury?", 38),
]

LONG_PREFIX = " ".join(PASSAGES[:20])  # over twice the 256-token limit


@pytest.fixture(scope="session")
def model_dir() -> Path:
    return default_model_dir()


@pytest.fixture(scope="session")
def onnx_embedder(model_dir: Path) -> OnnxEmbedder:
    """Exports into the shared cache on the first run; later runs reuse it."""
    return OnnxEmbedder(model_dir, CACHE, batch_size=8, threads=0)


@pytest.fixture(scope="session")
def reference_embedder(model_dir: Path) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(model_dir, batch_size=8, threads=0)


@pytest.fixture(params=["onnx-int8", "sentence-transformers"])
def any_embedder(
    request: pytest.FixtureRequest, onnx_embedder: OnnxEmbedder, reference_embedder: SentenceTransformerEmbedder
) -> Embedder:
    return onnx_embedder if request.param == "onnx-int8" else reference_embedder


def cosines(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Row-wise cosine of two matrices of unit rows."""
    return np.asarray((left * right).sum(axis=1))


def copy_model_dir(source: Path, target: Path, weights: bytes | None = None) -> Path:
    """A model folder of links to ``source``'s files; ``weights`` replaces the weights file's bytes."""
    target.mkdir()
    for entry in source.iterdir():
        if weights is not None and entry.name == "model.safetensors":
            (target / entry.name).write_bytes(weights)
        else:
            (target / entry.name).symlink_to(entry)
    return target


# --- the Embedder contract, on both backends ------------------------------------------------------


def test_describes_the_model(any_embedder: Embedder) -> None:
    assert any_embedder.dimension == DIMENSION
    assert any_embedder.max_tokens == MAX_TOKENS
    backend = "onnx-int8" if isinstance(any_embedder, OnnxEmbedder) else "sentence-transformers"
    assert any_embedder.id == f"all-MiniLM-L6-v2@{backend}"


def test_documents_are_unit_float32_rows(any_embedder: Embedder) -> None:
    vectors = any_embedder.embed_documents(PASSAGES[:20])
    assert vectors.shape == (20, DIMENSION)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_query_is_one_unit_row(any_embedder: Embedder) -> None:
    vector = any_embedder.embed_query(QUERIES[0][0])
    assert vector.shape == (1, DIMENSION)
    assert vector.dtype == np.float32
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


def test_no_texts_give_an_empty_matrix(any_embedder: Embedder) -> None:
    vectors = any_embedder.embed_documents([])
    assert vectors.shape == (0, DIMENSION)
    assert vectors.dtype == np.float32


def test_rows_keep_input_order(any_embedder: Embedder) -> None:
    # Lengths deliberately unsorted, batches of 8 mixed: sorting by length inside must be undone.
    texts = [LONG_PREFIX, "Rent.", *PASSAGES[:9], "", PASSAGES[40]]
    together = any_embedder.embed_documents(texts)
    alone = np.concatenate([any_embedder.embed_query(text) for text in texts])
    similarity = together @ alone.T
    assert list(similarity.argmax(axis=1)) == list(range(len(texts)))
    # int8 activations are scaled per batch, so a row shifts a little with its batch mates; fp32 does not.
    assert cosines(together, alone).min() > 0.95


def test_long_input_is_cut_at_max_tokens(any_embedder: Embedder, model_dir: Path) -> None:
    assert len(load_tokenizer(model_dir).encode(LONG_PREFIX).ids) > 2 * MAX_TOKENS
    # Everything after the first 256 tokens is dropped, so different tails give the same vector.
    first = any_embedder.embed_query(LONG_PREFIX + " The tenant pays rent monthly.")
    second = any_embedder.embed_query(LONG_PREFIX + " The galaxy is far away. " * 20)
    np.testing.assert_allclose(first, second, atol=1e-6)


def test_duplicates_embed_alike(any_embedder: Embedder) -> None:
    vectors = any_embedder.embed_documents([PASSAGES[3], PASSAGES[3]])
    np.testing.assert_allclose(vectors[0], vectors[1], atol=1e-6)


# --- int8 ONNX agrees with the PyTorch reference --------------------------------------------------


def test_int8_vectors_agree_with_sentence_transformers(
    onnx_embedder: OnnxEmbedder, reference_embedder: SentenceTransformerEmbedder
) -> None:
    texts = [*PASSAGES, *(query for query, _ in QUERIES)]
    agreement = cosines(onnx_embedder.embed_documents(texts), reference_embedder.embed_documents(texts))
    assert agreement.mean() >= 0.98
    assert agreement.min() >= 0.95


def test_int8_retrieves_the_same_top_passage(
    onnx_embedder: OnnxEmbedder, reference_embedder: SentenceTransformerEmbedder
) -> None:
    def top_passages(embedder: Embedder) -> list[int]:
        passages = embedder.embed_documents(PASSAGES)
        return [int((embedder.embed_query(query) @ passages.T).argmax()) for query, _ in QUERIES]

    reference = top_passages(reference_embedder)
    assert top_passages(onnx_embedder) == reference
    # The queries are written so the reference finds the intended clause; this guards the fixture itself.
    assert reference == [target for _, target in QUERIES]


# --- the cached export ----------------------------------------------------------------------------


def test_second_construction_reuses_the_export(
    onnx_embedder: OnnxEmbedder, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    modified = onnx_embedder.model_path.stat().st_mtime_ns

    def fail(*_: object) -> None:
        raise AssertionError("the cached export was rebuilt")

    monkeypatch.setattr(service.backends.embedders, "_export_int8", fail)
    again = OnnxEmbedder(model_dir, CACHE, batch_size=4, threads=1)
    assert again.model_path == onnx_embedder.model_path
    assert again.model_path.stat().st_mtime_ns == modified
    manifest = json.loads((again.model_path.parent / EXPORT_MANIFEST_NAME).read_text())
    assert manifest["model_name"] == "all-MiniLM-L6-v2"
    np.testing.assert_allclose(again.embed_query("notice period"), onnx_embedder.embed_query("notice period"))


def test_other_weights_get_another_export_folder(model_dir: Path, tmp_path: Path) -> None:
    other = copy_model_dir(model_dir, tmp_path / "other", weights=b"not the same weights")
    assert model_name(other) == model_name(model_dir)
    assert onnx_export_dir(other, CACHE) != onnx_export_dir(model_dir, CACHE)
    # The name depends on the weights, not on where the cache lives.
    assert onnx_export_dir(model_dir, CACHE).name == onnx_export_dir(model_dir, tmp_path).name


def test_failed_export_leaves_nothing_behind(model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash_half_way(_: Path, out_dir: Path) -> None:
        (out_dir / "model.onnx").write_bytes(b"half a model")
        raise RuntimeError("export crashed")

    monkeypatch.setattr(service.backends.embedders, "_export_int8", crash_half_way)
    cache = tmp_path / "cache"
    with pytest.raises(RuntimeError, match="export crashed"):
        export_onnx_model(model_dir, cache)
    assert list(cache.iterdir()) == []


def test_concurrent_export_keeps_the_first_finished(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    final = onnx_export_dir(model_dir, cache)

    def lose_the_race(_: Path, out_dir: Path) -> None:
        # Another process renames its finished export into place while this one is still writing.
        final.mkdir(parents=True)
        (final / "model.onnx").write_bytes(b"theirs")
        (out_dir / "model.onnx").write_bytes(b"ours")

    monkeypatch.setattr(service.backends.embedders, "_export_int8", lose_the_race)
    assert export_onnx_model(model_dir, cache) == final / "model.onnx"
    assert (final / "model.onnx").read_bytes() == b"theirs"
    assert sorted(path.name for path in cache.iterdir()) == [final.name]


def test_onnx_backend_refuses_other_pooling(model_dir: Path, tmp_path: Path) -> None:
    other = copy_model_dir(model_dir, tmp_path / "cls-pooled")
    pooling = other / "1_Pooling"
    pooling.unlink()
    pooling.mkdir()
    config = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
    config |= {"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}
    (pooling / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=r"1_Pooling/config.json.*mean pooling only"):
        OnnxEmbedder(other, tmp_path / "cache", batch_size=4, threads=1)


# --- factory and tokenizer helpers ----------------------------------------------------------------


def test_build_embedder_follows_the_backend_setting(model_dir: Path) -> None:
    onnx = build_embedder(EmbeddingSettings(model_dir=model_dir, backend="onnx-int8", batch_size=4), CACHE)
    assert isinstance(onnx, OnnxEmbedder)
    assert onnx.id == "all-MiniLM-L6-v2@onnx-int8"
    reference = build_embedder(EmbeddingSettings(model_dir=model_dir, backend="sentence-transformers"), CACHE)
    assert isinstance(reference, SentenceTransformerEmbedder)


def test_tokenizer_neither_truncates_nor_pads(model_dir: Path) -> None:
    tokenizer = load_tokenizer(model_dir)
    assert tokenizer.truncation is None
    assert tokenizer.padding is None
    long = tokenizer.encode(LONG_PREFIX)
    assert len(long.ids) > MAX_TOKENS
    assert long.tokens[0] == "[CLS]"
    assert long.tokens[-1] == "[SEP]"
    assert len(tokenizer.encode("Rent.").ids) == 4  # [CLS] rent . [SEP]: no padding


def test_max_sequence_tokens(model_dir: Path, tmp_path: Path) -> None:
    assert max_sequence_tokens(model_dir) == MAX_TOKENS
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "config.json").symlink_to(model_dir / "config.json")
    assert max_sequence_tokens(bare) == 512  # max_position_embeddings
