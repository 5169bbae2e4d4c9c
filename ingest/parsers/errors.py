"""The error every parser raises for a file it cannot read."""

from __future__ import annotations

from service.core.errors import InvalidInput


class ParseError(InvalidInput):
    """A file that cannot be parsed; the message says why and what to do."""
