"""Extractive summaries and dated events of real court filings (parsed as ingest parses them), and the rules they
are made by: every line's span is the page's own words, the disposition is the court's own ruling (never one it
cites or one a party asks for), dates are read whole."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

import pytest

from ingest.legal.structure import court_structure
from ingest.parsers import parser_for
from service.core.domain import DocumentRecord, DocumentStatus, ParsedDocument
from service.core.summaries import DocumentDigest, SummaryLine
from service.engine.answering.claims import CHECK_VERSION
from service.engine.answering.prompts import load_prompts
from service.engine.summaries.dates import full_dates
from service.engine.summaries.events import event_kind
from service.engine.summaries.extractive import digest, summary_lines
from service.engine.summaries.generated import GeneratedSummary, generate_summary
from service.engine.summaries.sentences import one_line
from tests.support.paths import COURT, REPO
from tests.support.scripted import ScriptedGenerator

OPINION = "doctor__recap_documents__ca1_00117684624.pdf"
ORDER = "courtlistener__recap_test_assets__gov.uscourts.ca1.12-2209.00106475093.0.pdf"
INJUNCTION = "doctor__recap_extract__gov.uscourts.cacd.652774.40.0.pdf"
MOTION = "doctor__recap_documents__ca9_19.pdf"


@cache
def parsed(name: str) -> ParsedDocument:
    path = COURT / name
    parser = parser_for(path)
    assert parser is not None
    return court_structure(Path(path), parser(path), {})


def summarised(name: str) -> DocumentDigest:
    document = parsed(name)
    return digest(document.pages, document.title or name, document.metadata, [])


def lines_of(found: DocumentDigest, field: str) -> list[SummaryLine]:
    return [line for line in found.lines if line.field == field]


def assert_spans_are_the_pages_words(name: str, found: DocumentDigest) -> None:
    pages = {page.number: page.text for page in parsed(name).pages}
    for line in found.lines:
        if line.char_start is None or line.page is None or line.char_end is None:
            continue
        written = one_line(pages[line.page][line.char_start : line.char_end])
        if line.field in ("disposition", "relief", "holding"):
            assert written == line.text or (line.text.endswith("…") and written.startswith(line.text[:-1])), line
        elif line.field == "date":
            assert [found.value.isoformat() for found in full_dates(written)] == [line.text], line
        elif line.field != "document_type":  # the parties line cites where the first party is named
            assert written.lower() in line.text.lower(), line
    for event in found.events:
        assert one_line(pages[event.page][event.char_start : event.char_end]) == event.sentence or "…" in event.sentence


@pytest.mark.parametrize("name", [OPINION, ORDER, INJUNCTION, MOTION])
def test_every_cited_span_holds_the_words_shown(name: str) -> None:
    assert_spans_are_the_pages_words(name, summarised(name))


def test_an_opinion_is_summarised_by_its_metadata_and_its_own_disposition() -> None:
    found = summarised(OPINION)
    fields = [line.field for line in found.lines]
    assert fields[:5] == ["court", "parties", "docket", "document_type", "date"]
    assert lines_of(found, "court")[0].text == "Court of Appeals for the First Circuit"  # courts-db, by the court id
    assert lines_of(found, "parties")[0].text == "Calvary Chapel of Bangor v. Janet T. Mills"
    docket = lines_of(found, "docket")[0]
    assert docket.text == "20-1507" and docket.page == 1
    assert lines_of(found, "date")[0].text == "2020-12-22"
    disposition = lines_of(found, "disposition")
    assert [line.page for line in disposition] == [16]
    assert "dismissed without prejudice for lack of appellate jurisdiction" in disposition[0].text
    # The closing formula alone ("So Ordered.") says nothing, and the lower court's ruling is not this court's.
    assert all(line.text != "So Ordered." for line in found.lines)
    assert not any("district court found" in line.text for line in lines_of(found, "holding"))


def test_a_short_order_keeps_each_of_its_rulings_with_the_deadline() -> None:
    disposition = [line.text for line in lines_of(summarised(ORDER), "disposition")]
    assert any(text.endswith("These three appeals are consolidated.") for text in disposition)
    assert any("extended until March 8, 2013" in text for text in disposition)


def test_an_injunction_says_what_it_orders_and_why() -> None:
    found = summarised(INJUNCTION)
    disposition = " ".join(line.text for line in lines_of(found, "disposition"))
    assert "IT IS HEREBY ORDERED THAT:" in disposition and "enjoined" in disposition  # the formula and what follows
    holdings = " ".join(line.text for line in lines_of(found, "holding"))
    for finding in ("likelihood of success", "irreparable harm", "balance of hardships", "public interest"):
        assert finding in holdings


def test_a_motion_states_the_relief_sought_and_decides_nothing() -> None:
    found = summarised(MOTION)
    assert not lines_of(found, "disposition")  # "If the briefing extension is granted" rules nothing
    relief = [line.text for line in lines_of(found, "relief")]
    assert relief and relief[0].startswith("Appellees respectfully request that the Court stay further briefing")


@dataclass(frozen=True)
class Page:
    number: int
    text: str


def test_requests_and_cited_outcomes_are_not_dispositions() -> None:
    pages = [
        Page(1, "MOTION TO DISMISS\n\nThe judgment was affirmed in Smith v. Jones, 550 U.S. 544 (2007).\n"),
        Page(2, "WHEREFORE, Defendant respectfully requests that the Court dismiss the complaint with prejudice.\n"),
    ]
    found = summary_lines(pages, "Motion to Dismiss", {"document_type": "motion"}, [])
    assert [line.field for line in found] == ["document_type", "relief"]
    assert found[1].page == 2 and "dismiss the complaint with prejudice" in found[1].text


def test_full_dates_are_read_whole_and_only_when_real() -> None:
    text = "Filed 08/05/16; heard January 3, 2013 and 19 March 2021; not 12-2209, February 30, 2020 or June 2019."
    assert [found.value for found in full_dates(text)] == [date(2016, 8, 5), date(2013, 1, 3), date(2021, 3, 19)]
    first = full_dates(text)[0]
    assert text[first.start : first.end] == "08/05/16"


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("The parties' Statements are due on or before July 21, 2017.", "due"),
        ("At the July 25, 2016, hearing, the TRO was extended.", "hearing"),
        ("The complaint was filed on March 3, 2020.", "filed"),
        ("The collision occurred on May 1, 2019 on Route 9.", "accident"),
        ("DATED: June 7, 2019", "signed"),
        ("The sky was blue on May 1, 2019.", "other"),
        ("He filed an emergency motion for a stay, which this Court granted on July 1, 2020.", "decided"),
        ("On April 29, 2020, the district court provisionally certified a class of detainees.", "decided"),
        ("The note reflected a maturity date of July 15, 2037.", "due"),
    ],
)
def test_an_event_is_named_by_the_word_nearest_its_date(sentence: str, kind: str) -> None:
    found = full_dates(sentence)[0]
    assert event_kind(sentence, found.start, found.end) == kind


def test_a_stamp_repeated_on_every_page_is_one_event() -> None:
    document = parsed(OPINION)
    # As stored pages are read (no skip spans): the ECF stamp dates each of the 17 pages.
    stored = [Page(page.number, page.text) for page in document.pages]
    found = digest(stored, document.title or OPINION, document.metadata, [])
    stamped = [event for event in found.events if event.kind == "filed"]
    assert len(stamped) == 1 and stamped[0].date == "2020-12-22" and stamped[0].page == 1
    assert stamped[0].sentence.startswith("Case: 20-1507 Document: 00117684624 Page: 1 Date Filed: 12/22/2020")
    order = summarised(ORDER)
    assert ("2013-03-08", "due") in {(event.date, event.kind) for event in order.events}


def test_a_generated_summary_is_checked_against_the_lines_it_cites() -> None:
    document = parsed(OPINION)
    lines = summarised(OPINION).lines
    record = DocumentRecord(
        id="d1",
        collection="c",
        source=OPINION,
        title=document.title or OPINION,
        sha256="0" * 64,
        size_bytes=1,
        mtime_ns=0,
        media_type="application/pdf",
        page_count=len(document.pages),
        metadata=dict(document.metadata),
        status=DocumentStatus.INGESTED,
        error=None,
        needs_ocr_pages=(),
        created_at=datetime.now(UTC),
        updated_at=datetime.now(UTC),
    )
    numbered = {line.field: number for number, line in enumerate(lines, 1)}
    text = (
        f"The First Circuit heard Calvary Chapel of Bangor's appeal in No. 20-1507 [{numbered['docket']}]. "
        f"The appeal was dismissed without prejudice for lack of appellate jurisdiction [{numbered['disposition']}]. "
        f"The court awarded $50,000 in costs on March 3, 2021 [{numbered['disposition']}]."
    )
    generator = ScriptedGenerator(text)
    made = generate_summary(generator, load_prompts(REPO / "prompts"), record, lines)
    assert "Summarise this court filing" in generator.asked[0][-1].content
    assert "dismissed without prejudice" in generator.asked[0][-1].content  # the lines are its sources
    assert [claim.supported for claim in made.claims] == [True, True, False]
    reasons = " ".join(made.claims[2].reasons)
    assert "$50,000" in reasons and "March 3, 2021" in reasons
    assert made.state == "low_support" and made.model == "scripted"
    assert GeneratedSummary.from_json(made.to_json()) == made


def test_a_kept_generated_summary_is_served_only_to_its_model_and_claim_check() -> None:
    made = GeneratedSummary("smollm2", "The appeal is dismissed [1].", (), "answered")
    kept = made.to_json()
    assert GeneratedSummary.current(kept, "smollm2") and GeneratedSummary.from_json(kept) == made
    assert not GeneratedSummary.current(kept, "another-model")
    assert not GeneratedSummary.current({**kept, "check": CHECK_VERSION - 1}, "smollm2")
    assert not GeneratedSummary.current({key: value for key, value in kept.items() if key != "check"}, "smollm2")
