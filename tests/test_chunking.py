"""Chunking invariants: exact slices, within the token budget, nothing lost, never across pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from documents import LOREM_LEGAL, write_pdf
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer

from ingest.chunking import Chunker
from ingest.embedding import load_tokenizer
from ingest.parsers import parser_for
from service.domain import ParsedDocument, ParsedPage
from service.settings import default_model_dir

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return load_tokenizer(default_model_dir())


def check_invariants(document: ParsedDocument, chunker: Chunker) -> None:
    text = document.text
    chunks = chunker.chunk(document)
    offsets = document.page_offsets()
    covered = [False] * len(text)
    for ordinal, chunk in enumerate(chunks):
        assert chunk.ordinal == ordinal
        assert text[chunk.char_start : chunk.char_end] == chunk.text
        assert 0 < chunk.token_count <= chunker.budget
        assert len(chunker.tokenizer.encode(chunk.text, add_special_tokens=False).ids) == chunk.token_count
        page_start, page_end = offsets[chunk.page_start - 1]
        assert chunk.page_start == chunk.page_end
        assert page_start <= chunk.char_start < chunk.char_end <= page_end
        for position in range(chunk.char_start, chunk.char_end):
            covered[position] = True
    # Every character the tokenizer sees (outside skip spans) is in a chunk; control characters
    # that the model's normaliser drops produce no token and need no chunk.
    seen: set[int] = set()
    for page, (page_start, _) in zip(document.pages, offsets, strict=True):
        skipped = {i for start, end in page.skip_spans for i in range(start, end)}
        for start, end in chunker.tokenizer.encode(page.text, add_special_tokens=False).offsets:
            seen.update(page_start + i for i in range(start, end) if i not in skipped)
    lost = sorted(i for i in seen if not covered[i])
    assert not lost, f"characters in no chunk: {text[lost[0] : lost[0] + 40]!r}"


words = st.sampled_from(
    ["the", "Agreement", "shall", "§", "4.2(b)", "Receiving", "Party's", "—", "confidential", "naïve", "x" * 40, "1."]
)
separators = st.sampled_from([" ", " ", " ", "\n", "\n\n", ". ", "\t", "  "])


@settings(max_examples=60, deadline=None)
@given(
    pages=st.lists(st.lists(st.tuples(words, separators), max_size=300), min_size=1, max_size=4),
    budget=st.integers(min_value=16, max_value=254),
    overlap_share=st.floats(min_value=0, max_value=0.45),
)
def test_invariants_hold_on_generated_text(tokenizer: Tokenizer, pages, budget: int, overlap_share: float) -> None:  # type: ignore[no-untyped-def]
    chunker = Chunker(tokenizer, budget=budget, overlap=int(budget * overlap_share) // 2)
    texts = ["".join(word + sep for word, sep in page) for page in pages]
    document = ParsedDocument("text/plain", tuple(ParsedPage(i + 1, text) for i, text in enumerate(texts)))
    check_invariants(document, chunker)


@settings(max_examples=30, deadline=None)
@given(text=st.text(min_size=0, max_size=3000), budget=st.integers(min_value=16, max_value=200))
def test_invariants_hold_on_arbitrary_unicode(tokenizer: Tokenizer, text: str, budget: int) -> None:
    document = ParsedDocument("text/plain", (ParsedPage(1, text),))
    check_invariants(document, Chunker(tokenizer, budget=budget, overlap=budget // 8))


def test_skip_spans_are_cut_around(tokenizer: Tokenizer) -> None:
    stamp = "Case: 12-2209 Document: 00116475093 Page: 3 Date Filed: 01/02/2013"
    page = stamp + "\n" + LOREM_LEGAL * 3
    document = ParsedDocument("application/pdf", (ParsedPage(1, page, skip_spans=((0, len(stamp)),)),))
    chunker = Chunker(tokenizer, budget=64, overlap=8)
    chunks = chunker.chunk(document)
    assert chunks and all("Document: 0011" not in chunk.text for chunk in chunks)
    check_invariants(document, chunker)


def test_prefers_sentence_ends(tokenizer: Tokenizer) -> None:
    document = ParsedDocument("text/plain", (ParsedPage(1, LOREM_LEGAL * 6),))
    chunks = Chunker(tokenizer, budget=100, overlap=0).chunk(document)
    assert len(chunks) > 2
    assert all(chunk.text.rstrip().endswith(".") for chunk in chunks[:-1])


def test_fixtures_keep_the_invariants(tokenizer: Tokenizer, tmp_path: Path) -> None:
    chunker = Chunker(tokenizer, budget=126, overlap=16)
    files = [
        *sorted(DATA.rglob("*.pdf")),
        write_pdf(tmp_path / "gen.pdf", [LOREM_LEGAL * 8, None, "short"]),
    ]
    for path in files:
        parser = parser_for(path)
        assert parser is not None
        check_invariants(parser(path), chunker)


def test_rejects_nonsense_settings(tokenizer: Tokenizer) -> None:
    with pytest.raises(ValueError, match="overlap"):
        Chunker(tokenizer, budget=64, overlap=40)
