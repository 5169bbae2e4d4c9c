"""``docqa audit [verify]``: export the hash-chained audit trail, or check its chain."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from service.cli.app import app, components, fail, out

audit_app = typer.Typer(help="The hash-chained audit trail: 'docqa audit --since 2026-11-01 --json' exports it.")
app.add_typer(audit_app, name="audit")


@audit_app.callback(invoke_without_command=True)
def audit_export(
    context: typer.Context,
    since: Annotated[str | None, typer.Option(help="ISO date or time, e.g. 2026-11-01.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Export as JSON (the only format).")] = True,
) -> None:
    """Export audit rows as a JSON array, oldest first (or run 'docqa audit verify')."""
    if context.invoked_subcommand is not None:
        return
    moment = None
    if since:
        try:
            moment = datetime.fromisoformat(since)
        except ValueError:
            fail(f"--since {since!r} is not an ISO date or time (e.g. 2026-11-01 or 2026-11-01T09:30)", code=2)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    with components(read_only=True) as parts:
        print(json.dumps(parts.audit.export(moment), indent=1, ensure_ascii=False))


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the hash chain; exit 1 at the first altered, inserted or removed row."""
    with components(read_only=True) as parts:
        result = parts.audit.verify()
    if not result.ok:
        fail(result.message)
    out.print(result.message)
