"""Sentence boundaries in legal text: citations, abbreviations and headings, on sentences from real filings."""

from __future__ import annotations

import itertools

import pypdfium2
import pytest

from service.engine.answering.sentences import sentence_spans
from tests.support.paths import COURT


def sentences(text: str) -> list[str]:
    return [" ".join(text[span.start : span.end].split()) for span in sentence_spans(text)]


@pytest.mark.parametrize(
    "sentence",
    [
        "See Calvary Chapel of Bangor v. Mills, 459 F. Supp. 3d 273, 283-288 (D. Me. 2020).",
        "Mr. Bordelon filed No. 12-2209 in the district court on Jan. 5, 2019.",
        "See 28 U.S.C. § 1291; Bell Atl. Corp. v. Twombly, 550 U.S. 544, 556 (2007).",
        "Id. at 570.",
        "The Hon. Jill A. Otey, Judge, presided over the trial in the Circuit Court of St. Charles County.",
        "Appeal from the U.S. District Court for the District of Maine, Lance E. Walker, U.S. District Judge.",
    ],
)
def test_citations_abbreviations_and_initials_never_end_a_sentence(sentence: str) -> None:
    assert sentences(f"The court ruled. {sentence} Nothing else followed.") == [
        "The court ruled.",
        sentence,
        "Nothing else followed.",
    ]


def test_a_heading_does_not_run_into_the_sentence_below_it() -> None:
    text = "the merits of the appeal. \r\nIII. CONCLUSION \r\nFor the reasons above, it is dismissed. \r\n"
    assert sentences(text) == [
        "the merits of the appeal.",
        "III. CONCLUSION",
        "For the reasons above, it is dismissed.",
    ]


def test_blank_lines_and_page_breaks_end_a_sentence() -> None:
    assert sentences("UNITED STATES COURT OF APPEALS\n\nFor the First Circuit\fNo. 20-1507") == [
        "UNITED STATES COURT OF APPEALS",
        "For the First Circuit",
        "No. 20-1507",
    ]


def test_spans_are_exact_slices_in_order_on_a_real_opinion_page() -> None:
    pdf = pypdfium2.PdfDocument(COURT / "doctor__recap_documents__ca1_00117684624.pdf")
    try:
        text = pdf[15].get_textpage().get_text_range()
    finally:
        pdf.close()
    spans = sentence_spans(text)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
    assert all(text[span.start : span.end] == text[span.start : span.end].strip() for span in spans)
    found = sentences(text)
    assert (
        "For the reasons elucidated above, the Chapel's appeal is dismissed without prejudice for lack of "
        "appellate jurisdiction." in found
    )
    sierra = "See Sierra Club v. Marsh, 907 F.2d 210, 214 (1st Cir. 1990); In re Recticel Foam Corp., 859 F.2d 1000,"
    assert f"{sierra} 1006 (1st Cir. 1988)." in found
    assert "III. CONCLUSION" in found


def test_a_letterhead_is_one_sentence_and_does_not_run_into_the_letter() -> None:
    text = "PATRICIA S. DODSZUWEIT\nCLERK\nOFFICE OF THE CLERK\nDear Counsel:\nThe Court entered its judgment today.\n"
    assert sentences(text) == [
        "PATRICIA S. DODSZUWEIT CLERK OFFICE OF THE CLERK",
        "Dear Counsel: The Court entered its judgment today.",
    ]


def test_a_forms_fields_end_at_their_values_but_prose_runs_on() -> None:
    form = "Copy the total claims from line 6j.......... $ 93,914.00\nYour total liabilities $ 863,842.00\nPart 3\n"
    assert sentences(form)[:2] == [
        "Copy the total claims from line 6j.......... $ 93,914.00",
        "Your total liabilities $ 863,842.00",
    ]
    prose = "The Defendant agrees to pay a settlement fee of $40,000\nwithin thirty days.\n"
    assert sentences(prose) == ["The Defendant agrees to pay a settlement fee of $40,000 within thirty days."]


def test_a_long_list_of_numbered_clauses_is_cut_before_each_clause() -> None:
    text = (
        "The parties have stipulated that: (1) Mr. Bordelon is liable for the addition to tax under section "
        "6651(a)(1) for taxable year 2010; (2) for taxable year 2008, the adjustment for bad debt deduction is "
        "$1,188,109; and (3) neither of the Bordelons is liable for the accuracy-related penalties for any of the "
        "years at issue."
    )
    found = sentences(text)
    assert (
        found[-1]
        == "(3) neither of the Bordelons is liable for the accuracy-related penalties for any of the years at issue."
    )
    assert found[1].startswith("(2) for taxable year 2008") and len(found) == 3
    short = "The court held that (1) the appeal is timely; and (2) the order is final."
    assert sentences(short) == [short]  # a short list stays one sentence


def test_the_rule_above_the_footnotes_ends_the_sentence_the_page_cut() -> None:
    # A slip opinion's text layer: the page's last sentence breaks off, then "——————" and the footnotes.
    text = (
        "In 2007, Tarrant sought a permit to\ntake 310,000 acre feet per year of surface water from the \n"
        "—————— \n5Under §2.10 of the Compact each State retains the right to regulate.\n"
    )
    assert sentences(text) == [
        "In 2007, Tarrant sought a permit to take 310,000 acre feet per year of surface water from the",
        "5Under §2.10 of the Compact each State retains the right to regulate.",
    ]
