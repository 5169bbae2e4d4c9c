"""A form's numbered questions with the filer's answers, on a real bankruptcy petition's statement."""

from __future__ import annotations

from service.engine.answering.form_items import form_items
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
