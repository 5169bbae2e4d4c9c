# ruff: noqa: RUF001 - the en dashes are those filings print
"""A form's numbered questions with the filer's answers, on a real bankruptcy petition's statement."""

from __future__ import annotations

from service.engine.answering.form_items import form_items, lettered_parts
from tests.support.forms import STATEMENT


def test_each_numbered_question_is_quoted_with_the_answer_below_it_up_to_the_next() -> None:
    items = form_items(STATEMENT)
    texts = [STATEMENT[item.span.start : item.span.end] for item in items]
    assert [text.split(".")[0] for text in texts] == ["18", "19"]  # 20 has no answer before the footer
    assert texts[0].endswith("$18,000\n12/2015") and "Daniel Pech" in texts[0]
    assert STATEMENT[items[0].question_end - 1] == "?"
    assert "Corvette" in STATEMENT[items[0].question_end : items[0].span.end]
    # The next part of the form ends an item: its heading is no answer to question 19.
    assert texts[1].endswith("Date Transfer was\nmade")


def test_numbered_paragraphs_without_a_question_are_no_form_items() -> None:
    opinion = "1. The district court denied the motion.\n2. We affirm the judgment of the district court.\n"
    assert form_items(opinion) == []


# Page 3 of the Bard IVC Filters MDL's suggestion of remand and transfer order (D. Ariz. No. MDL 15-02641).
SCHEDULES = """In re Bard IVC Filters Products Liability Litigation, No. MDL 15-02641-DGC
SUGGESTION OF REMAND AND TRANSFER ORDER
Schedule B – Direct-Filed Cases to Be Transferred
24
Case Caption Case Number Transferee District
Diane Lee Manns v. C. R. Bard, Inc. 2:17-cv-01088 W. Va. S.D.
Dianna Roush v. C. R. Bard, Inc. 2:19-cv-00790 W. Va. S.D.
Schedule C: Cases Dismissed
Mark Topping v. C. R. Bard, Inc. 2:16-cv-01339
"""


def test_a_schedules_title_is_quoted_with_its_table_up_to_the_next_schedule() -> None:
    items = lettered_parts(SCHEDULES)
    texts = [SCHEDULES[item.span.start : item.span.end] for item in items]
    assert texts[0].startswith("Schedule B – Direct-Filed") and texts[0].endswith("2:19-cv-00790 W. Va. S.D.")
    assert texts[1] == "Schedule C: Cases Dismissed\nMark Topping v. C. R. Bard, Inc. 2:16-cv-01339"
    assert SCHEDULES[items[0].question_end - 1] == "d"  # the title's last letter: the body follows it


def test_a_mention_of_an_exhibit_in_a_sentence_is_no_lettered_part() -> None:
    assert lettered_parts("The lease is attached as Exhibit A to the complaint.\nExhibit B is the invoice.\n") == []
