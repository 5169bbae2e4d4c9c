"""``docqa summary`` and ``docqa chronology``: what a filing says in short, and a matter's dated events."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from service.cli.app import CollectionOption, JsonFlag, app, components, fail, known_collection, out
from service.core.errors import DocqaError
from service.core.summaries import EVENT_KINDS
from service.engine.summaries.export import chronology_csv, event_row


@app.command()
def summary(
    document_id: Annotated[str, typer.Argument(help="The document's id (docqa documents lists them).")],
    as_json: JsonFlag = False,
) -> None:
    """A document's extractive summary: court, parties, docket number, type, date, disposition or relief sought and
    key holdings, each with the page and page-text span it comes from."""
    with components(read_only=True) as parts:
        try:
            found = parts.summaries().summary(document_id)
        except DocqaError as error:
            fail(error.message)
    document = found.document
    if as_json:
        lines = [asdict(line) for line in found.lines]
        print(
            json.dumps(
                {"document_id": document.id, "title": document.title, "source": document.source, "lines": lines},
                indent=1,
            )
        )
        return
    out.print(f"{document.title} ({document.source})")
    table = Table("field", "text", "page", "span")
    for line in found.lines:
        span = f"{line.char_start}-{line.char_end}" if line.char_start is not None else ""
        table.add_row(line.field, line.text, str(line.page or ""), span)
    out.print(table)


@app.command()
def chronology(
    collection: CollectionOption = "default",
    kind: Annotated[
        list[str] | None, typer.Option("--kind", "-k", help=f"Only these kinds (repeat): {', '.join(EVENT_KINDS)}.")
    ] = None,
    as_json: JsonFlag = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV (a header row, then one event a row).")] = False,
) -> None:
    """A matter's dated events in time order (filed, decided, hearing, signed, due...), each with its sentence,
    document and page."""
    if as_json and as_csv:
        fail("--json and --csv: choose one")
    with components(read_only=True) as parts:
        try:
            events = parts.summaries().chronology(known_collection(parts, collection), None, kind)
        except DocqaError as error:
            fail(error.message)
    if as_csv:
        sys.stdout.write(chronology_csv(events))
        return
    if as_json:
        print(json.dumps([event_row(stored) for stored in events], indent=1))
        return
    table = Table("date", "kind", "source", "page", "sentence")
    for stored in events:
        table.add_row(
            stored.event.date, stored.event.kind, stored.source, str(stored.event.page), stored.event.sentence
        )
    out.print(table)
