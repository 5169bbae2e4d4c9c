"""``docqa serve``: the HTTP API and web UI, in one process or several on one socket."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from service.cli.app import CollectionOption, app, components, err, fail, load_settings, out
from service.cli.progress import print_summary, terminal_bar
from service.core.errors import DocqaError
from service.core.settings import Settings


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
    import uvicorn  # imported here: the other commands start faster without the web stack

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
                batch = parts.batch_ingest(collection)
            except DocqaError as error:
                fail(error.message, code=2)
            progress = terminal_bar()
            try:
                summary = batch.run(ingest_paths, progress=progress)
            finally:
                if progress:
                    progress.stop()
            print_summary(summary)
        bind, warning = bind_address(settings.server.host, not parts.keys.is_open())
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

    from service.api.middleware import MULTIPROCESS_METRICS_ENV

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
