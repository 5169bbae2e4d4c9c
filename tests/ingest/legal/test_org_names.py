"""Organisation names by rule (``ingest.legal.org_names``) and through ``extract_entities`` with the shipped spaCy
model: counsel blocks, company and firm suffixes, government bodies, names the model cuts in lists, lines joined
inside wrapped prose, court-system words left out."""

from __future__ import annotations

import time

from ingest.legal.entities import extract_entities
from ingest.legal.model_text import model_text
from ingest.legal.org_names import counsel_orgs, court_system, extend_org, listed_people, rule_orgs, split_list
from service.core.domain import ParsedPage

COUNSEL = """Mr. William S. Mattingly
Jackson Kelly
175 E. Main Street
Suite 500
Lexington, KY 40507
Maria G. Danaher
Patrick J. Fazzini
Ogletree Deakins Nash Smoak & Stewart
One PPG Place, Suite 1900
Jane Roe
John Doe
100 Main Street
"""


def spans(text: str, found: object) -> list[str]:
    return [text[start:end] for start, end in found]  # type: ignore[attr-defined]


def names(text: str, kind: str) -> list[str]:
    return [mention.name for mention in extract_entities([ParsedPage(1, text)]) if mention.type == kind]


def test_the_line_between_a_lawyer_and_an_address_is_the_firm() -> None:
    found = spans(COUNSEL, counsel_orgs(COUNSEL))
    assert found == ["Jackson Kelly", "Ogletree Deakins Nash Smoak & Stewart"]  # not "John Doe": no sign of a firm


def test_an_office_broken_over_lines_under_a_lawyer_and_an_email_is_one_organisation() -> None:
    block = (
        "Harriet Vane\nhvane@example.org\nLEGAL AID SOCIETY OF\nNORTHERN MAINE\n12 Water Street\n"
        "Mary Quant\nmquant@example.org\nPine Tree Civil Rights\nUnion Foundation\n30 Elm Street\n"
        "Peter Wimsey\nU.S. Department of Justice\nOffice of the Solicitor\n950 Main Street\n"
    )
    assert spans(block, counsel_orgs(block)) == [
        "LEGAL AID SOCIETY OF\nNORTHERN MAINE",
        "Pine Tree Civil Rights\nUnion Foundation",  # under the lawyer's e-mail: the firm's first line, no one's name
        "U.S. Department of Justice",
        "Office of the Solicitor",
    ]


def test_suffixes_firms_and_bodies_are_organisations() -> None:
    text = (
        "Appellees Midland Funding LLC and Crowder McGaha, LLP wrote to the U.S. Department of Labor and to Latham "
        "& Watkins; Western Reserve Life Assurance Co. of Ohio did not."
    )
    assert spans(text, rule_orgs(text)) == [
        "Midland Funding LLC",
        "Crowder McGaha, LLP",
        "Western Reserve Life Assurance Co. of Ohio",
        "Latham & Watkins",
        "U.S. Department of Labor",
    ]


def test_a_cut_name_is_extended_within_its_list_item_and_a_list_is_split() -> None:
    text = "on brief for Americans United for Separation of Church and State, Interfaith Alliance Foundation, amici."
    church = text.index("Church")
    assert text[slice(*extend_org(text, church, church + 6))] == "Americans United for Separation of Church and State"
    alliance = text.index("Alliance")
    start, end = extend_org(text, alliance, text.index(", amici"))
    assert text[start:end] == "Interfaith Alliance Foundation"
    listed = "United Church of Christ, Men of Reform Judaism"
    assert spans(listed, split_list(listed, 0, len(listed))) == ["United Church of Christ", "Men of Reform Judaism"]
    possessive = "see the Court's CM/ECF website"
    cm_ecf = (possessive.index("CM"), possessive.index(" website"))
    assert extend_org(possessive, *cm_ecf) == cm_ecf  # a possessive ends a name: not "Court's CM/ECF"


def test_court_system_words_and_addresses_are_not_organisations() -> None:
    for word in ("PACER", "CM/ECF", "Clerk's Office", "N.W.", "NY 10007", "Tennessee", "Law Office"):
        assert court_system(word), word
    assert not court_system("Jackson Kelly")
    text = "If you have not established a PACER account and registered as a CM/ECF filer, do so now."
    assert names(text, "org") == []


def test_wrapped_prose_is_read_on_one_line_and_short_lines_keep_their_breaks() -> None:
    prose = (
        "Christopher C. Taub, Deputy Attorney General, with whom Aaron \n"
        "M. Frey, Attorney General, and Sarah A. Forster, Assistant Attorney \n"
        "General, were on brief, for appellee.\nJohn Smith\nSmith Jones LLP\n"
    )
    read = model_text(prose)
    assert len(read) == len(prose)
    assert "Aaron  M. Frey" in read and "Smith\nSmith Jones" in read
    assert "Aaron M. Frey" in names(prose, "person")
    assert "Smith Jones LLP" in names(prose, "org")


def test_a_list_of_names_with_initials_is_a_list_of_people() -> None:
    text = "By the Court:\nR. Daniel Prentiss\nRaymond Matthew Ripple\nDeming E. Sherman\nLegal Aid Society\nJane Roe\n"
    assert spans(text, listed_people(text)) == ["R. Daniel Prentiss", "Raymond Matthew Ripple", "Deming E. Sherman"]
    assert {"R. Daniel Prentiss", "Raymond Matthew Ripple", "Deming E. Sherman"} <= set(names(text, "person"))


def test_a_page_long_run_of_capitalised_words_costs_linear_time() -> None:
    # unbounded, the company and firm patterns took 17 s CPU on this line (quadratic); bounded, well under 0.5 s
    line = "Smith & Jones " * 4000
    started = time.process_time()
    assert [span for span in rule_orgs(line) if span[1] - span[0] > 200] == []
    assert extend_org(line, 7000, 7005) == (7000, 7005)  # longer than any name: left as the model found it
    assert time.process_time() - started < 5
