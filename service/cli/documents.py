"""``docqa documents`` and ``docqa delete``: what a collection holds, and removing a document."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from service.cli.app import CollectionOption, JsonFlag, app, components, fail, known_collection, out
from service.core.errors import DocqaError


@app.command()
def documents(collection: CollectionOption = "default", as_json: JsonFlag = False) -> None:
    """List a collection's documents with their titles, status and errors."""
    with components(read_only=True) as parts:
        records = parts.documents().list(known_collection(parts, collection))
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
    with components(read_only=True) as parts:
        try:
            record = parts.documents().delete(document_id)
        except DocqaError as error:
            fail(error.message)
    out.print(f"deleted {document_id} ({record.source}) from {record.collection}")
