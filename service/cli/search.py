"""``docqa search``: the chunks of a collection that best match a query."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from service.cli.app import CollectionOption, JsonFlag, app, components, fail, key_values, known_collection, out
from service.core.errors import DocqaError


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
    with components(read_only=True) as parts:
        known_collection(parts, collection)
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
