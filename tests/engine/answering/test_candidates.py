"""Which case a retrieved passage belongs to: one document, its twin with the same docket, or a case named."""

from __future__ import annotations

from typing import Any

from service.core.domain import SearchHit
from service.engine.answering.candidates import names_case, same_case
from service.engine.answering.question import analyse


def hit(document_id: str, title: str, **metadata: Any) -> SearchHit:
    return SearchHit(1, document_id, "filings", f"{document_id}.pdf", title, 1, 1, 0, 10, 1.0, "text", metadata)


TYPED = hit("typed", "Tarrant Regional Water Dist. v. Herrmann", court="scotus", case_number="11-889")
SCANNED = hit("scanned", "11-889", court="scotus", case_number="11-889")  # the OCR twin: no case name found
OTHER = hit("other", "No. 21-2728, Dkt. 138-2", court="ca3", case_number="21-2728")


def test_a_scanned_copy_with_the_same_court_and_docket_is_the_same_case() -> None:
    assert same_case(SCANNED, TYPED) and same_case(TYPED, TYPED)
    assert not same_case(OTHER, TYPED)
    assert not same_case(hit("a", "A"), hit("b", "B"))  # no docket on either: only the document itself


def test_a_part_names_a_case_by_its_parties_or_its_docket_number() -> None:
    parts = analyse(
        "What did the Court hold in Tarrant Regional Water District v. Herrmann, and when did the Third Circuit "
        "enter judgment in No. 21-2728?"
    ).parts
    assert names_case(TYPED, parts[0]) and not names_case(OTHER, parts[0])
    assert names_case(OTHER, parts[1]) and not names_case(TYPED, parts[1])
