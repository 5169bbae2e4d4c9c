"""Chunking invariants: exact slices, within the token budget, nothing lost, never across pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer

from ingest.chunking import Chunker
from ingest.legal.sections import HeadingIndex, find_headings
from ingest.parsers import parser_for
from service.backends.embedders import load_tokenizer
from service.core.domain import ParsedDocument, ParsedPage
from service.core.settings import default_model_dir
from tests.support.documents import LOREM_LEGAL, write_pdf
from tests.support.paths import DATA


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
        if chunker.context_tokens:  # context and chunk are embedded together within the model's maximum
            context_tokens = len(chunker.tokenizer.encode(chunk.context, add_special_tokens=False).ids)
            assert context_tokens < chunker.context_tokens
        else:
            assert chunk.context == "" and chunk.embedding_text == chunk.text
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
    [
        *("the", "Agreement", "shall", "§", "4.2(b)", "Receiving", "Party's", "—", "confidential", "naïve", "x" * 40),
        *("1.", "\nSection 5.1 Conduct", "\nARTICLE IV Covenants", "\n7.4. Consents"),
    ]
)
separators = st.sampled_from([" ", " ", " ", "\n", "\n\n", ". ", "\t", "  "])


@settings(max_examples=60, deadline=None)
@given(
    pages=st.lists(st.lists(st.tuples(words, separators), max_size=300), min_size=1, max_size=4),
    budget=st.integers(min_value=16, max_value=254),
    overlap_share=st.floats(min_value=0, max_value=0.45),
    sections=st.booleans(),
    context_tokens=st.sampled_from([0, 1, 2, 8, 32]),
)
def test_invariants_hold_on_generated_text(  # type: ignore[no-untyped-def]
    tokenizer: Tokenizer, pages, budget: int, overlap_share: float, sections: bool, context_tokens: int
) -> None:
    overlap = int(budget * overlap_share) // 2
    chunker = Chunker(tokenizer, budget=budget, overlap=overlap, sections=sections, context_tokens=context_tokens)
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


AGREEMENT = (
    "AGREEMENT AND PLAN OF MERGER\n"
    "ARTICLE 6 COVENANTS OF THE COMPANY\n"
    "Section 6.01. Conduct of the Company. " + "The Company shall operate in the ordinary course. " * 3 + "\n"
    "Section 6.02. Shareholder Meeting. " + "The Company shall call a meeting of its shareholders. " * 3 + "\n"
    "ARTICLE 7 TERMINATION\n"
    "7.1. Termination by Either Party. " + "Either party may terminate this Agreement by notice. " * 3 + "\n"
)


def test_sections_start_new_chunks_at_headings(tokenizer: Tokenizer) -> None:
    document = ParsedDocument("text/plain", (ParsedPage(1, AGREEMENT),))
    plain = Chunker(tokenizer, budget=200, overlap=16).chunk(document)
    assert any("Shareholder Meeting" in chunk.text and "Conduct" in chunk.text for chunk in plain)
    chunker = Chunker(tokenizer, budget=200, overlap=16, sections=True)
    chunks = chunker.chunk(document)
    assert [chunk.text[:12] for chunk in chunks] == ["AGREEMENT AN", "Section 6.02", "ARTICLE 7 TE"]
    assert not any("Shareholder Meeting" in chunk.text and "Conduct" in chunk.text for chunk in chunks)
    check_invariants(document, chunker)


def test_chunks_are_embedded_under_their_section_heading(tokenizer: Tokenizer) -> None:
    split = AGREEMENT.index("Section 6.02")
    document = ParsedDocument("text/plain", (ParsedPage(1, AGREEMENT[:split]), ParsedPage(2, AGREEMENT[split:])))
    chunker = Chunker(tokenizer, budget=16, overlap=0, sections=True, context_tokens=32)
    contexts = {chunk.context for chunk in chunker.chunk(document)}
    assert "ARTICLE 6 COVENANTS OF THE COMPANY / Section 6.01. Conduct of the Company" in contexts
    assert "ARTICLE 6 COVENANTS OF THE COMPANY / Section 6.02. Shareholder Meeting" in contexts  # across pages
    assert "ARTICLE 7 TERMINATION / 7.1. Termination by Either Party" in contexts
    assert "" in contexts  # the title, before any heading
    chunk = next(chunk for chunk in chunker.chunk(document) if chunk.context.endswith("Shareholder Meeting"))
    assert chunk.embedding_text == f"{chunk.context}\n{chunk.text}"
    short = Chunker(tokenizer, budget=16, overlap=0, context_tokens=5).chunk(document)
    assert "ARTICLE 6 COVENANTS" in {chunk.context for chunk in short}  # cut to fit: 4 tokens and the line break


def test_headings_are_found_with_their_titles() -> None:
    headings = find_headings("Intro\n§ 12 Venue; courts\n  3 May 2021 is no heading\n12.4.  Notices.  All notices")
    assert [(h.title, h.top) for h in headings] == [("§ 12 Venue", False), ("12.4. Notices", False)]
    index = HeadingIndex(headings)
    assert index.context(0) == ""
    assert index.context(headings[1].start + 20) == "12.4. Notices"


class MeasuringTokenizer:
    """The real tokenizer, recording the longest text it was given."""

    def __init__(self, inner: Tokenizer) -> None:
        self.inner = inner
        self.longest = 0

    def encode(self, text: str, add_special_tokens: bool = True) -> object:
        self.longest = max(self.longest, len(text))
        return self.inner.encode(text, add_special_tokens=add_special_tokens)


def test_a_giant_page_is_tokenised_in_bounded_segments(tokenizer: Tokenizer, monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.chunking as chunking

    monkeypatch.setattr(chunking, "SEGMENT_CHARS", 2_000)
    # one line of 30,000 characters (a one-line text file), then paragraphs: both are cut into segments
    one_line = ("The lessee shall pay the rent in full " * 800)[:30_000]
    paragraphs = "\n\n".join(f"Paragraph {number}. " + LOREM_LEGAL for number in range(40))
    document = ParsedDocument("text/plain", (ParsedPage(1, one_line + "\n" + paragraphs),))
    measuring = MeasuringTokenizer(tokenizer)
    chunker = Chunker(measuring, budget=64, overlap=0, sections=True)  # type: ignore[arg-type]
    check_invariants(document, Chunker(tokenizer, budget=64, overlap=0, sections=True))
    chunks = chunker.chunk(document)
    assert 0 < measuring.longest <= 2_000
    assert "".join(chunk.text for chunk in chunks).replace(" ", "").replace("\n", "") == document.text.replace(
        " ", ""
    ).replace("\n", "")
    # a segment ends at a paragraph break where there is one in its second half
    ends = {chunk.char_end for chunk in chunks}
    text = document.text
    breaks = [position for position in range(30_001, len(text)) if text.startswith("\n\n", position)]
    assert any(position in ends for position in breaks)
