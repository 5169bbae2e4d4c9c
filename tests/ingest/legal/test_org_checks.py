"""What is an organisation and where its name ends (``ingest.legal.org_checks``), a document's defined terms
(``ingest.legal.defined_terms``), and both through ``extract_entities`` with the shipped spaCy model."""

from __future__ import annotations

import time

from ingest.legal.defined_terms import short_name, terms_in
from ingest.legal.entities import extract_entities
from ingest.legal.org_checks import case_party_orgs, cue_orgs, join_next_line, org_verdict, trim_org
from ingest.legal.org_names import rule_orgs
from service.core.domain import ParsedPage


def verdict(text: str, name: str) -> str | None:
    start = text.index(name)
    return org_verdict(text, start, start + len(name))


def trimmed(text: str, name: str) -> list[str]:
    start = text.index(name)
    return [text[piece_start:piece_end] for piece_start, piece_end in trim_org(text, start, start + len(name))]


def names(pages: list[str], kind: str) -> list[tuple[int, str]]:
    mentions = extract_entities([ParsedPage(number, text) for number, text in enumerate(pages, start=1)])
    return [(mention.page, mention.name) for mention in mentions if mention.type == kind]


def test_documents_provisions_and_terms_are_not_organisations() -> None:
    text = (
        "the Free Exercise Clause of the First Amendment, the Texas Insurance Code, a Bona Fide Offer of "
        "Employment, the Kilgore Loan, a Certificate of Service, the Board of Immigration Appeals"
    )
    for name in ("Free Exercise Clause of the First Amendment", "Texas Insurance Code", "Bona Fide Offer of "
                 "Employment", "Kilgore Loan", "Certificate of Service"):  # fmt: skip
        assert verdict(text, name) is None, name
    assert verdict(text, "Board of Immigration Appeals") == "org"


def test_citations_courts_and_publishers_are_not_organisations_and_case_parties_are_people() -> None:
    text = (
        "Calvary Chapel, 459 F. Supp. 3d 273 (D. Me. 2020); Tepper v. Commissioner, 62 T.C.M. (CCH) 505; "
        "Carson v. Newsom, 140 S. Ct. 1613; Rhode Island v. EPA, 378 F.3d 19; Mr.\nCalderon-Fuentes testified"
    )
    assert verdict(text, "D. Me") is None
    assert verdict(text, "CCH") is None
    assert verdict(text, "Tepper") == "person"
    assert verdict(text, "Newsom") == "person"
    assert verdict(text, "EPA") == "org"
    assert verdict(text, "Calderon-Fuentes") == "person"
    assert verdict(text, "Calvary Chapel") == "org"


def test_a_name_ends_at_a_possessive_a_lowercase_word_a_footnote_and_a_form_label() -> None:
    text = (
        "use of Experian's JavaScript code; the Many Loan to Union Bank; related to Kilgore 5The Commissioner; "
        "Employer's name Presence Health Employer's address; in Texas. K LLC had losses; Children's Hospital"
    )
    assert trimmed(text, "Experian's JavaScript") == ["Experian"]
    assert trimmed(text, "Many Loan to Union Bank") == ["Many Loan", "Union Bank"]
    assert trimmed(text, "Kilgore 5The Commissioner") == ["Kilgore"]
    assert trimmed(text, "Presence Health Employer") == ["Presence Health"]
    assert trimmed(text, "Texas. K LLC") == ["K LLC"]
    assert trimmed(text, "Children's Hospital") == ["Children's Hospital"]


def test_names_by_an_organisations_noun_the_model_misses() -> None:
    text = (
        "Grace Community Chapel, First Church of Waterville, New Hope Church\nto Kaiser Health System, a "
        "non-profit\nOccupation Customer Service Rep\nNational Football League Manag v. National\n"
        "Illinois Department Of Revenue\n"
    )
    found = [text[start:end] for start, end in cue_orgs(text)]
    assert "First Church of Waterville" in found and "Kaiser Health System" in found
    assert "Illinois Department Of Revenue" in found  # a line in capitals, title-cased for the model
    assert not any("Customer Service" in name or "Football League" in name for name in found)


