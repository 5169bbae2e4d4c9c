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
    assert calvary.pin_cites == ("283-288", "288", "277", "281", "285")  # "283-\r\n288" read as one range
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
        ("law", "18 U.S.C. \u00a7\u00a7 152, 1341", "18 U.S.C. \u00a7 152", None),  # a list: the first section
        ("case", "T.C. Memo. 1991-402", "T.C. Memo. 1991-402", None),
    ]
    assert authorities_on_page("   ") == []


def test_codes_and_rules_eyecite_does_not_know() -> None:
    text = (
        "Under N.C.G.S. \u00a7 14-\r\n306.4(a)(3) and O.C.G.A. \u00a7 44-13-100(a)(2.1), see Fed.R.App.P. 4(a)(4) and "
        "Fed. R. Civ. P. 12(b)(6); 15 U.S.C. \u00a7 1692k(d); 42 U.S.C. \u00a7\u00a7 2000cc-2000cc-5; "
        "28 U.S.C. \u00a7 1291; La. Civ. Code. \u00a7 3049 (1988); Okla. Stat., Tit. 82, \u00a7105.9 (West 2013); "
        "Okla. Stat. tit. 82, \u00a7 105.9; "
        "Fed. R. Evid. 401."
    )
    found = [(m.text, m.authority, m.pin_cite) for m in authorities_on_page(text)]
    assert found == [
        ("N.C.G.S. \u00a7 14-\r\n306.4(a)(3)", "N.C.G.S. \u00a7 14-306.4", "(a)(3)"),
        ("O.C.G.A. \u00a7 44-13-100(a)(2.1)", "O.C.G.A. \u00a7 44-13-100", "(a)(2.1)"),
        ("Fed.R.App.P. 4(a)(4)", "Fed. R. App. P. 4", "(a)(4)"),
        ("Fed. R. Civ. P. 12(b)(6)", "Fed. R. Civ. P. 12", "(b)(6)"),
        ("15 U.S.C. \u00a7 1692k(d)", "15 U.S.C. \u00a7 1692k", "(d)"),  # a section with a letter
        ("42 U.S.C. \u00a7\u00a7 2000cc", "42 U.S.C. \u00a7 2000cc", None),  # a range: its first section
        ("28 U.S.C. \u00a7 1291", "28 U.S.C. \u00a7 1291", None),
        ("La. Civ. Code. \u00a7 3049", "La. Civ. Code \u00a7 3049", None),
        ("Okla. Stat., Tit. 82, \u00a7105.9", "Okla. Stat. tit. 82 \u00a7 105.9", None),
        ("Okla. Stat. tit. 82, \u00a7 105.9", "Okla. Stat. tit. 82 \u00a7 105.9", None),  # eyecite's form, one key
        ("Fed. R. Evid. 401", "Fed. R. Evid. 401", None),
    ]
    assert all(m.kind is AuthorityKind.LAW for m in authorities_on_page(text))


def test_pin_pages_and_ids_eyecite_misreads() -> None:
    text = (
        "See Smith v. Jones, 2023 WL 128600, at *2 (D. Minn. 2023). Id. at *4. Jones v. Roe, 816 F.3d 1255, 1265 "
        "n. 6 (9th Cir. 2016); Fidelity v. De la Cuesta, 458 U. S. 141, 152\u2013153, 160 (1982). Id. at *3. It "
        "violated N.C.G.S. \u00a7 14-306.4, which the court declined to reach. Id. at 150. Roe v. Wade, 410 U.S. 113, "
        "93 S. Ct. 705 (1973)."
    )
    found = [(m.kind.value, m.text, m.authority, m.pin_cite) for m in authorities_on_page(text)]
    assert found == [
        ("case", "2023 WL 128600, at *2", "2023 WL 128600", "*2"),
        ("id", "Id. at *4", "2023 WL 128600", "*4"),  # a star page of a Westlaw citation
        ("case", "816 F.3d 1255, 1265 n. 6", "816 F.3d 1255", "1265 n. 6"),
        ("case", "458 U. S. 141, 152\u2013153, 160", "458 U.S. 141", "152\u2013153, 160"),
        ("id", "Id. at *3", None, "*3"),  # a star page cannot be of the U.S. Reports
        ("law", "N.C.G.S. \u00a7 14-306.4", "N.C.G.S. \u00a7 14-306.4", None),
        ("id", "Id. at 150", "458 U.S. 141", "150"),  # a page is of the last case, not of the statute
        ("case", "410 U.S. 113", "410 U.S. 113", None),  # a parallel citation is no pin cite
        ("case", "93 S. Ct. 705", "93 S. Ct. 705", None),
    ]


def test_the_hand_checked_sample_is_consistent() -> None:
    """Every item of the measured sample quotes its page exactly (the figures: tests/benchmarks)."""
    sample = json.loads((Path(__file__).parents[2] / "data" / "authorities_sample.json").read_text(encoding="utf-8"))
    items = sample["items"]
    assert sum(item["verdict"] == "citation" for item in items) == 100
    assert all(item["char_end"] - item["char_start"] == len(item["text"]) for item in items)
    assert all(item["verdict"] in ("citation", "record", "not a citation") for item in items)
