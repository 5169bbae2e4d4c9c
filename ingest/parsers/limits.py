"""Limits every parse runs under, so that one hostile or broken file cannot take memory or time from the rest.

``ParseLimits`` holds the numbers (from ``DOCQA_INGEST__*``); ``ParseBudget`` is one parse's running account:
parsers call it *while* they read (text as it is decoded, each page, each archive member), so a file fails at the
limit instead of after it has been materialised. Past a limit a parser raises ``LimitExceeded``, a ``ParseError``
whose one-line message names the file, the limit and its setting, e.g.::

    bomb.docx: expands to 2,048 MB, over the 200 MB limit (DOCQA_INGEST__MAX_ARCHIVE_MB)
"""

from __future__ import annotations

import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ingest.parsers.errors import ParseError
from service.core.settings import IngestSettings

MIB = 1048576

TEXT_PER_BYTE_FLOOR = 1_000_000
"""Text up to this many characters is never refused for its size relative to the file's: a small file may hold
more characters than bytes only when compressed, and that much text is harmless."""

RATIO_FLOOR_BYTES = 1 * MIB
"""Archive members that expand to less than this are never refused for their compression ratio."""


def setting(name: str) -> str:
    """The environment variable of an ingest setting."""
    return f"DOCQA_INGEST__{name.upper()}"


class LimitExceeded(ParseError):
    """A file past one of the parse limits; the message names the limit and its setting."""

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(message, {"limit": limit, "setting": setting(limit)})
        self.limit = limit


@dataclass(frozen=True)
class ParseLimits:
    """The limits of one parse (see the ingest settings of the same names for what each bounds); the defaults
    are the settings' defaults (a test holds them equal)."""

    max_text_chars: int = 20_000_000
    max_text_per_byte: float = 50.0
    max_pages: int = 5_000
    max_archive_members: int = 1_000
    max_archive_mb: float = 200.0
    max_archive_ratio: float = 100.0
    max_depth: int = 1_000
    max_parse_s: float = 120.0

    @classmethod
    def from_settings(cls, settings: IngestSettings) -> ParseLimits:
        return cls(
            max_text_chars=settings.max_text_chars,
            max_text_per_byte=settings.max_text_per_byte,
            max_pages=settings.max_pages,
            max_archive_members=settings.max_archive_members,
            max_archive_mb=settings.max_archive_mb,
            max_archive_ratio=settings.max_archive_ratio,
            max_depth=settings.max_depth,
            max_parse_s=settings.max_parse_s,
        )

    def start(self, path: Path) -> ParseBudget:
        """A budget for parsing ``path`` now (its wall-time clock starts here)."""
        return ParseBudget(self, path)


DEFAULT_LIMITS = ParseLimits.from_settings(IngestSettings())
"""The limits of the default settings; what a parser called without limits runs under."""


class ParseBudget:
    """One parse's account of text, pages and time; each ``add_*`` / ``check_*`` raises ``LimitExceeded``."""

    def __init__(self, limits: ParseLimits, path: Path) -> None:
        self.limits = limits
        self.name = path.name
        self.size_bytes = path.stat().st_size
        self.deadline = time.monotonic() + limits.max_parse_s
        self.text_chars = 0
        self.text_limit = min(
            limits.max_text_chars, max(TEXT_PER_BYTE_FLOOR, int(limits.max_text_per_byte * self.size_bytes))
        )

    def add_text(self, chars: int) -> None:
        """Count ``chars`` more characters of extracted text (and check the clock)."""
        self.text_chars += chars
        if self.text_chars > self.text_limit:
            if self.text_limit == self.limits.max_text_chars:
                raise LimitExceeded(
                    f"{self.name}: more than {self.limits.max_text_chars:,} characters of text, over the limit "
                    f"({setting('max_text_chars')})",
                    "max_text_chars",
                )
            raise LimitExceeded(
                f"{self.name}: more than {self.text_limit:,} characters of text from {_size(self.size_bytes)}, over "
                f"the limit of {self.limits.max_text_per_byte:g} per byte ({setting('max_text_per_byte')})",
                "max_text_per_byte",
            )
        self.check_time()

    def check_pages(self, pages: int) -> None:
        """Refuse a document of more than ``max_pages`` pages."""
        if pages > self.limits.max_pages:
            raise LimitExceeded(
                f"{self.name}: {pages:,} pages, over the {self.limits.max_pages:,} page limit ({setting('max_pages')})",
                "max_pages",
            )

    def check_depth(self, depth: int) -> None:
        """Refuse markup nested deeper than ``max_depth`` elements."""
        if depth > self.limits.max_depth:
            raise LimitExceeded(
                f"{self.name}: elements nested more than {self.limits.max_depth:,} deep, over the limit "
                f"({setting('max_depth')})",
                "max_depth",
            )

    def check_time(self) -> None:
        """Refuse a parse that has run longer than ``max_parse_s``."""
        if time.monotonic() > self.deadline:
            raise LimitExceeded(time_exceeded(self.name, self.limits.max_parse_s), "max_parse_s")

    def check_archive(self, archive: zipfile.ZipFile) -> None:
        """Check an archive from its central directory, before any member is expanded: the number of members,
        their expanded size together, and each large member's compression ratio."""
        members = archive.infolist()
        if len(members) > self.limits.max_archive_members:
            raise LimitExceeded(
                f"{self.name}: {len(members):,} archive members, over the {self.limits.max_archive_members:,} limit "
                f"({setting('max_archive_members')})",
                "max_archive_members",
            )
        expanded = sum(member.file_size for member in members)
        if expanded > self.limits.max_archive_mb * MIB:
            raise LimitExceeded(
                f"{self.name}: expands to {expanded / MIB:,.0f} MB, over the {self.limits.max_archive_mb:,g} MB limit "
                f"({setting('max_archive_mb')})",
                "max_archive_mb",
            )
        for member in members:
            if member.file_size < RATIO_FLOOR_BYTES:
                continue
            ratio = member.file_size / max(member.compress_size, 1)
            if ratio > self.limits.max_archive_ratio:
                raise LimitExceeded(
                    f"{self.name}: {member.filename} expands {ratio:,.0f} times, over the "
                    f"{self.limits.max_archive_ratio:,g} times limit ({setting('max_archive_ratio')})",
                    "max_archive_ratio",
                )


def time_exceeded(name: str, max_parse_s: float) -> str:
    """The reason of a parse stopped at the wall-time limit."""
    return f"{name}: parsing took more than {max_parse_s:g} s, over the limit ({setting('max_parse_s')})"


def memory_exceeded(name: str, worker_memory_mb: float) -> str:
    """The reason of a parse stopped at the worker's memory limit."""
    return (
        f"{name}: parsing needed more than {worker_memory_mb:,g} MB of memory, over the limit "
        f"({setting('worker_memory_mb')})"
    )


def _size(size_bytes: int) -> str:
    if size_bytes >= MIB:
        return f"{size_bytes / MIB:,.1f} MB"
    return f"{size_bytes / 1024:,.1f} KB" if size_bytes >= 1024 else f"{size_bytes} bytes"