def test_second_parties_of_case_citations_with_an_organisations_abbreviation() -> None:
    text = (
        "Sneed v. Bd. of Prof'l Responsibility of the Sup. Ct. of Tenn., 301 S.W.3d 603, 615 (Tenn. 2010); "
        "Carson v. Newsom, 140 S. Ct. 1613"
    )
    assert [text[start:end] for start, end in case_party_orgs(text)] == [
        "Bd. of Prof'l Responsibility of the Sup. Ct. of Tenn."
    ]


def test_a_name_broken_at_a_lines_end_and_a_company_with_and() -> None:
    text = "Standard Insurance Company; Dearborn National Life\nInsurance Company,\nDefendants\nUnited\nFEDEX INC.,"
    start = text.index("Dearborn")
    assert text[start : join_next_line(text, start, start + len("Dearborn National Life"))] == (
        "Dearborn National Life\nInsurance Company"
    )
    united = text.index("United")
    assert join_next_line(text, united, united + len("United")) == united + len("United")  # one word: no join
    firm = "KILPATRICK TOWNSEND &\nSTOCKTON LLP\n1100 Peachtree Street"
    assert firm[: join_next_line(firm, 0, len("KILPATRICK TOWNSEND &"))] == "KILPATRICK TOWNSEND &\nSTOCKTON LLP"
    both = "for the employer-appellant, Create and Construct, LLC. Defendant Richard Roe and Acme Corp. answered."
    assert [both[start:end] for start, end in rule_orgs(both)] == ["Create and Construct, LLC.", "Acme Corp."]


def test_defined_short_names_and_terms() -> None:
    text = (
        'Standard Insurance Company ("Standard") and Oklahoma Water Resources Board (OWRB) and Create and '
        'Construct, LLC ("Employer"); inferior vena cava ("IVC") filters; the Defend Trade Secrets Act ("DTSA")'
    )
    after = text.index(" (")
    assert short_name(text, after, "Standard Insurance Company") == "Standard"
    board = text.index(" (OWRB)")
    assert short_name(text, board, "Oklahoma Water Resources Board") == "OWRB"
    employer = text.index(' ("Employer")')
    assert short_name(text, employer, "Create and Construct, LLC") is None  # a role, not a name
    assert terms_in(text) == {"IVC", "DTSA"}


def test_a_short_name_is_the_party_on_later_pages_and_a_term_is_no_organisation() -> None:
    first = (
        "Plaintiff Vanessa St. Pierre sued Standard Insurance Company (“Standard”) over a policy. The "
        "patients received inferior vena cava (“IVC”) filters made by others."
    )
    second = "A Standard representative told her that IVC filters were covered. The estate of her husband sued."
    orgs = names([first, second], "org")
    assert (2, "Standard") in orgs
    assert not any(name == "IVC" for _, name in orgs)


def test_caption_parties_with_their_part_on_the_same_line_or_over_several_lines() -> None:
    caption = (
        "UNITED STATES TAX COURT\nROCK BORDELON AND TORIE BORDELON,\n Petitioners v.\n"
        "COMMISSIONER OF INTERNAL REVENUE, Respondent\n"
    )
    assert "COMMISSIONER OF INTERNAL REVENUE" in [name for _, name in names([caption], "org")]
    caption = (
        "CENTRAL DISTRICT OF CALIFORNIA\nCONSUMERINFO.COM, INC. dba\nEXPERIAN CONSUMER\nSERVICES,\nPlaintiff,\n"
        "v.\nESTEBAN LEON,\nDefendant.\n"
    )
    orgs = [name for _, name in names([caption], "org")]
    assert "EXPERIAN CONSUMER SERVICES" in orgs and "SERVICES" not in orgs


def test_the_checks_cost_linear_time_on_a_page_long_line() -> None:
    line = "Smith Jones Board " * 3000 + "Alpha's Beta Gamma " * 3000
    started = time.process_time()
    assert all(end - start < 400 for start, end in cue_orgs(line))
    trim_org(line, 0, len(line))
    org_verdict(line, 0, len(line))
    assert time.process_time() - started < 5
