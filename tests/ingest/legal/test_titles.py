"""Which titles are generic, what a first page's heading is, and the title a court document gets: texts
modelled on the shared court filings, the real filings in tests/data/court/, and PDFs through the pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.legal.structure import court_structure
from ingest.legal.titles import (
    HEADING_CHARS,
    TitleChoice,
    TitleSource,
    choose_title,
    docket_cite,
    document_heading,
    is_generic_title,
)
from ingest.parsers.pdf import parse_pdf
from service.components import Components
from tests.support.court import CA9_MOTION, CACD_ORDER, CAND_SCAN, DISTRICT, EXHIBIT, SCOTUS
from tests.support.documents import write_pdf
from tests.support.paths import COURT

DOCKET = {"case_number": "1:21-cv-01061-KLM", "document_number": "12-2"}


@pytest.mark.parametrize(
    ("title", "generic"),
    [
        (None, True),
        ("United States Court of Appeals", True),
        ("United States Court of Appeals for the Second Circuit", True),
        ("IN THE SUPREME COURT OF NORTH CAROLINA", True),
        ("UNITED STATES DISTRICT COURT", True),
        ("In the Missouri Court of Appeals", True),
        ("TENNESSEE BUREAU OF WORKERS' COMPENSATION", True),
        ("Case 4:08-cv-02214-SBA Document 26 Filed 01/29/2009 Page 1 of 2", True),
        ("Appeal: 17-2218 Doc: 17 Filed: 10/31/2017 Pg: 1 of 1", True),
        ("No. 20-16276", True),
        ("[7]", True),
        ("03/23/2019", True),
        ("January 19, 2023", True),
        ("11 February 2022", True),
        ("Page 1", True),
        ("Microsoft Word - 16-1261_Consumerinfo.com_FINAL Order.docx", True),
        ("Microsoft Word - Jagels Opinion Draft copy", True),
        ("A9Rmahfa4_1laaz8q_bg.tmp", True),
        ("ocr_pdf_test", True),
        ("opinion_pdf_text_based.png", True),
        ("Bankruptcy Forms", True),
        ("Document1", True),
        ("MBeavers [APPL] 2017.07.26 Dsgntin & Sttmnt Isss (Sgnd)", True),
        ("Richard Liebowitz", True),
        ("MARCIA M. WALDRON", True),
        ("RAYNEE H. MERCADO, CSR, RMR, CRR, FCRR, CCRR (510) 565-7228", True),
        ("Fill in this information to identify your case:", True),
        ("Check if this is an", True),
        ("although not necessarily expended, and the overall value of the services", True),
        ("To:Gold;ng, M;chael@CDCR ? 3/ 21 / f/ 6\u20221/,'.!:::, -t4 rJf", True),
        ("11-889 Tarrant Regional Water Dist. v. Herrmann (06/13/2013)", False),
        ("T.C. Memo. 2020-26", False),
        ("FORM 8. Entry of Appearance", False),
        ("NOTICE OF MOTION AND PARTIAL MOTION TO DISMISS FIRST AMENDED COMPLAINT", False),
        ("Court Reporter's Transcript of the Hearing on March 3", False),
        ("Consent Decree", False),
        ("Mrs Smith v. Acme Ltd", False),
        ("Designation & Statement of Issues", False),
        ("4/29/2021 Government Letter, Filed Under Seal, in In re Search Warrant dated April 21, 2021,", False),
    ],
)
def test_generic_titles(title: str | None, generic: bool) -> None:
    assert is_generic_title(title) is generic


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        pytest.param(DISTRICT, "Complaint and Jury Demand", id="after-the-caption"),
        pytest.param(
            "UNITED STATES COURT OF APPEALS\nFOR THE TENTH CIRCUIT\n_______\nIn re: RICHARD P. LIEBOWITZ No. 21-800\n"
            "_______\nORDER\n_______\nThis court has been advised by order of the United States District Court.\n",
            "Order",
            id="one-word",
        ),
        pytest.param("By the Court:\nNo. 17-2400\nO R D E R\nThe court ORDERS the parties.\n", "Order", id="spaced"),
        pytest.param(
            "IN THE UNITED STATES DISTRICT COURT\nFOR THE DISTRICT OF ARIZONA\nIN RE: Bard IVC Filters Products\n"
            "Liability Litigation,\nNo. MDL 15-02641-PHX-DGC\nSUGGESTION OF REMAND AND\nTRANSFER ORDER\n"
            "This multidistrict litigation proceeding involves personal injury cases.\n",
            "Suggestion of Remand and Transfer Order",
            id="wrapped",
        ),
        pytest.param(
            "Mary Beavers Appellant\nv. 17-2543\nMidland Funding LLC, et al Appellees\n"
            "Designation & Statement of Issues\nAppellant Mary Beavers designates the following issue on appeal.\n",
            "Designation & Statement of Issues",
            id="title-case",
        ),
        pytest.param(
            "ANGEL ZEPEDA RIVAS, et al.\nPlaintiffs-Appellees,\nv.\nDAVID JENNINGS, et al.\nDefendants-Appellants.\n"
            "MOTION TO STAY PROCEEDINGS PENDING DECISION IN\n"
            "HERNANDEZ ROMAN, ET AL. V. WOLF, ET AL., CASE NOS. 20-55436\n",
            "Motion to Stay Proceedings Pending Decision",
            id="cut-before-a-case-name",
        ),
        pytest.param(
            "Plaintiff, ) ORDER GRANTING DEFENDANT ACME CORP.'S MOTION TO DISMISS\n",
            "Order Granting Motion to Dismiss",
            id="right-column-movant-dropped",
        ),
        pytest.param(
            "Official Form 101\nVoluntary Petition for Individuals Filing for Bankruptcy 12/17\n",
            "Voluntary Petition for Individuals Filing for Bankruptcy",
            id="form-revision-date-dropped",
        ),
        pytest.param("03/23/2019\nEXHIBIT 57 Page 242\n", "Exhibit 57", id="exhibit-page-number-dropped"),
        pytest.param("EXHIBIT A-1\nThe lease.\n", "Exhibit A-1", id="exhibit-letter-kept"),
        pytest.param(
            "ORDER ON MOTION TO DISMISS PLAINTIFF'S COMPLAINT\nText.\n",
            "Order on Motion to Dismiss Plaintiff's Complaint",
            id="possessive-object-kept",
        ),
        pytest.param(
            "15\u00b7 \u00b7 CONFIDENTIAL DEPOSITION OF CRYSTAL M. LONG\n16\u00b7 \u00b7 Monday, February 19, 2018\n",
            "Confidential Deposition of Crystal M. Long",
            id="transcript",
        ),
        pytest.param(
            "COLIN THOMAS,\nPlaintiff,\n- against -\nSCOOPER TROOPPER, LLC\nDefendant.\n"
            "JURY TRIAL DEMANDED\nCOMPLAINT\n",
            "Complaint",
            id="short-line-not-joined",
        ),
        pytest.param(
            "COMPLAINT TO CONFIRM RESCISSION OF INSURANCE POLICIES\nAND DECLARATORY RELIEF\nPlaintiff states:\n",
            "Complaint to Confirm Rescission of Insurance Policies",
            id="long-cut-at-a-phrase",
        ),
        pytest.param(
            "B. Dr. Schubert's Responses in the Application Did Not Reflect Her Medical History.\n"
            "19. In Question 3ii of the Representations, Dr. Schubert was asked about her history.\n",
            None,
            id="numbered-section",
        ),
        pytest.param(
            "II. BACKGROUND FACTS\nSTATEMENT OF FACTS\nThe receiver's fees in the 11th Fee\nApplication\nare high.\n",
            None,
            id="brief-section-and-table-cell",
        ),
        pytest.param(
            "NATIONAL ORDER OF OWLS,\nPlaintiff,\nv.\nJOHN ROE,\nDefendant.\nThe parties agree as follows.\n",
            None,
            id="party-name-with-a-document-word",
        ),
        pytest.param(
            "Fill in this information to identify your case:\nUnited States Bankruptcy Court for the:\n",
            None,
            id="form",
        ),
    ],
)
def test_document_headings(page: str, expected: str | None) -> None:
    assert document_heading(page) == expected


def test_a_heading_is_never_longer_than_the_limit() -> None:
    heading = document_heading("ORDER " + "VERY " * 30 + "LONG\nText.\n")
    assert heading is not None and len(heading) <= HEADING_CHARS + 1 and heading.startswith("Order Very")


def test_docket_cite() -> None:
    assert docket_cite(DOCKET) == "No. 1:21-cv-01061-KLM, Dkt. 12-2"
    assert docket_cite({"case_number": "12-2209", "document_number": "00116475093"}) == "No. 12-2209"
    assert docket_cite({"document_number": "7"}) is None


def choose(title: str | None, case_name: str | None = None, heading: str | None = None, **metadata: str) -> str | None:
    return choose_title(title, case_name=case_name, heading=heading, metadata=metadata, file_name="x.pdf").title


@pytest.mark.parametrize(
    "generic",
    [
        "A9Rmahfa4_1laaz8q_bg.tmp",
        "Microsoft Word - 1. Regalado CV18-10166 R&R Judgment .docx",
        "03/23/2019",
        "[7]",
        "United States Court of Appeals",
        None,
    ],
)
def test_a_generic_title_loses_to_the_case_name_and_heading(generic: str | None) -> None:
    assert choose(generic, "Regalado v. Sullivan") == "Regalado v. Sullivan"
    assert choose(generic, "Regalado v. Sullivan", "Judgment") == "Judgment \u2014 Regalado v. Sullivan"
    assert choose(generic, None, "Exhibit 57", **DOCKET) == "Exhibit 57 \u2014 No. 1:21-cv-01061-KLM, Dkt. 12-2"
    assert choose(generic, None, "Exhibit 57") == "Exhibit 57"


def test_without_case_name_or_heading() -> None:
    written = "Microsoft Word - Xiang - Response to Supplemental Notice (mpk draft)"
    assert choose(written, **DOCKET) == "Xiang - Response to Supplemental Notice (mpk draft)"
    machine = "Microsoft Word - ShannonColic_212728_4987216_NoticeofJudgment-CourtOpinion_217.cef"
    assert choose(machine, **DOCKET) == "No. 1:21-cv-01061-KLM, Dkt. 12-2"
    assert choose("[7]", **DOCKET) == "No. 1:21-cv-01061-KLM, Dkt. 12-2"
    assert choose("opinion_pdf_text_based.png") == "opinion pdf text based"
    assert choose("United States Court of Appeals") == "United States Court of Appeals"  # nothing better
    for title in ("A9Rmahfa4_1laaz8q_bg.tmp", None):  # the file's own name, made readable
        choice = choose_title(title, case_name=None, heading=None, metadata={}, file_name="Diaz_v._Create_Opinion.pdf")
        assert choice == TitleChoice("Diaz v. Create Opinion", TitleSource.FILE_NAME)


def test_a_specific_title_is_kept() -> None:
    for title in ("T.C. Memo. 2020-26", "NOTICE OF MOTION AND PARTIAL MOTION TO DISMISS FIRST AMENDED COMPLAINT"):
        choice = choose_title(title, case_name="A v. B", heading="Order", metadata=DOCKET, file_name="x.pdf")
        assert choice.title == title and choice.source is TitleSource.KEPT
    page_numbered = "Findings and Conclusions Regarding Disclosure Statement and Plan \u2013 Page 1"
    assert choose(page_numbered, "In re Choy") == "Findings and Conclusions Regarding Disclosure Statement and Plan"


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        (CA9_MOTION, "Motion to Stay Proceedings Pending Decision \u2014 Angel Zepeda Rivas v. David Jennings"),
        (CACD_ORDER, "Order \u2014 Consumerinfo.com, Inc. v. Esteban Leon"),  # was "Microsoft Word - 16-1261_..."
        ("doctor__missouri.pdf", "Nichole Marie Jagels v. State of Missouri"),  # was "Microsoft Word - Jagels ..."
        ("doctor__x-ray__rectangles_yes.pdf", "No. 1:21-cv-01061-KLM, Dkt. 1"),  # was "[7]"
        (EXHIBIT, "Exhibit 57 \u2014 No. 2:85-cv-04544-DMG-AGR, Dkt. 569-10"),  # was "03/23/2019"
        (CAND_SCAN, "No. 4:08-cv-02214-SBA, Dkt. 27"),  # was its ECF stamp
        (SCOTUS, "11-889 Tarrant Regional Water Dist. v. Herrmann (06/13/2013)"),  # specific: kept
    ],
)
def test_real_filings(file_name: str, expected: str) -> None:
    path = COURT / file_name
    parsed = parse_pdf(path)
    structured = court_structure(path, parsed)
    assert structured.title == expected
    if expected != parsed.title:
        assert structured.metadata["heading"] == parsed.title


def test_ingest_titles_a_court_pdf_and_keeps_a_specific_title(tmp_path: Path, components: Components) -> None:
    root = tmp_path / "in"
    root.mkdir()
    write_pdf(root / "complaint.pdf", [DISTRICT])  # no metadata title: the first line is the court
    write_pdf(root / "memo.pdf", [DISTRICT], title="Doe Complaint - Internal Review Memo")
    write_pdf(root / "scan.pdf", [DISTRICT], title="A9Rmahfa4_1laaz8q_bg.tmp")
    summary = components.pipeline("c").ingest([root])
    assert summary.count("new") == 3
    records = {record.source: record for record in components.store.list_documents("c")}
    complaint, memo, scan = records["complaint.pdf"], records["memo.pdf"], records["scan.pdf"]
    assert complaint.title == scan.title == "Complaint and Jury Demand \u2014 John Doe v. Acme Corp."
    assert complaint.metadata["heading"] == "IN THE UNITED STATES DISTRICT COURT"
    assert scan.metadata["heading"] == "A9Rmahfa4_1laaz8q_bg.tmp"
    assert complaint.metadata["case_name"] == "John Doe v. Acme Corp."
    assert memo.title == "Doe Complaint - Internal Review Memo" and "heading" not in memo.metadata
    assert memo.metadata["case_name"] == "John Doe v. Acme Corp."
    hits = components.retriever.search("complaint against Acme", "c", 5, {"case_name": "John Doe v. Acme Corp."})
    assert {hit.title for hit in hits} == {complaint.title, memo.title}


def test_other_documents_keep_their_title_unless_it_is_a_file_name(tmp_path: Path) -> None:
    lease = write_pdf(tmp_path / "lease.pdf", ["LEASE AGREEMENT\nThis lease is made."], "Harbor Lease")
    parsed = parse_pdf(lease)
    assert court_structure(lease, parsed).title == "Harbor Lease"  # a person's name to the rules, but no filing
    draft = write_pdf(tmp_path / "draft.pdf", ["LEASE AGREEMENT\nThis lease is made."], "Harbor_Lease_final.docx")
    assert court_structure(draft, parse_pdf(draft)).title == "Harbor Lease final"
