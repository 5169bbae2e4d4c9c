"""The entity index's extraction (``ingest.legal.entities``) with the shipped spaCy model, on sentences written
like filings and on real filings: exact page-relative spans, roles stripped, judges and courts whole."""

from __future__ import annotations

from threadpoolctl import threadpool_info

from ingest.legal.entities import _nlp, extract_entities, person_name
from ingest.parsers import parser_for
from service.core.domain import EntityMention, ParsedPage
from tests.support.paths import COURT


def found(text: str, skip: tuple[tuple[int, int], ...] = ()) -> list[EntityMention]:
    mentions = extract_entities([ParsedPage(1, text, skip_spans=skip)])
    for mention in mentions:
        assert text[mention.char_start : mention.char_end] == mention.text
    return mentions


def named(mentions: list[EntityMention], kind: str) -> list[tuple[str, str | None]]:
    return [(mention.name, mention.role) for mention in mentions if mention.type == kind]


def test_a_role_word_is_a_role_not_part_of_the_name() -> None:
    text = "Plaintiff Jane Doe sued Defendant Richard Roe and Acme Corp. on January 5, 2019 for $15,000."
    mentions = found(text)
    assert ("Jane Doe", "plaintiff") in named(mentions, "person")
    assert ("Richard Roe", "defendant") in named(mentions, "person")
    doe = next(mention for mention in mentions if mention.name == "Jane Doe")
    assert doe.text == "Jane Doe"  # the span covers the name only
    assert "Acme Corp." in [name for name, _ in named(mentions, "org")]
    assert [name for name, _ in named(mentions, "date")] == ["January 5, 2019"]
    assert named(mentions, "money")


def test_a_date_without_a_number_is_no_date_entity() -> None:
    text = "The debtor pays the lender monthly and files an annual report the same day each year, since May 1, 2015."
    assert [name for name, _ in named(found(text), "date")] == ["May 1, 2015"]


def test_judges_by_title_are_people_in_the_role_of_judge() -> None:
    text = "Before HOWARD, Chief Judge, SELYA and LIPEZ, Circuit Judges.\nThe Hon. Mary Smith presided."
    people = named(found(text), "person")
    assert {("Howard", "judge"), ("Selya", "judge"), ("Lipez", "judge"), ("Mary Smith", "judge")} <= set(people)
    assert all(name not in ("Judges", "Circuit Judges", "Before") for name, _ in people)


def test_courts_are_whole_and_statutes_and_rules_are_found() -> None:
    text = (
        "Appeal from the United States District Court for the District of Maine to the United States Court of "
        "Appeals\nFor the First Circuit. See 28 U.S.C. § 1291; Fed. R. Civ. P. 12(b)(6)."
    )
    mentions = found(text)
    courts = [name for name, _ in named(mentions, "court")]
    assert "United States District Court for the District of Maine" in courts
    assert "United States Court of Appeals For the First Circuit" in courts
    assert [name for name, _ in named(mentions, "statute")] == ["28 U.S.C. § 1291", "Fed. R. Civ. P. 12(b)(6)"]


def test_mentions_inside_running_heads_and_stamps_are_left_out() -> None:
    stamp = "Case 1:20-cv-00156 Document 40 Filed 05/05/20 Page 1 of 10"
    text = stamp + "\nPlaintiff Jane Doe sued."
    mentions = found(text, skip=((0, len(stamp)),))
    assert all(mention.char_start >= len(stamp) for mention in mentions)
    assert ("Jane Doe", "plaintiff") in named(mentions, "person")


def test_the_model_multiplies_through_numpy_and_leaves_the_blas_threads_as_they_were() -> None:
    before = [pool["num_threads"] for pool in threadpool_info()]
    assert ("Jane Doe", "plaintiff") in named(found("Plaintiff Jane Doe sued Acme Corp. in Portland."), "person")
    assert [pool["num_threads"] for pool in threadpool_info()] == before  # one thread only inside the model
    layers = list(_nlp().get_pipe("ner").model.walk())
    assert layers and all(layer.ops.use_blis is False for layer in layers)


def test_names_lose_honorifics_and_capitals() -> None:
    assert person_name("Mr. Liebowitz's") == "Liebowitz"
    assert person_name("SELYA") == "Selya"
    assert person_name("Hon. Nancy\nTorresen") == "Nancy Torresen"


def test_a_real_opinion_names_its_judges_court_and_parties() -> None:
    path = COURT / "doctor__recap_documents__ca1_00117684624.pdf"
    parsed = parser_for(path)(path)  # type: ignore[misc]  # a PDF has a parser
    mentions = extract_entities(parsed.pages)
    for mention in mentions:
        assert parsed.pages[mention.page - 1].text[mention.char_start : mention.char_end] == mention.text
    people = set(named(mentions, "person"))
    assert {("Howard", "judge"), ("Selya", "judge"), ("Barron", "judge")} <= people
    assert ("Janet T. Mills", None) in people
    courts = {name for name, _ in named(mentions, "court")}
    assert "United States Court of Appeals For the First Circuit" in courts
    assert {mention.page for mention in mentions} == set(range(1, len(parsed.pages) + 1)) - {
        page.number for page in parsed.pages if not page.text.strip()
    }
