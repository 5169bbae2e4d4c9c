"""Court-document structure on real filings: ECF stamps, skip spans, page labels, docket metadata."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest

from ingest.legal.docket import courts_named, docket_metadata
from ingest.legal.ecf_stamps import EcfStamp, find_stamps, parse_ecf_stamp, primary_stamp
from ingest.legal.page_labels import page_label, printed_page_number
from ingest.legal.paragraphs import paragraph_at
from ingest.legal.running_heads import find_skip_spans
from tests.support.court import CA1_OPINION, CA1_ORDER, CA9_MOTION, CACD_ORDER, CAND_SCAN, EXHIBIT, SCOTUS, page_texts


def without_spans(text: str, spans: list[tuple[int, int]]) -> str:
    kept, position = [], 0
    for start, end in spans:
        kept.append(text[position:start])
        position = end
    return "".join([*kept, text[position:]])


def test_appellate_stamps_are_parsed_on_every_page() -> None:
    pages = page_texts(CA1_OPINION)
    stamps = [primary_stamp(text) for text in pages]
    assert all(stamp is not None for stamp in stamps)
    assert [stamp.page for stamp in stamps if stamp] == list(range(1, 18))
    first = stamps[0]
    assert first == EcfStamp(
        text="Case: 20-1507 Document: 00117684624 Page: 1 Date Filed: 12/22/2020 Entry ID: 6390389",
        case_number="20-1507",
        document_number="00117684624",
        page=1,
        filed=date(2020, 12, 22),
        entry_id="6390389",
    )


def test_ninth_circuit_stamps_give_page_n_of_m() -> None:
    stamp = primary_stamp(page_texts(CA9_MOTION)[11])
    assert stamp is not None
    assert (stamp.case_number, stamp.document_number, stamp.entry_id) == ("20-16276", "19", "11778722")
    assert (stamp.page, stamp.page_count, stamp.filed) == (12, 15, date(2020, 8, 5))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "Case 2:19-cv-01234-ABC Document 27 Filed 03/04/19 Page 3 of 10 PageID #: 123",
            {"case_number": "2:19-cv-01234-ABC", "document_number": "27", "page": 3, "page_count": 10,
             "filed": date(2019, 3, 4), "page_id": "123"},
        ),
        (
            "Appeal: 17-2218 Doc: 17 Filed: 10/31/2017 Pg: 1 of 1",
            {"case_number": "17-2218", "document_number": "17", "page": 1, "page_count": 1},
        ),
        (
            "Appellate Case: 17-2543 Page: 3 Date Filed: 07/26/2017 Entry ID: 4561396",
            {"case_number": "17-2543", "document_number": None, "page": 3, "entry_id": "4561396"},
        ),
        (
            "Case 17-3510, Document 1-1, 10/31/2017, 2161300, Page1 of 2",
            {"case_number": "17-3510", "document_number": "1-1", "page": 1, "page_count": 2, "entry_id": "2161300"},
        ),
        (
            "Case 18-53173-jwc Doc 35 Filed 01/30/19 Entered 01/30/19 11:51:34 Desc Main\n Document Page 1 of 42",
            {"case_number": "18-53173-jwc", "document_number": "35", "page": 1, "page_count": 42},
        ),
        ("Case: 17-2400 Document: 3 Filed: 07/13/2017 Pages: 1", {"page": None, "page_count": 1}),
    ],
)  # fmt: skip
def test_stamp_styles_of_other_courts(line: str, expected: dict[str, object]) -> None:
    stamp = parse_ecf_stamp(line)
    assert stamp is not None
    for field, value in expected.items():
        assert getattr(stamp, field) == value, field


@pytest.mark.parametrize(
    "line",
    [
        "Case No. 20-16276, Docket Entry No. 10. The Table of Contents of the opening",
        "The case was filed on 01/02/2013 and the document is on page 3.",
        "United States Court of Appeals",
    ],
)
def test_prose_about_cases_is_not_a_stamp(line: str) -> None:
    assert parse_ecf_stamp(line) is None


def test_skip_spans_cover_the_stamp_exactly_and_nothing_else() -> None:
    pages = page_texts(CA1_ORDER)
    spans = find_skip_spans(pages)
    for number, (text, page_spans) in enumerate(zip(pages, spans, strict=True), start=1):
        assert len(page_spans) == 1
        start, end = page_spans[0]
        expected = f"Case: 12-2209 Document: 00116475093 Page: {number} Date Filed: 01/03/2013 Entry ID: 5700979"
        assert text[start:end] == expected
        assert text[:start].strip() and "ESTELLA RODRIGUES" not in text[start:end]


def test_a_one_page_scan_has_its_stamps_skipped() -> None:
    (text, _) = page_texts(CAND_SCAN)
    [spans, _] = find_skip_spans(page_texts(CAND_SCAN))
    assert [text[start:end] for start, end in spans] == [
        "Case 4:08-cv-02214-SBA Document 26 Filed 01/29/2009 Page 1 of 2",
        "Case 4:08-cv-02214-SBA Document 27 Filed 02/03/09 Page 1 of 2",
    ]
    # Refiled with a new stamp: the newer one names the filing.
    stamp = primary_stamp(text)
    assert stamp is not None and stamp.document_number == "27"


def test_a_wrapped_stamp_is_one_span() -> None:
    (text,) = page_texts(EXHIBIT)
    [(span, stamp)] = find_stamps(text)
    assert (
        text[span[0] : span[1]]
        == "Case 2:85-cv-04544-DMG-AGR Document 569-10 Filed 06/26/19 Page 6 of 11 Page ID\n #:28982"
    )
    assert (stamp.document_number, stamp.page, stamp.page_count, stamp.page_id) == ("569-10", 6, 11, "28982")


def test_running_heads_folios_and_pleading_line_numbers_are_skipped() -> None:
    opinion = page_texts(CA1_OPINION)
    spans = find_skip_spans(opinion)
    skipped = [[text[start:end] for start, end in page] for text, page in zip(opinion, spans, strict=True)]
    assert "- 3 -" in skipped[2]
    kept = "".join(without_spans(text, page) for text, page in zip(opinion, spans, strict=True))
    assert "SELYA, Circuit Judge" in kept and "We need go no further" in kept
    assert "Document: 00117684624" not in kept

    scotus = page_texts(SCOTUS)
    scotus_spans = find_skip_spans(scotus)
    heads = {scotus[9][start:end] for start, end in scotus_spans[9]}
    assert any(head.startswith("6 TARRANT REGIONAL WATER DIST. v. HERRMANN") for head in heads)

    pleading = page_texts(CACD_ORDER)
    first = find_skip_spans(pleading)[1]
    numbers = pleading[1][first[0][0] : first[0][1]]
    assert numbers.split() == [str(line) for line in range(1, 29)]


def test_skip_spans_are_sorted_disjoint_and_trimmed() -> None:
    for file_name in (CA1_OPINION, CA9_MOTION, CACD_ORDER, SCOTUS):
        pages = page_texts(file_name)
        for text, spans in zip(pages, find_skip_spans(pages), strict=True):
            for (start, end), following in pairwise([*spans, (len(text) + 1, 0)]):
                assert 0 <= start < end <= len(text) and end < following[0]
                assert not text[start].isspace() and not text[end - 1].isspace()


def test_page_labels_follow_the_filing() -> None:
    # An excerpt filed as an exhibit: physical page 1 is ECF page 6 of 11.
    (exhibit,) = page_texts(EXHIBIT)
    assert page_label(exhibit, 1, primary_stamp(exhibit)) == "6"
    (complaint,) = page_texts("doctor__x-ray__rectangles_yes.pdf")
    assert page_label(complaint, 1, primary_stamp(complaint)) == "7"
    # The slip opinion restarts its numbering after the syllabus: physical page 10 is printed page 6.
    scotus = page_texts(SCOTUS)
    assert page_label(scotus[9], 10, primary_stamp(scotus[9])) == "6"
    assert printed_page_number(scotus[9]) == "6"
    # Where the stamp and the physical page agree there is no label.
    opinion = page_texts(CA1_OPINION)
    assert [page_label(text, number, primary_stamp(text)) for number, text in enumerate(opinion, 1)] == [None] * 17
    assert printed_page_number(opinion[4]) == "5"


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        (
            CA1_ORDER,
            {"court": "ca1", "case_number": "12-2209", "document_number": "00116475093", "entry_id": "5700979",
             "filed": "2013-01-03", "document_type": "order"},
        ),
        (
            CA1_OPINION,
            {"court": "ca1", "case_number": "20-1507", "document_number": "00117684624", "filed": "2020-12-22",
             "document_type": "opinion"},
        ),
        (CA9_MOTION, {"court": "ca9", "case_number": "20-16276", "document_number": "19", "document_type": "motion"}),
        (
            CAND_SCAN,
            {"court": "cand", "pacer_case_id": "203070", "case_number": "4:08-cv-02214-SBA", "document_number": "27",
             "filed": "2009-02-03"},
        ),
        (
            CACD_ORDER,
            {"court": "cacd", "pacer_case_id": "652774", "case_number": "8:16-cv-01261-DOC-KES",
             "document_number": "40", "document_type": "order"},
        ),
        (SCOTUS, {"court": "scotus", "case_number": "11-889", "filed": "2013-06-13", "document_type": "opinion"}),
        ("doctor__x-ray__rectangles_yes.pdf", {"case_number": "1:21-cv-01061-KLM", "document_number": "1"}),
    ],
)  # fmt: skip
def test_docket_metadata_of_real_filings(file_name: str, expected: dict[str, str]) -> None:
    metadata = docket_metadata(page_texts(file_name), file_name)
    assert {key: metadata.get(key) for key in expected} == expected


def test_docket_metadata_from_file_names_alone() -> None:
    assert docket_metadata([], "gov.uscourts.ca1.12-2209.00106475093.0.pdf") == {
        "court": "ca1",
        "case_number": "12-2209",
        "document_number": "00106475093",
    }
    assert docket_metadata([""], "gov.uscourts.cand.203070.27.2.pdf") == {
        "court": "cand",
        "pacer_case_id": "203070",
        "document_number": "27",
        "attachment_number": "2",
        "document_type": "other",
    }


@pytest.mark.parametrize(
    ("text", "courts"),
    [
        ("How did the First Circuit dispose of the appeal?", {"ca1"}),
        ("After the First Circuit dismissed, did the District of Maine grant an injunction?", {"ca1", "med"}),
        ("What did the Supreme Court hold in Tarrant v. Herrmann?", {"scotus"}),
        ("the Supreme Court of the United States", {"scotus"}),
        ("What did the Supreme Court of North Carolina hold?", set()),
        ("the Central District of California", {"cacd"}),
        ("the Northern District of Georgia Bankruptcy Court", {"ganb"}),
        ("the D.C. Circuit and the Tax Court", {"cadc", "tax"}),
        ("the district court found the contentions wanting", set()),
    ],
)
def test_courts_named_in_words_get_their_docket_ids(text: str, courts: set[str]) -> None:
    assert courts_named(text) == courts


def test_paragraph_at_finds_numbered_paragraphs_of_a_declaration() -> None:
    declaration = page_texts(CA9_MOTION)[12]
    offset = declaration.index("I am a licensed attorney")
    assert paragraph_at(declaration, offset) == "1"
    assert paragraph_at(declaration, declaration.index("I, Judah Lakin")) is None
    text = "Background\n¶ 41 The parties met.\n¶ 42 The contract was signed on\nMay 1.\nII. DISCUSSION\nThe law."
    assert paragraph_at(text, text.index("May 1")) == "42"
    assert paragraph_at(text, text.index("The law")) is None
    assert paragraph_at(text, len(text) + 5) is None
