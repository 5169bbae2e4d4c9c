"""Extractive answers over real court filings: the sentence that answers leads, quotes are exact, and
questions the filings cannot answer are refused with what was searched (SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.components import Components
from service.core.answers import AnswerResult
from service.core.domain import AnswerState
from service.core.seams import Embedder
from service.core.settings import OcrSettings
from service.engine.answering.qa import NOT_FOUND_MESSAGE
from service.engine.answering.question import analyse
from tests.support.databases import fresh_database, make_settings
from tests.support.forms import STATEMENT
from tests.support.paths import COURT

CALVARY = "doctor__recap_documents__ca1_00117684624.pdf"  # 1st Cir. opinion, Calvary Chapel of Bangor v. Mills
JAGELS = "doctor__missouri.pdf"  # Missouri Court of Appeals opinion, Jagels v. State
ZEPEDA = "doctor__recap_documents__ca9_19.pdf"  # 9th Cir. motion to stay briefing, Zepeda Rivas v. Jennings
TARRANT = "doctor__vector-pdf.pdf"  # SCOTUS slip opinion, Tarrant Regional Water Dist. v. Herrmann (footnotes)
COLLECTION = "filings"
# A stipulation whose answer is the third item of a numbered list, after the tax court opinion in Bordelon v.
# Commissioner (T.C. Memo. 2020-26, footnote 3), as text: the list needs its opening to be understood.
STIPULATION = (
    "After concessions by the parties, the remaining issues for decision concern the at-risk rules of section 465."
    "\n\nThe parties have stipulated that: (1) Mr. Bordelon is liable for the addition to tax under section "
    "6651(a)(1) for taxable year 2010; (2) for taxable year 2008, the adjustment for bad debt deduction is "
    "$1,188,109, as the revenue agent computed it from the partnership returns; and (3) neither of the Bordelons "
    "is liable for the accuracy-related penalties under section 6662(a) for any of the years at issue.\n"
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def filings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, models_cache: Path
) -> Iterator[Components]:
    root = tmp_path_factory.mktemp("filings")
    for name in (CALVARY, JAGELS, ZEPEDA, TARRANT):
        shutil.copy(COURT / name, root / name)
    (root / "bordelon-stipulation.txt").write_text(STIPULATION, encoding="utf-8")
    (root / "barreras-statement-of-financial-affairs.txt").write_text(STATEMENT, encoding="utf-8")
    data = tmp_path_factory.mktemp("data")
    with fresh_database(request.param, data) as url:
        settings = make_settings(data, url, models_cache, ocr=OcrSettings(enabled=False))
        parts = Components(settings, embedder=embedder)
        summary = parts.pipeline(COLLECTION).ingest([root])
        assert summary.count("failed") == 0, summary.as_dict()["failures"]
        yield parts
        parts.close()


def ask(parts: Components, question: str) -> AnswerResult:
    return parts.qa.ask(question, COLLECTION, 8)


def assert_quotes_are_exact(parts: Components, result: AnswerResult) -> None:
    for citation in result.citations:
        page = parts.store.get_page(citation.document_id, citation.page)
        assert page.text[citation.page_char_start : citation.page_char_end] == citation.quote
        assert " ".join(citation.quote.split()) in " ".join(result.answer.split())


def test_the_disposition_leads_a_what_was_held_answer(filings: Components) -> None:
    result = ask(
        filings,
        "How did the First Circuit dispose of Calvary Chapel of Bangor's appeal from the denial of its request "
        "for a temporary restraining order against Governor Janet Mills?",
    )
    assert result.state is AnswerState.ANSWERED, result.message
    lead = result.citations[0]
    assert lead.source == CALVARY and lead.page in (3, 16)  # the summary up front, or the conclusion
    quote = " ".join(lead.quote.split())
    assert "dismiss" in quote and "without prejudice for lack of appellate jurisdiction" in quote
    assert_quotes_are_exact(filings, result)


def test_a_when_question_is_answered_by_the_date_it_asks_for(filings: Components) -> None:
    result = ask(filings, "When did the Missouri Court of Appeals file its opinion in Jagels v. State?")
    assert result.state is AnswerState.ANSWERED, result.message
    assert result.citations[0].source == JAGELS and result.citations[0].page == 1
    assert "Filed: January 19, 2021" in result.answer
    assert_quotes_are_exact(filings, result)


def test_a_case_that_is_not_in_the_collection_is_refused_by_name(filings: Components) -> None:
    result = ask(filings, "How much did the jury award in damages in Apple v. Samsung?")
    assert result.state is AnswerState.NOT_FOUND and result.refused and result.citations == []
    assert result.message is not None and result.message.startswith(NOT_FOUND_MESSAGE)
    assert "no document mentions the case, party, docket number or judge" in result.message
    assert f"searched 6 documents in “{COLLECTION}”" in result.message
    assert result.closest  # offered as the closest passages, not as an answer


def test_a_ruling_that_only_a_partys_motion_discusses_is_refused(filings: Components) -> None:
    # The filings hold the appellees' motion to stay, not the Ninth Circuit's ruling on it.
    result = ask(filings, "How did the Ninth Circuit rule on the appellees' motion to stay the Zepeda Rivas appeal?")
    assert result.state is AnswerState.NOT_FOUND
    assert result.message is not None and "no ruling by a court" in result.message


def test_an_amount_that_no_sentence_on_the_topic_states_is_refused(filings: Components) -> None:
    question = "How much in costs did the First Circuit award Calvary Chapel on appeal?"
    hits = filings.retriever.search(question, COLLECTION, 8)
    asked = analyse(question)
    found = filings.qa.answerer.answer(asked, hits)
    assert asked.kind == "how_much"
    assert asked.parts[0] in found.unanswered_parts  # "The parties shall bear their own costs." has none
    result = ask(filings, question)
    assert result.state is AnswerState.NOT_FOUND and result.answer and result.citations == []


def test_a_later_ruling_by_another_court_is_refused(filings: Components) -> None:
    # The collection holds the First Circuit's dismissal, not anything the district court did afterwards.
    result = ask(
        filings,
        "Once the First Circuit had dismissed the appeal, did the District of Maine enjoin Governor Mills' orders "
        "on Calvary Chapel of Bangor's motion?",
    )
    assert result.state is AnswerState.NOT_FOUND
    assert result.message is not None and "no ruling by a court" in result.message
    # The court that did rule is answered, in its own words.
    ruled = ask(filings, "Did the First Circuit dismiss Calvary Chapel of Bangor's appeal?")
    assert ruled.state is not AnswerState.NOT_FOUND, ruled.message
    assert "dismiss the appeal" in " ".join(ruled.answer.split())


def test_a_later_item_of_a_numbered_list_is_quoted_with_the_lists_opening(filings: Components) -> None:
    result = ask(filings, "Are Rock and Torie Bordelon liable for the section 6662(a) accuracy-related penalties?")
    assert result.state is not AnswerState.NOT_FOUND, result.message
    answer = " ".join(result.answer.split())
    assert "The parties have stipulated that: (1)" in answer
    assert answer.index("stipulated") < answer.index("(3) neither of the Bordelons is liable")
    assert_quotes_are_exact(filings, result)


def test_a_sentence_about_what_the_question_sets_aside_does_not_answer_it(filings: Components) -> None:
    # The motion asks for an extension to September 23, 2020; the brief was due August 24, 2020 without one.
    question = "When was the answering brief in Zepeda Rivas v. Jennings due, without any extension?"
    result = ask(filings, question)
    assert result.state is not AnswerState.NOT_FOUND, result.message
    assert result.citations[0].source == ZEPEDA and "August 24, 2020" in result.citations[0].quote
    assert_quotes_are_exact(filings, result)


def test_a_sentence_cut_by_the_page_and_its_footnotes_goes_on_after_the_next_pages_running_head(
    filings: Components,
) -> None:
    # Page 11 ends "... surface water from the", then the footnotes; page 12 opens with its running head
    # ("8 TARRANT REGIONAL WATER DIST. v. HERRMANN / Opinion of the Court"), then "Kiamichi River, ...".
    question = "In Tarrant Regional Water District v. Herrmann, how much water did Tarrant's 2007 permit ask to take?"
    result = ask(filings, question)
    assert result.state is not AnswerState.NOT_FOUND, result.message
    answer = " ".join(result.answer.split())
    assert "310,000 acre feet" in answer
    assert "Kiamichi River, a tributary of the Red River" in answer
    assert "Opinion of the Court" not in answer and "5Under" not in answer  # no running head, no footnote
    assert {(citation.source, citation.page) for citation in result.citations} >= {(TARRANT, 11), (TARRANT, 12)}
    assert_quotes_are_exact(filings, result)


def test_a_question_about_two_cases_quotes_both(filings: Components) -> None:
    question = (
        "When was the opinion in Jagels v. State (No. ED108783) filed, and which judges heard the appeal in "
        "Calvary Chapel of Bangor v. Mills (No. 20-1507)?"
    )
    result = ask(filings, question)
    assert result.state is not AnswerState.NOT_FOUND, result.message
    assert {citation.source for citation in result.citations} >= {JAGELS, CALVARY}
    assert "January 19, 2021" in result.answer
    assert_quotes_are_exact(filings, result)


def test_a_forms_question_is_quoted_with_the_filers_answer(filings: Components) -> None:
    result = ask(filings, "Did the debtors disclose selling a car in the two years before they filed for bankruptcy?")
    assert result.state is not AnswerState.NOT_FOUND, result.message
    lead = result.citations[0]
    assert lead.source == "barreras-statement-of-financial-affairs.txt"
    assert lead.quote.startswith("18. Within 2 years") and "Sold 1972 Corvette for\n$18,000" in lead.quote
    assert_quotes_are_exact(filings, result)


def test_a_why_answered_by_a_conclusion_quotes_the_sentence_that_gives_its_reason(filings: Components) -> None:
    result = ask(filings, "In Jagels v. State, why did the Missouri Court of Appeals remand the case?")
    assert result.state is not AnswerState.NOT_FOUND, result.message
    answer = " ".join(result.answer.split())
    # "Therefore, this matter is remanded for this limited purpose." alone does not say why.
    assert (
        "this clerical mistake should be corrected pursuant to Rule 29.12(c). Therefore, this matter is remanded"
        in (answer)
    )
    assert_quotes_are_exact(filings, result)


def test_asked_whether_a_court_ruled_one_way_the_ruling_it_made_leads(filings: Components) -> None:
    # The First Circuit did not affirm: it dismissed the appeal. A close sentence that only mentions a ruling
    # (a judge's concurrence, a cited case "vacating" an order) must not lead.
    result = ask(
        filings, "Did the First Circuit affirm the district court's judgment in Calvary Chapel of Bangor v. Mills?"
    )
    assert result.state is not AnswerState.NOT_FOUND, result.message
    assert "we dismiss the appeal without prejudice" in result.citations[0].quote
    assert_quotes_are_exact(filings, result)


def test_asked_who_wrote_the_opinions_the_lines_that_open_them_are_quoted(filings: Components) -> None:
    # "SELYA, Circuit Judge." (page 3) and "BARRON, Circuit Judge, concurring ..." (page 17) are far from the
    # passages retrieval ranks for this question.
    question = (
        "In Calvary Chapel of Bangor v. Mills, which judge wrote the opinion of the court, and who wrote separately?"
    )
    result = ask(filings, question)
    assert result.state is not AnswerState.NOT_FOUND, result.message
    cited = {(citation.source, citation.page) for citation in result.citations}
    assert {(CALVARY, 3), (CALVARY, 17)} <= cited
    assert "SELYA, Circuit Judge." in result.answer and "BARRON, Circuit Judge, concurring" in result.answer
    assert_quotes_are_exact(filings, result)
