"""The citation index's core on real filings (tests/data/court, public court records) and on short texts."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pypdfium2

from service.engine.record.authorities import (
    AuthorityKind,
    AuthorityMention,
    authorities_in_document,
    authorities_on_page,
    table_of_authorities,
)

COURT = Path(__file__).parents[2] / "data" / "court"
FIRST_CIRCUIT = "doctor__recap_documents__ca1_00117684624.pdf"  # Calvary Chapel of Bangor v. Mills (1st Cir.)


@cache
def pages(name: str) -> tuple[str, ...]:
    """The text layer of each page, as the court-qa-dev quotes were read (pypdfium2 ``get_text_range``)."""
    pdf = pypdfium2.PdfDocument(str(COURT / name))
    try:
        return tuple(pdf[index].get_textpage().get_text_range() for index in range(len(pdf)))
    finally:
        pdf.close()


def document(name: str) -> list[tuple[int, AuthorityMention]]:
    return authorities_in_document(enumerate(pages(name), start=1))


def test_spans_are_exact_on_real_pages() -> None:
    mentions = document(FIRST_CIRCUIT)
    for page, mention in mentions:
        assert pages(FIRST_CIRCUIT)[page - 1][mention.char_start : mention.char_end] == mention.text
    on_page_9 = [(m.kind, m.text, m.authority, m.pin_cite) for page, m in mentions if page == 9]
    assert (AuthorityKind.CASE, "582 F.3d \r\n131, 133", "582 F.3d 131", "133") in on_page_9  # across a line break
    # eyecite leaves this short form unresolved (the name before it differs from the full citation's)
    assert (AuthorityKind.SHORT, "582 F.3d at 133", "582 F.3d 131", "133") in on_page_9


def test_id_follows_a_statute_and_pin_cites_across_pages() -> None:
    mentions = document(FIRST_CIRCUIT)
    page_8 = [(m.kind, m.text, m.authority) for page, m in mentions if page == 8]
    assert page_8[1:3] == [
        (AuthorityKind.LAW, "28 U.S.C. § 1291", "28 U.S.C. § 1291"),
        (AuthorityKind.ID, "Id.", "28 U.S.C. § 1291"),
    ]
    law = next(m for page, m in mentions if page == 15 and m.kind is AuthorityKind.LAW)
    assert (law.text, law.authority, law.pin_cite) == ("28 U.S.C. § 1292(a)(1)", "28 U.S.C. § 1292", "(a)(1)")


def test_table_of_authorities() -> None:
    table = table_of_authorities(enumerate(pages(FIRST_CIRCUIT), start=1))
    calvary = next(entry for entry in table if entry.authority == "459 F. Supp. 3d 273")
    assert (calvary.kind, calvary.mentions, calvary.pages) == (AuthorityKind.CASE, 7, (3, 7, 10, 13, 14))
    assert calvary.pin_cites == ("288", "277", "281", "285")
    kinds = [entry.kind for entry in table]
    assert kinds == sorted(kinds, key=[AuthorityKind.CASE, AuthorityKind.LAW].index)  # cases first, then laws
    names = [entry.case_name or "" for entry in table if entry.kind is AuthorityKind.CASE]
    assert names == sorted(names, key=str.casefold)
    missouri = table_of_authorities(enumerate(pages("doctor__missouri.pdf"), start=1))
    johnson = next(entry for entry in missouri if entry.authority == "580 S.W.3d 895")
    assert (johnson.case_name, johnson.mentions, johnson.pin_cites) == ("Johnson v. State", 3, ("901", "903"))


def test_the_record_appendix_is_no_authority() -> None:
    text = "Alaska, 521  \r\nU. S. 1, 34. The Compact, 1 App. 7-51, allocates water. Id., at 12. See 2 App. 336."
    mentions = [(m.kind, m.text, m.authority, m.pin_cite) for m in authorities_on_page(text)]
    assert mentions == [
        (AuthorityKind.CASE, "521  \r\nU. S. 1, 34", "521 U.S. 1", "34"),
        (AuthorityKind.ID, "Id., at 12", None, "12"),
    ]


def test_short_forms_laws_and_pin_ranges() -> None:
    text = (
        "Brand v. Commissioner, 81 T.C. 821 (1983). In Brand v. Commissioner, 81 T.C. at 828, we stated it. Id. "
        "See Hest, 366 N.C. 289 (2012); Hest, 366 N.C. at 289\u201392. Filed under 11 USC \u00a7522(f); "
        "see 18 U.S.C. \u00a7\u00a7 152, 1341. Tepper v. Commissioner, T.C. Memo. 1991-402."
    )
    found = [(m.kind.value, m.text, m.authority, m.pin_cite) for m in authorities_on_page(text)]
    assert found == [
        ("case", "81 T.C. 821", "81 T.C. 821", None),
        ("short", "81 T.C. at 828", "81 T.C. 821", "828"),  # eyecite reads it as a full citation of page 828
        ("id", "Id.", "81 T.C. 821", None),
        ("case", "366 N.C. 289", "366 N.C. 289", None),
        ("short", "366 N.C. at 289\u201392", "366 N.C. 289", "289\u201392"),
        ("law", "11 USC \u00a7522(f)", "11 U.S.C. \u00a7 522", "(f)"),
        ("law", "18 U.S.C. \u00a7\u00a7 152", "18 U.S.C. \u00a7 152", None),
        ("case", "T.C. Memo. 1991-402", "T.C. Memo. 1991-402", None),
    ]
    assert authorities_on_page("   ") == []


def test_the_hand_checked_sample_is_consistent() -> None:
    """Every item of the measured sample quotes its page exactly (the figures: tests/benchmarks)."""
    sample = json.loads((Path(__file__).parents[2] / "data" / "authorities_sample.json").read_text(encoding="utf-8"))
    items = sample["items"]
    assert sum(item["verdict"] == "citation" for item in items) == 100
    assert all(item["char_end"] - item["char_start"] == len(item["text"]) for item in items)
    assert all(item["verdict"] in ("citation", "record", "not a citation") for item in items)
