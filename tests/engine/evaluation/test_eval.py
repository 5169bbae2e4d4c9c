"""``docqa eval``: the span metric against the reference implementation, and a tiny benchmark checked by hand;
answers scored on hand-made outcomes, and a tiny question file run end to end."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.components import Components
from service.core.domain import AnswerState
from service.core.errors import InvalidInput
from service.core.seams import Embedder
from service.core.settings import ChunkingSettings, Settings
from service.engine.evaluation.answers import AnswerReport, Outcome, Score, cites_evidence, missing_facts, score_table
from service.engine.evaluation.question_file import Evidence, Question, file_format, load_question_files, load_questions
from service.engine.evaluation.retrieval import KS, evaluate, load_queries, metric_table, percentile, score_query
from tests.support import lbrag_metric
from tests.support.paths import COURT, DATA

if TYPE_CHECKING:
    from tests.support.llm import ServedModel

TINY = DATA / "lbrag-tiny"
QUERY_FILES = [TINY / "ndas.json", TINY / "mergers.json"]

# Every tiny document is one chunk of 240 characters, and each query names its document, so it ranks
# first; k >= 3 retrieves all three documents. The gold spans are 104 and 80 characters (ndas) and
# 79 + 36 = 115 (mergers); recall is always 100 %.
HAND_CHECKED = {
    "ndas": {1: (104 / 240 + 80 / 240) / 2, 2: (104 / 480 + 80 / 480) / 2, 4: (104 / 720 + 80 / 720) / 2},
    "mergers": {1: 115 / 240, 2: 115 / 480, 4: 115 / 720},
}


def random_spans(rng: random.Random, count: int) -> list[tuple[str, int, int]]:
    spans = []
    for _ in range(count):
        start = rng.randrange(0, 500)
        spans.append((rng.choice(["a.txt", "b.txt", "c/d.txt"]), start, start + rng.randrange(1, 120)))
    return spans


def test_metric_equals_the_reference_implementation() -> None:
    rng = random.Random(7)
    results = {
        name: [(random_spans(rng, rng.randrange(1, 4)), random_spans(rng, rng.randrange(0, 70))) for _ in range(40)]
        for name in ("first", "second")
    }
    for rows in results.values():
        for gold, retrieved in rows:
            for k in KS:
                assert score_query(gold, retrieved, k) == pytest.approx(lbrag_metric.score_query(gold, retrieved, k))
    ours, reference = metric_table(results), lbrag_metric.table(results)
    assert ours.keys() == reference.keys()
    for name in ours:
        assert ours[name] == pytest.approx(reference[name])


def test_metric_by_hand() -> None:
    gold = [("a.txt", 10, 20)]
    # duplicates and overlaps are merged before counting: 15 retrieved characters, 5 of them gold
    assert score_query(gold, [("a.txt", 0, 15), ("a.txt", 5, 15)], 2) == (5 / 15, 5 / 10)
    assert score_query(gold, [("b.txt", 10, 20), ("a.txt", 10, 20)], 1) == (0.0, 0.0)
    assert score_query(gold, [], 4) == (0.0, 0.0)
    assert percentile([5.0, 1.0, 3.0, 2.0], 0.5) == 2.0 and percentile([5.0, 1.0, 3.0, 2.0], 0.95) == 5.0


def test_eval_on_a_tiny_benchmark(tmp_path: Path, database_url: str, models_cache: Path, embedder: Embedder) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        embedding={"cache_dir": models_cache},  # type: ignore[arg-type]
        chunking=ChunkingSettings(chunk_tokens=128, overlap_tokens=16),
    )
    report = evaluate(Components(settings, embedder=embedder), TINY, QUERY_FILES)
    assert (report.corpus.documents, report.corpus.chunks, report.queries) == (3, 3, {"ndas": 2, "mergers": 1})
    for name, expected in HAND_CHECKED.items():
        row = report.table[name]
        for k in KS:
            assert row[f"R@{k}"] == pytest.approx(100.0)
            assert row[f"P@{k}"] == pytest.approx(100 * expected[min(k, 4)])
    assert report.table["ALL"]["P@1"] == pytest.approx((100 * HAND_CHECKED["ndas"][1] + 100 * 115 / 240) / 2)
    assert len(report.latency_ms) == 3 and 0 < report.p50_ms <= report.p95_ms

    again = evaluate(Components(settings, embedder=embedder), TINY, QUERY_FILES)  # the re-run skips unchanged files
    assert again.table == report.table and again.corpus.unchanged == 3  # the re-run skipped every file


def test_cli_eval_writes_json(tmp_path: Path, models_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCQA_DATA_DIR", str(tmp_path / "unused"))
    monkeypatch.setenv("DOCQA_EMBEDDING__CACHE_DIR", str(models_cache))
    monkeypatch.setenv("DOCQA_OCR__ENABLED", "false")
    out = tmp_path / "eval.json"
    result = CliRunner().invoke(app, ["eval", str(TINY), *map(str, QUERY_FILES), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "| ALL |" in result.stdout and "search latency: p50" in result.stdout
    written = json.loads(out.read_text())
    assert written["table"]["mergers"]["P@1"] == pytest.approx(100 * 115 / 240, abs=0.01)
    assert written["documents"] == 3 and written["search_p50_ms"] > 0
    assert not (tmp_path / "unused").exists(), "the default scratch folder is temporary, not the data folder"

    missing = CliRunner().invoke(app, ["eval", str(tmp_path), str(out)])
    assert missing.exit_code == 2 and "no corpus/ folder" in " ".join(missing.stderr.split())


def test_bad_query_file_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"tests": [{"query": "q"}]}')
    with pytest.raises(InvalidInput, match=r"broken\.json: not a LegalBench-RAG query file"):
        load_queries(broken)


# --- answers: a question file (a JSON list, as ../shared/data/court-qa-dev) -------------------------

CA1 = "doctor__recap_documents__ca1_00117684624.pdf"  # Calvary Chapel of Bangor v. Mills (1st Cir. 20-1507)


def question(question_id: str, kind: str, facts: list[list[str]] | None = None) -> Question:
    """An answerable question with its evidence on a.pdf page 1 when ``facts`` are given, else an unanswerable one."""
    text = f"question {question_id}"
    if facts is None:
        return Question(id=question_id, question=text, answerable=False, kind=kind)
    evidence = (Evidence(file="a.pdf", page=1),)
    return Question(id=question_id, question=text, answerable=True, kind=kind, evidence=evidence, key_facts=facts)


def scored(
    item: Question, answer: str, cited: tuple[tuple[str, int], ...] = (), state: AnswerState = AnswerState.ANSWERED
) -> Outcome:
    return Outcome(item, state, answer, cited, latency_ms=1.0)


def test_key_facts_match_any_form_case_and_whitespace_aside() -> None:
    facts = [["without prejudice"], ["100,000", "100000"], ["Aug. 24, 2020", "August 24, 2020"]]
    answer = "The appeal was dismissed WITHOUT\n   prejudice; the claim was $100,000 [1], filed August\t24,  2020."
    assert missing_facts(answer, facts) == []
    assert missing_facts("dismissed without prejudice on 8/24/2020", facts) == [
        ("100,000", "100000"),
        ("Aug. 24, 2020", "August 24, 2020"),
    ]
    assert missing_facts("with-out prejudice", [["without  prejudice"]]) == [("without  prejudice",)]
    assert missing_facts("anything", []) == []


def test_citation_on_an_evidence_page() -> None:
    evidence = [Evidence(file="a.pdf", page=16), Evidence(file="a.pdf", page=3)]
    assert cites_evidence([("a.pdf", 15), ("a.pdf", 3)], evidence)
    assert not cites_evidence([("a.pdf", 15), ("b.pdf", 3)], evidence)
    assert not cites_evidence([], evidence)


def test_outcomes_and_the_table() -> None:
    low, refusal = AnswerState.LOW_SUPPORT, AnswerState.NOT_FOUND
    right = scored(
        question("q1", "who", [["Selya"], ["Barron", "Judge B."]]), "Selya J.; judge b. concurred", (("a.pdf", 1),)
    )
    uncited = scored(question("q2", "who", [["Selya"]]), "selya", (("a.pdf", 9),), low)
    wrong = scored(question("q3", "when", [["2020"], ["July"]]), "in July", (("a.pdf", 2),))
    refused = scored(question("q4", "when", [["2020"]]), "Not found.", state=refusal)
    caught = scored(question("q5", "when"), "Not found.", state=refusal)
    answered = scored(question("q6", "who"), "Barron wrote it", (("a.pdf", 1),), low)
    outcomes = [right, uncited, wrong, refused, caught, answered]
    assert [item.correct for item in outcomes] == [True, True, False, False, True, False], (
        "low_support is scored as given"
    )
    assert [item.cited_evidence for item in outcomes] == [True, False, False, False, None, None]
    assert wrong.missing == [("2020",)] and refused.missing == [("2020",)], "a refusal misses every fact"

    table = score_table(outcomes)
    assert list(table) == ["when", "who", "total"]
    who, when, total = table["who"], table["when"], table["total"]
    assert (who.answerable, who.correct, who.cited_evidence, who.unanswerable, who.unanswerable_refused) == (
        2,
        2,
        1,
        1,
        0,
    )
    assert who.refusal_precision is None, "nothing refused: precision is undefined, not 0 or 100"
    assert who.refusal_recall == 0.0, "a low_support answer is not a refusal"
    assert (when.answerable, when.correct, when.answerable_refused, when.unanswerable_refused) == (2, 0, 1, 1)
    assert when.refusal_precision == 0.5 and when.refusal_recall == 1.0
    assert (who.low_support, when.low_support, total.low_support) == (2, 0, 2)
    assert (total.accuracy, total.citation_rate) == (0.5, 0.25)
    assert total.refusal_precision == 0.5 and total.refusal_recall == 0.5
    assert Score.of([right]).refusal_recall is None, "no unanswerable question: recall is undefined"
    assert Score.of([]).accuracy is None

    report = AnswerReport(outcomes, mode="extractive", model="none")
    assert "| **total** | 4 | 2 (50.0 %) | 1 (25.0 %) | 1 | 1 of 2 | 2 | 50.0 % | 50.0 % |" in report.markdown()
    assert "| who | 2 | 2 (100.0 %) | 1 (50.0 %) | 0 | 0 of 1 | 2 | n/a | 0.0 % |" in report.markdown()
    assert report.wrong_list().splitlines() == [
        "- q2 (who, low_support): no evidence page cited (cited a.pdf p. 9; evidence a.pdf p. 1)",
        "- q3 (when): missing '2020'; no evidence page cited (cited a.pdf p. 2; evidence a.pdf p. 1)",
        "- q4 (when): refused",
        "- q6 (who, low_support): answered, should refuse: Barron wrote it",
    ]
    written = json.loads(json.dumps(report.as_dict()))
    assert written["table"]["total"]["refusal_precision_pct"] == 50.0 and written["table"]["total"]["low_support"] == 2
    assert written["table"]["who"]["refusal_precision_pct"] is None
    assert [row["state"] for row in written["questions"]] == ["answered", "low_support", "answered"] + [
        "not_found"
    ] * 2 + ["low_support"]


def write_questions(path: Path, entries: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps(entries))
    return path


def test_bad_question_file_names_the_file_and_the_entry(tmp_path: Path) -> None:
    good = {"id": "dev001", "question": "q", "answerable": True, "kind": "who"}
    good |= {"evidence": [{"file": "a.pdf", "page": 1}], "key_facts": [["x"]]}
    bad_page = write_questions(tmp_path / "bad.json", [good, {**good, "id": "dev002", "evidence": [{"file": "a.pdf"}]}])
    with pytest.raises(InvalidInput, match=r"bad\.json: entry 1 \(dev002\): evidence\.0\.page: Field required"):
        load_questions(bad_page)
    no_facts = write_questions(tmp_path / "facts.json", [{**good, "key_facts": []}])
    with pytest.raises(
        InvalidInput, match=r"facts\.json: entry 0 \(dev001\): .*needs non-empty 'evidence' and 'key_facts'"
    ):
        load_questions(no_facts)
    no_id = write_questions(tmp_path / "id.json", [good, {"question": "q", "answerable": "yes", "kind": "who"}])
    with pytest.raises(InvalidInput, match=r"id\.json: entry 1: id: Field required"):
        load_questions(no_id)
    (tmp_path / "broken.json").write_text("[{")
    with pytest.raises(InvalidInput, match=r"broken\.json: not JSON"):
        file_format(tmp_path / "broken.json")
    twice = write_questions(tmp_path / "twice.json", [good])
    with pytest.raises(InvalidInput, match=r"twice\.json: question id 'dev001' is also used in .*bad\.json"):
        load_question_files([write_questions(tmp_path / "bad.json", [good]), twice])
    assert file_format(twice) == "answers" and file_format(QUERY_FILES[0]) == "retrieval"


@pytest.fixture
def tiny_questions(tmp_path: Path, models_cache: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """``(documents, question_file)``: one court filing, two answerable questions about it and one off-topic."""
    monkeypatch.setenv("DOCQA_EMBEDDING__CACHE_DIR", str(models_cache))
    monkeypatch.setenv("DOCQA_OCR__ENABLED", "false")
    documents = tmp_path / "filings"
    documents.mkdir()
    shutil.copy(COURT / CA1, documents / CA1)
    evidence = [{"file": CA1, "page": 1}]
    questions = write_questions(
        tmp_path / "questions.json",
        [
            {"id": "t1", "question": "Who is the defendant, the Governor of Maine?", "answerable": True}
            | {"kind": "who", "evidence": evidence, "key_facts": [["Mills"], ["Governor"]]},
            # Its key fact is in no document, so the answer is wrong whatever it quotes.
            {"id": "t2", "question": "Which river basin's water does the appeal concern?", "answerable": True}
            | {"kind": "which_case", "evidence": evidence, "key_facts": [["Kiamichi"]]},
            {"id": "t3", "question": "What is the boiling point of liquid nitrogen in kelvin?", "answerable": False}
            | {"kind": "how_much"},
        ],
    )
    return documents, questions


def test_cli_eval_answers(tmp_path: Path, tiny_questions: tuple[Path, Path]) -> None:
    documents, questions = tiny_questions
    out, data = tmp_path / "answers.json", tmp_path / "scratch"
    command = ["eval", str(documents), str(questions), "--json", str(out), "--data-dir", str(data)]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    assert "1 documents" in result.stdout and "3 questions answered in extractive mode (model none)" in result.stdout
    assert "| **total** | 2 | 1 (50.0 %) |" in result.stdout and "ask latency: p50" in result.stdout
    assert "- t2 (which_case" in result.stdout and "- t1 " not in result.stdout, "only t2 is listed to fix"
    written = json.loads(out.read_text())
    assert (written["mode"], written["model"], written["documents"], written["k"]) == (
        "extractive",
        "none",
        1,
        8,
    )
    rows = {row["id"]: row for row in written["questions"]}
    assert rows["t1"]["state"] == "answered" and rows["t1"]["correct"] and rows["t1"]["cited_evidence"]
    assert 0 < len(rows["t1"]["answer"]) <= 150 and {"source": CA1, "page": 1} in rows["t1"]["citations"]
    assert rows["t2"]["correct"] is False and rows["t2"]["missing"] == [["Kiamichi"]]
    assert (rows["t3"]["state"], rows["t3"]["correct"], rows["t3"]["cited_evidence"]) == ("not_found", True, None)
    # The answerer may refuse t2 (no passage states what it asks) or answer it wrongly: the table follows the rows.
    refusals = 1 + (rows["t2"]["state"] == "not_found")
    total = written["table"]["total"]
    assert (total["key_facts_right"], total["answerable_refused"], total["unanswerable_refused"]) == (
        1,
        refusals - 1,
        1,
    )
    assert (total["refusal_precision_pct"], total["refusal_recall_pct"]) == (round(100 / refusals, 2), 100.0)
    assert total["low_support"] == sum(row["state"] == "low_support" for row in rows.values())
    assert written["ask_p50_ms"] > 0

    again = CliRunner().invoke(app, command)  # the same --data-dir: the unchanged PDF is skipped
    assert again.exit_code == 0, again.output
    assert json.loads(out.read_text())["unchanged_files"] == 1

    mixed = CliRunner().invoke(app, ["eval", str(documents), str(questions), str(QUERY_FILES[0])])
    assert mixed.exit_code == 2 and "not both" in mixed.stderr


@pytest.mark.slow
def test_cli_eval_answers_from_an_openai_compatible_server(
    tmp_path: Path, tiny_questions: tuple[Path, Path], tiny_chat_server: ServedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mode comes from the environment, as for ``docqa serve``; the tiny model's answers are gibberish."""
    documents, questions = tiny_questions
    llm = {"BACKEND": "openai", "BASE_URL": tiny_chat_server.base_url, "MODEL": tiny_chat_server.model}
    llm |= {"TOKENIZER_DIR": str(tiny_chat_server.model_dir), "ANSWER_TOKENS": "16", "CONTEXT_WINDOW": "2048"}
    for name, value in llm.items():
        monkeypatch.setenv(f"DOCQA_LLM__{name}", value)
    out = tmp_path / "answers.json"
    result = CliRunner().invoke(app, ["eval", str(documents), str(questions), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert f"3 questions answered in openai mode (model {tiny_chat_server.model})" in result.stdout
    written = json.loads(out.read_text())
    assert (written["mode"], written["model"]) == ("openai", tiny_chat_server.model)
    rows = {row["id"]: row for row in written["questions"]}
    assert rows["t1"]["state"] == "not_found"  # gibberish cites no passage: the claim check withholds it
    assert rows["t1"]["correct"] is False  # a refused answerable question scores as wrong
    assert (rows["t3"]["state"], rows["t3"]["correct"]) == ("not_found", True)
    assert written["table"]["total"]["refusal_recall_pct"] == 100.0 and written["ask_p50_ms"] > 0
