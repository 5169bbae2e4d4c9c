"""``docqa feedback export``: a collection's feedback on answers as training or evaluation data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from service.cli.app import CollectionOption, app, components, err, fail, known_collection
from service.core.access import OPEN
from service.core.errors import DocqaError
from service.core.feedback import EXPORT_FORMATS, ExportFormat
from service.engine.feedback_export import serialise

feedback_app = typer.Typer(help="Feedback on answers: export it for training (TRL) or evaluation (docqa eval).")
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
def export(
    out: Annotated[Path, typer.Argument(help="The file to write (JSON Lines for kto and dpo, JSON for eval).")],
    collection: CollectionOption = "default",
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format", "-f", help=f"{' | '.join(EXPORT_FORMATS)}: TRL's KTO rows, DPO pairs, a question file."
        ),
    ] = "kto",
) -> None:
    """Write a collection's rated answers: ``kto`` (prompt, completion, label), ``dpo`` (prompt, chosen,
    rejected, where a lawyer corrected the answer) or ``eval`` (the thumbs-down questions, for ``docqa eval``).
    The command line is the server's administrator: the export is audited as an admin's."""
    with components(read_only=True) as parts:
        try:
            result = parts.answers.export(OPEN, known_collection(parts, collection), fmt)
        except DocqaError as error:
            fail(error.message)
    try:
        out.write_text(serialise(fmt, result.rows), encoding="utf-8")
    except OSError as error:
        fail(f"{out}: cannot write the export ({error.strerror or error})")
    skipped = f"; {result.skipped} rated answers could not become one" if result.skipped else ""
    err.print(f"{len(result.rows)} {fmt} rows written to {out}{skipped}", highlight=False, soft_wrap=True)
