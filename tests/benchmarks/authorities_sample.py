"""Precision and recall of the citation index on a hand-checked sample of the court filings.

    PYTHONPATH=. .venv/bin/python tests/benchmarks/authorities_sample.py           figures from the fixture
    PYTHONPATH=. .venv/bin/python tests/benchmarks/authorities_sample.py --live [FOLDER]
        runs ``authorities_in_document`` again on the PDFs (default /work/shared/data/court-filings,
        text by pypdfium2 ``get_text_range()``), re-judges every item and says which verdicts changed
    PYTHONPATH=. .venv/bin/python tests/benchmarks/authorities_sample.py --live --write
        the same, and stores docqa's new answers in the fixture (the ``docqa_*`` fields; the hand-checked
        ``verdict``, ``text``, span and ``expected_authority`` are never written)

The fixture (``tests/data/authorities_sample.json``) holds 134 citation-like strings drawn with seed 18
from the union of what docqa found and what a generous regular expression found (reporters, "§",
"Id.", "supra", "Fed. R. ... P."), checked by hand in that random order until 100 were citations of
an authority. Each item has its verdict:

- ``citation``: a case, a law with its code named (statute, session law, court rule) or a short
  form, id. or supra referring to one; ``text`` is the citation with the pin cite that follows it, and
  ``expected_authority`` the normalised key (``None`` for a short form whose full citation is not in
  the document).
- ``record``: an id. or ibid. of the record (the Joint Appendix); right when docqa gives it no authority.
- ``not a citation``: a bare section of an unnamed code ("§5.05(b)(1)"), an appendix page, a docket
  number; right when docqa has no mention there.

Recall: citations docqa found with exactly the expected span and authority, over all citations.
Precision: docqa mentions in the sample that are right, over all docqa mentions in the sample.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from service.engine.record.authorities import AuthorityMention

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "authorities_sample.json"
DEFAULT_FOLDER = Path("/work/shared/data/court-filings")


def judge(item: dict[str, Any], mentions: list[AuthorityMention]) -> dict[str, Any]:
    """docqa's mention overlapping the item on its page, and whether it is right for the item's verdict."""
    start, end = item["char_start"], item["char_end"]
    overlapping = [m for m in mentions if m.char_start < end and start < m.char_end]
    exact = next((m for m in overlapping if (m.char_start, m.char_end) == (start, end)), None)
    shown = exact or (overlapping[0] if overlapping else None)
    if item["verdict"] == "citation":
        right = exact is not None and exact.authority == item["expected_authority"]
    elif item["verdict"] == "record":
        right = all(m.authority is None for m in overlapping)
    else:
        right = not overlapping
    return {
        "docqa_text": shown.text if shown else None,
        "docqa_authority": shown.authority if shown else None,
        "docqa_mention": shown is not None,
        "docqa_right": right,
    }


def figures(items: list[dict[str, Any]]) -> dict[str, float | int]:
    """Recall and precision (see the module docstring) from judged items."""
    citations = [item for item in items if item["verdict"] == "citation"]
    mentioned = [item for item in items if item["docqa_mention"]]
    found = sum(item["docqa_right"] for item in citations)
    right = sum(item["docqa_right"] for item in mentioned)
    return {
        "citations": len(citations),
        "found": found,
        "recall": found / len(citations),
        "mentions": len(mentioned),
        "right_mentions": right,
        "precision": right / len(mentioned),
    }


def live_items(folder: Path, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items re-judged against what ``authorities_in_document`` finds now."""
    import pypdfium2  # only for --live

    from service.engine.record.authorities import authorities_in_document

    mentions: dict[tuple[str, int], list[AuthorityMention]] = {}
    for name in sorted({item["file"] for item in items}):
        pdf = pypdfium2.PdfDocument(str(folder / name))
        texts = [pdf[index].get_textpage().get_text_range() for index in range(len(pdf))]
        pdf.close()
        for page, mention in authorities_in_document(enumerate(texts, start=1)):
            mentions.setdefault((name, page), []).append(mention)
    return [{**item, **judge(item, mentions.get((item["file"], item["page"]), []))} for item in items]


def main(arguments: list[str]) -> None:
    items: list[dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))["items"]
    if arguments[:1] == ["--live"]:
        folders = [argument for argument in arguments[1:] if not argument.startswith("--")]
        fresh = live_items(Path(folders[0]) if folders else DEFAULT_FOLDER, items)
        for old, new in zip(items, fresh, strict=True):
            if old["docqa_right"] != new["docqa_right"]:
                print(f"changed #{old['id']}: {old['text']!r} right {old['docqa_right']} -> {new['docqa_right']}")
        items = fresh
        if "--write" in arguments:
            fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
            fixture["items"] = items
            FIXTURE.write_text(json.dumps(fixture, indent=1, ensure_ascii=False), encoding="utf-8")
    result = figures(items)
    print(f"citations {result['citations']}, found with the right span and authority {result['found']}")
    print(f"recall    {result['recall']:.1%}")
    print(
        f"precision {result['precision']:.1%} ({result['right_mentions']} of {result['mentions']} docqa mentions right)"
    )
    misses = Counter(item["note"] for item in items if item["verdict"] == "citation" and not item["docqa_right"])
    wrong = Counter(item["note"] for item in items if item["verdict"] != "citation" and not item["docqa_right"])
    for title, counted in (
        ("citations missed or wrong", misses),
        ("docqa mentions that are not citations of authority", wrong),
    ):
        print(f"\n{title}:")
        for note, count in counted.most_common():
            print(f"  {count:3}  {note}")


if __name__ == "__main__":
    main(sys.argv[1:])
