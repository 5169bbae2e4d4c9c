"""Merging name variants into entities (``service.engine.entities.merge``) and the quote around a mention."""

from __future__ import annotations

from service.core.domain import EntityMention, StoredMention
from service.engine.entities import merge, org_key, person_key, quote


def stored(name: str, kind: str = "person", document: str = "d1") -> StoredMention:
    return StoredMention(EntityMention(1, 0, len(name), kind, name, name), document, "a.pdf", "A")


def groups(names: list[str], kind: str = "person") -> list[list[str]]:
    entities = merge("m", [stored(name, kind, f"d{i % 2}") for i, name in enumerate(names)])
    return sorted(sorted(mention.mention.name for mention in entity.mentions) for entity in entities)


def test_variants_of_one_person_are_one_entity_and_every_mention_is_kept() -> None:
    names = ["Richard P. Liebowitz", "Liebowitz", "Richard Liebowitz", "R. Liebowitz", "Liebowitz"]
    entities = merge("m", [stored(name, document=f"d{i % 2}") for i, name in enumerate(names)])
    assert len(entities) == 1
    assert entities[0].name == "Richard P. Liebowitz"
    assert len(entities[0].mentions) == 5 and entities[0].documents == 2


def test_different_given_names_stay_apart_and_a_bare_surname_is_not_guessed() -> None:
    assert groups(["Jane Doe", "John Doe", "Doe"]) == [["Doe"], ["Jane Doe"], ["John Doe"]]
    assert groups(["Mary A. Smith", "Mary B. Smith"]) == [["Mary A. Smith"], ["Mary B. Smith"]]
    assert groups(["David Barry", "David E. Barry", "Barry Jr."]) == [["Barry Jr.", "David Barry", "David E. Barry"]]


def test_organisations_merge_without_case_punctuation_or_company_suffix() -> None:
    assert groups(["Acme Corp.", "ACME CORPORATION", "the Acme", "Acme Bank"], "org") == [
        ["ACME CORPORATION", "Acme Corp.", "the Acme"],
        ["Acme Bank"],
    ]
    assert org_key("Transamerica Life Insurance Co.") == org_key("TRANSAMERICA LIFE INSURANCE COMPANY")
    assert person_key("Robert G. Flanders Jr.") == ("flanders", ("robert", "g"))


def test_ids_are_stable_and_differ_by_collection() -> None:
    one = merge("m", [stored("Jane Doe")])[0].id
    assert one == merge("m", [stored("Doe"), stored("Jane Doe")])[0].id
    assert one != merge("n", [stored("Jane Doe")])[0].id


def test_a_quote_is_one_line_cut_at_words() -> None:
    text = "word " * 40 + "Jane Doe\nfiled it. " + "more " * 40
    start = text.index("Jane")
    shown = quote(text, start, start + 8)
    assert "Jane Doe filed it." in shown and shown.startswith("…") and shown.endswith("…")
    assert "\n" not in shown and " wor " not in f" {shown} "
