"""``docqa ingest``: files and folders into a collection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from service.cli.app import CollectionOption, JsonFlag, app, components, err, fail, key_values
from service.cli.progress import print_summary, terminal_bar
from service.core.errors import DocqaError
from service.core.settings import LOCAL_RAY
from service.core.writer_lock import try_writer_lock


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (walked recursively).")],
    collection: CollectionOption = "default",
    prune: Annotated[bool, typer.Option(help="Delete documents whose files are no longer under PATHS.")] = False,
    meta: Annotated[
        list[str] | None,
        typer.Option("--meta", help="KEY=VALUE set on every document (repeatable), e.g. case=12-2209."),
    ] = None,
    ray: Annotated[
        bool,
        typer.Option(
            "--ray",
            help="Read and embed the files on Ray (the extra docqa[ray]): the cluster of --ray-address or "
            "DOCQA_RAY__ADDRESS, else a local Ray of DOCQA_RAY__NUM_CPUS CPUs. Writes stay in this process.",
        ),
    ] = False,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            metavar="HOST:PORT",
            help="The Ray cluster to join (its head's address, or 'auto'); implies --ray.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Ingest files into a collection: new and changed files are indexed, unchanged ones skipped."""
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        fail(f"no such file or folder: {', '.join(missing)}", code=2)
    extra = key_values(meta, "--meta")
    with components() as parts:
        address = (ray_address or parts.settings.ray.address or LOCAL_RAY) if ray or ray_address else None
        try:
            batch = parts.batch_ingest(collection, extra, ray=address)
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
        progress = terminal_bar(not as_json)
        try:
            summary = batch.run(paths, prune=prune, progress=progress)
        finally:
            if progress:
                progress.stop()
    if as_json:
        print(json.dumps(summary.as_dict(), indent=1))
    else:
        print_summary(summary)
