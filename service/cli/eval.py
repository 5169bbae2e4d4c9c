"""``docqa eval``: the retrieval benchmark (LegalBench-RAG query files) or the answer evaluation (question lists)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from service.cli.app import app, fail, load_settings
from service.cli.progress import with_ingest_bar
from service.components import Components
from service.core.errors import DocqaError
from service.core.settings import Settings


@app.command("eval")
def eval_(
    bench_dir: Annotated[
        Path,
        typer.Argument(help="Benchmark folder: corpus/ plus query files, or the documents a question file asks about."),
    ],
    query_files: Annotated[
        list[Path], typer.Argument(help="LegalBench-RAG query files, or question files (a JSON list, as court-qa-dev).")
    ],
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the report as JSON here.")] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Scratch data folder, kept (a re-run skips unchanged files); default: a new temporary one."),
    ] = None,
) -> None:
    """Retrieval benchmark, or answer evaluation when the query files are question lists.

    LegalBench-RAG query files: ingest BENCH_DIR/corpus, run every query through the search path, print
    precision@k and recall@k per query file and ALL. Question files: ingest BENCH_DIR (or BENCH_DIR/corpus),
    ask every question as /v1/ask does, print key-fact accuracy, citations on evidence pages and refusal
    precision and recall per question kind. Both print latency p50/p95."""
    from service.engine.evaluation.question_file import file_format
    from service.engine.evaluation.retrieval import evaluation_settings

    missing = [str(path) for path in query_files if not path.is_file()]
    if missing:
        fail(f"no such query file: {', '.join(missing)}", code=2)
    try:
        formats = {file_format(path) for path in query_files}
    except DocqaError as error:
        fail(error.message, code=2)
    if len(formats) > 1:
        fail("give either LegalBench-RAG query files or question lists, not both", code=2)
    answers = formats == {"answers"}
    corpus = bench_dir / "corpus"
    if answers and not corpus.is_dir():
        corpus = bench_dir  # a question file's documents may be the folder itself, as ../shared/data/court-filings
    if not corpus.is_dir():
        if answers:
            fail(f"{bench_dir}: no such folder of documents", code=2)
        fail(f"{bench_dir}: no corpus/ folder; a benchmark folder holds corpus/ and its query files", code=2)
    scratch = data_dir or Path(tempfile.mkdtemp(prefix="docqa-eval-"))
    settings = evaluation_settings(load_settings(), scratch)
    try:
        if answers:
            _eval_answers(settings, corpus, query_files, json_out)
        else:
            _eval_retrieval(settings, bench_dir, query_files, json_out)
    finally:
        if data_dir is None:
            shutil.rmtree(scratch, ignore_errors=True)


def _eval_retrieval(settings: Settings, bench_dir: Path, query_files: list[Path], json_out: Path | None) -> None:
    from service.engine.evaluation.retrieval import evaluate

    report = with_ingest_bar(
        lambda progress: evaluate(Components(settings), bench_dir, query_files, ingest_progress=progress)
    )
    print(f"{report.corpus.documents} documents, {report.corpus.chunks} chunks; precision@k and recall@k in %:")
    print(report.markdown())  # Markdown, not a rich table: 15 columns, and it pastes into a README
    print(
        f"search latency: p50 {report.p50_ms:.1f} ms, p95 {report.p95_ms:.1f} ms over {len(report.latency_ms)} "
        f"queries; ingest {report.corpus.seconds:.0f} s"
    )
    if json_out is not None:
        json_out.write_text(json.dumps(report.as_dict(), indent=1))


def _eval_answers(settings: Settings, corpus: Path, question_files: list[Path], json_out: Path | None) -> None:
    from service.engine.evaluation.answers import evaluate_answers

    report = with_ingest_bar(
        lambda progress: evaluate_answers(Components(settings), corpus, question_files, ingest_progress=progress)
    )
    print(
        f"{report.corpus.documents} documents, {report.corpus.chunks} chunks; {len(report.outcomes)} questions "
        f"answered in {report.mode} mode (model {report.model}):"
    )
    for problem in report.corpus.failed:  # part of the report: a document missing costs its questions
        print(f"not ingested: {problem}")
    print(report.markdown())
    print(
        f"ask latency: p50 {report.p50_ms:.1f} ms, p95 {report.p95_ms:.1f} ms over {len(report.latency_ms)} "
        f"questions; ingest {report.corpus.seconds:.0f} s"
    )
    wrong = report.wrong_list()
    if wrong:
        print(f"\nto fix ({len(report.wrong)}):\n{wrong}")
    if json_out is not None:
        json_out.write_text(json.dumps(report.as_dict(), indent=1, ensure_ascii=False))
