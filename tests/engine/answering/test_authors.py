"""Who wrote an opinion: questions that ask it, and the lines that open an opinion under its author's name."""

from __future__ import annotations

import pytest

from service.engine.answering.authors import asks_author, has_author_line


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("Which judge wrote the opinion of the court, and which judge wrote separately?", True),
        ("Who delivered the opinion of the Court in Tarrant Regional Water District v. Herrmann?", True),
        ("Who wrote the dissent in Gift Surplus, LLC v. State ex rel. Cooper?", True),
        ("Which justices dissented?", True),
        ("Who wrote the letter to the Clerk?", False),
        ("Who signed the certificate of service?", False),
    ],
)
def test_a_question_asks_who_wrote_an_opinion(question: str, asks: bool) -> None:
    assert asks_author(question) is asks


@pytest.mark.parametrize(
    ("page", "found"),
    [
        ("filed May 2020.\nSELYA, Circuit Judge. This interlocutory appeal arises out of", True),
        ("BARRON, Circuit Judge, concurring in part and concurring in the judgment.", True),
        ("[June 13, 2013]\nJUSTICE SOTOMAYOR delivered the opinion of the Court.", True),
        ("GUSTAFSON, Judge: The Internal Revenue Service determined deficiencies", True),
        ("HUDSON, Justice.", True),
        ("Before Howard, Chief Judge, Selya and Barron, Circuit Judges.", False),
        ("The district judge, Lance E. Walker, U.S. District Judge, denied the motion.", False),
    ],
)
def test_the_line_that_opens_an_opinion_under_its_authors_name(page: str, found: bool) -> None:
    assert has_author_line(page) is found
