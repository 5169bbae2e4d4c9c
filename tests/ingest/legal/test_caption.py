"""Case names from court captions and letters' "Re:" lines: caption texts modelled on the real filings in
tests/data/court/, and the real filings themselves. Which titles they replace: tests/ingest/legal/test_titles.py."""

from __future__ import annotations

import pytest

from ingest.legal.captions import MAX_CASE_NAME, case_caption, letter_case_name
from tests.support.court import (
    CA1_OPINION,
    CA1_ORDER,
    CA9_MOTION,
    CACD_ORDER,
    CAND_SCAN,
    DISTRICT,
    EXHIBIT,
    SCOTUS,
    page_texts,
)


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        pytest.param(DISTRICT, "John Doe v. Acme Corp.", id="district"),
        pytest.param(
            """United States Court of Appeals
for the Fifth Circuit
No. 21-50498
Vanessa St. Pierre,
Plaintiff\u2014Appellant,
versus
Standard Insurance Company; Dearborn National Life
Insurance Company,
Defendants\u2014Appellees.
Appeal from the United States District Court
""",
            "Vanessa St. Pierre v. Standard Insurance Company",
            id="appeal-em-dash-roles-co-parties",
        ),
        pytest.param(
            """IN THE UNITED STATES COURT OF APPEALS
FOR THE NINTH CIRCUIT
ANGEL ZEPEDA RIVAS, et al.
Plaintiffs-Appellants,
v.
DAVID JENNINGS, et al.
Defendants-Appellees.
MOTION TO STAY PROCEEDINGS PENDING DECISION IN HERNANDEZ ROMAN, ET AL. V. WOLF
""",
            "Angel Zepeda Rivas v. David Jennings",
            id="appeal-et-al-dropped",
        ),
        pytest.param(
            """IN THE SUPREME COURT OF NORTH CAROLINA
No. 363A14-4
Filed 11 February 2022
GIFT SURPLUS, LLC, and SANDHILL AMUSEMENTS, INC.,
Plaintiffs,
v.
STATE OF NORTH CAROLINA, ex rel. ROY COOPER, GOVERNOR, in his
official capacity, MARK J. SENTER, in his official capacity.
""",
            "Gift Surplus, LLC v. State of North Carolina, ex rel. Roy Cooper, Governor",
            id="state-supreme-court",
        ),
        pytest.param(
            """In the Missouri Court of Appeals
Eastern District
DIVISION THREE
NICHOLE MARIE JAGELS, ) No. ED108783
 )
Appellant, ) Appeal from the Circuit Court of
vs. ) No. 1711-CC00064
 )
STATE OF MISSOURI, ) Honorable Deborah J. Alessi
 )
 Respondent. ) Filed: January 19, 2021
""",
            "Nichole Marie Jagels v. State of Missouri",
            id="state-appeal-two-columns",
        ),
        pytest.param(
            """UNITED STATES DISTRICT COURT
CENTRAL DISTRICT OF CALIFORNIA
CONSUMERINFO.COM, INC. dba
EXPERIAN CONSUMER SERVICES,
Plaintiff,
v.
ESTEBAN LEON; and DOES 1
through 10, inclusive,
Defendants.
""",
            "Consumerinfo.com, Inc. v. Esteban Leon",
            id="dba-and-does",
        ),
        pytest.param(
            """UNITED STATES TAX COURT
ROCK BORDELON,1
 Petitioner v.
COMMISSIONER OF INTERNAL REVENUE, Respondent
Docket No. 19031-13. Filed February 20, 2020.
""",
            "Rock Bordelon v. Commissioner of Internal Revenue",
            id="tax-court-roles-on-name-lines",
        ),
        pytest.param(
            """In the United States Court of Appeal
For the Eighth Circuit
Mary Beavers Appellant
v. 17-2543
Midland Funding LLC, et al Appellees
Designation & Statement of Issues
""",
            "Mary Beavers v. Midland Funding LLC",
            id="docket-number-beside-v",
        ),
        pytest.param(
            """UNITED STATES DISTRICT COURT
DISTRICT OF ALASKA
COLIN THOMAS,
Plaintiff,
- against -
SCOOPER TROOPPER, LLC
 Defendant.
""",
            "Colin Thomas v. Scooper Troopper, LLC",
            id="against",
        ),
        pytest.param(
            """UNITED STATES BANKRUPTCY COURT
NORTHERN DISTRICT OF ILLINOIS
In re:
Marquita A Funches
Debtor(s)
Case No. 18 B 09232
""",
            "In re Marquita A Funches",
            id="bankruptcy-in-re",
        ),
        pytest.param(
            """ UNITED STATES BANKRUPTCY COURT
 FOR THE DISTRICT OF ALASKA
In Re: )
 )
ALLEN HENRY CHOY, LLC, ) Case No. 09-00429-HAR
 ) Chapter 11
 Debtor. )
""",
            "In re Allen Henry Choy, LLC",
            id="bankruptcy-in-re-two-columns",
        ),
        pytest.param(
            """IN THE UNITED STATES DISTRICT COURT
FOR THE DISTRICT OF ARIZONA
IN RE: Bard IVC Filters Products
Liability Litigation,
No. MDL 15-02641-PHX-DGC
SUGGESTION OF REMAND AND TRANSFER ORDER
""",
            "In re Bard IVC Filters Products Liability Litigation",
            id="mdl-in-re",
        ),
        pytest.param(
            """UNITED STATES COURT OF APPEALS FOR THE TENTH CIRCUIT
In re: RICHARD P. LIEBOWITZ No. 21-800
ORDER
""",
            "In re Richard P. Liebowitz",
            id="in-re-with-docket-number",
        ),
        pytest.param(
            "IN THE MATTER OF THE ESTATE OF JANE SMITH\nORDER\n", "In re the Estate of Jane Smith", id="matter-of"
        ),
        pytest.param(
            "SUPREME COURT OF ALABAMA\nEx parte JOHN WAYNE HARRIS\nPETITION FOR WRIT\n",
            "Ex parte John Wayne Harris",
            id="ex-parte",
        ),
        pytest.param(
            """UNITED STATES DISTRICT COURT
Case No. CV17-00016-CAS(JCx) Date October 13, 2017
Title RYAN LEWIS v. TRAVERTINE, INC., ETC.; ET AL.
""",
            "Ryan Lewis v. Travertine, Inc.",
            id="civil-minutes-title-field",
        ),
        pytest.param(
            """Page 1
·1· · · ·IN THE UNITED STATES DISTRICT COURT
·3· ·CRYSTAL LONG,· · · · · ·:
· · · · · · · · · · · · · · ·:
·4· · · · · Plaintiff,· · · ·:
·5· ·v.· · · · · · · · · · · : Civil Action No:
·6· ·PENDRICK CAPITAL· · · · :
· · ·PARTNERS, II, LLC,· · · :
·7· · · · · · · · · · · · · ·:
· · ·ABILITY RECOVERY· · · · :
13· · · · · Defendants.· · · :
""",
            "Crystal Long v. Pendrick Capital Partners, II, LLC",
            id="deposition-transcript",
        ),
        pytest.param(
            """UNITED STATES DISTRICT COURT
CENTRAL DISTRICT OF CALIFORNIA
DENNIS B. REGALADO,
Petitioner,
v.
W.J. SULLIVAN, Warden,
Respondent.
""",
            "Dennis B. Regalado v. W.J. Sullivan, Warden",
            id="initials-and-mixed-case",
        ),
        pytest.param(
            """United States Court of Appeals for the Second Circuit
Bainbridge Fund LTD,
 Plaintiff - Appellee,
 v.
The Republic of Argentina,
 Defendant - Appellant.
""",
            "Bainbridge Fund LTD v. The Republic of Argentina",
            id="mixed-case-kept-as-printed",
        ),
        pytest.param(
            """TENNESSEE BUREAU OF WORKERS' COMPENSATION
WORKERS' COMPENSATION APPEALS BOARD
Ruben Diaz ) Docket No. 2019-06-0263
)
v. ) State File No. 9687-2019
)
Create and Construct, LLC )
)
)
Appeal from the Court of Workers' )
""",
            "Ruben Diaz v. Create and Construct, LLC",
            id="no-roles-but-the-column-rule",
        ),
    ],
)
def test_captions_give_the_short_case_name(caption: str, expected: str) -> None:
    assert case_caption([caption]) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            """United States Court of Appeals
For the Fifth Circuit
Before Barksdale, Stewart, and Dennis, Circuit Judges.
Per Curiam:
This appeal arises from a dispute. As we held in Smith v. Jones, 12 F.4th 1 (5th Cir. 2021), a policy
v.
a plan is not the point, and the district court did not err.
""",
            id="opinion-without-caption",
        ),
        pytest.param(
            """TABLE OF CONTENTS
TABLE OF AUTHORITIES ........................ ii
Cases
Smith v. Jones, 12 F.4th 1 (5th Cir. 2021) ........ 4
In re Acme Corp., 500 B.R. 1 (Bankr. D. Del. 2013) ........ 7
STATEMENT OF THE ISSUES ........................ 1
""",
            id="brief-table-of-contents",
        ),
        pytest.param(
            "The court in Doe v. Acme Corp. held that the plaintiff, a consumer, lacked standing to sue.\n",
            id="v-inside-a-sentence",
        ),
        pytest.param(
            """UNITED STATES COURT OF APPEALS FOR THE FEDERAL CIRCUIT
____________________________ v. ____________________________
No. _______
ENTRY OF APPEARANCE
""",
            id="blank-form",
        ),
        pytest.param(
            """Re: Case No. 17-3994, Island Creek Coal Company v. Linda Hill, et al
Dear Counsel:
This case has been docketed.
""",
            id="letter",
        ),
        pytest.param(
            """although not necessarily expended, and the overall value of the services to the estate. In re
Imperial '400' Nat'l, Inc., 432 F.2d 232, 237 (3d Cir. 1970).
""",
            id="in-re-citation-in-prose",
        ),
        pytest.param("Ruben Diaz\nv.\nCreate and Construct, LLC\n", id="no-roles-no-column-rule"),
        pytest.param("", id="empty"),
    ],
)
def test_no_clear_caption_gives_none(text: str) -> None:
    assert case_caption([text]) is None


