"""``docqa entities`` and ``docqa mentions``: who and what appears in a collection, and where."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from service.cli.app import CollectionOption, JsonFlag, app, components, fail, known_collection, out
from service.core.domain import ENTITY_TYPES
from service.core.errors import DocqaError


@app.command()
def entities(
    collection: CollectionOption = "default",
    kind: Annotated[
        str | None, typer.Option("--type", "-t", help=f"Only this type: {', '.join(ENTITY_TYPES)}.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """List the people, organisations, places, courts, statutes, dates and amounts of a collection, with how many
    documents and mentions name each (variants of one name merged)."""
    with components(read_only=True) as parts:
        try:
            found = parts.entities().entities(known_collection(parts, collection), kind)
        except DocqaError as error:
            fail(error.message)
    if as_json:
        rows = [
            {
                "id": entity.id,
                "name": entity.name,
                "type": entity.type,
                "documents": entity.documents,
                "mentions": len(entity.mentions),
                "variants": entity.variants,
                "roles": entity.roles,
            }
            for entity in found
        ]
        print(json.dumps(rows, indent=1))
        return
    table = Table("id", "type", "name", "documents", "mentions", "roles")
    for entity in found:
        table.add_row(
            entity.id,
            entity.type,
            entity.name,
            str(entity.documents),
            str(len(entity.mentions)),
            ", ".join(entity.roles),
        )
    out.print(table)


@app.command()
def mentions(
    name: Annotated[str, typer.Argument(help="The entity's name (any variant, any case) or its id.")],
    collection: CollectionOption = "default",
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many mentions.")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many mentions first.")] = 0,
    as_json: JsonFlag = False,
) -> None:
    """Every mention of an entity: document, page, page-text span and the text around it."""
    with components(read_only=True) as parts:
        service = parts.entities()
        try:
            entity = service.by_name(name, known_collection(parts, collection))
            page = service.mentions(entity.id, None, offset, limit, collection)
        except DocqaError as error:
            fail(error.message)
    rows = [
        {
            "document_id": stored.document_id,
            "source": stored.source,
            "page": stored.mention.page,
            "start": stored.mention.char_start,
            "end": stored.mention.char_end,
            "text": stored.mention.text,
            "role": stored.mention.role,
            "quote": quote,
        }
        for stored, quote in page.mentions
    ]
    if as_json:
        print(json.dumps({"entity": entity.name, "type": entity.type, "total": page.total, "mentions": rows}, indent=1))
        return
    out.print(f"{entity.name} ({entity.type}): {page.total} mentions in {entity.documents} documents")
    table = Table("source", "page", "span", "quote")
    for row in rows:
        table.add_row(str(row["source"]), str(row["page"]), f"{row['start']}-{row['end']}", str(row["quote"]))
    out.print(table)
