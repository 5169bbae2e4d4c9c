"""The ``LexicalIndex`` contract (``service.core.seams``), over every implementation: ``Bm25Index``.

Term-matching search over chunk ids with ``allowed_ids`` applied before ranking, routing to the documents a query
names, the query without those names, and a saved index that another instance loads or refreshes to. (BM25 beside
FAISS on real parts: tests/engine/retrieval/test_retrieval.py.)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from service.backends.lexical.bm25 import Bm25Index
from service.core.seams import LexicalIndex

OpenIndex = Callable[[Path, str], LexicalIndex]
"""Opens the index of a collection in a folder: a new instance, as another process would."""

IMPLEMENTATIONS: dict[str, OpenIndex] = {"bm25": Bm25Index}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def open_index(request: pytest.FixtureRequest) -> OpenIndex:
    return IMPLEMENTATIONS[request.param]


def test_routing_and_restriction_without_sql(open_index: OpenIndex, tmp_path: Path) -> None:
    index = open_index(tmp_path, "unit")
    index.add_document("nda", "Petrolube_NDA Petrolube NDA Confidentiality", [1, 2], ["Recipient shall.", "Survival."])
    index.add_document("merger", "Boingo Wireless, Inc._Digital Colony", [3], ["Parent shall pay the Recipient."])
    routes = index.route("Consider Petrolube's Non-Disclosure Agreement; may the Recipient")
    assert [document for document, _ in routes] == ["nda", "merger"] and routes[0][1] > 10 * routes[1][1]
    assert index.route("Consider Petrolube's NDA", allowed_ids=[3]) == []
    assert [chunk for chunk, _ in index.search("recipient", 5)] == [1, 3]
    assert [chunk for chunk, _ in index.search("recipient", 5, allowed_ids=[3])] == [3]
    assert index.search("recipient", 5, allowed_ids=[]) == []
    index.remove([3])
    assert index.route("Boingo") == [] and index.document_chunks(["nda", "merger"]) == [1, 2]
    index.save()
    assert open_index(tmp_path, "unit").ids() == {1, 2}


def test_an_allowed_id_the_lexical_index_lacks_adds_nothing(open_index: OpenIndex, tmp_path: Path) -> None:
    """An allowed id missing from the index (a chunk being re-indexed) must not bring in its successor's
    row a second time: every hit once, only allowed ids."""
    index = open_index(tmp_path, "unit")
    index.add_document("a", "a", [1, 3, 4], ["recipient one", "recipient three", "recipient four"])
    hits = index.search("recipient", 10, allowed_ids=[2, 3, 5])
    assert [chunk for chunk, _ in hits] == [3]
    assert [chunk for chunk, _ in index.search("recipient", 10, allowed_ids=[0, 1, 2, 3, 4, 9])] == [1, 3, 4]


def test_an_empty_index_finds_and_routes_nothing(open_index: OpenIndex, tmp_path: Path) -> None:
    index = open_index(tmp_path, "unit")
    assert index.ids() == set() and index.search("recipient", 5) == [] and index.route("Petrolube NDA") == []
    assert index.document_chunks(["nda"]) == []
    assert index.without_names("Petrolube NDA", ["nda"]) == "Petrolube NDA"


def test_hits_share_a_term_and_come_best_first(open_index: OpenIndex, tmp_path: Path) -> None:
    index = open_index(tmp_path, "unit")
    index.add_document(
        "lease",
        "lease.txt",
        [1, 2, 3],
        ["The tenant pays rent monthly; rent is due on the first.", "Rent of the tenant.", "The roof is repaired."],
    )
    hits = index.search("rent", 5)
    assert {chunk for chunk, _ in hits} == {1, 2}  # chunk 3 shares no term: not a hit
    assert all(score > 0 for _, score in hits)
    assert [score for _, score in hits] == sorted((score for _, score in hits), reverse=True)
    assert len(index.search("rent", 1)) == 1
    assert index.search("galaxy", 5) == []


def test_without_names_leaves_what_asks_about_content(open_index: OpenIndex, tmp_path: Path) -> None:
    index = open_index(tmp_path, "unit")
    index.add_document("nda", "Petrolube_NDA Petrolube NDA Confidentiality", [1], ["Recipient shall hold."])
    index.add_document("lease", "Harbor Lease", [2], ["The tenant pays rent."])
    rest = index.without_names("Under the Petrolube NDA, how long must the Recipient hold it?", ["nda"])
    assert "Petrolube" not in rest and "NDA" not in rest
    assert "Recipient" in rest and "how long" in rest
    assert "Harbor" in index.without_names("Harbor Lease rent", ["nda"])  # only the given documents' names


def test_refresh_loads_what_another_instance_saved_but_never_drops_unsaved_changes(
    open_index: OpenIndex, tmp_path: Path
) -> None:
    reader, writer = open_index(tmp_path, "unit"), open_index(tmp_path, "unit")
    assert not reader.refresh_if_changed()
    writer.add_document("a", "a.txt", [1, 2], ["recipient one", "recipient two"])
    writer.save()
    assert reader.refresh_if_changed() and reader.ids() == {1, 2}
    assert [chunk for chunk, _ in reader.search("recipient two", 1)] == [2]
    assert not reader.refresh_if_changed()

    reader.add_document("b", "b.txt", [3], ["recipient three"])  # unsaved here
    writer.add_document("c", "c.txt", [4], ["recipient four"])
    writer.save()
    assert not reader.refresh_if_changed()
    assert reader.ids() == {1, 2, 3}
