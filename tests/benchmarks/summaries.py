"""Do the extractive summaries state how each decided case came out? On the dev court questions.

    PYTHONPATH=. .venv/bin/python tests/benchmarks/summaries.py [--questions FILE] [--filings FOLDER] [--all] [-v]
    PYTHONPATH=. .venv/bin/python tests/benchmarks/summaries.py --llm [...]

``--llm`` measures the generated summaries instead (SmolLM2 behind ``transformers serve``): see
``tests/benchmarks/summaries_llm.py``.

For every ``what_held`` / ``what_happened`` question of ``court-qa-dev`` (``../shared/data/court-qa-dev``), the filing
its evidence is in is read as ingest reads it (pypdfium2, the court structure, the entity index) and summarised
(``service.engine.summaries.extractive.digest``); the question counts as found when every one of its key-fact
groups has a form in the summary's text (case-insensitive substring, the README's scoring). A question states an
*outcome* when it is a ``what_held`` or its key facts hold a ruling verb ("consolidat", "dismiss"...); the target
(issue 19: ≥ 80 %) is over those. It also times the summaries (and dated events) against the parse and entity
extraction they reuse, in the same run, so the ratio holds under any load; ``--all`` times every filing of the
folder, not only those the questions are about.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ingest.legal.entities import extract_entities
from ingest.legal.structure import court_structure
from ingest.parsers import parser_for
from service.engine.answering.facts import ruling_verbs
from service.engine.summaries.extractive import digest

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
KINDS = ("what_held", "what_happened")


def states_outcome(question: dict[str, object]) -> bool:
    """A ``what_held`` question, or one whose key facts name a ruling ("consolidat", "dismiss")."""
    forms = [form for group in question["key_facts"] for form in group]  # type: ignore[attr-defined]
    # A key fact may be a stem ("consolidat"): read as its past tense too.
    return question["kind"] == "what_held" or any(ruling_verbs(form) or ruling_verbs(form + "ed") for form in forms)


def main() -> None:
    args = sys.argv[1:]
    if "--llm" in args:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from summaries_llm import main as generated_main

        generated_main()
        return
    verbose = "-v" in args
    questions_path = SHARED / "court-qa-dev" / "questions.json"
    filings = SHARED / "court-filings"
    if "--questions" in args:
        questions_path = Path(args[args.index("--questions") + 1])
    if "--filings" in args:
        filings = Path(args[args.index("--filings") + 1])
    questions = [
        item for item in json.loads(questions_path.read_text()) if item["kind"] in KINDS and item.get("answerable")
    ]
    summaries: dict[str, str] = {}
    parse_s = summary_s = 0.0
    pages = 0
    names = {evidence["file"] for item in questions for evidence in item["evidence"]}
    if "--all" in args:
        names |= {path.name for path in filings.glob("*.pdf")}
    for name in sorted(names):
        path = filings / name
        started = time.perf_counter()
        try:
            parsed = court_structure(path, parser_for(path)(path), {})  # type: ignore[misc]
        except Exception as error:  # a file ingest records as failed
            print(f"skipped {name}: {error}", file=sys.stderr)
            continue
        mentions = extract_entities(parsed.pages)
        pages += len(parsed.pages)
        parse_s += time.perf_counter() - started
        started = time.perf_counter()
        found = digest(parsed.pages, parsed.title or name, parsed.metadata, mentions)
        summary_s += time.perf_counter() - started
        summaries[name] = "\n".join(f"{line.field}: {line.text}" for line in found.lines)
        if verbose:
            print(f"== {name}\n{summaries[name]}\n")
    print("| question | kind | outcome | key facts found | in summary |")
    print("|---|---|---|---|---|")
    outcome_hits = outcome_total = 0
    missed: list[str] = []
    for item in questions:
        text = " ".join(summaries[evidence["file"]] for evidence in item["evidence"]).lower()
        groups = item["key_facts"]
        found_groups = [group for group in groups if any(form.lower() in text for form in group)]
        hit = len(found_groups) == len(groups)
        outcome = states_outcome(item)
        if outcome:
            outcome_total += 1
            outcome_hits += hit
        if not hit:
            absent = [group[0] for group in groups if group not in found_groups]
            missed.append(f"{item['id']} ({'outcome' if outcome else 'other'}): missing {absent}")
        print(
            f"| {item['id']} | {item['kind']} | {'yes' if outcome else 'no'} | {len(found_groups)}/{len(groups)} "
            f"| {'yes' if hit else 'no'} |"
        )
    share = outcome_hits / outcome_total if outcome_total else 0.0
    print(f"\noutcomes in their filing's summary: {outcome_hits}/{outcome_total} = {share:.0%} (target 80 %)")
    print(
        f"{len(summaries)} filings, {pages} pages: summaries and events {summary_s:.2f} s, "
        f"parse + entities {parse_s:.2f} s ({summary_s / parse_s:.1%} of it)"
    )
    for line in missed:
        print("missed:", line)


if __name__ == "__main__":
    main()
