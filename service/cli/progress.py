"""How the command line shows an ingest: a live bar on a terminal, one plain line per file otherwise (piped, as
under docker or systemd: never rich's 80-column wrapping), then a one-line summary."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from service.cli.app import err, fail, out
from service.core.errors import DocqaError
from service.core.ingestion import FileResult, IngestSummary
from service.core.ingestion import Progress as PipelineProgress

Result = TypeVar("Result")


class BarProgress(PipelineProgress):
    """A live bar: files done of total, pages, chunks, pages per second."""

    def __init__(self, console: Console) -> None:
        self.bar = Progress(
            TextColumn("[bold]ingest"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "files · {task.fields[pages]} pages · {task.fields[chunks]} chunks · "
                "{task.fields[ocr]} OCR pages · {task.fields[rate]}"
            ),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.pages = self.chunks = self.ocr = 0
        self.started = time.perf_counter()
        self.task = self.bar.add_task("ingest", total=None, pages=0, chunks=0, ocr=0, rate="")

    def ocr_page_done(self) -> None:
        self.ocr += 1
        self.bar.update(self.task, ocr=self.ocr)

    def start(self, total_files: int | None) -> None:
        self.bar.start()
        self.bar.update(self.task, total=total_files)

    def file_done(self, result: FileResult) -> None:
        self.pages += result.pages
        self.chunks += result.chunks
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        self.bar.update(
            self.task,
            advance=1,
            pages=self.pages,
            chunks=self.chunks,
            rate=f"{self.pages / elapsed:.1f} pages/s",
        )
        if result.outcome == "failed":
            self.bar.console.print(f"[yellow]failed:[/yellow] {result.error}", highlight=False)

    def stop(self) -> None:
        self.bar.stop()


class LineProgress(PipelineProgress):
    """One unwrapped line on stderr per file as it finishes, flushed at once: a log reads it as it comes."""

    def __init__(self) -> None:
        self.total: int | None = None
        self.done = self.pages = self.chunks = 0
        self.started = time.perf_counter()

    def start(self, total_files: int | None) -> None:
        self.total = total_files
        self._line(f"ingest: {total_files if total_files is not None else 'unknown number of'} files")

    def file_done(self, result: FileResult) -> None:
        self.done += 1
        self.pages += result.pages
        self.chunks += result.chunks
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        of = f"/{self.total}" if self.total is not None else ""
        what = f"{result.outcome} {result.source}" + (f": {result.error}" if result.error else "")
        self._line(
            f"ingest: {self.done}{of} files · {self.pages} pages · {self.chunks} chunks · "
            f"{self.pages / elapsed:.1f} pages/s · {elapsed:.0f} s · {what}"
        )

    def stop(self) -> None:
        pass

    @staticmethod
    def _line(text: str) -> None:
        print(" ".join(text.splitlines()), file=sys.stderr, flush=True)


def terminal_bar(wanted: bool = True) -> BarProgress | LineProgress | None:
    """A bar on stderr when it is a terminal, plain lines when it is not; None unless ``wanted``."""
    if not wanted:
        return None
    return BarProgress(err) if sys.stderr.isatty() else LineProgress()


def with_ingest_bar(run: Callable[[PipelineProgress | None], Result]) -> Result:
    """``run(progress)`` with a live ingest bar on a terminal; a ``DocqaError`` is the command's failure."""
    progress = terminal_bar()
    try:
        return run(progress)
    except DocqaError as error:
        fail(error.message)
    finally:
        if progress:
            progress.stop()


def print_summary(summary: IngestSummary) -> None:
    """One line of counts for the collection, then each failed file and each removed document."""
    counts = " · ".join(
        f"{summary.count(outcome)} {outcome}" for outcome in ("new", "updated", "unchanged", "failed", "removed")
    )
    unwrapped = not out.is_terminal  # a log or a pipe gets whole lines, not rich's 80 columns
    out.print(
        f"[bold]{summary.collection}[/bold]: {counts} · {summary.pages} pages · {summary.chunks} chunks "
        f"· {summary.seconds:.1f} s",
        soft_wrap=unwrapped,
    )
    for result in summary.files:
        if result.outcome == "failed":
            out.print(f"  [red]✗[/red] {result.error}", soft_wrap=unwrapped)
        elif result.outcome == "removed":
            out.print(
                f"  removed {result.source} ({result.document_id}): its file is gone",
                highlight=False,
                soft_wrap=unwrapped,
            )
