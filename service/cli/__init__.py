"""The ``docqa`` command line: ingest, search, documents, delete, serve.

Usage errors exit with status 2; a batch that ran exits 0 even when some files failed (they are
listed). Errors are one clear line on stderr, never a stack trace.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from service.components import Components
from service.core.errors import DocqaError
from service.core.ingestion import FileResult, IngestSummary
from service.core.ingestion import Progress as PipelineProgress
from service.core.settings import Settings
from service.core.writer_lock import try_writer_lock
from service.engine.documents.uploads import delete_document

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # model hubs are never reached at run time

app = typer.Typer(
    help="docqa: question answering over private documents with verified citations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err = Console(stderr=True)
out = Console(highlight=False)

CollectionOption = Annotated[str, typer.Option("--collection", "-c", help="Collection (matter) name.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
Result = TypeVar("Result")


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


def load_settings() -> Settings:
    """Settings from the environment; a bad setting is a usage error naming the variable."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"DOCQA_{'__'.join(str(part).upper() for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        )
        fail(f"invalid settings: {problems}", code=2)


@contextmanager
def components(settings: Settings | None = None) -> Iterator[Components]:
    """Components for one command, closed (indexes saved, connections released) at its end."""
    parts = Components(settings or load_settings())
    try:
        yield parts
    finally:
        parts.close()


class BarProgress(PipelineProgress):
    """A live bar: files done of total, pages, chunks, pages per second."""

    def __init__(self, console: Console) -> None:
        self.bar = Progress(
            TextColumn("[bold]ingest"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "files · {task.fields[pages]} pages · {task.fields[chunks]} chunks · "
                "{task.fields[ocr]} OCR pages · {task.fields[rate]}"
            ),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.pages = self.chunks = self.ocr = 0
        self.started = time.perf_counter()
        self.task = self.bar.add_task("ingest", total=None, pages=0, chunks=0, ocr=0, rate="")

    def ocr_page_done(self) -> None:
        self.ocr += 1
        self.bar.update(self.task, ocr=self.ocr)

    def start(self, total_files: int | None) -> None:
        self.bar.start()
        self.bar.update(self.task, total=total_files)

    def file_done(self, result: FileResult) -> None:
        self.pages += result.pages
        self.chunks += result.chunks
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        self.bar.update(
            self.task,
            advance=1,
            pages=self.pages,
            chunks=self.chunks,
            rate=f"{self.pages / elapsed:.1f} pages/s",
        )
        if result.outcome == "failed":
            self.bar.console.print(f"[yellow]failed:[/yellow] {result.error}", highlight=False)

    def stop(self) -> None:
        self.bar.stop()


def key_values(items: list[str] | None, option: str) -> dict[str, str]:
    """``["a=1", "b=2"]`` as a dict; a malformed item is a usage error naming the option."""
    pairs: dict[str, str] = {}
    for item in items or []:
        key, separator, value = item.partition("=")
        if not separator or not key.strip() or not value.strip():
            fail(f"{option} {item!r} must look like KEY=VALUE", code=2)
        pairs[key.strip()] = value.strip()
    return pairs


def _print_summary(summary: IngestSummary) -> None:
    counts = " · ".join(
        f"{summary.count(outcome)} {outcome}" for outcome in ("new", "updated", "unchanged", "failed", "removed")
    )
    out.print(
        f"[bold]{summary.collection}[/bold]: {counts} · {summary.pages} pages · {summary.chunks} chunks "
        f"· {summary.seconds:.1f} s"
    )
    for result in summary.files:
        if result.outcome == "failed":
            out.print(f"  [red]✗[/red] {result.error}")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (walked recursively).")],
    collection: CollectionOption = "default",
    prune: Annotated[bool, typer.Option(help="Delete documents whose files are no longer under PATHS.")] = False,
    meta: Annotated[
        list[str] | None,
        typer.Option("--meta", help="KEY=VALUE set on every document (repeatable), e.g. case=12-2209."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Ingest files into a collection: new and changed files are indexed, unchanged ones skipped."""
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        fail(f"no such file or folder: {', '.join(missing)}", code=2)
    extra = key_values(meta, "--meta")
    with components() as parts:
        try:
            pipeline = parts.pipeline(collection, extra)
        except DocqaError as error:
            fail(error.message, code=2)
        for message in parts.repairs:
            err.print(f"[yellow]{message}[/yellow]", highlight=False)
        with try_writer_lock(parts.index_dir, collection) as free:
            pass
        if not free:
            err.print(
                f"[yellow]waiting for another ingest into collection {collection!r} (an upload job or "
                "'docqa ingest') to finish[/yellow]",
                highlight=False,
            )
        progress = BarProgress(err) if not as_json and sys.stderr.isatty() else None
        try:
            summary = pipeline.ingest(paths, prune=prune, progress=progress)
        finally:
            if progress:
                progress.stop()
        parts.audit.ingested(summary)
    if as_json:
        print(json.dumps(summary.as_dict(), indent=1))
    else:
        _print_summary(summary)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    collection: CollectionOption = "default",
    k: Annotated[int, typer.Option("-k", min=1, max=200, help="How many hits.")] = 8,
    filters: Annotated[
        list[str] | None,
        typer.Option("--filter", help="KEY=VALUE metadata filter (repeatable): court=ca1, filed_after=2015-01-01."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Print the chunks of a collection that best match QUERY."""
    wanted = key_values(filters, "--filter")
    with components() as parts:
        if collection not in parts.store.collections():
            fail(f"collection {collection!r} not found; ingest into it first (docqa ingest PATH -c {collection})", 2)
        try:
            hits = parts.retriever.search(query, collection, k, wanted)
        except DocqaError as error:
            fail(error.message, code=2)
    if as_json:
        keys = ("chunk_id", "document_id", "source", "title", "page_start", "page_end", "char_start", "char_end")
        rows = [{key: getattr(hit, key) for key in keys} | {"score": hit.score, "text": hit.text} for hit in hits]
        print(json.dumps(rows, indent=1, ensure_ascii=False))
        return
    for rank, hit in enumerate(hits, 1):
        out.print(f"[bold]{rank}. {hit.title}[/bold] — {hit.source} p. {hit.page_start} · score {hit.score:.3f}")
        out.print("   " + " ".join(hit.text.split())[:300])


@app.command()
def documents(collection: CollectionOption = "default", as_json: JsonFlag = False) -> None:
    """List a collection's documents with their titles, status and errors."""
    with components() as parts:
        records = parts.store.list_documents(collection)
    if as_json:
        keys = ("id", "source", "title", "status", "error", "page_count", "media_type", "sha256", "needs_ocr_pages")
        print(json.dumps([{key: getattr(r, key) for key in keys} for r in records], indent=1, default=str))
        return
    table = Table("id", "source", "title", "status", "pages", "error")
    for record in records:
        row = (record.id, record.source, record.title or "", record.status.value, str(record.page_count))
        table.add_row(*row, record.error or "")
    out.print(table)


@app.command()
def delete(document_id: Annotated[str, typer.Argument(help="Document id (see docqa documents).")]) -> None:
    """Delete a document: its rows, text and vectors, and its uploaded copy, are gone."""
    with components() as parts:
        try:
            record = parts.store.get_document(document_id)
            delete_document(record, parts.pipeline(record.collection), parts.settings.data_dir)
            parts.audit.deleted(None, record)
        except DocqaError as error:
            fail(error.message)
    out.print(f"deleted {document_id} ({record.source}) from {record.collection}")


def main() -> None:
    """Console-script entry point."""
    app()


@app.command()
def serve(
    ingest_paths: Annotated[
        list[Path] | None, typer.Option("--ingest", help="Ingest these files or folders first (repeatable).")
    ] = None,
    collection: CollectionOption = "default",
    host: Annotated[str | None, typer.Option(help="Bind address (default: DOCQA_SERVER__HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: DOCQA_SERVER__PORT).")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default: DOCQA_SERVER__WORKERS, 1).")
    ] = None,
) -> None:
    """Serve the HTTP API and web UI; with --ingest, ingest a folder first."""
    import uvicorn

    from service.api.app import create_app
    from service.engine.access import bind_address, is_loopback

    settings = load_settings()
    chosen = {"host": host, "port": port, "workers": workers}
    server = settings.server.model_copy(update={k: v for k, v in chosen.items() if v is not None})
    settings = settings.model_copy(update={"server": server})
    with components(settings) as parts:
        if ingest_paths:
            missing = [str(path) for path in ingest_paths if not path.exists()]
            if missing:
                fail(f"no such file or folder: {', '.join(missing)}", code=2)
            try:
                pipeline = parts.pipeline(collection)
            except DocqaError as error:
                fail(error.message, code=2)
            progress = BarProgress(err) if sys.stderr.isatty() else None
            try:
                summary = pipeline.ingest(ingest_paths, progress=progress)
            finally:
                if progress:
                    progress.stop()
            parts.audit.ingested(summary)
            _print_summary(summary)
        bind, warning = bind_address(settings.server.host, parts.keys.any_active())
        if warning:
            err.print(f"[yellow]{warning}[/yellow]", highlight=False)
        try:
            app_ = create_app(settings, parts)  # in every mode: a bad setting or prompt stops the start here
            mode = parts.qa.mode
        except DocqaError as error:
            fail(error.message, code=2)
        app_.state.docqa.served_publicly = not is_loopback(bind)
        processes = f", {server.workers} worker processes" if server.workers > 1 else ""
        out.print(f"docqa serving on http://{bind}:{server.port} (answers: {mode}{processes}); Ctrl+C stops it")
        if server.workers == 1:
            uvicorn.run(app_, host=bind, port=server.port, log_level="warning")
            return
    serve_workers(settings, bind)


def serve_workers(settings: Settings, bind: str) -> None:
    """Run ``settings.server.workers`` uvicorn worker processes on one socket (``service.api.app.worker_app``).

    Each worker reads its settings from the environment, given here the address bound, and embeds
    with its share of the cores unless DOCQA_EMBEDDING__THREADS says otherwise. Their metrics meet
    in a temporary folder that ``/metrics`` sums, removed at exit.
    """
    import shutil
    import tempfile

    import uvicorn

    from service.api.app import MULTIPROCESS_METRICS_ENV

    workers = settings.server.workers
    metrics_dir = tempfile.mkdtemp(prefix="docqa-metrics-")
    os.environ[MULTIPROCESS_METRICS_ENV] = metrics_dir
    os.environ["DOCQA_SERVER__HOST"] = bind
    os.environ["DOCQA_SERVER__PORT"] = str(settings.server.port)
    os.environ["DOCQA_SERVER__WORKERS"] = str(workers)
    if not settings.embedding.threads:
        os.environ["DOCQA_EMBEDDING__THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))
    try:
        uvicorn.run(
            "service.api.app:worker_app",
            factory=True,
            host=bind,
            port=settings.server.port,
            workers=workers,
            log_level="warning",
        )
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


keys_app = typer.Typer(help="API keys: each reads only its collections.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option("--name", help="Who or what uses the key.")],
    collections: Annotated[str, typer.Option("--collections", help="Comma-separated collections it may read.")] = "",
    admin: Annotated[bool, typer.Option("--admin", help="Reads and writes every collection.")] = False,
) -> None:
    """Create a key; the secret is printed once and stored only as a hash."""
    names = [part.strip() for part in collections.split(",") if part.strip()]
    with components() as parts:
        try:
            secret = parts.keys.create(name, names, admin)
        except DocqaError as error:
            fail(error.message, code=2)
        parts.audit.key_created(name, names, admin)
    err.print("Store this key now; it is not shown again:", highlight=False)
    print(secret)


@keys_app.command("list")
def keys_list(as_json: JsonFlag = False) -> None:
    """List keys (names, prefixes, collections; never secrets)."""
    with components() as parts:
        keys = parts.keys.list()
    if as_json:
        print(json.dumps([key.__dict__ for key in keys], indent=1))
        return
    table = Table("name", "prefix", "collections", "admin", "created", "revoked")
    for key in keys:
        table.add_row(key.name, key.prefix, ",".join(key.collections), str(key.admin), key.created_at, str(key.revoked))
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a key at once."""
    with components() as parts:
        try:
            parts.keys.revoke(name)
        except DocqaError as error:
            fail(error.message)
        parts.audit.key_revoked(name)
    out.print(f"revoked {name}")


audit_app = typer.Typer(help="The hash-chained audit trail: 'docqa audit --since 2026-11-01 --json' exports it.")
app.add_typer(audit_app, name="audit")


@audit_app.callback(invoke_without_command=True)
def audit_export(
    context: typer.Context,
    since: Annotated[str | None, typer.Option(help="ISO date or time, e.g. 2026-11-01.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Export as JSON (the only format).")] = True,
) -> None:
    """Export audit rows as a JSON array, oldest first (or run 'docqa audit verify')."""
    from datetime import UTC, datetime

    if context.invoked_subcommand is not None:
        return
    moment = None
    if since:
        try:
            moment = datetime.fromisoformat(since)
        except ValueError:
            fail(f"--since {since!r} is not an ISO date or time (e.g. 2026-11-01 or 2026-11-01T09:30)", code=2)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    with components() as parts:
        print(json.dumps(parts.audit.export(moment), indent=1, ensure_ascii=False))


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the hash chain; exit 1 at the first altered, inserted or removed row."""
    with components() as parts:
        result = parts.audit.verify()
    if not result.ok:
        fail(result.message)
    out.print(result.message)


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
    import shutil
    import tempfile

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


def with_ingest_bar(run: Callable[[PipelineProgress | None], Result]) -> Result:
    """``run(progress)`` with a live ingest bar on a terminal; a ``DocqaError`` is the command's failure."""
    progress = BarProgress(err) if sys.stderr.isatty() else None
    try:
        return run(progress)
    except DocqaError as error:
        fail(error.message)
    finally:
        if progress:
            progress.stop()


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
