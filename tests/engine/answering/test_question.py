"""What a question asks for (its parts and their kinds of fact, what it names) and the facts a sentence holds."""

from __future__ import annotations

import pytest

from service.engine.answering.facts import Fact, facts_in, looks_like_caption, restates
from service.engine.answering.question import analyse, terms


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("When was the opinion in Jagels v. State filed?", ["when"]),
        ("How much did the jury award in damages?", ["how_much"]),
        ("What total liabilities did the debtors report?", ["how_much"]),
        ("How many class members tested positive?", ["how_many"]),
        ("Which Tax Court judge wrote the opinion?", ["who"]),
        ("To which district are the cases to be transferred?", ["where"]),
        ("Why does the bank argue that the plaintiff lacks standing?", ["why"]),
        ("Which interstate compact did Tarrant identify?", ["which_case"]),
        ("How did the First Circuit dispose of the appeal?", ["what_held"]),
        ("After being told the case had settled, did Judge Snyder dismiss the action?", ["yes_no"]),
        ("When did CEVA deny the claim, and what reason did it give?", ["when", "why"]),
        (
            "When did the court enter judgment, and how long did a party have to petition for rehearing?",
            ["when", "how_long"],
        ),
        ("What do the two maps depict?", ["other"]),
    ],
)
def test_each_part_of_a_question_gets_its_kind(question: str, kinds: list[str]) -> None:
    assert [part.kind for part in analyse(question).parts] == kinds


def test_the_cases_dockets_and_judges_a_question_names() -> None:
    asked = analyse("What sanctions did Judge Castel impose on the lawyers in Mata v. Avianca, Inc. (No. 22-1461)?")
    assert set(asked.names) == {"Mata", "Avianca", "22-1461", "Castel"}  # "Inc." names no one in particular
    docket = analyse("What did the judgment in Regalado v. Sullivan (C.D. Cal. No. 2:18-cv-10166-JAK) order?")
    assert "2:18-cv-10166" in docket.names


def test_topic_words_leave_out_what_only_names_the_case() -> None:
    asked = analyse("How did the First Circuit dispose of Calvary Chapel of Bangor v. Mills (1st Cir. No. 20-1507)?")
    topic = asked.topic_terms(asked.parts[0])
    assert terms("dispose") == ["dispos"] and "dispos" in topic
    assert not set(terms("first circuit bangor mills 20-1507 cir")) & set(topic)


@pytest.mark.parametrize(
    ("sentence", "fact"),
    [
        ("Filed: January 19, 2021", Fact.DATE),
        ("The appellees' brief was due 08/24/2020.", Fact.DATE),
        ("dependent life insurance on behalf of her husband in the amount of $100,000.", Fact.AMOUNT),
        ("the person is 6/7 or 86% compliant.", Fact.AMOUNT),
        ("at least five class members have tested positive", Fact.NUMBER),
        ("a petition for rehearing must be filed within 14 days after entry of judgment", Fact.DURATION),
        ("GUSTAFSON, Judge: The Internal Revenue Service determined deficiencies", Fact.PERSON),
        ("Very truly yours, Marcia M. Waldron, Clerk", Fact.PERSON),
        ("PATRICIA S. DODSZUWEIT CLERK", Fact.PERSON),
        ("Tennessee Bureau of Workers' Compensation, 220 French Landing Drive, Nashville, TN 37243", Fact.PLACE),
        ("the Chapel's appeal is dismissed without prejudice for lack of appellate jurisdiction.", Fact.DISPOSITION),
        ("Held: The Compact does not preempt Oklahoma's water statutes.", Fact.DISPOSITION),
        ("IT IS ORDERED that the petition is denied.", Fact.DISPOSITION),
        ("3. The Court finds that no bond is required.", Fact.HOLDING),
        ("For the foregoing reasons, the judgment is AFFIRMED.", Fact.HOLDING),
        ("Richard P. Liebowitz may show cause in writing within 20 days why he should not be suspended", Fact.HOLDING),
        ("NantWorks lacks standing because it is not a party to the agreement.", Fact.REASON),
        ("See Bell Atl. Corp. v. Twombly, 550 U.S. 544, 556 (2007).", Fact.AUTHORITY),
    ],
)
def test_the_facts_a_sentence_holds(sentence: str, fact: Fact) -> None:
    assert fact in facts_in(sentence)