def test_long_names_are_cut_at_a_word() -> None:
    long_party = " ".join(["CONSOLIDATED"] * 5) + " HOLDINGS"
    name = case_caption([f"{long_party},\nPlaintiff,\nv.\n{long_party},\nDefendant.\n"])
    assert name is not None and len(name) <= MAX_CASE_NAME and not name.endswith(" ")
    assert name.startswith("Consolidated Consolidated") and name.split()[-1] in {"Consolidated", "Holdings"}


def test_a_running_head_on_later_pages_wins_over_the_caption() -> None:
    pages = [
        DISTRICT,
        "2\nDOE v. ACME CORP.\nText of the opinion.",
        "3\nDOE v. ACME CORP.\nMore text.",
    ]
    assert case_caption(pages) == "Doe v. Acme Corp."
    assert case_caption(pages[:2]) == "John Doe v. Acme Corp."  # one page is not a running head


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        (CA1_ORDER, "Transamerica Life Insurance Company v. Estella Rodrigues"),
        (CA1_OPINION, "Calvary Chapel of Bangor v. Janet T. Mills"),
        (CA9_MOTION, "Angel Zepeda Rivas v. David Jennings"),
        (CACD_ORDER, "Consumerinfo.com, Inc. v. Esteban Leon"),
        (SCOTUS, "Tarrant Regional Water Dist. v. Herrmann"),  # the running head
        (CAND_SCAN, None),  # text layer of stamps only
        (EXHIBIT, None),  # an exhibit page without a caption
    ],
)
def test_real_filings(file_name: str, expected: str | None) -> None:
    assert case_caption(page_texts(file_name)) == expected


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        (
            "Re: Case No. 17-3994, Island Creek Coal Company v. Linda Hill, et al",
            "Island Creek Coal Company v. Linda Hill",
        ),
        (
            "RE: Christopher Mielo, et al v. Steak N Shake Operations Inc",
            "Christopher Mielo v. Steak N Shake Operations Inc",
        ),
        (" Re: United States v. Haitao Xiang, No. 22-1801 ", "United States v. Haitao Xiang"),
        ("Re: your letter of May 3, 2021", None),
        ("Subject: RE: ML EOP Psychiatry Rule Change Proposition", None),
        ("In re: Smith v. Jones", None),
    ],
)
def test_a_letters_subject_line_names_its_case(subject: str, expected: str | None) -> None:
    letter = f"Clerk of Court\nAugust 3, 2017\nMaria G. Danaher\n{subject}\nDear Counsel:\nThe appeal was docketed.\n"
    assert letter_case_name(letter) == expected
