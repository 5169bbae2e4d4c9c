"""The extractive rule for follow-ups: what a thread's earlier turns lend a follow-up, and when they lend nothing."""

from __future__ import annotations

from service.engine.answering.followup import (
    Turn,
    rewrite_with_model,
    scope_of,
    standalone_by_rule,
    standalone_question,
)
from service.engine.answering.prompts import load_prompts
from tests.support.paths import REPO
from tests.support.scripted import ScriptedGenerator

CALVARY = "In Calvary Chapel of Bangor v. Mills (1st Cir. No. 20-1507), which judge wrote the opinion?"


def test_a_follow_up_inherits_the_case_and_docket_of_the_thread() -> None:
    standalone = standalone_by_rule("How did the court dispose of the appeal?", [Turn(CALVARY)])
    assert standalone == "How did the court dispose of the appeal (in Calvary Chapel of Bangor v. Mills; 20-1507)?"


def test_the_subject_carries_through_a_third_turn_and_the_latest_named_case_wins() -> None:
    history = [Turn(CALVARY), Turn("Who argued for the Governor?")]
    assert (
        standalone_by_rule("When was it decided?", history)
        == "When was it decided (in Calvary Chapel of Bangor v. Mills; 20-1507)?"
    )
    history.append(Turn("What did Pastor Ken Graves say about the gathering orders?"))
    assert (
        standalone_by_rule("When was it decided?", history)
        == "When was it decided (in Calvary Chapel of Bangor v. Mills; 20-1507; Pastor Ken Graves)?"
    )
    history.append(Turn("What did the Missouri Court of Appeals decide in Jagels v. State (No. ED108783)?"))
    assert (
        standalone_by_rule("Who was the trial judge?", history)
        == "Who was the trial judge (in Jagels v. State; ED108783)?"
    )


def test_a_follow_up_naming_its_own_case_or_docket_inherits_nothing() -> None:
    assert standalone_by_rule("Who wrote the opinion in Regalado v. Sullivan?", [Turn(CALVARY)]) is None
    assert standalone_by_rule("What was ordered in No. 21-2728?", [Turn(CALVARY)]) is None
    assert standalone_by_rule("What was ordered?", []) is None
    assert standalone_by_rule("What was ordered?", [Turn("What is a preliminary injunction?")]) is None


def test_without_a_case_name_the_proper_names_and_the_quoted_documents_are_inherited() -> None:
    history = [Turn("When did CEVA Logistics deny the claim?", cited_titles=("Expedited Hearing Order",))]
    assert (
        standalone_by_rule("What reason did it give?", history)
        == "What reason did it give (in CEVA Logistics; Expedited Hearing Order)?"
    )
    # what the follow-up already says is not added again
    assert standalone_by_rule("Did CEVA Logistics appeal the expedited hearing order?", history) is None
    # nor is a title that the earlier standalone form named already
    earlier = Turn(
        "How long is the lease term?",
        "How long is the lease term (in Casco Bay Ferries; Equipment Lease)?",
        cited_titles=("Equipment Lease",),
    )
    assert (
        standalone_by_rule("When does the lease term begin?", [earlier])
        == "When does the lease term begin (in Casco Bay Ferries; Equipment Lease)?"
    )


def test_scope_leaves_out_courts_question_words_and_months() -> None:
    scope = scope_of("When did the First Circuit rule on Scooper Trooper's claim in March?")
    assert scope.names == ("Scooper Trooper's",) and not scope.names_case
    assert scope_of("How much did Tarrant ask for?").names == ("Tarrant",)
    assert not scope_of("What did the Supreme Court hold?")


THREAD = (Turn(CALVARY),)
PROMPTS = load_prompts(REPO / "prompts")


def rewritten(model_says: str, question: str = "How did the court dispose of the appeal?") -> str | None:
    return rewrite_with_model(question, THREAD, ScriptedGenerator(model_says), PROMPTS)


def test_a_models_standalone_question_is_used_without_its_label() -> None:
    wanted = "How did the First Circuit dispose of the appeal in Calvary Chapel of Bangor v. Mills?"
    assert rewritten(wanted) == wanted
    assert rewritten(f"Standalone question: {wanted}\nIt was dismissed.") == wanted
    assert rewritten(f"Q2: {wanted}") == wanted
    assert rewritten(f"Rewrite the last question to: {wanted}") == wanted


def test_a_rewrite_that_is_no_question_of_its_own_falls_back_to_the_rule() -> None:
    # What SmolLM2 wrote for court-filing threads: an answer, an earlier question again, a question that lost
    # what the follow-up asks, nothing.
    assert rewritten("The court dismissed the appeal in Calvary Chapel of Bangor v. Mills (No. 20-1507).") is None
    assert rewritten(f"Q1: {CALVARY}") is None
    assert rewritten("Which judge wrote the opinion in Calvary Chapel of Bangor v. Mills?") is None
    assert rewritten("") is None
    assert rewritten("How did the court dispose of the appeal?") is None  # the follow-up unchanged
    question = "How did the court dispose of the appeal?"
    generator = ScriptedGenerator("The appeal was dismissed.")
    assert standalone_question(question, THREAD, generator, PROMPTS) == standalone_by_rule(question, THREAD)
