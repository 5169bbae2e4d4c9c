"""The ``docqa`` typer app and what its commands share: options, the consoles, errors, settings, components.

Usage errors exit with status 2; a batch that ran exits 0 even when some files failed (they are
listed). Errors are one clear line on stderr, never a stack trace.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from service.components import Components
from service.core.settings import Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # model hubs are never reached at run time

app = typer.Typer(
    help="docqa: question answering over private documents with verified citations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err = Console(stderr=True)
"""Errors, warnings and progress."""
out = Console(highlight=False)
"""Results."""

CollectionOption = Annotated[str, typer.Option("--collection", "-c", help="Collection (matter) name.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def fail(message: str, code: int = 1) -> NoReturn:
    """End the command: ``message`` as one line on stderr, exit status ``code`` (2: a usage error)."""
    err.print(f"[red]error:[/red] {message}", highlight=False)
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


@contextmanager
def components(settings: Settings | None = None) -> Iterator[Components]:
    """Components for one command, closed (indexes saved, connections released) at its end."""
    parts = Components(settings or load_settings())
    try:
        yield parts
    finally:
        parts.close()


def key_values(items: list[str] | None, option: str) -> dict[str, str]:
    """``["a=1", "b=2"]`` as a dict; a malformed item is a usage error naming the option."""
    pairs: dict[str, str] = {}
    for item in items or []:
        key, separator, value = item.partition("=")
        if not separator or not key.strip() or not value.strip():
            fail(f"{option} {item!r} must look like KEY=VALUE", code=2)
        pairs[key.strip()] = value.strip()
    return pairs
