"""``docqa keys create|list|revoke``: API keys, each with a role, reading only its collections."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from service.cli.app import JsonFlag, app, components, err, fail, out
from service.core.access import Role, parse_role
from service.core.errors import DocqaError

keys_app = typer.Typer(help="API keys: each has a role and reads only its collections.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option("--name", help="Who or what uses the key.")],
    collections: Annotated[
        str, typer.Option("--collections", help="Comma-separated existing collections it may read.")
    ] = "",
    role: Annotated[
        str | None,
        typer.Option(
            "--role",
            help="reader (the default): search, ask, read; editor: also upload and delete; "
            "admin: all of it in every collection.",
        ),
    ] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Same as --role admin.")] = False,
) -> None:
    """Create a key; the secret is printed once and stored only as a hash."""
    names = [part.strip() for part in collections.split(",") if part.strip()]
    if admin and role not in (None, "admin"):
        fail(f"--admin is the same as --role admin; it cannot go with --role {role}", code=2)
    try:
        chosen: Role = "admin" if admin else parse_role(role or "reader")
    except DocqaError as error:
        fail(f"--role: {error.message}", code=2)
    with components() as parts:
        try:
            secret = parts.keys.create(name, names, chosen)
        except DocqaError as error:
            fail(error.message, code=2)
        parts.audit.key_created(name, names, chosen)
    err.print(f"Key {name!r} ({chosen}). Store it now; it is not shown again:", highlight=False)
    print(secret)


@keys_app.command("list")
def keys_list(as_json: JsonFlag = False) -> None:
    """List keys (names, prefixes, roles, collections; never secrets)."""
    with components(read_only=True) as parts:
        keys = parts.keys.list()
    if as_json:
        print(json.dumps([key.__dict__ for key in keys], indent=1))
        return
    table = Table("name", "prefix", "role", "collections", "created", "revoked")
    for key in keys:
        scope = "(every collection)" if key.role == "admin" else ",".join(key.collections)
        table.add_row(key.name, key.prefix, key.role, scope, key.created_at, str(key.revoked))
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a key at once. Revoking the last key does not reopen the API (see the README, Keys)."""
    with components(read_only=True) as parts:
        try:
            parts.keys.revoke(name)
        except DocqaError as error:
            fail(error.message)
        parts.audit.key_revoked(name)
    out.print(f"revoked {name}")
