"""``docqa keys create|list|revoke``: API keys, each reading only its collections."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from service.cli.app import JsonFlag, app, components, err, fail, out
from service.core.errors import DocqaError

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
