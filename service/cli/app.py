"""The ``docqa`` typer app and what its commands share: options, the consoles, errors, settings, components.

Usage errors exit with status 2; a batch that ran exits 0 even when some files failed (they are
listed). Errors are one clear line on stderr, never a stack trace.

Every command says on stderr which store it uses (``docqa --data-dir DIR``, else ``DOCQA_DATA_DIR``, else
``./data``); the commands that only read (``documents``, ``search``, ``delete``, ``audit``, ``keys list``
and ``revoke``) refuse a data directory without a database instead of creating an empty one, and every
command that names a collection refuses one that does not exist, listing those that do.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import make_url

from service.components import Components
from service.core.settings import Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # model hubs are never reached at run time

app = typer.Typer(
    help="docqa: question answering over private documents with verified citations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def main_options(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            envvar="DOCQA_DATA_DIR",
            help="The store: the folder of the database, indexes and uploads "
            "(default: DOCQA_DATA_DIR, else ./data in the current folder).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """docqa: question answering over private documents with verified citations."""
    if data_dir is not None:
        # the environment carries it to the settings of this process and of every server worker process
        os.environ["DOCQA_DATA_DIR"] = str(data_dir.expanduser().resolve())


err = Console(stderr=True)
"""Errors, warnings and progress."""
out = Console(highlight=False)
"""Results."""

CollectionOption = Annotated[str, typer.Option("--collection", "-c", help="Collection (matter) name.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def fail(message: str, code: int = 1) -> NoReturn:
    """End the command: ``message`` as one line on stderr, exit status ``code`` (2: a usage error)."""
    # escape: a message is text, never markup ("pip install 'docqa[ray]'", a file named "[draft] brief.pdf")
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)  # one line, never wrapped
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


def describe_store(settings: Settings) -> str:
    """Where the store is, in words (a database password is never shown)."""
    folder = settings.data_dir.expanduser().resolve()
    if settings.database_url is None:
        return f"{folder} (SQLite {Path(settings.resolved_database_url.removeprefix('sqlite:///')).name})"
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    return f"{database} (indexes and uploads in {folder})"


def require_store(settings: Settings) -> None:
    """Fail unless the store exists: a command that only reads never creates an empty one (run from another
    folder, ``./data`` would be a new, empty store)."""
    if settings.database_url is not None:
        return
    database = Path(settings.resolved_database_url.removeprefix("sqlite:///"))
    if not database.exists():
        fail(
            f"no docqa store in {settings.data_dir.expanduser().resolve()} (no {database.name} there): pass "
            "'docqa --data-dir DIR ...' or set DOCQA_DATA_DIR to the folder that holds it "
            "('docqa ingest' makes a new one)",
            code=2,
        )


@contextmanager
def components(settings: Settings | None = None, read_only: bool = False) -> Iterator[Components]:
    """Components for one command, closed (indexes saved, connections released) at its end. The store is
    named on stderr; with ``read_only``, a missing store is the command's failure, not a new empty one."""
    settings = settings or load_settings()
    err.print(f"[dim]store: {describe_store(settings)}[/dim]", highlight=False, soft_wrap=True)
    if read_only:
        require_store(settings)
    parts = Components(settings)
    try:
        yield parts
    finally:
        parts.close()


def known_collection(parts: Components, collection: str) -> str:
    """``collection`` if it exists; otherwise a usage error naming it and listing the collections there are."""
    known = list(parts.store.collections())
    if collection not in known:
        fail(
            f"collection {collection!r} not found; the collections are: {', '.join(known) or 'none yet'} "
            f"('docqa ingest PATH -c {collection}' makes it)",
            code=2,
        )
    return collection


def key_values(items: list[str] | None, option: str) -> dict[str, str]:
    """``["a=1", "b=2"]`` as a dict; a malformed item is a usage error naming the option."""
    pairs: dict[str, str] = {}
    for item in items or []:
        key, separator, value = item.partition("=")
        if not separator or not key.strip() or not value.strip():
            fail(f"{option} {item!r} must look like KEY=VALUE", code=2)
        pairs[key.strip()] = value.strip()
    return pairs
