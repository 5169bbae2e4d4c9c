"""Precision and recall of the entity index (people and organisations) on a hand-labelled sample of the court
filings, and of merging name variants.

    PYTHONPATH=. .venv/bin/python tests/benchmarks/entities_sample.py [FOLDER] [-v]   (-v: the misses and errors
    on the pages of the parts rules were tuned on)

The fixture (``tests/data/entities_sample.json``) lists, for whole pages, every distinct name of a person or an
organisation on the page, labelled by hand from the page text (roles and honorifics stripped), and which names
are one entity, and which part of the sample each page is in (``tuning``: rules were tuned on it; ``later``: labelled
later, its faults seen while tuning; ``held-out`` and ``new``: labelled before docqa was run on them, their faults
never listed; figures are printed per part). The script parses each file as ingest does
(pypdfium2, court structure) and runs ``extract_entities`` on it.

- Extraction, per type: an item is found when docqa has a mention of that type on that page whose name equals it
  (case, punctuation, "the", name suffixes like "Jr." and company suffixes like "Inc." ignored). Recall: items
  found / items. Precision: docqa's distinct (type, name) on the sample's pages that are items / all of them.
- Merging: docqa's entities are formed (``merge``) from its mentions on all sample pages as one collection;
  over pairs of found items, a pair is "together" in docqa when both land in one entity, and in truth when the
  fixture gives them one ``entity``. Pairwise precision and recall.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from ingest.legal.entities import extract_entities
from ingest.legal.structure import court_structure
from ingest.parsers import parser_for
from service.core.domain import StoredMention
from service.engine.entities import merge, org_key

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "entities_sample.json"
DEFAULT_FOLDER = Path("/work/shared/data/court-filings")
TYPES = ("person", "org")
TUNED = ("tuning", "later")
"""The parts whose faults ``-v`` lists: the rules were written from them."""


def fold(kind: str, name: str) -> str:
    if kind == "org":
        return org_key(name)
    words = [re.sub(r"[^\w']", "", word.lower()) for word in name.replace(".", ". ").split()]
    words = [word for word in words if word]
    while len(words) > 1 and words[-1] in {"jr", "sr", "ii", "iii", "iv", "esq"}:
        words.pop()
    return " ".join(words)


def main() -> None:
    folders = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
    folder = Path(folders[0]) if folders else DEFAULT_FOLDER
    sample: dict[str, Any] = json.loads(FIXTURE.read_text())
    wanted: set[tuple[str, int, str, str]] = set()
    truth: dict[tuple[str, int, str, str], str] = {}
    part_of: dict[tuple[str, int], str] = {}
    for page in sample["pages"]:
        part_of[(page["file"], page["page"])] = page["part"]
        for item in page["items"]:
            key = (page["file"], page["page"], item["type"], fold(item["type"], item["name"]))
            wanted.add(key)
            truth[key] = f"{item['type']}:{item['entity']}"
    got: set[tuple[str, int, str, str]] = set()
    stored: list[StoredMention] = []
    for name in sorted({page["file"] for page in sample["pages"]}):
        path = folder / name
        parsed = court_structure(path, parser_for(path)(path), {})  # type: ignore[misc]  # PDFs have a parser
        numbers = {page["page"] for page in sample["pages"] if page["file"] == name}
        chosen = [page for page in parsed.pages if page.number in numbers]
        for mention in extract_entities(chosen):
            if mention.type in TYPES:
                got.add((name, mention.page, mention.type, fold(mention.type, mention.name)))
                stored.append(StoredMention(mention, name, name, name))
    print(f"{len(wanted)} labelled items on {len(sample['pages'])} pages")
    for part in ("all", *dict.fromkeys(part_of.values())):
        pages = {key for key, value in part_of.items() if part in ("all", value)}
        print(f"\n{part}: {len(pages)} pages")
        print(f"{'type':8} {'items':>6} {'found':>6} {'docqa':>6} {'precision':>10} {'recall':>8}")
        for kind in (*TYPES, "both"):
            kinds = TYPES if kind == "both" else (kind,)
            items = {key for key in wanted if key[2] in kinds and key[:2] in pages}
            ours = {key for key in got if key[2] in kinds and key[:2] in pages}
            hits = items & ours
            precision = len(hits) / len(ours) if ours else 0.0
            recall = len(hits) / len(items) if items else 0.0
            print(f"{kind:8} {len(items):6} {len(hits):6} {len(ours):6} {precision:10.3f} {recall:8.3f}")
    if "-v" in sys.argv:  # only the parts tuned on: the held-out and new parts' faults stay unseen
        tuning = {key for key, value in part_of.items() if value in TUNED}
        print("\nmissed:", sorted(key for key in wanted - got if key[:2] in tuning))
        print("\nwrong:", sorted(key for key in got - wanted if key[:2] in tuning))
    # merging, over the found items
    entity_of: dict[tuple[str, int, str, str], str] = {}
    for entity in merge("sample", stored):
        for found in entity.mentions:
            mention = found.mention
            entity_of[(found.document_id, mention.page, mention.type, fold(mention.type, mention.name))] = entity.id
    found_items = sorted(key for key in wanted if key in entity_of)
    pairs: dict[tuple[bool, bool], int] = defaultdict(int)
    for one, other in itertools.combinations(found_items, 2):
        pairs[(truth[one] == truth[other], entity_of[one] == entity_of[other])] += 1
    together = pairs[(True, True)]
    precision = together / (together + pairs[(False, True)]) if together + pairs[(False, True)] else 1.0
    recall = together / (together + pairs[(True, False)]) if together + pairs[(True, False)] else 1.0
    print(
        f"\nmerging over {len(found_items)} found items: {together + pairs[(True, False)]} pairs are one entity, "
        f"docqa joins {together + pairs[(False, True)]}; pairwise precision {precision:.3f}, recall {recall:.3f}"
    )


if __name__ == "__main__":
    main()