def test_a_hearing_that_would_have_been_held_is_no_holding() -> None:
    assert Fact.DISPOSITION not in facts_in("such a hearing would have been held expeditiously")


def test_a_lower_courts_finding_is_no_holding_of_the_court_that_reports_it() -> None:
    reported = "The district court found the Chapel's contentions wanting and refused its request."
    assert Fact.DISPOSITION in facts_in(reported) and Fact.HOLDING not in facts_in(reported)


def test_captions_are_told_from_sentences() -> None:
    assert looks_like_caption("Vanessa St. Pierre, Plaintiff—Appellant, versus Standard Insurance Company")
    assert not looks_like_caption("For the reasons above, the appeal is dismissed.")
    assert looks_like_caption("Oct 02, 2019 02:19 PM(CT) TENNESSEE COURT OF WORKERS' COMPENSATION CLAIMS")
    assert not looks_like_caption("JUDGMENT AFFIRMED.")  # a ruling in capitals is no heading


def test_a_part_asks_about_the_courts_it_names_outside_its_opening_clause_and_citations() -> None:
    later = analyse("After the First Circuit dismissed the appeal, did the District of Maine grant an injunction?")
    assert later.parts[0].courts == {"med"}
    cited = analyse("How did the First Circuit rule on the appeal (5th Cir. No. 21-50498)?")
    assert cited.parts[0].courts == {"ca1"}
    assert analyse("What did the district court find?").parts[0].courts == frozenset()


def test_a_ruling_the_question_already_names_is_a_restatement() -> None:
    question = "How did the First Circuit resolve the consolidated appeals?"
    assert restates("These three appeals are consolidated.", question)
    assert not restates("The appeals are dismissed for want of prosecution.", question)
    assert not restates("IT IS ORDERED that the consolidated appeals are stayed.", "Were the appeals stayed?")
    assert not restates("The parties shall bear their own costs.", question)  # no ruling at all


def test_a_lettered_part_of_a_filing_is_one_word() -> None:
    assert "schedule-b" in terms("the cases listed on Schedule B")
    assert "schedule-b" not in terms("Schedule A - Cases to be remanded")


@pytest.mark.parametrize(
    ("sentence", "named"),
    [
        ("The objections are based on Federal Rules of Evidence 608 and 609.", True),
        ("in accordance with Rule 0800-02-22.01(2) of the Tennessee Rules", True),
        ("Tarrant identifies the Upper Niobrara River Compact.", True),
        ("Texas Insurance Code § 4001.003(1)(B) excludes an employer.", True),
        ("All rules mentioned herein refer to the Federal Rules of Evidence.", False),
        ("The statute and the rules say nothing of it.", False),
    ],
)
def test_an_authority_is_one_that_is_named_or_numbered(sentence: str, named: bool) -> None:
    assert (Fact.AUTHORITY in facts_in(sentence)) is named


def test_what_a_part_sets_aside_is_no_topic_word() -> None:
    part = analyse("When was the answering brief due before any extension?").parts[0]
    assert part.set_aside == {"extens"}
    assert "extens" not in analyse("When was the answering brief due before any extension?").topic_terms(part)
    assert analyse("How much did she owe without interest?").parts[0].set_aside == {"interest"}
    assert analyse("When was the brief due?").parts[0].set_aside == frozenset()


def test_a_letterheads_office_is_no_person() -> None:
    assert Fact.PERSON not in facts_in("OFFICE OF THE CLERK UNITED STATES COURT OF APPEALS FOR THE THIRD CIRCUIT")


def test_a_part_that_names_no_case_is_about_the_case_of_the_part_before() -> None:
    asked = analyse(
        "Who was Clerk on the letter in Mielo v. Steak N Shake Operations (No. 17-2678), and who was Clerk in "
        "City of Hoboken v. Chevron Corp. (No. 21-2728), and who signed it?"
    )
    first, second, third = asked.parts
    assert first.dockets == {"17-2678"} and {"mielo", "steak"} <= first.case_words
    assert second.dockets == {"21-2728"} and {"hoboken", "chevron"} <= second.case_words
    assert (third.case_words, third.dockets) == (second.case_words, second.dockets)
