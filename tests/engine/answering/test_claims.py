"""The claim check on real court filings: each sentence's facts against the pages it cites.

Sources are real pages of ``tests/data/court`` as the PDF parser reads them; the answers are sentences
a model could write about them, true and false.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import pytest

from ingest.parsers.pdf import parse_pdf
from service.core.answers import ClaimCheck
from service.core.domain import SearchHit
from service.engine.answering.claims import NO_CITATION, answer_support, check_claims
from tests.support.paths import COURT

CALVARY = ("doctor__recap_documents__ca1_00117684624.pdf", 3)  # 1st Cir.: "we dismiss the appeal"
JAGELS = ("doctor__missouri.pdf", 1)  # Mo. Ct. App.: "Filed: January 19, 2021", "we affirm", "remand"
EXPERIAN = ("doctor__recap_extract__gov.uscourts.cacd.652774.40.0.pdf", 2)  # C.D. Cal.: TRO dates, Esteban Leon
TARRANT = ("doctor__vector-pdf.pdf", 1)  # SCOTUS syllabus: "200 U. S. 321", "3,000 cubic feet"
OKLAHOMA = ("doctor__vector-pdf.pdf", 11)  # "Okla. Stat., Tit. 82, \u00a7105.9 (West 2013)"
BRIEFS = ("courtlistener__recap_test_assets__gov.uscourts.ca1.12-2209.00106475093.0.pdf", 2)  # no disposition


@cache
def page(name: str, number: int) -> SearchHit:
    """One parsed page of a court filing as a retrieved source."""
    parsed = parse_pdf(COURT / name)
    text = parsed.pages[number - 1].text
    title = parsed.title or name
    return SearchHit(number, name, "court", name, title, number, number, 0, len(text), 1.0, text)


RECAP_COURTS = {CALVARY[0]: "ca1", EXPERIAN[0]: "cacd"}
"""The court ingest records for a RECAP filing (``metadata["court"]``), which its pages may not print."""


def check(sentence: str, *sources: tuple[str, int]) -> ClaimCheck:
    """The check of a one-sentence answer citing ``sources`` as [1], [2], ... (with their documents' courts)."""
    hits = [page(*source) for source in sources]
    hits = [
        replace(hit, metadata={"court": RECAP_COURTS[hit.source]}) if hit.source in RECAP_COURTS else hit
        for hit in hits
    ]
    (claim,) = check_claims(sentence, hits)
    return claim


@pytest.mark.parametrize(
    ("sentence", "source"),
    [
        ("The First Circuit dismissed the appeal without prejudice for lack of appellate jurisdiction [1].", CALVARY),
        ("Governor Janet Mills issued executive orders during the COVID-19 pandemic [1].", CALVARY),
        ("The Missouri court affirmed and remanded Jagels' case, No. ED108783, on January 19, 2021 [1].", JAGELS),
        ("Jagels appealed the judgment denying her Rule 24.035 motion [1].", JAGELS),
        ("The time for filing the appellant briefs was extended until March 8, 2013 [1].", BRIEFS),
        ("The TRO against Esteban Leon was extended until August 4, 2016 [1].", EXPERIAN),
        ("The C.D. Cal. court held a hearing on August 4, 2016 [1].", EXPERIAN),  # a court, not a party
        ("Subbasin 5 water is shared when the flow is 3000 cubic feet per second [1].", TARRANT),
        ("The syllabus cites United States v. Detroit Timber & Lumber Co., 200 U.S. 321 [1].", TARRANT),
        # the page writes "Okla. Stat., Tit. 82, \u00a7105.9", a form eyecite alone does not read: one authority
        ("Appropriating water needs a permit under Okla. Stat. tit. 82, \u00a7 105.9 [1].", OKLAHOMA),
    ],
)
def test_a_sentence_whose_facts_are_in_its_source_is_supported(sentence: str, source: tuple[str, int]) -> None:
    claim = check(sentence, source)
    assert claim.supported and claim.reasons == [] and claim.markers == [1], claim
    assert claim.facts  # there was something to check


@pytest.mark.parametrize("written", ["January 19, 2021", "Jan. 19, 2021", "1/19/2021", "19 January 2021", "2021-01-19"])
def test_a_date_matches_in_any_form(written: str) -> None:
    assert check(f"The opinion was filed on {written} [1].", JAGELS).supported


@pytest.mark.parametrize(
    ("sentence", "source", "reason"),
    [
        ("The opinion was filed on Jan. 20, 2021 [1].", JAGELS, "Jan. 20, 2021 is not in source [1]"),
        ("Jagels appealed the denial of her Rule 24.036 motion [1].", JAGELS, "24.036 is not in source [1]"),
        ("Jagels was ordered to pay $142,500.00 in restitution [1].", JAGELS, "$142,500.00 is not in source [1]"),
        ("The appeal is docketed as No. 20-1508 [1].", CALVARY, "No. 20-1508 is not in source [1]"),
        ("The order was entered in No. 2:18-cv-10166-JAK [1].", EXPERIAN, "2:18-cv-10166-JAK is not in source [1]"),
        ("The syllabus relies on 550 U.S. 544 [1].", TARRANT, "550 U.S. 544 is not in source [1]"),
        (
            "The syllabus applies Bell Atlantic Corp. v. Twombly, 550 U.S. 544, 556 (2007) [1].",
            TARRANT,
            "550 U.S. 544 is not in source [1]",
        ),
        ("The court applied Fed. R. Civ. P. 12(b)(6) [1].", CALVARY, "Fed. R. Civ. P. 12 is not in source [1]"),
        (
            "A permit is needed under Okla. Stat., Tit. 82, \u00a7105.12 [1].",
            OKLAHOMA,
            "Okla. Stat., Tit. 82, \u00a7105.12 is not in source [1]",
        ),
        # the first digits of a citation the page gives ("200 U. S. 321", "\u00a7105.9") are another citation
        (
            "The syllabus cites United States v. Detroit Timber & Lumber Co., 200 U.S. 32 [1].",
            TARRANT,
            "200 U.S. 32 is not in source [1]",
        ),
        (
            "A permit is needed under Okla. Stat., Tit. 82, \u00a7105 [1].",
            OKLAHOMA,
            "Okla. Stat., Tit. 82, \u00a7105 is not in source [1]",
        ),
        # a court made of generic words is checked by its designation (SmolLM2 wrote "for the Fifth Circuit" of a
        # Third Circuit letter)
        (
            "The United States Court of Appeals for the Fifth Circuit dismissed the appeal [1].",
            CALVARY,
            "Fifth Circuit is not in source [1]",
        ),
        ("The jury awarded damages in Apple v. Samsung [1].", EXPERIAN, "Apple v. Samsung is not in source [1]"),
        ("The court affirmed the dismissal [1].", CALVARY, "'affirmed' but source [1] says deny, dismiss"),
        ("The court reversed the injunction [1].", EXPERIAN, "'reversed' but source [1] says grant"),
        ("The court dismissed the three appeals [1].", BRIEFS, "'dismissed' is not in source [1]"),
    ],
)
def test_a_fact_missing_from_the_cited_source_is_marked(sentence: str, source: tuple[str, int], reason: str) -> None:
    claim = check(sentence, source)
    assert not claim.supported and reason in claim.reasons, claim


def test_numbers_and_dockets_compare_by_value_not_spelling() -> None:
    # The caption writes "8:16-cv-1261-DOC (KESx)"; the ECF stamp "8:16-cv-01261-DOC-KES".
    assert check("The case is 8:16-cv-01261-DOC-KES [1].", EXPERIAN).supported
    assert check("The appeal is No. 20\u20131507 [1].", CALVARY).supported  # an en dash, as PDFs write it


def test_the_docket_facts_of_the_cited_document_count_though_its_chunks_leave_the_stamps_out() -> None:
    stamped = page(*CALVARY)
    passage = stamped.text.split("Case: 20-1507")[0]  # a chunk stops before the ECF stamp
    docket = {"case_number": "20-1507", "filed": "2020-12-22", "case_name": "Calvary Chapel of Bangor v. Mills"}
    sentence = "In No. 20-1507, filed on December 22, 2020, the court dismissed the appeal [1]."
    bare = replace(stamped, text=passage)
    assert check_claims(sentence, [bare])[0].reasons == [
        "No. 20-1507 is not in source [1]",
        "December 22, 2020 is not in source [1]",
    ]
    assert check_claims(sentence, [replace(bare, metadata=docket)])[0].supported


def test_a_fact_in_any_cited_source_is_enough_and_the_reason_names_them_all() -> None:
    sentence = "Esteban Leon was heard on August 4, 2016, and Jagels appealed [1][2]."
    assert check(sentence, EXPERIAN, JAGELS).supported
    claim = check("Esteban Leon and Nichole Jagels settled for $2 million [1][2].", EXPERIAN, JAGELS)
    assert claim.reasons == ["$2 million is not in sources [1], [2]"] and claim.markers == [1, 2]


def test_a_fact_without_a_citation_is_marked_and_connective_text_is_not() -> None:
    invented = check("The jury awarded Apple $1.1 billion in damages.")
    assert (invented.supported, invented.reasons, invented.markers) == (False, [NO_CITATION], [])
    assert invented.facts == ["Apple", "$1.1 billion"]
    connective = check("Here is what the filings say.")
    assert (connective.supported, connective.facts) == (True, [])
    nothing_to_check = check("The court explained its reasoning at length [1].", CALVARY)
    assert (nothing_to_check.supported, nothing_to_check.facts) == (True, [])


def test_claims_cover_the_answer_and_a_trailing_marker_joins_its_sentence() -> None:
    answer = "Consequently, the appeal was dismissed. [1] Jagels was charged in 2015 [2]. The jury awarded $5."
    claims = check_claims(answer, [page(*CALVARY), page(*JAGELS)])
    assert [answer[c.char_start : c.char_end] for c in claims] == [c.text for c in claims]
    assert [(c.markers, c.supported) for c in claims] == [([1], True), ([2], True), ([], False)]
    assert "".join(answer[c.char_start : c.char_end] for c in claims).replace(" ", "") == answer.replace(" ", "")


def test_answer_support_needs_one_checked_fact_that_passed() -> None:
    sources = [page(*JAGELS)]
    true, false = "Jagels appealed on January 19, 2021 [1].", "The jury awarded $1.1 billion."
    assert answer_support(check_claims(true, sources)) == "answered"
    assert answer_support(check_claims(f"{true} {false}", sources)) == "low_support"
    assert answer_support(check_claims(f"Here is the answer. {false}", sources)) == "not_found"
    # A citation with nothing checked behind it does not save an answer whose facts all failed.
    assert answer_support(check_claims(f"See the opinion [1]. {false}", sources)) == "not_found"
    # Nothing cited at all: nothing in it can be checked against the documents.
    uncited = "The court of appeals is the highest court in the land."
    assert answer_support(check_claims(uncited, sources)) == "not_found"
    assert answer_support([]) == "answered"


def test_a_court_designation_without_a_citation_is_marked() -> None:
    # SmolLM2's sentence about an Eighth Circuit filing: nothing but generic words, once read as connective text
    (claim,) = check_claims("The court is a division of the United States Court of Appeals.", [page(*CALVARY)])
    assert not claim.supported and claim.reasons == [NO_CITATION] and claim.facts == ["Court of Appeals"]


@pytest.mark.parametrize("written", ["First Circuit", "1st Cir.", "FIRST CIRCUIT"])
def test_a_circuit_matches_in_any_form(written: str) -> None:
    assert check(f"The {written} dismissed the appeal [1].", CALVARY).supported
