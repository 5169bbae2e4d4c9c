"""A chronology as CSV, the one format both the API (``format=csv``) and ``docqa chronology --csv`` write."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from service.core.summaries import StoredEvent

CSV_COLUMNS = ("date", "kind", "document_id", "source", "title", "page", "start", "end", "sentence")


def _cell(value: object) -> object:
    """A cell a spreadsheet shows as text: one that starts like a formula ("=", "+", "-", "@") gets a "'" first,
    since a filing's sentence ("- 16 -", "=HYPERLINK(...)") must never run as one."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def event_row(stored: StoredEvent) -> dict[str, object]:
    """One event as the columns of ``CSV_COLUMNS`` (the JSON outputs use the same names)."""
    event = stored.event
    return {
        "date": event.date,
        "kind": event.kind,
        "document_id": stored.document_id,
        "source": stored.source,
        "title": stored.title,
        "page": event.page,
        "start": event.char_start,
        "end": event.char_end,
        "sentence": event.sentence,
    }


def chronology_csv(events: Sequence[StoredEvent]) -> str:
    """The events as CSV with a header row (RFC 4180 quoting, CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for stored in events:
        row = event_row(stored)
        writer.writerow([_cell(row[column]) for column in CSV_COLUMNS])
    return buffer.getvalue()
