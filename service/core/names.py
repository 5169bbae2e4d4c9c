"""Names users choose that become file names: checked once, here."""

from __future__ import annotations

import re

from service.core.errors import InvalidInput

_COLLECTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_collection_name(name: str) -> str:
    """Collection names become file names: letters, digits, ``_ . -``, at most 64 characters."""
    if not _COLLECTION_NAME.match(name):
        raise InvalidInput(
            f"collection name {name!r} is not allowed: use 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit",
            detail={"field": "collection"},
        )
    return name
